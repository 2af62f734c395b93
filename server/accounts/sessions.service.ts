import { z } from 'zod';
import type { Store } from '../store/port.js';
import { parseInput } from '../core/validate.js';
import { newId, randomToken, sha256 } from '../crypto.js';
import { notFound, unauthorized } from '../core/errors.js';
import {
  accountsCollection,
  sessionsCollection,
  tokensCollection,
  type AccountDoc,
  type SessionDoc,
  type TokenDoc,
} from './accounts.collections.js';

const HOUR = 3_600_000;
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
  /** Set when the session was rotated (the role changed): the caller must send this new cookie. */
  readonly rotatedToken?: string;
}

export interface SessionsService {
  /** Starts a session and returns the cookie value. */
  start(account: AccountDoc): Promise<{ token: string; session: SessionDoc }>;
  /** Resolves a session cookie; null when missing, malformed, expired or ended. */
  fromCookie(token: string | undefined): Promise<Authenticated | null>;
  /**
   * Resolves a session cookie without rotating or extending it: for sockets,
   * which cannot hand a rotated cookie back to the browser.
   */
  peek(token: string | undefined): Promise<Authenticated | null>;
  /** Resolves an Authorization header value; throws 401 when it is present but not a valid bearer token. */
  fromBearer(header: string): Promise<Authenticated>;
  list(accountId: string, currentSessionId: string | null): Promise<SessionView[]>;
  end(accountId: string, sessionId: string): Promise<void>;
  /** Ends every session of the account, except `keep` when given. */
  endAll(accountId: string, keep?: string | null): Promise<number>;
  createToken(accountId: string, raw: unknown): Promise<{ token: string; view: TokenView }>;
  listTokens(accountId: string): Promise<TokenView[]>;
  revokeToken(accountId: string, tokenId: string): Promise<void>;
  /** Called with the ids of sessions that were ended (log-out, log-out everywhere, passphrase change, deletion). */
  onEnded(listener: (sessionIds: readonly string[]) => void): void;
}

export function createSessionsService(store: Store, sessionMs: number): SessionsService {
  const endedListeners: ((sessionIds: readonly string[]) => void)[] = [];
  const ended = (ids: readonly string[]) => {
    if (ids.length > 0) for (const listener of endedListeners) listener(ids);
  };
  const sessions = store.collection(sessionsCollection);
  const tokens = store.collection(tokensCollection);
  const accounts = store.collection(accountsCollection);

  /**
   * Which token a hash belongs to never changes, so it is remembered; the token itself is read each time
   * (from the documents the store keeps), so a revoked one is refused at once.
   */
  const tokenIds = new Map<string, string>();
  async function tokenByHash(hash: string): Promise<TokenDoc | null> {
    const known = tokenIds.get(hash);
    const token = known !== undefined ? await tokens.get(known) : await tokens.findOne({ hash });
    if (!token || token.hash !== hash) {
      tokenIds.delete(hash);
      return null;
    }
    if (known === undefined) {
      if (tokenIds.size >= MAX_KNOWN_TOKENS) tokenIds.clear();
      tokenIds.set(hash, token.id);
    }
    return token;
  }

  async function activeAccount(accountId: string): Promise<AccountDoc | null> {
    const account = await accounts.get(accountId);
    return account && account.status !== 'deleted' ? account : null;
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

  const listSessions = (accountId: string) =>
    allOf((after) => sessions.find({ where: { accountId }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 200, after }));

  async function start(account: AccountDoc): Promise<{ token: string; session: SessionDoc }> {
    const token = randomToken(32);
    const now = Date.now();
    const session: SessionDoc = {
      id: newId(),
      hash: sha256(token),
      accountId: account.id,
      role: account.role,
      createdAt: now,
      lastSeenAt: Math.floor(now / HOUR) * HOUR,
      expiresAt: now + sessionMs,
    };
    await sessions.insert(session);
    return { token, session };
  }

  return {
    start,

    async fromCookie(token) {
      if (!token || !tokenShape.test(token)) return null;
      const session = await sessions.findOne({ hash: sha256(token) });
      if (!session) return null;
      const account = await activeAccount(session.accountId);
      if (!account) return null;
      if (account.role !== session.role) {
        const fresh = await start(account);
        await sessions.delete(session.id);
        return { account, sessionId: fresh.session.id, rotatedToken: fresh.token };
      }
      const now = Date.now();
      // Slide the expiry at most hourly so that reading pages does not write on every request.
      if (now - session.lastSeenAt >= HOUR) {
        await sessions.patch(session.id, { lastSeenAt: Math.floor(now / HOUR) * HOUR, expiresAt: now + sessionMs });
      }
      return { account, sessionId: session.id };
    },

    async peek(token) {
      if (!token || !tokenShape.test(token)) return null;
      const session = await sessions.findOne({ hash: sha256(token) });
      const account = session ? await activeAccount(session.accountId) : null;
      return session && account ? { account, sessionId: session.id } : null;
    },

    async fromBearer(header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
      const value = match?.[1];
      if (!value || !value.startsWith(TOKEN_PREFIX) || !tokenShape.test(value.slice(TOKEN_PREFIX.length))) {
        throw unauthorized('bad_token');
      }
      const hash = sha256(value);
      const token = await tokenByHash(hash);
      const account = token ? await activeAccount(token.accountId) : null;
      if (!token || !account) throw unauthorized('bad_token');
      const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
      if (token.lastUsedAt !== today) await tokens.patch(token.id, { lastUsedAt: today });
      return { account, sessionId: null };
    },

    async list(accountId, currentSessionId) {
      return (await listSessions(accountId)).map((s) => ({
        id: s.id,
        createdAt: s.createdAt,
        lastSeenAt: s.lastSeenAt,
        expiresAt: s.expiresAt,
        current: s.id === currentSessionId,
      }));
    },

    async end(accountId, sessionId) {
      const session = await sessions.get(sessionId);
      if (!session || session.accountId !== accountId) throw notFound('session_not_found');
      await sessions.delete(sessionId);
      ended([sessionId]);
    },

    async endAll(accountId, keep) {
      const doomed = (await listSessions(accountId)).filter((s) => s.id !== keep);
      await store.transaction(async (tx) => {
        const col = tx.collection(sessionsCollection);
        for (const s of doomed) await col.delete(s.id);
      });
      ended(doomed.map((s) => s.id));
      return doomed.length;
    },

    async createToken(accountId, raw) {
      const { name } = parseInput(tokenInput, raw);
      const token = TOKEN_PREFIX + randomToken(32);
      const doc: TokenDoc = { id: newId(), hash: sha256(token), accountId, name, createdAt: Date.now(), lastUsedAt: null };
      await tokens.insert(doc);
      return { token, view: { id: doc.id, name, createdAt: doc.createdAt, lastUsedAt: null } };
    },

    async listTokens(accountId) {
      const all = await allOf((after) =>
        tokens.find({ where: { accountId }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 200, after }),
      );
      return all.map((t) => ({ id: t.id, name: t.name, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt }));
    },

    async revokeToken(accountId, tokenId) {
      const token = await tokens.get(tokenId);
      if (!token || token.accountId !== accountId) throw notFound('token_not_found');
      await tokens.delete(tokenId);
    },

    onEnded(listener) {
      endedListeners.push(listener);
    },
  };
}
