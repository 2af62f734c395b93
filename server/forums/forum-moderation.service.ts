import type { AccountDoc } from '../accounts/accounts.collections.js';
import { conflict, fieldError, forbidden, notFound, unauthorized, unprocessable } from '../core/errors.js';
import type { MemberKey } from '../core/member-key.js';
import { parseInput } from '../core/validate.js';
import type { ModeratedBoard, ModeratedContent, ModeratedPost } from '../moderation/moderated-content.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import type { Store } from '../store/port.js';
import { eachPage } from '../store/paging.js';
import type { AnonymousIdentities } from './anonymous-identities.js';
import { isBlindAuthor } from './authorship.js';
import type { ForumChanges } from './changes.js';
import type { Publish } from '../core/live.js';
import type { ForumDocs } from './forum-docs.js';
import type { ForumViews, PostView, ThreadSummary } from './forum-views.js';
import { boardsCollection, postsCollection, threadsCollection, type BoardDoc, type PostDoc, type ThreadDoc } from './forums.collections.js';
import { banInput, liftBanInput, postModerationInput, threadModerationInput } from './forums.schemas.js';
import { canModerate, canSee } from './policy.js';
import { bump, bumpKey } from './post-writes.js';
import type { ReplyNotices } from './reply-notices.js';

/** An anonymous identity barred from a board, as its moderators see it. */
export interface AnonymousBanView {
  readonly id: string;
  readonly anonymousNumber: number | null;
  readonly reason: string;
}

export interface ForumModerationDeps {
  readonly store: Store;
  readonly docs: ForumDocs;
  readonly views: ForumViews;
  readonly moderation: ModerationService;
  readonly publish: Publish;
  readonly changes: ForumChanges;
  readonly identities: AnonymousIdentities;
  readonly replies: ReplyNotices;
}

/**
 * Moderators acting on posts and threads (hide, remove, approve, pin, lock,
 * move), and the forums' content as the moderation queue sees it.
 */
export class ForumModerationService implements ModeratedContent {
  constructor(private readonly deps: ForumModerationDeps) {}

  async moderatePost(actor: AccountDoc | null, postId: string, raw: unknown, key: MemberKey | null = null): Promise<PostView> {
    const { store, docs, views, moderation, publish, changes } = this.deps;
    const { post, thread, board } = await docs.postWithContext(actor, postId);
    if (!canModerate(actor, board)) throw forbidden('moderator_only');
    const moderator = actor!;
    const input = parseInput(postModerationInput, raw);
    if (input.action === 'remove' && input.reason.length < 3) {
      throw fieldError('reason', 'validation.reason_needed');
    }
    const target: Record<typeof input.action, PostDoc['state']> = { hide: 'hidden', unhide: 'visible', remove: 'removed', restore: 'visible', approve: 'visible' };
    const next = target[input.action];
    const allowedFrom: Record<typeof input.action, PostDoc['state'][]> = {
      hide: ['visible', 'pending'],
      unhide: ['hidden'],
      remove: ['visible', 'pending', 'hidden'],
      restore: ['removed'],
      approve: ['pending'],
    };
    if (!allowedFrom[input.action].includes(post.state)) throw conflict('wrong_state');
    const now = Date.now();
    const { updated, announce } = await store.transaction(async (tx) => {
      const doc = await tx.collection(postsCollection).patch(post.id, {
        state: next,
        removedReason: input.action === 'remove' ? input.reason : input.action === 'restore' ? null : post.removedReason,
      });
      const bcol = tx.collection(boardsCollection);
      const wasCounted = post.state === 'visible';
      const isCounted = next === 'visible';
      if (wasCounted !== isCounted) {
        await bcol.increment(board.id, { postCount: isCounted ? 1 : -1 });
        // The opening post is counted in the thread from the start; replies only while visible.
        if (thread.firstPostId !== post.id) await tx.collection(threadsCollection).increment(thread.id, { postCount: isCounted ? 1 : -1 });
      }
      if (input.action === 'remove') await bcol.increment(board.id, { removedCount: 1 });
      if (input.action === 'restore') await bcol.increment(board.id, { removedCount: -1 });
      if (thread.firstPostId === post.id) {
        const threadState = next === 'visible' ? 'visible' : next === 'removed' ? 'removed' : thread.state;
        if (threadState !== thread.state) {
          await tx.collection(threadsCollection).patch(thread.id, { state: threadState });
          await bcol.increment(board.id, { threadCount: threadState === 'visible' ? 1 : -1 });
        }
      } else if (input.action === 'approve') {
        await bump(tx, thread, board, now, false);
      }
      await moderation.resolveReportsFor(tx, post.id, input.action);
      await moderation.record(tx, moderator, { boardId: board.id, action: `post_${input.action}`, targetType: 'post', targetId: post.id, reason: input.reason });
      return { updated: doc!, announce: input.action === 'approve' ? await this.deps.replies.replied(tx, thread, doc!) : null };
    });
    publish('thread', thread.id, next === 'visible' ? 'post' : 'post-removed', { postId: post.id });
    changes.changed(thread.id, post.id);
    announce?.();
    return views.postView(moderator, key, updated, board, thread);
  }

  /**
   * Bars the anonymous identity behind a post from posting anonymously on its board again, on any session: the
   * member's next anonymous post there computes the same blinded id. Named posts are dealt with by suspending the
   * account instead.
   */
  async banAnonymous(actor: AccountDoc | null, postId: string, raw: unknown): Promise<{ anonymousNumber: number | null; board: string; threadId: string }> {
    const { store, docs, moderation, identities } = this.deps;
    const { post, board } = await docs.postWithContext(actor, postId);
    if (!canModerate(actor, board)) throw forbidden('moderator_only');
    const moderator = actor!;
    const { reason } = parseInput(banInput, raw);
    if (!post.anonymous || !post.blindAuthor) throw unprocessable('not_anonymous');
    const blindId = post.blindAuthor;
    const boardId = post.blindBoardId ?? post.boardId;
    await store.transaction(async (tx) => {
      await identities.ban(tx, boardId, blindId, reason);
      await moderation.record(tx, moderator, { boardId: board.id, action: 'anonymous_ban', targetType: 'post', targetId: post.id, reason });
    });
    const anonymousNumber = (await identities.numbersOn(boardId, [blindId])).get(blindId) ?? null;
    // A moved thread's anonymous posts are banned on the board their authors' ids were made for: its list shows the ban.
    const banBoard = boardId === board.id ? board : ((await docs.boards.get(boardId)) ?? board);
    return { anonymousNumber, board: banBoard.slug, threadId: post.threadId };
  }

  /** The anonymous identities barred from the board, as its moderators know them: by number and reason, never by account. */
  async anonymousBans(actor: AccountDoc | null, slug: string): Promise<{ board: { slug: string; name: string }; bans: AnonymousBanView[] }> {
    const board = await this.moderatedBoard(actor, slug);
    return { board: { slug: board.slug, name: board.name }, bans: await this.deps.identities.bansOn(board.id) };
  }

  /** Lets an anonymous identity post anonymously on the board again, with a log entry naming its number. */
  async liftAnonymousBan(actor: AccountDoc | null, slug: string, banId: string, raw: unknown = {}): Promise<{ anonymousNumber: number | null }> {
    const { store, moderation, identities } = this.deps;
    const board = await this.moderatedBoard(actor, slug);
    const { reason } = parseInput(liftBanInput, raw ?? {});
    if (typeof banId !== 'string' || banId.length > 64) throw notFound('ban_not_found');
    const anonymousNumber = await store.transaction(async (tx) => {
      const number = await identities.lift(tx, board.id, banId);
      const logged = `#${number ?? '?'}${reason ? `: ${reason}` : ''}`;
      await moderation.record(tx, actor!, { boardId: board.id, action: 'anonymous_unban', targetType: 'board', targetId: board.id, reason: logged });
      return number;
    });
    return { anonymousNumber };
  }

  private async moderatedBoard(actor: AccountDoc | null, slug: string): Promise<BoardDoc> {
    if (!actor) throw unauthorized('login_required');
    const board = await this.deps.docs.boardBySlug(slug);
    if (!canModerate(actor, board)) throw canSee(actor, board) ? forbidden('moderator_only') : notFound('board_not_found');
    return board;
  }

  async moderateThread(actor: AccountDoc | null, threadId: string, raw: unknown): Promise<ThreadSummary> {
    const { store, docs, views, moderation, changes } = this.deps;
    const { thread, board } = await docs.threadWithBoard(actor, threadId);
    if (!canModerate(actor, board)) throw forbidden('moderator_only');
    const moderator = actor!;
    const input = parseInput(threadModerationInput, raw);
    let patch: Partial<ThreadDoc> = {};
    let target: BoardDoc | null = null;
    switch (input.action) {
      case 'pin':
      case 'unpin':
        patch = { pinned: input.action === 'pin', bumpKey: bumpKey(input.action === 'pin', thread.lastPostAt) };
        break;
      case 'lock':
      case 'unlock':
        patch = { locked: input.action === 'lock' };
        break;
      case 'remove':
        if (thread.state === 'removed') throw conflict('wrong_state');
        if (input.reason.length < 3) {
          throw fieldError('reason', 'validation.reason_needed');
        }
        patch = { state: 'removed' };
        break;
      case 'restore':
        if (thread.state !== 'removed') throw conflict('wrong_state');
        patch = { state: 'visible' };
        break;
      case 'move':
        if (!input.board) throw fieldError('board', 'validation.required');
        target = await docs.boardBySlug(input.board);
        if (!canModerate(moderator, target)) throw forbidden('moderator_only');
        if (target.id === board.id) throw conflict('same_board');
        patch = { boardId: target.id };
        break;
    }
    const updated = await store.transaction(async (tx) => {
      const doc = await tx.collection(threadsCollection).patch(thread.id, patch);
      const bcol = tx.collection(boardsCollection);
      if (input.action === 'remove' && thread.state === 'visible') {
        await bcol.increment(board.id, { threadCount: -1, removedCount: 1 });
        await tx.collection(postsCollection).patch(thread.firstPostId, { state: 'removed', removedReason: input.reason });
      }
      if (input.action === 'restore') {
        await bcol.increment(board.id, { threadCount: 1, removedCount: -1 });
        await tx.collection(postsCollection).patch(thread.firstPostId, { state: 'visible', removedReason: null });
      }
      if (target) {
        const pcol = tx.collection(postsCollection);
        await eachPage(
          (after) => pcol.find({ where: { threadId: thread.id }, orderBy: { field: 'createdAt' }, limit: 200, after }),
          (p) => pcol.patch(p.id, { boardId: target.id }),
        );
        const counted = thread.state === 'visible' ? 1 : 0;
        await bcol.increment(board.id, { threadCount: -counted, postCount: -thread.postCount * counted });
        await bcol.increment(target.id, { threadCount: counted, postCount: thread.postCount * counted });
      }
      if (input.action === 'remove') await moderation.resolveReportsFor(tx, thread.firstPostId, 'thread_removed');
      await moderation.record(tx, moderator, {
        boardId: board.id,
        action: `thread_${input.action}`,
        targetType: 'thread',
        targetId: thread.id,
        reason: target ? `${input.reason} → ${target.slug}`.trim() : input.reason,
      });
      return doc!;
    });
    changes.changed(thread.id);
    return views.threadSummary(updated, await views.namesFor([updated]));
  }

  async boards(viewer: AccountDoc | null): Promise<ModeratedBoard[]> {
    return (await this.deps.docs.allBoards()).map((b) => ({
      id: b.id,
      slug: b.slug,
      name: b.name,
      postCount: b.postCount,
      removedCount: b.removedCount,
      visible: canSee(viewer, b),
      moderated: canModerate(viewer, b),
    }));
  }

  async pendingPosts(limit: number): Promise<ModeratedPost[]> {
    return this.moderated((await this.deps.docs.posts.find({ where: { state: 'pending' }, orderBy: { field: 'createdAt' }, limit })).items);
  }

  async posts(ids: readonly string[]): Promise<ModeratedPost[]> {
    return this.moderated(await this.deps.docs.posts.getMany([...ids]));
  }

  async ownAnonymous(key: MemberKey | null, ids: readonly string[]): Promise<ReadonlySet<string>> {
    if (!key) return new Set();
    const posts = await this.deps.docs.posts.getMany([...ids]);
    return new Set(posts.filter((p) => p.anonymous && isBlindAuthor(key, p)).map((p) => p.id));
  }

  private async moderated(list: readonly PostDoc[]): Promise<ModeratedPost[]> {
    const threads = new Map((await this.deps.docs.threads.getMany(list.map((p) => p.threadId))).map((t) => [t.id, t]));
    const numbers = await this.deps.identities.numbersFor(list);
    return list.map((p) => {
      const thread = threads.get(p.threadId);
      return {
        id: p.id,
        threadId: p.threadId,
        boardId: p.boardId,
        html: p.html,
        state: p.state,
        anonymous: p.anonymous,
        createdAt: p.createdAt,
        authorId: p.anonymous ? null : p.authorId,
        anonymousNumber: p.blindAuthor ? (numbers.get(p.blindAuthor) ?? null) : null,
        remoteHandle: p.remote?.address ?? null,
        thread: thread ? { id: thread.id, title: thread.title } : null,
      };
    });
  }
}
