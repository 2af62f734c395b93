import type { Publish } from '../core/live.js';
import type { MemberKey } from '../core/member-key.js';
import type { Store, TxScope } from '../store/port.js';
import { newId } from '../crypto.js';
import { notFound } from '../core/errors.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { AccountHooks } from '../accounts/account-hooks.js';
import { NOTIFICATION_LIFETIME_MS, notificationsCollection, type NotificationDoc } from './notifications.collections.js';

export interface NotificationView {
  readonly id: string;
  readonly kind: string;
  readonly url: string;
  readonly seen: boolean;
  readonly createdAt: number;
  /** Worked out on this visit from what is kept under the member's blinded ids; nothing stored names the account. */
  readonly pulled?: true;
}

/** A notification a module works out on the member's visit, with their key, instead of storing it for their account. */
export interface PulledNotice {
  /** Unique within its source. */
  readonly id: string;
  readonly kind: string;
  readonly url: string;
  readonly createdAt: number;
}

/**
 * A module whose notices cannot be kept for an account without linking it to something anonymous (replies to an
 * anonymous post): it finds them with the member's key at each visit, and marks them seen under its blinded ids.
 * Such notices are never pushed, live or by Web Push.
 */
export interface PulledNotices {
  pending(account: AccountDoc, key: MemberKey): Promise<PulledNotice[]>;
  /** Marks one as seen and answers it; 404 when the member has no such notice. */
  open(account: AccountDoc, key: MemberKey, id: string): Promise<PulledNotice>;
}

const view = (n: NotificationDoc): NotificationView => ({ id: n.id, kind: n.kind, url: n.url, seen: n.seen, createdAt: n.createdAt });

/** Pulled notices' ids carry their source's name: `<source>.<id>`; stored ids never hold a dot. */
const SEPARATOR = '.';

/**
 * Notifications shown on the next page view and pushed live to open pages (channel `account:<id>`), and the
 * notices modules work out on each visit (PulledNotices), which are never pushed.
 */
export class NotificationsService {
  private readonly notifications;
  private readonly sources = new Map<string, PulledNotices>();
  /** The last createdAt given: see stamp(). */
  private lastAt = 0;

  constructor(
    private readonly store: Store,
    hooks: AccountHooks,
    private readonly publish: Publish,
  ) {
    this.notifications = store.collection(notificationsCollection);
    hooks.onDeleted(async (tx, accountId) => {
      await tx.collection(notificationsCollection).deleteWhere({ accountId });
    });
  }

  /** `name`: lower-case letters, the prefix of the source's notice ids. */
  pullFrom(name: string, source: PulledNotices): void {
    if (!/^[a-z]+$/.test(name)) throw new Error(`a pulled notices source is named in lower-case letters: ${name}`);
    this.sources.set(name, source);
  }

  /**
   * `topic`, when given, keeps one unseen notification per account and topic: a busy thread tells its author once
   * until they look, not once per reply.
   */
  async notify(accountIds: readonly string[], kind: string, url: string, topic?: string): Promise<void> {
    const told = await this.store.transaction((tx) => this.write(tx, accountIds, kind, url, topic));
    this.announce(told, kind, url);
  }

  /**
   * Writes the notifications inside the caller's transaction, so that they are kept exactly when the change they
   * tell about is: `announce` them once it has committed. Answers the accounts told (with a topic, those that had
   * no unseen notification of it yet).
   */
  async write(tx: TxScope, accountIds: readonly string[], kind: string, url: string, topic?: string): Promise<string[]> {
    const now = this.stamp();
    const col = tx.collection(notificationsCollection);
    const told: string[] = [];
    for (const accountId of new Set(accountIds)) {
      if (topic !== undefined) {
        const waiting = await col.find({ where: { accountId, seen: false }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 100 });
        if (waiting.items.some((n) => n.kind === kind && n.topic === topic)) continue;
      }
      await col.insert({ id: newId(), accountId, kind, url, seen: false, createdAt: now, expiresAt: now + NOTIFICATION_LIFETIME_MS, ...(topic !== undefined ? { topic } : {}) });
      told.push(accountId);
    }
    return told;
  }

  /**
   * A time for a new notification, later than the last one this process gave: lists are newest first, and among
   * notifications of the same millisecond (a scan alerting, then a burst of others) ties would otherwise fall to the
   * random ids, showing an older one above newer ones.
   */
  private stamp(): number {
    this.lastAt = Math.max(Date.now(), this.lastAt + 1);
    return this.lastAt;
  }

  /** Tells open pages about notifications written (and committed) with `write`. */
  announce(accountIds: readonly string[], kind: string, url: string): void {
    for (const accountId of new Set(accountIds)) this.publish('account', accountId, 'notification', { kind, url });
  }

  async unseen(accountId: string, limit = 20): Promise<NotificationView[]> {
    return (await this.notifications.find({ where: { accountId, seen: false }, orderBy: { field: 'createdAt', direction: 'desc' }, limit })).items.map(view);
  }

  /** What the header counts: unseen stored notifications (up to `limit`) and the pulled ones the key finds. */
  async unseenCount(account: AccountDoc, key: MemberKey | null, limit = 100): Promise<number> {
    return (await this.unseenSummary(account, key, limit)).total;
  }

  /** unseenCount, with how many of them each pulled source found (for a module's own count in the header). */
  async unseenSummary(account: AccountDoc, key: MemberKey | null, limit = 100): Promise<{ total: number; pulled: Record<string, number> }> {
    const stored = (await this.unseen(account.id, limit)).length;
    const pulled: Record<string, number> = {};
    for (const n of await this.pulled(account, key)) {
      const source = n.id.slice(0, n.id.indexOf(SEPARATOR));
      pulled[source] = (pulled[source] ?? 0) + 1;
    }
    return { total: stored + Object.values(pulled).reduce((a, b) => a + b, 0), pulled };
  }

  async recent(accountId: string): Promise<NotificationView[]> {
    return (await this.notifications.find({ where: { accountId }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 50 })).items.map(view);
  }

  /** The notifications page and API: the pulled notices (all unseen) first, then the stored ones. */
  async list(account: AccountDoc, key: MemberKey | null): Promise<NotificationView[]> {
    return [...(await this.pulled(account, key)), ...(await this.recent(account.id))];
  }

  async markSeen(accountId: string, id: string): Promise<NotificationView> {
    const found = typeof id === 'string' && !id.includes(SEPARATOR) ? await this.notifications.get(id) : null;
    if (!found || found.accountId !== accountId) throw notFound('notification_not_found');
    return view((await this.notifications.patch(id, { seen: true }))!);
  }

  /** Marks one notification seen, stored or pulled (a pulled one needs the member's key), and answers it. */
  async open(account: AccountDoc, key: MemberKey | null, id: string): Promise<NotificationView> {
    const at = typeof id === 'string' ? id.indexOf(SEPARATOR) : -1;
    if (at < 0) return this.markSeen(account.id, id);
    const name = id.slice(0, at);
    const source = this.sources.get(name);
    if (!source || !key) throw notFound('notification_not_found');
    const n = await source.open(account, key, id.slice(at + 1));
    return { id: `${name}${SEPARATOR}${n.id}`, kind: n.kind, url: n.url, seen: true, createdAt: n.createdAt, pulled: true };
  }

  private async pulled(account: AccountDoc, key: MemberKey | null): Promise<NotificationView[]> {
    if (!key) return [];
    const out: NotificationView[] = [];
    for (const [name, source] of this.sources) {
      for (const n of await source.pending(account, key)) out.push({ id: `${name}${SEPARATOR}${n.id}`, kind: n.kind, url: n.url, seen: false, createdAt: n.createdAt, pulled: true });
    }
    return out.sort((a, b) => b.createdAt - a.createdAt);
  }
}
