import { claimsCollection, type ClaimDoc } from '../accounts/claims.js';
import { defineCollection } from '../store/port.js';

export type ReviewKind = 'warning' | 'vouch';
export type ReviewStatus = 'pending' | 'published' | 'rejected' | 'retracted';
export type Severity = 'low' | 'medium' | 'high' | 'urgent';
export type IdentifierType = 'phone' | 'email' | 'handle';

export const warningCategories = [
  'violence',
  'sexual_assault',
  'robbery',
  'non_payment',
  'condom_refusal',
  'boundary_pushing',
  'no_show',
  'police',
  'stalking',
  'outing_threat',
] as const;
export type WarningCategory = (typeof warningCategories)[number];

export interface ReviewBoardDoc {
  id: string;
  slug: string;
  name: string;
  description: string;
  /** members: this instance only; network: shared with partner instances (federation). */
  visibility: 'members' | 'network';
  /**
   * The digest key when it was set by hand, wrapped under the instance
   * secret (see BoardKeys); absent: the key is derived from that secret.
   * Partners of a regional network configure the same key out of band, so a
   * look-up on one instance finds reviews posted on another without any
   * identifier crossing the network.
   */
  wrappedSecret?: string;
  /** Which instance secret made the key (a value derived from it), so a missing PARASOL_SECRET_FILE is noticed. */
  keyCheck?: string;
  /** Written by earlier versions: the key in clear. BoardKeys.prepare wraps it and removes it at start-up. */
  secret?: string;
  reviewCount: number;
  createdAt: number;
}

/** What is shown of an identifier: its type, platform and a short hint, never the identifier. */
export interface IdentifierHint {
  type: IdentifierType;
  platform: string | null;
  hint: string;
}

/** Where a review shared by a partner instance of the regional network (federation) came from. */
export interface ReviewOrigin {
  /** The review's IRI on its instance. */
  iri: string;
  host: string;
  /** Its author as shown there, or null when anonymous. */
  author: { name: string; address: string } | null;
  /** The area's name there (areas are each instance's own). */
  area: string | null;
}

export interface ReviewDoc {
  id: string;
  boardId: string;
  /** The author of a named review; always null on an anonymous one. */
  authorId: string | null;
  anonymous: boolean;
  /**
   * An anonymous review's author: their blinded id on the review board (MemberKey.blind(blindScope.reviewBoard)),
   * which only their key recomputes. Null once nobody can prove it (the author left, or a claim from the upgrade
   * lapsed).
   */
  blindAuthor?: string | null;
  /** Set on every anonymous review stored blinded: the upgrade finds the ones from before by its absence. */
  blindBoardId?: string | null;
  kind: ReviewKind;
  categories: WarningCategory[];
  severity: Severity | null;
  rating: number | null;
  /** YYYY-MM: the month is enough to place an incident; a day only when the author wants it. */
  incidentMonth: string;
  incidentDay: number | null;
  areaId: string | null;
  body: string;
  html: string;
  /** Appearance, car, usual area: free text that is not an identifier. */
  descriptors: string;
  identifiers: IdentifierHint[];
  status: ReviewStatus;
  /** A moderator's question to the author, and the author's answer. */
  question: string | null;
  answer: string | null;
  rejectReason: string | null;
  corroborations: number;
  counterVouches: number;
  disputes: number;
  /** Set on reviews a partner instance shared; they are changed only by their origin. */
  origin?: ReviewOrigin | null;
  createdAt: number;
  updatedAt: number;
  publishedAt: number | null;
  /** Reviews expire (deleted, not hidden) unless renewed by a corroboration; pending ones expire too. */
  expiresAt: number;
}

/** One row per identifier of a review: the keyed slow hash that screening looks up. */
export interface DigestDoc {
  id: string;
  boardId: string;
  reviewId: string;
  digest: string;
  expiresAt: number;
}

export type ResponseKind = 'corroborate' | 'counter_vouch' | 'dispute';

export interface ResponseDoc {
  /** `<review id>.<account id>` for a named response, `<review id>.<blinded id>` for an anonymous one. */
  id: string;
  reviewId: string;
  authorId: string | null;
  anonymous: boolean;
  /** As on ReviewDoc: the anonymous responder's blinded id on the review's board. */
  blindAuthor?: string | null;
  blindBoardId?: string | null;
  kind: ResponseKind;
  note: string;
  html: string;
  createdAt: number;
  expiresAt: number;
}

export const reviewBoardsCollection = defineCollection<ReviewBoardDoc>({
  name: 'review_boards',
  fields: { slug: 'string', createdAt: 'number' },
  indexes: [{ fields: ['slug'], unique: true }, { fields: ['createdAt'] }],
});

export const reviewsCollection = defineCollection<ReviewDoc>({
  name: 'reviews',
  fields: {
    boardId: 'string',
    status: 'string',
    kind: 'string',
    areaId: 'string',
    authorId: 'string',
    blindAuthor: 'string',
    blindBoardId: 'string',
    anonymous: 'boolean',
    createdAt: 'number',
    expiresAt: 'number',
  },
  indexes: [
    { fields: ['boardId', 'status', 'createdAt'] },
    { fields: ['boardId', 'status', 'kind', 'createdAt'] },
    { fields: ['boardId', 'status', 'areaId', 'createdAt'] },
    { fields: ['authorId', 'createdAt'] },
    { fields: ['blindAuthor', 'createdAt'] },
    // Anonymous reviews stored before blinding have no blindBoardId: the start-up migration finds them by it.
    { fields: ['anonymous', 'blindBoardId', 'createdAt'] },
    { fields: ['status', 'createdAt'] },
  ],
  ttlField: 'expiresAt',
});

export const digestsCollection = defineCollection<DigestDoc>({
  name: 'review_digests',
  fields: { boardId: 'string', digest: 'string', reviewId: 'string', expiresAt: 'number' },
  indexes: [{ fields: ['boardId', 'digest'] }, { fields: ['reviewId'] }],
  ttlField: 'expiresAt',
});

export const responsesCollection = defineCollection<ResponseDoc>({
  name: 'review_responses',
  fields: { reviewId: 'string', authorId: 'string', blindAuthor: 'string', blindBoardId: 'string', anonymous: 'boolean', createdAt: 'number', expiresAt: 'number' },
  indexes: [
    { fields: ['reviewId', 'createdAt'] },
    { fields: ['authorId', 'createdAt'] },
    { fields: ['blindAuthor', 'createdAt'] },
    { fields: ['anonymous', 'blindBoardId', 'createdAt'] },
  ],
  ttlField: 'expiresAt',
});

export type ReviewClaimKind = 'review' | 'response';
export type ReviewClaimDoc = ClaimDoc<ReviewClaimKind>;

/** Links from anonymous reviews and responses stored before blinding, until their member's next log-in (review-claims.ts). */
export const reviewClaimsCollection = claimsCollection<ReviewClaimKind>('review_claims');

export const reviewsCollections = [reviewBoardsCollection, reviewsCollection, digestsCollection, responsesCollection, reviewClaimsCollection];
