import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { MemberKey } from '../core/member-key.js';

/**
 * What the moderation queue needs of the content it moderates, provided by
 * the module that owns the content (the forums): moderation knows no forum
 * code, and the content module never reads moderation's storage.
 */
export interface ModeratedBoard {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly postCount: number;
  readonly removedCount: number;
  /** Whether the viewer asked about may read it. */
  readonly visible: boolean;
  /** Whether the viewer asked about moderates it. */
  readonly moderated: boolean;
}

export interface ModeratedPost {
  readonly id: string;
  readonly threadId: string;
  readonly boardId: string;
  readonly html: string;
  readonly state: string;
  readonly anonymous: boolean;
  readonly createdAt: number;
  /** The member who wrote a named post. Never set for an anonymous one: the server does not know whose it is. */
  readonly authorId: string | null;
  /** "Anonymous member #N of this board": how moderators tell anonymous identities apart, and ban one. */
  readonly anonymousNumber: number | null;
  /** user@host of an author on another server. */
  readonly remoteHandle: string | null;
  readonly thread: { readonly id: string; readonly title: string } | null;
}

export interface ModeratedContent {
  /** Every board, with what `viewer` may do there. */
  boards(viewer: AccountDoc | null): Promise<readonly ModeratedBoard[]>;
  /** The oldest posts waiting for approval, on every board. */
  pendingPosts(limit: number): Promise<readonly ModeratedPost[]>;
  posts(ids: readonly string[]): Promise<readonly ModeratedPost[]>;
  /** Which of these posts the holder of `key` wrote anonymously: reports on them are withheld from that moderator. */
  ownAnonymous(key: MemberKey | null, ids: readonly string[]): Promise<ReadonlySet<string>>;
  /** A moderator's action on a post (hide, remove, approve...), under the content module's rules. */
  moderatePost(actor: AccountDoc | null, postId: string, raw: unknown): Promise<unknown>;
}
