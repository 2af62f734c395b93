import type { z } from 'zod';
import { DuplicateKeyError, type Store, type TxScope } from '../store/port.js';
import { newId, normaliseCode } from '../crypto.js';
import { AppError, conflict, fieldError, forbidden, notFound, unauthorized } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import { MemberKey } from '../core/member-key.js';
import type { Limiter } from '../core/rate-limit.js';
import type { InstanceService } from '../instance/instance.service.js';
import { accountsCollection, sessionsCollection, tokensCollection, type AccountDoc, type Role } from './accounts.collections.js';
import type { AccountHooks, ContentChoice } from './account-hooks.js';
import { generatePassphrase, passphraseProblem } from './passphrase.js';
import { recoveryCodesLeft, today, type AccountKeys, type SealedMemberKey } from './account-keys.js';
import { accountView, type AccountView, type PendingView } from './account-view.js';
import type { InvitesService } from './invites.service.js';
import type { SessionsService } from './sessions.service.js';
import type { DeviceCookies } from './device-cookie.js';
import type { LoginGuard } from './login-guard.js';
import { MovedKeys } from './key-moves.js';
import { signupInput, loginInput, recoverInput, profileInput, changePassphraseInput, deleteAccountInput, confirmInput, roleInput, suspensionInput } from './accounts.schemas.js';

// Other modules import the schemas from here, as before they moved.
export { signupInput, loginInput, recoverInput, profileInput, changePassphraseInput, deleteAccountInput, confirmInput, roleInput, suspensionInput } from './accounts.schemas.js';
export { accountView, type AccountView, type PendingView } from './account-view.js';

export interface SignedIn {
  readonly account: AccountDoc;
  readonly sessionToken: string;
  readonly sessionId: string;
  /** The browser's device cookie after this log-in, binding it to the account. */
  readonly deviceCookie: string;
}

/** True while a moderator's suspension or ban runs. */
export const isSuspended = (a: AccountDoc, now = Date.now()): boolean => typeof a.suspendedUntil === 'number' && a.suspendedUntil > now;

/** Bans are suspensions that end in the year 9999. */
export const BAN_UNTIL = Date.UTC(9999, 0, 1);

export const isStaff = (a: AccountDoc | null | undefined): boolean => !!a && a.status === 'active' && (a.role === 'moderator' || a.role === 'admin');
export const isAdmin = (a: AccountDoc | null | undefined): boolean => !!a && a.status === 'active' && a.role === 'admin';

export interface AccountsServiceDeps {
  readonly store: Store;
  readonly instance: InstanceService;
  /** Every argon2 call of this service goes through it; build it on the queued hasher. */
  readonly keys: AccountKeys;
  readonly sessions: SessionsService;
  readonly invites: InvitesService;
  readonly hooks: AccountHooks;
  readonly limits: { readonly signup: Limiter; readonly recovery: Limiter };
  readonly loginGuard: LoginGuard;
  readonly devices: DeviceCookies;
  readonly locales: readonly string[];
}

/**
 * Pseudonymous accounts: a handle and a passphrase, nothing else. Every rule
 * about accounts lives here so that pages, the API and the CLI share it.
 */
export class AccountsService {
  private readonly store: Store;
  private readonly instance: InstanceService;
  private readonly keys: AccountKeys;
  private readonly sessions: SessionsService;
  private readonly invites: InvitesService;
  private readonly hooks: AccountHooks;
  private readonly limits: AccountsServiceDeps['limits'];
  private readonly guard: LoginGuard;
  private readonly devices: DeviceCookies;
  private readonly locales: readonly string[];
  private readonly accounts;
  /** A member key brought in a move's export file (federation's import takes it up through this). */
  readonly movedKeys: MovedKeys;

  constructor(deps: AccountsServiceDeps) {
    this.store = deps.store;
    this.instance = deps.instance;
    this.keys = deps.keys;
    this.sessions = deps.sessions;
    this.invites = deps.invites;
    this.hooks = deps.hooks;
    this.limits = deps.limits;
    this.guard = deps.loginGuard;
    this.devices = deps.devices;
    this.locales = deps.locales;
    this.accounts = deps.store.collection(accountsCollection);
    this.movedKeys = new MovedKeys(deps);
  }

  async byHandle(handle: string): Promise<AccountDoc | null> {
    const account = await this.accounts.findOne({ handleLower: handle.toLowerCase() });
    return account && account.status !== 'deleted' ? account : null;
  }

  async get(id: string): Promise<AccountDoc> {
    const account = await this.accounts.get(id);
    if (!account || account.status === 'deleted') throw notFound('account_not_found');
    return account;
  }

  /** `device` is the browser's device cookie, if any: it is extended with this account. */
  async signup(raw: unknown, device?: string): Promise<SignedIn & { recoveryCodes: string[] }> {
    const input = parseInput(signupInput, raw);
    await this.limits.signup.consume(input.handle);
    const { registrationMode } = this.instance.settings();
    if (registrationMode === 'invite' && !input.invite) throw new AppError(403, 'invite_required');
    if (registrationMode === 'approval' && !input.answer) {
      throw fieldError('answer', 'validation.required');
    }
    if (await this.byHandle(input.handle)) throw conflict('handle_taken');
    const status = registrationMode === 'approval' ? 'pending' : 'active';
    const invite = registrationMode === 'invite' ? input.invite : undefined;
    const { account, recoveryCodes, key } = await this.createAccount(input, 'member', status, invite ? (tx) => this.invites.redeem(tx, invite) : undefined);
    // What modules prepare for an unlocked key (a public key for private conversations) is ready from the first day.
    await this.hooks.runUnlocked(account.id, key);
    return { ...(await this.signIn(account, device, key)), recoveryCodes };
  }

  /** The one-time setup link creates the first admin, whatever the registration mode. */
  async setupAdmin(token: string, raw: unknown, device?: string): Promise<SignedIn & { recoveryCodes: string[] }> {
    if (!this.instance.checkSetupToken(token)) throw notFound('setup_invalid');
    const input = parseInput(signupInput.pick({ handle: true, passphrase: true }), raw);
    const { account, recoveryCodes, key } = await this.createAccount(input, 'admin', 'active');
    await this.instance.clearSetupToken();
    return { ...(await this.signIn(account, device, key)), recoveryCodes };
  }

  async adminCount(): Promise<number> {
    return this.accounts.count({ role: 'admin' });
  }

  /** Approved members, for the instance's public statistics (NodeInfo). */
  async activeCount(): Promise<number> {
    return this.accounts.count({ status: 'active' });
  }

  /**
   * Only failed attempts count. A browser whose device cookie holds this
   * account is exempt from the handle's and the instance's limits; a stranger
   * past them must answer a challenge (ChallengeRequired, 429) first.
   */
  async login(raw: unknown, device?: string): Promise<SignedIn> {
    const input = parseInput(loginInput, raw);
    const account = await this.byHandle(input.handle);
    const nonce = account ? this.devices.trusted(account, device) : null;
    const trusted = await this.guard.deviceTrusted(nonce);
    if (!trusted) await this.guard.admitStranger(input.handle, input.challenge);
    const unlocked = account ? await this.keys.unlock(account, input.passphrase) : null;
    if (!unlocked) await this.keys.checkNothing(input.passphrase);
    if (!account || !unlocked?.ok) {
      await this.guard.failed(input.handle, trusted ? nonce : null);
      throw unauthorized('login_failed');
    }
    const current = unlocked.upgrade ? (await this.accounts.patch(account.id, unlocked.upgrade))! : account;
    if (unlocked.key) await this.hooks.runUnlocked(current.id, unlocked.key);
    return this.signIn(current, device, unlocked.key);
  }

  /**
   * The code opens the member key, which is wrapped again under the new passphrase. A code made before member
   * keys restores the account only: the member gets a new key, as after an admin's reset. Everything else of
   * the account ends: sessions, API tokens, push subscriptions, open sockets.
   */
  async recover(raw: unknown, device?: string): Promise<SignedIn & { codesLeft: number }> {
    const input = parseInput(recoverInput, raw);
    await this.limits.recovery.consume(input.handle);
    this.checkPassphrase(input.passphrase, input.handle);
    const account = await this.byHandle(input.handle);
    const opened = account ? this.keys.openRecovery(account, input.code) : null;
    const legacyHash = account && !opened ? this.legacyRecoveryHash(account, input.code) : null;
    const key = opened?.key ?? (legacyHash ? MemberKey.generate() : null);
    if (!account || !key) {
      // As long as a good code takes, which hashes the new passphrase.
      await this.keys.checkNothing(input.passphrase);
      throw unauthorized('recovery_failed');
    }
    const fields = await this.keys.forPassphrase(account.id, key, input.passphrase);
    const updated = await this.store.transaction(async (tx) => {
      const col = tx.collection(accountsCollection);
      const fresh = await col.get(account.id);
      const slots = fresh?.recoverySlots ?? [];
      const unspent = opened ? slots.some((s) => s.check === opened.slot.check) : !!fresh?.recoveryCodes.includes(legacyHash!);
      if (!fresh || !unspent) return null;
      return col.patch(account.id, {
        ...fields,
        recoverySlots: slots.filter((s) => s.check !== opened?.slot.check),
        recoveryCodes: fresh.recoveryCodes.filter((h) => h !== legacyHash),
        deviceEpoch: (fresh.deviceEpoch ?? 0) + 1,
        updatedAt: today(),
      });
    });
    if (!updated) throw unauthorized('recovery_failed');
    await this.sessions.endAll(account.id, null);
    return { ...(await this.signIn(updated, device, key)), codesLeft: recoveryCodesLeft(updated) };
  }

  /**
   * Ends everything else of the account (sessions, tokens, push, sockets, device cookies); the session that
   * made the change stays, and its browser gets the device cookie this answers.
   */
  async changePassphrase(accountId: string, currentSessionId: string | null, raw: unknown, device?: string): Promise<{ deviceCookie: string }> {
    const input = parseInput(changePassphraseInput, raw);
    const account = await this.get(accountId);
    const key = await this.unlock(account, input.current);
    this.checkPassphrase(input.passphrase, account.handle);
    // The kept session's wrap stays good: it is under the cookie's secret, which does not change.
    const { deviceCookie } = await this.endEverything(account, currentSessionId, device, await this.keys.forPassphrase(account.id, key, input.passphrase));
    return { deviceCookie };
  }

  /**
   * Log-out everywhere: every session (the asking one too), API token, push subscription, socket and device
   * cookie of the account ends. The asking browser gets a fresh device cookie: it is the member's own.
   */
  async logOutEverywhere(accountId: string, device?: string): Promise<{ ended: number; deviceCookie: string }> {
    return this.endEverything(await this.get(accountId), null, device, {});
  }

  async updateProfile(accountId: string, raw: unknown): Promise<AccountDoc> {
    const input = parseInput(profileInput, raw);
    if (input.locale && !this.locales.includes(input.locale)) {
      throw fieldError('locale', 'validation.not_allowed', { allowed: this.locales.join(', ') });
    }
    await this.get(accountId);
    const patch: Partial<AccountDoc> = { updatedAt: today() };
    if (input.displayName !== undefined) patch.displayName = input.displayName;
    if (input.locale !== undefined) patch.locale = input.locale;
    if (input.discreet !== undefined) patch.discreet = input.discreet;
    if (input.discreetTitles !== undefined) patch.discreetTitles = input.discreetTitles;
    return (await this.accounts.patch(accountId, patch))!;
  }

  /** The new codes wrap the member key as it is now; the old ones, spent or not, stop working. */
  async newRecoveryCodes(accountId: string, raw: unknown): Promise<string[]> {
    const input = parseInput(confirmInput, raw);
    const account = await this.get(accountId);
    const key = await this.unlock(account, input.passphrase);
    const { codes, slots } = this.keys.newRecoveryCodes(accountId, key);
    await this.accounts.patch(accountId, { recoverySlots: slots, recoveryCodes: [], updatedAt: today() });
    return codes;
  }

  async deleteAccount(accountId: string, raw: unknown): Promise<void> {
    const input = parseInput(deleteAccountInput, raw);
    const account = await this.get(accountId);
    // Blinded rows go first, each in transactions of their own: never in the one that writes the tombstone.
    await this.hooks.runBlindedDeleted(await this.unlock(account, input.passphrase), input.content);
    await this.removeAccount(account, input.content);
  }

  /** The member key sealed under a passphrase the member chooses, for the export they download to move. */
  sealMemberKey(account: AccountDoc, key: MemberKey, passphrase: string): Promise<SealedMemberKey> {
    this.checkPassphrase(passphrase, account.handle, 'keyPassphrase');
    return this.keys.seal(key, passphrase);
  }

  /** `key` lets modules include what the member holds under blinded ids; null exports the named data only. */
  async exportData(accountId: string, key: MemberKey | null): Promise<Record<string, unknown>> {
    const account = await this.get(accountId);
    return {
      format: 'parasol-export',
      version: 1,
      exportedAt: new Date().toISOString(),
      account: { ...accountView(account), recoveryCodesLeft: recoveryCodesLeft(account) },
      sessions: await this.sessions.list(accountId, null),
      tokens: await this.sessions.listTokens(accountId),
      ...(await this.hooks.exportAll(accountId, key)),
    };
  }

  async setRole(actor: AccountDoc, handle: string, raw: unknown): Promise<AccountDoc> {
    if (!isAdmin(actor)) throw forbidden('admin_only');
    const { role } = parseInput(roleInput, raw);
    const target = await this.byHandle(handle);
    if (!target) throw notFound('account_not_found');
    if (target.status !== 'active') throw conflict('account_not_active');
    if (target.role === 'admin' && role !== 'admin' && (await this.accounts.count({ role: 'admin' })) <= 1) {
      throw conflict('last_admin');
    }
    return (await this.accounts.patch(target.id, { role, updatedAt: today() }))!;
  }

  /** Admins mark members whose client reviews need no moderator check. */
  async setTrusted(actor: AccountDoc, handle: string, trusted: boolean): Promise<AccountDoc> {
    if (!isAdmin(actor)) throw forbidden('admin_only');
    const target = await this.byHandle(handle);
    if (!target) throw notFound('account_not_found');
    return (await this.accounts.patch(target.id, { trusted, updatedAt: today() }))!;
  }

  /** Admins choose who receives incident reports. */
  async setResponder(actor: AccountDoc, handle: string, responder: boolean): Promise<AccountDoc> {
    if (!isAdmin(actor)) throw forbidden('admin_only');
    const target = await this.byHandle(handle);
    if (!target) throw notFound('account_not_found');
    return (await this.accounts.patch(target.id, { responder, updatedAt: today() }))!;
  }

  /** Everyone who answers incident reports: responders and admins. */
  async responderIds(): Promise<string[]> {
    const [responders, admins] = await Promise.all([
      this.accounts.find({ where: { responder: true }, orderBy: { field: 'createdAt' }, limit: 500 }),
      this.accounts.find({ where: { role: 'admin' }, orderBy: { field: 'handleLower' }, limit: 500 }),
    ]);
    return [...new Set([...responders.items, ...admins.items].filter((a) => a.status === 'active').map((a) => a.id))];
  }

  async listStaff(): Promise<AccountView[]> {
    const [admins, moderators] = await Promise.all([
      this.accounts.find({ where: { role: 'admin' }, orderBy: { field: 'handleLower' }, limit: 200 }),
      this.accounts.find({ where: { role: 'moderator' }, orderBy: { field: 'handleLower' }, limit: 200 }),
    ]);
    return [...admins.items, ...moderators.items].map(accountView);
  }

  async listPending(actor: AccountDoc): Promise<PendingView[]> {
    if (!isStaff(actor)) throw forbidden('moderator_only');
    const page = await this.accounts.find({ where: { status: 'pending' }, orderBy: { field: 'createdAt' }, limit: 200 });
    return page.items.map((a) => ({ id: a.id, handle: a.handle, answer: a.approvalAnswer ?? '', createdAt: a.createdAt }));
  }

  async decide(actor: AccountDoc, accountId: string, approve: boolean): Promise<void> {
    if (!isStaff(actor)) throw forbidden('moderator_only');
    const account = await this.accounts.get(accountId);
    if (!account || account.status !== 'pending') throw notFound('account_not_found');
    if (approve) {
      await this.accounts.patch(accountId, { status: 'active', approvalAnswer: undefined, updatedAt: today() });
      return;
    }
    // A refused applicant has posted nothing: remove every trace, and free the handle.
    await this.store.transaction(async (tx) => {
      await tx.collection(sessionsCollection).deleteWhere({ accountId });
      await tx.collection(accountsCollection).delete(accountId);
    });
  }

  /** A moderator suspends (for some days) or bans (without end) an account; staff cannot be suspended. */
  async suspend(actor: AccountDoc, handle: string, raw: unknown): Promise<AccountDoc> {
    if (!isStaff(actor)) throw forbidden('moderator_only');
    const input = parseInput(suspensionInput, raw);
    const target = await this.byHandle(handle);
    if (!target) throw notFound('account_not_found');
    if (isStaff(target)) throw forbidden('cannot_suspend_staff');
    const until = input.days ? Date.now() + input.days * 86_400_000 : BAN_UNTIL;
    return (await this.accounts.patch(target.id, { suspendedUntil: until, suspensionReason: input.reason, updatedAt: today() }))!;
  }

  async unsuspend(actor: AccountDoc, handle: string): Promise<AccountDoc> {
    if (!isStaff(actor)) throw forbidden('moderator_only');
    const target = await this.byHandle(handle);
    if (!target) throw notFound('account_not_found');
    return (await this.accounts.patch(target.id, { suspendedUntil: null, suspensionReason: null, updatedAt: today() }))!;
  }

  /** Public facts about members for display: handle and display name only. */
  async publicNames(ids: readonly string[]): Promise<Map<string, { handle: string; displayName: string }>> {
    const found = await this.accounts.getMany([...new Set(ids)]);
    return new Map(found.filter((a) => a.status !== 'deleted').map((a) => [a.id, { handle: a.handle, displayName: a.displayName }]));
  }

  /**
   * Sets a generated passphrase and ends everything of the account (sessions,
   * tokens, push, sockets): for the command line (no actor) and for admins.
   * Nobody but the member can open their key, so the account gets a NEW
   * member key: earlier anonymous posts and rooms stay out of its reach. Its
   * recovery codes still hold the old key, and bring it back if used.
   */
  async resetPassphrase(handle: string, actor?: AccountDoc): Promise<string> {
    if (actor !== undefined && !isAdmin(actor)) throw forbidden('admin_only');
    const account = await this.byHandle(handle);
    if (!account) throw notFound('account_not_found');
    const passphrase = generatePassphrase();
    await this.endEverything(account, null, undefined, await this.keys.forPassphrase(account.id, MemberKey.generate(), passphrase));
    return passphrase;
  }

  /** For the command line: creates an admin with a generated passphrase. */
  async createAdmin(handle: string): Promise<{ account: AccountDoc; passphrase: string; recoveryCodes: string[] }> {
    const passphrase = generatePassphrase();
    const input = parseInput(signupInput, { handle, passphrase });
    if (await this.byHandle(input.handle)) throw conflict('handle_taken');
    const { account, recoveryCodes } = await this.createAccount(input, 'admin', 'active');
    return { account, recoveryCodes, passphrase };
  }

  /** A recovery code from before member keys, which the account still holds unspent: its keyed hash, or null. */
  private legacyRecoveryHash(account: AccountDoc, code: string): string | null {
    const hash = this.instance.keyedHash('recovery', `${account.id}:${normaliseCode(code)}`);
    return account.recoveryCodes.includes(hash) ? hash : null;
  }

  /** The member key behind the passphrase, storing the upgrade a first check with member keys brings; 403 when wrong. */
  private async unlock(account: AccountDoc, passphrase: string): Promise<MemberKey> {
    const unlocked = await this.keys.unlock(account, passphrase);
    if (!unlocked.ok || !unlocked.key) throw new AppError(403, 'wrong_passphrase');
    if (unlocked.upgrade) await this.accounts.patch(account.id, unlocked.upgrade);
    return unlocked.key;
  }

  private checkPassphrase(passphrase: string, handle: string, field = 'passphrase'): void {
    const problem = passphraseProblem(passphrase, handle);
    if (problem) {
      throw fieldError(field, problem);
    }
  }

  private async signIn(account: AccountDoc, device: string | undefined, key: MemberKey | null): Promise<SignedIn> {
    const { token, session } = await this.sessions.start(account, key);
    return { account, sessionToken: token, sessionId: session.id, deviceCookie: this.devices.issue(account, device) };
  }

  /**
   * Applies `patch` with a new device epoch, then ends every session but `keep` and every token; answers how
   * many sessions ended and the acting browser's new device cookie.
   */
  private async endEverything(
    account: AccountDoc,
    keep: string | null,
    device: string | undefined,
    patch: Partial<AccountDoc>,
  ): Promise<{ ended: number; deviceCookie: string }> {
    const updated = (await this.accounts.patch(account.id, { ...patch, deviceEpoch: (account.deviceEpoch ?? 0) + 1, updatedAt: today() }))!;
    const ended = await this.sessions.endAll(account.id, keep);
    return { ended, deviceCookie: this.devices.issue(updated, device) };
  }

  private async createAccount(
    input: z.output<typeof signupInput>,
    role: Role,
    status: AccountDoc['status'],
    inTx?: (tx: TxScope) => Promise<void>,
  ): Promise<{ account: AccountDoc; recoveryCodes: string[]; key: MemberKey }> {
    this.checkPassphrase(input.passphrase, input.handle);
    const id = newId();
    const key = MemberKey.generate();
    const passphraseFields = await this.keys.forPassphrase(id, key, input.passphrase);
    const { codes, slots } = this.keys.newRecoveryCodes(id, key);
    const now = today();
    const account: AccountDoc = {
      id,
      handle: input.handle,
      handleLower: input.handle.toLowerCase(),
      displayName: input.handle,
      ...passphraseFields,
      role,
      status,
      locale: null,
      recoveryCodes: [],
      recoverySlots: slots,
      ...(status === 'pending' ? { approvalAnswer: input.answer ?? '' } : {}),
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.store.transaction(async (tx) => {
        if (inTx) await inTx(tx);
        await tx.collection(accountsCollection).insert(account);
      });
    } catch (error) {
      if (error instanceof DuplicateKeyError) throw conflict('handle_taken');
      throw error;
    }
    return { account, recoveryCodes: codes, key };
  }

  private async removeAccount(account: AccountDoc, content: ContentChoice): Promise<void> {
    await this.hooks.runErasing(account.id, content);
    await this.store.transaction(async (tx) => {
      await this.hooks.runDeleted(tx, account.id, content);
      await tx.collection(sessionsCollection).deleteWhere({ accountId: account.id });
      await tx.collection(tokensCollection).deleteWhere({ accountId: account.id });
      // The tombstone keeps only the handle, so nobody can take it over and pose as the member.
      await tx.collection(accountsCollection).upsert({
        id: account.id,
        handle: account.handle,
        handleLower: account.handleLower,
        displayName: '',
        passHash: '',
        role: 'member',
        status: 'deleted',
        locale: null,
        recoveryCodes: [],
        createdAt: account.createdAt,
        updatedAt: today(),
      });
    });
  }
}
