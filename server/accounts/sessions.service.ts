import { z } from 'zod';
import type { Store } from '../store/port.js';
import { parseInput } from '../core/validate.js';
import { newId, randomToken, sha256 } from '../crypto.js';
import { forbidden, notFound, unauthorized } from '../core/errors.js';
import { requireMemberKey, type MemberKey } from '../core/member-key.js';
import { wrapForSecret } from './key-wraps.js';
import { UnwrappedKeys } from './unwrapped-keys.js';
import { dayCeil, today } from './account-keys.js';
import {
  accountsCollection,
  sessionsCollection,
  tokensCollection,
  type AccountDoc,
  type SessionDoc,
  type TokenDoc,
} from './accounts.collections.js';

const TOKEN_PREFIX = 'psl_';
/** Token hashes remembered with their token's id; past this many the list starts again. */
const MAX_KNOWN_TOKENS = 10_000;
/** Cookie and bearer values are base64url of 32 random bytes (43 characters). */
const tokenShape = /^[A-Za-z0-9_-]{43}$/;

export const tokenInput = z.strictObject({ name: z.string().trim().min(1).max(60) });

export interface SessionView {
  readonly id: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly current: boolean;
}

export interface TokenView {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

export interface Authenticated {
  readonly account: AccountDoc;
  readonly sessionId: string | null;
  /** Unwrapped with the cookie's or token's secret; null for a session or token made before member keys. */
  readonly memberKey: MemberKey | null;
  /** Set when the session was rotated (the role changed): the caller must send this new cookie. */
  readonly rotatedToken?: string;
}

/** Why every session and token of an account ended; listeners close what else the account had open. */
export interface Compromise {
  readonly accountId: string;
  /** The session that made the change and stays signed in; null when none is kept. */
  readonly keptSessionId: string | null;
}

/**
 * Sessions (browser cookies) and personal API tokens. Ending everything of an
 * account (log-out everywhere, recovery, a passphrase change or reset) also
 * revokes its tokens: a thief who made a token on a taken phone loses it with
 * the sessions.
 */
export class SessionsService {
  private readonly endedListeners: ((sessionIds: readonly string[]) => void)[] = [];
  private readonly compromiseListeners: ((compromise: Compromise) => Promise<void> | void)[] = [];
  private readonly sessions;
  private readonly tokens;
  private readonly accounts;
  /**
   * Which token a hash belongs to never changes, so it is remembered; the token itself is read each time
   * (from the documents the store keeps), so a revoked one is refused at once.
   */
  private readonly tokenIds = new Map<string, string>();
  private readonly unwrapped = new UnwrappedKeys();

  constructor(
    private readonly store: Store,
    private readonly sessionMs: number,
  ) {
    this.sessions = store.collection(sessionsCollection);
    this.tokens = store.collection(tokensCollection);
    this.accounts = store.collection(accountsCollection);
  }

  /**
   * Starts a session and returns the cookie value. The member key is stored
   * wrapped under the cookie's secret, of which the row keeps only a hash.
   */
  async start(account: AccountDoc, key: MemberKey | null): Promise<{ token: string; session: SessionDoc }> {
    const token = randomToken(32);
    const now = Date.now();
    const id = newId();
    const session: SessionDoc = {
      id,
      hash: sha256(token),
      accountId: account.id,
      role: account.role,
      ...(key ? { keyWrap: wrapForSecret(key, token, id) } : {}),
      createdAt: today(now),
      lastSeenAt: today(now),
      expiresAt: this.expiry(now),
    };
    await this.sessions.insert(session);
    return { token, session };
  }

  /** Resolves a session cookie; null when missing, malformed, expired or ended. */
  async fromCookie(token: string | undefined): Promise<Authenticated | null> {
    if (!token || !tokenShape.test(token)) return null;
    const session = await this.sessions.findOne({ hash: sha256(token) });
    if (!session) return null;
    const account = await this.activeAccount(session.accountId);
    if (!account) return null;
    const memberKey = this.unwrapped.unwrap(session.keyWrap, token, session.hash, session.id);
    if (account.role !== session.role) {
      const fresh = await this.start(account, memberKey);
      await this.sessions.delete(session.id);
      return { account, sessionId: fresh.session.id, memberKey, rotatedToken: fresh.token };
    }
    const now = Date.now();
    // Slide the expiry once a day: reading pages does not write on every request, and the row shows only the day.
    if (today(now) > session.lastSeenAt) {
      await this.sessions.patch(session.id, { lastSeenAt: today(now), expiresAt: this.expiry(now) });
    }
    return { account, sessionId: session.id, memberKey };
  }

  /**
   * Resolves a session cookie without rotating or extending it: for sockets,
   * which cannot hand a rotated cookie back to the browser.
   */
  async peek(token: string | undefined): Promise<Authenticated | null> {
    if (!token || !tokenShape.test(token)) return null;
    const session = await this.sessions.findOne({ hash: sha256(token) });
    const account = session ? await this.activeAccount(session.accountId) : null;
    if (!session || !account) return null;
    return { account, sessionId: session.id, memberKey: this.unwrapped.unwrap(session.keyWrap, token, session.hash, session.id) };
  }

  /** Resolves an Authorization header value; throws 401 when it is present but not a valid bearer token. */
  async fromBearer(header: string): Promise<Authenticated> {
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    const value = match?.[1];
    if (!value || !value.startsWith(TOKEN_PREFIX) || !tokenShape.test(value.slice(TOKEN_PREFIX.length))) {
      throw unauthorized('bad_token');
    }
    const token = await this.tokenByHash(sha256(value));
    const account = token ? await this.activeAccount(token.accountId) : null;
    if (!token || !account) throw unauthorized('bad_token');
    const day = today();
    if (token.lastUsedAt !== day) await this.tokens.patch(token.id, { lastUsedAt: day });
    return { account, sessionId: null, memberKey: this.unwrapped.unwrap(token.keyWrap, value, token.hash, token.id) };
  }

  async list(accountId: string, currentSessionId: string | null): Promise<SessionView[]> {
    return (await this.listSessions(accountId)).map((s) => ({
      id: s.id,
      createdAt: s.createdAt,
      lastSeenAt: s.lastSeenAt,
      expiresAt: s.expiresAt,
      current: s.id === currentSessionId,
    }));
  }

  async end(accountId: string, sessionId: string): Promise<void> {
    const session = await this.sessions.get(sessionId);
    if (!session || session.accountId !== accountId) throw notFound('session_not_found');
    await this.sessions.delete(sessionId);
    this.ended([sessionId]);
  }

  /**
   * Ends every session of the account except `keep`, revokes every API token,
   * and tells the compromise listeners (push subscriptions, open sockets).
   * Answers how many sessions ended.
   */
  async endAll(accountId: string, keep: string | null = null): Promise<number> {
    const doomed = (await this.listSessions(accountId)).filter((s) => s.id !== keep);
    await this.store.transaction(async (tx) => {
      const col = tx.collection(sessionsCollection);
      for (const s of doomed) await col.delete(s.id);
      await tx.collection(tokensCollection).deleteWhere({ accountId });
    });
    this.ended(doomed.map((s) => s.id));
    for (const listener of this.compromiseListeners) await listener({ accountId, keptSessionId: keep });
    return doomed.length;
  }

  /**
   * Only a session (a fresh log-in) makes tokens: a token alone, perhaps stolen, cannot make itself a successor.
   * The token carries the member key, wrapped under its own secret, so a session without one cannot make one.
   */
  async createToken(
    auth: { readonly accountId: string; readonly sessionId: string | null },
    key: MemberKey | null,
    raw: unknown,
  ): Promise<{ token: string; view: TokenView }> {
    if (auth.sessionId === null) throw forbidden('token_needs_session');
    const { name } = parseInput(tokenInput, raw);
    const memberKey = requireMemberKey(key);
    const token = TOKEN_PREFIX + randomToken(32);
    const id = newId();
    const doc: TokenDoc = { id, hash: sha256(token), accountId: auth.accountId, name, keyWrap: wrapForSecret(memberKey, token, id), createdAt: today(), lastUsedAt: null };
    await this.tokens.insert(doc);
    return { token, view: { id: doc.id, name, createdAt: doc.createdAt, lastUsedAt: null } };
  }

  async listTokens(accountId: string): Promise<TokenView[]> {
    const all = await allOf((after) =>
      this.tokens.find({ where: { accountId }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 200, after }),
    );
    return all.map((t) => ({ id: t.id, name: t.name, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt }));
  }

  async revokeToken(accountId: string, tokenId: string): Promise<void> {
    const token = await this.tokens.get(tokenId);
    if (!token || token.accountId !== accountId) throw notFound('token_not_found');
    await this.tokens.delete(tokenId);
  }

  /** Called with the ids of sessions that were ended (log-out, log-out everywhere, passphrase change, deletion). */
  onEnded(listener: (sessionIds: readonly string[]) => void): void {
    this.endedListeners.push(listener);
  }

  /** Called after endAll, once the sessions and tokens are gone. */
  onCompromise(listener: (compromise: Compromise) => Promise<void> | void): void {
    this.compromiseListeners.push(listener);
  }

  /** The first UTC midnight after the configured lifetime: the row shows the day, and no session ends early. */
  private expiry(now: number): number {
    return dayCeil(now + this.sessionMs);
  }

  private ended(ids: readonly string[]): void {
    this.unwrapped.forget(ids);
    if (ids.length > 0) for (const listener of this.endedListeners) listener(ids);
  }

  private async tokenByHash(hash: string): Promise<TokenDoc | null> {
    const known = this.tokenIds.get(hash);
    const token = known !== undefined ? await this.tokens.get(known) : await this.tokens.findOne({ hash });
    if (!token || token.hash !== hash) {
      this.tokenIds.delete(hash);
      return null;
    }
    if (known === undefined) {
      if (this.tokenIds.size >= MAX_KNOWN_TOKENS) this.tokenIds.clear();
      this.tokenIds.set(hash, token.id);
    }
    return token;
  }

  private async activeAccount(accountId: string): Promise<AccountDoc | null> {
    const account = await this.accounts.get(accountId);
    return account && account.status !== 'deleted' ? account : null;
  }

  private listSessions(accountId: string): Promise<SessionDoc[]> {
    return allOf((after) => this.sessions.find({ where: { accountId }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 200, after }));
  }
}

async function allOf<T extends { id: string }>(page: (after: string | null) => Promise<{ items: T[]; next: string | null }>): Promise<T[]> {
  const out: T[] = [];
  let after: string | null = null;
  do {
    const result = await page(after);
    out.push(...result.items);
    after = result.next;
  } while (after);
  return out;
}
