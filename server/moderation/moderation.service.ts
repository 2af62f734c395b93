import { z } from 'zod';
import { DuplicateKeyError, type Collection, type Store, type TxScope } from '../store/port.js';
import { allItems } from '../store/paging.js';
import { newId } from '../crypto.js';
import { conflict, forbidden, notFound } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import { KeptCopy } from '../core/kept-copy.js';
import { isStaff, suspensionInput, type AccountsService } from '../accounts/accounts.service.js';
import { today } from '../accounts/account-keys.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import {
  MOD_LOG_RETENTION_MS,
  modLogCollection,
  REPORT_RETENTION_MS,
  reportsCollection,
  wordFiltersCollection,
  type ModLogDoc,
  type ReportDoc,
  type WordFilterDoc,
} from './moderation.collections.js';
import { reportReasons, type ReportReason } from './report-reasons.js';

export const reportInput = z.strictObject({
  reason: z.enum(reportReasons as [ReportReason, ...ReportReason[]]),
  note: z.string().trim().max(1000).default(''),
});

export const filterInput = z.strictObject({
  phrase: z.string().trim().min(2).max(100),
  action: z.enum(['block', 'hold']),
});

export const pageQuery = z.strictObject({ after: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(100).optional() });

export type FilterVerdict = 'block' | 'hold' | null;

/** Normalises text the same way for filters and what they check: width, case and accents do not hide a word. */
function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

function phraseMatcher(phrase: string): (folded: string) => boolean {
  const p = fold(phrase);
  // Whole words for scripts with spaces (so "ass" does not catch "class"); plain containment for scripts without.
  if (/^[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}\d\s'-]+$/u.test(p)) {
    const re = new RegExp(`(?<![\\p{L}\\p{N}])${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+')}(?![\\p{L}\\p{N}])`, 'u');
    return (text) => re.test(text);
  }
  return (text) => text.includes(p);
}

/**
 * Reports, the moderation log and word filters: the pieces every moderated
 * module (forums, rooms, review boards) shares. The actions themselves (hide a
 * post, lock a thread) belong to the module that owns the content.
 */
export class ModerationService {
  private readonly reports: Collection<ReportDoc>;
  private readonly log: Collection<ModLogDoc>;
  private readonly filters: Collection<WordFilterDoc>;
  private compiled: { action: 'block' | 'hold'; test: (t: string) => boolean }[] = [];
  /** The filters as compiled, read again after another process changed them. */
  private readonly keptFilters = new KeptCopy([wordFiltersCollection.name], async () => {
    this.compiled = (await this.readFilters()).map((f) => ({ action: f.action, test: phraseMatcher(f.phrase) }));
  });

  constructor(
    private readonly store: Store,
    /** Suspensions are the accounts module's; moderation logs them. */
    private readonly accounts: Pick<AccountsService, 'suspend' | 'unsuspend'>,
  ) {
    this.reports = store.collection(reportsCollection);
    this.log = store.collection(modLogCollection);
    this.filters = store.collection(wordFiltersCollection);
  }

  /** Reads the word filters: once at start, and again whenever staff change them here (another process: see keptFilters). */
  reloadFilters(): Promise<void> {
    return this.keptFilters.reread();
  }

  private readFilters(): Promise<WordFilterDoc[]> {
    return allItems((after) => this.filters.find({ orderBy: { field: 'createdAt' }, limit: 500, after }));
  }

  /** The strictest verdict of the instance's word filters on some text, as they stand in the database. */
  async checkText(...texts: readonly string[]): Promise<FilterVerdict> {
    await this.keptFilters.current();
    const folded = fold(texts.join('\n'));
    let verdict: FilterVerdict = null;
    for (const f of this.compiled) {
      if (!f.test(folded)) continue;
      if (f.action === 'block') return 'block';
      verdict = 'hold';
    }
    return verdict;
  }

  async listFilters(actor: AccountDoc): Promise<WordFilterDoc[]> {
    if (!isStaff(actor)) throw forbidden('moderator_only');
    return this.readFilters();
  }

  async addFilter(actor: AccountDoc, raw: unknown): Promise<WordFilterDoc> {
    if (!isStaff(actor)) throw forbidden('moderator_only');
    const input = parseInput(filterInput, raw);
    const doc: WordFilterDoc = { id: newId(), phrase: fold(input.phrase), action: input.action, createdAt: Date.now() };
    try {
      await this.store.transaction(async (tx) => {
        await tx.collection(wordFiltersCollection).insert(doc);
        await this.record(tx, actor, { boardId: null, action: `filter_${input.action}`, targetType: 'filter', targetId: doc.id, reason: input.phrase });
      });
    } catch (error) {
      if (error instanceof DuplicateKeyError) throw conflict('filter_exists');
      throw error;
    }
    await this.reloadFilters();
    return doc;
  }

  async removeFilter(actor: AccountDoc, id: string): Promise<void> {
    if (!isStaff(actor)) throw forbidden('moderator_only');
    const doc = await this.filters.get(id);
    if (!doc) throw notFound('filter_not_found');
    await this.store.transaction(async (tx) => {
      await tx.collection(wordFiltersCollection).delete(id);
      await this.record(tx, actor, { boardId: null, action: 'filter_removed', targetType: 'filter', targetId: id, reason: doc.phrase });
    });
    await this.reloadFilters();
  }

  /** Files a report; one open report per member and post (a second one updates the first). */
  async fileReport(reporter: AccountDoc, post: { id: string; boardId: string }, raw: unknown): Promise<ReportDoc> {
    return this.file(reporter.id, post, parseInput(reportInput, raw));
  }

  /**
   * A report from another server's moderators (an ActivityPub Flag):
   * `reporterKey` stands for that server, never for a person.
   */
  async fileRemoteReport(reporterKey: string, post: { id: string; boardId: string }, raw: unknown): Promise<ReportDoc> {
    return this.file(reporterKey, post, parseInput(reportInput, raw));
  }

  async openReports(after?: string | null, limit = 50) {
    return this.reports.find({ where: { status: 'open' }, orderBy: { field: 'createdAt' }, limit, after: after ?? null });
  }

  async openReportsForPost(postId: string): Promise<ReportDoc[]> {
    return (await this.reports.find({ where: { postId, status: 'open' }, orderBy: { field: 'createdAt' }, limit: 100 })).items;
  }

  async getReport(id: string): Promise<ReportDoc> {
    const report = await this.reports.get(id);
    if (!report) throw notFound('report_not_found');
    return report;
  }

  /** Closes every open report on a post with what the moderator did (inside the action's transaction). */
  async resolveReportsFor(tx: TxScope, postId: string, resolution: string): Promise<number> {
    const col = tx.collection(reportsCollection);
    const open = await col.find({ where: { postId, status: 'open' }, orderBy: { field: 'createdAt' }, limit: 1000 });
    const now = Date.now();
    for (const r of open.items) await col.patch(r.id, { status: 'resolved', resolution, resolvedAt: now, expiresAt: now + REPORT_RETENTION_MS });
    return open.items.length;
  }

  /** Writes one line of the moderation log: who did what to what, when and why. */
  async record(tx: TxScope, actor: AccountDoc, entry: Pick<ModLogDoc, 'boardId' | 'action' | 'targetType' | 'targetId' | 'reason'>): Promise<void> {
    const now = Date.now();
    await tx.collection(modLogCollection).insert({ id: newId(), actorId: actor.id, createdAt: now, expiresAt: now + MOD_LOG_RETENTION_MS, ...entry });
  }

  /** Suspends (days) or bans (no days) an account, and logs it. */
  async suspend(actor: AccountDoc, handle: string, raw: unknown): Promise<AccountDoc> {
    const input = parseInput(suspensionInput, raw);
    const target = await this.accounts.suspend(actor, handle, input);
    await this.store.transaction((tx) =>
      this.record(tx, actor, { boardId: null, action: input.days ? 'account_suspended' : 'account_banned', targetType: 'account', targetId: target.id, reason: input.reason }),
    );
    return target;
  }

  async unsuspend(actor: AccountDoc, handle: string): Promise<AccountDoc> {
    const target = await this.accounts.unsuspend(actor, handle);
    await this.store.transaction((tx) => this.record(tx, actor, { boardId: null, action: 'account_unsuspended', targetType: 'account', targetId: target.id, reason: '' }));
    return target;
  }

  async logPage(boardId: string | null, after?: string | null, limit = 50) {
    return boardId
      ? this.log.find({ where: { boardId }, orderBy: { field: 'createdAt', direction: 'desc' }, limit, after: after ?? null })
      : this.log.find({ orderBy: { field: 'createdAt', direction: 'desc' }, limit, after: after ?? null });
  }

  /** One open report per reporter and post: a second one updates the first. */
  private async file(reporterId: string, post: { id: string; boardId: string }, input: z.infer<typeof reportInput>): Promise<ReportDoc> {
    const existing = await this.reports.findOne({ postId: post.id, reporterId });
    if (existing && existing.status === 'open') {
      return (await this.reports.patch(existing.id, { reason: input.reason, note: input.note }))!;
    }
    const doc: ReportDoc = {
      id: newId(),
      postId: post.id,
      boardId: post.boardId,
      reporterId,
      reason: input.reason,
      note: input.note,
      status: 'open',
      resolution: null,
      // The reporter's account is on the row: to the minute, its time would line up with the reporter's anonymous
      // posts of the same visit, so it is kept to the UTC day like every account-side timestamp.
      createdAt: today(),
      resolvedAt: null,
      expiresAt: null,
    };
    await this.reports.insert(doc);
    return doc;
  }
}
