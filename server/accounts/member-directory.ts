import type { Store } from '../store/port.js';
import { accountsCollection, type AccountDoc, type Role } from './accounts.collections.js';
import { dayCeil } from './account-keys.js';

/** A member as the admins' list shows them: nothing finer than a day about when they did anything. */
export interface MemberListing {
  readonly id: string;
  readonly handle: string;
  readonly displayName: string;
  readonly role: Role;
  readonly status: 'active' | 'pending';
  readonly trusted: boolean;
  readonly responder: boolean;
  /** The UTC day the account was made (YYYY-MM-DD). */
  readonly joinedDay: string;
  /** The UTC day a suspension ends (rounded up, so it never reads as over too early), or null; a ban reads as 9999-01-01. */
  readonly suspendedUntilDay: string | null;
  readonly suspensionReason: string | null;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function memberListing(a: AccountDoc, now = Date.now()): MemberListing {
  const suspended = typeof a.suspendedUntil === 'number' && a.suspendedUntil > now;
  return {
    id: a.id,
    handle: a.handle,
    displayName: a.displayName,
    role: a.role,
    status: a.status === 'pending' ? 'pending' : 'active',
    trusted: a.trusted === true,
    responder: a.responder === true,
    joinedDay: dayOf(a.createdAt),
    suspendedUntilDay: suspended ? dayOf(dayCeil(a.suspendedUntil!)) : null,
    suspensionReason: suspended ? (a.suspensionReason ?? null) : null,
  };
}

/**
 * The members an admin looks through: every account but the deleted ones' tombstones, in handle order, found by the
 * start of their handle (served by the unique handle index, so a search costs one index range whatever the size).
 */
export class MemberDirectory {
  private readonly accounts;

  constructor(store: Store) {
    this.accounts = store.collection(accountsCollection);
  }

  /** `prefix` is lower-case handle characters (the caller validates it); empty lists everyone. */
  async search(prefix: string, after: string | null, limit = 50): Promise<{ members: MemberListing[]; next: string | null }> {
    const page = await this.accounts.find({
      orderBy: { field: 'handleLower' },
      ...(prefix ? { range: { gte: prefix, lt: `${prefix}\u{10FFFF}` } } : {}),
      limit,
      after,
    });
    const now = Date.now();
    return { members: page.items.filter((a) => a.status !== 'deleted').map((a) => memberListing(a, now)), next: page.next };
  }
}
