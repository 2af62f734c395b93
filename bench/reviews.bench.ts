import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import autocannon from 'autocannon';
import { loadConfig } from '../server/config.js';
import { newId } from '../server/crypto.js';
import { renderMarkdown } from '../server/content/markdown.js';
import { openSqliteStore } from '../server/store/sqlite.adapter.js';
import {
  digestsCollection,
  reviewBoardsCollection,
  reviewsCollection,
  reviewsCollections,
  warningCategories,
  type DigestDoc,
  type IdentifierHint,
  type ReviewDoc,
  type Severity,
  type WarningCategory,
} from '../server/reviews/reviews.collections.js';
import { identifierDigest, normaliseIdentifier } from '../server/reviews/identifiers.js';
import { reviewBoardKeys } from '../server/reviews/instance-secret.js';
import { InstanceService } from '../server/instance/instance.service.js';
import { instanceCollection } from '../server/instance/instance.collections.js';
import { percentile, report, startServer, timed, type BenchInstance } from './lib.js';
import { prng } from '../test/helpers/prng.js';

/**
 * Screening look-up latency (the argon2id identifier digest dominates: its
 * cost is reported on its own) and the review list's throughput, with 50,000
 * published reviews on SQLite; proves the digest look-up is an index search.
 * Run: npm run bench:reviews
 */
const REVIEWS = 50_000;
const BOARD = 'client-screening';
const MEMBERS = 3;
const PASSPHRASE = 'a benchmark passphrase';
/** Ten known client numbers (US, national form); each is named by REPEATS reviews. */
const KNOWN = Array.from({ length: 10 }, (_, k) => `555010${2030 + k * 7}`);
const REPEATS = 2;
const DIGEST_SAMPLES = 20;
const LOOKUPS = 50;
const BATCH = 2_500;

/** The ways people type a number: all must reach the same digest. */
const FORMATS: readonly ((n: string) => string)[] = [
  (n) => `+1 ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`,
  (n) => `${n.slice(0, 3)}-${n.slice(3, 6)}-${n.slice(6)}`,
  (n) => `(${n.slice(0, 3)}) ${n.slice(3, 6)}-${n.slice(6)}`,
  (n) => `${n.slice(0, 3)}.${n.slice(3, 6)}.${n.slice(6)}`,
  (n) => `+1${n}`,
  (n) => `1 ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`,
];

const BODIES = [
  'Booked an hour, then **refused to pay** at the end and got aggressive when I asked. Left before I could get his plate.',
  'Regular for months, always polite and on time. Pays in full up front, respects every boundary. Would see again.',
  'Kept pushing to remove the condom after I said no twice. Ended the session early; he *did* leave without trouble.',
  'Did not show up for a booking he confirmed an hour before, then sent angry messages when I would not rebook.',
  'Claimed to be a police officer halfway through and demanded a "free session" to avoid arrest. Not a real cop as far as I know.',
  'Friendly, clean, tips well. Texts only through the agreed number and never asks for a real name.',
  'Took photos without asking and threatened to send them to my family when I told him to delete them.',
  'Grabbed my bag on the way out and ran. About 30, tall, grey hoodie; the room was booked under another name.',
].map((body) => ({ body, html: renderMarkdown(body) }));

/** A fast stand-in for the filler reviews' digests: same length as the real one (32 bytes, base64url); only the index size matters. */
const fillerDigest = (text: string) => crypto.createHash('sha256').update(text).digest('base64url');

async function post(url: string, body: unknown, cookie?: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) });
}

const cookiesOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');

/** Runs fn and returns the SQL that better-sqlite3 prepared meanwhile: the statements the adapter actually runs. */
async function preparedDuring<R>(fn: () => Promise<R>): Promise<[R, string[]]> {
  const proto = Database.prototype;
  const original = proto.prepare;
  const seen: string[] = [];
  proto.prepare = function (this: Database.Database, source: string) {
    seen.push(source);
    return original.call(this, source);
  } as typeof original;
  try {
    return [await fn(), seen];
  } finally {
    proto.prepare = original;
  }
}

interface Member {
  readonly id: string;
  readonly handle: string;
  cookie: string;
}

async function main(): Promise<void> {
  const digestParams = loadConfig({}).reviews.digest;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-bench-reviews-'));
  const dbFile = path.join(dataDir, 'parasol.sqlite');
  let server: BenchInstance | null = null;
  try {
    // 1. A first start creates the schema and the seeded board (with its secret); the members sign up through the API.
    server = await startServer({}, { dataDir });
    const members: Member[] = [];
    for (let i = 0; i < MEMBERS; i++) {
      const handle = `screener_${i}`;
      const res = await post(`${server.url}/api/v1/accounts`, { handle, passphrase: PASSPHRASE });
      if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
      const { account } = (await res.json()) as { account: { id: string; status: string } };
      if (account.status !== 'active') throw new Error(`member ${handle} is ${account.status}`);
      members.push({ id: account.id, handle, cookie: '' });
    }
    await server.stop();
    server = null;

    // 2. Seed straight through the store, with the board's real secret.
    const store = openSqliteStore({ path: dbFile });
    await store.declare(reviewsCollections);
    const board = await store.collection(reviewBoardsCollection).findOne({ slug: BOARD });
    if (!board) throw new Error(`board ${BOARD} was not seeded by the first start`);
    await store.declare([instanceCollection]);
    const boardKey = reviewBoardKeys(null, await new InstanceService(store).load()).keyFor(board);

    const knownCanonical = KNOWN.map((n) => normaliseIdentifier({ type: 'phone', value: n }, 'US'));
    const [knownDigests, knownDigestMs] = await timed(() => Promise.all(knownCanonical.map((n) => identifierDigest(n.canonical, boardKey, digestParams))));
    // Known reviews are spread over the board's history, not all on its first page.
    const knownAt = new Map<number, number>();
    KNOWN.forEach((_, k) => {
      for (let r = 0; r < REPEATS; r++) knownAt.set(Math.floor(((k * REPEATS + r + 0.5) / (KNOWN.length * REPEATS)) * REVIEWS), k);
    });

    const rand = prng(20_240_601);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
    const severities: readonly Severity[] = ['low', 'medium', 'high', 'urgent'];
    const now = Date.now();
    const lifetimeMs = loadConfig({}).reviews.lifetimeMs;
    let digestCount = 0;
    const [, seedMs] = await timed(async () => {
      for (let start = 0; start < REVIEWS; start += BATCH) {
        await store.transaction(async (tx) => {
          const rcol = tx.collection(reviewsCollection);
          const dcol = tx.collection(digestsCollection);
          for (let i = start; i < Math.min(REVIEWS, start + BATCH); i++) {
            // One review every ~10 minutes over the past year, oldest first.
            const createdAt = now - (REVIEWS - i) * 600_000;
            const known = knownAt.get(i);
            const identifiers: IdentifierHint[] = [];
            const digests: string[] = [];
            if (known !== undefined) {
              identifiers.push(knownCanonical[known]!.hint);
              digests.push(knownDigests[known]!);
            }
            const fillers = known !== undefined ? Math.floor(rand() * 2) : 1 + Math.floor(rand() * 2);
            for (let j = 0; j < fillers; j++) {
              identifiers.push(j === 0 ? { type: 'phone', platform: null, hint: `…${String(i % 100).padStart(2, '0')}` } : { type: 'handle', platform: 'whatsapp', hint: 'c…7' });
              digests.push(fillerDigest(`filler:${i}:${j}`));
            }
            const warning = rand() < 0.8;
            const categories: WarningCategory[] = warning ? [...new Set([pick(warningCategories), pick(warningCategories)])] : [];
            const { body, html } = pick(BODIES);
            const author = members[i % MEMBERS]!;
            const doc: ReviewDoc = {
              id: newId(),
              boardId: board.id,
              authorId: author.id,
              anonymous: i % 4 === 0,
              kind: warning ? 'warning' : 'vouch',
              categories,
              severity: warning ? pick(severities) : null,
              rating: warning ? null : 1 + Math.floor(rand() * 5),
              incidentMonth: new Date(createdAt).toISOString().slice(0, 7),
              incidentDay: null,
              areaId: null,
              body,
              html,
              descriptors: 'Late 30s, short grey beard, silver hatchback.',
              identifiers,
              status: 'published',
              question: null,
              answer: null,
              rejectReason: null,
              corroborations: known !== undefined ? 1 : 0,
              counterVouches: 0,
              disputes: 0,
              createdAt,
              updatedAt: createdAt,
              publishedAt: createdAt,
              expiresAt: createdAt + lifetimeMs,
            };
            await rcol.insert(doc);
            for (const digest of digests) {
              const d: DigestDoc = { id: newId(), boardId: board.id, reviewId: doc.id, digest, expiresAt: doc.expiresAt };
              await dcol.insert(d);
              digestCount++;
            }
          }
        });
      }
      await store.collection(reviewBoardsCollection).increment(board.id, { reviewCount: REVIEWS });
    });

    // The SQL the adapter runs for the screening query and for the list page, captured as it prepares them.
    const [hits, digestSql] = await preparedDuring(() => store.collection(digestsCollection).find({ where: { boardId: board.id, digest: knownDigests[0]! }, limit: 200 }));
    if (hits.items.length !== REPEATS) throw new Error(`the store finds ${hits.items.length} reviews for a known number, not ${REPEATS}`);
    const [, listSql] = await preparedDuring(() =>
      store.collection(reviewsCollection).find({ where: { boardId: board.id, status: 'published' }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 30 }),
    );
    await store.close();

    // The digest query as sqlite.adapter.ts builds it for find({ where: { boardId, digest } }) (generated columns, TTL filter, id order).
    const digestQuery =
      'SELECT doc FROM "c_review_digests" WHERE "x_boardId" IS ? AND "x_digest" IS ? AND ("x_expiresAt" IS NULL OR "x_expiresAt" > ?) ORDER BY id ASC LIMIT ?';
    if (digestSql.length !== 1 || digestSql[0] !== digestQuery) {
      throw new Error(`the adapter no longer runs the reproduced digest query; it prepared:\n${digestSql.join('\n')}`);
    }

    // 3. The real run.
    server = await startServer({}, { dataDir });
    for (const m of members) {
      const res = await post(`${server.url}/api/v1/sessions`, { handle: m.handle, passphrase: PASSPHRASE });
      if (res.status !== 201) throw new Error(`log-in failed: ${res.status}`);
      m.cookie = cookiesOf(res);
    }

    // (proof) The query plan, read from the live database file.
    const ro = new Database(dbFile, { readonly: true, fileMustExist: true });
    const planOf = (sql: string) => (ro.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(board.id, knownDigests[0]!, now, 201) as { detail: string }[]).map((r) => r.detail);
    const digestPlan = planOf(digestQuery);
    const listPlan = listSql.length === 1 ? (ro.prepare(`EXPLAIN QUERY PLAN ${listSql[0]!}`).all(board.id, 'published', now, 31) as { detail: string }[]).map((r) => r.detail) : [];
    const rows = ro.prepare('SELECT (SELECT count(*) FROM "c_reviews") AS reviews, (SELECT count(*) FROM "c_review_digests") AS digests').get() as { reviews: number; digests: number };
    ro.close();
    const usesIndex = digestPlan.some((d) => /^SEARCH .*USING (COVERING )?INDEX /.test(d)) && !digestPlan.some((d) => /^SCAN /.test(d));

    // (a) The digest alone, in this process, with the server idle.
    const hashes: number[] = [];
    for (let i = 0; i < DIGEST_SAMPLES; i++) {
      hashes.push((await timed(() => identifierDigest(`phone:+1555020${String(1000 + i)}`, boardKey, digestParams)))[1]);
    }

    // (b) Screening look-ups, sequential, the known numbers typed every which way, spread over the members (30 an hour each).
    const lookups: number[] = [];
    for (let i = 0; i < LOOKUPS; i++) {
      const number = KNOWN[i % KNOWN.length]!;
      const value = FORMATS[i % FORMATS.length]!(number);
      const member = members[i % MEMBERS]!;
      const [res, ms] = await timed(() => post(`${server!.url}/api/v1/review-boards/${BOARD}/lookups`, { identifier: { type: 'phone', value } }, member.cookie));
      if (res.status !== 200) throw new Error(`look-up of "${value}" failed: ${res.status} ${await res.text()}`);
      const found = (await res.json()) as { warnings: number; vouches: number };
      if (found.warnings + found.vouches !== REPEATS) throw new Error(`look-up of "${value}" found ${found.warnings + found.vouches} reviews, not ${REPEATS}`);
      lookups.push(ms);
    }

    // (c) The list page (HTML, as a logged-in browser: session and CSRF cookies) and the same list through the API.
    const cookie = members[0]!.cookie;
    const first = await fetch(`${server.url}/reviews/${BOARD}`, { headers: { cookie }, redirect: 'manual' });
    const html = await first.text();
    // A full first page of reviews, with the link to older ones.
    if (first.status !== 200 || !html.includes('Late 30s, short grey beard') || !html.includes(`/reviews/${BOARD}?after=`)) {
      throw new Error(`list page: ${first.status}, not a page of reviews`);
    }
    const pageCookie = [cookie, cookiesOf(first)].filter(Boolean).join('; ');
    const api = await fetch(`${server.url}/api/v1/review-boards/${BOARD}/reviews`, { headers: { cookie } });
    const apiPage = (await api.json()) as { reviews: unknown[]; next: string | null };
    if (api.status !== 200 || apiPage.reviews.length !== 30 || !apiPage.next) throw new Error(`list API: ${api.status}, ${apiPage.reviews?.length} reviews`);

    const load = async (url: string, headers: Record<string, string>) => {
      const result = await autocannon({ url, connections: 20, duration: 10, headers });
      if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
        throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts under load`);
      }
      return result;
    };
    const pageLoad = await load(`${server.url}/reviews/${BOARD}`, { cookie: pageCookie });
    const apiLoad = await load(`${server.url}/api/v1/review-boards/${BOARD}/reviews`, { cookie });
    const loadRss = server.rssMb();

    process.stdout.write(`\nSeeded ${rows.reviews} reviews and ${rows.digests} digests (${digestCount} written), ${KNOWN.length} known numbers × ${REPEATS} reviews with real argon2id digests.\n`);
    process.stdout.write(`Digest params: ${digestParams.memoryKiB} KiB, ${digestParams.iterations} iterations. List page: ${(html.length / 1024).toFixed(0)} KiB of HTML.\n`);
    process.stdout.write(`\nDigest query (as the adapter prepares it):\n  ${digestQuery}\nEXPLAIN QUERY PLAN:\n${digestPlan.map((d) => `  ${d}`).join('\n')}\n`);
    process.stdout.write(`\nList query (as the adapter prepares it):\n  ${listSql.join('\n  ')}\nEXPLAIN QUERY PLAN:\n${listPlan.map((d) => `  ${d}`).join('\n')}\n`);

    const ok = report(`Reviews (SQLite, ${REVIEWS.toLocaleString('en')} reviews, ${os.cpus().length}-core machine)`, [
      { name: 'seed through the store', value: seedMs / 1000, unit: 's' },
      { name: `real digests of ${KNOWN.length} known numbers (parallel)`, value: knownDigestMs, unit: 'ms' },
      { name: 'argon2id digest alone (64 MiB, t=3), p50', value: percentile(hashes, 50), unit: 'ms' },
      { name: 'argon2id digest alone, p99', value: percentile(hashes, 99), unit: 'ms' },
      { name: `screening look-up (${LOOKUPS} sequential), p50`, value: percentile(lookups, 50), unit: 'ms' },
      { name: 'screening look-up, p99', value: percentile(lookups, 99), unit: 'ms', target: { value: 500, better: 'lower' } },
      { name: 'look-up beyond the digest (p50 - p50)', value: percentile(lookups, 50) - percentile(hashes, 50), unit: 'ms' },
      { name: 'look-up uses the digest index (1 = yes)', value: usesIndex ? 1 : 0, unit: '', target: { value: 1, better: 'higher' } },
      { name: 'GET /reviews/:board (HTML), 20 conns 10 s', value: pageLoad.requests.average, unit: 'req/s', target: { value: 300, better: 'higher' } },
      { name: 'list page latency p50', value: pageLoad.latency.p50, unit: 'ms' },
      { name: 'list page latency p99', value: pageLoad.latency.p99, unit: 'ms', target: { value: 200, better: 'lower' } },
      { name: 'GET /api/v1/…/reviews, 20 conns 10 s', value: apiLoad.requests.average, unit: 'req/s' },
      { name: 'list API latency p50', value: apiLoad.latency.p50, unit: 'ms' },
      { name: 'list API latency p99', value: apiLoad.latency.p99, unit: 'ms' },
      { name: 'server RSS after load', value: loadRss, unit: 'MB' },
    ]);
    process.stdout.write(`\n${ok ? 'All targets met.' : 'Some targets missed.'}\n`);
    if (!usesIndex) throw new Error('the screening look-up does not search an index: see the query plan above');
  } finally {
    if (server) await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
