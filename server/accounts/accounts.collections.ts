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
  /**
   * The passphrase verifier (`$pk1$...`: HKDF of an argon2id run, see passphrase.ts), or an argon2 PHC string
   * from before member keys until the next log-in; empty on a deleted account's tombstone.
   */
  passHash: string;
  /** The member key wrapped under a key only the passphrase yields; absent before the first log-in with member keys. */
  keyWrap?: string;
  role: Role;
  status: AccountStatus;
  locale: string | null;
  /** Keyed hashes of unspent recovery codes made before member keys: they restore the account, not its key. */
  recoveryCodes: string[];
  /** Unspent recovery codes made since, each wrapping the member key. */
  recoverySlots?: RecoverySlot[];
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
  /** The site's name as every page's title (what the browser's history keeps); absent or null follows the instance default. */
  discreetTitles?: boolean | null;
  /** Part of every device cookie's MAC: raised when everything of the account ends, so a taken phone's device cookie stops counting. */
  deviceEpoch?: number;
  /** Kept to the UTC day, as every account- and session-side timestamp. */
  createdAt: number;
  updatedAt: number;
}

/** One unspent recovery code: how to recognise it, and the member key wrapped under a key only the code yields. */
export interface RecoverySlot {
  check: string;
  wrap: string;
}

/** A log-in on one device. The cookie holds the token; only its hash is stored. */
export interface SessionDoc {
  id: string;
  hash: string;
  accountId: string;
  /** The account's role when the session began: a change of role rotates the session. */
  role: Role;
  /** The member key wrapped under a key derived from the cookie's secret; absent for sessions made before member keys. */
  keyWrap?: string;
  /** Day-rounded, as lastSeenAt and expiresAt: enough to tell sessions apart, too coarse to line up with activity. */
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

/** A personal API token for scripts and apps (Authorization: Bearer). */
export interface TokenDoc {
  id: string;
  hash: string;
  accountId: string;
  name: string;
  /** The member key wrapped under a key derived from the token's secret. */
  keyWrap?: string;
  /** Day-rounded. */
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
