import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, PASS } from '../test/helpers/client.js';
import { freePort, repoRoot, runNode, type Running } from '../test/helpers/process.js';
import type { Counts, FromReceivers, SendKind, SendResult, ToReceivers } from './federation.receivers.js';
import { percentile, report, type Figure } from './lib.js';
import { cpuSeconds, loopDelayFigures, Probe, processTree, rssMb, type LoopDelay } from './processes.js';
import { dropSchema, newSchema } from './postgres.js';

/**
 * Federation of one public board: 2,000 followers on 50 remote servers
 * (simulated, in another process, each on its own 127.0.0.1 port with a
 * shared inbox), then new threads on the board.
 * - Inbound: every remote actor sends a signed Follow to the board's Group
 *   (first contact: the instance fetches each actor's key; Follows refused
 *   are sent again, as a remote server would, until 2,000 are listed), then,
 *   once a thread is out, a signed Like of it and a signed Create of a reply
 *   Note (keys cached; the reply becomes a post that the Group announces to
 *   all its followers). Each reported as activities/s answered 2xx, i.e.
 *   signature verified and activity stored.
 * - Outbound: the time from a thread's POST answer until all 50 servers
 *   hold the Group's Announce of it, the requests that took (one per shared
 *   inbox, not one per follower), and the server's CPU and RSS meanwhile:
 *   once with the delivery queue empty (the figure with the target), and
 *   once posted right after the Follows, behind the deliveries they queued;
 *   and how long the replies' Announces (one per reply to every server) take
 *   to go out once the inbox is quiet.
 * The instance runs compiled, as `npm start` does, but with NODE_ENV=test and
 * ALLOW_PRIVATE_NETWORK=true (the only way it may call loopback peers), and
 * the per-host inbox limit raised so that it is not what is measured.
 * Then the inbound part again on an instance of PARASOL_WORKERS=2, with each
 * process's event-loop delay and the senders' CPU, compared with one process.
 * Everything talks to 127.0.0.1 only.
 * Run: npm run bench:federation (BENCH_DATABASE_URL=postgres://…: on PostgreSQL, a schema of its own per run;
 * BENCH_QUICK=1: 10 servers of 10 actors, to check that it works, not figures to compare;
 * FEDERATION_BENCH_CONCURRENCY: inbound requests in flight, default 32;
 * FEDERATION_BENCH_KEYS_PER_SERVER: RSA keys per simulated server, default 1, at most 40;
 * BENCH_PROFILE=<dir>: a V8 CPU profile of the instance, with each phase's start printed as seconds from its start).
 * One process takes about a minute and a half on a 2-core machine, half of it waiting for the replies' deliveries.
 */
const QUICK = process.env.BENCH_QUICK === '1';
const SERVERS = QUICK ? 10 : 50;
const ACTORS_PER_SERVER = QUICK ? 10 : 40;
const FOLLOWERS = SERVERS * ACTORS_PER_SERVER;
const CONCURRENCY = Number(process.env.FEDERATION_BENCH_CONCURRENCY ?? 32);
const KEYS_PER_SERVER = Math.min(ACTORS_PER_SERVER, Math.max(1, Number(process.env.FEDERATION_BENCH_KEYS_PER_SERVER ?? 1)));
const BOARD = 'general';
const INBOX_LIMIT = 1_000_000;
/** The issue's targets. */
const DELIVERY_TARGET_S = 10;
const INBOUND_TARGET = 300;
/** Waits that end the benchmark rather than hang it. */
const FOLLOWERS_WAIT_MS = 10 * 60_000;
const DRAIN_WAIT_MS = 15 * 60_000;
const ARRIVAL_WAIT_MS = 120_000;
/** Rounds of sending refused Follows again. */
const FOLLOW_RETRIES = 5;
const DEADLINE_MS = 45 * 60_000;
/** Processes of the multi-process run, and its inbound throughput over one process's (the issue's target here). */
const WORKERS = 2;
const WORKERS_TARGET = 1.4;

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Samples the RSS of a process and the processes under it every `everyMs`, and their CPU over the whole window. */
function sampler(pid: number, everyMs = 100) {
  const pids = processTree(pid);
  const cpu0 = cpuSeconds(pids);
  const t0 = now();
  let peak = rssMb(pids);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pids));
  }, everyMs);
  return {
    stop(): { cpuSeconds: number; cpuPercent: number; peakRss: number; seconds: number } {
      clearInterval(timer);
      peak = Math.max(peak, rssMb(pids));
      const seconds = (now() - t0) / 1000;
      const used = cpuSeconds(pids) - cpu0;
      return { cpuSeconds: used, cpuPercent: (used / Math.max(seconds, 1e-3)) * 100, peakRss: peak, seconds };
    },
  };
}

/** When the instance was started: with BENCH_PROFILE, phases are marked in seconds from it, to find them in the CPU profile. */
let startedAt = 0;
const mark = (phase: string) => {
  if (process.env.BENCH_PROFILE) process.stdout.write(`  [profile] ${phase} at t+${((now() - startedAt) / 1000).toFixed(1)} s\n`);
};

interface Instance {
  readonly url: string;
  readonly run: Running;
  readonly setupToken: string;
}

let built = false;

/**
 * Starts the instance compiled, as bench/lib.ts startServer does, but on a PUBLIC_URL of its loopback port and with
 * federation's test switches; `workers` processes, each with the probe that reports its event-loop delay.
 */
async function startInstance(dataDir: string, workers: number, probe: Probe, env: Record<string, string>): Promise<Instance> {
  if (!built) execFileSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'inherit' });
  built = true;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const nodeArgs = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE)}`] : [];
  const run = runNode([...nodeArgs, ...probe.nodeArgs, '--max-old-space-size=256', path.join(repoRoot, 'dist', 'server', 'main.js')], {
    ...env,
    ...probe.env,
    PARASOL_WORKERS: String(workers),
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: url,
    DATA_DIR: dataDir,
    NODE_ENV: 'test',
    ALLOW_PRIVATE_NETWORK: 'true',
    LOG_LEVEL: 'warn',
    MALLOC_ARENA_MAX: '2',
    MALLOC_MMAP_THRESHOLD_: '1048576',
    FEDERATION_INBOX_PER_HOST_PER_MINUTE: String(INBOX_LIMIT),
  });
  startedAt = now();
  const [, setupToken] = await run.waitFor(/\/setup\/([A-Za-z0-9_-]+)/, 90_000);
  await probe.listening(workers);
  return { url, run, setupToken: setupToken! };
}

/** Retries `check` until it returns a value other than null, or throws after `ms`. */
async function until<T>(what: string, check: () => Promise<T | null>, ms: number, everyMs = 250): Promise<T> {
  const deadline = now() + ms;
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    if (now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function diff(after: Counts, before: Counts): Counts {
  const byType: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.byType)) if (v - (before.byType[k] ?? 0) > 0) byType[k] = v - (before.byType[k] ?? 0);
  return {
    gets: after.gets - before.gets,
    posts: after.posts - before.posts,
    sharedInboxPosts: after.sharedInboxPosts - before.sharedInboxPosts,
    personalInboxPosts: after.personalInboxPosts - before.personalInboxPosts,
    byType,
    perServer: after.perServer.map((n, i) => n - (before.perServer[i] ?? 0)),
  };
}

const rate = (r: SendResult) => r.ok / Math.max((r.endedAt - r.startedAt) / 1000, 1e-3);
const seconds = (r: SendResult) => ((r.endedAt - r.startedAt) / 1000).toFixed(1);
const reasons = (r: SendResult) =>
  Object.entries(r.refusals)
    .map(([k, v]) => `${v} × ${k}`)
    .join('; ');
const describe = (c: Counts) =>
  Object.entries(c.byType)
    .map(([k, v]) => `${k} ${v.toLocaleString('en')}`)
    .join(', ') || 'none';

type Usage = ReturnType<ReturnType<typeof sampler>['stop']>;

/** One inbound phase: what was sent and answered, the instance's CPU and memory, the senders' CPU, each process's event-loop delay. */
interface InboundRun {
  readonly result: SendResult;
  readonly usage: Usage;
  /** CPU of the process that simulates the remote servers and sends the activities, in % of one core. */
  readonly clientCpu: number;
  readonly loop: readonly LoopDelay[];
}

interface RunOptions {
  readonly workers: number;
  /** Outbound too (deliveries with and without a backlog, the replies' Announces); otherwise inbound only. */
  readonly full: boolean;
}

interface RunResult {
  readonly ok: boolean;
  readonly follows: InboundRun;
  readonly likes: InboundRun | null;
  readonly creates: InboundRun | null;
}

/** What an interrupted or overdue benchmark must stop: the run in progress. */
const running: { instance: Instance | null; receivers: ChildProcess | null; dataDir: string | null } = { instance: null, receivers: null, dataDir: null };

function killAll(signal: NodeJS.Signals): void {
  if (running.receivers && running.receivers.exitCode === null) running.receivers.kill('SIGKILL');
  if (running.instance && running.instance.run.child.exitCode === null) running.instance.run.child.kill(signal);
  if (running.dataDir) fs.rmSync(running.dataDir, { recursive: true, force: true });
}

async function run(options: RunOptions): Promise<RunResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-bench-federation-'));
  running.dataDir = dataDir;
  const probe = new Probe();
  const serverUrl = process.env.BENCH_DATABASE_URL;
  const schema = serverUrl ? await newSchema(serverUrl, `parasol_bench_${crypto.randomBytes(6).toString('hex')}`) : null;
  const engine = schema ? 'PostgreSQL' : 'SQLite';
  const processes = options.workers === 1 ? '1 process' : `${options.workers} workers`;
  let instance: Instance | null = null;
  let receivers: ChildProcess | null = null;

  try {
    instance = await startInstance(dataDir, options.workers, probe, schema ? { DATABASE_URL: schema.url } : {});
    running.instance = instance;
    const { url } = instance;
    const pid = instance.run.child.pid!;
    const group = `${url}/ap/b/${BOARD}`;

    // An admin through the setup link, a member who posts, through the JSON API as instances.ts does.
    const admin = new Client(url);
    const made = await admin.api('POST', `/setup/${instance.setupToken}`, { handle: 'bench_admin', passphrase: PASS });
    if (made.status !== 201) throw new Error(`setup failed: ${made.status} ${made.text}`);
    const member = new Client(url);
    const joined = await member.api('POST', '/accounts', { handle: 'bench_member', passphrase: PASS });
    if (joined.status !== 201) throw new Error(`sign-up failed: ${joined.status} ${joined.text}`);
    // The member's posts go out as their own Person (members are not federated until they choose to be).
    const discoverable = await member.api('PUT', '/federation/me', { discoverable: true });
    if (discoverable.status !== 200) throw new Error(`federation/me: ${discoverable.status} ${discoverable.text}`);
    const board = await fetch(group, { headers: { accept: 'application/activity+json' } });
    if (board.status !== 200) throw new Error(`the ${BOARD} board does not federate: ${board.status}`);
    const idleRss = rssMb(processTree(pid));

    const pending = async () => {
      const res = await admin.api('GET', '/federation/status');
      if (res.status !== 200) throw new Error(`status: ${res.status} ${res.text}`);
      return (res.json as { pendingDeliveries: number }).pendingDeliveries;
    };
    /** Waits until the delivery queue is empty (at most DRAIN_WAIT_MS), sampling the server meanwhile. */
    const drain = async (what: string, phase: string) => {
      const start = now();
      const load = sampler(pid, 500);
      let emptied = true;
      await until(what, async () => ((await pending()) === 0 ? true : null), DRAIN_WAIT_MS, 1000).catch(() => {
        emptied = false;
      });
      const usage = load.stop();
      mark(phase);
      return { emptied, seconds: (now() - start) / 1000, usage };
    };
    const followerCount = async () => {
      const res = await admin.api('GET', `/federation/boards/${BOARD}/followers`);
      if (res.status !== 200) throw new Error(`followers: ${res.status} ${res.text}`);
      return (res.json as { followers: string[] }).followers.length;
    };

    // ---- the simulated remote servers ----------------------------------------
    const self = path.join(path.dirname(fileURLToPath(import.meta.url)), 'federation.receivers.ts');
    const child = fork(self, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    receivers = child;
    running.receivers = child;
    const waiting = new Map<FromReceivers['type'], (m: FromReceivers) => void>();
    const arrivals = new Map<string, { server: number; at: number; objectId: string }[]>();
    let childFailure: Error | null = null;
    const failAll = (error: Error) => {
      childFailure = error;
      for (const resolve of waiting.values()) resolve({ type: 'failed', message: error.message });
      waiting.clear();
    };
    child.on('message', (m: FromReceivers) => {
      if (m.type === 'arrived') arrivals.get(m.title)?.push(m);
      else if (m.type === 'failed') failAll(new Error(`receivers: ${m.message}`));
      else {
        const resolve = waiting.get(m.type);
        waiting.delete(m.type);
        resolve?.(m);
      }
    });
    child.on('exit', (code) => {
      if (code !== 0) failAll(new Error(`the receivers process exited with ${code}`));
    });
    /** Sends a message and waits for the answer of type `type`. */
    const ask = async <K extends FromReceivers['type']>(message: ToReceivers, type: K): Promise<Extract<FromReceivers, { type: K }>> => {
      if (childFailure) throw childFailure;
      const answer = new Promise<FromReceivers>((resolve) => waiting.set(type, resolve));
      child.send(message);
      const m = await answer;
      if (m.type === 'failed') throw new Error(m.message);
      return m as Extract<FromReceivers, { type: K }>;
    };
    const counts = async (): Promise<Counts> => ask({ type: 'counts' }, 'counts');
    const sendAll = (kind: SendKind, extra: { object?: string; only?: string[] } = {}) => ask({ type: 'send', kind, group, concurrency: CONCURRENCY, ...extra }, 'sent');
    /** Sends every actor's activity of this kind, measuring the instance, the senders and each process's event loop. */
    const inboundPhase = async (kind: SendKind, object?: string): Promise<InboundRun> => {
      await probe.loopDelays();
      const load = sampler(pid);
      const client0 = cpuSeconds([child.pid!]);
      const result = await sendAll(kind, object ? { object } : {});
      const usage = load.stop();
      const clientCpu = ((cpuSeconds([child.pid!]) - client0) / Math.max(usage.seconds, 1e-3)) * 100;
      return { result, usage, clientCpu, loop: await probe.loopDelays() };
    };

    /** Posts a thread whose Announce the receivers watch for; `arrived` resolves when all servers have it (or the wait ends). */
    const postThread = async (title: string) => {
      arrivals.set(title, []);
      child.send({ type: 'watch', title } satisfies ToReceivers);
      await sleep(100);
      const start = now();
      const res = await member.api('POST', `/boards/${BOARD}/threads`, {
        title,
        body: 'Hello to every follower of this board. **Bold**, a [link](https://example.org) and a list:\n\n- one\n- two',
      });
      const answeredAt = now();
      if (res.status !== 201) throw new Error(`posting failed: ${res.status} ${res.text}`);
      const list = arrivals.get(title)!;
      const arrived = (ms: number) =>
        until(`the Announce of "${title}" at every server`, async () => (list.length >= SERVERS ? true : null), ms, 20).then(
          () => true,
          () => false,
        );
      const times = () => list.map((a) => (a.at - answeredAt) / 1000).sort((a, b) => a - b);
      return { postMs: answeredAt - start, answeredAt, arrived, times, list };
    };

    process.stdout.write(`Starting ${SERVERS} simulated servers with ${ACTORS_PER_SERVER} actors each (${KEYS_PER_SERVER} RSA key(s) per server)…\n`);
    const ready = await ask({ type: 'start', servers: SERVERS, actorsPerServer: ACTORS_PER_SERVER, keysPerServer: KEYS_PER_SERVER }, 'ready');
    process.stdout.write(`  ready (keys made in ${(ready.keygenMs / 1000).toFixed(1)} s), ports ${ready.urls[0]!.split(':').pop()}…${ready.urls.at(-1)!.split(':').pop()}\n`);

    // ---- inbound 1: 2,000 signed Follows (first contact: each key is fetched) ----
    process.stdout.write(`Inbound: ${FOLLOWERS} signed Follows to ${group}/inbox, ${CONCURRENCY} in flight…\n`);
    const beforeFollows = await counts();
    mark('follows start');
    const followPhase0 = await inboundPhase('Follow');
    const follows = followPhase0.result;
    mark('follows end');
    process.stdout.write(`  ${follows.ok}/${follows.attempted} answered 2xx in ${seconds(follows)} s${follows.ok < follows.attempted ? `; refused: ${reasons(follows)}` : ''}\n`);
    // A refused Follow is sent again, as a remote server would, until every actor follows.
    let refused = follows.failedActors;
    let resent = 0;
    for (let round = 1; round <= FOLLOW_RETRIES && refused.length > 0; round++) {
      resent += refused.length;
      const again = await sendAll('Follow', { only: refused });
      process.stdout.write(`  sent ${again.attempted} refused Follows again: ${again.ok} answered 2xx${again.ok < again.attempted ? `; refused: ${reasons(again)}` : ''}\n`);
      refused = again.failedActors;
    }
    // The Follow is stored when answered; the Group accepts it (Accept, and an Update of its followers) after the answer.
    const afterSends = now();
    let listed = 0;
    await until(
      `${FOLLOWERS} followers`,
      async () => {
        listed = await followerCount();
        return listed >= FOLLOWERS - refused.length ? true : null;
      },
      FOLLOWERS_WAIT_MS,
      1000,
    ).catch(() => undefined);
    const followersListedS = (now() - afterSends) / 1000;
    process.stdout.write(`  the board lists ${listed} followers, ${followersListedS.toFixed(1)} s after the last Follow was answered\n`);

    // ---- outbound 1: a thread posted right away, behind what the Follows queued ----
    const backlog = await pending();
    if (options.full) process.stdout.write(`Outbound, queue busy: a thread posted with ${backlog.toLocaleString('en')} deliveries (caused by the Follows) still queued…\n`);
    else process.stdout.write(`Waiting for the ${backlog.toLocaleString('en')} deliveries the Follows queued to go out…\n`);
    const busyPost = options.full ? await postThread(`Federation benchmark thread posted during the backlog ${Date.now()}`) : null;
    const { emptied: drained, seconds: drainS, usage: drainUsage } = await drain('the delivery queue to empty', 'queue drained');
    const busyArrived = busyPost ? await busyPost.arrived(drained ? 5000 : 0) : false;
    const busyTimes = busyPost?.times() ?? [];
    const followPhase = diff(await counts(), beforeFollows);
    process.stdout.write(
      `  ${drained ? 'queue empty' : 'queue NOT empty'} after ${drainS.toFixed(1)} s` +
        (busyPost ? `; that thread reached ${busyTimes.length}/${SERVERS} servers, the last ${(busyTimes.at(-1) ?? NaN).toFixed(1)} s after its POST was answered\n` : '\n') +
        `  the Follows made the servers receive ${followPhase.gets.toLocaleString('en')} actor fetches and ${followPhase.posts.toLocaleString('en')} POSTs (${describe(followPhase)})\n`,
    );

    // ---- outbound 2: a thread posted with the queue empty (the target) ----
    const beforePost = await counts();
    const pendingAtPost = await pending();
    const deliveryLoad = sampler(pid, 50);
    const quietPost = await postThread(`Federation benchmark thread ${Date.now()}`);
    const allArrived = await quietPost.arrived(ARRIVAL_WAIT_MS);
    const deliveryUsage = deliveryLoad.stop();
    const times = quietPost.times();
    const lastS = times.at(-1) ?? NaN;
    // Anything sent late, or twice, shows up in the counts a little later.
    await until('the delivery queue to empty', async () => ((await pending()) === 0 ? true : null), 30_000, 250).catch(() => undefined);
    await sleep(1000);
    const postPhase = diff(await counts(), beforePost);
    const serversReached = new Set(quietPost.list.map((a) => a.server)).size;
    const objectId = quietPost.list[0]?.objectId;
    process.stdout.write(
      `Outbound, queue empty: ${serversReached}/${SERVERS} servers got the Announce, the last ${lastS.toFixed(2)} s after the POST was answered; ` +
        `${postPhase.posts} POSTs in all (${describe(postPhase)}), ${postPhase.sharedInboxPosts} to shared inboxes\n`,
    );

    // ---- inbound 2 and 3: Likes of the thread, then replies to it (keys cached) ----
    const inbound = async (kind: 'Like' | 'Create', what: string) => {
      process.stdout.write(`Inbound: ${FOLLOWERS} signed ${what} to the Group's inbox, ${CONCURRENCY} in flight…\n`);
      mark(`${kind} start`);
      const phase = await inboundPhase(kind, objectId);
      mark(`${kind} end`);
      const { result } = phase;
      process.stdout.write(`  ${result.ok}/${result.attempted} answered 2xx in ${seconds(result)} s${result.ok < result.attempted ? `; refused: ${reasons(result)}` : ''}\n`);
      return phase;
    };
    const inboundFigures = (label: string, kind: string, phase: InboundRun | null): Figure[] =>
      phase
        ? [
            { name: `inbound ${label}, ${CONCURRENCY} in flight`, value: rate(phase.result), unit: 'act/s', target: { value: INBOUND_TARGET, better: 'higher' } },
            { name: `${kind} answer latency p50`, value: percentile(phase.result.latencies, 50), unit: 'ms' },
            { name: `${kind} answer latency p99`, value: percentile(phase.result.latencies, 99), unit: 'ms' },
            { name: `${kind}s refused or failed`, value: phase.result.attempted - phase.result.ok, unit: '', target: { value: 0, better: 'lower' } },
            { name: `server CPU while ${kind}s were sent`, value: phase.usage.cpuPercent, unit: '% core' },
            { name: `senders' CPU while ${kind}s were sent`, value: phase.clientCpu, unit: '% core' },
            ...loopDelayFigures(`${kind}s`, phase.loop),
            { name: `server RSS peak while ${kind}s were sent`, value: phase.usage.peakRss, unit: 'MB' },
          ]
        : [];
    const likes = objectId ? await inbound('Like', 'Likes of the thread') : null;
    const creates = objectId ? await inbound('Create', 'Creates of a reply Note to the thread') : null;
    const queuedByReplies = await pending();

    const followRun: InboundRun = followPhase0;
    if (!options.full) {
      const figures = [...inboundFigures('Follow (first contact)', 'Follow', followRun), ...inboundFigures('Like of the thread', 'Like', likes), ...inboundFigures('Create (reply Note)', 'Create', creates)];
      const ok = report(`Federation inbound (${FOLLOWERS.toLocaleString('en')} followers on ${SERVERS} servers, ${engine}, ${processes}, ${os.cpus().length}-core machine)${QUICK ? ' [BENCH_QUICK: not figures to compare]' : ''}`, figures);
      return { ok, follows: followRun, likes, creates };
    }

    // ---- outbound 2: what the replies queued (an Announce of each to every server), once the inbox is quiet ----
    process.stdout.write(`Outbound: the replies' Announces, ${queuedByReplies.toLocaleString('en')} deliveries still queued when the last reply was answered…\n`);
    const beforeReplies = await counts();
    const { emptied: repliesOut, seconds: repliesS, usage: repliesUsage } = await drain("the replies' Announces to go out", 'replies delivered');
    const repliesPosts = diff(await counts(), beforeReplies).posts;
    process.stdout.write(`  ${repliesOut ? 'queue empty' : 'queue NOT empty'} after ${repliesS.toFixed(1)} s: ${repliesPosts.toLocaleString('en')} POSTs\n`);
    const finalRss = rssMb(processTree(pid));

    process.stdout.write(
      `\nInbox limit per host set to ${INBOX_LIMIT.toLocaleString('en')}/min (FEDERATION_INBOX_PER_HOST_PER_MINUTE) so that the limiter is not what is measured.\n` +
        `The ${ACTORS_PER_SERVER} actors of a simulated server share ${KEYS_PER_SERVER === 1 ? 'one RSA key' : `${KEYS_PER_SERVER} RSA keys`} (each has its own keyId and actor document; the instance fetches and verifies each the same way).\n` +
        `The simulated servers and their senders run in one process on the same ${os.cpus().length}-core machine as the instance.\n` +
        `Inbound activities/s = requests answered 2xx (signature verified, activity stored) over the time from the first send to the last answer;\n` +
        `  Follows are the first contact (key fetched), Likes count as reactions, Creates become replies that the Group announces to its followers\n` +
        `  (${queuedByReplies.toLocaleString('en')} deliveries were still queued when the last reply was answered).\n` +
        `Deliveries still queued when the quiet thread was posted: ${pendingAtPost}.\n`,
    );
    const figures: Figure[] = [
      ...inboundFigures('Follow (first contact)', 'Follow', followRun),
      { name: 'Follows sent again after a refusal', value: resent, unit: '' },
      { name: 'key fetches (actor GETs) during follows', value: followPhase.gets, unit: '' },
      { name: `followers listed (${BOARD})`, value: listed, unit: '', target: { value: FOLLOWERS, better: 'higher' } },
      { name: 'POSTs the follows caused (Accept, Update…)', value: followPhase.posts, unit: '' },
      { name: 'time to empty the queue after the follows', value: drainS, unit: 's' },
      { name: 'server CPU while the queue emptied', value: drainUsage.cpuPercent, unit: '% core' },
      { name: 'server RSS peak while the queue emptied', value: drainUsage.peakRss, unit: 'MB' },
      { name: `Announce at all servers, posted behind ${Math.round(backlog / 1000)}k`, value: busyArrived ? (busyTimes.at(-1) ?? NaN) : Infinity, unit: 's' },
      { name: 'thread POST answered (queue empty)', value: quietPost.postMs, unit: 'ms' },
      { name: `Announce at all ${SERVERS} servers (queue empty)`, value: allArrived ? lastS : Infinity, unit: 's', target: { value: DELIVERY_TARGET_S, better: 'lower' } },
      { name: 'Announce at the first server', value: times[0] ?? NaN, unit: 's' },
      { name: 'Announce at half the servers', value: percentile(times, 50), unit: 's' },
      { name: 'servers reached', value: serversReached, unit: '', target: { value: SERVERS, better: 'higher' } },
      { name: 'POSTs the thread caused (all servers)', value: postPhase.posts, unit: '', target: { value: SERVERS, better: 'lower' } },
      { name: '  of which to shared inboxes', value: postPhase.sharedInboxPosts, unit: '' },
      { name: 'server CPU, POST until the last arrival', value: deliveryUsage.cpuPercent, unit: '% core' },
      { name: 'server CPU time, POST until the last arrival', value: deliveryUsage.cpuSeconds * 1000, unit: 'ms' },
      { name: 'server RSS peak during delivery', value: deliveryUsage.peakRss, unit: 'MB' },
      ...inboundFigures('Like of the thread', 'Like', likes),
      ...inboundFigures('Create (reply Note)', 'Create', creates),
      { name: "replies' deliveries queued at the last reply", value: queuedByReplies, unit: '' },
      { name: 'time to deliver them (inbox quiet)', value: repliesOut ? repliesS : Infinity, unit: 's' },
      { name: 'deliveries/s while they went out', value: repliesS > 0 ? repliesPosts / repliesS : 0, unit: '/s' },
      { name: 'server CPU while they went out', value: repliesUsage.cpuPercent, unit: '% core' },
      { name: 'server RSS peak while they went out', value: repliesUsage.peakRss, unit: 'MB' },
      { name: 'server RSS idle (before federation)', value: idleRss, unit: 'MB' },
      { name: 'server RSS at the end', value: finalRss, unit: 'MB' },
    ];
    const ok = report(`Federation (${FOLLOWERS.toLocaleString('en')} followers on ${SERVERS} servers, ${engine}, ${processes}, ${os.cpus().length}-core machine)${QUICK ? ' [BENCH_QUICK: not figures to compare]' : ''}`, figures);
    return { ok, follows: followRun, likes, creates };
  } finally {
    if (receivers && receivers.exitCode === null) {
      receivers.send({ type: 'stop' } satisfies ToReceivers);
      const exited = new Promise((resolve) => receivers!.once('exit', resolve));
      await Promise.race([exited, sleep(2000)]);
      if (receivers.exitCode === null) receivers.kill('SIGKILL');
    }
    if (instance) {
      instance.run.child.kill('SIGTERM');
      await Promise.race([instance.run.exited(), sleep(10_000)]);
      if (instance.run.child.exitCode === null) instance.run.child.kill('SIGKILL');
      const errors = instance.run.output().split('\n').filter((l) => /"level":(50|60)/.test(l));
      if (errors.length) process.stdout.write(`\nThe instance logged ${errors.length} error(s); the first: ${errors[0]!.slice(0, 400)}\n`);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    probe.remove();
    if (serverUrl && schema) await dropSchema(serverUrl, schema.schema);
    running.instance = null;
    running.receivers = null;
    running.dataDir = null;
  }
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    process.stderr.write('federation benchmark: deadline passed, stopping\n');
    killAll('SIGKILL');
    process.exit(2);
  }, DEADLINE_MS);
  deadline.unref();
  const interrupted = () => {
    killAll('SIGTERM');
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const single = await run({ workers: 1, full: true });
    process.stdout.write(`\nThe inbound activities again with PARASOL_WORKERS=${WORKERS}:\n`);
    const multi = await run({ workers: WORKERS, full: false });
    const ratio = (kind: string, one: InboundRun | null, several: InboundRun | null): Figure[] =>
      one && several ? [{ name: `inbound ${kind}/s, ${WORKERS} workers over one process`, value: rate(several.result) / Math.max(rate(one.result), 1e-9), unit: 'x', target: { value: WORKERS_TARGET, better: 'higher' } }] : [];
    const compared = report(`Federation inbound: PARASOL_WORKERS=${WORKERS} over one process, the senders on the same machine`, [
      ...ratio('Follow', single.follows, multi.follows),
      ...ratio('Like', single.likes, multi.likes),
      ...ratio('Create', single.creates, multi.creates),
    ]);
    process.stdout.write(`\n${single.ok && multi.ok && compared ? 'All targets met.' : 'Some targets missed.'}\n`);
  } finally {
    clearTimeout(deadline);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
