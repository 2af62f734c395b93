import { AccountClaims } from '../accounts/claims.js';
import type { ContentChoice } from '../accounts/account-hooks.js';
import type { MemberKey } from '../core/member-key.js';
import { newId } from '../crypto.js';
import type { Store, TxScope } from '../store/port.js';
import { blindOnReviewBoard } from './review-authors.js';
import { responseCounter, type ReviewRecords } from './review-records.js';
import { responsesCollection, reviewClaimsCollection, reviewsCollection, type ReviewClaimDoc, type ReviewClaimKind } from './reviews.collections.js';

const PAGE = 200;

/**
 * The upgrade to blinded authors for reviews. Before it, anonymous reviews and responses named their account (a
 * response's id held it too). At start-up each such link becomes a claim and the account id leaves the item; the
 * member's next log-in turns their claims into their blinded ids. Claims nobody takes up expire and leave their items
 * authorless. The claims themselves still link until then: docs/threat-model.md says so.
 */
export class ReviewClaims {
  private readonly claims: AccountClaims<ReviewClaimKind>;

  constructor(
    store: Store,
    private readonly records: ReviewRecords,
  ) {
    this.claims = new AccountClaims(store, reviewClaimsCollection);
  }

  /** Idempotent: items are found by what only unmigrated ones lack (blindBoardId), a page per transaction. */
  migrate(): Promise<number> {
    return this.claims.migrate(async (tx) => (await this.migrateReviews(tx)) + (await this.migrateResponses(tx)));
  }

  /** At log-in, with the member's key: their claims become their blinded ids. */
  redeem(accountId: string, key: MemberKey): Promise<number> {
    return this.claims.redeem(accountId, (tx, claim) => this.takeUp(tx, claim, key));
  }

  /** A deleted account's unredeemed claims go, and with them the items when the member chose to delete their content. */
  forgetIn(tx: TxScope, accountId: string, content: ContentChoice): Promise<void> {
    return this.claims.forgetIn(tx, accountId, content === 'delete' ? (t, claim) => this.dropItem(t, claim) : undefined);
  }

  private async migrateReviews(tx: TxScope): Promise<number> {
    const reviews = tx.collection(reviewsCollection);
    const page = await reviews.find({ where: { anonymous: true, blindBoardId: null }, orderBy: { field: 'createdAt' }, limit: PAGE });
    for (const r of page.items) {
      if (r.authorId) await this.claims.issueIn(tx, { accountId: r.authorId, itemKind: 'review', itemId: r.id, boardId: r.boardId });
      await reviews.patch(r.id, { authorId: null, blindAuthor: null, blindBoardId: r.boardId });
    }
    return page.items.length;
  }

  /** A response's id named its account: it is stored again under a fresh id until its member takes it up. */
  private async migrateResponses(tx: TxScope): Promise<number> {
    const responses = tx.collection(responsesCollection);
    const page = await responses.find({ where: { anonymous: true, blindBoardId: null }, orderBy: { field: 'createdAt' }, limit: PAGE });
    for (const r of page.items) {
      await responses.delete(r.id);
      const review = await tx.collection(reviewsCollection).get(r.reviewId);
      if (!review) continue;
      const id = `${r.reviewId}.${newId()}`;
      if (r.authorId) await this.claims.issueIn(tx, { accountId: r.authorId, itemKind: 'response', itemId: id, boardId: review.boardId });
      await responses.insert({ ...r, id, authorId: null, blindAuthor: null, blindBoardId: review.boardId });
    }
    return page.items.length;
  }

  private async takeUp(tx: TxScope, claim: ReviewClaimDoc, key: MemberKey): Promise<void> {
    const blindAuthor = blindOnReviewBoard(key, claim.boardId);
    if (claim.itemKind === 'review') {
      await tx.collection(reviewsCollection).patch(claim.itemId, { blindAuthor, blindBoardId: claim.boardId });
      return;
    }
    const responses = tx.collection(responsesCollection);
    const r = await responses.get(claim.itemId);
    if (!r) return;
    await responses.delete(r.id);
    const id = `${r.reviewId}.${blindAuthor}`;
    // The member answered the same review anonymously again since the upgrade: the older answer is a duplicate of it.
    if (await responses.get(id)) await tx.collection(reviewsCollection).increment(r.reviewId, { [responseCounter(r.kind)]: -1 });
    else await responses.insert({ ...r, id, blindAuthor, blindBoardId: claim.boardId });
  }

  private async dropItem(tx: TxScope, claim: ReviewClaimDoc): Promise<void> {
    if (claim.itemKind === 'response') {
      await tx.collection(responsesCollection).delete(claim.itemId);
      return;
    }
    const review = await tx.collection(reviewsCollection).get(claim.itemId);
    if (review) await this.records.removeIn(tx, review);
  }
}
