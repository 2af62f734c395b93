import crypto from 'node:crypto';
import { AppError, conflict, fieldError } from '../core/errors.js';
import type { MemberKey } from '../core/member-key.js';
import type { Store } from '../store/port.js';
import { accountsCollection, type AccountDoc, type RecoverySlot } from './accounts.collections.js';
import type { AccountHooks } from './account-hooks.js';
import { SEAL_CONTEXT, today, type AccountKeys, type PassphraseFields, type SealedMemberKey } from './account-keys.js';
import { unwrapMemberKey } from './key-wraps.js';
import type { SessionsService } from './sessions.service.js';

/**
 * The costliest argon2id a sealed key may ask for: what an instance may be configured to hash with. A file is the
 * member's upload, and its parameters are theirs to choose; without a ceiling one upload could hold the hashing
 * line for minutes.
 */
const SEALED_MAX = { memoryKiB: 1_048_576, iterations: 20 } as const;

/** A moved key checked and wrapped for the account, ready to be stored once the rest of the move has gone through. */
export interface KeyTakeUp {
  readonly accountId: string;
  readonly fields: PassphraseFields;
  readonly slots: RecoverySlot[];
  readonly codes: string[];
}

export interface MovedKeysDeps {
  readonly store: Store;
  readonly keys: AccountKeys;
  readonly sessions: SessionsService;
  readonly hooks: AccountHooks;
}

/**
 * A member key brought from another instance in a move's export file, sealed under a passphrase the member chose
 * there (AccountKeys.seal), becomes the account's key here: the anonymous identity it stands for comes along, and
 * the file proves it again wherever the member goes next.
 *
 * The account's own key is replaced, so it must not hold anything yet: blinded rows under it (an anonymous post,
 * a reaction, a room) would be orphaned, out of the member's reach. Every module answers for its own rows through
 * AccountHooks.keyInUse. What the old key wrapped goes: sessions, API tokens and recovery codes; the member gets a
 * new set of codes and logs in again.
 */
export class MovedKeys {
  constructor(private readonly deps: MovedKeysDeps) {}

  /**
   * Checks everything before anything changes: the sealed key opens with `keyPassphrase`, `passphrase` is the
   * account's, and the account's own key holds nothing. Answers what take() stores, or null when the moved key is
   * the account's already.
   */
  async prepare(account: AccountDoc, sealed: SealedMemberKey, keyPassphrase: string, passphrase: string): Promise<KeyTakeUp | null> {
    const moved = await this.open(sealed, keyPassphrase);
    const unlocked = await this.deps.keys.unlock(account, passphrase);
    if (!unlocked.ok || !unlocked.key) throw new AppError(403, 'wrong_passphrase');
    // The same file imported again: the key is the account's already.
    if (crypto.timingSafeEqual(unlocked.key.exportBytes(), moved.exportBytes())) return null;
    if (await this.deps.hooks.keyInUse(unlocked.key)) throw conflict('member_key_in_use');
    const fields = await this.deps.keys.forPassphrase(account.id, moved, passphrase);
    const { codes, slots } = this.deps.keys.newRecoveryCodes(account.id, moved);
    return { accountId: account.id, fields, slots, codes };
  }

  /** Stores the moved key in place of the account's, and ends every session and token, which hold the old one. */
  async take(prepared: KeyTakeUp): Promise<{ recoveryCodes: string[] }> {
    const accounts = this.deps.store.collection(accountsCollection);
    const fresh = await accounts.get(prepared.accountId);
    if (!fresh) throw conflict('account_not_active');
    await accounts.patch(prepared.accountId, {
      ...prepared.fields,
      recoverySlots: prepared.slots,
      recoveryCodes: [],
      deviceEpoch: (fresh.deviceEpoch ?? 0) + 1,
      updatedAt: today(),
    });
    await this.deps.sessions.endAll(prepared.accountId, null);
    return { recoveryCodes: prepared.codes };
  }

  /** The sealed key, or a 422 on the passphrase field when it does not open (or asks for more than an instance would pay). */
  private async open(sealed: SealedMemberKey, passphrase: string): Promise<MemberKey> {
    const cost = /^\$pk1\$m=(\d+),t=(\d+)\$/.exec(sealed.kdf);
    if (!cost || Number(cost[1]) > SEALED_MAX.memoryKiB || Number(cost[2]) > SEALED_MAX.iterations) throw fieldError('memberKey', 'validation.sealed_key_invalid');
    // A seal cheaper than this instance's floor does not open either: the file could be guessed at that cost.
    const wrapKey = await this.deps.keys.sealKey(sealed.kdf, passphrase);
    const key = wrapKey ? unwrapMemberKey(sealed.wrap, wrapKey, SEAL_CONTEXT) : null;
    if (!key) throw fieldError('keyPassphrase', 'validation.key_passphrase_wrong');
    return key;
  }
}
