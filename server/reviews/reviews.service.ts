import type { Relabel, SeedLanguage } from '../i18n/i18n.js';
import type { Store, TxScope } from '../store/port.js';
import { newId } from '../crypto.js';
import { AppError, conflict, fieldError, forbidden, notFound, unauthorized, unprocessable } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import type { Limiter } from '../core/rate-limit.js';
import { requireMemberKey, type MemberKey } from '../core/member-key.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import { isAdmin, isStaff, isSuspended, type AccountsService } from '../accounts/accounts.service.js';
import type { InstanceService } from '../instance/instance.service.js';
import type { AreasService } from '../areas/areas.service.js';
import type { NotificationsService } from '../notifications/notifications.service.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import { renderBody, renderMarkdown } from '../content/markdown.js';
import {
  digestsCollection,
  responsesCollection,
  reviewBoardsCollection,
  reviewsCollection,
  type ResponseDoc,
  type ReviewDoc,
  type WarningCategory,
} from './reviews.collections.js';
import type { BoardKeys } from './board-keys.js';
import { identifierDigest, normaliseIdentifier, type DigestParams } from './identifiers.js';
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
import type { LookupResult, ResponseView, ReviewBoardView, ReviewView, ReviewViews } from './review-views.js';
import { responseCounter, type ReviewRecords } from './review-records.js';
import { blindOnReviewBoard, isBlinded, mustHaveWritten, wroteIt } from './review-authors.js';

export interface ReviewsConfig {
  readonly lifetimeMs: number;
  readonly perDay: number;
  readonly digest: DigestParams;
}

export interface ReviewsDeps {
  readonly store: Store;
  readonly records: ReviewRecords;
  readonly views: ReviewViews;
  readonly accounts: AccountsService;
  readonly instance: InstanceService;
  readonly areas: AreasService;
  readonly notifications: NotificationsService;
  readonly moderation: ModerationService;
  readonly lookupLimit: Limiter;
  readonly config: ReviewsConfig;
  readonly boardKeys: BoardKeys;
}

/** The first review board of a fresh instance, named in the instance's default language (catalogue keys). */
const starterBoard = { slug: 'client-screening', name: 'starter.screening', description: 'starter.screening_about' };

const trusted = (a: AccountDoc) => isStaff(a) || a.trusted === true;

function ensureMember(viewer: AccountDoc | null): asserts viewer is AccountDoc {
  if (!viewer) throw unauthorized('login_required');
  if (viewer.status !== 'active') throw forbidden('pending_approval');
}

/**
 * Two-way client review boards: writing, screening, responding and
 * moderating. Identifiers (phone, e-mail, handles) are normalised and stored
 * only as keyed slow hashes; look-ups leave no trace. Sharing with partner
 * instances is partner-sharing.service.ts.
 *
 * An anonymous review or response names no account: it is stored under its
 * author's blinded id on the review board, which the key of their session
 * (`key`, null for a session from before member keys) recomputes whenever they
 * act on it. Account deletion and export reach them in review-accounts.ts.
 */
export class ReviewsService {
  private readonly boards;
  private readonly reviews;
  private readonly digests;
  private readonly responses;
  private readonly changeListeners = new Set<(reviewId: string) => void>();

  constructor(private readonly deps: ReviewsDeps) {
    this.boards = deps.store.collection(reviewBoardsCollection);
    this.reviews = deps.store.collection(reviewsCollection);
    this.digests = deps.store.collection(digestsCollection);
    this.responses = deps.store.collection(responsesCollection);
  }

  /** Listeners (federation, for network boards) learn that a review changed or went. */
  onChange(listener: (reviewId: string) => void): void {
    this.changeListeners.add(listener);
  }

  async seed(language: SeedLanguage): Promise<void> {
    if ((await this.boards.count()) > 0) return;
    const { slug, name, description } = starterBoard;
    await this.boards.insert({ id: newId(), slug, name: language.text(name), description: language.text(description), visibility: 'members', keyCheck: this.deps.boardKeys.check, reviewCount: 0, createdAt: Date.now() });
  }

  /** The starter board, while nobody has renamed it, moves to the language the admin chose at setup. */
  async relabelStarterBoard(relabel: Relabel): Promise<void> {
    const board = await this.boards.findOne({ slug: starterBoard.slug });
    if (!board || !relabel.untouched(starterBoard.name, board.name) || !relabel.untouched(starterBoard.description, board.description)) return;
    await this.boards.patch(board.id, { name: relabel.to.text(starterBoard.name), description: relabel.to.text(starterBoard.description) });
  }

  async listBoards(viewer: AccountDoc | null): Promise<ReviewBoardView[]> {
    ensureMember(viewer);
    return (await this.boards.find({ orderBy: { field: 'createdAt' }, limit: 100 })).items.map((b) => this.deps.views.board(viewer, b));
  }

  async getBoard(viewer: AccountDoc | null, slug: string): Promise<ReviewBoardView> {
    ensureMember(viewer);
    return this.deps.views.board(viewer, await this.deps.records.board(slug));
  }

  /** Admins set the name, visibility and (before the first review) the network's shared secret. */
  async updateBoard(actor: AccountDoc, slug: string, raw: unknown = {}): Promise<ReviewBoardView & { secret: string }> {
    if (!isAdmin(actor)) throw forbidden('admin_only');
    const board = await this.deps.records.board(slug);
    const input = parseInput(reviewBoardPatchInput, raw);
    if (input.secret && board.reviewCount > 0) throw conflict('secret_locked');
    const secret = input.secret ? Buffer.from(input.secret, input.secret.includes('-') || input.secret.includes('_') ? 'base64url' : 'base64') : null;
    if (secret && secret.length < 16) throw fieldError('secret', 'validation.secret_format');
    const updated = (await this.boards.patch(board.id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.visibility !== undefined ? { visibility: input.visibility } : {}),
      ...(secret ? { wrappedSecret: this.deps.boardKeys.wrap(board.id, secret), keyCheck: this.deps.boardKeys.check } : {}),
    }))!;
    return { ...this.deps.views.board(actor, updated), secret: this.deps.boardKeys.keyFor(updated) };
  }

  async boardSecret(actor: AccountDoc, slug: string): Promise<string> {
    if (!isAdmin(actor)) throw forbidden('admin_only');
    return this.deps.boardKeys.keyFor(await this.deps.records.board(slug));
  }

  /**
   * What a new review's photos count against for the day's quota (media/quotas.ts), decided as create() names its
   * author: the member's blinded id on the board when anonymous, null when named (counted under the account).
   */
  async photoQuotaKey(author: AccountDoc | null, key: MemberKey | null, slug: string, raw: unknown): Promise<string | null> {
    ensureMember(author);
    const board = await this.deps.records.board(slug);
    const fields = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const asked = reviewInput.shape.anonymous.safeParse(fields.anonymous);
    const anonymous = (asked.success ? asked.data : undefined) ?? fields.kind === 'warning';
    return anonymous ? blindOnReviewBoard(requireMemberKey(key), board.id) : null;
  }

  async create(author: AccountDoc | null, key: MemberKey | null, slug: string, raw: unknown = {}): Promise<ReviewView> {
    ensureMember(author);
    const board = await this.deps.records.board(slug);
    if (isSuspended(author)) throw new AppError(403, 'suspended', 'error.suspended', { until: new Date(author.suspendedUntil ?? 0).toISOString().slice(0, 10) });
    const input = parseInput(reviewInput, raw);
    // Left out, a warning is anonymous (a member may choose to sign it) and a vouch named.
    const anonymous = input.anonymous ?? input.kind === 'warning';
    const blindAuthor = anonymous ? blindOnReviewBoard(requireMemberKey(key), board.id) : null;
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
    if (input.area) this.deps.areas.mustExist(input.area);
    const html = renderBody(input.body);
    const country = this.deps.instance.settings().defaultCountry;
    const normalised = input.identifiers.map((id, i) => normaliseIdentifier(id, country, `identifiers.${i}`));
    if (!isStaff(author) && (await this.postedToday(author, key)) >= this.deps.config.perDay) {
      throw new AppError(429, 'review_limit', 'error.review_limit', { count: this.deps.config.perDay }, {}, 3600);
    }
    const hashes = [...new Set(await Promise.all(normalised.map((n) => identifierDigest(n.canonical, this.deps.boardKeys.keyFor(board), this.deps.config.digest))))];
    const published = trusted(author);
    const created = Date.now();
    const expiresAt = created + this.deps.config.lifetimeMs;
    const doc: ReviewDoc = {
      id: newId(),
      boardId: board.id,
      authorId: blindAuthor ? null : author.id,
      anonymous,
      ...(blindAuthor ? { blindAuthor, blindBoardId: board.id } : {}),
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
    await this.deps.store.transaction(async (tx) => {
      await tx.collection(reviewsCollection).insert(doc);
      const dcol = tx.collection(digestsCollection);
      for (const digest of hashes) await dcol.insert({ id: newId(), boardId: board.id, reviewId: doc.id, digest, expiresAt });
      await tx.collection(reviewBoardsCollection).increment(board.id, { reviewCount: 1 });
    });
    await this.deps.records.announceUrgent(doc);
    this.changed(doc.id);
    return (await this.deps.views.reviews(author, key, [doc]))[0]!;
  }

  /**
   * The member's reviews of the last day: named ones by account id, anonymous ones by their blinded id on each board,
   * so the limit holds for both without any row naming the two together. Without a key only named ones count; such
   * a session cannot post anonymously either.
   */
  private async postedToday(author: AccountDoc, key: MemberKey | null): Promise<number> {
    const since = Date.now() - 86_400_000;
    const enough = this.deps.config.perDay;
    let count = 0;
    for (const where of await this.deps.records.authoredBy(author.id, key)) {
      const page = await this.reviews.find({ where, orderBy: { field: 'createdAt', direction: 'desc' }, range: { gt: since }, limit: Math.max(1, enough) });
      count += page.items.length;
      if (count >= enough) break;
    }
    return count;
  }

  /**
   * The moderators' unanswered questions about the member's reviews. A question about an anonymous review is sent
   * to nobody: it waits on the review, and the author finds it here on their next visit with their key.
   */
  async questions(viewer: AccountDoc | null, key: MemberKey | null): Promise<ReviewView[]> {
    ensureMember(viewer);
    const waiting: ReviewDoc[] = [];
    for (const where of await this.deps.records.authoredBy(viewer.id, key)) {
      const page = await this.reviews.find({ where, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 100 });
      waiting.push(...page.items.filter((r) => r.question !== null && r.answer === null));
    }
    return this.deps.views.reviews(viewer, key, waiting);
  }

  async list(viewer: AccountDoc | null, key: MemberKey | null, slug: string, raw: unknown = {}) {
    ensureMember(viewer);
    const board = await this.deps.records.board(slug);
    const q = parseInput(reviewListInput, raw);
    if (q.area) this.deps.areas.mustExist(q.area);
    const where = q.kind
      ? { boardId: board.id, status: 'published', kind: q.kind }
      : q.area
        ? { boardId: board.id, status: 'published', areaId: q.area }
        : { boardId: board.id, status: 'published' };
    const page = await this.reviews.find({ where, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 30, after: q.after ?? null });
    const items = page.items.filter((r) => (!q.category || r.categories.includes(q.category)) && (!q.area || r.areaId === q.area));
    return { board: this.deps.views.board(viewer, board), reviews: await this.deps.views.reviews(viewer, key, items), next: page.next };
  }

  /** Whether a review is still kept (its photos go with it: server/photos.ts). */
  async exists(id: string): Promise<boolean> {
    return (await this.reviews.get(id)) !== null;
  }

  async get(viewer: AccountDoc | null, key: MemberKey | null, id: string): Promise<{ review: ReviewView; responses: ResponseView[] }> {
    const review = await this.reviewFor(viewer, key, id);
    const list = (await this.responses.find({ where: { reviewId: review.id }, orderBy: { field: 'createdAt' }, limit: 200 })).items;
    const names = await this.deps.views.names(list);
    return {
      review: (await this.deps.views.reviews(viewer, key, [review]))[0]!,
      responses: this.deps.views.responses(viewer!, key, list, names),
    };
  }

  /**
   * Screening: every published review that names this identifier. Nothing
   * about the look-up is written anywhere; it is rate-limited in memory.
   */
  async lookup(viewer: AccountDoc | null, key: MemberKey | null, slug: string, raw: unknown = {}): Promise<LookupResult> {
    ensureMember(viewer);
    const board = await this.deps.records.board(slug);
    const { identifier } = parseInput(lookupInput, raw);
    const normalised = normaliseIdentifier(identifier, this.deps.instance.settings().defaultCountry);
    await this.deps.lookupLimit.consume(viewer.id);
    const digest = await identifierDigest(normalised.canonical, this.deps.boardKeys.keyFor(board), this.deps.config.digest);
    const rows = (await this.digests.find({ where: { boardId: board.id, digest }, limit: 200 })).items;
    const found = (await this.reviews.getMany([...new Set(rows.map((r) => r.reviewId))])).filter((r) => r.status === 'published');
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
      reviews: await this.deps.views.reviews(viewer, key, found),
    };
  }

  async respond(viewer: AccountDoc | null, key: MemberKey | null, id: string, raw: unknown = {}): Promise<ResponseView> {
    const review = await this.reviewFor(viewer, key, id);
    const author = viewer!;
    const input = parseInput(responseInput, raw);
    if (isSuspended(author)) throw new AppError(403, 'suspended', 'error.suspended', { until: new Date(author.suspendedUntil ?? 0).toISOString().slice(0, 10) });
    // Whether an anonymous review is the member's own takes their key to tell, and so does answering anonymously.
    if (input.anonymous || isBlinded(review)) requireMemberKey(key);
    if (wroteIt(author, key, review)) throw unprocessable('respond_own');
    // Responses stay on the instance where they are written; a partner's review is answered there.
    if (review.origin) throw conflict('review_shared');
    if (review.status !== 'published') throw conflict('review_not_published');
    if (input.kind === 'counter_vouch' && review.kind !== 'warning') throw unprocessable('counter_vouch_warning_only');
    if (input.kind === 'dispute' && input.note.trim().length < 3) throw fieldError('note', 'validation.note_needed');
    const html = input.note.trim() ? renderMarkdown(input.note) : '';
    const now = Date.now();
    // One answer per member and review, by name or anonymously: both ids are looked for, neither names the other.
    const named = `${review.id}.${author.id}`;
    const blindAuthor = key ? blindOnReviewBoard(key, review.boardId) : null;
    const anonymousId = blindAuthor ? `${review.id}.${blindAuthor}` : null;
    const doc: ResponseDoc = {
      id: input.anonymous ? anonymousId! : named,
      reviewId: review.id,
      authorId: input.anonymous ? null : author.id,
      anonymous: input.anonymous,
      ...(input.anonymous ? { blindAuthor, blindBoardId: review.boardId } : {}),
      kind: input.kind,
      note: input.note,
      html,
      createdAt: now,
      expiresAt: review.expiresAt,
    };
    const counter = responseCounter(input.kind);
    await this.deps.store.transaction(async (tx) => {
      const existing = await tx.collection(responsesCollection).getMany(anonymousId ? [named, anonymousId] : [named]);
      if (existing.length > 0) throw conflict('already_responded');
      await tx.collection(responsesCollection).insert(doc);
      await tx.collection(reviewsCollection).increment(review.id, { [counter]: 1 });
      if (input.kind === 'corroborate') await this.deps.records.renewIn(tx, review, now + this.deps.config.lifetimeMs);
    });
    this.changed(review.id);
    return { id: doc.id, kind: doc.kind, author: input.anonymous ? { kind: 'anonymous' } : { kind: 'member', handle: author.handle, displayName: author.displayName }, html, createdAt: now, mine: true };
  }

  /** The author corrects their review; a member's correction goes back to the moderators. */
  async correct(viewer: AccountDoc | null, key: MemberKey | null, id: string, raw: unknown = {}): Promise<ReviewView> {
    const review = await this.reviewFor(viewer, key, id);
    mustHaveWritten(viewer!, key, review);
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
    const updated = (await this.reviews.patch(review.id, patch))!;
    this.changed(review.id);
    return (await this.deps.views.reviews(viewer, key, [updated]))[0]!;
  }

  /** The author takes their review back: it is deleted with its responses and this.digests. */
  async retract(viewer: AccountDoc | null, key: MemberKey | null, id: string): Promise<void> {
    const review = await this.reviewFor(viewer, key, id);
    mustHaveWritten(viewer!, key, review);
    await this.deps.store.transaction((tx) => this.deps.records.removeIn(tx, review));
    this.changed(review.id);
  }

  async answer(viewer: AccountDoc | null, key: MemberKey | null, id: string, raw: unknown = {}): Promise<ReviewView> {
    const review = await this.reviewFor(viewer, key, id);
    mustHaveWritten(viewer!, key, review);
    if (!review.question) throw conflict('no_question');
    const { answer } = parseInput(answerInput, raw);
    return (await this.deps.views.reviews(viewer, key, [(await this.reviews.patch(review.id, { answer, updatedAt: Date.now() }))!]))[0]!;
  }

  async queue(viewer: AccountDoc | null, key: MemberKey | null) {
    ensureMember(viewer);
    if (!isStaff(viewer)) throw forbidden('moderator_only');
    const page = await this.reviews.find({ where: { status: 'pending' }, orderBy: { field: 'createdAt' }, limit: 100 });
    // An anonymous review shows no author to moderators either: they verify the warning, not who wrote it.
    const named = (r: (typeof page.items)[number]) => (r.anonymous ? null : r.authorId);
    const names = await this.deps.accounts.publicNames(page.items.map(named).filter((x): x is string => !!x));
    const list = await this.deps.views.reviews(viewer, key, page.items);
    return list.map((v, i) => {
      const authorId = named(page.items[i]!);
      return { review: v, author: authorId ? (names.get(authorId)?.handle ?? null) : null };
    });
  }

  async moderate(viewer: AccountDoc | null, key: MemberKey | null, id: string, raw: unknown = {}): Promise<ReviewView | null> {
    const review = await this.reviewFor(viewer, key, id);
    const mod = viewer!;
    if (!isStaff(mod)) throw forbidden('moderator_only');
    const input = parseInput(reviewModerationInput, raw);
    const now = Date.now();
    const log = (tx: TxScope, action: string, reason: string) =>
      this.deps.moderation.record(tx, mod, { boardId: null, action: `review_${action}`, targetType: 'post', targetId: review.id, reason });
    switch (input.action) {
      case 'publish': {
        if (review.status !== 'pending') throw conflict('wrong_state');
        const updated = await this.deps.store.transaction(async (tx) => {
          const doc = await tx.collection(reviewsCollection).patch(review.id, { status: 'published', publishedAt: now, updatedAt: now, rejectReason: null });
          await this.deps.records.renewIn(tx, review, now + this.deps.config.lifetimeMs);
          await log(tx, 'publish', input.reason);
          return doc!;
        });
        await this.deps.records.announceUrgent(updated);
        this.changed(review.id);
        return (await this.deps.views.reviews(mod, key, [updated]))[0]!;
      }
      case 'reject': {
        if (review.status !== 'pending') throw conflict('wrong_state');
        if (input.reason.length < 3) throw fieldError('reason', 'validation.reason_needed');
        // A rejected review stays a month so its author can read why, then it is gone.
        const updated = await this.deps.store.transaction(async (tx) => {
          const doc = await tx.collection(reviewsCollection).patch(review.id, { status: 'rejected', rejectReason: input.reason, updatedAt: now });
          await this.deps.records.renewIn(tx, review, now + 30 * 86_400_000);
          await log(tx, 'reject', input.reason);
          return doc!;
        });
        this.changed(review.id);
        return (await this.deps.views.reviews(mod, key, [updated]))[0]!;
      }
      case 'ask': {
        if (input.question.length < 3) throw fieldError('question', 'validation.reason_needed');
        const updated = (await this.reviews.patch(review.id, { question: input.question, answer: null, updatedAt: now }))!;
        // Only a named author is told; an anonymous one finds the question on their next visit (questions()).
        if (review.authorId) await this.deps.notifications.notify([review.authorId], 'review_question', `/r/${review.id}`);
        return (await this.deps.views.reviews(mod, key, [updated]))[0]!;
      }
      case 'edit': {
        const patch: Partial<ReviewDoc> = { updatedAt: now };
        if (input.body !== undefined) {
          patch.body = input.body;
          patch.html = renderBody(input.body);
        }
        if (input.descriptors !== undefined) patch.descriptors = input.descriptors;
        const updated = await this.deps.store.transaction(async (tx) => {
          const doc = await tx.collection(reviewsCollection).patch(review.id, patch);
          await log(tx, 'edit', input.reason);
          return doc!;
        });
        this.changed(review.id);
        return (await this.deps.views.reviews(mod, key, [updated]))[0]!;
      }
      case 'remove': {
        if (input.reason.length < 3) throw fieldError('reason', 'validation.reason_needed');
        await this.deps.store.transaction(async (tx) => {
          await this.deps.records.removeIn(tx, review);
          await log(tx, 'remove', input.reason);
        });
        this.changed(review.id);
        return null;
      }
    }
  }

  private changed(reviewId: string): void {
    for (const listener of this.changeListeners) listener(reviewId);
  }

  private async reviewFor(viewer: AccountDoc | null, key: MemberKey | null, id: string): Promise<ReviewDoc> {
    ensureMember(viewer);
    const review = id.length <= 64 ? await this.reviews.get(id) : null;
    if (!review) throw notFound('review_not_found');
    if (review.status !== 'published' && !wroteIt(viewer, key, review) && !isStaff(viewer)) throw notFound('review_not_found');
    return review;
  }
}
