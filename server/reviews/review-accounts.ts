import type { AccountHooks, ContentChoice } from '../accounts/account-hooks.js';
import type { MemberKey } from '../core/member-key.js';
import { eachPage } from '../store/paging.js';
import type { Store, TxScope } from '../store/port.js';
import { blindOnReviewBoard } from './review-authors.js';
import type { ReviewClaims } from './review-claims.js';
import type { ReviewRecords } from './review-records.js';
import { responsesCollection, reviewsCollection, type ResponseDoc, type ReviewDoc } from './reviews.collections.js';

/**
 * What happens to a member's reviews and responses when they delete or export their account, and at log-in: named
 * ones are found by account id, anonymous ones by the member's blinded id on each review board, which only their key
 * gives.
 */
export class ReviewAccountData {
  constructor(
    private readonly store: Store,
    private readonly records: ReviewRecords,
    private readonly claims: ReviewClaims,
  ) {}

  register(hooks: AccountHooks): void {
    hooks.onDeleted(async (tx, accountId, content) => {
      await this.forgetNamedIn(tx, accountId, content);
      await this.claims.forgetIn(tx, accountId, content);
    });
    hooks.onBlindedDeleted((key, content) => this.forgetAnonymous(key, content));
    hooks.onUnlocked(async (accountId, key) => {
      await this.claims.redeem(accountId, key);
    });
    hooks.exporter('reviews', (accountId, key) => this.exportAccount(accountId, key));
    // A moved key may replace this member's only while it proves nothing here: their anonymous reviews would be orphaned.
    hooks.onKeyInUse(async (key) => {
      for (const boardId of await this.records.boardIds()) {
        const blindAuthor = blindOnReviewBoard(key, boardId);
        if ((await this.store.collection(reviewsCollection).findOne({ blindAuthor })) || (await this.store.collection(responsesCollection).findOne({ blindAuthor }))) return true;
      }
      return false;
    });
  }

  private async forgetNamedIn(tx: TxScope, accountId: string, content: ContentChoice): Promise<void> {
    const rcol = tx.collection(reviewsCollection);
    await eachPage(
      (after) => rcol.find({ where: { authorId: accountId }, orderBy: { field: 'createdAt' }, limit: 200, after }),
      (r) => (content === 'delete' ? this.records.removeIn(tx, r) : rcol.patch(r.id, { authorId: null })),
    );
    const scol = tx.collection(responsesCollection);
    await eachPage(
      (after) => scol.find({ where: { authorId: accountId }, orderBy: { field: 'createdAt' }, limit: 200, after }),
      (r) => (content === 'delete' ? scol.delete(r.id) : scol.patch(r.id, { authorId: null })),
    );
  }

  /**
   * The member's anonymous reviews and responses, found by their blinded id on each board: deleted, or kept with
   * nobody able to prove them, as they chose. Each in a transaction of its own, apart from the account's deletion.
   */
  private async forgetAnonymous(key: MemberKey, content: ContentChoice): Promise<void> {
    for (const boardId of await this.records.boardIds()) {
      const blindAuthor = blindOnReviewBoard(key, boardId);
      const reviews: ReviewDoc[] = [];
      await eachPage(
        (after) => this.store.collection(reviewsCollection).find({ where: { blindAuthor }, orderBy: { field: 'createdAt' }, limit: 500, after }),
        (r) => void reviews.push(r),
      );
      for (const r of reviews) {
        await this.store.transaction(async (tx) => {
          if (content === 'delete') await this.records.removeIn(tx, r);
          else await tx.collection(reviewsCollection).patch(r.id, { blindAuthor: null });
        });
      }
      const responses: ResponseDoc[] = [];
      await eachPage(
        (after) => this.store.collection(responsesCollection).find({ where: { blindAuthor }, orderBy: { field: 'createdAt' }, limit: 500, after }),
        (r) => void responses.push(r),
      );
      const scol = this.store.collection(responsesCollection);
      for (const r of responses) {
        if (content === 'delete') await scol.delete(r.id);
        else await scol.patch(r.id, { blindAuthor: null });
      }
    }
  }

  private async exportAccount(accountId: string, key: MemberKey | null): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const where of await this.records.authoredBy(accountId, key)) {
      await eachPage(
        (after) => this.store.collection(reviewsCollection).find({ where, orderBy: { field: 'createdAt' }, limit: 200, after }),
        (r) =>
          out.push({
            id: r.id,
            kind: r.kind,
            anonymous: r.anonymous,
            categories: r.categories,
            incidentMonth: r.incidentMonth,
            body: r.body,
            descriptors: r.descriptors,
            identifiers: r.identifiers,
            status: r.status,
            createdAt: r.createdAt,
          }),
      );
    }
    return out;
  }
}
