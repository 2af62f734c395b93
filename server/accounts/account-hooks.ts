import type { TxScope } from '../store/port.js';
import type { MemberKey } from '../core/member-key.js';

/** What happens to a member's posts and messages when they delete their account. */
export type ContentChoice = 'delete' | 'keep_anonymous';

export type AccountDeletedHook = (tx: TxScope, accountId: string, content: ContentChoice) => Promise<void>;
export type AccountExporter = (accountId: string, key: MemberKey | null) => Promise<unknown>;
/** Data stored by blinded id is found only with the member's key: these run with it, outside the transaction that deletes the account. */
export type AccountLeavingHook = (key: MemberKey, content: ContentChoice) => Promise<void>;
/** Runs each time a log-in unwraps the member's key. */
export type AccountUnlockedHook = (accountId: string, key: MemberKey) => Promise<void>;

/**
 * Other modules own data about a member (posts, memberships, check-ins). They
 * register here so that deleting or exporting an account reaches all of it
 * without the accounts module reading their storage.
 */
export class AccountHooks {
  private readonly deleted: AccountDeletedHook[] = [];
  private readonly exporters = new Map<string, AccountExporter>();
  private readonly leaving: AccountLeavingHook[] = [];
  private readonly unlocked: AccountUnlockedHook[] = [];

  onDeleted(hook: AccountDeletedHook): void {
    this.deleted.push(hook);
  }

  onLeaving(hook: AccountLeavingHook): void {
    this.leaving.push(hook);
  }

  onUnlocked(hook: AccountUnlockedHook): void {
    this.unlocked.push(hook);
  }

  async runLeaving(key: MemberKey, content: ContentChoice): Promise<void> {
    for (const hook of this.leaving) await hook(key, content);
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

  async exportAll(accountId: string, key: MemberKey | null): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [section, exporter] of this.exporters) out[section] = await exporter(accountId, key);
    return out;
  }
}
