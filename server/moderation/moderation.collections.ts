import { defineCollection } from '../store/port.js';
import type { ReportReason } from './report-reasons.js';

export interface ReportDoc {
  id: string;
  postId: string;
  boardId: string;
  reporterId: string;
  reason: ReportReason;
  note: string;
  status: 'open' | 'resolved';
  /** What the moderator did: dismissed, hidden, removed… */
  resolution: string | null;
  createdAt: number;
  resolvedAt: number | null;
  /** Resolved reports are deleted REPORT_RETENTION_MS after resolution; open ones wait. */
  expiresAt: number | null;
}

export const REPORT_RETENTION_MS = 180 * 86_400_000;
export const MOD_LOG_RETENTION_MS = 365 * 86_400_000;

export interface ModLogDoc {
  id: string;
  /** Null for instance-wide actions (suspensions, filters). */
  boardId: string | null;
  actorId: string;
  action: string;
  targetType: 'post' | 'thread' | 'board' | 'account' | 'filter' | 'report';
  targetId: string;
  reason: string;
  createdAt: number;
  expiresAt: number;
}

export interface WordFilterDoc {
  id: string;
  /** Lower-cased word or phrase. */
  phrase: string;
  /** block: the post is refused; hold: the post waits for a moderator. */
  action: 'block' | 'hold';
  createdAt: number;
}

export const reportsCollection = defineCollection<ReportDoc>({
  name: 'reports',
  fields: { postId: 'string', boardId: 'string', status: 'string', createdAt: 'number', reporterId: 'string', expiresAt: 'number' },
  indexes: [
    { fields: ['status', 'createdAt'] },
    { fields: ['boardId', 'status', 'createdAt'] },
    { fields: ['postId', 'status', 'createdAt'] },
    { fields: ['postId', 'reporterId'] },
    { fields: ['reporterId', 'createdAt'] },
  ],
  ttlField: 'expiresAt',
});

export const modLogCollection = defineCollection<ModLogDoc>({
  name: 'mod_log',
  fields: { boardId: 'string', createdAt: 'number', actorId: 'string', expiresAt: 'number' },
  indexes: [{ fields: ['createdAt'] }, { fields: ['boardId', 'createdAt'] }, { fields: ['actorId', 'createdAt'] }],
  ttlField: 'expiresAt',
});

export const wordFiltersCollection = defineCollection<WordFilterDoc>({
  name: 'word_filters',
  fields: { phrase: 'string', createdAt: 'number' },
  indexes: [{ fields: ['phrase'], unique: true }, { fields: ['createdAt'] }],
});

export const moderationCollections = [reportsCollection, modLogCollection, wordFiltersCollection];
