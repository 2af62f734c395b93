import { defineCollection } from '../store/port.js';

/**
 * Something a member should see on their next page view (an urgent warning in
 * their area, a buddy alert). Texts are rendered from the catalogue at view
 * time with neutral wording, so nothing sensitive is stored or shown on a
 * lock screen.
 */
export interface NotificationDoc {
  id: string;
  accountId: string;
  /** A catalogue key suffix: notification.<kind>. */
  kind: string;
  /** Where the notification leads (a path on this instance). */
  url: string;
  seen: boolean;
  /** What collapses notifications: one unseen per account, kind and topic (e.g. `thread:<id>`). */
  topic?: string;
  createdAt: number;
  expiresAt: number;
}

export const NOTIFICATION_LIFETIME_MS = 14 * 86_400_000;

export const notificationsCollection = defineCollection<NotificationDoc>({
  name: 'notifications',
  fields: { accountId: 'string', seen: 'boolean', createdAt: 'number', expiresAt: 'number' },
  indexes: [{ fields: ['accountId', 'seen', 'createdAt'] }, { fields: ['accountId', 'createdAt'] }],
  ttlField: 'expiresAt',
});
