import type { AccountDoc } from '../accounts/accounts.collections.js';
import { notFound } from '../core/errors.js';
import type { MemberKey } from '../core/member-key.js';
import type { Collection, Store } from '../store/port.js';
import { boardsCollection, postsCollection, reactionsCollection, revisionsCollection, threadsCollection, type BoardDoc, type PostDoc, type ReactionDoc, type PostRevisionDoc, type ThreadDoc } from './forums.collections.js';
import { canSeeThread, ensureSee, postVisibleTo } from './policy.js';

/** The forums' collections, and boards, threads and posts loaded with the policy's checks: shared by every forum service. */
export class ForumDocs {
  readonly boards: Collection<BoardDoc>;
  readonly threads: Collection<ThreadDoc>;
  readonly posts: Collection<PostDoc>;
  readonly reactions: Collection<ReactionDoc>;
  readonly revisions: Collection<PostRevisionDoc>;
  /**
   * Board ids by slug. Every board page and every federated activity names its board by slug, and a query by
   * slug cost more than the rest of reading the board: by id, it comes from the documents the store keeps.
   */
  private readonly boardIdsBySlug = new Map<string, string>();

  constructor(store: Store) {
    this.boards = store.collection(boardsCollection);
    this.threads = store.collection(threadsCollection);
    this.posts = store.collection(postsCollection);
    this.reactions = store.collection(reactionsCollection);
    this.revisions = store.collection(revisionsCollection);
  }

  async allBoards(): Promise<BoardDoc[]> {
    return (await this.boards.find({ orderBy: { field: 'position' }, limit: 500 })).items;
  }

  async boardBySlug(slug: string): Promise<BoardDoc> {
    if (typeof slug !== 'string' || slug.length > 60) throw notFound('board_not_found');
    const knownId = this.boardIdsBySlug.get(slug);
    const known = knownId === undefined ? null : await this.boards.get(knownId);
    // Slugs are unique, so a board that still has this slug is the one; one renamed or gone is looked up again.
    const board = known?.slug === slug ? known : await this.boards.findOne({ slug });
    if (!board) {
      this.boardIdsBySlug.delete(slug);
      throw notFound('board_not_found');
    }
    this.boardIdsBySlug.set(slug, board.id);
    return board;
  }

  async threadWithBoard(viewer: AccountDoc | null, threadId: string, key: MemberKey | null = null): Promise<{ thread: ThreadDoc; board: BoardDoc }> {
    const thread = await this.threads.get(threadId);
    if (!thread) throw notFound('thread_not_found');
    const board = await this.boards.get(thread.boardId);
    if (!board) throw notFound('thread_not_found');
    ensureSee(viewer, board);
    if (!canSeeThread(viewer, key, thread, board)) throw notFound('thread_not_found');
    return { thread, board };
  }

  async postWithContext(viewer: AccountDoc | null, postId: string, key: MemberKey | null = null): Promise<{ post: PostDoc; thread: ThreadDoc; board: BoardDoc }> {
    const post = await this.posts.get(postId);
    if (!post) throw notFound('post_not_found');
    const { thread, board } = await this.threadWithBoard(viewer, post.threadId, key);
    if (!postVisibleTo(viewer, key, post, board)) throw notFound('post_not_found');
    return { post, thread, board };
  }
}
