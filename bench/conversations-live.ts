import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import argon2 from 'argon2';
import { io as connectClient, type Socket } from 'socket.io-client';
import { openStore } from '../server/store/open-store.js';
import { accountsCollection, accountsCollections, type AccountDoc } from '../server/accounts/accounts.collections.js';
import { SessionsService } from '../server/accounts/sessions.service.js';
import { conversationsCollection, conversationsCollections, participantsCollection } from '../server/conversations/conversations.collections.js';
import { ConversationAccess } from '../server/conversations/access.js';
import { MemberKey } from '../server/core/member-key.js';
import { newId, randomToken } from '../server/crypto.js';
import { report, startServer, type BenchInstance, type Figure } from './lib.js';

/**
 * Live delivery in private conversations: CONVERSATIONS one-to-one conversations at once, both members of each
 * sending every EVERY_MS over the `/conversations` namespace. The server runs in its own process (as `npm start`),
 * the socket.io clients in one worker process of this script; every client checks what it receives, so the
 * benchmark reports lost and duplicated deliveries as well as the latency from send to receipt by the other member.
 * Run: ROOMS_BENCH_PART=conversations npm run bench:rooms (ROOMS_BENCH_SECONDS to vary it).
 * A 10 s run on the shared 2-core test machine (load average 12): 100 msg/s, p50 9 ms, p99 166 ms, none lost,
 * duplicated or refused; under a load average of 26 the server could not keep up (p99 in seconds).
 */
const CONVERSATIONS = 500;
/** Each member sends every 10 s, as in the rooms' 50-member rooms: 100 messages a second over the 500 conversations. */
const EVERY_MS = 10_000;
const DRAIN_MS = 3000;
const P99_TARGET_MS = 150;
const BUCKETS = 100_000;

interface Plan {
  readonly idx: number;
  readonly token: string;
  readonly conversationId: string;
}

type ToClient = { type: 'plan'; url: string; plans: Plan[] } | { type: 'start'; at: number; seconds: number } | { type: 'report' };
interface ClientReport {
  readonly type: 'report';
  readonly hist: [number, number][];
  readonly receipts: [string, number][];
  readonly acked: string[];
  readonly duplicates: number;
  readonly sendErrors: Record<string, number>;
}
type FromClient = { type: 'ready' } | { type: 'failed'; message: string } | ClientReport;

const now = () => performance.timeOrigin + performance.now();

async function clients(): Promise<void> {
  const send = (message: FromClient) => process.send!(message);
  const hist = new Uint32Array(BUCKETS + 1);
  const receipts = new Map<string, number>();
  const seen = new Set<string>();
  const acked: string[] = [];
  const sendErrors: Record<string, number> = {};
  let duplicates = 0;
  const sockets: Socket[] = [];
  const timers: NodeJS.Timeout[] = [];

  async function connect(url: string, plan: Plan): Promise<Socket> {
    const socket = connectClient(`${url}/conversations`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie: `psl_session=${plan.token}` } });
    sockets.push(socket);
    socket.on('message', (m: { conversationId: string; cursor: string; body: string }) => {
      const arrived = now();
      const key = `${m.conversationId}:${m.cursor}`;
      if (seen.has(`${plan.idx}|${key}`)) {
        duplicates += 1;
        return;
      }
      seen.add(`${plan.idx}|${key}`);
      receipts.set(key, (receipts.get(key) ?? 0) + 1);
      const stamp = /^b (\d+(?:\.\d+)?) (\d+) /.exec(m.body);
      if (stamp && Number(stamp[2]) !== plan.idx) hist[Math.min(BUCKETS, Math.max(0, Math.round((arrived - Number(stamp[1])) * 10)))]! += 1;
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const answer = (await socket.timeout(30_000).emitWithAck('subscribe', { channel: `conversation:${plan.conversationId}` })) as { ok: boolean };
    if (!answer.ok) throw new Error(`subscribe refused: ${JSON.stringify(answer)}`);
    return socket;
  }

  function startSending(plan: Plan, socket: Socket, at: number, seconds: number): void {
    const end = at + seconds * 1000;
    let n = 0;
    const tick = () => {
      if (now() >= end) return;
      n += 1;
      const body = `b ${now().toFixed(3)} ${plan.idx} ${n}`;
      socket.timeout(10_000).emit('send', { conversationId: plan.conversationId, body, clientId: `${plan.idx}-${n}` }, (err: Error | null, ack?: { ok: boolean; message?: { cursor: string }; error?: { code: string } }) => {
        if (err || !ack?.ok || !ack.message) {
          const code = err ? 'timeout' : (ack?.error?.code ?? 'unknown');
          sendErrors[code] = (sendErrors[code] ?? 0) + 1;
        } else {
          acked.push(`${plan.conversationId}:${ack.message.cursor}`);
        }
      });
      timers.push(setTimeout(tick, EVERY_MS));
    };
    timers.push(setTimeout(tick, Math.max(0, at - now()) + Math.random() * EVERY_MS));
  }

  let plans: Plan[] = [];
  const connected: Socket[] = [];
  process.on('message', (message: ToClient) => {
    if (message.type === 'plan') {
      plans = message.plans;
      (async () => {
        for (let i = 0; i < plans.length; i += 50) connected.push(...(await Promise.all(plans.slice(i, i + 50).map((p) => connect(message.url, p)))));
        send({ type: 'ready' });
      })().catch((error: unknown) => send({ type: 'failed', message: error instanceof Error ? error.message : String(error) }));
    } else if (message.type === 'start') {
      plans.forEach((p, i) => startSending(p, connected[i]!, message.at, message.seconds));
    } else {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.disconnect();
      const sparse = [...hist.entries()].filter(([, c]) => c > 0);
      process.send!({ type: 'report', hist: sparse, receipts: [...receipts], acked, duplicates, sendErrors } satisfies FromClient, undefined, {}, () => process.exit(0));
    }
  });
}

/** Members, their sessions and one conversation per pair, written straight to the store (each seat under its member's key). */
async function seed(databaseUrl: string): Promise<Plan[]> {
  const store = await openStore(databaseUrl);
  try {
    await store.declare([...accountsCollections, ...conversationsCollections]);
    const passHash = await argon2.hash(randomToken(), { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    const sessions = new SessionsService(store, 86_400_000);
    const t = Date.now();
    const accounts: AccountDoc[] = Array.from({ length: CONVERSATIONS * 2 }, (_, i) => ({
      id: newId(), handle: `pair_${i}`, handleLower: `pair_${i}`, displayName: `pair_${i}`, passHash, role: 'member', status: 'active',
      locale: null, recoveryCodes: [], createdAt: t, updatedAt: t,
    }));
    const keys = accounts.map(() => MemberKey.generate());
    const conversationIds = Array.from({ length: CONVERSATIONS }, () => newId());
    await store.transaction(async (tx) => {
      for (const a of accounts) await tx.collection(accountsCollection).insert(a);
      for (const [c, id] of conversationIds.entries()) {
        await tx.collection(conversationsCollection).insert({ id, retentionDays: 1, seq: 0, places: 2, waiting: [], createdAt: t });
        for (const place of [0, 1]) {
          const key = keys[c * 2 + place]!;
          await tx.collection(participantsCollection).insert({ id: ConversationAccess.participantId(key, id), conversationId: id, place, lastReadSeq: 0, joinedAt: t });
        }
      }
    });
    const plans: Plan[] = [];
    for (const [i, a] of accounts.entries()) plans.push({ idx: i, token: (await sessions.start(a, keys[i]!)).token, conversationId: conversationIds[Math.floor(i / 2)]! });
    return plans;
  } finally {
    await store.close();
  }
}

function percentileOf(hist: Map<number, number>, p: number): number {
  const total = [...hist.values()].reduce((a, b) => a + b, 0);
  const target = Math.ceil((p / 100) * total);
  let seen = 0;
  for (const bucket of [...hist.keys()].sort((a, b) => a - b)) {
    seen += hist.get(bucket)!;
    if (seen >= target) return bucket / 10;
  }
  return NaN;
}

/** Runs the conversations part; true when every target was met. */
export async function measureConversations(seconds: number): Promise<boolean> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-conversations-bench-'));
  const databaseUrl = `sqlite:${path.join(dataDir, 'parasol.sqlite')}`;
  let server: BenchInstance | null = null;
  const child = fork(fileURLToPath(import.meta.url), ['--conversation-clients'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const deadline = setTimeout(() => {
    process.stderr.write('conversations benchmark: deadline passed, stopping\n');
    child.kill('SIGKILL');
    server?.run.child.kill('SIGKILL');
    process.exit(2);
  }, (seconds + 240) * 1000);
  deadline.unref();
  const waitFor = (type: FromClient['type']) =>
    new Promise<FromClient>((resolve, reject) => {
      const on = (message: FromClient) => {
        if (message.type === 'failed') reject(new Error(message.message));
        else if (message.type === type) {
          child.off('message', on);
          resolve(message);
        }
      };
      child.on('message', on);
      child.once('exit', (code) => reject(new Error(`the client process ended (exit code ${code})`)));
    });
  try {
    process.stdout.write(`Seeding ${CONVERSATIONS} one-to-one conversations…\n`);
    const plans = await seed(databaseUrl);
    server = await startServer({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' });
    process.stdout.write(`Connecting ${plans.length} socket.io clients…\n`);
    const ready = waitFor('ready');
    child.send({ type: 'plan', url: server.url, plans } satisfies ToClient);
    await ready;
    process.stdout.write(`Running for ${seconds} s…\n`);
    const startedAt = now() + 500;
    child.send({ type: 'start', at: startedAt, seconds } satisfies ToClient);
    await new Promise((resolve) => setTimeout(resolve, 500 + seconds * 1000 + DRAIN_MS));
    const done = waitFor('report');
    child.send({ type: 'report' } satisfies ToClient);
    const result = (await done) as ClientReport;
    const hist = new Map(result.hist);
    const receipts = new Map(result.receipts);
    // Both members follow the conversation: each stored message reaches two sockets.
    const lost = result.acked.reduce((n, key) => n + Math.max(0, 2 - (receipts.get(key) ?? 0)), 0);
    const figures: Figure[] = [
      { name: 'messages stored and acknowledged', value: result.acked.length / seconds, unit: 'msg/s' },
      { name: 'delivery latency p50, to the other member', value: percentileOf(hist, 50), unit: 'ms' },
      { name: 'delivery latency p99, to the other member', value: percentileOf(hist, 99), unit: 'ms', target: { value: P99_TARGET_MS, better: 'lower' } },
      { name: 'lost deliveries (acked, not received)', value: lost, unit: '', target: { value: 0, better: 'lower' } },
      { name: 'duplicated deliveries', value: result.duplicates, unit: '', target: { value: 0, better: 'lower' } },
      { name: 'sends refused or unanswered', value: Object.values(result.sendErrors).reduce((a, b) => a + b, 0), unit: '', target: { value: 0, better: 'lower' } },
    ];
    if (Object.keys(result.sendErrors).length) process.stdout.write(`send errors: ${JSON.stringify(result.sendErrors)}\n`);
    return report(`Private conversations (SQLite, socket.io, ${CONVERSATIONS} one-to-one at once, ${os.cpus().length}-core machine, ${seconds} s)`, figures);
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    clearTimeout(deadline);
  }
}

if (process.argv.includes('--conversation-clients')) {
  clients().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
