import { MemberKey } from '../core/member-key.js';
import { humanCode, normaliseCode } from '../crypto.js';
import type { AccountDoc, RecoverySlot } from './accounts.collections.js';
import type { PassphraseHasher } from './passphrase.js';
import { deriveKey, unwrapMemberKey, wrapMemberKey } from './key-wraps.js';

const RECOVERY_CODE_COUNT = 10;
/**
 * Six groups of five from a 31-letter alphabet: about 148 bits. Codes are made
 * ten at a time (sign-up, a new set), and ten argon2id runs per sign-up would
 * make sign-up a lever to exhaust the server; at 128 bits and more a guess
 * costs nothing less than breaking AES, so HKDF is enough and no slot number
 * is needed.
 */
const RECOVERY_GROUPS = 6;

const DAY = 86_400_000;
/** Account- and session-side timestamps are kept to the UTC day, so they cannot be lined up with blinded rows. */
export const today = (now = Date.now()): number => Math.floor(now / DAY) * DAY;
/** The first UTC midnight at or after `ms`: an expiry rounded this way never ends earlier than configured. */
export const dayCeil = (ms: number): number => Math.ceil(ms / DAY) * DAY;

/** What a stored account row holds for a passphrase: the verifier and the member key wrapped under it. */
export interface PassphraseFields {
  readonly passHash: string;
  readonly keyWrap: string;
}

export interface Unlocked {
  readonly ok: boolean;
  /** The member's key; null when the passphrase is wrong. */
  readonly key: MemberKey | null;
  /** Fields to store: a stored hash from before member keys is replaced, a missing key is created. */
  readonly upgrade: Partial<AccountDoc> | null;
}

/** The member key sealed for an export file: argon2id of a passphrase the member chose, then AES-256-GCM. */
export interface SealedMemberKey {
  readonly format: 'parasol-member-key';
  readonly version: 1;
  /** The `$pk1$` verifier form, which carries the argon2id parameters and salt. */
  readonly kdf: string;
  readonly wrap: string;
}

/** Bound into the sealed key's AES-GCM tag, so a wrap taken from a database row does not pass for an export. */
export const SEAL_CONTEXT = 'parasol-export';

/** Unspent recovery codes, new ones (wrapping the key) and old keyed hashes (from before member keys) alike. */
export const recoveryCodesLeft = (account: AccountDoc): number => (account.recoverySlots?.length ?? 0) + account.recoveryCodes.length;

/**
 * Where the member key is wrapped and unwrapped for an account: under the
 * passphrase (through one argon2id run) and under each recovery code. The key
 * is in memory only while a request or a socket uses it.
 */
export class AccountKeys {
  constructor(private readonly hasher: PassphraseHasher) {}

  /** Passphrase fields for `key`, e.g. after a change or a recovery. */
  async forPassphrase(accountId: string, key: MemberKey, passphrase: string): Promise<PassphraseFields> {
    const { stored, wrapKey } = await this.hasher.hash(passphrase);
    return { passHash: stored, keyWrap: wrapMemberKey(key, wrapKey, accountId) };
  }

  /**
   * Checks the passphrase and opens the member key. An account without a key
   * (made before member keys, or whose wrap cannot open) gets a new one here.
   */
  async unlock(account: AccountDoc, passphrase: string): Promise<Unlocked> {
    const check = await this.hasher.verify(account.passHash, passphrase);
    if (!check.ok) return { ok: false, key: null, upgrade: null };
    const key = check.wrapKey ? unwrapMemberKey(account.keyWrap, check.wrapKey, account.id) : null;
    if (key && !check.rehash) return { ok: true, key, upgrade: null };
    const kept = key ?? MemberKey.generate();
    return { ok: true, key: kept, upgrade: await this.forPassphrase(account.id, kept, passphrase) };
  }

  /** For the export a member downloads: the key, under a passphrase they choose, not under anything the server keeps. */
  async seal(key: MemberKey, passphrase: string): Promise<SealedMemberKey> {
    const { stored, wrapKey } = await this.hasher.hash(passphrase);
    return { format: 'parasol-member-key', version: 1, kdf: stored, wrap: wrapMemberKey(key, wrapKey, SEAL_CONTEXT) };
  }

  /** The key a sealed member key is wrapped under, when `passphrase` is the one it was sealed with (see seal). */
  async sealKey(kdf: string, passphrase: string): Promise<Buffer | null> {
    const check = await this.hasher.verify(kdf, passphrase);
    return check.ok ? check.wrapKey : null;
  }

  /** Spends the time of a real check, for handles that do not exist. */
  checkNothing(passphrase: string): Promise<void> {
    return this.hasher.verifyNothing(passphrase);
  }

  /** A new set of recovery codes, each wrapping `key`: the codes to show once and the slots to store. */
  newRecoveryCodes(accountId: string, key: MemberKey): { codes: string[]; slots: RecoverySlot[] } {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => humanCode(RECOVERY_GROUPS));
    return { codes, slots: codes.map((code) => slotFor(accountId, key, code)) };
  }

  /**
   * The slot the typed code opens and the key it holds, or null. A recovery
   * code holds the key it was made with: after an admin's reset, a code still
   * brings back the key from before it.
   */
  openRecovery(account: AccountDoc, typed: string): { slot: RecoverySlot; key: MemberKey } | null {
    const code = normaliseCode(typed);
    const check = recoveryCheck(account.id, code);
    const slot = account.recoverySlots?.find((s) => s.check === check);
    const key = slot ? unwrapMemberKey(slot.wrap, deriveKey(code, 'recovery-wrap', account.id), account.id) : null;
    return slot && key ? { slot, key } : null;
  }
}

function recoveryCheck(accountId: string, normalisedCode: string): string {
  return deriveKey(normalisedCode, 'recovery-check', accountId).toString('base64url');
}

function slotFor(accountId: string, key: MemberKey, code: string): RecoverySlot {
  const normalised = normaliseCode(code);
  return {
    check: recoveryCheck(accountId, normalised),
    wrap: wrapMemberKey(key, deriveKey(normalised, 'recovery-wrap', accountId), accountId),
  };
}
