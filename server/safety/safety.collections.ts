import { defineCollection } from '../store/port.js';

/**
 * A buddy pair is two rows, one per side, so each member finds their buddies
 * with one indexed query. Both rows are written and removed together.
 */
export interface BuddyLinkDoc {
  /** `${ownerId}.${otherId}` */
  id: string;
  ownerId: string;
  otherId: string;
  /** outgoing: owner asked; incoming: the other asked; active: both agreed. */
  state: 'outgoing' | 'incoming' | 'active';
  createdAt: number;
}

export type CheckinStatus = 'open' | 'closed' | 'alerted';

export interface CheckinDoc {
  id: string;
  ownerId: string;
  buddyIds: string[];
  /** Where, with whom: for the chosen buddies only; deleted with the check-in. */
  notes: string;
  /** What the buddies read of a client identifier the worker chose to give (a masked hint, never the identifier). */
  clientHint: string | null;
  expectedEnd: number;
  /** expectedEnd plus the grace period: when the buddies are alerted if nobody said "I'm safe". */
  deadline: number;
  status: CheckinStatus;
  sos: boolean;
  alertedAt: number | null;
  /** Buddies who said "I'm handling this". */
  handledBy: string[];
  createdAt: number;
  closedAt: number | null;
  /** Set when closed or alerted: the check-in and its notes are deleted then. */
  expiresAt: number | null;
}

export type AlertKind = 'raid' | 'police_posing' | 'dangerous_person' | 'other';
export const alertKinds: readonly AlertKind[] = ['raid', 'police_posing', 'dangerous_person', 'other'];

export interface AlertDoc {
  id: string;
  areaId: string;
  authorId: string | null;
  kind: AlertKind;
  text: string;
  createdAt: number;
  expiresAt: number;
}

export type IncidentKind = 'violence' | 'robbery' | 'arrest' | 'harassment' | 'outing' | 'other';
export const incidentKinds: readonly IncidentKind[] = ['violence', 'robbery', 'arrest', 'harassment', 'outing', 'other'];
export type IncidentStatus = 'new' | 'acknowledged' | 'in_progress' | 'closed';

export interface IncidentDoc {
  id: string;
  reporterId: string | null;
  kind: IncidentKind;
  /** What happened, when and where, in the member's words. */
  description: string;
  /** What help the member wants. */
  help: string;
  /** How to reach them inside Parasol (the incident's private thread is always available). */
  contact: string;
  status: IncidentStatus;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  expiresAt: number | null;
}

/** The private thread between the member and the responders; `internal` notes are for responders only. */
export interface IncidentMessageDoc {
  id: string;
  incidentId: string;
  authorId: string | null;
  fromResponder: boolean;
  internal: boolean;
  body: string;
  html: string;
  createdAt: number;
  expiresAt: number | null;
}

/** A browser's Web Push subscription, for alerts on a locked phone. */
export interface PushSubscriptionDoc {
  id: string;
  accountId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  createdAt: number;
}

export const buddyLinksCollection = defineCollection<BuddyLinkDoc>({
  name: 'buddy_links',
  fields: { ownerId: 'string', createdAt: 'number' },
  indexes: [{ fields: ['ownerId', 'createdAt'] }],
});

export const checkinsCollection = defineCollection<CheckinDoc>({
  name: 'checkins',
  fields: { ownerId: 'string', status: 'string', deadline: 'number', createdAt: 'number', expiresAt: 'number' },
  indexes: [{ fields: ['ownerId', 'createdAt'] }, { fields: ['status', 'deadline'] }],
  ttlField: 'expiresAt',
});

export const alertsCollection = defineCollection<AlertDoc>({
  name: 'alerts',
  fields: { areaId: 'string', createdAt: 'number', expiresAt: 'number', authorId: 'string' },
  indexes: [{ fields: ['areaId', 'createdAt'] }, { fields: ['createdAt'] }, { fields: ['authorId', 'createdAt'] }],
  ttlField: 'expiresAt',
});

export const incidentsCollection = defineCollection<IncidentDoc>({
  name: 'incidents',
  fields: { reporterId: 'string', status: 'string', createdAt: 'number', expiresAt: 'number' },
  indexes: [{ fields: ['status', 'createdAt'] }, { fields: ['reporterId', 'createdAt'] }],
  ttlField: 'expiresAt',
});

export const incidentMessagesCollection = defineCollection<IncidentMessageDoc>({
  name: 'incident_messages',
  fields: { incidentId: 'string', createdAt: 'number', expiresAt: 'number' },
  indexes: [{ fields: ['incidentId', 'createdAt'] }],
  ttlField: 'expiresAt',
});

export const pushSubscriptionsCollection = defineCollection<PushSubscriptionDoc>({
  name: 'push_subscriptions',
  fields: { accountId: 'string', endpoint: 'string', createdAt: 'number' },
  indexes: [{ fields: ['accountId', 'createdAt'] }, { fields: ['endpoint'], unique: true }],
});

export const safetyCollections = [
  buddyLinksCollection,
  checkinsCollection,
  alertsCollection,
  incidentsCollection,
  incidentMessagesCollection,
  pushSubscriptionsCollection,
];
