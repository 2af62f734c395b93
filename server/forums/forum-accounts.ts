import type { AccountHooks, ContentChoice } from '../accounts/account-hooks.js';
import type { MemberKey } from '../core/member-key.js';
import { eachPage } from '../store/paging.js';
import type { Store, TxScope, Where } from '../store/port.js';
import { blindOnBoard } from './authorship.js';
import type { ForumChanges } from './changes.js';
import type { ForumDocs } from './forum-docs.js';
import type { ForumClaims } from './forum-claims.js';
import { eraseAsDeleted } from './post-writes.js';
import { postsCollection, replyMarksCollection, threadsCollection, type PostDoc } from './forums.collections.js';

/** What happens to a member's posts and reactions when they delete or export their account. */
export class ForumAccountData {
  constructor(
    private readonly store: Store,
    private readonly docs: ForumDocs,
    private readonly changes: ForumChanges,
    private readonly claims: ForumClaims,
  ) {}

  register(hooks: AccountHooks): void {
    // Each post in a transaction of its own first, so that erasing thousands of posts never holds the write lock
    // for long; the deleted hook below, in the account's transaction, catches any written meanwhile.
    hooks.onErasing(async (accountId, content) => {
      for (;;) {
        const page = await this.store.collection(postsCollection).find({ where: { authorId: accountId }, orderBy: { field: 'createdAt' }, limit: 200 });
        for (const p of page.items) await this.store.transaction((tx) => this.unlinkPost(tx, p, content));
        if (!page.next) break;
      }
    });
    hooks.onDeleted(async (tx, accountId, content) => {
      const col = tx.collection(postsCollection);
      await eachPage(
        (after) => col.find({ where: { authorId: accountId }, orderBy: { field: 'createdAt' }, limit: 200, after }),
        (p) => this.unlinkPost(tx, p, content),
      );
      // Unredeemed claims go with the account: their items stay, authorless. Reactions are kept by blinded id only.
      await this.claims.forgetIn(tx, accountId);
      this.changes.changed(null);
    });

    hooks.onBlindedDeleted(async (key, content) => {
      await this.eraseAnonymous(key, content);
    });

    hooks.onUnlocked(async (accountId, key) => {
      await this.claims.redeem(accountId, key);
    });

    hooks.onKeyInUse(async (key) => {
      for (const board of await this.docs.allBoards()) {
        const blindId = blindOnBoard(key, board.id);
        if ((await this.docs.posts.findOne({ blindAuthor: blindId })) || (await this.docs.reactions.findOne({ reactorId: blindId }))) return true;
      }
      return false;
    });

    // Named posts by account; anonymous ones by the member's blinded id on each board, which only their key gives.
    hooks.exporter('posts', async (accountId, key) => {
      const out: unknown[] = [];
      const wheres: Where<PostDoc>[] = [{ authorId: accountId }];
      if (key) for (const board of await this.docs.allBoards()) wheres.push({ blindAuthor: blindOnBoard(key, board.id) });
      for (const where of wheres) {
        await eachPage(
          (after) => this.docs.posts.find({ where, orderBy: { field: 'createdAt' }, limit: 500, after }),
          (p) => out.push({ id: p.id, threadId: p.threadId, title: p.title, body: p.body, anonymous: p.anonymous, contentWarning: p.contentWarning, state: p.state, createdAt: p.createdAt, editedAt: p.editedAt }),
        );
      }
      return out;
    });
  }

  /**
   * The member's anonymous posts and threads, found by their blinded id on each board: deleted, or kept authorless
   * as they chose; their reactions go. Each post in a transaction of its own, apart from the account's deletion.
   */
  /** Unlinks a named post from its author, erasing its words too when the member chose to delete them. */
  private async unlinkPost(tx: TxScope, p: PostDoc, content: ContentChoice): Promise<void> {
    const posts = tx.collection(postsCollection);
    const threads = tx.collection(threadsCollection);
    const opening = (await threads.get(p.threadId))?.firstPostId === p.id;
    if (content === 'delete') {
      await posts.patch(p.id, { authorId: null, body: '', html: '', excerpt: '', title: undefined, contentWarning: null, state: 'deleted' });
      if (opening) await threads.patch(p.threadId, { title: '', authorId: null });
    } else {
      await posts.patch(p.id, { authorId: null });
      if (opening) await threads.patch(p.threadId, { authorId: null });
    }
  }

  private async eraseAnonymous(key: MemberKey, content: ContentChoice): Promise<void> {
    for (const board of await this.docs.allBoards()) {
      const blindId = blindOnBoard(key, board.id);
      const mine: PostDoc[] = [];
      await eachPage(
        (after) => this.docs.posts.find({ where: { blindAuthor: blindId }, orderBy: { field: 'createdAt' }, limit: 500, after }),
        (p) => mine.push(p),
      );
      for (const p of mine) {
        await this.store.transaction(async (tx) => {
          const tcol = tx.collection(threadsCollection);
          const t = await tcol.get(p.threadId);
          if (content === 'delete' && p.state !== 'deleted') await eraseAsDeleted(tx, p, t);
          await tx.collection(postsCollection).patch(p.id, { blindAuthor: null });
          if (t && t.firstPostId === p.id) await tcol.patch(t.id, { blindAuthor: null });
        });
      }
      const rcol = this.docs.reactions;
      const reactions: string[] = [];
      await eachPage(
        (after) => rcol.find({ where: { reactorId: blindId }, orderBy: { field: 'createdAt' }, limit: 500, after }),
        (r) => reactions.push(r.id),
      );
      for (const id of reactions) await rcol.delete(id);
      await this.store.collection(replyMarksCollection).delete(blindId);
    }
    this.changes.changed(null);
  }
}
