import type { AccountDoc } from '../accounts/accounts.collections.js';
import { isStaff, type AccountsService } from '../accounts/accounts.service.js';
import { conflict, forbidden } from '../core/errors.js';
import type { MemberKey } from '../core/member-key.js';
import { parseInput } from '../core/validate.js';
import type { Store } from '../store/port.js';
import type { ModeratedBoard, ModeratedContent, ModeratedPost } from './moderated-content.js';
import type { ReportDoc } from './moderation.collections.js';
import { pageQuery, type ModerationService } from './moderation.service.js';

export interface ModerationQueueDeps {
  readonly store: Store;
  readonly moderation: ModerationService;
  /** Names of reporters and authors. */
  readonly accounts: Pick<AccountsService, 'publicNames'>;
  readonly content: ModeratedContent;
}

type Name = { readonly handle: string };

export interface QueueItem {
  readonly report: ReportDoc;
  readonly post: ModeratedPost | null;
  readonly board: ModeratedBoard;
  readonly author: Name | null;
  readonly reporter: Name | null;
}

export interface PendingItem {
  readonly post: ModeratedPost;
  readonly thread: { readonly id: string; readonly title: string };
  readonly board: ModeratedBoard;
  readonly author: Name | null;
}

/**
 * What moderators work from: the reports and posts waiting on the boards
 * they moderate, the moderation log, and the public transparency figures.
 */
export class ModerationQueueService {
  constructor(private readonly deps: ModerationQueueDeps) {}

  /**
   * The open reports on the boards `actor` moderates, with the reported post and its author when it is named.
   * Reports on the moderator's own posts, named or anonymous (found with their key), are withheld from them: a
   * reporter is never shown to the person reported, and nobody judges their own post. Those reports wait for the
   * other moderators, and every admin moderates every board, so they reach the admins when no one else moderates.
   */
  async reportQueue(actor: AccountDoc, key: MemberKey | null, raw: unknown = {}): Promise<{ next: string | null; items: QueueItem[] }> {
    const { moderation, accounts, content } = this.deps;
    const boards = await this.moderatedBoards(actor);
    const { after } = parseInput(pageQuery, raw);
    const page = await moderation.openReports(after, 50);
    const onBoards = page.items.filter((r) => boards.has(r.boardId));
    const own = await content.ownAnonymous(key, onBoards.map((r) => r.postId));
    const found = new Map((await content.posts(onBoards.map((r) => r.postId))).map((p) => [p.id, p]));
    const reports = onBoards.filter((r) => !own.has(r.postId) && found.get(r.postId)?.authorId !== actor.id);
    const postMap = new Map(reports.flatMap((r) => (found.has(r.postId) ? [[r.postId, found.get(r.postId)!] as const] : [])));
    const people = await accounts.publicNames([
      ...reports.map((r) => r.reporterId),
      ...[...postMap.values()].map((p) => p.authorId).filter((x): x is string => !!x),
    ]);
    return {
      next: page.next,
      items: reports.map((r) => {
        const post = postMap.get(r.postId) ?? null;
        return {
          report: r,
          post,
          board: boards.get(r.boardId)!,
          author: post?.authorId ? (people.get(post.authorId) ?? null) : post?.remoteHandle ? { handle: post.remoteHandle } : null,
          // Reports from another server's moderators (federation) name the server: `ap:<host>`.
          reporter: people.get(r.reporterId) ?? (r.reporterId.startsWith('ap:') ? { handle: r.reporterId.slice(3) } : null),
        };
      }),
    };
  }

  /** Posts waiting for a moderator, on the boards `actor` moderates. */
  async pendingPosts(actor: AccountDoc): Promise<PendingItem[]> {
    const boards = await this.moderatedBoards(actor);
    const mine = (await this.deps.content.pendingPosts(100)).filter((p) => boards.has(p.boardId));
    const names = await this.deps.accounts.publicNames(mine.map((p) => p.authorId).filter((x): x is string => !!x));
    return mine.map((p) => ({
      post: p,
      thread: p.thread!,
      board: boards.get(p.boardId)!,
      author: p.authorId ? (names.get(p.authorId) ?? null) : null,
    }));
  }

  async dismissReport(actor: AccountDoc, key: MemberKey | null, reportId: string): Promise<void> {
    const { store, moderation, content } = this.deps;
    const report = await moderation.getReport(reportId);
    const board = (await content.boards(actor)).find((b) => b.id === report.boardId);
    if (!board?.moderated) throw forbidden('moderator_only');
    if (await this.isOwnPost(actor, key, report.postId)) throw forbidden('own_post_report');
    if (report.status !== 'open') throw conflict('wrong_state');
    await store.transaction(async (tx) => {
      await moderation.resolveReportsFor(tx, report.postId, 'dismissed');
      await moderation.record(tx, actor, { boardId: board.id, action: 'report_dismissed', targetType: 'report', targetId: report.id, reason: '' });
    });
  }

  /** A moderator's action on a post from the queue: the content's own rules decide. */
  moderatePost(actor: AccountDoc | null, postId: string, raw: unknown): Promise<unknown> {
    return this.deps.content.moderatePost(actor, postId, raw);
  }

  async modLog(actor: AccountDoc, raw: unknown = {}) {
    if (!isStaff(actor)) throw forbidden('moderator_only');
    const page = parseInput(pageQuery, raw);
    const found = await this.deps.moderation.logPage(null, page.after, page.limit ?? 50);
    const names = await this.deps.accounts.publicNames(found.items.map((e) => e.actorId));
    return { next: found.next, items: found.items.map((e) => ({ ...e, actor: names.get(e.actorId)?.handle ?? null })) };
  }

  /** What moderators removed, per board: public, so members can see moderation happens and how much. */
  async transparency(viewer: AccountDoc | null): Promise<{ slug: string; name: string; removed: number; posts: number }[]> {
    return (await this.deps.content.boards(viewer)).filter((b) => b.visible).map((b) => ({ slug: b.slug, name: b.name, removed: b.removedCount, posts: b.postCount }));
  }

  /** Whether `actor` wrote this post, under their name or (found with their key) anonymously. */
  private async isOwnPost(actor: AccountDoc, key: MemberKey | null, postId: string): Promise<boolean> {
    const [post] = await this.deps.content.posts([postId]);
    return post?.authorId === actor.id || (await this.deps.content.ownAnonymous(key, [postId])).has(postId);
  }

  /** The boards `actor` moderates, by id; refused to members who moderate none. */
  private async moderatedBoards(actor: AccountDoc): Promise<Map<string, ModeratedBoard>> {
    const boards = new Map((await this.deps.content.boards(actor)).filter((b) => b.moderated).map((b) => [b.id, b]));
    if (!isStaff(actor) && boards.size === 0) throw forbidden('moderator_only');
    return boards;
  }
}
