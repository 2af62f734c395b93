import type { AccountDoc } from '../accounts/accounts.collections.js';
import { AppError, forbidden } from '../core/errors.js';
import type { MemberKey } from '../core/member-key.js';
import { parseInput } from '../core/validate.js';
import { excerpt } from '../content/markdown.js';
import { eachPage } from '../store/paging.js';
import { createTaggedCache } from '../store/tagged-cache.js';
import { authorOf, blindOnBoard, startedAnonymously, type AuthorView } from './authorship.js';
import type { ForumChanges } from './changes.js';
import type { ForumDocs } from './forum-docs.js';
import type { ForumViews, PostsContext, PostView, SearchHit, ThreadSummary, ThreadView, BoardView } from './forum-views.js';
import type { BoardDoc, PostDoc, ThreadDoc } from './forums.collections.js';
import { pageInput, searchInput } from './forums.schemas.js';
import { canModerate, canSee, ensureSee, postingBlock, postVisibleTo } from './policy.js';

/** Pages of posts kept whole: enough for the threads being read right now (see rosters for the rest). */
const THREAD_PAGES = 300;
const ROSTERS = 20_000;

interface PostsPage extends PostsContext {
  readonly items: readonly PostDoc[];
  readonly next: string | null;
}

/** A thread as federation sends it: its board's slug only while the board is public (federates). */
export interface OutboundThread {
  readonly id: string;
  readonly title: string;
  readonly firstPostId: string;
  readonly state: ThreadDoc['state'];
  readonly publicBoard: string | null;
  readonly locked: boolean;
  readonly pinned: boolean;
}

/** A post as federation sends it, its author shown by the forums' authorship rule. */
export interface OutboundPost {
  readonly id: string;
  readonly threadId: string;
  readonly state: PostDoc['state'];
  readonly author: AuthorView;
  /** The actor IRI of a post written on another server. */
  readonly remoteActor: string | null;
  readonly html: string;
  readonly contentWarning: string | null;
  readonly quoteOf: string | null;
  readonly reactionCount: number;
  readonly createdAt: number;
  readonly editedAt: number | null;
}

export interface ReadingDeps {
  readonly docs: ForumDocs;
  readonly views: ForumViews;
  readonly changes: ForumChanges;
}

/** Reading boards, threads and posts, and searching them; with the two caches that keep busy threads cheap. */
export class ReadingService {
  /**
   * Pages of a thread's posts as stored, with the posts they quote and their authors' names: the same for every
   * reader (each reader's view is made from it), and most reads are of the same busy threads.
   */
  private readonly threadPages = createTaggedCache<PostsPage>({ maxEntries: THREAD_PAGES, ttlMs: 60_000 });
  /**
   * Who has something of their own on a page of a thread (see threadAnswer): a few ids per page where
   * threadPages holds whole posts, so it covers many more pages in a fraction of the memory.
   */
  private readonly rosters = createTaggedCache<ReadonlySet<string>>({ maxEntries: ROSTERS, ttlMs: 60_000 });

  constructor(private readonly deps: ReadingDeps) {
    deps.changes.onChange((threadId) => {
      this.threadPages.invalidate(threadId);
      this.rosters.invalidate(threadId);
    });
  }

  async listThreads(viewer: AccountDoc | null, slug: string, raw: unknown = {}): Promise<{ board: BoardView; threads: ThreadSummary[]; next: string | null }> {
    const { docs, views } = this.deps;
    const board = await docs.boardBySlug(slug);
    ensureSee(viewer, board);
    const page = parseInput(pageInput, raw);
    const found = await docs.threads.find({
      where: { boardId: board.id, state: 'visible' },
      orderBy: { field: 'bumpKey', direction: 'desc' },
      limit: page.limit ?? 30,
      after: page.after ?? null,
    });
    const names = await views.namesFor(found.items);
    return { board: views.boardView(viewer, board), threads: found.items.map((t) => views.threadSummary(t, names)), next: found.next };
  }

  async getThread(viewer: AccountDoc | null, key: MemberKey | null, threadId: string, raw: unknown = {}): Promise<ThreadView> {
    const { thread, board } = await this.deps.docs.threadWithBoard(viewer, threadId, key);
    return this.threadView(viewer, key, thread, board, parseInput(pageInput, raw));
  }

  /**
   * getThread in two steps, for answers made once for many readers: `key`
   * is shared by every viewer who sees this page of the thread exactly as
   * `viewer` does, and names `viewer` when their view is their own (they
   * moderate the board, started the thread, wrote a post on the page, where
   * their own held or removed posts show to them alone, or reacted to one);
   * `view` makes the view. Throws as getThread does when `viewer` may not
   * read the thread.
   */
  async threadAnswer(viewer: AccountDoc | null, memberKey: MemberKey | null, threadId: string, raw: unknown = {}): Promise<{ key: string; view: () => Promise<ThreadView> }> {
    const { thread, board } = await this.deps.docs.threadWithBoard(viewer, threadId, memberKey);
    const page = parseInput(pageInput, raw);
    const view = () => this.threadView(viewer, memberKey, thread, board, page);
    const limit = page.limit ?? 30;
    const after = page.after ?? null;
    // A reader with something of their own on the page (a post, a reaction, the thread, moderation rights) gets an
    // answer of their own, kept under their id: re-reading a thread you took part in is common, and it is as
    // fresh as the shared one, since anything that changes the page drops every answer for it.
    let own = '';
    if (viewer) {
      const moderator = canModerate(viewer, board);
      const blindId = memberKey ? blindOnBoard(memberKey, board.id) : null;
      const roster = await this.pageRoster(thread.id, limit, after);
      const started = thread.authorId === viewer.id || (!!blindId && thread.blindAuthor === blindId);
      if (moderator || started || roster.has(viewer.id) || (!!blindId && roster.has(blindId))) {
        own = `${viewer.id}${moderator ? ':moderator' : ''}`;
      }
    }
    // What else differs between viewers: whether they may post on the board and reply in the thread.
    return { key: [thread.id, limit, after ?? '', postingBlock(viewer, board) ?? '', postingBlock(viewer, board, thread) ?? '', own].join('\u0000'), view };
  }

  /** Whether `viewer` may read the thread: for live-update subscriptions. */
  async canViewThread(viewer: AccountDoc | null, key: MemberKey | null, threadId: string): Promise<boolean> {
    try {
      await this.deps.docs.threadWithBoard(viewer, threadId, key);
      return true;
    } catch (error) {
      if (error instanceof AppError) return false;
      throw error;
    }
  }

  async getPost(viewer: AccountDoc | null, key: MemberKey | null, postId: string): Promise<PostView> {
    const { post, thread, board } = await this.deps.docs.postWithContext(viewer, postId, key);
    return this.deps.views.postView(viewer, key, post, board, thread);
  }

  /** Earlier versions of an edited post, for the board's moderators. */
  async revisions(actor: AccountDoc | null, postId: string): Promise<{ body: string; contentWarning: string | null; createdAt: number }[]> {
    const { docs } = this.deps;
    const { post, board } = await docs.postWithContext(actor, postId);
    if (!canModerate(actor, board)) throw forbidden('moderator_only');
    return (await docs.revisions.find({ where: { postId: post.id }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 100 })).items.map((r) => ({
      body: r.body,
      contentWarning: r.contentWarning,
      createdAt: r.createdAt,
    }));
  }

  async search(viewer: AccountDoc | null, key: MemberKey | null, raw: unknown): Promise<{ hits: SearchHit[]; next: string | null }> {
    const { docs, views } = this.deps;
    const input = parseInput(searchInput, raw);
    const found = await docs.posts.search(input.q, { where: { state: 'visible' }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 20, after: input.after ?? null });
    const boardMap = new Map((await docs.allBoards()).map((b) => [b.id, b]));
    const threadMap = new Map((await docs.threads.getMany([...new Set(found.items.map((p) => p.threadId))])).map((t) => [t.id, t]));
    const hits: SearchHit[] = [];
    for (const p of found.items) {
      const board = boardMap.get(p.boardId);
      const thread = threadMap.get(p.threadId);
      if (!board || !thread || thread.state !== 'visible' || !canSee(viewer, board)) continue;
      hits.push({ post: await views.postView(viewer, key, p, board, thread), threadTitle: thread.title, boardSlug: board.slug, excerpt: excerpt(p.body, 240) });
    }
    return { hits, next: found.next };
  }

  /** A thread for federation, whatever its state (federation takes back what is no longer shown). */
  async outboundThread(threadId: string): Promise<OutboundThread | null> {
    const { docs } = this.deps;
    const thread = await docs.threads.get(threadId);
    if (!thread) return null;
    const board = await docs.boards.get(thread.boardId);
    return {
      id: thread.id,
      title: thread.title,
      firstPostId: thread.firstPostId,
      state: thread.state,
      publicBoard: board && board.visibility === 'public' ? board.slug : null,
      locked: !!thread.locked,
      pinned: !!thread.pinned,
    };
  }

  /** The board a post is on, with whether it shows pictures from other servers (server/photos.ts); null for no post. */
  async boardOfPost(postId: string): Promise<{ readonly id: string; readonly remoteMedia: boolean } | null> {
    const post = await this.deps.docs.posts.get(postId);
    const board = post ? await this.deps.docs.boards.get(post.boardId) : null;
    return board ? { id: board.id, remoteMedia: board.remoteMedia !== false } : null;
  }

  /** A post for federation, whatever its state. */
  async outboundPost(postId: string): Promise<OutboundPost | null> {
    const { docs, views } = this.deps;
    const post = await docs.posts.get(postId);
    if (!post) return null;
    return {
      id: post.id,
      threadId: post.threadId,
      state: post.state,
      author: authorOf(post, await views.namesFor([post])),
      remoteActor: post.remote?.actor ?? null,
      html: post.html,
      contentWarning: post.contentWarning,
      quoteOf: post.quoteOf,
      reactionCount: Object.values(post.reactions).reduce((a, b) => a + b, 0),
      createdAt: post.createdAt,
      editedAt: post.editedAt,
    };
  }

  private async postsPage(threadId: string, limit: number, after: string | null): Promise<PostsPage> {
    const key = `${threadId}|${limit}|${after ?? ''}`;
    const known = this.threadPages.get(key);
    if (known) return known;
    const version = this.threadPages.version();
    const found = await this.deps.docs.posts.find({ where: { threadId }, orderBy: { field: 'createdAt' }, limit, after });
    const page = { items: found.items, next: found.next, ...(await this.deps.views.postsContext(found.items)) };
    this.threadPages.set(key, threadId, page, version);
    return page;
  }

  /** The authors of the posts on a page of a thread and the members who reacted to them. */
  private async pageRoster(threadId: string, limit: number, after: string | null): Promise<ReadonlySet<string>> {
    const key = `${threadId}|${limit}|${after ?? ''}`;
    const known = this.rosters.get(key);
    if (known) return known;
    const version = this.rosters.version();
    const { items } = await this.postsPage(threadId, limit, after);
    // Account ids of named authors, blinded ids of anonymous authors and of reactors: threadAnswer tests both.
    const people = new Set(items.map((p) => p.authorId ?? p.blindAuthor ?? null).filter((id): id is string => id !== null));
    const shown = new Set(items.map((p) => p.id));
    await eachPage(
      (next) => this.deps.docs.reactions.find({ where: { threadId }, orderBy: { field: 'createdAt' }, limit: 500, after: next }),
      (r) => {
        if (shown.has(r.postId) && r.reactorId) people.add(r.reactorId);
      },
    );
    this.rosters.set(key, threadId, people, version);
    return people;
  }

  private async threadView(viewer: AccountDoc | null, key: MemberKey | null, thread: ThreadDoc, board: BoardDoc, page: { readonly limit?: number; readonly after?: string }): Promise<ThreadView> {
    const { views } = this.deps;
    const found = await this.postsPage(thread.id, page.limit ?? 30, page.after ?? null);
    const shown = found.items.filter((p) => postVisibleTo(viewer, key, p, board));
    const names = await views.namesFor([thread]);
    const block = postingBlock(viewer, board, thread);
    const opening = viewer && thread.anonymous ? (found.items.find((p) => p.id === thread.firstPostId) ?? (await this.deps.docs.posts.get(thread.firstPostId))) : null;
    return {
      board: views.boardView(viewer, board),
      thread: views.threadSummary(thread, names),
      posts: await views.postViews(viewer, key, shown, board, thread, found),
      next: found.next,
      canReply: block === null,
      replyBlocked: block,
      replyAnonymously: startedAnonymously(viewer, key, thread, opening),
    };
  }
}
