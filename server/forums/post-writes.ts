import { newId } from '../crypto.js';
import type { TxScope } from '../store/port.js';
import { boardsCollection, postsCollection, reactionsCollection, threadsCollection, type BoardDoc, type PostDoc, type ThreadDoc } from './forums.collections.js';
import { quoteExcerpt } from './quote-excerpt.js';
import type { ReactionKind } from './reactions.js';

/** The writes that posting, moderation and posts from other servers share, each inside the caller's transaction. */

const PINNED = 1e15;
export const bumpKey = (pinned: boolean, lastPostAt: number) => (pinned ? PINNED : 0) + lastPostAt;

/** A new post as every new post starts, whoever wrote it and from wherever. */
export function newPost(fields: Omit<PostDoc, 'id' | 'removedReason' | 'reactions' | 'createdAt' | 'editedAt'>, now: number): PostDoc {
  return { id: newId(), ...fields, excerpt: quoteExcerpt(fields.body), removedReason: null, reactions: {}, createdAt: now, editedAt: null };
}

/** The thread `post` opens. */
export function newThread(post: PostDoc, opening: Pick<ThreadDoc, 'title' | 'state'>, now: number): ThreadDoc {
  return {
    id: post.threadId,
    boardId: post.boardId,
    title: opening.title,
    firstPostId: post.id,
    authorId: post.authorId,
    anonymous: post.anonymous,
    // An anonymous thread is its opening post's: the same blinded author proves both.
    ...(post.blindAuthor ? { blindAuthor: post.blindAuthor, blindBoardId: post.blindBoardId ?? null } : {}),
    ...(post.remote ? { remote: post.remote } : {}),
    state: opening.state,
    pinned: false,
    locked: false,
    postCount: 1,
    createdAt: now,
    lastPostAt: now,
    bumpKey: bumpKey(false, now),
  };
}

export async function insertThread(tx: TxScope, thread: ThreadDoc, post: PostDoc): Promise<void> {
  await tx.collection(postsCollection).insert(post);
  await tx.collection(threadsCollection).insert(thread);
  if (post.state === 'visible') await tx.collection(boardsCollection).increment(thread.boardId, { threadCount: 1, postCount: 1 });
}

/** A new visible post moves its thread up the board. */
export async function bump(tx: TxScope, thread: ThreadDoc, board: BoardDoc, at: number, count = true): Promise<void> {
  const tcol = tx.collection(threadsCollection);
  const fresh = (await tcol.get(thread.id)) ?? thread;
  await tcol.patch(thread.id, { lastPostAt: at, bumpKey: bumpKey(fresh.pinned, at) });
  if (count) {
    await tcol.increment(thread.id, { postCount: 1 });
    await tx.collection(boardsCollection).increment(board.id, { postCount: 1 });
  }
}

/**
 * An author's deletion (here or on another server): the words go, a placeholder keeps the conversation readable,
 * and an opening post with no visible reply takes its thread with it.
 */
export async function eraseAsDeleted(tx: TxScope, post: PostDoc, thread: ThreadDoc | null): Promise<void> {
  await tx.collection(postsCollection).patch(post.id, { body: '', html: '', excerpt: '', title: undefined, contentWarning: null, state: 'deleted' });
  if (thread && thread.firstPostId === post.id) {
    const others = await tx.collection(postsCollection).count({ threadId: thread.id, state: 'visible' });
    if (others === 0) {
      await tx.collection(threadsCollection).patch(thread.id, { state: 'removed', title: '' });
      if (thread.state === 'visible') await tx.collection(boardsCollection).increment(post.boardId, { threadCount: -1 });
    }
  }
  if (post.state === 'visible') await tx.collection(boardsCollection).increment(post.boardId, { postCount: -1 });
}

/** One reaction of a kind per reactor and post: the id says which, so a toggle finds it. */
export const reactionId = (postId: string, reactorId: string, kind: string) => `${postId}.${reactorId}.${kind}`;

/**
 * Puts one reactor's reaction on a post, takes it off or toggles it, and moves the count with it (read and written
 * inside the transaction, so that concurrent reactions are never lost). Null when it was already so.
 */
export async function setReaction(tx: TxScope, post: PostDoc, reactor: string, kind: ReactionKind, want: boolean | 'toggle'): Promise<{ doc: PostDoc; on: boolean } | null> {
  const rcol = tx.collection(reactionsCollection);
  const id = reactionId(post.id, reactor, kind);
  const existing = await rcol.get(id);
  const on = want === 'toggle' ? !existing : want;
  if (!!existing === on) return null;
  if (existing) await rcol.delete(id);
  else await rcol.insert({ id, postId: post.id, threadId: post.threadId, reactorId: reactor, kind, createdAt: Date.now() });
  const pcol = tx.collection(postsCollection);
  const fresh = (await pcol.get(post.id))!;
  const doc = await pcol.patch(post.id, { reactions: { ...fresh.reactions, [kind]: Math.max(0, (fresh.reactions[kind] ?? 0) + (on ? 1 : -1)) } });
  return { doc: doc!, on };
}
