import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import { excerpt } from '../content/markdown.js';
import type { MemberKey } from '../core/member-key.js';
import { eachPage } from '../store/paging.js';
import { authorOf, blindOnBoard, isAuthor, shownAuthorIds, type Authored, type AuthorNames, type AuthorView } from './authorship.js';
import type { AnonymousIdentities } from './anonymous-identities.js';
import type { ForumDocs } from './forum-docs.js';
import type { BoardDoc, PostDoc, ThreadDoc } from './forums.collections.js';
import { canModerate, postingBlock } from './policy.js';
import { QUOTE_EXCERPT_LENGTH } from './quote-excerpt.js';
import { reactionKinds, type ReactionKind } from './reactions.js';

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
  /** Pictures of posts from other servers are fetched and shown. */
  readonly remoteMedia: boolean;
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
  /** Only for the board's moderators, on an anonymous post: "anonymous member #N of this board" (never the account). */
  readonly anonymousNumber?: number | null;
}

export interface ThreadView {
  readonly board: BoardView;
  readonly thread: ThreadSummary;
  readonly posts: readonly PostView[];
  readonly next: string | null;
  readonly canReply: boolean;
  /** Why the viewer cannot reply, as an error code, when they cannot. */
  readonly replyBlocked: string | null;
  /** The viewer started this thread anonymously: their replies default to anonymous too. */
  readonly replyAnonymously: boolean;
}

export interface SearchHit {
  readonly post: PostView;
  readonly threadTitle: string;
  readonly boardSlug: string;
  readonly excerpt: string;
}

/** What a list of posts shows besides the posts: the posts they quote, the quoted excerpts and the authors' names. */
export interface PostsContext {
  readonly quoted: ReadonlyMap<string, PostDoc>;
  /** The text shown under a quoting post, by quoted post id: parsing the Markdown again for each view was a large part of a view's cost. */
  readonly excerpts: ReadonlyMap<string, string>;
  readonly names: AuthorNames;
}

export const reactionCounts = (counts: Partial<Record<string, number>>) =>
  Object.fromEntries(reactionKinds.map((k) => [k, counts[k] ?? 0])) as Record<ReactionKind, number>;

/** Boards, threads and posts as a viewer sees them: the one place that turns stored documents into what is shown. */
export class ForumViews {
  constructor(
    private readonly docs: ForumDocs,
    private readonly accounts: AccountsService,
    private readonly identities: AnonymousIdentities,
  ) {}

  boardView(viewer: AccountDoc | null, b: BoardDoc): BoardView {
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
      remoteMedia: b.remoteMedia !== false,
      threadCount: b.threadCount,
      postCount: b.postCount,
      canModerate: canModerate(viewer, b),
      canPost: postingBlock(viewer, b) === null,
    };
  }

  namesFor(docs: readonly Authored[]): Promise<AuthorNames> {
    return this.accounts.publicNames(shownAuthorIds(docs));
  }

  threadSummary(t: ThreadDoc, names: AuthorNames): ThreadSummary {
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

  async postsContext(list: readonly PostDoc[]): Promise<PostsContext> {
    const quotedIds = list.map((p) => p.quoteOf).filter((q): q is string => !!q);
    const quoted = new Map((await this.docs.posts.getMany(quotedIds)).map((q) => [q.id, q]));
    const excerpts = new Map([...quoted.values()].filter((q) => q.state === 'visible').map((q) => [q.id, q.excerpt ?? excerpt(q.body, QUOTE_EXCERPT_LENGTH)]));
    return { quoted, excerpts, names: await this.namesFor([...list, ...quoted.values()]) };
  }

  async postViews(viewer: AccountDoc | null, key: MemberKey | null, list: readonly PostDoc[], board: BoardDoc, thread: ThreadDoc, known?: PostsContext): Promise<PostView[]> {
    const { quoted, excerpts, names } = known ?? (await this.postsContext(list));
    const mine = await this.reactionsOf(viewer && key, board, thread.id, list);
    const moderator = canModerate(viewer, board);
    const numbers = moderator ? await this.identities.numbersFor(list) : null;
    return list.map((p) => {
      const own = isAuthor(viewer, key, p);
      const q = p.quoteOf ? quoted.get(p.quoteOf) : undefined;
      const excerpt = q ? excerpts.get(q.id) : undefined;
      const quoteShown = q && excerpt !== undefined;
      return {
        id: p.id,
        threadId: p.threadId,
        author: authorOf(p, names),
        html: p.state === 'deleted' ? '' : p.html,
        contentWarning: p.contentWarning,
        quote: quoteShown ? { id: q.id, author: authorOf(q, names), excerpt } : null,
        reactions: reactionCounts(p.reactions),
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
        ...(numbers && p.anonymous ? { anonymousNumber: p.blindAuthor ? (numbers.get(p.blindAuthor) ?? null) : null } : {}),
      };
    });
  }

  async postView(viewer: AccountDoc | null, key: MemberKey | null, post: PostDoc, board: BoardDoc, thread: ThreadDoc): Promise<PostView> {
    const [view] = await this.postViews(viewer, key, [post], board, thread);
    return view!;
  }

  /** The reactions the member holding `key` gave to posts in `list`, by post id (stored under their blinded id for the board). */
  private async reactionsOf(key: MemberKey | null, board: BoardDoc, threadId: string, list: readonly PostDoc[]): Promise<Map<string, ReactionKind[]>> {
    const mine = new Map<string, ReactionKind[]>();
    // Counts move with reactions in one transaction: where every count is 0 there is nothing of the viewer's to read.
    if (!key || !list.some((p) => Object.values(p.reactions).some((n) => (n ?? 0) > 0))) return mine;
    const reactorId = blindOnBoard(key, board.id);
    const shown = new Set(list.map((p) => p.id));
    await eachPage(
      (after) => this.docs.reactions.find({ where: { reactorId, threadId }, orderBy: { field: 'createdAt' }, limit: 500, after }),
      (r) => {
        if (shown.has(r.postId)) mine.set(r.postId, [...(mine.get(r.postId) ?? []), r.kind as ReactionKind]);
      },
    );
    return mine;
  }
}
