import crypto from 'node:crypto';
import type { SeedLanguage } from '../i18n/i18n.js';
import type { Store, TxScope } from '../store/port.js';
import { newId } from '../crypto.js';
import { eachPage } from '../store/paging.js';
import { AppError, conflict, fieldError, forbidden, notFound, unauthorized, unprocessable } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import type { Limiter } from '../core/rate-limit.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import { isAdmin, isStaff, isSuspended, type AccountsService } from '../accounts/accounts.service.js';
import type { AccountHooks } from '../accounts/account-hooks.js';
import type { InstanceService } from '../instance/instance.service.js';
import type { AreasService } from '../areas/areas.service.js';
import type { NotificationsService } from '../notifications/notifications.service.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import { cleanHtml, renderBody, renderMarkdown } from '../content/markdown.js';
import type { AuthorView } from '../forums/forums.service.js';
import {
  digestsCollection,
  responsesCollection,
  reviewBoardsCollection,
  reviewsCollection,
  type IdentifierHint,
  type ResponseDoc,
  type ReviewBoardDoc,
  type ReviewDoc,
  type ReviewOrigin,
  type WarningCategory,
} from './reviews.collections.js';
import { identifierDigest, normaliseIdentifier, type DigestParams } from './identifiers.js';
import type { BoardKeys } from './board-keys.js';
import {
  answerInput,
  correctionInput,
  lookupInput,
  responseInput,
  reviewBoardPatchInput,
  reviewInput,
  reviewListInput,
  reviewModerationInput,
} from './reviews.schemas.js';

export interface ReviewsConfig {
  readonly lifetimeMs: number;
  readonly perDay: number;
  readonly digest: DigestParams;
}

export interface ReviewsDeps {
  readonly store: Store;
  readonly accounts: AccountsService;
  readonly instance: InstanceService;
  readonly areas: AreasService;
  readonly notifications: NotificationsService;
  readonly moderation: ModerationService;
  readonly hooks: AccountHooks;
  readonly lookupLimit: Limiter;
  readonly config: ReviewsConfig;
  readonly boardKeys: BoardKeys;
}

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

/** A review as partner instances of the network receive it (federation/network.ts validates it on arrival). */
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

/** The first review board of a fresh instance. */
/** Named in the instance's default language (catalogue keys). */
/** Our id for a partner's review: derived from its IRI, so the same review sent again lands on the same copy. */
const sharedReviewId = (originIri: string) => `n${crypto.createHash('sha256').update(originIri).digest('base64url').slice(0, 26)}`;

const starterBoard = { slug: 'client-screening', name: 'starter.screening', description: 'starter.screening_about' };

/**
 * Two-way client review boards. Identifiers (phone, e-mail, handles) are
 * normalised and stored only as keyed slow hashes; look-ups leave no trace.
 */
export function createReviewsService(deps: ReviewsDeps) {
  const { store, accounts, instance, areas, notifications, moderation, hooks, lookupLimit, config, boardKeys } = deps;
  const boards = store.collection(reviewBoardsCollection);
  const reviews = store.collection(reviewsCollection);
  const digests = store.collection(digestsCollection);
  const changeListeners = new Set<(reviewId: string) => void>();
  /** Tells listeners (federation, for network boards) that a review changed or went. */
  const changed = (reviewId: string) => {
    for (const listener of changeListeners) listener(reviewId);
  };
  const responses = store.collection(responsesCollection);

  const active = (a: AccountDoc | null): a is AccountDoc => !!a && a.status === 'active';
  const trusted = (a: AccountDoc) => isStaff(a) || a.trusted === true;

  function ensureMember(viewer: AccountDoc | null): asserts viewer is AccountDoc {
    if (!viewer) throw unauthorized('login_required');
    if (viewer.status !== 'active') throw forbidden('pending_approval');
  }

  async function boardBySlug(slug: string): Promise<ReviewBoardDoc> {
    const board = slug.length <= 60 ? await boards.findOne({ slug }) : null;
    if (!board) throw notFound('review_board_not_found');
    return board;
  }

  const boardView = (viewer: AccountDoc | null, b: ReviewBoardDoc): ReviewBoardView => ({
    slug: b.slug,
    name: b.name,
    description: b.description,
    visibility: b.visibility,
    reviewCount: b.reviewCount,
    canModerate: isStaff(viewer),
  });

  function authorOf(doc: { authorId: string | null; anonymous: boolean; origin?: ReviewOrigin | null }, names: Map<string, { handle: string; displayName: string }>): AuthorView {
    if (doc.origin?.author) return { kind: 'remote', name: doc.origin.author.name, address: doc.origin.author.address, url: null };
    if (doc.anonymous) return { kind: 'anonymous' };
    const name = doc.authorId ? names.get(doc.authorId) : undefined;
    return name ? { kind: 'member', handle: name.handle, displayName: name.displayName } : { kind: 'deleted' };
  }

  const namesFor = (docs: readonly { authorId: string | null; anonymous: boolean }[]) =>
    accounts.publicNames(docs.filter((d) => !d.anonymous && d.authorId).map((d) => d.authorId!));

  async function views(viewer: AccountDoc | null, list: readonly ReviewDoc[]): Promise<ReviewView[]> {
    const names = await namesFor(list);
    const boardSlugs = new Map((await boards.getMany([...new Set(list.map((r) => r.boardId))])).map((b) => [b.id, b.slug]));
    return list.map((r) => {
      const mine = !!viewer && r.authorId === viewer.id;
      const privileged = mine || isStaff(viewer);
      const area = r.areaId ? areas.get(r.areaId) : r.origin?.area ? { id: '', name: r.origin.area } : null;
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
        canRespond: active(viewer) && !mine && r.status === 'published' && !isSuspended(viewer) && !r.origin,
        origin: r.origin?.host ?? null,
      };
    });
  }

  async function reviewFor(viewer: AccountDoc | null, id: string): Promise<ReviewDoc> {
    ensureMember(viewer);
    const review = id.length <= 64 ? await reviews.get(id) : null;
    if (!review) throw notFound('review_not_found');
    if (review.status !== 'published' && review.authorId !== viewer.id && !isStaff(viewer)) throw notFound('review_not_found');
    return review;
  }

  /** Moves the review, its digests and its responses to a new expiry: a corroboration keeps a warning alive. */
  async function renew(tx: TxScope, review: ReviewDoc, expiresAt: number): Promise<void> {
    await tx.collection(reviewsCollection).patch(review.id, { expiresAt });
    const dcol = tx.collection(digestsCollection);
    for (const d of (await dcol.find({ where: { reviewId: review.id }, limit: 10 })).items) await dcol.patch(d.id, { expiresAt });
    const rcol = tx.collection(responsesCollection);
    let after: string | null = null;
    do {
      const page = await rcol.find({ where: { reviewId: review.id }, orderBy: { field: 'createdAt' }, limit: 200, after });
      for (const r of page.items) await rcol.patch(r.id, { expiresAt });
      after = page.next;
    } while (after);
  }

  async function removeReview(tx: TxScope, review: ReviewDoc): Promise<void> {
    await tx.collection(digestsCollection).deleteWhere({ reviewId: review.id });
    await tx.collection(responsesCollection).deleteWhere({ reviewId: review.id });
    await tx.collection(reviewsCollection).delete(review.id);
    await tx.collection(reviewBoardsCollection).increment(review.boardId, { reviewCount: -1 });
  }

  async function announceUrgent(review: ReviewDoc): Promise<void> {
    if (review.kind !== 'warning' || review.severity !== 'urgent' || review.status !== 'published' || !review.areaId) return;
    const subscribers = (await areas.subscribers(review.areaId)).filter((id) => id !== review.authorId);
    await notifications.notify(subscribers, 'urgent_warning', `/r/${review.id}`);
  }

  hooks.onDeleted(async (tx, accountId, content) => {
    const rcol = tx.collection(reviewsCollection);
    let after: string | null = null;
    do {
      const page = await rcol.find({ where: { authorId: accountId }, orderBy: { field: 'createdAt' }, limit: 200, after });
      for (const r of page.items) {
        if (content === 'delete') await removeReview(tx, r);
        else await rcol.patch(r.id, { authorId: null });
      }
      after = page.next;
    } while (after);
    const scol = tx.collection(responsesCollection);
    let rafter: string | null = null;
    do {
      const page = await scol.find({ where: { authorId: accountId }, orderBy: { field: 'createdAt' }, limit: 200, after: rafter });
      for (const r of page.items) {
        if (content === 'delete') await scol.delete(r.id);
        else await scol.patch(r.id, { authorId: null });
      }
      rafter = page.next;
    } while (rafter);
  });

  hooks.exporter('reviews', async (accountId) => {
    const out: unknown[] = [];
    let after: string | null = null;
    do {
      const page = await reviews.find({ where: { authorId: accountId }, orderBy: { field: 'createdAt' }, limit: 200, after });
      for (const r of page.items) {
        out.push({ id: r.id, kind: r.kind, categories: r.categories, incidentMonth: r.incidentMonth, body: r.body, descriptors: r.descriptors, identifiers: r.identifiers, status: r.status, createdAt: r.createdAt });
      }
      after = page.next;
    } while (after);
    return out;
  });

  return {
    async seed(language: SeedLanguage): Promise<void> {
      if ((await boards.count()) > 0) return;
      const { slug, name, description } = starterBoard;
      await boards.insert({ id: newId(), slug, name: language.text(name), description: language.text(description), visibility: 'members', keyCheck: boardKeys.check, reviewCount: 0, createdAt: Date.now() });
    },

    async listBoards(viewer: AccountDoc | null): Promise<ReviewBoardView[]> {
      ensureMember(viewer);
      return (await boards.find({ orderBy: { field: 'createdAt' }, limit: 100 })).items.map((b) => boardView(viewer, b));
    },

    async getBoard(viewer: AccountDoc | null, slug: string): Promise<ReviewBoardView> {
      ensureMember(viewer);
      return boardView(viewer, await boardBySlug(slug));
    },

    /** Admins set the name, visibility and (before the first review) the network's shared secret. */
    async updateBoard(actor: AccountDoc, slug: string, raw: unknown): Promise<ReviewBoardView & { secret: string }> {
      if (!isAdmin(actor)) throw forbidden('admin_only');
      const board = await boardBySlug(slug);
      const input = parseInput(reviewBoardPatchInput, raw);
      if (input.secret && board.reviewCount > 0) throw conflict('secret_locked');
      const secret = input.secret ? Buffer.from(input.secret, input.secret.includes('-') || input.secret.includes('_') ? 'base64url' : 'base64') : null;
      if (secret && secret.length < 16) throw fieldError('secret', 'validation.secret_format');
      const updated = (await boards.patch(board.id, {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.visibility !== undefined ? { visibility: input.visibility } : {}),
        ...(secret ? { wrappedSecret: boardKeys.wrap(board.id, secret), keyCheck: boardKeys.check } : {}),
      }))!;
      return { ...boardView(actor, updated), secret: boardKeys.keyFor(updated) };
    },

    async boardSecret(actor: AccountDoc, slug: string): Promise<string> {
      if (!isAdmin(actor)) throw forbidden('admin_only');
      return boardKeys.keyFor(await boardBySlug(slug));
    },

    async create(author: AccountDoc | null, slug: string, raw: unknown): Promise<ReviewView> {
      ensureMember(author);
      const board = await boardBySlug(slug);
      if (isSuspended(author)) throw new AppError(403, 'suspended', 'error.suspended', { until: new Date(author.suspendedUntil ?? 0).toISOString().slice(0, 10) });
      const input = parseInput(reviewInput, raw);
      if (input.kind === 'warning') {
        if (input.categories.length === 0) throw fieldError('categories', 'validation.category_needed');
        if (!input.severity) throw fieldError('severity', 'validation.required');
      } else if (!input.rating) {
        throw fieldError('rating', 'validation.required');
      }
      if (input.identifiers.length === 0 && !input.descriptors) throw fieldError('identifiers', 'validation.identifier_or_descriptor');
      const now = new Date();
      const thisMonth = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
      if (input.incidentMonth > thisMonth) throw fieldError('incidentMonth', 'validation.month_future');
      if (input.area) areas.mustExist(input.area);
      const html = renderBody(input.body);
      const country = instance.settings().defaultCountry;
      const normalised = input.identifiers.map((id, i) => normaliseIdentifier(id, country, `identifiers.${i}`));
      const since = Date.now() - 86_400_000;
      const recent = await reviews.find({ where: { authorId: author.id }, orderBy: { field: 'createdAt', direction: 'desc' }, range: { gt: since }, limit: config.perDay + 1 });
      if (recent.items.length >= config.perDay && !isStaff(author)) throw new AppError(429, 'review_limit', 'error.review_limit', { count: config.perDay }, {}, 3600);
      const hashes = [...new Set(await Promise.all(normalised.map((n) => identifierDigest(n.canonical, boardKeys.keyFor(board), config.digest))))];
      const published = trusted(author);
      const created = Date.now();
      const expiresAt = created + config.lifetimeMs;
      const doc: ReviewDoc = {
        id: newId(),
        boardId: board.id,
        authorId: author.id,
        anonymous: input.anonymous,
        kind: input.kind,
        categories: input.kind === 'warning' ? [...new Set(input.categories)] : [],
        severity: input.kind === 'warning' ? (input.severity ?? null) : null,
        rating: input.kind === 'vouch' ? (input.rating ?? null) : null,
        incidentMonth: input.incidentMonth,
        incidentDay: input.incidentDay ?? null,
        areaId: input.area ?? null,
        body: input.body,
        html,
        descriptors: input.descriptors,
        identifiers: normalised.map((n) => n.hint),
        status: published ? 'published' : 'pending',
        question: null,
        answer: null,
        rejectReason: null,
        corroborations: 0,
        counterVouches: 0,
        disputes: 0,
        createdAt: created,
        updatedAt: created,
        publishedAt: published ? created : null,
        expiresAt,
      };
      await store.transaction(async (tx) => {
        await tx.collection(reviewsCollection).insert(doc);
        const dcol = tx.collection(digestsCollection);
        for (const digest of hashes) await dcol.insert({ id: newId(), boardId: board.id, reviewId: doc.id, digest, expiresAt });
        await tx.collection(reviewBoardsCollection).increment(board.id, { reviewCount: 1 });
      });
      await announceUrgent(doc);
      changed(doc.id);
      return (await views(author, [doc]))[0]!;
    },

    onChange(listener: (reviewId: string) => void): void {
      changeListeners.add(listener);
    },

    /**
     * What partner instances of the regional network receive of a review: a
     * published review of our own on a network board, with its identifier
     * digests (never identifiers) and its area by name; null when there is
     * nothing (any more) to share.
     */
    async shared(reviewId: string): Promise<SharedReview | null> {
      const review = await reviews.get(reviewId);
      if (!review || review.status !== 'published' || review.origin) return null;
      const board = await boards.get(review.boardId);
      if (!board || board.visibility !== 'network') return null;
      const rows = (await digests.find({ where: { reviewId: review.id }, limit: 10 })).items;
      const names = review.anonymous ? new Map() : await accounts.publicNames(review.authorId ? [review.authorId] : []);
      const name = review.authorId ? names.get(review.authorId) : undefined;
      return {
        board: board.slug,
        author: name ? { name: name.displayName || name.handle, handle: name.handle } : null,
        area: review.areaId ? (areas.get(review.areaId)?.name ?? null) : null,
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
    },

    /**
     * A review a partner instance shared, kept on our network board of the
     * same slug (partners configure the same secret there, so its digests
     * match our look-ups). Sent again, it replaces the earlier copy.
     */
    async receiveShared(origin: Omit<ReviewOrigin, 'author' | 'area'>, review: SharedReview): Promise<void> {
      const board = await boards.findOne({ slug: review.board });
      if (!board || board.visibility !== 'network') throw notFound('board_not_found');
      const id = sharedReviewId(origin.iri);
      const existing = await reviews.get(id);
      if (existing && existing.boardId !== board.id) throw conflict('review_shared');
      const doc: ReviewDoc = {
        id,
        boardId: board.id,
        authorId: null,
        anonymous: !review.author,
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
        expiresAt: Math.min(review.expiresAt, Date.now() + config.lifetimeMs * 2),
      };
      await store.transaction(async (tx) => {
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
      if (!existing) await announceUrgent(doc);
    },

    /** Visits every review that partners receive (published, of our own, on a network board). */
    async eachShared(visit: (reviewId: string) => Promise<void>): Promise<void> {
      for (const board of (await boards.find({ orderBy: { field: 'createdAt' }, limit: 100 })).items) {
        if (board.visibility !== 'network') continue;
        await eachPage(
          (after) => reviews.find({ where: { boardId: board.id, status: 'published' }, orderBy: { field: 'createdAt' }, limit: 200, after }),
          async (r) => {
            if (!r.origin) await visit(r.id);
          },
        );
      }
    },

    /** A partner took its review back (retracted, removed or no longer shared). */
    async removeShared(originIri: string): Promise<void> {
      const id = sharedReviewId(originIri);
      const review = await reviews.get(id);
      if (!review || review.origin?.iri !== originIri) return;
      await store.transaction((tx) => removeReview(tx, review));
    },

    async list(viewer: AccountDoc | null, slug: string, raw: unknown = {}) {
      ensureMember(viewer);
      const board = await boardBySlug(slug);
      const q = parseInput(reviewListInput, raw);
      if (q.area) areas.mustExist(q.area);
      const where = q.kind
        ? { boardId: board.id, status: 'published', kind: q.kind }
        : q.area
          ? { boardId: board.id, status: 'published', areaId: q.area }
          : { boardId: board.id, status: 'published' };
      const page = await reviews.find({ where, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 30, after: q.after ?? null });
      const items = page.items.filter((r) => (!q.category || r.categories.includes(q.category)) && (!q.area || r.areaId === q.area));
      return { board: boardView(viewer, board), reviews: await views(viewer, items), next: page.next };
    },

    async get(viewer: AccountDoc | null, id: string): Promise<{ review: ReviewView; responses: ResponseView[] }> {
      const review = await reviewFor(viewer, id);
      const list = (await responses.find({ where: { reviewId: review.id }, orderBy: { field: 'createdAt' }, limit: 200 })).items;
      const names = await namesFor(list);
      return {
        review: (await views(viewer, [review]))[0]!,
        responses: list.map((r) => ({ id: r.id, kind: r.kind, author: authorOf(r, names), html: r.html, createdAt: r.createdAt, mine: r.authorId === viewer!.id })),
      };
    },

    /**
     * Screening: every published review that names this identifier. Nothing
     * about the look-up is written anywhere; it is rate-limited in memory.
     */
    async lookup(viewer: AccountDoc | null, slug: string, raw: unknown): Promise<LookupResult> {
      ensureMember(viewer);
      const board = await boardBySlug(slug);
      const { identifier } = parseInput(lookupInput, raw);
      const normalised = normaliseIdentifier(identifier, instance.settings().defaultCountry);
      await lookupLimit.consume(viewer.id);
      const digest = await identifierDigest(normalised.canonical, boardKeys.keyFor(board), config.digest);
      const rows = (await digests.find({ where: { boardId: board.id, digest }, limit: 200 })).items;
      const found = (await reviews.getMany([...new Set(rows.map((r) => r.reviewId))])).filter((r) => r.status === 'published');
      found.sort((a, b) => b.createdAt - a.createdAt);
      const categories: Partial<Record<WarningCategory, number>> = {};
      for (const r of found) for (const c of r.categories) categories[c] = (categories[c] ?? 0) + 1;
      return {
        warnings: found.filter((r) => r.kind === 'warning').length,
        vouches: found.filter((r) => r.kind === 'vouch').length,
        corroborations: found.reduce((n, r) => n + r.corroborations, 0),
        counterVouches: found.reduce((n, r) => n + r.counterVouches, 0),
        disputes: found.reduce((n, r) => n + r.disputes, 0),
        categories,
        reviews: await views(viewer, found),
      };
    },

    async respond(viewer: AccountDoc | null, id: string, raw: unknown): Promise<ResponseView> {
      const review = await reviewFor(viewer, id);
      const author = viewer!;
      const input = parseInput(responseInput, raw);
      if (isSuspended(author)) throw new AppError(403, 'suspended', 'error.suspended', { until: new Date(author.suspendedUntil ?? 0).toISOString().slice(0, 10) });
      if (review.authorId === author.id) throw unprocessable('respond_own');
      // Responses stay on the instance where they are written; a partner's review is answered there.
      if (review.origin) throw conflict('review_shared');
      if (review.status !== 'published') throw conflict('review_not_published');
      if (input.kind === 'counter_vouch' && review.kind !== 'warning') throw unprocessable('counter_vouch_warning_only');
      if (input.kind === 'dispute' && input.note.trim().length < 3) throw fieldError('note', 'validation.note_needed');
      const html = input.note.trim() ? renderMarkdown(input.note) : '';
      const now = Date.now();
      const doc: ResponseDoc = {
        id: `${review.id}.${author.id}`,
        reviewId: review.id,
        authorId: author.id,
        anonymous: input.anonymous,
        kind: input.kind,
        note: input.note,
        html,
        createdAt: now,
        expiresAt: review.expiresAt,
      };
      const counter = input.kind === 'corroborate' ? 'corroborations' : input.kind === 'counter_vouch' ? 'counterVouches' : 'disputes';
      await store.transaction(async (tx) => {
        const existing = await tx.collection(responsesCollection).get(doc.id);
        if (existing) throw conflict('already_responded');
        await tx.collection(responsesCollection).insert(doc);
        await tx.collection(reviewsCollection).increment(review.id, { [counter]: 1 });
        if (input.kind === 'corroborate') await renew(tx, review, now + config.lifetimeMs);
      });
      changed(review.id);
      return { id: doc.id, kind: doc.kind, author: input.anonymous ? { kind: 'anonymous' } : { kind: 'member', handle: author.handle, displayName: author.displayName }, html, createdAt: now, mine: true };
    },

    /** The author corrects their review; a member's correction goes back to the moderators. */
    async correct(viewer: AccountDoc | null, id: string, raw: unknown): Promise<ReviewView> {
      const review = await reviewFor(viewer, id);
      if (review.authorId !== viewer!.id) throw forbidden('not_author');
      const input = parseInput(correctionInput, raw);
      const patch: Partial<ReviewDoc> = { updatedAt: Date.now() };
      if (input.body !== undefined) {
        patch.body = input.body;
        patch.html = renderBody(input.body);
      }
      if (input.descriptors !== undefined) patch.descriptors = input.descriptors;
      if (review.kind === 'warning' && input.categories) {
        if (input.categories.length === 0) throw fieldError('categories', 'validation.category_needed');
        patch.categories = [...new Set(input.categories)];
      }
      if (review.kind === 'warning' && input.severity) patch.severity = input.severity;
      if (review.kind === 'vouch' && input.rating) patch.rating = input.rating;
      if (!trusted(viewer!) && review.status === 'published') patch.status = 'pending';
      const updated = (await reviews.patch(review.id, patch))!;
      changed(review.id);
      return (await views(viewer, [updated]))[0]!;
    },

    /** The author takes their review back: it is deleted with its responses and digests. */
    async retract(viewer: AccountDoc | null, id: string): Promise<void> {
      const review = await reviewFor(viewer, id);
      if (review.authorId !== viewer!.id) throw forbidden('not_author');
      await store.transaction((tx) => removeReview(tx, review));
      changed(review.id);
    },

    async answer(viewer: AccountDoc | null, id: string, raw: unknown): Promise<ReviewView> {
      const review = await reviewFor(viewer, id);
      if (review.authorId !== viewer!.id) throw forbidden('not_author');
      if (!review.question) throw conflict('no_question');
      const { answer } = parseInput(answerInput, raw);
      return (await views(viewer, [(await reviews.patch(review.id, { answer, updatedAt: Date.now() }))!]))[0]!;
    },

    async queue(viewer: AccountDoc | null) {
      ensureMember(viewer);
      if (!isStaff(viewer)) throw forbidden('moderator_only');
      const page = await reviews.find({ where: { status: 'pending' }, orderBy: { field: 'createdAt' }, limit: 100 });
      const names = await accounts.publicNames(page.items.map((r) => r.authorId).filter((x): x is string => !!x));
      const list = await views(viewer, page.items);
      // Moderators verifying a warning see who posted it, even when it will be shown anonymously.
      return list.map((v, i) => ({ review: v, author: page.items[i]!.authorId ? (names.get(page.items[i]!.authorId!)?.handle ?? null) : null }));
    },

    async moderate(viewer: AccountDoc | null, id: string, raw: unknown): Promise<ReviewView | null> {
      const review = await reviewFor(viewer, id);
      const mod = viewer!;
      if (!isStaff(mod)) throw forbidden('moderator_only');
      const input = parseInput(reviewModerationInput, raw);
      const now = Date.now();
      const log = (tx: TxScope, action: string, reason: string) =>
        moderation.record(tx, mod, { boardId: null, action: `review_${action}`, targetType: 'post', targetId: review.id, reason });
      switch (input.action) {
        case 'publish': {
          if (review.status !== 'pending') throw conflict('wrong_state');
          const updated = await store.transaction(async (tx) => {
            const doc = await tx.collection(reviewsCollection).patch(review.id, { status: 'published', publishedAt: now, updatedAt: now, rejectReason: null });
            await renew(tx, review, now + config.lifetimeMs);
            await log(tx, 'publish', input.reason);
            return doc!;
          });
          await announceUrgent(updated);
          changed(review.id);
          return (await views(mod, [updated]))[0]!;
        }
        case 'reject': {
          if (review.status !== 'pending') throw conflict('wrong_state');
          if (input.reason.length < 3) throw fieldError('reason', 'validation.reason_needed');
          // A rejected review stays a month so its author can read why, then it is gone.
          const updated = await store.transaction(async (tx) => {
            const doc = await tx.collection(reviewsCollection).patch(review.id, { status: 'rejected', rejectReason: input.reason, updatedAt: now });
            await renew(tx, review, now + 30 * 86_400_000);
            await log(tx, 'reject', input.reason);
            return doc!;
          });
          changed(review.id);
          return (await views(mod, [updated]))[0]!;
        }
        case 'ask': {
          if (input.question.length < 3) throw fieldError('question', 'validation.reason_needed');
          const updated = (await reviews.patch(review.id, { question: input.question, answer: null, updatedAt: now }))!;
          if (review.authorId) await notifications.notify([review.authorId], 'review_question', `/r/${review.id}`);
          return (await views(mod, [updated]))[0]!;
        }
        case 'edit': {
          const patch: Partial<ReviewDoc> = { updatedAt: now };
          if (input.body !== undefined) {
            patch.body = input.body;
            patch.html = renderBody(input.body);
          }
          if (input.descriptors !== undefined) patch.descriptors = input.descriptors;
          const updated = await store.transaction(async (tx) => {
            const doc = await tx.collection(reviewsCollection).patch(review.id, patch);
            await log(tx, 'edit', input.reason);
            return doc!;
          });
          changed(review.id);
          return (await views(mod, [updated]))[0]!;
        }
        case 'remove': {
          if (input.reason.length < 3) throw fieldError('reason', 'validation.reason_needed');
          await store.transaction(async (tx) => {
            await removeReview(tx, review);
            await log(tx, 'remove', input.reason);
          });
          changed(review.id);
          return null;
        }
      }
    },
  };
}

export type ReviewsService = ReturnType<typeof createReviewsService>;
