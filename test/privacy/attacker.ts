/**
 * What an attacker holding a seized copy (rows, raw bytes, the instance's
 * secrets) tries, to tie anonymous items and room memberships to accounts:
 * look for account values in anonymous rows, recompute hashes of account
 * values under every key in reach, and line up timestamps. Each function
 * returns what it found, so that a test can both expect nothing from the
 * real data and expect a planted link to be found.
 */
import crypto from 'node:crypto';
import type { SeizedRow } from './seized-rows.js';

export interface Finding {
  readonly check: string;
  readonly where: string;
  readonly detail: string;
}

export const describeFindings = (findings: readonly Finding[], max = 12): string =>
  findings
    .slice(0, max)
    .map((f) => `[${f.check}] ${f.where}: ${f.detail}`)
    .join('\n') + (findings.length > max ? `\n… and ${findings.length - max} more` : '');

export interface SeizedAccount {
  readonly id: string;
  readonly handle: string;
  readonly displayName: string;
}

/** The accounts as the seized `accounts` table lists them. */
export function accountsIn(rows: readonly SeizedRow[]): SeizedAccount[] {
  return rows
    .filter((r) => r.table === 'accounts')
    .map((r) => ({ id: String(r.doc.id), handle: String(r.doc.handle ?? ''), displayName: String(r.doc.displayName ?? '') }));
}

export interface Needle {
  readonly value: string;
  readonly account: string;
  readonly kind: 'account id' | 'handle' | 'display name' | 'account-side value';
}

/** What names an account: its id, handle (as typed and lower-cased) and display name; values under 4 characters would match by chance. */
export function needlesOf(accounts: readonly SeizedAccount[]): Needle[] {
  return accounts.flatMap((a) =>
    (
      [
        [a.id, 'account id'],
        [a.handle, 'handle'],
        [a.handle.toLowerCase(), 'handle'],
        [a.displayName, 'display name'],
      ] as const
    )
      .filter(([value]) => value.length >= 4)
      .map(([value, kind]) => ({ value, account: a.id, kind })),
  );
}

/**
 * The values of account-side rows that stand for an account as well as its id
 * does: a session's or token's id and hash, the account's key wraps and
 * verifiers. A blinded row holding one would link through it.
 */
export function accountSideValues(rows: readonly SeizedRow[]): Needle[] {
  const needles: Needle[] = [];
  for (const row of rows) {
    const account = row.table === 'accounts' ? row.id : ['sessions', 'tokens'].includes(row.table) ? String(row.doc.accountId) : null;
    if (!account) continue;
    for (const [, value] of row.strings) {
      if (value.length >= 16 && value !== account && !/\s/.test(value)) needles.push({ value, account, kind: 'account-side value' });
    }
  }
  return needles;
}

/** Where each table keeps the blinded ids of members (anonymous authors, reactors, room members). */
export const BLINDED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  posts: ['blindAuthor'],
  threads: ['blindAuthor'],
  reviews: ['blindAuthor'],
  review_responses: ['blindAuthor'],
  reactions: ['reactorId'],
  board_bans: ['blindId'],
  anonymous_numbers: ['blindId'],
  room_members: ['id'],
  room_messages: ['authorId'],
  room_reactions: ['memberId'],
  room_reports: ['reporterId'],
  room_requests: ['memberId', 'inboxId'],
  room_notices: ['inboxId'],
  conversation_participants: ['id'],
  conversation_messages: ['authorId'],
  conversation_vaults: ['id'],
};

/** Keys that only blinded documents and rooms' have, for documents found in raw bytes (whose table is unknown). */
const BLINDED_KEYS = new Set(['blindAuthor', 'reactorId', 'blindId', 'inboxId', 'aliasKey', 'sealedHandle', 'authorKind', 'memberId', 'messageId', 'ref']);

/** Every blinded id the seized rows hold. */
export function blindedValues(rows: readonly SeizedRow[]): Set<string> {
  const values = new Set<string>();
  for (const row of rows) {
    for (const field of BLINDED_FIELDS[row.table] ?? []) {
      const value = row.doc[field];
      if (typeof value === 'string' && value.length > 0 && !value.startsWith('claim:')) values.add(value);
    }
  }
  return values;
}

/** Whether a row is an anonymous item or a room's: such a row must name no account at all. */
export function isAnonymousSide(row: SeizedRow, anonymousPostIds: ReadonlySet<string>): boolean {
  const table = row.table;
  if (table === 'unknown') return row.doc.anonymous === true || Object.keys(row.doc).some((k) => BLINDED_KEYS.has(k));
  if (['posts', 'threads', 'reviews', 'review_responses'].includes(table)) return row.doc.anonymous === true;
  if (table === 'post_revisions') return anonymousPostIds.has(String(row.doc.postId));
  return table in BLINDED_FIELDS || table === 'rooms' || table.startsWith('room_') || table === 'conversations';
}

const where = (row: SeizedRow, path?: string) => `${row.file ? `${row.file}: ` : ''}${row.table}${row.id ? ` ${row.id}` : ''}${path ? ` .${path}` : ''}`;

/** Anonymous items and room rows that carry an account id, a handle or a display name. */
export function namesInAnonymousRows(rows: readonly SeizedRow[], needles: readonly Needle[], anonymousPostIds: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = [];
  for (const row of rows) {
    if (!isAnonymousSide(row, anonymousPostIds)) continue;
    for (const [path, value] of row.strings) {
      const needle = needles.find((n) => value.includes(n.value));
      if (needle) findings.push({ check: 'anonymous row names an account', where: where(row, path), detail: `${needle.kind} of account ${needle.account}` });
    }
  }
  return findings;
}

/** Rows (anywhere) that hold a blinded id and an account's id, handle or display name together. */
export function blindedBesideAccount(rows: readonly SeizedRow[], needles: readonly Needle[], blinded: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = [];
  for (const row of rows) {
    const blind = row.strings.find(([, value]) => blinded.has(value));
    if (!blind) continue;
    const needle = needles.find((n) => row.text.includes(n.value));
    if (needle) findings.push({ check: 'blinded id beside an account', where: where(row, blind[0]), detail: `${needle.kind} of account ${needle.account} in the same row` });
  }
  return findings;
}

/** An anonymous item (or a room membership) and the account that made it, as the test knows them. */
export interface Authorship {
  /** The item's id (a post, thread, review, response, message, membership reference or room id). */
  readonly itemId: string;
  readonly accountId: string;
  readonly what: string;
}

/** Rows that hold an anonymous item's id together with a value naming its own author. */
export function authorBesideItem(rows: readonly SeizedRow[], needles: readonly Needle[], truth: readonly Authorship[]): Finding[] {
  const byAccount = new Map<string, Needle[]>();
  for (const n of needles) byAccount.set(n.account, [...(byAccount.get(n.account) ?? []), n]);
  const findings: Finding[] = [];
  for (const row of rows) {
    for (const item of truth) {
      if (!row.text.includes(item.itemId)) continue;
      const needle = byAccount.get(item.accountId)?.find((n) => row.text.includes(n.value));
      if (needle) findings.push({ check: 'item beside its author', where: where(row), detail: `${item.what} ${item.itemId} with its author's ${needle.kind}` });
    }
  }
  return findings;
}

/** A key in the attacker's reach: a secret of the instance, or any long enough token found in the data. */
export interface CandidateKey {
  readonly source: string;
  readonly key: Buffer;
}

const TOKEN = /[A-Za-z0-9_+/=-]{32,}/g;

/** Tokens of the seized strings long enough to be keys, each as text, base64(url) and hex bytes. */
export function keysInData(rows: readonly SeizedRow[]): CandidateKey[] {
  const keys = new Map<string, CandidateKey>();
  const add = (source: string, key: Buffer) => {
    if (key.length >= 16 && !keys.has(key.toString('hex'))) keys.set(key.toString('hex'), { source, key });
  };
  for (const row of rows) {
    for (const [path, value] of row.strings) {
      for (const token of value.match(TOKEN) ?? []) {
        const source = `${where(row, path)} (${token.slice(0, 12)}…)`;
        add(`${source} as text`, Buffer.from(token, 'utf8'));
        if (/^[A-Za-z0-9_+/-]+={0,2}$/.test(token)) add(`${source} as base64`, Buffer.from(token, 'base64'));
        if (/^(?:[0-9a-f]{2})+$/i.test(token)) add(`${source} as hex`, Buffer.from(token, 'hex'));
      }
    }
  }
  return [...keys.values()];
}

/** Every token of every stored string, to look a recomputed digest up in. */
export function storedTokens(rows: readonly SeizedRow[]): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const row of rows) {
    for (const [path, value] of row.strings) {
      if (!tokens.has(value)) tokens.set(value, where(row, path));
      for (const token of value.split(/[^A-Za-z0-9_+/=-]+/)) if (token.length >= 16 && !tokens.has(token)) tokens.set(token, where(row, path));
    }
  }
  return tokens;
}

/** The forms a digest may be stored in. */
function forms(digest: Buffer): string[] {
  const base64 = digest.toString('base64');
  return [digest.toString('hex'), base64, base64.replace(/=+$/, ''), digest.toString('base64url')];
}

/** The inputs the code hashes, or might: each account value alone, with every blinding scope and with every keyed-hash purpose. */
export function hashInputs(accounts: readonly SeizedAccount[], scopes: readonly string[], purposes: readonly string[]): { label: string; bytes: Buffer }[] {
  const inputs = new Map<string, string>();
  const add = (text: string, label: string) => {
    if (!inputs.has(text)) inputs.set(text, label);
  };
  for (const a of accounts) {
    const values: [string, string][] = [
      [`account id of ${a.id}`, a.id],
      [`handle of ${a.id}`, a.handle],
      [`lower-case handle of ${a.id}`, a.handle.toLowerCase()],
      [`display name of ${a.id}`, a.displayName],
    ];
    for (const [label, v] of values) {
      add(v, label);
      for (const purpose of purposes) add(`${purpose}\u0000${v}`, `${label} for "${purpose}"`);
    }
    for (const [label, v] of values.slice(0, 2)) {
      for (const scope of scopes) {
        for (const joined of [`${scope}${v}`, `${scope}:${v}`, `${scope}\u0000${v}`, `${v}${scope}`, `${v}:${scope}`, `${v}\u0000${scope}`]) {
          add(joined, `${label} with scope ${scope}`);
        }
      }
    }
  }
  return [...inputs].map(([text, label]) => ({ label, bytes: Buffer.from(text, 'utf8') }));
}

/** Stored values equal to SHA-256 or HMAC-SHA256 (under any candidate key) of an account value, in hex or base64(url). */
export function recomputedDigests(tokens: ReadonlyMap<string, string>, keys: readonly CandidateKey[], inputs: readonly { label: string; bytes: Buffer }[]): Finding[] {
  const findings: Finding[] = [];
  const look = (digest: Buffer, detail: string) => {
    for (const form of forms(digest)) {
      const at = tokens.get(form);
      if (at) findings.push({ check: 'recomputed digest', where: at, detail });
    }
  };
  for (const input of inputs) look(crypto.createHash('sha256').update(input.bytes).digest(), `SHA-256 of the ${input.label}`);
  for (const { source, key } of keys) {
    for (const input of inputs) look(crypto.createHmac('sha256', key).update(input.bytes).digest(), `HMAC-SHA256 of the ${input.label} under ${source}`);
  }
  return findings;
}

/**
 * Blinded ids recomputable from a candidate key: a member key stored
 * unwrapped anywhere (or a blinding keyed by something the data holds) would
 * give them back through the code's own derivation.
 */
export function recomputedBlindIds(keys: readonly CandidateKey[], scopes: readonly string[], blinded: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = [];
  for (const { source, key } of keys) {
    const blindKey = Buffer.from(crypto.hkdfSync('sha256', key, Buffer.alloc(0), 'parasol-blind-v1', 32));
    for (const candidate of [key, blindKey]) {
      for (const scope of scopes) {
        const id = crypto.createHmac('sha256', candidate).update(scope).digest('base64url');
        if (blinded.has(id)) findings.push({ check: 'blinded id recomputed', where: source, detail: `gives the blinded id of scope ${scope}` });
      }
    }
  }
  return findings;
}

export interface TimingTrials {
  /** Blinded ids ranked (one trial each). */
  readonly trials: number;
  /** Trials whose true account ranked first. */
  readonly first: number;
  /** Accounts ranked in each trial. */
  readonly candidates: number;
}

/**
 * The attacker's ranking: for each blinded id whose owner the test knows,
 * every account is scored by how closely a timestamp kept in its rows (every
 * row holding its id) precedes (or, with direction 'after', follows) a
 * timestamp of the blinded id's rows: a log-in, a report or a profile change
 * just before an anonymous post, or a "last seen" just after it. The closest
 * ranks first, ties in random order. Only timestamps within [from, to] count
 * (the run's day), so that expiries and far dates stay out.
 */
export function rankByTiming(
  rows: readonly SeizedRow[],
  owners: ReadonlyMap<string, string>,
  window: { from: number; to: number },
  direction: 'before' | 'after',
  random: () => number,
): TimingTrials {
  const inWindow = (row: SeizedRow) => row.numbers.map(([, n]) => n).filter((n) => n >= window.from && n <= window.to);
  const accounts = accountsIn(rows);
  const accountTimes = new Map(accounts.map((a) => [a.id, rows.filter((r) => r.text.includes(a.id)).flatMap(inWindow)]));
  let trials = 0;
  let first = 0;
  for (const [blind, owner] of owners) {
    const times = rows.filter((r) => r.strings.some(([, v]) => v === blind)).flatMap(inWindow);
    if (times.length === 0) continue;
    const scored = accounts.map((a) => {
      let best = Infinity;
      for (const t of accountTimes.get(a.id) ?? []) {
        for (const u of times) {
          const gap = direction === 'before' ? u - t : t - u;
          if (gap >= 0) best = Math.min(best, gap);
        }
      }
      return { id: a.id, best, tie: random() };
    });
    scored.sort((x, y) => x.best - y.best || x.tie - y.tie);
    trials += 1;
    if (scored[0]?.id === owner) first += 1;
  }
  return { trials, first, candidates: accounts.length };
}

/** P(X >= k) for X ~ Binomial(n, p). */
export function binomialTail(n: number, p: number, k: number): number {
  let pmf = Math.pow(1 - p, n);
  let tail = k <= 0 ? pmf : 0;
  for (let i = 1; i <= n; i++) {
    pmf *= ((n - i + 1) / i) * (p / (1 - p));
    if (i >= k) tail += pmf;
  }
  return Math.min(1, tail);
}
