import type { Publish } from '../core/live.js';
import type { Store } from '../store/port.js';
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
    const now = Date.now();
    const unique = [...new Set(accountIds)];
    await this.store.transaction(async (tx) => {
      const col = tx.collection(notificationsCollection);
      for (const accountId of unique) {
        await col.insert({ id: newId(), accountId, kind, url, seen: false, createdAt: now, expiresAt: now + NOTIFICATION_LIFETIME_MS });
      }
    });
    for (const accountId of unique) this.publish('account', accountId, 'notification', { kind, url });
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
