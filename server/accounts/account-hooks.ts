import type { TxScope } from '../store/port.js';
import type { MemberKey } from '../core/member-key.js';

/** What happens to a member's posts and messages when they delete their account. */
export type ContentChoice = 'delete' | 'keep_anonymous';

export type AccountDeletedHook = (tx: TxScope, accountId: string, content: ContentChoice) => Promise<void>;
/**
 * Erases or unlinks much of the member's named content before the account's deletion, in small transactions of
 * its own: erasing text from the full-text index costs a page rewrite per word, and one transaction over
 * thousands of posts would hold the database's write lock for seconds. The deleted hook then catches the rest.
 */
export type AccountErasingHook = (accountId: string, content: ContentChoice) => Promise<void>;
/**
 * Finds the member's blinded rows with their key and deletes or keeps them as chosen. It runs before the
 * account's own deletion and outside its transaction: a blinded row is never written in the same transaction
 * as an account-side row, or the commit would link them.
 */
export type BlindedDeletedHook = (key: MemberKey, content: ContentChoice) => Promise<void>;
/** `key` is null when the session has none (made before member keys): export the named data only then. */
export type AccountExporter = (accountId: string, key: MemberKey | null) => Promise<unknown>;
/** Runs each time a log-in unwraps the member's key (e.g. to take up what was stored for the account before blinding). */
export type AccountUnlockedHook = (accountId: string, key: MemberKey) => Promise<void>;
/** Whether the module holds anything under the key's blinded ids: a key that does may not be replaced (see MovedKeys). */
export type KeyInUseHook = (key: MemberKey) => Promise<boolean>;

/**
 * Other modules own data about a member (posts, memberships, check-ins). They
 * register here so that deleting or exporting an account reaches all of it
 * without the accounts module reading their storage.
 */
export class AccountHooks {
  private readonly deleted: AccountDeletedHook[] = [];
  private readonly erasing: AccountErasingHook[] = [];
  private readonly blindedDeleted: BlindedDeletedHook[] = [];
  private readonly exporters = new Map<string, AccountExporter>();
  private readonly unlocked: AccountUnlockedHook[] = [];
  private readonly keyUsers: KeyInUseHook[] = [];

  onDeleted(hook: AccountDeletedHook): void {
    this.deleted.push(hook);
  }

  onErasing(hook: AccountErasingHook): void {
    this.erasing.push(hook);
  }

  onBlindedDeleted(hook: BlindedDeletedHook): void {
    this.blindedDeleted.push(hook);
  }

  onUnlocked(hook: AccountUnlockedHook): void {
    this.unlocked.push(hook);
  }

  onKeyInUse(hook: KeyInUseHook): void {
    this.keyUsers.push(hook);
  }

  async keyInUse(key: MemberKey): Promise<boolean> {
    for (const hook of this.keyUsers) if (await hook(key)) return true;
    return false;
  }

  async runUnlocked(accountId: string, key: MemberKey): Promise<void> {
    for (const hook of this.unlocked) await hook(accountId, key);
  }

  exporter(section: string, exporter: AccountExporter): void {
    this.exporters.set(section, exporter);
  }

  async runDeleted(tx: TxScope, accountId: string, content: ContentChoice): Promise<void> {
    for (const hook of this.deleted) await hook(tx, accountId, content);
  }

  async runErasing(accountId: string, content: ContentChoice): Promise<void> {
    for (const hook of this.erasing) await hook(accountId, content);
  }

  async runBlindedDeleted(key: MemberKey, content: ContentChoice): Promise<void> {
    for (const hook of this.blindedDeleted) await hook(key, content);
  }

  async exportAll(accountId: string, key: MemberKey | null): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [section, exporter] of this.exporters) out[section] = await exporter(accountId, key);
    return out;
  }
}
