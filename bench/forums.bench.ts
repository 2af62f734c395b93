import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import argon2 from 'argon2';
import autocannon from 'autocannon';
import { loadConfig } from '../server/config.js';
import { LONG_POSTS, seedForums, type SeedResult } from './forums-seed.js';
import { percentile, report, startServer, timed, type BenchInstance, type Figure } from './lib.js';
import { benchDatabaseKey, compareRuns } from './encryption-compare.js';
import { encryptDatabase } from '../server/backup/archive.js';

/**
 * The forum on SQLite at the size of a busy organisation: 20 boards, 10,000
 * threads, 200,000 posts. Measures the thread page (HTML, as a visitor) and
 * the thread API (bearer token) under 50 connections spread over many
 * threads (the API twice: from a cold start, and again once its answers are
 * made), the latency of a reply, the server's memory and CPU, and the bytes
 * a first visit to a thread page costs. Everything talks to 127.0.0.1 only.
 * Run: npm run bench:forums
 */
const BOARDS = 20;
const THREADS = 10_000;
const POSTS = 200_000;
const MEMBERS = 300;
const LONG_EVERY = 5;
const PASSPHRASE = 'a benchmark passphrase';
const CONNECTIONS = 50;
const LOAD_SECONDS = 20;
/** Replies are sequential; the posting limit is 10 a minute per member, so they are spread over POSTERS members. */
const REPLIES = 200;
const POSTERS = 40;
const PAGE_SIZE = 30;
/** What browsers (and fetch in Node) accept; compressing is part of what the server pays for every answer. */
const ACCEPT_ENCODING = 'gzip, br';
const BROWSER_HEADERS = { accept: 'text/html', 'accept-encoding': ACCEPT_ENCODING, 'accept-language': 'en' };

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** Logs in through the API and makes a personal API token, as a script or app would. */
async function bearerToken(url: string, handle: string): Promise<string> {
  const login = await post(`${url}/api/v1/sessions`, { handle, passphrase: PASSPHRASE });
  if (login.status !== 201) throw new Error(`log-in of ${handle} failed: ${login.status} ${await login.text()}`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const res = await post(`${url}/api/v1/tokens`, { name: 'bench' }, { cookie });
  if (res.status !== 201) throw new Error(`token for ${handle} failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** A raw GET that leaves the body compressed, so that its length is what travels over the wire. */
function wireBytes(url: string, headers: Record<string, string>): Promise<{ status: number; bytes: number; encoding: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, bytes: body.length, encoding: String(res.headers['content-encoding'] ?? 'identity'), body });
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function decompress(body: Buffer, encoding: string): Buffer {
  if (encoding === 'br') return zlib.brotliDecompressSync(body);
  if (encoding === 'gzip') return zlib.gunzipSync(body);
  return body;
}

/** The same-origin files a browser fetches for the page: linked stylesheets and icons, scripts, and the icon sprite that <use> points at. */
function subresources(html: string): string[] {
  const found = new Set<string>();
  for (const m of html.matchAll(/<link\b[^>]*>/g)) {
    const rel = /\brel="([^"]+)"/.exec(m[0])?.[1] ?? '';
    const href = /\bhref="([^"]+)"/.exec(m[0])?.[1];
    if (href && /\b(stylesheet|icon|manifest|preload|modulepreload)\b/.test(rel)) found.add(href);
  }
  for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)) found.add(m[1]!);
  for (const m of html.matchAll(/<use\b[^>]*\bhref="([^"#]+)#/g)) found.add(m[1]!);
  // Only files from this origin count: the page must load nothing from other hosts.
  return [...found].filter((href) => href.startsWith('/') && !href.startsWith('//'));
}

/**
 * Resident memory in MB from /proc: sampling with `ps` (as BenchInstance.rssMb does) would
 * block this process's event loop, which is also the load generator's, for a fork each time.
 */
function rssMb(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** CPU time of a process from /proc (process.cpuUsage only sees this process). */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Share of the whole machine's CPU left idle over `ms`: other processes on it skew every figure below. */
async function machineIdle(ms: number): Promise<number> {
  const read = () => {
    const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const n = fields.map(Number);
    return { idle: n[3]! + n[4]!, total: n.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = read();
  return ((b.idle - a.idle) / Math.max(1, b.total - a.total)) * 100;
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

interface LoadResult {
  readonly result: autocannon.Result;
  /** Idle share of the machine's CPU just before the run. */
  readonly idleBefore: number;
  /** Average server CPU over the run, in % of one core. */
  readonly cpu: number;
  readonly peakRss: number;
  /** CPU this process (the load generator) used, in % of one core: it shares the machine with the server. */
  readonly clientCpu: number;
}

/** Runs autocannon over many paths in turn while sampling the server's RSS and CPU. */
async function load(server: BenchInstance, paths: readonly string[], headers: Record<string, string>): Promise<LoadResult> {
  const pid = server.run.child.pid!;
  const idleBefore = await machineIdle(1000);
  let next = 0;
  let peakRss = rssMb(pid);
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMb(pid));
  }, 250);
  const ticks0 = cpuTicks(pid);
  const client0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  try {
    const result = await autocannon({
      url: server.url,
      connections: CONNECTIONS,
      duration: LOAD_SECONDS,
      headers,
      // Each request takes the next thread, so the load is spread over every thread in `paths`.
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length]! }) }],
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const client = process.cpuUsage(client0);
    return {
      result,
      idleBefore,
      cpu: ((cpuTicks(pid) - ticks0) / CLOCK_TICKS / seconds) * 100,
      peakRss: Math.max(peakRss, rssMb(pid)),
      clientCpu: ((client.user + client.system) / 1e6 / seconds) * 100,
    };
  } finally {
    clearInterval(sampler);
  }
}

const REPLY_BODIES = [
  'Thank you for posting this. I had **the same thing** happen last month and the peer group helped a lot.\n\n- write down the date and what was said\n- tell your buddy before the next booking\n\nTake care of yourself this week.',
  'Has anyone been to the _new clinic_ on the east side? They say testing is free and anonymous.\n\n> no name, no ID, results by text\n\nI would love to hear how it went before I book an appointment there.',
  'Quick update: the landlord backed off after the advocate called. See https://example.org/tenant-rights for the letter template we used.\n\n1. keep every message\n2. never pay cash without a receipt\n\nSolidarity, everyone.',
];

interface Seeded {
  readonly result: SeedResult;
  readonly ms: number;
  /** The plain seeded database, copied for each run so that both run on the same data. */
  readonly file: string;
}

/** One run of the whole benchmark, on a plain database or (with a key) an encrypted one. */
async function measure(seed: Seeded, databaseKey: string | null): Promise<{ figures: Figure[]; ok: boolean; failed: boolean }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-bench-forums-'));
  let server: BenchInstance | null = null;
  try {
    const seeded = seed.result;
    const seedMs = seed.ms;
    fs.copyFileSync(seed.file, path.join(dataDir, 'parasol.sqlite'));
    // The seeder writes a plain file; the encrypted run converts it as an admin would, with the CLI's code.
    const [, encryptMs] = await timed(async () => {
      if (databaseKey) encryptDatabase(path.join(dataDir, 'parasol.sqlite'), databaseKey);
    });
    const dbMb = fs.statSync(path.join(dataDir, 'parasol.sqlite')).size / 1e6;

    // BENCH_PROFILE=<dir> writes a V8 CPU profile of the server there when it stops (open it in Chrome's DevTools).
    const nodeArgs = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE)}`] : [];
    server = await startServer(databaseKey ? { DATABASE_KEY: databaseKey } : {}, { dataDir, nodeArgs });
    const startedAt = Date.now();
    // With BENCH_PROFILE, each run's start in seconds from the server's, to find it in the CPU profile.
    const mark = (phase: string) => {
      if (process.env.BENCH_PROFILE) process.stdout.write(`  [profile] ${phase} at t+${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`);
    };
    const url = server.url;
    const idleRss = server.rssMb();

    const readerToken = await bearerToken(url, seeded.members[0]!.handle);
    const posterTokens: string[] = [];
    for (let i = 1; i <= POSTERS; i++) posterTokens.push(await bearerToken(url, seeded.members[i]!.handle));

    // Every long thread, so that the load is spread over 2,000 threads rather than a hot few.
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
    const apiLoad = await load(server, apiPaths, apiHeaders);
    mark('thread page');
    const pageLoad = await load(server, pagePaths, BROWSER_HEADERS);
    mark('thread API again');
    // The API again with its answers already made (a forum's steady state): reported, the target is the first run's.
    const apiWarm = await load(server, apiPaths, apiHeaders);

    // Replies one at a time to 200 different threads; each member posts 5 of them, under the limit of 10 a minute.
    const replies: number[] = [];
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
    process.stdout.write(
      `\nLoad generator (autocannon, this process) CPU: ${pageLoad.clientCpu.toFixed(0)} % (page), ${apiLoad.clientCpu.toFixed(0)} % (API) of one core, ` +
        `on the same ${os.cpus().length}-core machine as the server.\n` +
        `Machine CPU idle in the second before each run: ${apiLoad.idleBefore.toFixed(0)} % (API), ${pageLoad.idleBefore.toFixed(0)} % (page); ` +
        `well under 100 % means other processes skew the figures.\n`,
    );
    process.stdout.write(`\n# NodeBB 4 reference (from the issue), for scale: topic page ~105 req/s (p99 957 ms), topic API ~364 req/s, ~19 ms per reply, ~300 MB idle, ~670 KB first visit.\n`);

    const failures = [pageLoad, apiLoad, apiWarm].map((l) => l.result.non2xx + l.result.errors + l.result.timeouts);
    const figures: Figure[] = [
      { name: 'seed 20 boards, 10k threads, 200k posts', value: seedMs / 1000, unit: 's' },
      ...(databaseKey ? [{ name: 'encrypt it (cli encrypt-database)', value: encryptMs / 1000, unit: 's' }] : []),
      { name: 'database file', value: dbMb, unit: 'MB' },
      { name: `GET /t/:id (HTML, visitor), ${CONNECTIONS} conns ${LOAD_SECONDS} s`, value: pageLoad.result.requests.average, unit: 'req/s', target: { value: 1500, better: 'higher' } },
      { name: 'thread page latency p50', value: pageLoad.result.latency.p50, unit: 'ms' },
      { name: 'thread page latency p99', value: pageLoad.result.latency.p99, unit: 'ms', target: { value: 100, better: 'lower' } },
      { name: 'thread page non-2xx, errors and timeouts', value: failures[0]!, unit: '', target: { value: 0, better: 'lower' } },
      { name: 'server CPU during thread page load', value: pageLoad.cpu, unit: '% core' },
      { name: `GET /api/v1/threads/:id (bearer), ${CONNECTIONS} conns ${LOAD_SECONDS} s`, value: apiLoad.result.requests.average, unit: 'req/s', target: { value: 3000, better: 'higher' } },
      { name: 'thread API latency p50', value: apiLoad.result.latency.p50, unit: 'ms' },
      { name: 'thread API latency p99', value: apiLoad.result.latency.p99, unit: 'ms', target: { value: 100, better: 'lower' } },
      { name: 'thread API non-2xx, errors and timeouts', value: failures[1]!, unit: '', target: { value: 0, better: 'lower' } },
      { name: 'server CPU during thread API load', value: apiLoad.cpu, unit: '% core' },
      { name: 'thread API again, answers already made', value: apiWarm.result.requests.average, unit: 'req/s' },
      { name: 'thread API again, latency p99', value: apiWarm.result.latency.p99, unit: 'ms' },
      { name: 'thread API again, non-2xx, errors and timeouts', value: failures[2]!, unit: '', target: { value: 0, better: 'lower' } },
      { name: `reply (POST, ${REPLIES} sequential), p50`, value: percentile(replies, 50), unit: 'ms', target: { value: 5, better: 'lower' } },
      { name: 'reply p99', value: percentile(replies, 99), unit: 'ms' },
      { name: 'server RSS idle (after seeding and start)', value: idleRss, unit: 'MB', target: { value: 150, better: 'lower' } },
      { name: 'server RSS peak, thread API load', value: apiLoad.peakRss, unit: 'MB' },
      { name: 'server RSS peak, thread page load (after API)', value: pageLoad.peakRss, unit: 'MB' },
      { name: 'server RSS under load (peak of all runs)', value: Math.max(pageLoad.peakRss, apiLoad.peakRss, apiWarm.peakRss), unit: 'MB', target: { value: 300, better: 'lower' } },
      { name: 'thread page first visit (compressed)', value: firstVisitKb, unit: 'KB', target: { value: 50, better: 'lower' } },
    ];
    const ok = report(`Forums (SQLite${databaseKey ? ' with DATABASE_KEY' : ''}, ${THREADS.toLocaleString('en')} threads, ${POSTS.toLocaleString('en')} posts, ${os.cpus().length}-core machine)`, figures);
    return { figures, ok, failed: failures.some((f) => f > 0) };
  } finally {
    if (server) await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const argon2Params = loadConfig({}).argon2;
  // The server's own parameters, so that logging in never triggers a rehash.
  const passHash = await argon2.hash(PASSPHRASE, { type: argon2.argon2id, memoryCost: argon2Params.memoryKiB, timeCost: argon2Params.iterations, parallelism: 1 });
  const seedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-bench-forums-seed-'));
  try {
    const file = path.join(seedDir, 'parasol.sqlite');
    const [result, ms] = await timed(() =>
      seedForums(file, { boards: BOARDS, threads: THREADS, posts: POSTS, members: MEMBERS, longEvery: LONG_EVERY, passHash, batch: 2_000 }),
    );
    process.stdout.write(
      `Seeded ${result.counts.boards} boards, ${result.counts.threads} threads, ${result.counts.posts} posts, ${result.counts.reactions} reactions, ` +
        `${result.counts.accounts} members in ${(ms / 1000).toFixed(1)} s (${(fs.statSync(file).size / 1e6).toFixed(0)} MB file); ${result.longThreadIds.length} threads of ${LONG_POSTS} posts.\n`,
    );
    const seed = { result, ms, file };
    const plain = await measure(seed, null);
    process.stdout.write('\nThe same with DATABASE_KEY set (encrypted database):\n');
    const encrypted = await measure(seed, benchDatabaseKey());
    compareRuns('Forums', plain.figures, encrypted.figures);
    process.stdout.write(`\n${plain.ok && encrypted.ok ? 'All targets met.' : 'Some targets missed.'}\n`);
    if (plain.failed || encrypted.failed) throw new Error('some requests failed under load: the throughput figures above are not valid');
  } finally {
    fs.rmSync(seedDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
