import type { z } from 'zod';
import { cleanHtml } from '../content/markdown.js';
import { conflict, fieldError, forbidden, notFound, unprocessable } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import { newId } from '../crypto.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import type { Store, TxScope } from '../store/port.js';
import type { ForumChanges } from './changes.js';
import type { Publish } from '../core/live.js';
import type { ForumDocs } from './forum-docs.js';
import { boardsCollection, postsCollection, threadsCollection, type PostDoc, type ThreadDoc } from './forums.collections.js';
import { remoteEditInput, remotePostInput, type remoteAuthorInput } from './forums.schemas.js';
import { bump, eraseAsDeleted, insertThread, newPost, newThread, setReaction } from './post-writes.js';
import { quoteExcerpt } from './quote-excerpt.js';
import type { ReactionKind } from './reactions.js';
import type { ReplyNotices } from './reply-notices.js';

/** The author of a post written on another server, as federation names them. */
export type RemoteAuthor = z.output<typeof remoteAuthorInput>;

/** A post taken in from another server: what the caller keeps a record of. */
export interface ReceivedPost {
  readonly id: string;
  readonly threadId: string;
}

/** A visible local post that a remote activity names (a reply's target, a Like's, a report's). */
export interface PostRef {
  readonly id: string;
  readonly threadId: string;
  readonly boardId: string;
  readonly boardSlug: string;
}

export interface RemoteIntakeDeps {
  readonly store: Store;
  readonly docs: ForumDocs;
  readonly moderation: ModerationService;
  readonly publish: Publish;
  readonly changes: ForumChanges;
  readonly replies: ReplyNotices;
}

/** Remote HTML cleaned like ours, with its plain text (for filters and search); refused when nothing is left. */
function remoteHtml(source: string): { html: string; text: string } {
  const html = cleanHtml(source);
  const text = html.replace(/<[^>]*>/g, ' ').replace(/&nbsp;/g, ' ').replace(/\s+/g, ' ').trim();
  if (!text) throw fieldError('body', 'validation.empty_body');
  return { html, text };
}

/**
 * Posts, edits, deletions and reactions from members of other servers, as
 * federation hands them over once it has checked who sent them.
 */
export class RemoteIntakeService {
  constructor(private readonly deps: RemoteIntakeDeps) {}

  /**
   * A thread or reply written on another server and addressed to a public
   * board. The same rules as for members: archived boards and locked threads
   * refuse it, word filters block or hold it; the HTML is cleaned like local
   * posts. `record` writes the caller's own record of the post in the same
   * transaction, so that one is never kept without the other.
   */
  async receiveRemotePost(slug: string, raw: unknown, record?: (tx: TxScope, post: ReceivedPost) => Promise<unknown>): Promise<ReceivedPost> {
    const { store, docs, moderation, publish, changes } = this.deps;
    const input = parseInput(remotePostInput, raw);
    const board = await docs.boardBySlug(slug);
    if (board.visibility !== 'public') throw notFound('board_not_found');
    if (board.archived) throw forbidden('board_archived');
    const { html, text } = remoteHtml(input.html);
    let thread: ThreadDoc | null = null;
    if (input.threadId) {
      thread = await docs.threads.get(input.threadId);
      if (!thread || thread.boardId !== board.id || thread.state !== 'visible') throw notFound('thread_not_found');
      if (thread.locked) throw forbidden('thread_locked');
    } else if (!input.title) {
      throw fieldError('title', 'validation.required');
    }
    const quoted = input.quoteOf && thread ? await docs.posts.get(input.quoteOf) : null;
    const verdict = await moderation.checkText(input.title ?? '', text, input.contentWarning ?? '');
    if (verdict === 'block') throw unprocessable('filtered');
    const state = verdict === 'hold' ? 'pending' : 'visible';
    const now = Date.now();
    const threadId = thread?.id ?? newId();
    const post = newPost(
      {
        threadId,
        boardId: board.id,
        authorId: null,
        anonymous: false,
        remote: input.remote,
        body: text,
        html,
        ...(thread ? {} : { title: input.title! }),
        contentWarning: input.contentWarning || null,
        quoteOf: quoted && quoted.threadId === threadId && quoted.state === 'visible' && quoted.id !== thread?.firstPostId ? quoted.id : null,
        state,
      },
      now,
    );
    const announce = await store.transaction(async (tx) => {
      let told: (() => void) | null = null;
      if (thread) {
        await tx.collection(postsCollection).insert(post);
        if (state === 'visible') {
          await bump(tx, thread, board, now);
          told = await this.deps.replies.replied(tx, thread, post);
        }
      } else {
        await insertThread(tx, newThread(post, { title: input.title!, state }, now), post);
      }
      await record?.(tx, { id: post.id, threadId });
      return told;
    });
    if (state === 'visible') publish('thread', threadId, 'post', { postId: post.id });
    changes.changed(threadId, post.id);
    announce?.();
    return { id: post.id, threadId };
  }

  /**
   * A reaction from another server (an ActivityPub Like): counted like a
   * member's, under a key that stands for the remote actor (federation
   * hashes its IRI), and never listed. Answers whether anything changed.
   */
  async reactRemote(postId: string, reactorKey: string, kind: ReactionKind, on: boolean): Promise<boolean> {
    const { store, docs, changes } = this.deps;
    const post = await docs.posts.get(postId);
    if (!post || post.state !== 'visible') return false;
    const board = await docs.boards.get(post.boardId);
    if (!board || board.visibility !== 'public') return false;
    const changedCount = await store.transaction(async (tx) => (await setReaction(tx, post, reactorKey, kind, on)) !== null);
    if (changedCount) changes.changed(post.threadId, post.id);
    return changedCount;
  }

  /** A visible post's id, thread and board (federation: what a remote reply, Like or report names). */
  async postRef(postId: string): Promise<PostRef | null> {
    const { docs } = this.deps;
    const post = typeof postId === 'string' && postId.length <= 64 ? await docs.posts.get(postId) : null;
    if (!post || post.state !== 'visible') return null;
    const board = await docs.boards.get(post.boardId);
    return board ? { id: post.id, threadId: post.threadId, boardId: post.boardId, boardSlug: board.slug } : null;
  }

  /** Its author on another server edited a post they sent. */
  async editRemotePost(postId: string, actorIri: string, raw: unknown): Promise<void> {
    const { store, docs, moderation, publish, changes } = this.deps;
    const input = parseInput(remoteEditInput, raw);
    const post = await docs.posts.get(postId);
    if (!post || !post.remote || post.remote.actor !== actorIri) throw forbidden('not_author');
    if (post.state === 'deleted' || post.state === 'removed') throw conflict('post_removed');
    const { html, text } = remoteHtml(input.html);
    const verdict = await moderation.checkText(input.title ?? '', text, input.contentWarning ?? '');
    if (verdict === 'block') throw unprocessable('filtered');
    const now = Date.now();
    await store.transaction(async (tx) => {
      await tx.collection(postsCollection).patch(post.id, { html, body: text, excerpt: quoteExcerpt(text), contentWarning: input.contentWarning || null, editedAt: now });
      const thread = await tx.collection(threadsCollection).get(post.threadId);
      if (thread && thread.firstPostId === post.id && input.title) {
        await tx.collection(threadsCollection).patch(thread.id, { title: input.title });
        await tx.collection(postsCollection).patch(post.id, { title: input.title });
      }
    });
    publish('thread', post.threadId, 'post-edited', { postId: post.id });
    changes.changed(post.threadId, post.id);
  }

  /**
   * Its author on another server restored a post they had deleted (Lemmy's Undo of its Delete): the words their
   * server serves again take the place of the erased ones, and a thread that went with its opening post shows
   * again. Answers false when the post was not deleted by its author (shown, or removed by a moderator).
   */
  async restoreRemotePost(postId: string, actorIri: string, raw: unknown): Promise<boolean> {
    const { store, docs, moderation, publish, changes } = this.deps;
    const input = parseInput(remoteEditInput, raw);
    const post = await docs.posts.get(postId);
    if (!post || !post.remote || post.remote.actor !== actorIri) throw forbidden('not_author');
    if (post.state !== 'deleted') return false;
    const { html, text } = remoteHtml(input.html);
    if ((await moderation.checkText(input.title ?? '', text, input.contentWarning ?? '')) === 'block') throw unprocessable('filtered');
    await store.transaction(async (tx) => {
      const thread = await tx.collection(threadsCollection).get(post.threadId);
      const opening = thread?.firstPostId === post.id;
      const title = opening ? (input.title ?? thread.title) : undefined;
      await tx.collection(postsCollection).patch(post.id, { html, body: text, excerpt: quoteExcerpt(text), contentWarning: input.contentWarning || null, state: 'visible', ...(title ? { title } : {}) });
      await tx.collection(boardsCollection).increment(post.boardId, { postCount: 1 });
      // Erasing the opening post took a thread with no other post shown, and its title: not a moderator's removal.
      if (opening && thread.state === 'removed' && thread.title === '') {
        await tx.collection(threadsCollection).patch(thread.id, { state: 'visible', title: title ?? '' });
        await tx.collection(boardsCollection).increment(post.boardId, { threadCount: 1 });
      }
    });
    publish('thread', post.threadId, 'post-edited', { postId: post.id });
    changes.changed(post.threadId, post.id);
    return true;
  }

  /**
   * The author of a post sent from another server moved to a new account
   * (federation checked the move): the post shows under that account, a
   * remote one, or one of ours (`accountId`, the member imported their old
   * account here), who then owns it like any post of theirs.
   */
  async relinkRemoteAuthor(postId: string, from: string, to: { readonly remote: RemoteAuthor } | { readonly accountId: string }): Promise<boolean> {
    const { store, docs, changes } = this.deps;
    const post = await docs.posts.get(postId);
    if (!post?.remote || post.remote.actor !== from) return false;
    const author: Partial<PostDoc & ThreadDoc> = 'remote' in to ? { remote: to.remote } : { remote: null, authorId: to.accountId };
    await store.transaction(async (tx) => {
      await tx.collection(postsCollection).patch(post.id, author);
      const thread = await tx.collection(threadsCollection).get(post.threadId);
      if (thread && thread.firstPostId === post.id) await tx.collection(threadsCollection).patch(thread.id, author);
    });
    changes.changed(post.threadId, post.id);
    return true;
  }

  /** Its author on another server deleted a post they sent: as when a member deletes their own. */
  async deleteRemotePost(postId: string, actorIri: string): Promise<void> {
    const { store, docs, publish, changes } = this.deps;
    const post = await docs.posts.get(postId);
    if (!post || !post.remote || post.remote.actor !== actorIri) throw forbidden('not_author');
    if (post.state === 'deleted') return;
    const thread = await docs.threads.get(post.threadId);
    await store.transaction((tx) => eraseAsDeleted(tx, post, thread));
    publish('thread', post.threadId, 'post-removed', { postId: post.id });
    changes.changed(post.threadId, post.id);
  }
}
