import { claimsCollection, type ClaimDoc as AccountClaimDoc } from '../accounts/claims.js';
import { defineCollection } from '../store/port.js';

/**
 * public: readable by anyone, federates openly (later); members: only signed-in
 * members; network: partner instances only (federation issue).
 */
export type BoardVisibility = 'public' | 'members' | 'network';

export interface BoardDoc {
  id: string;
  slug: string;
  name: string;
  description: string;
  /** A language tag: the board's main language. */
  language: string;
  visibility: BoardVisibility;
  /** Lower comes first on the board list. */
  position: number;
  archived: boolean;
  /** New members' first post on this board waits for a moderator. */
  approveFirstPosts: boolean;
  /** Minimum seconds between two posts of one member on this board (0 = off). */
  slowModeSeconds: number;
  /** Accounts that moderate this board (instance moderators and admins moderate every board). */
  moderatorIds: string[];
  /** False: pictures of posts from other servers are neither fetched nor shown here (absent: on). */
  remoteMedia?: boolean;
  threadCount: number;
  postCount: number;
  /** For the public moderation summary. */
  removedCount: number;
  createdAt: number;
  updatedAt: number;
}

/** visible: listed; pending: waiting for a moderator; removed: taken down by a moderator. */
export type ContentState = 'visible' | 'pending' | 'removed';

/** The author of a post written on another server (federation): shown by name and address, never an account here. */
export interface RemoteAuthor {
  /** Their actor's IRI. */
  actor: string;
  name: string;
  /** user@host */
  address: string;
  /** Their profile page, when given. */
  url: string | null;
}

export interface ThreadDoc {
  id: string;
  boardId: string;
  title: string;
  /** The opening post. */
  firstPostId: string;
  /** Null on anonymous threads (see PostDoc.blindAuthor). */
  authorId: string | null;
  anonymous: boolean;
  blindAuthor?: string | null;
  blindBoardId?: string | null;
  /** Set when the thread was started from another server. */
  remote?: RemoteAuthor | null;
  state: ContentState;
  pinned: boolean;
  locked: boolean;
  /** Visible replies + the opening post. */
  postCount: number;
  createdAt: number;
  lastPostAt: number;
  /** Pinned threads first, then newest activity: one number so that one index orders the board. */
  bumpKey: number;
}

/** A post's state adds `hidden` (a moderator hid it pending review) and `deleted` (its author or account is gone). */
export type PostState = ContentState | 'hidden' | 'deleted';

export interface PostDoc {
  id: string;
  threadId: string;
  boardId: string;
  /** Null on anonymous posts, once the author deleted their account, and for posts from other servers. */
  authorId: string | null;
  anonymous: boolean;
  /**
   * An anonymous post's author as the server may know them: the member's blinded id for the board
   * (MemberKey.blind(blindScope.board(blindBoardId))), which only the member's key can recompute, so a copy of
   * the database cannot tell whose the post is. Null once its author is gone or was never proven (see claims).
   */
  blindAuthor?: string | null;
  /** The board the blinded id was computed for: a moved thread keeps its authors' proofs. */
  blindBoardId?: string | null;
  /** Set when the post was written on another server (its HTML came cleaned; `body` is its plain text, for search). */
  remote?: RemoteAuthor | null;
  /** Markdown as written. */
  body: string;
  /** Cleaned HTML, rendered once at write time. */
  html: string;
  /**
   * The start of the body as plain text, made at write time for the quotes of the post: reading it from the
   * Markdown on every first view of a page was an eighth of the page's cost. Absent on posts written before.
   */
  excerpt?: string;
  /** The thread title on opening posts, so that search finds threads by title. */
  title?: string;
  contentWarning: string | null;
  quoteOf: string | null;
  state: PostState;
  /** Shown to the author when a moderator removed the post. */
  removedReason: string | null;
  reactions: Record<string, number>;
  createdAt: number;
  editedAt: number | null;
}

export interface PostRevisionDoc {
  id: string;
  postId: string;
  body: string;
  contentWarning: string | null;
  /** Null on anonymous posts: the revision belongs to its post, whose blinded author is the editor. */
  editorId: string | null;
  createdAt: number;
  /** Earlier versions are kept for moderators for REVISION_RETENTION_MS, then deleted. */
  expiresAt: number;
}

export const REVISION_RETENTION_MS = 180 * 86_400_000;

/**
 * Who reacted how to what: only to keep one reaction of a kind per member; never listed. The reactor is the
 * member's blinded id for the post's board, never the account, so reactions do not link accounts.
 */
export interface ReactionDoc {
  id: string;
  postId: string;
  /** So that a thread page reads a viewer's reactions in one indexed query, and deleting a thread finds them. */
  threadId: string;
  /** `claim:<claim id>` while a reaction stored before blinding waits for its member's claim (see ClaimDoc). */
  reactorId: string;
  /** Only on reactions stored before blinding, until the start-up migration turns them into claims. */
  accountId?: string;
  kind: string;
  createdAt: number;
}

export const boardsCollection = defineCollection<BoardDoc>({
  name: 'boards',
  fields: { slug: 'string', position: 'number', archived: 'boolean' },
  indexes: [{ fields: ['slug'], unique: true }, { fields: ['position'] }, { fields: ['archived', 'position'] }],
  // Every thread read checks its board.
  memoryCache: 500,
});

export const threadsCollection = defineCollection<ThreadDoc>({
  name: 'threads',
  fields: { boardId: 'string', state: 'string', bumpKey: 'number', createdAt: 'number', anonymous: 'boolean', blindBoardId: 'string' },
  indexes: [{ fields: ['boardId', 'state', 'bumpKey'] }, { fields: ['state', 'createdAt'] }, { fields: ['anonymous', 'blindBoardId', 'createdAt'] }],
  // The forum's most-read documents, on every thread page and API answer.
  memoryCache: 5_000,
});

export const postsCollection = defineCollection<PostDoc>({
  name: 'posts',
  fields: { threadId: 'string', boardId: 'string', authorId: 'string', blindAuthor: 'string', blindBoardId: 'string', anonymous: 'boolean', state: 'string', createdAt: 'number' },
  indexes: [
    { fields: ['blindAuthor', 'createdAt'] },
    { fields: ['blindAuthor', 'state', 'createdAt'] },
    // Anonymous posts stored before blinding have no blindBoardId: the start-up migration finds them by it.
    { fields: ['anonymous', 'blindBoardId', 'createdAt'] },
    { fields: ['threadId', 'state', 'createdAt'] },
    { fields: ['threadId', 'createdAt'] },
    { fields: ['authorId', 'createdAt'] },
    { fields: ['authorId', 'state', 'createdAt'] },
    { fields: ['boardId', 'authorId', 'createdAt'] },
    { fields: ['state', 'createdAt'] },
  ],
  textFields: ['title', 'body'],
});

export const revisionsCollection = defineCollection<PostRevisionDoc>({
  name: 'post_revisions',
  fields: { postId: 'string', createdAt: 'number', expiresAt: 'number' },
  indexes: [{ fields: ['postId', 'createdAt'] }],
  ttlField: 'expiresAt',
});

export const reactionsCollection = defineCollection<ReactionDoc>({
  name: 'reactions',
  fields: { postId: 'string', threadId: 'string', reactorId: 'string', createdAt: 'number' },
  indexes: [
    { fields: ['postId', 'createdAt'] },
    // Reactions stored by account before blinding have no reactorId: the start-up migration finds them by it.
    { fields: ['reactorId', 'createdAt'] },
    { fields: ['reactorId', 'threadId', 'createdAt'] },
    { fields: ['threadId', 'createdAt'] },
  ],
});

/** An anonymous identity a moderator barred from posting anonymously on a board again. */
export interface BoardBanDoc {
  id: string;
  boardId: string;
  blindId: string;
  /** The moderator's reason, for the board's other moderators. */
  reason: string;
}

/**
 * "Anonymous member #N of this board": the stable number moderators know an anonymous identity by. No time is kept,
 * so a number cannot be matched with an account's activity.
 */
export interface AnonymousNumberDoc {
  id: string;
  boardId: string;
  blindId: string;
  number: number;
}

/**
 * Where an anonymous identity's author has read up to in the replies to their anonymous threads and posts: pulled on
 * their next visit (anonymous-replies.ts), never pushed. Kept under the identity's blinded id alone, so only the
 * member's key finds it; its times are replies' own `createdAt`, never the time of a visit.
 */
export interface ReplyMarkDoc {
  /** The identity's blinded id on its board (blindOnBoard). */
  id: string;
  /** Replies up to this time count as seen. */
  seenUpTo: number;
  /** Threads whose replies were opened one by one since: the newest reply seen in each. */
  threads: Record<string, number>;
}

export type ClaimKind = 'post' | 'thread' | 'reaction';

/** A forum item's link from before blinding, until the member's next log-in (see AccountClaims). */
export type ClaimDoc = AccountClaimDoc<ClaimKind>;

export const boardBansCollection = defineCollection<BoardBanDoc>({
  name: 'board_bans',
  fields: { boardId: 'string', blindId: 'string' },
  indexes: [{ fields: ['boardId', 'blindId'], unique: true }],
});

export const anonymousNumbersCollection = defineCollection<AnonymousNumberDoc>({
  name: 'anonymous_numbers',
  fields: { boardId: 'string', blindId: 'string', number: 'number' },
  indexes: [{ fields: ['boardId', 'blindId'], unique: true }, { fields: ['boardId', 'number'], unique: true }],
});

export const replyMarksCollection = defineCollection<ReplyMarkDoc>({ name: 'anonymous_reply_marks', fields: {}, indexes: [] });

export const forumClaimsCollection = claimsCollection<ClaimKind>('forum_claims');

export const forumsCollections = [
  boardsCollection,
  threadsCollection,
  postsCollection,
  revisionsCollection,
  reactionsCollection,
  boardBansCollection,
  anonymousNumbersCollection,
  replyMarksCollection,
  forumClaimsCollection,
];
