import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import argon2 from 'argon2';
import { io as connectClient, type Socket } from 'socket.io-client';
import { openStore } from '../server/store/open-store.js';
import { accountsCollection, accountsCollections, type AccountDoc } from '../server/accounts/accounts.collections.js';
import { SessionsService } from '../server/accounts/sessions.service.js';
import {
  membershipsCollection,
  messagesCollection,
  roomsCollection,
  roomsCollections,
  type MembershipDoc,
  type MessageDoc,
  type RoomDoc,
} from '../server/rooms/rooms.collections.js';
import { aliasKey, RoomMembers } from '../server/rooms/members.js';
import { seatOf, RoomMembershipService } from '../server/rooms/membership.service.js';
import { RoomPolicy } from '../server/rooms/policy.js';
import { RoomRetention } from '../server/rooms/retention.js';
import { RoomClaims } from '../server/rooms/room-claims.js';
import { RoomPinsService } from '../server/rooms/pins.service.js';
import { RoomMessagesService } from '../server/rooms/messages.service.js';
import { RoomsService } from '../server/rooms/rooms.service.js';
import { deferredLive } from '../server/rooms/rooms.socket.js';
import { AccountHooks } from '../server/accounts/account-hooks.js';
import { createLimiter } from '../server/core/rate-limit.js';
import { MemberKey } from '../server/core/member-key.js';
import { newId, randomToken } from '../server/crypto.js';
import { report, startServer, timed, type BenchInstance, type Figure } from './lib.js';
import { benchDatabaseKey, compareRuns } from './encryption-compare.js';
import { measureConversations } from './conversations-live.js';

/**
 * Live delivery in rooms: one room of 1,000 members in which 50 members each
 * send every 2 s (about 25,000 deliveries/s), and 20 rooms of 50 members in
 * which every member sends every 10 s. The server runs in its own process
 * (as `npm start`); the socket.io clients run in worker processes of this
 * script. Every client checks what it receives: the benchmark reports lost
 * and duplicated deliveries as well as latency, from send to receipt by each
 * other member. Everything talks to 127.0.0.1 only.
 * Run: npm run bench:rooms (ROOMS_BENCH_SECONDS and ROOMS_BENCH_WORKERS to vary it).
 *
 * First, in this process: what blinding costs a member's list of rooms. No row
 * says which rooms are a member's, so the list computes their blinded id in
 * every room of the instance and reads those ids in batches; measured with
 * LIST_ROOMS rooms on the instance, the member in LIST_MINE of them.
 * ROOMS_BENCH_PART=list runs only that part.
 *
 * ROOMS_BENCH_PART=conversations runs only the private conversations' part (bench/conversations-live.ts): 500
 * one-to-one conversations at once, p99 delivery under 150 ms, none lost or duplicated.
 */
const SECONDS = Number(process.env.ROOMS_BENCH_SECONDS ?? 60);
/** One by default: on a 2-core machine a second client process takes its CPU from the server and makes latency worse. */
const WORKERS = Number(process.env.ROOMS_BENCH_WORKERS ?? 1);
const BIG_ROOM = 1000;
const BIG_SENDERS = 50;
const BIG_EVERY_MS = 2000;
const SMALL_ROOMS = 20;
const SMALL_ROOM = 50;
const SMALL_EVERY_MS = 10_000;
/** Time for the last messages to arrive after the senders stop. */
const DRAIN_MS = 3000;
/** A hard stop whatever happens, so the benchmark never hangs a machine. */
const DEADLINE_MS = (SECONDS + 240) * 1000;
const LIST_ROOMS = 1000;
const LIST_MINE = 20;
const LIST_RUNS = 200;
/** The rooms list is read on every visit to /rooms: it should stay well inside a page's budget. */
const LIST_P50_TARGET_MS = 50;

/** Latency histogram: 0.1 ms buckets up to 10 s, then one overflow bucket. */
const BUCKETS = 100_000;

interface ClientPlan {
  readonly idx: number;
  readonly token: string;
  readonly roomId: string;
  readonly big: boolean;
  readonly everyMs: number | null;
}

type ToWorker = { type: 'plan'; url: string; clients: ClientPlan[] } | { type: 'start'; at: number; seconds: number } | { type: 'report' };

interface WorkerReport {
  readonly type: 'report';
  readonly hist: { big: [number, number][]; small: [number, number][] };
  /** Receipts per stored message: `${roomId}:${seq}` → how many clients got it. */
  readonly receipts: [string, number][];
  readonly acked: string[];
  readonly duplicates: number;
  readonly sendErrors: Record<string, number>;
}

type FromWorker = { type: 'ready' } | { type: 'failed'; message: string } | WorkerReport;

const now = () => performance.timeOrigin + performance.now();

// ---- worker process: a share of the clients ----------------------------------

/** Per-seq numbers that grow with the room's history; typed arrays keep 30,000 receipts a second cheap to count. */
class Grow<T extends Uint8Array | Uint32Array | Float64Array | Int32Array> {
  constructor(public values: T) {}
  at(i: number): T {
    if (i >= this.values.length) {
      const bigger = new (this.values.constructor as new (n: number) => T)(Math.max(i + 1, this.values.length * 2));
      bigger.set(this.values as never);
      this.values = bigger;
    }
    return this.values;
  }
}

interface RoomTally {
  readonly counts: Grow<Uint32Array>;
  /** When the message was sent (from its body), parsed once per worker rather than once per receipt. */
  readonly sentAt: Grow<Float64Array>;
  readonly sender: Grow<Int32Array>;
}

async function worker(): Promise<void> {
  const send = (message: FromWorker) => process.send!(message);
  const hist = { big: new Uint32Array(BUCKETS + 1), small: new Uint32Array(BUCKETS + 1) };
  const tallies = new Map<string, RoomTally>();
  const acked: string[] = [];
  const sendErrors: Record<string, number> = {};
  let duplicates = 0;
  const sockets: Socket[] = [];
  const timers: NodeJS.Timeout[] = [];

  async function connect(url: string, plan: ClientPlan): Promise<void> {
    const socket = connectClient(`${url}/rooms`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { cookie: `psl_session=${plan.token}` },
    });
    sockets.push(socket);
    let tally = tallies.get(plan.roomId);
    if (!tally) {
      tally = { counts: new Grow(new Uint32Array(2048)), sentAt: new Grow(new Float64Array(2048)), sender: new Grow(new Int32Array(2048)) };
      tallies.set(plan.roomId, tally);
    }
    const room = tally;
    const seen = new Grow(new Uint8Array(2048));
    const latencies = plan.big ? hist.big : hist.small;
    socket.on('message', (m: { cursor: string; html: string }) => {
      const arrived = now();
      const seq = Number(m.cursor);
      const mine = seen.at(seq);
      if (mine[seq]) {
        duplicates += 1;
        return;
      }
      mine[seq] = 1;
      room.counts.at(seq)[seq]! += 1;
      const sentAt = room.sentAt.at(seq);
      if (sentAt[seq] === 0) {
        const stamp = /b (\d+(?:\.\d+)?) (\d+)/.exec(m.html);
        sentAt[seq] = stamp ? Number(stamp[1]) : -1;
        room.sender.at(seq)[seq] = stamp ? Number(stamp[2]) : -1;
      }
      if (sentAt[seq]! > 0 && room.sender.values[seq] !== plan.idx) {
        latencies[Math.min(BUCKETS, Math.max(0, Math.round((arrived - sentAt[seq]!) * 10)))]! += 1;
      }
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const answer = (await socket.timeout(30_000).emitWithAck('subscribe', { channel: `room:${plan.roomId}` })) as { ok: boolean };
    if (!answer.ok) throw new Error(`subscribe refused: ${JSON.stringify(answer)}`);
  }

  function startSending(plan: ClientPlan, socket: Socket, at: number, seconds: number): void {
    if (!plan.everyMs) return;
    const every = plan.everyMs;
    const end = at + seconds * 1000;
    let n = 0;
    const tick = () => {
      if (now() >= end) return;
      n += 1;
      const body = `b ${now().toFixed(3)} ${plan.idx} ${n}`;
      socket.timeout(10_000).emit('send', { roomId: plan.roomId, body, clientId: `${plan.idx}-${n}` }, (err: Error | null, ack?: { ok: boolean; message?: { cursor: string }; error?: { code: string } }) => {
        if (err || !ack?.ok || !ack.message) {
          const code = err ? 'timeout' : (ack?.error?.code ?? 'unknown');
          sendErrors[code] = (sendErrors[code] ?? 0) + 1;
        } else {
          acked.push(`${plan.roomId}:${Number(ack.message.cursor)}`);
        }
      });
      timers.push(setTimeout(tick, every));
    };
    // Senders start spread over their interval, as people would.
    timers.push(setTimeout(tick, Math.max(0, at - now()) + Math.random() * every));
  }

  let plans: ClientPlan[] = [];
  process.on('message', (message: ToWorker) => {
    if (message.type === 'plan') {
      plans = message.clients;
      (async () => {
        for (let i = 0; i < plans.length; i += 50) await Promise.all(plans.slice(i, i + 50).map((p) => connect(message.url, p)));
        send({ type: 'ready' });
      })().catch((error: unknown) => send({ type: 'failed', message: error instanceof Error ? error.message : String(error) }));
    } else if (message.type === 'start') {
      plans.forEach((p, i) => startSending(p, sockets[i]!, message.at, message.seconds));
    } else {
      for (const t of timers) clearTimeout(t);
      const sparse = (h: Uint32Array) => [...h.entries()].filter(([, c]) => c > 0);
      const receipts: [string, number][] = [];
      for (const [roomId, tally] of tallies) tally.counts.values.forEach((c, seq) => c > 0 && receipts.push([`${roomId}:${seq}`, c]));
      for (const s of sockets) s.disconnect();
      // The report is large (a receipt count per message): exit only once it is all written to the parent, or the
      // parent sees the exit before the report.
      process.send!({ type: 'report', hist: { big: sparse(hist.big), small: sparse(hist.small) }, receipts, acked, duplicates, sendErrors } satisfies FromWorker, undefined, {}, () =>
        process.exit(0),
      );
    }
  });
}

// ---- main process: seed, start the server, drive the workers, report --------------

async function seed(databaseUrl: string, databaseKey: string | null): Promise<{ plans: ClientPlan[]; sizes: Map<string, number> }> {
  const store = await openStore(databaseUrl, { databaseKey });
  try {
    await store.declare([...accountsCollections, ...roomsCollections]);
    // One real argon2id hash for everyone: members log in through sessions made here, never by passphrase.
    const passHash = await argon2.hash(randomToken(), { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    const sessions = new SessionsService(store, 86_400_000);
    const t = Date.now();
    const room = (name: string): RoomDoc => ({
      id: newId(),
      name,
      description: '',
      purpose: '',
      language: 'en',
      joinPolicy: 'invite',
      retentionDays: 1,
      listed: false,
      readOnly: false,
      requestKey: randomToken(12),
      seq: 0,
      createdAt: t,
      updatedAt: t,
    });
    const big = room('big');
    const small = Array.from({ length: SMALL_ROOMS }, (_, i) => room(`small ${i}`));
    const seats: { room: RoomDoc; big: boolean; everyMs: number | null }[] = [];
    for (let i = 0; i < BIG_ROOM; i++) seats.push({ room: big, big: true, everyMs: i < BIG_SENDERS ? BIG_EVERY_MS : null });
    for (const r of small) for (let i = 0; i < SMALL_ROOM; i++) seats.push({ room: r, big: false, everyMs: SMALL_EVERY_MS });

    const accounts: AccountDoc[] = seats.map((_, i) => ({
      id: newId(),
      handle: `bench_${i}`,
      handleLower: `bench_${i}`,
      displayName: `bench_${i}`,
      passHash,
      role: 'member',
      status: 'active',
      locale: null,
      recoveryCodes: [],
      createdAt: t,
      updatedAt: t,
    }));
    const keys = accounts.map(() => MemberKey.generate());
    await store.transaction(async (tx) => {
      const rooms = tx.collection(roomsCollection);
      for (const r of [big, ...small]) await rooms.insert(r);
      const col = tx.collection(accountsCollection);
      const members = tx.collection(membershipsCollection);
      for (const [i, a] of accounts.entries()) {
        await col.insert(a);
        const seat = seats[i]!;
        const alias = `Member ${i}`;
        // The same member key the account's session carries (below), so its socket finds this membership.
        const blinded = seatOf(keys[i]!, seat.room.id);
        const membership: MembershipDoc = {
          id: blinded.memberId,
          ref: newId(),
          roomId: seat.room.id,
          role: 'member',
          displayMode: 'alias',
          alias,
          aliasKey: aliasKey(alias),
          showName: false,
          mutedUntil: null,
          lastReadSeq: 0,
          joinedAt: t,
          publicKey: blinded.publicKey,
          roomKey: null,
        };
        await members.insert(membership);
      }
    });
    const plans: ClientPlan[] = [];
    for (const [i, a] of accounts.entries()) {
      const { token } = await sessions.start(a, keys[i]!);
      const seat = seats[i]!;
      plans.push({ idx: i, token, roomId: seat.room.id, big: seat.big, everyMs: seat.everyMs });
    }
    const sizes = new Map<string, number>([[big.id, BIG_ROOM], ...small.map((r) => [r.id, SMALL_ROOM] as [string, number])]);
    return { plans, sizes };
  } finally {
    await store.close();
  }
}

/** CPU seconds (user + system) the process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // After "pid (comm) ", utime and stime are the 12th and 13th fields, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A member's rooms list (RoomsService.myRooms) with LIST_ROOMS rooms on the instance, in this process. */
async function measureRoomsList(): Promise<boolean> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-rooms-list-'));
  const store = await openStore(`sqlite:${path.join(dir, 'parasol.sqlite')}`);
  try {
    await store.declare([...roomsCollections]);
    const live = deferredLive();
    const members = new RoomMembers(store);
    // The list reads neither the text filters nor the instance's secrets.
    const policy = new RoomPolicy(store, members, {} as never);
    const retention = new RoomRetention(store, members, new RoomClaims(store), new AccountHooks());
    const pins = new RoomPinsService(store, policy, live);
    const messages = new RoomMessagesService({ store, policy, members, pins, retention, live, messageLimit: createLimiter({ perKey: 1000, overall: 1000, windowSeconds: 1 }, 'room-messages') });
    const membership = new RoomMembershipService({ store, policy, members, instance: {} as never, live });
    const rooms = new RoomsService({ store, policy, members, membership, messages, retention, live });
    const key = MemberKey.generate();
    const other = MemberKey.generate();
    const t = Date.now();
    await store.transaction(async (tx) => {
      for (let i = 0; i < LIST_ROOMS; i++) {
        const room: RoomDoc = {
          id: newId(), name: `room ${i}`, description: '', purpose: '', language: 'en', joinPolicy: 'invite', retentionDays: 30,
          listed: false, readOnly: false, requestKey: randomToken(12), seq: 0, createdAt: t, updatedAt: t,
        };
        await tx.collection(roomsCollection).insert(room);
        await members.addIn(tx, room, seatOf(other, room.id), 'facilitator', { displayMode: 'alias' });
        if (i % (LIST_ROOMS / LIST_MINE) === 0) await members.addIn(tx, room, seatOf(key, room.id), 'member', { displayMode: 'alias' });
        for (let seq = 1; seq <= 5; seq++) {
          const message: MessageDoc = {
            id: newId(), roomId: room.id, seq, authorId: RoomMembers.blindId(other, room.id), authorLabel: 'x', authorKind: 'alias',
            body: 'hello', html: '<p>hello</p>', replyTo: null, reactions: {}, createdAt: t, editedAt: null, expiresAt: t + 86_400_000,
          };
          await tx.collection(messagesCollection).insert(message);
        }
        await tx.collection(roomsCollection).patch(room.id, { seq: 5 });
      }
    });
    const account = { id: newId(), status: 'active' } as AccountDoc;
    const times: number[] = [];
    for (let i = 0; i < LIST_RUNS; i++) {
      const [list, ms] = await timed(() => rooms.myRooms(account, key));
      if (list.length !== LIST_MINE) throw new Error(`the rooms list found ${list.length} rooms, not ${LIST_MINE}`);
      times.push(ms);
    }
    times.sort((a, b) => a - b);
    const at = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
    return report(`A member's rooms list, blinded (SQLite, ${LIST_ROOMS} rooms on the instance, member of ${LIST_MINE}, ${LIST_RUNS} runs)`, [
      { name: 'rooms list p50', value: at(50), unit: 'ms', target: { value: LIST_P50_TARGET_MS, better: 'lower' } },
      { name: 'rooms list p95', value: at(95), unit: 'ms' },
    ]);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
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

/** One run of the whole benchmark, on a plain database or (with a key) an encrypted one; returns its figures and whether every target was met. */
async function measure(databaseKey: string | null): Promise<{ figures: Figure[]; ok: boolean }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-rooms-bench-'));
  const databaseUrl = `sqlite:${path.join(dataDir, 'parasol.sqlite')}`;
  const children: ChildProcess[] = [];
  let server: BenchInstance | null = null;
  const deadline = setTimeout(() => {
    process.stderr.write('rooms benchmark: deadline passed, stopping\n');
    for (const c of children) c.kill('SIGKILL');
    server?.run.child.kill('SIGKILL');
    for (const dir of [dataDir, server?.dataDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    process.exit(2);
  }, DEADLINE_MS);
  deadline.unref();
  const interrupted = () => {
    for (const c of children) c.kill('SIGKILL');
    server?.run.child.kill('SIGTERM');
    for (const dir of [dataDir, server?.dataDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    process.stdout.write(`Seeding ${BIG_ROOM + SMALL_ROOMS * SMALL_ROOM} members in ${1 + SMALL_ROOMS} rooms…\n`);
    const { plans, sizes } = await seed(databaseUrl, databaseKey);
    server = await startServer({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'error', ...(databaseKey ? { DATABASE_KEY: databaseKey } : {}) });
    const pid = server.run.child.pid!;

    const self = fileURLToPath(import.meta.url);
    const reports: WorkerReport[] = [];
    const workers = Array.from({ length: WORKERS }, () => fork(self, ['--client'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    children.push(...workers);
    // A worker that ends before answering fails the wait it is in, or the next one: never a silent wait until the deadline.
    const gone = new Map<ChildProcess, string>();
    const failures = new Set<(error: Error) => void>();
    for (const w of workers) {
      w.on('exit', (code, signal) => {
        const why = `a client worker ended (exit code ${code}, signal ${signal})`;
        gone.set(w, why);
        for (const fail of failures) fail(new Error(why));
      });
    }
    const waitFor = (type: FromWorker['type']) =>
      Promise.all(
        workers.map(
          (w) =>
            new Promise<FromWorker>((resolve, reject) => {
              const fail = (error: Error) => {
                failures.delete(fail);
                w.off('message', on);
                reject(error);
              };
              const on = (message: FromWorker) => {
                if (message.type === 'failed') fail(new Error(message.message));
                else if (message.type === type) {
                  failures.delete(fail);
                  w.off('message', on);
                  resolve(message);
                }
              };
              if (gone.has(w)) return reject(new Error(gone.get(w)));
              failures.add(fail);
              w.on('message', on);
            }),
        ),
      );
    process.stdout.write(`Connecting ${plans.length} socket.io clients from ${WORKERS} worker process(es)…\n`);
    const ready = waitFor('ready');
    workers.forEach((w, i) => w.send({ type: 'plan', url: server!.url, clients: plans.filter((_, j) => j % WORKERS === i) } satisfies ToWorker));
    await ready;
    // Let the join storm's presence updates settle before measuring.
    await new Promise((resolve) => setTimeout(resolve, 2000));

    process.stdout.write(`Running for ${SECONDS} s…\n`);
    const idleRss = server.rssMb();
    const cpuBefore = cpuSeconds(pid);
    const startedAt = now() + 500;
    workers.forEach((w) => w.send({ type: 'start', at: startedAt, seconds: SECONDS } satisfies ToWorker));
    let peakRss = idleRss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, server!.rssMb());
    }, 1000);
    await new Promise((resolve) => setTimeout(resolve, 500 + SECONDS * 1000 + DRAIN_MS));
    clearInterval(sampler);
    const cpuUsed = cpuSeconds(pid) - cpuBefore;
    const elapsed = (now() - startedAt) / 1000;
    const done = waitFor('report');
    workers.forEach((w) => w.send({ type: 'report' } satisfies ToWorker));
    reports.push(...((await done) as WorkerReport[]));

    const merge = (pick: (r: WorkerReport) => [number, number][]) => {
      const out = new Map<number, number>();
      for (const r of reports) for (const [b, c] of pick(r)) out.set(b, (out.get(b) ?? 0) + c);
      return out;
    };
    const big = merge((r) => r.hist.big);
    const small = merge((r) => r.hist.small);
    const all = merge((r) => [...r.hist.big, ...r.hist.small]);
    const receipts = new Map<string, number>();
    for (const r of reports) for (const [k, c] of r.receipts) receipts.set(k, (receipts.get(k) ?? 0) + c);
    const acked = reports.flatMap((r) => r.acked);
    let lost = 0;
    for (const key of acked) {
      const expected = sizes.get(key.slice(0, key.lastIndexOf(':')))!;
      lost += Math.max(0, expected - (receipts.get(key) ?? 0));
    }
    const duplicates = reports.reduce((n, r) => n + r.duplicates, 0);
    const sendErrors: Record<string, number> = {};
    for (const r of reports) for (const [k, c] of Object.entries(r.sendErrors)) sendErrors[k] = (sendErrors[k] ?? 0) + c;
    const deliveries = [...all.values()].reduce((a, b) => a + b, 0);

    const figures: Figure[] = [
      { name: 'messages stored and acknowledged', value: acked.length / SECONDS, unit: 'msg/s' },
      { name: 'deliveries to other members', value: deliveries / SECONDS, unit: 'msg/s' },
      { name: 'delivery latency p50, 1,000-member room', value: percentileOf(big, 50), unit: 'ms' },
      { name: 'delivery latency p99, 1,000-member room', value: percentileOf(big, 99), unit: 'ms', target: { value: 150, better: 'lower' } },
      { name: 'delivery latency p50, 50-member rooms', value: percentileOf(small, 50), unit: 'ms' },
      { name: 'delivery latency p99, 50-member rooms', value: percentileOf(small, 99), unit: 'ms' },
      { name: 'lost deliveries (acked, not received)', value: lost, unit: '', target: { value: 0, better: 'lower' } },
      { name: 'duplicated deliveries', value: duplicates, unit: '', target: { value: 0, better: 'lower' } },
      { name: 'sends refused or unanswered', value: Object.values(sendErrors).reduce((a, b) => a + b, 0), unit: '', target: { value: 0, better: 'lower' } },
      { name: 'server CPU (one core = 100 %)', value: (cpuUsed / elapsed) * 100, unit: '%' },
      { name: 'server RSS with all clients connected', value: idleRss, unit: 'MB' },
      { name: 'server RSS peak under load', value: peakRss, unit: 'MB', target: { value: 400, better: 'lower' } },
    ];
    const ok = report(`Rooms (SQLite${databaseKey ? ' with DATABASE_KEY' : ''}, socket.io, ${os.cpus().length}-core machine, ${SECONDS} s)`, figures);
    if (Object.keys(sendErrors).length) process.stdout.write(`send errors: ${JSON.stringify(sendErrors)}\n`);
    return { figures, ok };
  } catch (error) {
    // What the server said last tells whether it failed or the load generator did.
    const said = server?.run.output().slice(-4000) ?? '';
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nThe server's last output:\n${said}`, { cause: error });
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    clearTimeout(deadline);
  }
}

async function main(): Promise<void> {
  if (process.env.ROOMS_BENCH_PART === 'conversations') {
    const ok = await measureConversations(SECONDS);
    process.stdout.write(`\n${ok ? 'All targets met.' : 'Some targets missed.'}\n`);
    return;
  }
  const listOk = await measureRoomsList();
  if (process.env.ROOMS_BENCH_PART === 'list') {
    process.stdout.write(`\n${listOk ? 'All targets met.' : 'Some targets missed.'}\n`);
    return;
  }
  const plain = await measure(null);
  process.stdout.write('\nThe same with DATABASE_KEY set (encrypted database):\n');
  const encrypted = await measure(benchDatabaseKey());
  compareRuns('Rooms', plain.figures, encrypted.figures);
  process.stdout.write(`\n${listOk && plain.ok && encrypted.ok ? 'All targets met.' : 'Some targets missed.'}\n`);
}

if (process.argv.includes('--client')) {
  worker().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
