import { isAdmin, type AccountsService, type PendingView } from '../accounts/accounts.service.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import { memberListing, type MemberDirectory, type MemberListing } from '../accounts/member-directory.js';
import { conflict, forbidden, notFound } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import { handleParam, memberFlagsInput, memberSearchInput } from './admin.schemas.js';
import { consoleError } from './console-errors.js';

export interface AdminMembersDeps {
  readonly accounts: AccountsService;
  readonly directory: MemberDirectory;
}

/**
 * The admins' work on members: the list (searched by the start of a handle), roles chosen from it, the trusted and
 * responder marks, suspensions and the sign-ups waiting for approval. The accounts module keeps its own rules
 * (staff cannot be suspended, the last admin keeps the role); the console adds its own before them: nobody suspends
 * themselves, and the last admin is never suspended.
 */
export class AdminMembers {
  constructor(private readonly deps: AdminMembersDeps) {}

  async list(actor: AccountDoc, raw: unknown): Promise<{ members: MemberListing[]; next: string | null; q: string }> {
    mustBeAdmin(actor);
    const { q = '', after } = parseInput(memberSearchInput, raw ?? {});
    return { ...(await this.deps.directory.search(q, after ?? null)), q };
  }

  pending(actor: AccountDoc): Promise<PendingView[]> {
    mustBeAdmin(actor);
    return this.deps.accounts.listPending(actor);
  }

  async setRole(actor: AccountDoc, handle: string, raw: unknown): Promise<MemberListing> {
    mustBeAdmin(actor);
    return memberListing(await this.deps.accounts.setRole(actor, await this.handleOf(handle), raw));
  }

  async setFlags(actor: AccountDoc, handle: string, raw: unknown): Promise<MemberListing> {
    mustBeAdmin(actor);
    const flags = parseInput(memberFlagsInput, raw ?? {});
    const target = await this.handleOf(handle);
    await this.deps.accounts.setTrusted(actor, target, flags.trusted);
    return memberListing(await this.deps.accounts.setResponder(actor, target, flags.responder));
  }

  async suspend(actor: AccountDoc, handle: string, raw: unknown): Promise<MemberListing> {
    mustBeAdmin(actor);
    const target = await this.target(handle);
    if (target.role === 'admin' && (await this.deps.accounts.adminCount()) <= 1) throw conflict('last_admin');
    if (target.id === actor.id) throw consoleError(409, 'suspend_self');
    return memberListing(await this.deps.accounts.suspend(actor, target.handle, raw));
  }

  async unsuspend(actor: AccountDoc, handle: string): Promise<MemberListing> {
    mustBeAdmin(actor);
    return memberListing(await this.deps.accounts.unsuspend(actor, await this.handleOf(handle)));
  }

  private async target(handle: string): Promise<AccountDoc> {
    const found = handleParam.safeParse(handle).success ? await this.deps.accounts.byHandle(handle) : null;
    if (!found) throw notFound('account_not_found');
    return found;
  }

  private async handleOf(handle: string): Promise<string> {
    return (await this.target(handle)).handle;
  }
}

export function mustBeAdmin(actor: AccountDoc | null | undefined): asserts actor is AccountDoc {
  if (!isAdmin(actor)) throw forbidden('admin_only');
}
