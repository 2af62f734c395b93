import fs from 'node:fs';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import argon2 from 'argon2';
import { loadConfig } from '../server/config.js';
import { seedForums, type SeedOptions, type SeedResult } from './forums-seed.js';
import { percentile, report, startServer, timed, type BenchInstance, type Figure } from './lib.js';
import { benchDatabaseKey, compareRuns } from './encryption-compare.js';
import { encryptDatabase } from '../server/backup/archive.js';
import { Probe, processTree, rssMb } from './processes.js';
import { ACCEPT_ENCODING, BROWSER_HEADERS, bareServer, bearerToken, CONNECTIONS, decompress, delayFigures, LOAD_SECONDS, load, post, QUICK, subresources, warmUp, wireBytes, type LoadResult } from './forums-load.js';
import { dropSchema, newSchema, schemaSizeMb } from './postgres.js';

/**
 * The forum at the size of a busy organisation: 20 boards, 10,000 threads,
 * 200,000 posts. Measures the thread page (HTML, as a visitor) and the thread
 * API (bearer token) under 50 connections spread over many threads (the API
 * twice: from a cold start, and again once its answers are made), the thread
 * page again once every page is kept (beside bare Node's http server sending a
 * kept page's compressed bytes, in the same run), the latency of a reply, the
 * server's memory and CPU, each server process's event-loop delay, the load
 * generator's CPU, and the bytes a first visit to a thread page costs.
 * Then the same loads with PARASOL_WORKERS=2, compared with the single process;
 * on SQLite also everything again with DATABASE_KEY set.
 * Everything talks to 127.0.0.1 only: the load generator (bench/http-load.ts)
 * runs in this process, on the same cores as the server. It counts the bytes
 * of each body without decoding them: a client that turns each compressed
 * (binary) page into a string spent more CPU per request than the server
 * did, so the benchmark measured its own client, and bare Node's plain-text
 * body cost it far less than the page's, which made the yardstick unfair.
 * Run: npm run bench:forums
 *   BENCH_DATABASE_URL=postgres://… runs it on PostgreSQL (a schema of its own per run, dropped after);
 *   BENCH_QUICK=1 checks that it works in a minute or two (a tenth of the data, 3 s loads: not figures to compare);
 *   BENCH_SECONDS=<n> sets the length of each load; BENCH_PROFILE=<dir> writes the server's V8 CPU profiles there.
 */
const BOARDS = 20;
const THREADS = QUICK ? 1_000 : 10_000;
const POSTS = QUICK ? 20_000 : 200_000;
const MEMBERS = 300;
const LONG_EVERY = 5;
const PASSPHRASE = 'a benchmark passphrase';
/** Replies are sequential; the posting limit is 10 a minute per member, so they are spread over POSTERS members. */
const REPLIES = QUICK ? 40 : 200;
const POSTERS = 40;
const PAGE_SIZE = 30;
/** Processes of the multi-process run. */
const WORKERS = 2;
/** Its throughput over the single process's, where the load generator shares the machine's two cores (the issue's). */
const WORKERS_TARGET = 1.4;
/** Bare Node's http server answering a body of a kept thread page's size, over the kept page per process: at most 3. */
const BARE_TARGET = 3;
const SCALE = `${BOARDS} boards, ${THREADS.toLocaleString('en')} threads, ${POSTS.toLocaleString('en')} posts`;

const REPLY_BODIES = [
  'Thank you for posting this. I had **the same thing** happen last month and the peer group helped a lot.\n\n- write down the date and what was said\n- tell your buddy before the next booking\n\nTake care of yourself this week.',
  'Has anyone been to the _new clinic_ on the east side? They say testing is free and anonymous.\n\n> no name, no ID, results by text\n\nI would love to hear how it went before I book an appointment there.',
  'Quick update: the landlord backed off after the advocate called. See https://example.org/tenant-rights for the letter template we used.\n\n1. keep every message\n2. never pay cash without a receipt\n\nSolidarity, everyone.',
];

/** A seeded database ready for one server: its environment, its seed, and figures of getting it ready. */
interface Prepared {
  readonly env: Record<string, string>;
  readonly seed: SeedResult;
  readonly figures: Figure[];
  drop(): Promise<void>;
}

interface Engine {
  /** For titles: SQLite, SQLite with DATABASE_KEY, PostgreSQL. */
  readonly name: string;
  prepare(dataDir: string): Promise<Prepared>;
}

interface SeededFile {
  readonly result: SeedResult;
  readonly ms: number;
  readonly file: string;
}

/** SQLite from a file seeded once: each run gets its own copy, so every run starts from the same data. */
function sqlite(seeded: SeededFile, databaseKey: string | null): Engine {
  return {
    name: databaseKey ? 'SQLite with DATABASE_KEY' : 'SQLite',
    async prepare(dataDir) {
      const file = path.join(dataDir, 'parasol.sqlite');
      fs.copyFileSync(seeded.file, file);
      // The seeder writes a plain file; the encrypted run converts it as an admin would, with the CLI's code.
      const [, encryptMs] = await timed(async () => {
        if (databaseKey) encryptDatabase(file, databaseKey);
      });
      return {
        env: databaseKey ? { DATABASE_KEY: databaseKey } : ({} as Record<string, string>),
        seed: seeded.result,
        figures: [
          { name: `seed ${SCALE}`, value: seeded.ms / 1000, unit: 's' },
          ...(databaseKey ? [{ name: 'encrypt it (cli encrypt-database)', value: encryptMs / 1000, unit: 's' }] : []),
          { name: 'database file', value: fs.statSync(file).size / 1e6, unit: 'MB' },
        ],
        drop: async () => undefined,
      };
    },
  };
}

/** PostgreSQL: each run seeds a schema of its own on the BENCH_DATABASE_URL server and drops it after. */
function postgres(serverUrl: string, seedOptions: SeedOptions): Engine {
  return {
    name: 'PostgreSQL',
    async prepare() {
      const { schema, url } = await newSchema(serverUrl, `parasol_bench_${crypto.randomBytes(6).toString('hex')}`);
      const [seed, ms] = await timed(() => seedForums(url, seedOptions));
      return {
        env: { DATABASE_URL: url },
        seed,
        figures: [
          { name: `seed ${SCALE}`, value: ms / 1000, unit: 's' },
          { name: 'database tables and indexes', value: await schemaSizeMb(serverUrl, schema), unit: 'MB' },
        ],
        drop: () => dropSchema(serverUrl, schema),
      };
    },
  };
}

interface Run {
  readonly figures: Figure[];
  readonly ok: boolean;
  readonly failed: boolean;
  readonly page: LoadResult;
  readonly api: LoadResult;
  readonly apiWarm: LoadResult;
  readonly warmPage: LoadResult;
  /** Bare Node's rate for a body of the kept page's size, when this run measured it. */
  readonly bareRate: number | null;
}

interface RunOptions {
  readonly workers: number;
  /** Everything (first visit, replies, memory targets); otherwise the loads only. */
  readonly full: boolean;
  /** Bare Node's rate from an earlier run; measured in this one when absent. */
  readonly bareRate?: number | null;
}

const rate = (l: LoadResult) => l.result.requests.average;
const failures = (l: LoadResult) => l.result.non2xx + l.result.errors + l.result.timeouts;
/** What failed, so that a failed run says whether the server refused, broke connections or fell behind. */
function failureDetail(l: LoadResult): string {
  const codes = Object.entries(l.result.statusCodes)
    .filter(([code]) => Number(code) < 200 || Number(code) >= 300)
    .map(([code, n]) => `${n} × ${code}`);
  return `${l.result.non2xx} non-2xx${codes.length > 0 ? ` (${codes.join(', ')})` : ''}, ${l.result.errors} connection errors, ${l.result.timeouts} timeouts`;
}
/** The load generator's CPU for each answer, in µs. */
const clientCost = (l: LoadResult) => `${((l.clientCpu * 1e4) / Math.max(rate(l), 1e-9)).toFixed(0)} µs a request`;

/** One run of the benchmark on a freshly prepared database. */
async function measure(engine: Engine, options: RunOptions): Promise<Run> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-bench-forums-'));
  const probe = new Probe();
  let server: BenchInstance | null = null;
  let prepared: Prepared | null = null;
  try {
    prepared = await engine.prepare(dataDir);
    const seeded = prepared.seed;
    // BENCH_PROFILE=<dir> writes a V8 CPU profile of each server process there when it stops (open it in Chrome's DevTools).
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE)}`] : [];
    server = await startServer({ ...prepared.env, ...probe.env, PARASOL_WORKERS: String(options.workers) }, { dataDir, nodeArgs: [...profile, ...probe.nodeArgs] });
    await probe.listening(options.workers);
    const startedAt = Date.now();
    // With BENCH_PROFILE, each run's start in seconds from the server's, to find it in the CPU profile.
    const mark = (phase: string) => {
      if (process.env.BENCH_PROFILE) process.stdout.write(`  [profile] ${phase} at t+${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`);
    };
    const target = { url: server.url, pid: server.run.child.pid!, probe };
    const url = server.url;
    const idleRss = rssMb(processTree(target.pid));

    const readerToken = await bearerToken(url, seeded.members[0]!.handle, PASSPHRASE);

    // Every long thread, so that the load is spread over many threads rather than a hot few.
    const threadIds = seeded.longThreadIds;
    const sample = threadIds[0]!;
    const page = await fetch(`${url}/t/${sample}`);
    const pageHtml = await page.text();
    const shownPosts = pageHtml.match(/<li id="p-/g)?.length ?? 0;
    if (page.status !== 200 || shownPosts !== PAGE_SIZE) throw new Error(`thread page: ${page.status}, ${shownPosts} posts instead of ${PAGE_SIZE}`);
    const api = await fetch(`${url}/api/v1/threads/${sample}`, { headers: { authorization: `Bearer ${readerToken}` } });
    const apiView = (await api.json()) as { posts: unknown[]; next: string | null };
    if (api.status !== 200 || apiView.posts.length !== PAGE_SIZE || !apiView.next) throw new Error(`thread API: ${api.status}, ${apiView.posts?.length} posts`);

    // First visit of another thread: the page and every file it makes the browser fetch, as they travel (compressed).
    const visit = `${url}/t/${threadIds[1]!}`;
    const htmlWire = await wireBytes(visit, BROWSER_HEADERS);
    if (htmlWire.status !== 200) throw new Error(`first visit: ${htmlWire.status}`);
    const firstVisitHtml = decompress(htmlWire.body, htmlWire.encoding).toString('utf8');
    const assets = subresources(firstVisitHtml);
    const assetWire = await Promise.all(assets.map(async (a) => ({ path: a, ...(await wireBytes(`${url}${a}`, { ...BROWSER_HEADERS, accept: '*/*' })) })));
    for (const a of assetWire) if (a.status !== 200) throw new Error(`${a.path}: ${a.status}`);
    const firstVisitKb = (htmlWire.bytes + assetWire.reduce((sum, a) => sum + a.bytes, 0)) / 1024;

    const pagePaths = threadIds.map((id) => `/t/${id}`);
    const apiPaths = threadIds.map((id) => `/api/v1/threads/${id}`);
    // The API first: resident memory only grows, so the second run's peak includes the first's.
    const apiHeaders = { authorization: `Bearer ${readerToken}`, accept: 'application/json', 'accept-encoding': ACCEPT_ENCODING };
    mark('thread API');
    const apiLoad = await load(target, apiPaths, apiHeaders);
    mark('thread page');
    const pageLoad = await load(target, pagePaths, BROWSER_HEADERS);
    // Every page kept (in every process) before this one: the cost of sending what is already made.
    mark('thread page, kept');
    await warmUp(url, pagePaths, BROWSER_HEADERS, options.workers);
    // A kept page's bytes as they travel, for bare Node to send: the yardstick then costs the load generator the same.
    const kept = await wireBytes(`${url}${pagePaths[0]!}`, BROWSER_HEADERS);
    if (kept.status !== 200) throw new Error(`kept page: ${kept.status}`);
    const warmPage = await load(target, pagePaths, BROWSER_HEADERS);
    mark('thread API again');
    // The API again with its answers already made (a forum's steady state): reported, the target is the first run's.
    const apiWarm = await load(target, apiPaths, apiHeaders);

    let bareRate = options.bareRate ?? null;
    let bare: LoadResult | null = null;
    if (bareRate === null) {
      bare = await bareServer(kept.body, kept.encoding, (t) => load(t, pagePaths, BROWSER_HEADERS));
      bareRate = rate(bare);
    }

    const replies: number[] = [];
    if (options.full) {
      const posterTokens: string[] = [];
      for (let i = 1; i <= POSTERS; i++) posterTokens.push(await bearerToken(url, seeded.members[i]!.handle, PASSPHRASE));
      // Replies one at a time to different threads; each member posts 5 of them, under the limit of 10 a minute.
      for (let i = 0; i < REPLIES; i++) {
        const threadId = threadIds[(i * 7) % threadIds.length]!;
        const token = posterTokens[i % POSTERS]!;
        const body = `${REPLY_BODIES[i % REPLY_BODIES.length]!}\n\nReply number ${i}.`;
        const [res, ms] = await timed(() => post(`${url}/api/v1/threads/${threadId}/posts`, { body }, { authorization: `Bearer ${token}` }));
        if (res.status !== 201) throw new Error(`reply ${i} failed: ${res.status} ${await res.text()}`);
        replies.push(ms);
      }

      process.stdout.write(`\nFirst visit of a thread page (${PAGE_SIZE} posts), bytes on the wire with accept-encoding: ${ACCEPT_ENCODING}:\n`);
      process.stdout.write(`  ${'HTML'.padEnd(36)} ${(htmlWire.bytes / 1024).toFixed(1).padStart(6)} KB (${htmlWire.encoding}, ${(Buffer.byteLength(firstVisitHtml) / 1024).toFixed(1)} KB uncompressed)\n`);
      for (const a of assetWire) process.stdout.write(`  ${a.path.padEnd(36)} ${(a.bytes / 1024).toFixed(1).padStart(6)} KB (${a.encoding})\n`);
      process.stdout.write(`\n# NodeBB 4 reference (from the issue), for scale: topic page ~105 req/s (p99 957 ms), topic API ~364 req/s, ~19 ms per reply, ~300 MB idle, ~670 KB first visit.\n`);
    }
    process.stdout.write(
      `\nLoad generator (bench/http-load.ts, this process) CPU: ${pageLoad.clientCpu.toFixed(0)} % (page), ${warmPage.clientCpu.toFixed(0)} % (kept page), ` +
        `${apiLoad.clientCpu.toFixed(0)} % (API) of one core${bare ? `, ${bare.clientCpu.toFixed(0)} % (bare Node)` : ''}, on the same ${os.cpus().length}-core machine as the server; ` +
        `${clientCost(warmPage)} of the kept page${bare ? `, ${clientCost(bare)} of bare Node` : ''}.\n` +
        `Machine CPU idle in the second before each run: ${apiLoad.idleBefore.toFixed(0)} % (API), ${pageLoad.idleBefore.toFixed(0)} % (page), ${warmPage.idleBefore.toFixed(0)} % (kept page); ` +
        `well under 100 % means other processes skew the figures.\n`,
    );

    const loads = { page: pageLoad, api: apiLoad, apiWarm, warmPage };
    const failed = Object.values(loads).some((l) => failures(l) > 0);
    for (const [name, l] of Object.entries({ 'thread page': pageLoad, 'thread API': apiLoad, 'thread API again': apiWarm, 'kept thread page': warmPage })) {
      if (failures(l) > 0) process.stdout.write(`${name}: ${failureDetail(l)}\n`);
    }
    const perProcess = rate(warmPage) / options.workers;
    const processes = options.workers === 1 ? '1 process' : `${options.workers} workers`;
    const figures: Figure[] = [
      ...prepared.figures,
      { name: `GET /t/:id (HTML, visitor), ${CONNECTIONS} conns ${LOAD_SECONDS} s`, value: rate(pageLoad), unit: 'req/s', target: { value: 1500, better: 'higher' } },
      { name: 'thread page latency p50', value: pageLoad.result.latency.p50, unit: 'ms' },
      { name: 'thread page latency p99', value: pageLoad.result.latency.p99, unit: 'ms', target: { value: 100, better: 'lower' } },
      { name: 'thread page non-2xx, errors and timeouts', value: failures(pageLoad), unit: '', target: { value: 0, better: 'lower' } },
      { name: 'server CPU during thread page load', value: pageLoad.cpu, unit: '% core' },
      { name: 'load generator CPU during thread page load', value: pageLoad.clientCpu, unit: '% core' },
      ...delayFigures('thread page', pageLoad),
      { name: 'thread page, every page kept', value: rate(warmPage), unit: 'req/s' },
      { name: 'kept thread page latency p99', value: warmPage.result.latency.p99, unit: 'ms' },
      { name: 'kept thread page non-2xx, errors and timeouts', value: failures(warmPage), unit: '', target: { value: 0, better: 'lower' } },
      { name: 'server CPU during kept thread page load', value: warmPage.cpu, unit: '% core' },
      { name: 'load generator CPU during kept page load', value: warmPage.clientCpu, unit: '% core' },
      ...delayFigures('kept page', warmPage),
      ...(bare ? [{ name: `bare Node http, a kept page's ${(kept.bytes / 1024).toFixed(1)} KB ${kept.encoding}`, value: rate(bare), unit: 'req/s' }] : []),
      ...(bare ? [{ name: 'bare Node CPU', value: bare.cpu, unit: '% core' }] : []),
      ...(bareRate
        ? [{ name: `bare Node over kept page per process (${processes})`, value: bareRate / Math.max(perProcess, 1e-9), unit: 'x', ...(options.workers === 1 ? { target: { value: BARE_TARGET, better: 'lower' as const } } : {}) }]
        : []),
      { name: `GET /api/v1/threads/:id (bearer), ${CONNECTIONS} conns ${LOAD_SECONDS} s`, value: rate(apiLoad), unit: 'req/s', target: { value: 3000, better: 'higher' } },
      { name: 'thread API latency p50', value: apiLoad.result.latency.p50, unit: 'ms' },
      { name: 'thread API latency p99', value: apiLoad.result.latency.p99, unit: 'ms', target: { value: 100, better: 'lower' } },
      { name: 'thread API non-2xx, errors and timeouts', value: failures(apiLoad), unit: '', target: { value: 0, better: 'lower' } },
      { name: 'server CPU during thread API load', value: apiLoad.cpu, unit: '% core' },
      { name: 'load generator CPU during thread API load', value: apiLoad.clientCpu, unit: '% core' },
      ...delayFigures('thread API', apiLoad),
      { name: 'thread API again, answers already made', value: rate(apiWarm), unit: 'req/s' },
      { name: 'thread API again, latency p99', value: apiWarm.result.latency.p99, unit: 'ms' },
      { name: 'thread API again, non-2xx, errors and timeouts', value: failures(apiWarm), unit: '', target: { value: 0, better: 'lower' } },
      ...(options.full
        ? [
            { name: `reply (POST, ${REPLIES} sequential), p50`, value: percentile(replies, 50), unit: 'ms', target: { value: 5, better: 'lower' as const } },
            { name: 'reply p99', value: percentile(replies, 99), unit: 'ms' },
          ]
        : []),
      { name: `server RSS idle (${processes}, after start)`, value: idleRss, unit: 'MB', ...(options.workers === 1 ? { target: { value: 150, better: 'lower' as const } } : {}) },
      { name: 'server RSS peak, thread API load', value: apiLoad.peakRss, unit: 'MB' },
      { name: 'server RSS peak, thread page load (after API)', value: pageLoad.peakRss, unit: 'MB' },
      {
        name: 'server RSS under load (peak of all runs)',
        value: Math.max(...Object.values(loads).map((l) => l.peakRss)),
        unit: 'MB',
        ...(options.workers === 1 ? { target: { value: 300, better: 'lower' as const } } : {}),
      },
      ...(options.full ? [{ name: 'thread page first visit (compressed)', value: firstVisitKb, unit: 'KB', target: { value: 50, better: 'lower' as const } }] : []),
    ];
    const ok = report(`Forums (${engine.name}, ${processes}, ${SCALE}, ${os.cpus().length}-core machine)${QUICK ? ' [BENCH_QUICK: not figures to compare]' : ''}`, figures);
    return { figures, ok, failed, ...loads, bareRate };
  } finally {
    if (server) await server.stop();
    await prepared?.drop();
    probe.remove();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The multi-process run beside the single one: throughput ratios, with the issue's target for this machine. */
function compareWorkers(engine: Engine, single: Run, multi: Run): boolean {
  const ratio = (name: string, a: LoadResult, b: LoadResult, target: boolean): Figure => ({
    name,
    value: rate(b) / Math.max(rate(a), 1e-9),
    unit: 'x',
    ...(target ? { target: { value: WORKERS_TARGET, better: 'higher' as const } } : {}),
  });
  return report(`Forums (${engine.name}): PARASOL_WORKERS=${WORKERS} over one process, the load generator on the same machine`, [
    ratio('thread page throughput', single.page, multi.page, true),
    ratio('thread API throughput', single.api, multi.api, true),
    ratio('kept thread page throughput', single.warmPage, multi.warmPage, false),
    ratio('thread API again (answers made) throughput', single.apiWarm, multi.apiWarm, false),
  ]);
}

async function main(): Promise<void> {
  const argon2Params = loadConfig({}).argon2;
  // The server's own parameters, so that logging in never triggers a rehash.
  const passHash = await argon2.hash(PASSPHRASE, { type: argon2.argon2id, memoryCost: argon2Params.memoryKiB, timeCost: argon2Params.iterations, parallelism: 1 });
  const seedOptions: SeedOptions = { boards: BOARDS, threads: THREADS, posts: POSTS, members: MEMBERS, longEvery: LONG_EVERY, passHash, batch: 2_000 };
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  const runs: Run[] = [];
  let comparisons: boolean;
  if (databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error('BENCH_DATABASE_URL must be a postgres:// URL');
    const engine = postgres(databaseUrl, seedOptions);
    const single = await measure(engine, { workers: 1, full: true });
    const multi = await measure(engine, { workers: WORKERS, full: false, bareRate: single.bareRate });
    runs.push(single, multi);
    comparisons = compareWorkers(engine, single, multi);
  } else {
    const seedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-bench-forums-seed-'));
    try {
      const file = path.join(seedDir, 'parasol.sqlite');
      const [result, ms] = await timed(() => seedForums(`sqlite:${file}`, seedOptions));
      process.stdout.write(
        `Seeded ${result.counts.boards} boards, ${result.counts.threads} threads, ${result.counts.posts} posts, ${result.counts.reactions} reactions, ` +
          `${result.counts.accounts} members in ${(ms / 1000).toFixed(1)} s (${(fs.statSync(file).size / 1e6).toFixed(0)} MB file); ${result.longThreadIds.length} long threads.\n`,
      );
      const seeded = { result, ms, file };
      const plain = sqlite(seeded, null);
      const single = await measure(plain, { workers: 1, full: true });
      process.stdout.write(`\nThe same loads with PARASOL_WORKERS=${WORKERS}:\n`);
      const multi = await measure(plain, { workers: WORKERS, full: false, bareRate: single.bareRate });
      comparisons = compareWorkers(plain, single, multi);
      process.stdout.write('\nThe same with DATABASE_KEY set (encrypted database):\n');
      const encrypted = await measure(sqlite(seeded, benchDatabaseKey()), { workers: 1, full: true, bareRate: single.bareRate });
      compareRuns('Forums', single.figures, encrypted.figures);
      runs.push(single, multi, encrypted);
    } finally {
      fs.rmSync(seedDir, { recursive: true, force: true });
    }
  }
  process.stdout.write(`\n${runs.every((r) => r.ok) && comparisons ? 'All targets met.' : 'Some targets missed.'}\n`);
  if (runs.some((r) => r.failed)) throw new Error('some requests failed under load: the throughput figures above are not valid');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
