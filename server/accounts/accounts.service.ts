import { z } from 'zod';
import { dictionary } from '@zxcvbn-ts/language-common';
import crypto from 'node:crypto';
import { DuplicateKeyError, type Store } from '../store/port.js';
import { humanCode, newId, normaliseCode } from '../crypto.js';
import { AppError, conflict, fieldError, forbidden, notFound, unauthorized } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import type { Limiter } from '../core/rate-limit.js';
import type { InstanceService } from '../instance/instance.service.js';
import { accountsCollection, sessionsCollection, tokensCollection, type AccountDoc, type Role } from './accounts.collections.js';
import type { AccountHooks, ContentChoice } from './account-hooks.js';
import { handleSchema } from './handle.js';
import { PASSPHRASE_MAX, PASSPHRASE_MIN, passphraseProblem, type PassphraseHasher } from './passphrase.js';
import type { InvitesService } from './invites.service.js';
import type { SessionsService } from './sessions.service.js';

const RECOVERY_CODE_COUNT = 10;

const passphraseSchema = z.string().min(PASSPHRASE_MIN, 'validation.passphrase_length').max(PASSPHRASE_MAX, 'validation.passphrase_length');

export const signupInput = z.strictObject({
  handle: handleSchema,
  passphrase: passphraseSchema,
  answer: z.string().trim().max(500).optional(),
  invite: z.string().trim().max(40).optional(),
});
export const loginInput = z.strictObject({ handle: z.string().trim().min(1).max(100), passphrase: z.string().min(1).max(PASSPHRASE_MAX) });
export const recoverInput = z.strictObject({
  handle: z.string().trim().min(1).max(100),
  code: z.string().trim().min(1).max(40),
  passphrase: passphraseSchema,
});
export const profileInput = z.strictObject({
  displayName: z
    .string()
    .trim()
    .min(1)
    .max(50)
    .regex(/^[^\p{Cc}\p{Cf}]*$/u, 'validation.no_control_chars')
    .optional(),
  locale: z.string().max(20).nullable().optional(),
  /** Discreet mode on or off; null follows the instance default. */
  discreet: z.boolean().nullable().optional(),
});
export const changePassphraseInput = z.strictObject({ current: z.string().min(1).max(PASSPHRASE_MAX), passphrase: passphraseSchema });
export const deleteAccountInput = z.strictObject({
  passphrase: z.string().min(1).max(PASSPHRASE_MAX),
  content: z.enum(['delete', 'keep_anonymous']),
});
export const confirmInput = z.strictObject({ passphrase: z.string().min(1).max(PASSPHRASE_MAX) });
export const roleInput = z.strictObject({ role: z.enum(['member', 'moderator', 'admin']) });

export interface AccountView {
  readonly id: string;
  readonly handle: string;
  readonly displayName: string;
  readonly role: Role;
  readonly status: 'active' | 'pending';
  readonly locale: string | null;
  readonly createdAt: number;
}

export interface PendingView {
  readonly id: string;
  readonly handle: string;
  readonly answer: string;
  readonly createdAt: number;
}

export interface SignedIn {
  readonly account: AccountDoc;
  readonly sessionToken: string;
  readonly sessionId: string;
}

export const accountView = (a: AccountDoc): AccountView => ({
  id: a.id,
  handle: a.handle,
  displayName: a.displayName,
  role: a.role,
  status: a.status === 'pending' ? 'pending' : 'active',
  locale: a.locale,
  createdAt: a.createdAt,
});

/** True while a moderator's suspension or ban runs. */
export const isSuspended = (a: AccountDoc, now = Date.now()): boolean => typeof a.suspendedUntil === 'number' && a.suspendedUntil > now;

/** Bans are suspensions that end in the year 9999. */
export const BAN_UNTIL = Date.UTC(9999, 0, 1);

export const suspensionInput = z.strictObject({
  /** Days; null or absent means a ban without end. */
  days: z.coerce.number().int().min(1).max(3650).nullable().optional(),
  reason: z.string().trim().min(3).max(500),
});

export const isStaff = (a: AccountDoc | null | undefined): boolean => !!a && a.status === 'active' && (a.role === 'moderator' || a.role === 'admin');
export const isAdmin = (a: AccountDoc | null | undefined): boolean => !!a && a.status === 'active' && a.role === 'admin';

export interface AccountsServiceDeps {
  readonly store: Store;
  readonly instance: InstanceService;
  readonly hasher: PassphraseHasher;
  readonly sessions: SessionsService;
  readonly invites: InvitesService;
  readonly hooks: AccountHooks;
  readonly limits: { readonly signup: Limiter; readonly login: Limiter; readonly recovery: Limiter };
  readonly locales: readonly string[];
}

/**
 * Pseudonymous accounts: a handle and a passphrase, nothing else. Every rule
 * about accounts lives here so that pages, the API and the CLI share it.
 */
export function createAccountsService(deps: AccountsServiceDeps) {
  const { store, instance, hasher, sessions, invites, hooks, limits } = deps;
  const accounts = store.collection(accountsCollection);

  const recoveryHash = (accountId: string, code: string) => instance.keyedHash('recovery', `${accountId}:${normaliseCode(code)}`);

  function newRecoveryCodes(accountId: string): { codes: string[]; hashes: string[] } {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => humanCode());
    return { codes, hashes: codes.map((c) => recoveryHash(accountId, c)) };
  }

  function checkPassphrase(passphrase: string, handle: string, field = 'passphrase'): void {
    const problem = passphraseProblem(passphrase, handle);
    if (problem) {
      throw fieldError(field, problem);
    }
  }

  async function byHandle(handle: string): Promise<AccountDoc | null> {
    const account = await accounts.findOne({ handleLower: handle.toLowerCase() });
    return account && account.status !== 'deleted' ? account : null;
  }

  async function mustGet(id: string): Promise<AccountDoc> {
    const account = await accounts.get(id);
    if (!account || account.status === 'deleted') throw notFound('account_not_found');
    return account;
  }

  async function signIn(account: AccountDoc): Promise<SignedIn> {
    const { token, session } = await sessions.start(account);
    return { account, sessionToken: token, sessionId: session.id };
  }

  async function createAccount(
    input: z.output<typeof signupInput>,
    role: Role,
    status: AccountDoc['status'],
    inTx?: (tx: Parameters<Parameters<Store['transaction']>[0]>[0]) => Promise<void>,
  ): Promise<{ account: AccountDoc; recoveryCodes: string[] }> {
    checkPassphrase(input.passphrase, input.handle);
    const passHash = await hasher.hash(input.passphrase);
    const id = newId();
    const { codes, hashes } = newRecoveryCodes(id);
    const now = Date.now();
    const account: AccountDoc = {
      id,
      handle: input.handle,
      handleLower: input.handle.toLowerCase(),
      displayName: input.handle,
      passHash,
      role,
      status,
      locale: null,
      recoveryCodes: hashes,
      ...(status === 'pending' ? { approvalAnswer: input.answer ?? '' } : {}),
      createdAt: now,
      updatedAt: now,
    };
    try {
      await store.transaction(async (tx) => {
        if (inTx) await inTx(tx);
        await tx.collection(accountsCollection).insert(account);
      });
    } catch (error) {
      if (error instanceof DuplicateKeyError) throw conflict('handle_taken');
      throw error;
    }
    return { account, recoveryCodes: codes };
  }

  return {
    byHandle,
    get: mustGet,

    async signup(raw: unknown): Promise<SignedIn & { recoveryCodes: string[] }> {
      const input = parseInput(signupInput, raw);
      await limits.signup.consume(input.handle);
      const { registrationMode } = instance.settings();
      if (registrationMode === 'invite' && !input.invite) throw new AppError(403, 'invite_required');
      if (registrationMode === 'approval' && !input.answer) {
        throw fieldError('answer', 'validation.required');
      }
      if (await byHandle(input.handle)) throw conflict('handle_taken');
      const status = registrationMode === 'approval' ? 'pending' : 'active';
      const invite = registrationMode === 'invite' ? input.invite : undefined;
      const { account, recoveryCodes } = await createAccount(input, 'member', status, invite ? (tx) => invites.redeem(tx, invite) : undefined);
      return { ...(await signIn(account)), recoveryCodes };
    },

    /** The one-time setup link creates the first admin, whatever the registration mode. */
    async setupAdmin(token: string, raw: unknown): Promise<SignedIn & { recoveryCodes: string[] }> {
      if (!instance.checkSetupToken(token)) throw notFound('setup_invalid');
      const input = parseInput(signupInput.pick({ handle: true, passphrase: true }), raw);
      const { account, recoveryCodes } = await createAccount(input, 'admin', 'active');
      await instance.clearSetupToken();
      return { ...(await signIn(account)), recoveryCodes };
    },

    async adminCount(): Promise<number> {
      return accounts.count({ role: 'admin' });
    },

    /** Approved members, for the instance's public statistics (NodeInfo). */
    async activeCount(): Promise<number> {
      return accounts.count({ status: 'active' });
    },

    async login(raw: unknown): Promise<SignedIn> {
      const input = parseInput(loginInput, raw);
      await limits.login.consume(input.handle);
      const account = await byHandle(input.handle);
      if (!account) {
        await hasher.verifyNothing(input.passphrase);
        throw unauthorized('login_failed');
      }
      const { ok, rehash } = await hasher.verify(account.passHash, input.passphrase);
      if (!ok) throw unauthorized('login_failed');
      if (rehash) await accounts.patch(account.id, { passHash: await hasher.hash(input.passphrase) });
      return signIn(account);
    },

    async recover(raw: unknown): Promise<SignedIn & { codesLeft: number }> {
      const input = parseInput(recoverInput, raw);
      await limits.recovery.consume(input.handle);
      checkPassphrase(input.passphrase, input.handle);
      const account = await byHandle(input.handle);
      // Hash the new passphrase either way so that an unknown handle takes as long as a wrong code.
      const passHash = await hasher.hash(input.passphrase);
      if (!account) throw unauthorized('recovery_failed');
      const codeHash = recoveryHash(account.id, input.code);
      const updated = await store.transaction(async (tx) => {
        const col = tx.collection(accountsCollection);
        const fresh = await col.get(account.id);
        if (!fresh || !fresh.recoveryCodes.includes(codeHash)) return null;
        const next = await col.patch(account.id, {
          passHash,
          recoveryCodes: fresh.recoveryCodes.filter((h) => h !== codeHash),
          updatedAt: Date.now(),
        });
        await tx.collection(sessionsCollection).deleteWhere({ accountId: account.id });
        return next;
      });
      if (!updated) throw unauthorized('recovery_failed');
      return { ...(await signIn(updated)), codesLeft: updated.recoveryCodes.length };
    },

    async changePassphrase(accountId: string, currentSessionId: string | null, raw: unknown): Promise<void> {
      const input = parseInput(changePassphraseInput, raw);
      const account = await mustGet(accountId);
      const { ok } = await hasher.verify(account.passHash, input.current);
      if (!ok) throw new AppError(403, 'wrong_passphrase');
      checkPassphrase(input.passphrase, account.handle);
      await accounts.patch(accountId, { passHash: await hasher.hash(input.passphrase), updatedAt: Date.now() });
      await sessions.endAll(accountId, currentSessionId);
    },

    async updateProfile(accountId: string, raw: unknown): Promise<AccountDoc> {
      const input = parseInput(profileInput, raw);
      if (input.locale && !deps.locales.includes(input.locale)) {
        throw fieldError('locale', 'validation.not_allowed', { allowed: deps.locales.join(', ') });
      }
      await mustGet(accountId);
      const patch: Partial<AccountDoc> = { updatedAt: Date.now() };
      if (input.displayName !== undefined) patch.displayName = input.displayName;
      if (input.locale !== undefined) patch.locale = input.locale;
      if (input.discreet !== undefined) patch.discreet = input.discreet;
      return (await accounts.patch(accountId, patch))!;
    },

    async newRecoveryCodes(accountId: string, raw: unknown): Promise<string[]> {
      const input = parseInput(confirmInput, raw);
      const account = await mustGet(accountId);
      if (!(await hasher.verify(account.passHash, input.passphrase)).ok) throw new AppError(403, 'wrong_passphrase');
      const { codes, hashes } = newRecoveryCodes(accountId);
      await accounts.patch(accountId, { recoveryCodes: hashes, updatedAt: Date.now() });
      return codes;
    },

    async deleteAccount(accountId: string, raw: unknown): Promise<void> {
      const input = parseInput(deleteAccountInput, raw);
      const account = await mustGet(accountId);
      if (!(await hasher.verify(account.passHash, input.passphrase)).ok) throw new AppError(403, 'wrong_passphrase');
      await removeAccount(account, input.content);
    },

    async exportData(accountId: string): Promise<Record<string, unknown>> {
      const account = await mustGet(accountId);
      return {
        format: 'parasol-export',
        version: 1,
        exportedAt: new Date().toISOString(),
        account: { ...accountView(account), recoveryCodesLeft: account.recoveryCodes.length },
        sessions: await sessions.list(accountId, null),
        tokens: await sessions.listTokens(accountId),
        ...(await hooks.exportAll(accountId)),
      };
    },

    async setRole(actor: AccountDoc, handle: string, raw: unknown): Promise<AccountDoc> {
      if (!isAdmin(actor)) throw forbidden('admin_only');
      const { role } = parseInput(roleInput, raw);
      const target = await byHandle(handle);
      if (!target) throw notFound('account_not_found');
      if (target.status !== 'active') throw conflict('account_not_active');
      if (target.role === 'admin' && role !== 'admin' && (await accounts.count({ role: 'admin' })) <= 1) {
        throw conflict('last_admin');
      }
      return (await accounts.patch(target.id, { role, updatedAt: Date.now() }))!;
    },

    /** Admins mark members whose client reviews need no moderator check. */
    async setTrusted(actor: AccountDoc, handle: string, trusted: boolean): Promise<AccountDoc> {
      if (!isAdmin(actor)) throw forbidden('admin_only');
      const target = await byHandle(handle);
      if (!target) throw notFound('account_not_found');
      return (await accounts.patch(target.id, { trusted, updatedAt: Date.now() }))!;
    },

    /** Admins choose who receives incident reports. */
    async setResponder(actor: AccountDoc, handle: string, responder: boolean): Promise<AccountDoc> {
      if (!isAdmin(actor)) throw forbidden('admin_only');
      const target = await byHandle(handle);
      if (!target) throw notFound('account_not_found');
      return (await accounts.patch(target.id, { responder, updatedAt: Date.now() }))!;
    },

    /** Everyone who answers incident reports: responders and admins. */
    async responderIds(): Promise<string[]> {
      const [responders, admins] = await Promise.all([
        accounts.find({ where: { responder: true }, orderBy: { field: 'createdAt' }, limit: 500 }),
        accounts.find({ where: { role: 'admin' }, orderBy: { field: 'handleLower' }, limit: 500 }),
      ]);
      return [...new Set([...responders.items, ...admins.items].filter((a) => a.status === 'active').map((a) => a.id))];
    },

    async listStaff(): Promise<AccountView[]> {
      const [admins, moderators] = await Promise.all([
        accounts.find({ where: { role: 'admin' }, orderBy: { field: 'handleLower' }, limit: 200 }),
        accounts.find({ where: { role: 'moderator' }, orderBy: { field: 'handleLower' }, limit: 200 }),
      ]);
      return [...admins.items, ...moderators.items].map(accountView);
    },

    async listPending(actor: AccountDoc): Promise<PendingView[]> {
      if (!isStaff(actor)) throw forbidden('moderator_only');
      const page = await accounts.find({ where: { status: 'pending' }, orderBy: { field: 'createdAt' }, limit: 200 });
      return page.items.map((a) => ({ id: a.id, handle: a.handle, answer: a.approvalAnswer ?? '', createdAt: a.createdAt }));
    },

    async decide(actor: AccountDoc, accountId: string, approve: boolean): Promise<void> {
      if (!isStaff(actor)) throw forbidden('moderator_only');
      const account = await accounts.get(accountId);
      if (!account || account.status !== 'pending') throw notFound('account_not_found');
      if (approve) {
        await accounts.patch(accountId, { status: 'active', approvalAnswer: undefined, updatedAt: Date.now() });
        return;
      }
      // A refused applicant has posted nothing: remove every trace, and free the handle.
      await store.transaction(async (tx) => {
        await tx.collection(sessionsCollection).deleteWhere({ accountId });
        await tx.collection(accountsCollection).delete(accountId);
      });
    },

    /** A moderator suspends (for some days) or bans (without end) an account; staff cannot be suspended. */
    async suspend(actor: AccountDoc, handle: string, raw: unknown): Promise<AccountDoc> {
      if (!isStaff(actor)) throw forbidden('moderator_only');
      const input = parseInput(suspensionInput, raw);
      const target = await byHandle(handle);
      if (!target) throw notFound('account_not_found');
      if (isStaff(target)) throw forbidden('cannot_suspend_staff');
      const until = input.days ? Date.now() + input.days * 86_400_000 : BAN_UNTIL;
      const updated = (await accounts.patch(target.id, { suspendedUntil: until, suspensionReason: input.reason, updatedAt: Date.now() }))!;
      return updated;
    },

    async unsuspend(actor: AccountDoc, handle: string): Promise<AccountDoc> {
      if (!isStaff(actor)) throw forbidden('moderator_only');
      const target = await byHandle(handle);
      if (!target) throw notFound('account_not_found');
      return (await accounts.patch(target.id, { suspendedUntil: null, suspensionReason: null, updatedAt: Date.now() }))!;
    },

    /** Public facts about members for display: handle and display name only. */
    async publicNames(ids: readonly string[]): Promise<Map<string, { handle: string; displayName: string }>> {
      const found = await accounts.getMany([...new Set(ids)]);
      return new Map(found.filter((a) => a.status !== 'deleted').map((a) => [a.id, { handle: a.handle, displayName: a.displayName }]));
    },

    /** For the command line: sets a generated passphrase and ends every session. */
    async resetPassphrase(handle: string): Promise<string> {
      const account = await byHandle(handle);
      if (!account) throw notFound('account_not_found');
      const passphrase = generatePassphrase();
      await accounts.patch(account.id, { passHash: await hasher.hash(passphrase), updatedAt: Date.now() });
      await sessions.endAll(account.id);
      return passphrase;
    },

    /** For the command line: creates an admin with a generated passphrase. */
    async createAdmin(handle: string): Promise<{ account: AccountDoc; passphrase: string; recoveryCodes: string[] }> {
      const passphrase = generatePassphrase();
      const input = parseInput(signupInput, { handle, passphrase });
      if (await byHandle(input.handle)) throw conflict('handle_taken');
      const created = await createAccount(input, 'admin', 'active');
      return { ...created, passphrase };
    },
  };

  async function removeAccount(account: AccountDoc, content: ContentChoice): Promise<void> {
    await store.transaction(async (tx) => {
      await hooks.runDeleted(tx, account.id, content);
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
        updatedAt: Date.now(),
      });
    });
  }
}

const diceware = dictionary['diceware-common'] as string[];

/** Six diceware words: about 77 bits, and easy to type on a phone. */
export function generatePassphrase(): string {
  return Array.from({ length: 6 }, () => diceware[crypto.randomInt(diceware.length)]).join('-');
}

export type AccountsService = ReturnType<typeof createAccountsService>;
