import type { Store, TxScope, Where } from '../store/port.js';
import type { MemberKey } from '../core/member-key.js';
import { blindOnReviewBoard } from './review-authors.js';
import { notFound } from '../core/errors.js';
import { eachPage } from '../store/paging.js';
import type { AreasService } from '../areas/areas.service.js';
import type { NotificationsService } from '../notifications/notifications.service.js';
import { digestsCollection, responsesCollection, reviewBoardsCollection, reviewsCollection, type ResponseDoc, type ReviewBoardDoc, type ReviewDoc } from './reviews.collections.js';

/** The review's count that a response of this kind adds to. */
export const responseCounter = (kind: ResponseDoc['kind']) => (kind === 'corroborate' ? 'corroborations' : kind === 'counter_vouch' ? 'counterVouches' : 'disputes');

/**
 * The writes that reviews of our own and partners' shared reviews have in
 * common: a review goes with its digests and responses, and an urgent warning
 * reaches the area's subscribers once.
 */
export class ReviewRecords {
  private readonly boards;

  constructor(
    store: Store,
    private readonly areas: AreasService,
    private readonly notifications: NotificationsService,
  ) {
    this.boards = store.collection(reviewBoardsCollection);
  }

  async board(slug: string): Promise<ReviewBoardDoc> {
    const board = slug.length <= 60 ? await this.boards.findOne({ slug }) : null;
    if (!board) throw notFound('review_board_not_found');
    return board;
  }

  /** Every review board's id: an anonymous author's reviews are found by their blinded id on each. */
  async boardIds(): Promise<string[]> {
    const ids: string[] = [];
    await eachPage(
      (after) => this.boards.find({ orderBy: { field: 'createdAt' }, limit: 1000, after }),
      (b) => void ids.push(b.id),
    );
    return ids;
  }

  /** Where the member's reviews are: named ones by account id, and with their key their anonymous ones on each board. */
  async authoredBy(accountId: string, key: MemberKey | null): Promise<Where<ReviewDoc>[]> {
    const wheres: Where<ReviewDoc>[] = [{ authorId: accountId }];
    if (key) for (const boardId of await this.boardIds()) wheres.push({ blindAuthor: blindOnReviewBoard(key, boardId) });
    return wheres;
  }

  /** Moves the review, its digests and its responses to a new expiry: a corroboration keeps a warning alive. */
  async renewIn(tx: TxScope, review: ReviewDoc, expiresAt: number): Promise<void> {
    await tx.collection(reviewsCollection).patch(review.id, { expiresAt });
    const dcol = tx.collection(digestsCollection);
    for (const d of (await dcol.find({ where: { reviewId: review.id }, limit: 10 })).items) await dcol.patch(d.id, { expiresAt });
    const rcol = tx.collection(responsesCollection);
    await eachPage(
      (after) => rcol.find({ where: { reviewId: review.id }, orderBy: { field: 'createdAt' }, limit: 200, after }),
      (r) => rcol.patch(r.id, { expiresAt }),
    );
  }

  async removeIn(tx: TxScope, review: ReviewDoc): Promise<void> {
    await tx.collection(digestsCollection).deleteWhere({ reviewId: review.id });
    await tx.collection(responsesCollection).deleteWhere({ reviewId: review.id });
    await tx.collection(reviewsCollection).delete(review.id);
    await tx.collection(reviewBoardsCollection).increment(review.boardId, { reviewCount: -1 });
  }

  async announceUrgent(review: ReviewDoc): Promise<void> {
    if (review.kind !== 'warning' || review.severity !== 'urgent' || review.status !== 'published' || !review.areaId) return;
    const subscribers = (await this.areas.subscribers(review.areaId)).filter((id) => id !== review.authorId);
    await this.notifications.notify(subscribers, 'urgent_warning', `/r/${review.id}`);
  }
}
