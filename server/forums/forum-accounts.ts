import type { AccountHooks } from '../accounts/account-hooks.js';
import { eachPage } from '../store/paging.js';
import type { Where } from '../store/port.js';
import { blindOnBoard } from './authorship.js';
import type { ForumChanges } from './changes.js';
import type { ForumDocs } from './forum-docs.js';
import type { ForumClaims } from './forum-claims.js';
import { forumClaimsCollection, postsCollection, threadsCollection, type PostDoc } from './forums.collections.js';

/** What happens to a member's posts and reactions when they delete or export their account. */
export class ForumAccountData {
  constructor(
    private readonly docs: ForumDocs,
    private readonly changes: ForumChanges,
    private readonly claims: ForumClaims,
  ) {}

  register(hooks: AccountHooks): void {
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
      // Unredeemed claims go with the account: their items stay, authorless. Reactions are kept by blinded id only.
      await tx.collection(forumClaimsCollection).deleteWhere({ accountId });
      this.changes.changed(null);
    });

    hooks.onLoggedIn(async (accountId, key) => {
      await this.claims.redeem(accountId, key);
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
}
