import type { MemberKey } from '../core/member-key.js';
import { unwrapWithSecret } from './key-wraps.js';

interface Entry {
  readonly wrap: string;
  readonly secretHash: string;
  readonly key: MemberKey;
  readonly expires: number;
}

/**
 * Member keys unwrapped from sessions and tokens used in the last few minutes, so that a member's next request
 * costs no key derivation and no decryption (and the key's blinded ids, which it keeps, need not be worked out
 * again). Only memory holds them, as it holds the key of every open socket; an entry answers only for the same
 * row, the same wrap and the same secret (by the hash the row stores), so a session rotated, ended or re-keyed
 * is unwrapped afresh, and a row that no longer exists is refused before this is asked.
 */
export class UnwrappedKeys {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries = 2_000,
    private readonly ttlMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  unwrap(wrap: string | null | undefined, secret: string, secretHash: string, rowId: string): MemberKey | null {
    if (!wrap) return null;
    const entry = this.entries.get(rowId);
    const now = this.now();
    if (entry && entry.wrap === wrap && entry.secretHash === secretHash && entry.expires > now) return entry.key;
    const key = unwrapWithSecret(wrap, secret, rowId);
    this.entries.delete(rowId);
    if (!key) return null;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(rowId, { wrap, secretHash, key, expires: now + this.ttlMs });
    return key;
  }

  forget(rowIds: readonly string[]): void {
    for (const id of rowIds) this.entries.delete(id);
  }
}
