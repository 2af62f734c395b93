import type { MemberKey } from '../core/member-key.js';
import type { TxScope } from '../store/port.js';

/** What happens to a member's posts and messages when they delete their account. */
export type ContentChoice = 'delete' | 'keep_anonymous';

export type AccountDeletedHook = (tx: TxScope, accountId: string, content: ContentChoice) => Promise<void>;
/**
 * Runs before the deletion's transaction, with the key the member's passphrase opened: for data kept by blinded id,
 * which only the key finds, in transactions of its own (never one that also writes the account's rows).
 */
export type AccountDeletingHook = (accountId: string, key: MemberKey, content: ContentChoice) => Promise<void>;
/** `key` is the member's key when the request carries one: anonymous items are found only with it. */
export type AccountExporter = (accountId: string, key: MemberKey | null) => Promise<unknown>;
/** Runs after a log-in, with the key the log-in unwrapped, in transactions of its own (never the session's). */
export type LoggedInHook = (accountId: string, key: MemberKey) => Promise<void>;

/**
 * Other modules own data about a member (posts, memberships, check-ins). They
 * register here so that deleting or exporting an account reaches all of it
 * without the accounts module reading their storage.
 */
export class AccountHooks {
  private readonly deleted: AccountDeletedHook[] = [];
  private readonly exporters = new Map<string, AccountExporter>();
  private readonly loggedIn: LoggedInHook[] = [];
  private readonly deleting: AccountDeletingHook[] = [];

  onDeleted(hook: AccountDeletedHook): void {
    this.deleted.push(hook);
  }

  onDeleting(hook: AccountDeletingHook): void {
    this.deleting.push(hook);
  }

  async runDeleting(accountId: string, key: MemberKey, content: ContentChoice): Promise<void> {
    for (const hook of this.deleting) await hook(accountId, key, content);
  }

  onLoggedIn(hook: LoggedInHook): void {
    this.loggedIn.push(hook);
  }

  async runLoggedIn(accountId: string, key: MemberKey): Promise<void> {
    for (const hook of this.loggedIn) await hook(accountId, key);
  }

  exporter(section: string, exporter: AccountExporter): void {
    this.exporters.set(section, exporter);
  }

  async runDeleted(tx: TxScope, accountId: string, content: ContentChoice): Promise<void> {
    for (const hook of this.deleted) await hook(tx, accountId, content);
  }

  async exportAll(accountId: string, key: MemberKey | null = null): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [section, exporter] of this.exporters) out[section] = await exporter(accountId, key);
    return out;
  }
}
