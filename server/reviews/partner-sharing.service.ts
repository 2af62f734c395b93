import crypto from 'node:crypto';
import type { Store } from '../store/port.js';
import { newId } from '../crypto.js';
import { eachPage } from '../store/paging.js';
import { conflict, notFound } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { AreasService } from '../areas/areas.service.js';
import { cleanHtml } from '../content/markdown.js';
import {
  digestsCollection,
  reviewBoardsCollection,
  reviewsCollection,
  type IdentifierHint,
  type ReviewDoc,
  type ReviewOrigin,
  type WarningCategory,
} from './reviews.collections.js';
import { sharedReviewInput } from './reviews.schemas.js';
import type { ReviewRecords } from './review-records.js';

/** A review as partner instances of the network receive it (checked on arrival with sharedReviewInput). */
export interface SharedReview {
  readonly board: string;
  readonly author: { readonly name: string; readonly handle: string } | null;
  readonly area: string | null;
  readonly kind: ReviewDoc['kind'];
  readonly categories: WarningCategory[];
  readonly severity: ReviewDoc['severity'];
  readonly rating: number | null;
  readonly incidentMonth: string;
  readonly incidentDay: number | null;
  readonly html: string;
  readonly descriptors: string;
  readonly identifiers: IdentifierHint[];
  readonly digests: string[];
  readonly corroborations: number;
  readonly counterVouches: number;
  readonly disputes: number;
  readonly publishedAt: number;
  readonly updatedAt: number;
  readonly expiresAt: number;
}

/** Our id for a partner's review: derived from its IRI, so the same review sent again lands on the same copy. */
const sharedReviewId = (originIri: string) => `n${crypto.createHash('sha256').update(originIri).digest('base64url').slice(0, 26)}`;

export interface PartnerSharingDeps {
  readonly store: Store;
  readonly records: ReviewRecords;
  readonly accounts: AccountsService;
  readonly areas: AreasService;
  /** How long a review of our own lives; a partner's copy never outlives twice that. */
  readonly lifetimeMs: number;
}

/**
 * Reviews shared with the partner instances of a regional network, over
 * federation (federation/network.ts carries them): what we send of our own
 * reviews on network boards, and the copies of partners' reviews we keep.
 */
export class PartnerSharingService {
  private readonly boards;
  private readonly reviews;
  private readonly digests;

  constructor(private readonly deps: PartnerSharingDeps) {
    this.boards = deps.store.collection(reviewBoardsCollection);
    this.reviews = deps.store.collection(reviewsCollection);
    this.digests = deps.store.collection(digestsCollection);
  }

  /**
   * What partner instances of the regional network receive of a review: a
   * published review of our own on a network board, with its identifier
   * digests (never identifiers) and its area by name; null when there is
   * nothing (any more) to share.
   */
  async shared(reviewId: string): Promise<SharedReview | null> {
    const review = await this.reviews.get(reviewId);
    if (!review || review.status !== 'published' || review.origin) return null;
    const board = await this.boards.get(review.boardId);
    if (!board || board.visibility !== 'network') return null;
    const rows = (await this.digests.find({ where: { reviewId: review.id }, limit: 10 })).items;
    const names = review.anonymous ? new Map() : await this.deps.accounts.publicNames(review.authorId ? [review.authorId] : []);
    const name = review.authorId ? names.get(review.authorId) : undefined;
    return {
      board: board.slug,
      author: name ? { name: name.displayName || name.handle, handle: name.handle } : null,
      area: review.areaId ? (this.deps.areas.get(review.areaId)?.name ?? null) : null,
      kind: review.kind,
      categories: review.categories,
      severity: review.severity,
      rating: review.rating,
      incidentMonth: review.incidentMonth,
      incidentDay: review.incidentDay,
      html: review.html,
      descriptors: review.descriptors,
      identifiers: review.identifiers,
      digests: rows.map((d) => d.digest),
      corroborations: review.corroborations,
      counterVouches: review.counterVouches,
      disputes: review.disputes,
      publishedAt: review.publishedAt ?? review.createdAt,
      updatedAt: review.updatedAt,
      expiresAt: review.expiresAt,
    };
  }

  /**
   * A review a partner instance shared (validated here: a 422 when it is not
   * a review), kept on our network board of the same slug (partners configure
   * the same secret there, so its digests match our look-ups). Sent again, it
   * replaces the earlier copy.
   */
  async receive(origin: Omit<ReviewOrigin, 'author' | 'area'>, raw: unknown): Promise<void> {
    const review = parseInput(sharedReviewInput, raw);
    const board = await this.boards.findOne({ slug: review.board });
    if (!board || board.visibility !== 'network') throw notFound('board_not_found');
    const id = sharedReviewId(origin.iri);
    const existing = await this.reviews.get(id);
    if (existing && existing.boardId !== board.id) throw conflict('review_shared');
    const doc: ReviewDoc = {
      id,
      boardId: board.id,
      authorId: null,
      anonymous: !review.author,
      // A partner's member is nobody here: nothing to blind, and nothing for the upgrade to look for.
      ...(review.author ? {} : { blindAuthor: null, blindBoardId: board.id }),
      kind: review.kind,
      categories: review.kind === 'warning' ? review.categories : [],
      severity: review.kind === 'warning' ? review.severity : null,
      rating: review.kind === 'vouch' ? review.rating : null,
      incidentMonth: review.incidentMonth,
      incidentDay: review.incidentDay,
      areaId: null,
      body: '',
      html: cleanHtml(review.html),
      descriptors: review.descriptors,
      identifiers: review.identifiers,
      status: 'published',
      question: null,
      answer: null,
      rejectReason: null,
      corroborations: review.corroborations,
      counterVouches: review.counterVouches,
      disputes: review.disputes,
      origin: { ...origin, author: review.author ? { name: review.author.name, address: `${review.author.handle}@${origin.host}` } : null, area: review.area },
      createdAt: existing?.createdAt ?? Date.now(),
      updatedAt: review.updatedAt,
      publishedAt: review.publishedAt,
      expiresAt: Math.min(review.expiresAt, Date.now() + this.deps.lifetimeMs * 2),
    };
    await this.deps.store.transaction(async (tx) => {
      const rcol = tx.collection(reviewsCollection);
      if (existing) await rcol.upsert(doc);
      else {
        await rcol.insert(doc);
        await tx.collection(reviewBoardsCollection).increment(board.id, { reviewCount: 1 });
      }
      const dcol = tx.collection(digestsCollection);
      await dcol.deleteWhere({ reviewId: id });
      for (const digest of new Set(review.digests)) await dcol.insert({ id: newId(), boardId: board.id, reviewId: id, digest, expiresAt: doc.expiresAt });
    });
    if (!existing) await this.deps.records.announceUrgent(doc);
  }

  /** Visits every review that partners receive (published, of our own, on a network board). */
  async eachShared(visit: (reviewId: string) => Promise<void>): Promise<void> {
    for (const board of (await this.boards.find({ orderBy: { field: 'createdAt' }, limit: 100 })).items) {
      if (board.visibility !== 'network') continue;
      await eachPage(
        (after) => this.reviews.find({ where: { boardId: board.id, status: 'published' }, orderBy: { field: 'createdAt' }, limit: 200, after }),
        async (r) => {
          if (!r.origin) await visit(r.id);
        },
      );
    }
  }

  /** A partner took its review back (retracted, removed or no longer shared). */
  async remove(originIri: string): Promise<void> {
    const id = sharedReviewId(originIri);
    const review = await this.reviews.get(id);
    if (!review || review.origin?.iri !== originIri) return;
    await this.deps.store.transaction((tx) => this.deps.records.removeIn(tx, review));
  }
}
