import type { AccountDoc } from '../accounts/accounts.collections.js';
import { isSuspended } from '../accounts/accounts.service.js';
import { renderBody } from '../content/markdown.js';
import { AppError, conflict, forbidden, unauthorized, unprocessable } from '../core/errors.js';
import type { MemberKey } from '../core/member-key.js';
import type { Limiter } from '../core/rate-limit.js';
import { parseInput } from '../core/validate.js';
import { newId } from '../crypto.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import { eachPage } from '../store/paging.js';
import type { Store } from '../store/port.js';
import { blindOnBoard, isAuthor, startedAnonymously } from './authorship.js';
import type { AnonymousIdentities } from './anonymous-identities.js';
import type { ForumChanges } from './changes.js';
import type { Publish } from '../core/live.js';
import type { ForumDocs } from './forum-docs.js';
import { reactionCounts, type ForumViews, type PostView, type ThreadSummary } from './forum-views.js';
import { postsCollection, REVISION_RETENTION_MS, revisionsCollection, threadsCollection, type BoardDoc, type PostDoc, type ThreadDoc } from './forums.collections.js';
import { editInput, reactionInput, replyInput, threadInput } from './forums.schemas.js';
import { canModerate, ensureSee, postingBlock, throwBlock } from './policy.js';
import { bump, eraseAsDeleted, insertThread, newPost, newThread, setReaction } from './post-writes.js';
import { quoteExcerpt } from './quote-excerpt.js';
import type { ReactionKind } from './reactions.js';
import type { ReplyNotices } from './reply-notices.js';

export interface PostingDeps {
  readonly store: Store;
  readonly docs: ForumDocs;
  readonly views: ForumViews;
  readonly moderation: ModerationService;
  readonly postingLimit: Limiter;
  readonly publish: Publish;
  readonly changes: ForumChanges;
  readonly identities: AnonymousIdentities;
  readonly replies: ReplyNotices;
}

/** How a new post names its author: the account, or for an anonymous post only the member's blinded id for the board. */
type Byline = Pick<PostDoc, 'authorId' | 'anonymous' | 'blindAuthor' | 'blindBoardId'>;

/** Members writing: threads, replies, edits, reactions, their own deletions and their reports. */
export class PostingService {
  constructor(private readonly deps: PostingDeps) {}

  async createThread(author: AccountDoc | null, key: MemberKey | null, slug: string, raw: unknown): Promise<{ thread: ThreadSummary; post: PostView }> {
    const { store, docs, views, changes, identities } = this.deps;
    const board = await docs.boardBySlug(slug);
    if (!author) throw unauthorized('login_required');
    ensureSee(author, board);
    const input = parseInput(threadInput, raw);
    const byline = this.byline(author, key, board, input.anonymous);
    const html = renderBody(input.body);
    const state = await this.checkPosting(author, byline, board, [input.title, input.body, input.contentWarning ?? '']);
    const now = Date.now();
    const threadId = newId();
    const post = newPost(
      { threadId, boardId: board.id, ...byline, body: input.body, html, title: input.title, contentWarning: input.contentWarning ?? null, quoteOf: null, state },
      now,
    );
    const thread = newThread(post, { title: input.title, state }, now);
    await store.transaction(async (tx) => {
      await insertThread(tx, thread, post);
      if (byline.blindAuthor) await identities.number(tx, board.id, byline.blindAuthor, now);
    });
    changes.changed(threadId, post.id);
    const names = await views.namesFor([thread]);
    return { thread: views.threadSummary(thread, names), post: await views.postView(author, key, post, board, thread) };
  }

  async reply(author: AccountDoc | null, key: MemberKey | null, threadId: string, raw: unknown): Promise<PostView> {
    const { store, docs, views, publish, changes, identities } = this.deps;
    if (!author) throw unauthorized('login_required');
    const { thread, board } = await docs.threadWithBoard(author, threadId, key);
    const input = parseInput(replyInput, raw);
    const opening = input.anonymous === undefined && thread.anonymous ? await docs.posts.get(thread.firstPostId) : null;
    const byline = this.byline(author, key, board, input.anonymous ?? startedAnonymously(author, key, thread, opening));
    const html = renderBody(input.body);
    if (input.quoteOf) {
      const quoted = await docs.posts.get(input.quoteOf);
      if (!quoted || quoted.threadId !== thread.id || quoted.state !== 'visible') throw unprocessable('quote_invalid');
    }
    const state = await this.checkPosting(author, byline, board, [input.body, input.contentWarning ?? ''], thread);
    const now = Date.now();
    const post = newPost(
      { threadId: thread.id, boardId: board.id, ...byline, body: input.body, html, contentWarning: input.contentWarning ?? null, quoteOf: input.quoteOf ?? null, state },
      now,
    );
    const announce = await store.transaction(async (tx) => {
      await tx.collection(postsCollection).insert(post);
      if (byline.blindAuthor) await identities.number(tx, board.id, byline.blindAuthor, now);
      if (state !== 'visible') return null;
      await bump(tx, thread, board, now);
      return this.deps.replies.replied(tx, thread, post);
    });
    if (state === 'visible') publish('thread', thread.id, 'post', { postId: post.id });
    changes.changed(thread.id, post.id);
    announce?.();
    return views.postView(author, key, post, board, { ...thread });
  }

  /**
   * What the photos of a new post count against for the day's quota (media/quotas.ts), decided as createThread and
   * reply will name its author: for an anonymous post the member's blinded id on the board, so that nothing counted
   * leads back to the account; null for a named one, counted under the account. Malformed input is left for the
   * post itself to refuse.
   */
  async photoQuotaKey(author: AccountDoc | null, key: MemberKey | null, target: { readonly slug: string } | { readonly threadId: string }, raw: unknown): Promise<string | null> {
    const { docs } = this.deps;
    if (!author) throw unauthorized('login_required');
    const field = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).anonymous : undefined;
    const blinded = (board: BoardDoc) => {
      if (!key) throw unauthorized('member_key_locked');
      return blindOnBoard(key, board.id);
    };
    if ('slug' in target) {
      const board = await docs.boardBySlug(target.slug);
      ensureSee(author, board);
      const asked = threadInput.shape.anonymous.safeParse(field);
      return asked.success && asked.data ? blinded(board) : null;
    }
    const { thread, board } = await docs.threadWithBoard(author, target.threadId, key);
    const asked = replyInput.shape.anonymous.safeParse(field);
    const chosen = asked.success ? asked.data : undefined;
    const opening = chosen === undefined && thread.anonymous ? await docs.posts.get(thread.firstPostId) : null;
    return (chosen ?? startedAnonymously(author, key, thread, opening)) ? blinded(board) : null;
  }

  async editPost(actor: AccountDoc | null, key: MemberKey | null, postId: string, raw: unknown): Promise<PostView> {
    const { store, docs, views, moderation, publish, changes } = this.deps;
    if (!actor) throw unauthorized('login_required');
    const { post, thread, board } = await docs.postWithContext(actor, postId, key);
    this.ensureAuthor(actor, key, post);
    if (post.state === 'removed' || post.state === 'deleted') throw conflict('post_removed');
    if (isSuspended(actor)) throwBlock('suspended', actor);
    const input = parseInput(editInput, raw);
    const body = input.body ?? post.body;
    const html = input.body !== undefined ? renderBody(body) : post.html;
    const title = thread.firstPostId === post.id ? (input.title ?? thread.title) : undefined;
    const contentWarning = input.contentWarning !== undefined ? input.contentWarning : post.contentWarning;
    const verdict = await moderation.checkText(body, title ?? '', contentWarning ?? '');
    if (verdict === 'block') throw unprocessable('filtered');
    const held = verdict === 'hold' && !canModerate(actor, board);
    const now = Date.now();
    const updated = await store.transaction(async (tx) => {
      await tx.collection(revisionsCollection).insert({
        id: newId(),
        postId: post.id,
        body: post.body,
        contentWarning: post.contentWarning,
        editorId: post.anonymous ? null : actor.id,
        createdAt: now,
        expiresAt: now + REVISION_RETENTION_MS,
      });
      const next = await tx.collection(postsCollection).patch(post.id, {
        body,
        html,
        excerpt: quoteExcerpt(body),
        contentWarning,
        editedAt: now,
        ...(title !== undefined ? { title } : {}),
        ...(held ? { state: 'pending' as const } : {}),
      });
      if (title !== undefined && title !== thread.title) await tx.collection(threadsCollection).patch(thread.id, { title });
      return next!;
    });
    publish('thread', thread.id, held ? 'post-removed' : 'post-edited', { postId: post.id });
    changes.changed(thread.id, post.id);
    return views.postView(actor, key, updated, board, thread);
  }

  /** The author deletes their own post: its words are gone, a placeholder keeps the conversation readable. */
  async deletePost(actor: AccountDoc | null, key: MemberKey | null, postId: string): Promise<void> {
    const { store, docs, publish, changes } = this.deps;
    if (!actor) throw unauthorized('login_required');
    const { post, thread } = await docs.postWithContext(actor, postId, key);
    this.ensureAuthor(actor, key, post);
    if (post.state === 'deleted') throw conflict('post_removed');
    await store.transaction(async (tx) => {
      await eraseAsDeleted(tx, post, thread);
      await tx.collection(revisionsCollection).deleteWhere({ postId: post.id });
    });
    publish('thread', thread.id, 'post-removed', { postId: post.id });
    changes.changed(thread.id, post.id);
  }

  /** Toggles one supportive reaction; answers the post's new counts. */
  /** Reactions are kept under the member's blinded id for the board, so that no reaction links an account. */
  async react(actor: AccountDoc | null, key: MemberKey | null, postId: string, raw: unknown): Promise<{ reactions: Record<ReactionKind, number>; mine: boolean }> {
    const { store, docs, changes } = this.deps;
    if (!actor) throw unauthorized('login_required');
    const { post, thread, board } = await docs.postWithContext(actor, postId, key);
    const { kind } = parseInput(reactionInput, raw);
    if (!key) throw unauthorized('member_key_locked');
    const block = postingBlock(actor, board, thread);
    if (block && block !== 'thread_locked') throwBlock(block, actor);
    if (post.state !== 'visible') throw conflict('post_removed');
    const toggled = (await store.transaction((tx) => setReaction(tx, post, blindOnBoard(key, board.id), kind, 'toggle')))!;
    changes.changed(post.threadId, post.id);
    return { reactions: reactionCounts(toggled.doc.reactions), mine: toggled.on };
  }

  async report(actor: AccountDoc | null, key: MemberKey | null, postId: string, raw: unknown) {
    if (!actor) throw unauthorized('login_required');
    const { post, board } = await this.deps.docs.postWithContext(actor, postId, key);
    if (actor.status !== 'active') throw forbidden('pending_approval');
    if (isAuthor(actor, key, post)) throw unprocessable('report_own');
    return this.deps.moderation.fileReport(actor, { id: post.id, boardId: board.id }, raw);
  }

  /** Reactions stored before they carried their thread get it (or go, when their post is gone). */
  async backfillReactionThreads(): Promise<void> {
    const { docs } = this.deps;
    const orphans: { id: string; postId: string }[] = [];
    await eachPage(
      (after) => docs.reactions.find({ where: { threadId: null }, orderBy: { field: 'createdAt' }, limit: 500, after }),
      (r) => orphans.push({ id: r.id, postId: r.postId }),
    );
    for (const r of orphans) {
      const post = await docs.posts.get(r.postId);
      if (post) await docs.reactions.patch(r.id, { threadId: post.threadId });
      else await docs.reactions.delete(r.id);
    }
  }

  /**
   * An anonymous post is stored under the member's blinded id for the board and no account id; it needs the
   * member's key, which only their live session unwraps. A blinded id never comes from the client.
   */
  private byline(author: AccountDoc, key: MemberKey | null, board: BoardDoc, anonymous: boolean): Byline {
    if (!anonymous) return { authorId: author.id, anonymous: false, blindAuthor: null, blindBoardId: null };
    if (!key) throw unauthorized('member_key_locked');
    return { authorId: null, anonymous: true, blindAuthor: blindOnBoard(key, board.id), blindBoardId: board.id };
  }

  /** Someone else's post, or an anonymous one the member cannot prove with their key, is not theirs to change. */
  private ensureAuthor(actor: AccountDoc, key: MemberKey | null, post: PostDoc): void {
    if (isAuthor(actor, key, post)) return;
    if (post.anonymous && post.authorId === null && !key) throw unauthorized('member_key_locked');
    throw forbidden('not_author');
  }

  private async checkPosting(author: AccountDoc, byline: Byline, board: BoardDoc, texts: readonly string[], thread?: ThreadDoc): Promise<'visible' | 'pending'> {
    const { docs, moderation, postingLimit, identities } = this.deps;
    const block = postingBlock(author, board, thread);
    if (block) throwBlock(block, author);
    if (byline.blindAuthor && (await identities.banned(board.id, byline.blindAuthor))) throw forbidden('anonymous_banned');
    const moderator = canModerate(author, board);
    if (!moderator) {
      await postingLimit.consume(author.id);
      if (board.slowModeSeconds > 0) {
        const where = byline.blindAuthor ? { blindAuthor: byline.blindAuthor } : { boardId: board.id, authorId: author.id };
        const last = await docs.posts.find({ where, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 1 });
        const wait = last.items[0] ? Math.ceil((last.items[0].createdAt + board.slowModeSeconds * 1000 - Date.now()) / 1000) : 0;
        if (wait > 0) throw new AppError(429, 'slow_mode', 'error.slow_mode', { seconds: wait }, {}, wait);
      }
    }
    const verdict = await moderation.checkText(...texts);
    if (verdict === 'block') throw unprocessable('filtered');
    if (moderator) return 'visible';
    if (verdict === 'hold') return 'pending';
    if (board.approveFirstPosts && (await this.visiblePostCount(author, byline)) === 0) return 'pending';
    return 'visible';
  }

  /** The member's visible posts: named ones by account, and for an anonymous post also the ones of the same anonymous identity. */
  private async visiblePostCount(author: AccountDoc, byline: Byline): Promise<number> {
    const { posts } = this.deps.docs;
    const named = await posts.count({ authorId: author.id, state: 'visible' });
    return byline.blindAuthor ? named + (await posts.count({ blindAuthor: byline.blindAuthor, state: 'visible' })) : named;
  }
}
