import { defineCollection } from '../store/port.js';

/** Instance-wide roles; an admin can do everything a moderator can. */
export type Role = 'member' | 'moderator' | 'admin';
export type AccountStatus = 'active' | 'pending' | 'deleted';

export interface AccountDoc {
  id: string;
  handle: string;
  /** Handles are unique case-insensitively. */
  handleLower: string;
  displayName: string;
  /** argon2id; empty on a deleted account's tombstone. */
  passHash: string;
  role: Role;
  status: AccountStatus;
  locale: string | null;
  /** Keyed hashes of the unspent one-time recovery codes. */
  recoveryCodes: string[];
  /** Until when a moderator suspended the account (ms epoch); a ban is a suspension without end (Infinity is not JSON: use a far date). */
  suspendedUntil?: number | null;
  suspensionReason?: string | null;
  /** Trusted members publish client reviews without waiting for a moderator. */
  trusted?: boolean;
  /** Responders receive incident reports (admins always do). */
  responder?: boolean;
  /** The new member's answer to the approval question, kept only while pending. */
  approvalAnswer?: string;
  /** Discreet mode (neutral site name and icon); absent or null follows the instance default. */
  discreet?: boolean | null;
  /** Part of every device cookie's MAC: raised when everything of the account ends, so a taken phone's device cookie stops counting. */
  deviceEpoch?: number;
  createdAt: number;
  updatedAt: number;
}

/** A log-in on one device. The cookie holds the token; only its hash is stored. */
export interface SessionDoc {
  id: string;
  hash: string;
  accountId: string;
  /** The account's role when the session began: a change of role rotates the session. */
  role: Role;
  createdAt: number;
  /** Rounded to the hour: enough to tell sessions apart, too coarse to track activity. */
  lastSeenAt: number;
  expiresAt: number;
}

/** A personal API token for scripts and apps (Authorization: Bearer). */
export interface TokenDoc {
  id: string;
  hash: string;
  accountId: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface InviteDoc {
  id: string;
  hash: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
}

export const accountsCollection = defineCollection<AccountDoc>({
  name: 'accounts',
  fields: { handleLower: 'string', status: 'string', role: 'string', createdAt: 'number', responder: 'boolean' },
  indexes: [
    { fields: ['handleLower'], unique: true },
    { fields: ['responder', 'createdAt'] },
    { fields: ['status', 'createdAt'] },
    { fields: ['role', 'handleLower'] },
  ],
  // Read on every signed-in request.
  memoryCache: 5_000,
});

export const sessionsCollection = defineCollection<SessionDoc>({
  name: 'sessions',
  fields: { hash: 'string', accountId: 'string', createdAt: 'number', expiresAt: 'number' },
  indexes: [{ fields: ['hash'], unique: true }, { fields: ['accountId', 'createdAt'] }],
  ttlField: 'expiresAt',
});

export const tokensCollection = defineCollection<TokenDoc>({
  name: 'tokens',
  fields: { hash: 'string', accountId: 'string', createdAt: 'number' },
  indexes: [{ fields: ['hash'], unique: true }, { fields: ['accountId', 'createdAt'] }],
  // Read on every API request with a bearer token.
  memoryCache: 2_000,
});

export const invitesCollection = defineCollection<InviteDoc>({
  name: 'invites',
  fields: { hash: 'string', createdAt: 'number', expiresAt: 'number' },
  indexes: [{ fields: ['hash'], unique: true }, { fields: ['createdAt'] }],
  ttlField: 'expiresAt',
});

export const accountsCollections = [accountsCollection, sessionsCollection, tokensCollection, invitesCollection];
