import { newId } from '../crypto.js';
import { forbidden } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import { isStaff, type AccountsService } from '../accounts/accounts.service.js';
import type { MemberKey } from '../core/member-key.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import type { ReportReason } from '../moderation/report-reasons.js';
import type { Store } from '../store/port.js';
import { conversationMessagesCollection, conversationReportsCollection, REPORT_LIFETIME_MS, type ConversationReportDoc } from './conversations.collections.js';
import { reportInput } from './conversations.schemas.js';
import { conversationError, utcDay, type ConversationAccess } from './access.js';
import type { ConversationsService } from './conversations.service.js';
import type { ConversationPhotos } from './photos.js';
import type { PhotoView } from '../media/media.service.js';

export interface ReportsDeps {
  readonly store: Store;
  readonly access: ConversationAccess;
  readonly conversations: ConversationsService;
  readonly photos: ConversationPhotos;
  readonly moderation: Pick<ModerationService, 'record'>;
  readonly accounts: Pick<AccountsService, 'publicNames'>;
}

export interface ReportQueueItem {
  readonly id: string;
  readonly reason: ReportReason;
  readonly note: string;
  readonly createdAt: number;
  readonly author: string | null;
  readonly messages: readonly { body: string; createdAt: number }[];
  /** The copies of the reported messages' photos. */
  readonly photos: readonly PhotoView[];
}

/**
 * Reports on private messages reach the instance's moderators with a copy of the reported messages (their photos
 * too) and nothing else: not the conversation, not who else is in it, not the reporter. The copy is the moderators'
 * to keep until they resolve it or REPORT_LIFETIME_MS passes, whatever the conversation's retention.
 */
export class ConversationReports {
  private readonly reports;

  constructor(private readonly deps: ReportsDeps) {
    this.reports = deps.store.collection(conversationReportsCollection);
  }

  async report(actor: AccountDoc | null, key: MemberKey | null, conversationId: unknown, raw: unknown): Promise<{ id: string }> {
    const seat = await this.deps.access.seat(actor, key, conversationId);
    const input = parseInput(reportInput, raw);
    const found = await this.deps.store.collection(conversationMessagesCollection).getMany([...new Set(input.messageIds)]);
    const reported = found.filter((m) => m.conversationId === seat.conversation.id);
    if (reported.length !== new Set(input.messageIds).size) throw conversationError(404, 'message_not_found');
    const places = new Set(reported.map((m) => m.place));
    if (places.has(seat.participant.place)) throw conversationError(422, 'report_own');
    const entry = await this.deps.conversations.entry(seat);
    // One author per report, so that moderators act on the right account.
    if (places.size !== 1) throw conversationError(422, 'report_one_author');
    const [place] = places;
    const now = Date.now();
    const doc: ConversationReportDoc = {
      id: newId(),
      authorId: entry.people.find((p) => p.place === place)?.accountId ?? null,
      messages: reported.sort((a, b) => a.seq - b.seq).map((m) => ({ body: m.body, createdAt: m.createdAt })),
      reason: input.reason,
      note: input.note,
      status: 'open',
      createdAt: utcDay(now),
      expiresAt: now + REPORT_LIFETIME_MS,
    };
    await this.reports.insert(doc);
    try {
      await this.deps.photos.copyToReport(reported.map((m) => m.id), doc.id);
    } catch (error) {
      await this.reports.delete(doc.id);
      await this.deps.photos.removeReport(doc.id);
      throw error;
    }
    return { id: doc.id };
  }

  /** The open reports, oldest first, for instance moderators and admins. */
  async queue(actor: AccountDoc | null): Promise<ReportQueueItem[]> {
    if (!isStaff(actor)) throw forbidden('moderator_only');
    const open = (await this.reports.find({ where: { status: 'open' }, orderBy: { field: 'createdAt' }, limit: 100 })).items;
    // A moderator never judges a report about their own messages: it waits for the others.
    const mine = open.filter((r) => r.authorId !== actor!.id);
    const names = await this.deps.accounts.publicNames(mine.map((r) => r.authorId).filter((id): id is string => !!id));
    const items: ReportQueueItem[] = [];
    for (const r of mine) {
      const author = r.authorId ? (names.get(r.authorId)?.handle ?? null) : null;
      items.push({ id: r.id, reason: r.reason, note: r.note, createdAt: r.createdAt, author, messages: r.messages, photos: await this.deps.photos.ofReport(r.id) });
    }
    return items;
  }

  /** Who may see a report's photos: the moderators who may see the report in their queue (404 for everyone else). */
  async seeReport(actor: AccountDoc | null, reportId: string): Promise<void> {
    const report = isStaff(actor) ? await this.reports.get(reportId) : null;
    if (!report || report.status !== 'open' || report.authorId === actor!.id) throw conversationError(404, 'report_not_found');
  }

  async exists(reportId: string): Promise<boolean> {
    return (await this.reports.get(reportId)) !== null;
  }

  async openCount(actor: AccountDoc | null): Promise<number> {
    return isStaff(actor) ? this.reports.count({ status: 'open' }) : 0;
  }

  /** Resolves a report: the copy of the messages is deleted at once and the moderation log says who did it. */
  async resolve(actor: AccountDoc | null, reportId: unknown): Promise<void> {
    if (!isStaff(actor)) throw forbidden('moderator_only');
    const report = typeof reportId === 'string' ? await this.reports.get(reportId) : null;
    if (!report || report.authorId === actor!.id) throw conversationError(404, 'report_not_found');
    await this.deps.store.transaction(async (tx) => {
      await tx.collection(conversationReportsCollection).delete(report.id);
      await this.deps.moderation.record(tx, actor!, { boardId: null, action: 'conversation_report_resolved', targetType: 'report', targetId: report.id, reason: '' });
    });
    await this.deps.photos.removeReport(report.id);
  }
}
