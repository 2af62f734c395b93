import type { Publish } from '../core/live.js';
import type { Store, TxScope } from '../store/port.js';
import { newId } from '../crypto.js';
import { notFound } from '../core/errors.js';
import type { AccountHooks } from '../accounts/account-hooks.js';
import { NOTIFICATION_LIFETIME_MS, notificationsCollection, type NotificationDoc } from './notifications.collections.js';

export interface NotificationView {
  readonly id: string;
  readonly kind: string;
  readonly url: string;
  readonly seen: boolean;
  readonly createdAt: number;
}

const view = (n: NotificationDoc): NotificationView => ({ id: n.id, kind: n.kind, url: n.url, seen: n.seen, createdAt: n.createdAt });


/** Notifications shown on the next page view and pushed live to open pages (channel `account:<id>`). */
export class NotificationsService {
  private readonly notifications;

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

  async notify(accountIds: readonly string[], kind: string, url: string): Promise<void> {
    await this.store.transaction((tx) => this.write(tx, accountIds, kind, url));
    this.announce(accountIds, kind, url);
  }

  /**
   * Writes the notifications inside the caller's transaction, so that they are kept exactly when the change they
   * tell about is: `announce` them once it has committed.
   */
  async write(tx: TxScope, accountIds: readonly string[], kind: string, url: string): Promise<void> {
    const now = Date.now();
    const col = tx.collection(notificationsCollection);
    for (const accountId of new Set(accountIds)) {
      await col.insert({ id: newId(), accountId, kind, url, seen: false, createdAt: now, expiresAt: now + NOTIFICATION_LIFETIME_MS });
    }
  }

  /** Tells open pages about notifications written (and committed) with `write`. */
  announce(accountIds: readonly string[], kind: string, url: string): void {
    for (const accountId of new Set(accountIds)) this.publish('account', accountId, 'notification', { kind, url });
  }

  async unseen(accountId: string, limit = 20): Promise<NotificationView[]> {
    return (await this.notifications.find({ where: { accountId, seen: false }, orderBy: { field: 'createdAt', direction: 'desc' }, limit })).items.map(view);
  }

  async recent(accountId: string): Promise<NotificationView[]> {
    return (await this.notifications.find({ where: { accountId }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 50 })).items.map(view);
  }

  async markSeen(accountId: string, id: string): Promise<NotificationView> {
    const found = await this.notifications.get(id);
    if (!found || found.accountId !== accountId) throw notFound('notification_not_found');
    return view((await this.notifications.patch(id, { seen: true }))!);
  }
}
