/**
 * A small fixed set of supportive reactions: no "dislike", nothing to pile on
 * with. Only counts are shown; who reacted is never listed.
 */
export const reactionKinds = ['heart', 'hug', 'strong', 'thanks', 'same'] as const;
export type ReactionKind = (typeof reactionKinds)[number];

/** Emoji are shown next to the localised word, so a reader who cannot read the word still knows the reaction. */
export const reactionEmoji: Record<ReactionKind, string> = {
  heart: '❤️',
  hug: '🤗',
  strong: '💪',
  thanks: '🙏',
  same: '🙋',
};
