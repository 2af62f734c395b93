import type { RequestHandler } from 'express';

/**
 * Like and EmojiReact. A reaction to one of our posts, sent to its board's
 * Group or, as Mastodon does, to its author's inbox, is counted by
 * RemoteContributions (contributions.ts) as one of the reactions members can
 * give (the emoji's own when it is one of ours, else a heart), and only from
 * servers already in the board's conversation; a reaction to anything else
 * there is refused. One sent to the instance actor goes on to apex's inbox.
 */
export function likeHandler(contributions: RequestHandler): RequestHandler {
  return contributions;
}
