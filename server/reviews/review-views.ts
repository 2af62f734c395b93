import type { Store } from '../store/port.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import { isStaff, isSuspended, type AccountsService } from '../accounts/accounts.service.js';
import type { AreasService } from '../areas/areas.service.js';
import type { AuthorView } from '../forums/authorship.js';
import type { MemberKey } from '../core/member-key.js';
import { wroteIt } from './review-authors.js';
import { reviewBoardsCollection, type IdentifierHint, type ResponseDoc, type ReviewBoardDoc, type ReviewDoc, type ReviewOrigin, type WarningCategory } from './reviews.collections.js';

export interface ReviewBoardView {
  readonly slug: string;
  readonly name: string;
  readonly description: string;
  readonly visibility: ReviewBoardDoc['visibility'];
  readonly reviewCount: number;
  readonly canModerate: boolean;
}

export interface ResponseView {
  readonly id: string;
  readonly kind: ResponseDoc['kind'];
  readonly author: AuthorView;
  readonly html: string;
  readonly createdAt: number;
  readonly mine: boolean;
}

export interface ReviewView {
  readonly id: string;
  readonly board: string;
  readonly kind: ReviewDoc['kind'];
  readonly categories: readonly WarningCategory[];
  readonly severity: ReviewDoc['severity'];
  readonly rating: number | null;
  readonly incidentMonth: string;
  readonly incidentDay: number | null;
  readonly area: { readonly id: string; readonly name: string } | null;
  readonly html: string;
  readonly descriptors: string;
  readonly identifiers: readonly IdentifierHint[];
  readonly author: AuthorView;
  readonly status: ReviewDoc['status'];
  readonly corroborations: number;
  readonly counterVouches: number;
  readonly disputes: number;
  readonly createdAt: number;
  readonly publishedAt: number | null;
  readonly expiresAt: number;
  readonly mine: boolean;
  /** For the author and moderators only. */
  readonly question: string | null;
  readonly answer: string | null;
  readonly rejectReason: string | null;
  /** The Markdown source, for the author and moderators (to correct or edit). */
  readonly body?: string;
  readonly canModerate: boolean;
  readonly canRespond: boolean;
  /** The partner instance a shared review comes from (null for our own). */
  readonly origin: string | null;
}

export interface LookupResult {
  readonly warnings: number;
  readonly vouches: number;
  readonly corroborations: number;
  readonly counterVouches: number;
  readonly disputes: number;
  readonly categories: Readonly<Partial<Record<WarningCategory, number>>>;
  readonly reviews: readonly ReviewView[];
}

type Names = Map<string, { handle: string; displayName: string }>;

/**
 * Reviews and responses as a viewer may see them: who wrote them (anonymous,
 * a partner's member, one of ours or a deleted account) and, for the author
 * and moderators only, the source, the moderators' question and the answer.
 */
export class ReviewViews {
  private readonly boards;

  constructor(
    store: Store,
    private readonly accounts: AccountsService,
    private readonly areas: AreasService,
  ) {
    this.boards = store.collection(reviewBoardsCollection);
  }

  board(viewer: AccountDoc | null, b: ReviewBoardDoc): ReviewBoardView {
    return { slug: b.slug, name: b.name, description: b.description, visibility: b.visibility, reviewCount: b.reviewCount, canModerate: isStaff(viewer) };
  }

  /** The public names of the authors who are shown by name. */
  names(docs: readonly { authorId: string | null; anonymous: boolean }[]): Promise<Names> {
    return this.accounts.publicNames(docs.filter((d) => !d.anonymous && d.authorId).map((d) => d.authorId!));
  }

  /** `key` (the viewer's, when their session has one) recognises their anonymous responses as theirs. */
  responses(viewer: AccountDoc, key: MemberKey | null, list: readonly ResponseDoc[], names: Names): ResponseView[] {
    return list.map((r) => ({ id: r.id, kind: r.kind, author: authorOf(r, names), html: r.html, createdAt: r.createdAt, mine: wroteIt(viewer, key, r) }));
  }

  async reviews(viewer: AccountDoc | null, key: MemberKey | null, list: readonly ReviewDoc[]): Promise<ReviewView[]> {
    const names = await this.names(list);
    const boardSlugs = new Map((await this.boards.getMany([...new Set(list.map((r) => r.boardId))])).map((b) => [b.id, b.slug]));
    return list.map((r) => {
      const mine = wroteIt(viewer, key, r);
      const privileged = mine || isStaff(viewer);
      const area = r.areaId ? this.areas.get(r.areaId) : r.origin?.area ? { id: '', name: r.origin.area } : null;
      return {
        id: r.id,
        board: boardSlugs.get(r.boardId) ?? '',
        kind: r.kind,
        categories: r.categories,
        severity: r.severity,
        rating: r.rating,
        incidentMonth: r.incidentMonth,
        incidentDay: r.incidentDay,
        area: area ? { id: area.id, name: area.name } : null,
        html: r.html,
        descriptors: r.descriptors,
        identifiers: r.identifiers,
        author: authorOf(r, names),
        status: r.status,
        corroborations: r.corroborations,
        counterVouches: r.counterVouches,
        disputes: r.disputes,
        createdAt: r.createdAt,
        publishedAt: r.publishedAt,
        expiresAt: r.expiresAt,
        mine,
        question: privileged ? r.question : null,
        answer: privileged ? r.answer : null,
        rejectReason: privileged ? r.rejectReason : null,
        ...(privileged ? { body: r.body } : {}),
        canModerate: isStaff(viewer),
        canRespond: !!viewer && viewer.status === 'active' && !mine && r.status === 'published' && !isSuspended(viewer) && !r.origin,
        origin: r.origin?.host ?? null,
      };
    });
  }
}

function authorOf(doc: { authorId: string | null; anonymous: boolean; origin?: ReviewOrigin | null }, names: Names): AuthorView {
  if (doc.origin?.author) return { kind: 'remote', name: doc.origin.author.name, address: doc.origin.author.address, url: null };
  if (doc.anonymous) return { kind: 'anonymous' };
  const name = doc.authorId ? names.get(doc.authorId) : undefined;
  return name ? { kind: 'member', handle: name.handle, displayName: name.displayName } : { kind: 'deleted' };
}
