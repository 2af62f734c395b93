import { DuplicateKeyError, type Store, type TxScope } from '../store/port.js';
import type { SeedLanguage } from '../i18n/i18n.js';
import { newId } from '../crypto.js';
import { AppError, conflict, fieldError, forbidden, notFound, unauthorized, unprocessable } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import type { Limiter } from '../core/rate-limit.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import { isStaff, isSuspended, type AccountsService } from '../accounts/accounts.service.js';
import type { AccountHooks } from '../accounts/account-hooks.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import { cleanHtml, excerpt, renderBody } from '../content/markdown.js';
import { QUOTE_EXCERPT_LENGTH, quoteExcerpt } from './quote-excerpt.js';
import {
  boardsCollection,
  postsCollection,
  reactionsCollection,
  REVISION_RETENTION_MS,
  revisionsCollection,
  threadsCollection,
  type BoardDoc,
  type PostDoc,
  type RemoteAuthor,
  type ThreadDoc,
} from './forums.collections.js';
import {
  boardInput,
  boardPatchInput,
  editInput,
  pageInput,
  postModerationInput,
  reactionInput,
  remoteEditInput,
  remotePostInput,
  replyInput,
  searchInput,
  threadInput,
  threadModerationInput,
} from './forums.schemas.js';
import { reactionKinds, type ReactionKind } from './reactions.js';
import { eachPage } from '../store/paging.js';
import { createTaggedCache } from '../store/tagged-cache.js';

/** Publishes live events (ids only) to open pages; see server/realtime. */
export type Publish = (family: string, id: string, event: string, payload: Record<string, unknown>) => void;

export type AuthorView =
  | { readonly kind: 'member'; readonly handle: string; readonly displayName: string }
  | { readonly kind: 'remote'; readonly name: string; readonly address: string; readonly url: string | null }
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'deleted' };

export interface BoardView {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly description: string;
  readonly language: string;
  readonly visibility: BoardDoc['visibility'];
  readonly position: number;
  readonly archived: boolean;
  readonly approveFirstPosts: boolean;
  readonly slowModeSeconds: number;
  readonly threadCount: number;
  readonly postCount: number;
  readonly canModerate: boolean;
  readonly canPost: boolean;
}

export interface ThreadSummary {
  readonly id: string;
  readonly title: string;
  readonly author: AuthorView;
  readonly pinned: boolean;
  readonly locked: boolean;
  readonly state: ThreadDoc['state'];
  readonly replyCount: number;
  readonly createdAt: number;
  readonly lastPostAt: number;
}

export type ChangeListener = (threadId: string | null, postId?: string) => void;

export interface PostView {
  readonly id: string;
  readonly threadId: string;
  readonly author: AuthorView;
  readonly html: string;
  readonly contentWarning: string | null;
  readonly quote: { readonly id: string; readonly author: AuthorView; readonly excerpt: string } | null;
  readonly reactions: Readonly<Record<ReactionKind, number>>;
  readonly myReactions: readonly ReactionKind[];
  readonly state: PostDoc['state'];
  /** Only for the author and moderators. */
  readonly removedReason: string | null;
  readonly createdAt: number;
  readonly editedAt: number | null;
  readonly mine: boolean;
  /** The Markdown source, only for the author (to edit it). */
  readonly body?: string;
  readonly canEdit: boolean;
  readonly canModerate: boolean;
  readonly isOpening: boolean;
}

export interface ThreadView {
  readonly board: BoardView;
  readonly thread: ThreadSummary;
  readonly posts: readonly PostView[];
  readonly next: string | null;
  readonly canReply: boolean;
  /** Why the viewer cannot reply, as an error code, when they cannot. */
  readonly replyBlocked: string | null;
}

export interface SearchHit {
  readonly post: PostView;
  readonly threadTitle: string;
  readonly boardSlug: string;
  readonly excerpt: string;
}

export interface ForumsDeps {
  readonly store: Store;
  readonly accounts: AccountsService;
  readonly moderation: ModerationService;
  readonly hooks: AccountHooks;
  readonly postingLimit: Limiter;
  readonly publish: Publish;
}

const PINNED = 1e15;
const bumpKey = (pinned: boolean, lastPostAt: number) => (pinned ? PINNED : 0) + lastPostAt;

/** The first boards of a fresh instance, so that a newcomer sees a working forum at once; admins rename or delete them. */
/** A fresh instance's boards, named in its default language (catalogue keys); admins rename them at will. */
export const starterBoards = [
  { slug: 'general', name: 'starter.general', description: 'starter.general_about' },
  { slug: 'health', name: 'starter.health', description: 'starter.health_about' },
  { slug: 'rights-and-safety', name: 'starter.rights', description: 'starter.rights_about' },
] as const;

/** Pages of posts kept whole: enough for the threads being read right now (see rosters for the rest). */
const THREAD_PAGES = 300;
const ROSTERS = 20_000;

export function createForumsService(deps: ForumsDeps) {
  const { store, accounts, moderation, hooks, postingLimit, publish } = deps;
  const boards = store.collection(boardsCollection);
  const threads = store.collection(threadsCollection);
  const posts = store.collection(postsCollection);
  const reactions = store.collection(reactionsCollection);
  const revisions = store.collection(revisionsCollection);
  /**
   * Pages of a thread's posts as stored, with the posts they quote and their authors' names: the same for every
   * reader (each reader's view is made from it), and most reads are of the same busy threads.
   */
  const threadPages = createTaggedCache<PostsPage>({ maxEntries: THREAD_PAGES, ttlMs: 60_000 });
  /**
   * Who has something of their own on a page of a thread (see threadAnswer): a few ids per page where
   * threadPages holds whole posts, so it covers many more pages in a fraction of the memory.
   */
  const rosters = createTaggedCache<ReadonlySet<string>>({ maxEntries: ROSTERS, ttlMs: 60_000 });
  const changeListeners = new Set<ChangeListener>([
    (threadId) => {
      threadPages.invalidate(threadId);
      rosters.invalidate(threadId);
    },
  ]);
  /**
   * Tells listeners (page caches, federation) that what a thread shows changed; null: possibly every thread.
   * `postId` names the one post that changed, when only one did.
   */
  const changed = (threadId: string | null, postId?: string) => {
    for (const listener of changeListeners) listener(threadId, postId);
  };

  // ---- who may do what -------------------------------------------------

  const active = (a: AccountDoc | null): a is AccountDoc => !!a && a.status === 'active';
  const canModerate = (a: AccountDoc | null, board: BoardDoc) => active(a) && (isStaff(a) || board.moderatorIds.includes(a.id));

  function canSee(viewer: AccountDoc | null, board: BoardDoc): boolean {
    if (canModerate(viewer, board)) return true;
    if (board.visibility === 'public') return true;
    return !!viewer && viewer.status !== 'deleted';
  }

  function ensureSee(viewer: AccountDoc | null, board: BoardDoc): void {
    if (!canSee(viewer, board)) throw viewer ? notFound('board_not_found') : unauthorized('login_required');
  }

  /** Why `viewer` cannot post on `board` now, or null. */
  function postingBlock(viewer: AccountDoc | null, board: BoardDoc, thread?: ThreadDoc): string | null {
    if (!viewer) return 'login_required';
    if (viewer.status !== 'active') return 'pending_approval';
    if (isSuspended(viewer)) return 'suspended';
    if (board.archived) return 'board_archived';
    if (thread?.locked && !canModerate(viewer, board)) return 'thread_locked';
    if (thread && thread.state !== 'visible' && !canModerate(viewer, board)) return 'thread_not_found';
    return null;
  }

  function throwBlock(code: string, viewer: AccountDoc | null): never {
    switch (code) {
      case 'login_required':
        throw unauthorized('login_required');
      case 'suspended': {
        const until = viewer?.suspendedUntil ?? 0;
        throw new AppError(403, 'suspended', 'error.suspended', { until: new Date(until).toISOString().slice(0, 10) });
      }
      case 'thread_locked':
      case 'board_archived':
        throw conflict(code);
      case 'thread_not_found':
        throw notFound(code);
      default:
        throw forbidden(code);
    }
  }

  // ---- views -----------------------------------------------------------

  function boardView(viewer: AccountDoc | null, b: BoardDoc): BoardView {
    return {
      id: b.id,
      slug: b.slug,
      name: b.name,
      description: b.description,
      language: b.language,
      visibility: b.visibility,
      position: b.position,
      archived: b.archived,
      approveFirstPosts: b.approveFirstPosts,
      slowModeSeconds: b.slowModeSeconds,
      threadCount: b.threadCount,
      postCount: b.postCount,
      canModerate: canModerate(viewer, b),
      canPost: postingBlock(viewer, b) === null,
    };
  }

  type Names = Map<string, { handle: string; displayName: string }>;

  function authorOf(doc: { authorId: string | null; anonymous: boolean; remote?: RemoteAuthor | null }, names: Names): AuthorView {
    if (doc.anonymous) return { kind: 'anonymous' };
    if (doc.remote) return { kind: 'remote', name: doc.remote.name, address: doc.remote.address, url: doc.remote.url };
    const name = doc.authorId ? names.get(doc.authorId) : undefined;
    return name ? { kind: 'member', handle: name.handle, displayName: name.displayName } : { kind: 'deleted' };
  }

  const namesFor = (docs: readonly { authorId: string | null; anonymous: boolean }[]) =>
    accounts.publicNames(docs.filter((d) => !d.anonymous && d.authorId).map((d) => d.authorId!));

  function threadSummary(t: ThreadDoc, names: Names): ThreadSummary {
    return {
      id: t.id,
      title: t.title,
      author: authorOf(t, names),
      pinned: t.pinned,
      locked: t.locked,
      state: t.state,
      replyCount: Math.max(0, t.postCount - 1),
      createdAt: t.createdAt,
      lastPostAt: t.lastPostAt,
    };
  }

  /** Whether `viewer` sees this post at all (others' pending, hidden or removed posts are not shown). */
  function postVisibleTo(viewer: AccountDoc | null, p: PostDoc, board: BoardDoc): boolean {
    if (p.state === 'visible' || p.state === 'deleted') return true;
    if (canModerate(viewer, board)) return true;
    return !!viewer && p.authorId === viewer.id;
  }

  interface PostsPage {
    readonly items: readonly PostDoc[];
    readonly next: string | null;
    readonly quoted: ReadonlyMap<string, PostDoc>;
    /** The text shown under a quoting post, by quoted post id: parsing the Markdown again for each view was a large part of a view's cost. */
    readonly excerpts: ReadonlyMap<string, string>;
    readonly names: Names;
  }

  async function withQuotesAndNames(list: readonly PostDoc[]): Promise<Pick<PostsPage, 'quoted' | 'excerpts' | 'names'>> {
    const quotedIds = list.map((p) => p.quoteOf).filter((q): q is string => !!q);
    const quoted = new Map((await posts.getMany(quotedIds)).map((q) => [q.id, q]));
    const excerpts = new Map([...quoted.values()].filter((q) => q.state === 'visible').map((q) => [q.id, q.excerpt ?? excerpt(q.body, QUOTE_EXCERPT_LENGTH)]));
    return { quoted, excerpts, names: await namesFor([...list, ...quoted.values()]) };
  }

  async function postsPage(threadId: string, limit: number, after: string | null): Promise<PostsPage> {
    const key = `${threadId}|${limit}|${after ?? ''}`;
    const known = threadPages.get(key);
    if (known) return known;
    const version = threadPages.version();
    const found = await posts.find({ where: { threadId }, orderBy: { field: 'createdAt' }, limit, after });
    const page = { items: found.items, next: found.next, ...(await withQuotesAndNames(found.items)) };
    threadPages.set(key, threadId, page, version);
    return page;
  }

  /** The authors of the posts on a page of a thread and the members who reacted to them. */
  async function pageRoster(threadId: string, limit: number, after: string | null): Promise<ReadonlySet<string>> {
    const key = `${threadId}|${limit}|${after ?? ''}`;
    const known = rosters.get(key);
    if (known) return known;
    const version = rosters.version();
    const { items } = await postsPage(threadId, limit, after);
    const people = new Set(items.map((p) => p.authorId).filter((id): id is string => id !== null));
    const shown = new Set(items.map((p) => p.id));
    await eachPage(
      (next) => reactions.find({ where: { threadId }, orderBy: { field: 'createdAt' }, limit: 500, after: next }),
      (r) => {
        if (shown.has(r.postId)) people.add(r.accountId);
      },
    );
    rosters.set(key, threadId, people, version);
    return people;
  }

  async function postViews(
    viewer: AccountDoc | null,
    list: readonly PostDoc[],
    board: BoardDoc,
    thread: ThreadDoc,
    known?: Pick<PostsPage, 'quoted' | 'excerpts' | 'names'>,
  ): Promise<PostView[]> {
    const { quoted, excerpts, names } = known ?? (await withQuotesAndNames(list));
    const mine = await reactionsOf(viewer, thread.id, list);
    const moderator = canModerate(viewer, board);
    return list.map((p) => {
      const own = !!viewer && p.authorId === viewer.id;
      const q = p.quoteOf ? quoted.get(p.quoteOf) : undefined;
      const excerpt = q ? excerpts.get(q.id) : undefined;
      const quoteShown = q && excerpt !== undefined;
      const counts = Object.fromEntries(reactionKinds.map((k) => [k, p.reactions[k] ?? 0])) as Record<ReactionKind, number>;
      return {
        id: p.id,
        threadId: p.threadId,
        author: authorOf(p, names),
        html: p.state === 'deleted' ? '' : p.html,
        contentWarning: p.contentWarning,
        quote: quoteShown ? { id: q.id, author: authorOf(q, names), excerpt } : null,
        reactions: counts,
        myReactions: mine.get(p.id) ?? [],
        state: p.state,
        removedReason: own || moderator ? p.removedReason : null,
        createdAt: p.createdAt,
        editedAt: p.editedAt,
        mine: own,
        ...(own && p.state !== 'deleted' ? { body: p.body } : {}),
        canEdit: own && p.state !== 'deleted' && p.state !== 'removed',
        canModerate: moderator,
        isOpening: p.id === thread.firstPostId,
      };
    });
  }

  /** The reactions `viewer` gave to posts in `list`, by post id. */
  async function reactionsOf(viewer: AccountDoc | null, threadId: string, list: readonly PostDoc[]): Promise<Map<string, ReactionKind[]>> {
    const mine = new Map<string, ReactionKind[]>();
    if (!viewer) return mine;
    const shown = new Set(list.map((p) => p.id));
    await eachPage(
      (after) => reactions.find({ where: { accountId: viewer.id, threadId }, orderBy: { field: 'createdAt' }, limit: 500, after }),
      (r) => {
        if (shown.has(r.postId)) mine.set(r.postId, [...(mine.get(r.postId) ?? []), r.kind as ReactionKind]);
      },
    );
    return mine;
  }

  async function threadView(viewer: AccountDoc | null, thread: ThreadDoc, board: BoardDoc, page: { readonly limit?: number; readonly after?: string }): Promise<ThreadView> {
    const found = await postsPage(thread.id, page.limit ?? 30, page.after ?? null);
    const shown = found.items.filter((p) => postVisibleTo(viewer, p, board));
    const names = await namesFor([thread]);
    const block = postingBlock(viewer, board, thread);
    return {
      board: boardView(viewer, board),
      thread: threadSummary(thread, names),
      posts: await postViews(viewer, shown, board, thread, found),
      next: found.next,
      canReply: block === null,
      replyBlocked: block,
    };
  }

  const reactionId = (postId: string, accountId: string, kind: string) => `${postId}.${accountId}.${kind}`;

  // ---- loading with checks ---------------------------------------------

  /**
   * Board ids by slug. Every board page and every federated activity names its board by slug, and a query by
   * slug cost more than the rest of reading the board: by id, it comes from the documents the store keeps.
   */
  const boardIdsBySlug = new Map<string, string>();

  async function boardBySlug(slug: string): Promise<BoardDoc> {
    if (typeof slug !== 'string' || slug.length > 60) throw notFound('board_not_found');
    const knownId = boardIdsBySlug.get(slug);
    const known = knownId === undefined ? null : await boards.get(knownId);
    // Slugs are unique, so a board that still has this slug is the one; one renamed or gone is looked up again.
    const board = known?.slug === slug ? known : await boards.findOne({ slug });
    if (!board) {
      boardIdsBySlug.delete(slug);
      throw notFound('board_not_found');
    }
    boardIdsBySlug.set(slug, board.id);
    return board;
  }

  async function threadWithBoard(viewer: AccountDoc | null, threadId: string): Promise<{ thread: ThreadDoc; board: BoardDoc }> {
    const thread = await threads.get(threadId);
    if (!thread) throw notFound('thread_not_found');
    const board = await boards.get(thread.boardId);
    if (!board) throw notFound('thread_not_found');
    ensureSee(viewer, board);
    const firstMine = !!viewer && thread.authorId === viewer.id;
    if (thread.state !== 'visible' && !canModerate(viewer, board) && !firstMine) throw notFound('thread_not_found');
    return { thread, board };
  }

  async function postWithContext(viewer: AccountDoc | null, postId: string) {
    const post = await posts.get(postId);
    if (!post) throw notFound('post_not_found');
    const { thread, board } = await threadWithBoard(viewer, post.threadId);
    if (!postVisibleTo(viewer, post, board)) throw notFound('post_not_found');
    return { post, thread, board };
  }

  // ---- posting rules ---------------------------------------------------

  async function checkPosting(author: AccountDoc, board: BoardDoc, texts: readonly string[], thread?: ThreadDoc): Promise<'visible' | 'pending'> {
    const block = postingBlock(author, board, thread);
    if (block) throwBlock(block, author);
    const moderator = canModerate(author, board);
    if (!moderator) {
      await postingLimit.consume(author.id);
      if (board.slowModeSeconds > 0) {
        const last = await posts.find({ where: { boardId: board.id, authorId: author.id }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 1 });
        const wait = last.items[0] ? Math.ceil((last.items[0].createdAt + board.slowModeSeconds * 1000 - Date.now()) / 1000) : 0;
        if (wait > 0) throw new AppError(429, 'slow_mode', 'error.slow_mode', { seconds: wait }, {}, wait);
      }
    }
    const verdict = moderation.checkText(...texts);
    if (verdict === 'block') throw unprocessable('filtered');
    if (moderator) return 'visible';
    if (verdict === 'hold') return 'pending';
    if (board.approveFirstPosts && (await posts.count({ authorId: author.id, state: 'visible' })) === 0) return 'pending';
    return 'visible';
  }

  /** Remote HTML cleaned like ours, with its plain text (for filters and search); refused when nothing is left. */
  function remoteHtml(source: string): { html: string; text: string } {
    const html = cleanHtml(source);
    const text = html.replace(/<[^>]*>/g, ' ').replace(/&nbsp;/g, ' ').replace(/\s+/g, ' ').trim();
    if (!text) throw fieldError('body', 'validation.empty_body');
    return { html, text };
  }

  /** A new post as every new post starts, whoever wrote it and from wherever. */
  function newPost(fields: Omit<PostDoc, 'id' | 'removedReason' | 'reactions' | 'createdAt' | 'editedAt'>, now: number): PostDoc {
    return { id: newId(), ...fields, excerpt: quoteExcerpt(fields.body), removedReason: null, reactions: {}, createdAt: now, editedAt: null };
  }

  /** The thread `post` opens. */
  function newThread(post: PostDoc, opening: Pick<ThreadDoc, 'title' | 'state'>, now: number): ThreadDoc {
    return {
      id: post.threadId,
      boardId: post.boardId,
      title: opening.title,
      firstPostId: post.id,
      authorId: post.authorId,
      anonymous: post.anonymous,
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

  async function insertThread(tx: TxScope, thread: ThreadDoc, post: PostDoc): Promise<void> {
    await tx.collection(postsCollection).insert(post);
    await tx.collection(threadsCollection).insert(thread);
    if (post.state === 'visible') await tx.collection(boardsCollection).increment(thread.boardId, { threadCount: 1, postCount: 1 });
  }

  // ---- boards ----------------------------------------------------------

  async function allBoards(): Promise<BoardDoc[]> {
    return (await boards.find({ orderBy: { field: 'position' }, limit: 500 })).items;
  }

  /** Reactions stored before they carried their thread get it (or go, when their post is gone). */
  async function backfillReactionThreads(): Promise<void> {
    const orphans: { id: string; postId: string }[] = [];
    await eachPage(
      (after) => reactions.find({ where: { threadId: null }, orderBy: { field: 'createdAt' }, limit: 500, after }),
      (r) => orphans.push({ id: r.id, postId: r.postId }),
    );
    for (const r of orphans) {
      const post = await posts.get(r.postId);
      if (post) await reactions.patch(r.id, { threadId: post.threadId });
      else await reactions.delete(r.id);
    }
  }

  async function seedStarterBoards(language: SeedLanguage): Promise<void> {
    if ((await boards.count()) > 0) return;
    const now = Date.now();
    await store.transaction(async (tx) => {
      const col = tx.collection(boardsCollection);
      for (const [i, b] of starterBoards.entries()) {
        await col.insert({
          id: newId(),
          slug: b.slug,
          name: language.text(b.name),
          description: language.text(b.description),
          language: language.locale,
          visibility: 'public',
          position: (i + 1) * 10,
          archived: false,
          approveFirstPosts: false,
          slowModeSeconds: 0,
          moderatorIds: [],
          threadCount: 0,
          postCount: 0,
          removedCount: 0,
          createdAt: now,
          updatedAt: now,
        });
      }
    });
  }

  async function handlesToIds(handles: readonly string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const h of handles) {
      const account = await accounts.byHandle(h);
      if (!account || account.status !== 'active') throw unprocessable('moderator_unknown', { handle: h });
      ids.push(account.id);
    }
    return ids;
  }

  // ---- account lifecycle -----------------------------------------------

  hooks.onDeleted(async (tx, accountId, content) => {
    const col = tx.collection(postsCollection);
    const tcol = tx.collection(threadsCollection);
    let after: string | null = null;
    do {
      const page = await col.find({ where: { authorId: accountId }, orderBy: { field: 'createdAt' }, limit: 200, after });
      for (const p of page.items) {
        if (content === 'delete') {
          await col.patch(p.id, { authorId: null, body: '', html: '', excerpt: '', title: undefined, contentWarning: null, state: 'deleted' });
          const t = await tcol.get(p.threadId);
          if (t && t.firstPostId === p.id) await tcol.patch(t.id, { title: '', authorId: null });
        } else {
          await col.patch(p.id, { authorId: null });
          const t = await tcol.get(p.threadId);
          if (t && t.firstPostId === p.id) await tcol.patch(t.id, { authorId: null });
        }
      }
      after = page.next;
    } while (after);
    let rafter: string | null = null;
    const rcol = tx.collection(reactionsCollection);
    do {
      const page = await rcol.find({ where: { accountId }, orderBy: { field: 'createdAt' }, limit: 200, after: rafter });
      for (const r of page.items) await rcol.delete(r.id);
      rafter = page.next;
    } while (rafter);
    changed(null);
  });

  hooks.exporter('posts', async (accountId) => {
    const out: unknown[] = [];
    let after: string | null = null;
    do {
      const page = await posts.find({ where: { authorId: accountId }, orderBy: { field: 'createdAt' }, limit: 500, after });
      for (const p of page.items) {
        out.push({ id: p.id, threadId: p.threadId, title: p.title, body: p.body, anonymous: p.anonymous, contentWarning: p.contentWarning, state: p.state, createdAt: p.createdAt, editedAt: p.editedAt });
      }
      after = page.next;
    } while (after);
    return out;
  });

  // ---- the service -----------------------------------------------------

  return {
    seedStarterBoards,
    backfillReactionThreads,
    onChange(listener: ChangeListener): void {
      changeListeners.add(listener);
    },
    boardView,

    async listBoards(viewer: AccountDoc | null): Promise<BoardView[]> {
      return (await allBoards())
        .filter((b) => canSee(viewer, b) && (!b.archived || canModerate(viewer, b)))
        .map((b) => boardView(viewer, b));
    },

    /** Every board, for the command line. */
    allBoards,

    async getBoard(viewer: AccountDoc | null, slug: string): Promise<BoardView> {
      const board = await boardBySlug(slug);
      ensureSee(viewer, board);
      return boardView(viewer, board);
    },

    async createBoard(actor: AccountDoc, raw: unknown): Promise<BoardView> {
      if (!isStaff(actor)) throw forbidden('moderator_only');
      const input = parseInput(boardInput, raw);
      const now = Date.now();
      const last = (await boards.find({ orderBy: { field: 'position', direction: 'desc' }, limit: 1 })).items[0];
      const doc: BoardDoc = {
        id: newId(),
        slug: input.slug,
        name: input.name,
        description: input.description,
        language: input.language,
        visibility: input.visibility,
        position: input.position ?? (last ? last.position + 10 : 10),
        archived: false,
        approveFirstPosts: input.approveFirstPosts,
        slowModeSeconds: input.slowModeSeconds,
        moderatorIds: [],
        threadCount: 0,
        postCount: 0,
        removedCount: 0,
        createdAt: now,
        updatedAt: now,
      };
      try {
        await store.transaction(async (tx) => {
          await tx.collection(boardsCollection).insert(doc);
          await moderation.record(tx, actor, { boardId: doc.id, action: 'board_created', targetType: 'board', targetId: doc.id, reason: doc.name });
        });
      } catch (error) {
        if (error instanceof DuplicateKeyError) throw conflict('slug_taken');
        throw error;
      }
      return boardView(actor, doc);
    },

    async updateBoard(actor: AccountDoc, slug: string, raw: unknown): Promise<BoardView> {
      const board = await boardBySlug(slug);
      if (!canModerate(actor, board)) throw forbidden('moderator_only');
      const input = parseInput(boardPatchInput, raw);
      if ((input.visibility !== undefined || input.moderators !== undefined) && !isStaff(actor)) throw forbidden('moderator_only');
      const { moderators, ...rest } = input;
      const patch: Partial<BoardDoc> = { ...rest, updatedAt: Date.now() };
      if (moderators) patch.moderatorIds = await handlesToIds(moderators);
      const updated = await store.transaction(async (tx) => {
        const next = await tx.collection(boardsCollection).patch(board.id, patch);
        const fields = Object.keys(input).join(', ');
        await moderation.record(tx, actor, { boardId: board.id, action: input.archived === true ? 'board_archived' : 'board_changed', targetType: 'board', targetId: board.id, reason: fields });
        return next!;
      });
      // Its visibility, name or state shows on every one of its thread pages.
      changed(null);
      return boardView(actor, updated);
    },

    /** Admins delete a board with everything on it. */
    async deleteBoard(actor: AccountDoc, slug: string): Promise<void> {
      if (!active(actor) || actor.role !== 'admin') throw forbidden('admin_only');
      const board = await boardBySlug(slug);
      await store.transaction(async (tx) => {
        const tcol = tx.collection(threadsCollection);
        const pcol = tx.collection(postsCollection);
        for (const state of ['visible', 'pending', 'removed'] as const) {
          let after: string | null = null;
          do {
            const page = await tcol.find({ where: { boardId: board.id, state }, orderBy: { field: 'bumpKey' }, limit: 200, after });
            for (const t of page.items) {
              await pcol.deleteWhere({ threadId: t.id });
              await tx.collection(reactionsCollection).deleteWhere({ threadId: t.id });
              await tcol.delete(t.id);
            }
            after = page.next;
          } while (after);
        }
        await tx.collection(boardsCollection).delete(board.id);
        await moderation.record(tx, actor, { boardId: null, action: 'board_deleted', targetType: 'board', targetId: board.id, reason: board.name });
      });
      changed(null);
    },

    async listThreads(viewer: AccountDoc | null, slug: string, raw: unknown = {}) {
      const board = await boardBySlug(slug);
      ensureSee(viewer, board);
      const page = parseInput(pageInput, raw);
      const found = await threads.find({
        where: { boardId: board.id, state: 'visible' },
        orderBy: { field: 'bumpKey', direction: 'desc' },
        limit: page.limit ?? 30,
        after: page.after ?? null,
      });
      const names = await namesFor(found.items);
      return { board: boardView(viewer, board), threads: found.items.map((t) => threadSummary(t, names)), next: found.next };
    },

    async createThread(author: AccountDoc | null, slug: string, raw: unknown): Promise<{ thread: ThreadSummary; post: PostView }> {
      const board = await boardBySlug(slug);
      if (!author) throw unauthorized('login_required');
      ensureSee(author, board);
      const input = parseInput(threadInput, raw);
      const html = renderBody(input.body);
      const state = await checkPosting(author, board, [input.title, input.body, input.contentWarning ?? '']);
      const now = Date.now();
      const threadId = newId();
      const post = newPost(
        { threadId, boardId: board.id, authorId: author.id, anonymous: input.anonymous, body: input.body, html, title: input.title, contentWarning: input.contentWarning ?? null, quoteOf: null, state },
        now,
      );
      const thread = newThread(post, { title: input.title, state }, now);
      await store.transaction((tx) => insertThread(tx, thread, post));
      changed(threadId, post.id);
      const names = await namesFor([thread]);
      const [view] = await postViews(author, [post], board, thread);
      return { thread: threadSummary(thread, names), post: view! };
    },

    async getThread(viewer: AccountDoc | null, threadId: string, raw: unknown = {}): Promise<ThreadView> {
      const { thread, board } = await threadWithBoard(viewer, threadId);
      return threadView(viewer, thread, board, parseInput(pageInput, raw));
    },

    /**
     * getThread in two steps, for answers made once for many readers: `key`
     * is shared by every viewer who sees this page of the thread exactly as
     * `viewer` does, and names `viewer` when their view is their own (they
     * moderate the board, started the thread, wrote a post on the page, where
     * their own held or removed posts show to them alone, or reacted to one);
     * `view` makes the view. Throws as getThread does when `viewer` may not
     * read the thread.
     */
    async threadAnswer(viewer: AccountDoc | null, threadId: string, raw: unknown = {}): Promise<{ key: string; view: () => Promise<ThreadView> }> {
      const { thread, board } = await threadWithBoard(viewer, threadId);
      const page = parseInput(pageInput, raw);
      const view = () => threadView(viewer, thread, board, page);
      const limit = page.limit ?? 30;
      const after = page.after ?? null;
      // A reader with something of their own on the page (a post, a reaction, the thread, moderation rights) gets an
      // answer of their own, kept under their id: re-reading a thread you took part in is common, and it is as
      // fresh as the shared one, since anything that changes the page drops every answer for it.
      let own = '';
      if (viewer) {
        const moderator = canModerate(viewer, board);
        if (moderator || thread.authorId === viewer.id || (await pageRoster(thread.id, limit, after)).has(viewer.id)) {
          own = `${viewer.id}${moderator ? ':moderator' : ''}`;
        }
      }
      // What else differs between viewers: whether they may post on the board and reply in the thread.
      return { key: [thread.id, limit, after ?? '', postingBlock(viewer, board) ?? '', postingBlock(viewer, board, thread) ?? '', own].join('\u0000'), view };
    },

    /** Whether `viewer` may read the thread: for live-update subscriptions. */
    async canViewThread(viewer: AccountDoc | null, threadId: string): Promise<boolean> {
      try {
        await threadWithBoard(viewer, threadId);
        return true;
      } catch (error) {
        if (error instanceof AppError) return false;
        throw error;
      }
    },

    async getPost(viewer: AccountDoc | null, postId: string): Promise<PostView> {
      const { post, thread, board } = await postWithContext(viewer, postId);
      const [view] = await postViews(viewer, [post], board, thread);
      return view!;
    },

    async reply(author: AccountDoc | null, threadId: string, raw: unknown): Promise<PostView> {
      if (!author) throw unauthorized('login_required');
      const { thread, board } = await threadWithBoard(author, threadId);
      const input = parseInput(replyInput, raw);
      const html = renderBody(input.body);
      if (input.quoteOf) {
        const quoted = await posts.get(input.quoteOf);
        if (!quoted || quoted.threadId !== thread.id || quoted.state !== 'visible') throw unprocessable('quote_invalid');
      }
      const state = await checkPosting(author, board, [input.body, input.contentWarning ?? ''], thread);
      const now = Date.now();
      const post = newPost(
        { threadId: thread.id, boardId: board.id, authorId: author.id, anonymous: input.anonymous, body: input.body, html, contentWarning: input.contentWarning ?? null, quoteOf: input.quoteOf ?? null, state },
        now,
      );
      await store.transaction(async (tx) => {
        await tx.collection(postsCollection).insert(post);
        if (state === 'visible') await bump(tx, thread, board, now);
      });
      if (state === 'visible') publish('thread', thread.id, 'post', { postId: post.id });
      changed(thread.id, post.id);
      const [view] = await postViews(author, [post], board, { ...thread });
      return view!;
    },

    async editPost(actor: AccountDoc | null, postId: string, raw: unknown): Promise<PostView> {
      if (!actor) throw unauthorized('login_required');
      const { post, thread, board } = await postWithContext(actor, postId);
      if (post.authorId !== actor.id) throw forbidden('not_author');
      if (post.state === 'removed' || post.state === 'deleted') throw conflict('post_removed');
      if (isSuspended(actor)) throwBlock('suspended', actor);
      const input = parseInput(editInput, raw);
      const body = input.body ?? post.body;
      const html = input.body !== undefined ? renderBody(body) : post.html;
      const title = thread.firstPostId === post.id ? (input.title ?? thread.title) : undefined;
      const contentWarning = input.contentWarning !== undefined ? input.contentWarning : post.contentWarning;
      const verdict = moderation.checkText(body, title ?? '', contentWarning ?? '');
      if (verdict === 'block') throw unprocessable('filtered');
      const held = verdict === 'hold' && !canModerate(actor, board);
      const now = Date.now();
      const updated = await store.transaction(async (tx) => {
        await tx.collection(revisionsCollection).insert({
          id: newId(),
          postId: post.id,
          body: post.body,
          contentWarning: post.contentWarning,
          editorId: actor.id,
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
      changed(thread.id, post.id);
      const [view] = await postViews(actor, [updated], board, thread);
      return view!;
    },

    /**
     * A thread or reply written on another server and addressed to a public
     * board (federation checked who sent it). The same rules as for members:
     * archived boards and locked threads refuse it, word filters block or
     * hold it; the HTML is cleaned like local posts. `record` writes the
     * caller's own record of the post in the same transaction, so that one is
     * never kept without the other.
     */
    async receiveRemotePost(slug: string, raw: unknown, record?: (tx: TxScope, post: PostDoc) => Promise<unknown>): Promise<PostDoc> {
      const input = parseInput(remotePostInput, raw);
      const board = await boardBySlug(slug);
      if (board.visibility !== 'public') throw notFound('board_not_found');
      if (board.archived) throw forbidden('board_archived');
      const { html, text } = remoteHtml(input.html);
      let thread: ThreadDoc | null = null;
      if (input.threadId) {
        thread = await threads.get(input.threadId);
        if (!thread || thread.boardId !== board.id || thread.state !== 'visible') throw notFound('thread_not_found');
        if (thread.locked) throw forbidden('thread_locked');
      } else if (!input.title) {
        throw fieldError('title', 'validation.required');
      }
      const quoted = input.quoteOf && thread ? await posts.get(input.quoteOf) : null;
      const verdict = moderation.checkText(input.title ?? '', text, input.contentWarning ?? '');
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
      await store.transaction(async (tx) => {
        if (thread) {
          await tx.collection(postsCollection).insert(post);
          if (state === 'visible') await bump(tx, thread, board, now);
        } else {
          await insertThread(tx, newThread(post, { title: input.title!, state }, now), post);
        }
        await record?.(tx, post);
      });
      if (state === 'visible') publish('thread', threadId, 'post', { postId: post.id });
      changed(threadId, post.id);
      return post;
    },

    /**
     * A reaction from another server (an ActivityPub Like): counted like a
     * member's, under a key that stands for the remote actor (federation
     * hashes its IRI), and never listed. Answers whether anything changed.
     */
    async reactRemote(postId: string, reactorKey: string, kind: ReactionKind, on: boolean): Promise<boolean> {
      const post = await posts.get(postId);
      if (!post || post.state !== 'visible') return false;
      const board = await boards.get(post.boardId);
      if (!board || board.visibility !== 'public') return false;
      const changedCount = await store.transaction(async (tx) => (await setReaction(tx, post, reactorKey, kind, on)) !== null);
      if (changedCount) changed(post.threadId, post.id);
      return changedCount;
    },

    /** A visible post's id and thread (federation: what a remote reply answers). */
    async postRef(postId: string): Promise<{ id: string; threadId: string; boardId: string } | null> {
      const post = typeof postId === 'string' && postId.length <= 64 ? await posts.get(postId) : null;
      return post && post.state === 'visible' ? { id: post.id, threadId: post.threadId, boardId: post.boardId } : null;
    },

    /** Its author on another server edited a post they sent. */
    async editRemotePost(postId: string, actorIri: string, raw: unknown): Promise<void> {
      const input = parseInput(remoteEditInput, raw);
      const post = await posts.get(postId);
      if (!post || !post.remote || post.remote.actor !== actorIri) throw forbidden('not_author');
      if (post.state === 'deleted' || post.state === 'removed') throw conflict('post_removed');
      const { html, text } = remoteHtml(input.html);
      const verdict = moderation.checkText(input.title ?? '', text, input.contentWarning ?? '');
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
      changed(post.threadId, post.id);
    },

    /**
     * The author of a post sent from another server moved to a new account
     * (federation checked the move): the post shows under that account, a
     * remote one, or one of ours (`accountId`, the member imported their old
     * account here), who then owns it like any post of theirs.
     */
    async relinkRemoteAuthor(postId: string, from: string, to: { readonly remote: RemoteAuthor } | { readonly accountId: string }): Promise<boolean> {
      const post = await posts.get(postId);
      if (!post?.remote || post.remote.actor !== from) return false;
      const author: Partial<PostDoc & ThreadDoc> = 'remote' in to ? { remote: to.remote } : { remote: null, authorId: to.accountId };
      await store.transaction(async (tx) => {
        await tx.collection(postsCollection).patch(post.id, author);
        const thread = await tx.collection(threadsCollection).get(post.threadId);
        if (thread && thread.firstPostId === post.id) await tx.collection(threadsCollection).patch(thread.id, author);
      });
      changed(post.threadId, post.id);
      return true;
    },

    /** Its author on another server deleted a post they sent: as when a member deletes their own. */
    async deleteRemotePost(postId: string, actorIri: string): Promise<void> {
      const post = await posts.get(postId);
      if (!post || !post.remote || post.remote.actor !== actorIri) throw forbidden('not_author');
      if (post.state === 'deleted') return;
      const thread = await threads.get(post.threadId);
      await store.transaction((tx) => eraseAsDeleted(tx, post, thread));
      publish('thread', post.threadId, 'post-removed', { postId: post.id });
      changed(post.threadId, post.id);
    },

    /** The author deletes their own post: its words are gone, a placeholder keeps the conversation readable. */
    async deletePost(actor: AccountDoc | null, postId: string): Promise<void> {
      if (!actor) throw unauthorized('login_required');
      const { post, thread } = await postWithContext(actor, postId);
      if (post.authorId !== actor.id) throw forbidden('not_author');
      if (post.state === 'deleted') throw conflict('post_removed');
      await store.transaction(async (tx) => {
        await eraseAsDeleted(tx, post, thread);
        await tx.collection(revisionsCollection).deleteWhere({ postId: post.id });
      });
      publish('thread', thread.id, 'post-removed', { postId: post.id });
      changed(thread.id, post.id);
    },

    /** Toggles one supportive reaction; answers the post's new counts. */
    async react(actor: AccountDoc | null, postId: string, raw: unknown): Promise<{ reactions: Record<ReactionKind, number>; mine: boolean }> {
      if (!actor) throw unauthorized('login_required');
      const { post, thread, board } = await postWithContext(actor, postId);
      const { kind } = parseInput(reactionInput, raw);
      const block = postingBlock(actor, board, thread);
      if (block && block !== 'thread_locked') throwBlock(block, actor);
      if (post.state !== 'visible') throw conflict('post_removed');
      const toggled = (await store.transaction((tx) => setReaction(tx, post, actor.id, kind, 'toggle')))!;
      changed(post.threadId, post.id);
      return {
        reactions: Object.fromEntries(reactionKinds.map((k) => [k, toggled.doc.reactions[k] ?? 0])) as Record<ReactionKind, number>,
        mine: toggled.on,
      };
    },

    async report(actor: AccountDoc | null, postId: string, raw: unknown) {
      if (!actor) throw unauthorized('login_required');
      const { post, board } = await postWithContext(actor, postId);
      if (actor.status !== 'active') throw forbidden('pending_approval');
      if (post.authorId === actor.id) throw unprocessable('report_own');
      return moderation.fileReport(actor, { id: post.id, boardId: board.id }, raw);
    },

    async revisions(actor: AccountDoc | null, postId: string) {
      const { post, board } = await postWithContext(actor, postId);
      if (!canModerate(actor, board)) throw forbidden('moderator_only');
      return (await revisions.find({ where: { postId: post.id }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 100 })).items.map((r) => ({
        body: r.body,
        contentWarning: r.contentWarning,
        createdAt: r.createdAt,
      }));
    },

    async moderatePost(actor: AccountDoc | null, postId: string, raw: unknown): Promise<PostView> {
      const { post, thread, board } = await postWithContext(actor, postId);
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
      const updated = await store.transaction(async (tx) => {
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
        return doc!;
      });
      publish('thread', thread.id, next === 'visible' ? 'post' : 'post-removed', { postId: post.id });
      changed(thread.id, post.id);
      const [view] = await postViews(moderator, [updated], board, thread);
      return view!;
    },

    async moderateThread(actor: AccountDoc | null, threadId: string, raw: unknown): Promise<ThreadSummary> {
      const { thread, board } = await threadWithBoard(actor, threadId);
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
          target = await boardBySlug(input.board);
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
          let after: string | null = null;
          do {
            const page = await pcol.find({ where: { threadId: thread.id }, orderBy: { field: 'createdAt' }, limit: 200, after });
            for (const p of page.items) await pcol.patch(p.id, { boardId: target.id });
            after = page.next;
          } while (after);
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
      changed(thread.id);
      return threadSummary(updated, await namesFor([updated]));
    },

    /** Posts waiting for a moderator, on the boards `actor` moderates. */
    async pendingPosts(actor: AccountDoc) {
      await ensureModeratesSome(actor);
      const found = await posts.find({ where: { state: 'pending' }, orderBy: { field: 'createdAt' }, limit: 100 });
      const boardMap = new Map((await allBoards()).map((b) => [b.id, b]));
      const mine = found.items.filter((p) => {
        const b = boardMap.get(p.boardId);
        return b && canModerate(actor, b);
      });
      const threadMap = new Map((await threads.getMany(mine.map((p) => p.threadId))).map((t) => [t.id, t]));
      const names = await accounts.publicNames(mine.map((p) => p.authorId).filter((x): x is string => !!x));
      return mine.map((p) => ({
        post: p,
        thread: threadMap.get(p.threadId)!,
        board: boardMap.get(p.boardId)!,
        // Moderators acting on content see who wrote it, even when it was posted anonymously.
        author: p.authorId ? (names.get(p.authorId) ?? null) : null,
      }));
    },

    /** The open reports on the boards `actor` moderates, with the reported post and its real author. */
    async reportQueue(actor: AccountDoc, after?: string | null) {
      await ensureModeratesSome(actor);
      const page = await moderation.openReports(after, 50);
      const boardMap = new Map((await allBoards()).map((b) => [b.id, b]));
      const reports = page.items.filter((r) => {
        const b = boardMap.get(r.boardId);
        return b && canModerate(actor, b);
      });
      const postMap = new Map((await posts.getMany(reports.map((r) => r.postId))).map((p) => [p.id, p]));
      const threadMap = new Map((await threads.getMany([...postMap.values()].map((p) => p.threadId))).map((t) => [t.id, t]));
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
            thread: post ? (threadMap.get(post.threadId) ?? null) : null,
            board: boardMap.get(r.boardId)!,
            author: post?.authorId ? (people.get(post.authorId) ?? null) : post?.remote ? { handle: post.remote.address } : null,
            // Reports from another server's moderators (federation) name the server: `ap:<host>`.
            reporter: people.get(r.reporterId) ?? (r.reporterId.startsWith('ap:') ? { handle: r.reporterId.slice(3) } : null),
          };
        }),
      };
    },

    async dismissReport(actor: AccountDoc, reportId: string): Promise<void> {
      const report = await moderation.getReport(reportId);
      const board = await boards.get(report.boardId);
      if (!board || !canModerate(actor, board)) throw forbidden('moderator_only');
      if (report.status !== 'open') throw conflict('wrong_state');
      await store.transaction(async (tx) => {
        await moderation.resolveReportsFor(tx, report.postId, 'dismissed');
        await moderation.record(tx, actor, { boardId: board.id, action: 'report_dismissed', targetType: 'report', targetId: report.id, reason: '' });
      });
    },

    async modLog(actor: AccountDoc, raw: unknown = {}) {
      if (!isStaff(actor)) throw forbidden('moderator_only');
      const page = parseInput(pageInput, raw);
      const found = await moderation.logPage(null, page.after, page.limit ?? 50);
      const names = await accounts.publicNames(found.items.map((e) => e.actorId));
      return { next: found.next, items: found.items.map((e) => ({ ...e, actor: names.get(e.actorId)?.handle ?? null })) };
    },

    /** What moderators removed, per board: public, so members can see moderation happens and how much. */
    async transparency(viewer: AccountDoc | null) {
      return (await allBoards()).filter((b) => canSee(viewer, b)).map((b) => ({ slug: b.slug, name: b.name, removed: b.removedCount, posts: b.postCount }));
    },

    async search(viewer: AccountDoc | null, raw: unknown): Promise<{ hits: SearchHit[]; next: string | null }> {
      const input = parseInput(searchInput, raw);
      const found = await posts.search(input.q, { where: { state: 'visible' }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 20, after: input.after ?? null });
      const boardMap = new Map((await allBoards()).map((b) => [b.id, b]));
      const threadMap = new Map((await threads.getMany([...new Set(found.items.map((p) => p.threadId))])).map((t) => [t.id, t]));
      const hits: SearchHit[] = [];
      for (const p of found.items) {
        const board = boardMap.get(p.boardId);
        const thread = threadMap.get(p.threadId);
        if (!board || !thread || thread.state !== 'visible' || !canSee(viewer, board)) continue;
        const [view] = await postViews(viewer, [p], board, thread);
        hits.push({ post: view!, threadTitle: thread.title, boardSlug: board.slug, excerpt: excerpt(p.body, 240) });
      }
      return { hits, next: found.next };
    },
  };

  async function ensureModeratesSome(actor: AccountDoc): Promise<void> {
    if (isStaff(actor)) return;
    if (!(await allBoards()).some((b) => canModerate(actor, b))) throw forbidden('moderator_only');
  }

  /** A new visible post moves its thread up the board. */
  /**
   * An author's deletion (here or on another server): the words go, a placeholder keeps the conversation readable,
   * and an opening post with no visible reply takes its thread with it.
   */
  async function eraseAsDeleted(tx: TxScope, post: PostDoc, thread: ThreadDoc | null): Promise<void> {
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

  /**
   * Puts one reactor's reaction on a post, takes it off or toggles it, and moves the count with it (read and written
   * inside the transaction, so that concurrent reactions are never lost). Null when it was already so.
   */
  async function setReaction(tx: TxScope, post: PostDoc, reactor: string, kind: ReactionKind, want: boolean | 'toggle'): Promise<{ doc: PostDoc; on: boolean } | null> {
    const rcol = tx.collection(reactionsCollection);
    const id = reactionId(post.id, reactor, kind);
    const existing = await rcol.get(id);
    const on = want === 'toggle' ? !existing : want;
    if (!!existing === on) return null;
    if (existing) await rcol.delete(id);
    else await rcol.insert({ id, postId: post.id, threadId: post.threadId, accountId: reactor, kind, createdAt: Date.now() });
    const pcol = tx.collection(postsCollection);
    const fresh = (await pcol.get(post.id))!;
    const doc = await pcol.patch(post.id, { reactions: { ...fresh.reactions, [kind]: Math.max(0, (fresh.reactions[kind] ?? 0) + (on ? 1 : -1)) } });
    return { doc: doc!, on };
  }

  async function bump(tx: TxScope, thread: ThreadDoc, board: BoardDoc, at: number, count = true): Promise<void> {
    const tcol = tx.collection(threadsCollection);
    const fresh = (await tcol.get(thread.id)) ?? thread;
    await tcol.patch(thread.id, { lastPostAt: at, bumpKey: bumpKey(fresh.pinned, at) });
    if (count) {
      await tcol.increment(thread.id, { postCount: 1 });
      await tx.collection(boardsCollection).increment(board.id, { postCount: 1 });
    }
  }
}

export type ForumsService = ReturnType<typeof createForumsService>;
