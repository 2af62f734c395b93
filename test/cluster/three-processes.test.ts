/**
 * Three Parasol processes on one PostgreSQL, as three machines would run (docs/deployment.md): each started
 * with the real entry point on a port of its own, with a data directory of its own, sharing only the database
 * (a schema of this test's) and the instance secret file; reached over real HTTP and socket.io.
 * Skipped without POSTGRES_URL, like the PostgreSQL contract suite.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { BOUND_MS } from '../../server/store/postgres/change-feed.js';
import { databaseScope } from '../../server/store/postgres/scope.js';
import { Client, handle, PASS } from '../helpers/client.js';
import { freePort, runEntry, withCheapHashing, type Running } from '../helpers/process.js';

const url = process.env.POSTGRES_URL;
const START_MS = 180_000;
/** Long enough for a loaded 2-core machine; nothing waits for it unless something is wrong. */
const WAIT_MS = 20_000;
const PROCESSES = 3;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- acks are checked by shape
type Json = any;

interface Proc {
  readonly run: Running;
  readonly url: string;
  readonly dataDir: string;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = WAIT_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The same browser (cookie jar) talking to another process. */
function sameBrowser(client: Client, base: string): Client {
  const other = new Client(base);
  for (const [name, value] of client.cookies) other.cookies.set(name, value);
  return other;
}

describe('three processes on one PostgreSQL', function () {
  this.timeout(600_000);
  let schema: string;
  let schemaUrl: string;
  let scope: string;
  let secretDir: string;
  const procs: Proc[] = [];
  const sockets: ClientSocket[] = [];
  const listeners: pg.Client[] = [];
  let admin: Client;
  let threadId: string;

  async function start(first: boolean): Promise<Proc> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-machine-'));
    const port = await freePort();
    const run = runEntry('server/main.ts', [], withCheapHashing({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      NODE_ENV: 'test',
      DATABASE_URL: schemaUrl,
      PARASOL_SECRET_FILE: path.join(secretDir, 'secret'),
      CHECKIN_GRACE_SECONDS: '1',
      CHECKIN_SCAN_SECONDS: '1',
      // A killed process's jobs are taken over within about 3 s.
      JOB_LEASE_SECONDS: '2',
    }));
    const proc = { run, url: `http://127.0.0.1:${port}`, dataDir };
    procs.push(proc);
    if (!first) await run.waitFor(/Parasol is listening/, START_MS);
    return proc;
  }

  before(async function () {
    if (url === undefined) {
      console.log('    Three processes on PostgreSQL skipped: POSTGRES_URL is unset (e.g. postgres://parasol:parasol@127.0.0.1:5432/parasol_test)');
      this.skip();
    }
    schema = `parasol_machines_${randomBytes(6).toString('hex')}`;
    const adminDb = new pg.Client({ connectionString: url });
    await adminDb.connect();
    await adminDb.query(`CREATE SCHEMA ${schema}`);
    await adminDb.end();
    const parsed = new URL(url);
    parsed.searchParams.set('options', `-c search_path=${schema}`);
    schemaUrl = parsed.toString();
    const pool = new pg.Pool({ connectionString: schemaUrl, max: 1 });
    scope = await databaseScope(pool);
    await pool.end();
    // The same secret on every machine, never inside a data directory.
    secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-secret-'));
    fs.writeFileSync(path.join(secretDir, 'secret'), randomBytes(48).toString('base64'));

    // The first process creates the tables alone, as a deployment starts its first machine.
    const first = await start(true);
    const [, token] = await first.run.waitFor(/\/setup\/([A-Za-z0-9_-]+)/, START_MS);
    await first.run.waitFor(/Parasol is listening/, START_MS);
    // The admin is made before the other machines start: a process that starts while there is none prints a setup
    // link of its own, which replaces the earlier one on every process (the settings are shared).
    admin = new Client(first.url);
    const made = await admin.api('POST', `/setup/${token}`, { handle: handle('admin'), passphrase: PASS });
    assert.equal(made.status, 201, made.text);
    await Promise.all(Array.from({ length: PROCESSES - 1 }, () => start(false)));
    const thread = await admin.api('POST', '/boards/general/threads', { title: 'Shared thread', body: 'first words' });
    assert.equal(thread.status, 201, thread.text);
    threadId = thread.json.thread.id;
  });

  after(async function () {
    if (url === undefined) return;
    for (const socket of sockets.splice(0)) socket.disconnect();
    for (const client of listeners.splice(0)) await client.end().catch(() => undefined);
    for (const { run, dataDir } of procs.splice(0)) {
      if (run.child.exitCode === null && run.child.signalCode === null) {
        run.child.kill('SIGTERM');
        assert.equal(await run.exited(), 0, run.output().slice(-2000));
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    fs.rmSync(secretDir, { recursive: true, force: true });
    const adminDb = new pg.Client({ connectionString: url });
    await adminDb.connect();
    await adminDb.query(`DROP SCHEMA ${schema} CASCADE`);
    await adminDb.end();
  });

  /** Every notification on a channel of this deployment, as PostgreSQL passes it between the processes. */
  async function overhear(channel: string): Promise<string[]> {
    const client = new pg.Client({ connectionString: schemaUrl });
    listeners.push(client);
    await client.connect();
    const heard: string[] = [];
    client.on('notification', (message) => heard.push(message.payload ?? ''));
    await client.query(`LISTEN "${channel}"`);
    return heard;
  }

  it(`shows a reply made through one process on the thread page and API answer of the others, from ${BOUND_MS} ms after the reply is acknowledged`, async () => {
    const visitors = procs.map((p) => new Client(p.url));
    const changes = await overhear(`parasol_changes_${scope}`);
    // The other processes keep the visitor's page and the thread's JSON first, so a kept answer would show.
    for (const visitor of visitors.slice(1)) {
      for (let i = 0; i < 4; i++) {
        assert.equal((await visitor.get(`/t/${threadId}`)).status, 200);
        assert.equal((await visitor.api('GET', `/threads/${threadId}`)).status, 200);
      }
    }
    const reply = await admin.api('POST', `/threads/${threadId}/posts`, { body: 'a reply seen everywhere' });
    assert.equal(reply.status, 201, reply.text);
    const acknowledged = Date.now();
    // Reads go on back to back; every read sent once the bound has passed must show the reply.
    for (const visitor of visitors.slice(1)) {
      for (const read of [() => visitor.get(`/t/${threadId}`), () => visitor.api('GET', `/threads/${threadId}`)]) {
        let afterBound = 0;
        while (afterBound < 2) {
          const sent = Date.now();
          const answer = await read();
          assert.equal(answer.status, 200);
          if (sent - acknowledged <= BOUND_MS) continue;
          afterBound++;
          assert.match(answer.text, /a reply seen everywhere/, `${visitor.base}, read ${sent - acknowledged} ms after the reply`);
        }
      }
    }
    assert.ok(changes.length > 0, 'the reply was announced to the other processes');
    assert.ok(changes.every((payload) => !payload.includes('seen everywhere')), 'announcements carry ids, never what was written');
  });

  it('delivers room messages from members on every process to members on the others, each exactly once, with only ids passing between processes', async () => {
    const ioEvents = await overhear(`parasol_io_${scope}#/rooms`);
    const room = await admin.api('POST', '/rooms', { name: 'Peer support', purpose: 'peers', description: 'A safe place' });
    assert.equal(room.status, 201, room.text);
    const roomId: string = room.json.room.id;
    // One member per process: the admin on the first, two members on the others.
    const people: Client[] = [admin];
    for (const proc of procs.slice(1)) {
      const person = new Client(proc.url);
      assert.equal((await person.api('POST', '/accounts', { handle: handle('peer'), passphrase: PASS })).status, 201);
      const code = (await admin.api('POST', `/rooms/${roomId}/invites`, {})).json.code as string;
      assert.equal((await person.api('POST', '/rooms/join', { code })).status, 201);
      people.push(person);
    }
    const received: string[][] = people.map(() => []);
    const bodies: string[][] = people.map(() => []);
    const joined = await Promise.all(people.map(async (person, i) => {
      const cookie = [...person.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const socket = connectClient(`${procs[i]!.url}/rooms`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie } });
      sockets.push(socket);
      socket.on('message', (payload: Json) => {
        received[i]!.push(payload.id);
        bodies[i]!.push(payload.html);
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      assert.deepEqual(await socket.timeout(WAIT_MS).emitWithAck('subscribe', { channel: `room:${roomId}` }), { ok: true });
      return socket;
    }));

    const PER_MEMBER = 5;
    const sent = await Promise.all(joined.map(async (socket, i) => {
      const ids: string[] = [];
      for (let n = 0; n < PER_MEMBER; n++) {
        const answer: Json = await socket.timeout(WAIT_MS).emitWithAck('send', { roomId, body: `words of member ${i}, number ${n}`, clientId: `m${i}-${n}` });
        assert.equal(answer.ok, true, JSON.stringify(answer));
        ids.push(answer.message.id);
      }
      return ids;
    }));
    // Sent after every acknowledgement, so committed and announced after all of them: once it is here, anything
    // else (a duplicate) would have come before it.
    const last: Json = await joined[0]!.timeout(WAIT_MS).emitWithAck('send', { roomId, body: 'the last word', clientId: 'last' });
    await until('every member to hear the last message', () => received.every((ids) => ids.includes(last.message.id)));
    const all = [...sent.flat(), last.message.id].sort();
    for (const [i, ids] of received.entries()) assert.deepEqual([...ids].sort(), all, `member on process ${i + 1}: none lost, none twice`);
    // Each process read what the others' members wrote from the database for its own members.
    for (const [i, html] of bodies.entries()) {
      for (let author = 0; author < people.length; author++) {
        assert.ok(html.some((body) => body.includes(`words of member ${author}, number 4`)), `member on process ${i + 1} got member ${author}’s words`);
      }
    }

    // And the history answers the same from any process.
    const elsewhere = sameBrowser(people[2]!, procs[0]!.url);
    const history = await elsewhere.api('GET', `/rooms/${roomId}/messages?after=0&limit=100`);
    assert.equal(history.status, 200, history.text);
    assert.equal(history.json.messages.length, all.length);
    assert.ok(history.json.messages.some((m: Json) => m.html.includes('words of member 1, number 4')), 'a member’s words, fetched from another process');

    assert.ok(ioEvents.length > 0, 'the room events went through PostgreSQL');
    for (const payload of ioEvents) {
      assert.ok(!/words of member|the last word/.test(payload), `nothing a member wrote passes through the database: ${payload.slice(0, 200)}`);
      assert.ok(Buffer.byteLength(payload) < 8000, 'each event fits in one notification');
    }
    const adminDb = new pg.Client({ connectionString: schemaUrl });
    await adminDb.connect();
    try {
      assert.equal(Number((await adminDb.query('SELECT count(*) AS n FROM parasol_socket_io_attachments')).rows[0].n), 0, 'no event was too large for a notification');
    } finally {
      await adminDb.end();
    }

    // A facilitator on the first process removes the member connected to the second: their page stops there,
    // while the facilitator's own page open on the second process (a witness of what it delivers) goes on.
    const witnessed: string[] = [];
    const witness = connectClient(`${procs[1]!.url}/rooms`, {
      transports: ['websocket'], reconnection: false, forceNew: true,
      extraHeaders: { cookie: [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    sockets.push(witness);
    witness.on('message', (payload: Json) => witnessed.push(payload.id));
    await new Promise<void>((resolve, reject) => {
      witness.once('connect', () => resolve());
      witness.once('connect_error', reject);
    });
    assert.deepEqual(await witness.timeout(WAIT_MS).emitWithAck('subscribe', { channel: `room:${roomId}` }), { ok: true });
    const membershipId = (await people[1]!.api('GET', `/rooms/${roomId}`)).json.room.membership.id as string;
    const removed = new Promise((resolve) => joined[1]!.once('member-removed', resolve));
    assert.equal((await admin.api('DELETE', `/rooms/${roomId}/members/${membershipId}`)).status, 204);
    assert.deepEqual(await removed, { roomId });
    const after: Json = await joined[2]!.timeout(WAIT_MS).emitWithAck('send', { roomId, body: 'after the removal', clientId: 'after' });
    assert.equal(after.ok, true, JSON.stringify(after));
    await until('the members still there to hear it', () => [received[0]!, received[2]!, witnessed].every((ids) => ids.includes(after.message.id)));
    const sentinel: Json = await joined[0]!.timeout(WAIT_MS).emitWithAck('send', { roomId, body: 'a sentinel', clientId: 'sentinel' });
    await until('the sentinel on the second process', () => witnessed.includes(sentinel.message.id));
    assert.ok(!received[1]!.includes(after.message.id) && !received[1]!.includes(sentinel.message.id), 'the removed member’s page heard nothing more');
  });

  it('holds a rate limit across processes, counting under keys that do not show the handle', async () => {
    // Sign-up allows 5 attempts per handle in its window; three processes would each allow 5 if counts were their own.
    const target = 'limited_handle';
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const stranger = new Client(procs[i % PROCESSES]!.url);
      statuses.push((await stranger.api('POST', '/accounts', { handle: target, passphrase: PASS })).status);
    }
    assert.ok(statuses.slice(0, 5).every((s) => s !== 429), `the first 5 attempts are counted, not refused: ${statuses.join(' ')}`);
    assert.deepEqual(statuses.slice(5), [429, 429], `refused after the shared budget: ${statuses.join(' ')}`);

    const adminDb = new pg.Client({ connectionString: schemaUrl });
    await adminDb.connect();
    try {
      const table = await adminDb.query("SELECT relpersistence FROM pg_class WHERE relname = 'parasol_rate_limits' AND relnamespace = current_schema()::regnamespace");
      assert.equal(table.rows[0]?.relpersistence, 'u', 'the counts are in an UNLOGGED table: not in the WAL, replicas or base backups');
      const keys = (await adminDb.query<{ key: string }>('SELECT key FROM parasol_rate_limits')).rows.map((row) => row.key);
      assert.ok(keys.some((key) => key.startsWith('k:signup:')), `the sign-up counts are there: ${keys.join(' ')}`);
      for (const key of keys) assert.ok(!key.toLowerCase().includes(target), `no handle in a counted key: ${key}`);
    } finally {
      await adminDb.end();
    }
  });

  /** A member signed up on each process, and made buddies of one another two by two. */
  async function members(prefix: string): Promise<{ client: Client; handle: string }[]> {
    const made: { client: Client; handle: string }[] = [];
    for (const proc of procs) {
      const client = new Client(proc.url);
      const h = handle(prefix);
      assert.equal((await client.api('POST', '/accounts', { handle: h, passphrase: PASS })).status, 201);
      made.push({ client, handle: h });
    }
    return made;
  }

  async function overdueCheckin(owner: { client: Client }, buddy: { client: Client; handle: string }): Promise<string> {
    const started = await owner.client.api('POST', '/checkins', { expectedEnd: Date.now() + 1500, buddies: [buddy.handle] });
    assert.equal(started.status, 201, started.text);
    return started.json.checkin.id as string;
  }

  const alerts = async (buddy: { client: Client }, checkinId: string): Promise<number> =>
    ((await buddy.client.api('GET', '/notifications')).json.notifications as { kind: string; url: string }[])
      .filter((n) => n.kind === 'buddy_overdue' && n.url.endsWith(checkinId)).length;

  async function befriend(a: { client: Client; handle: string }, b: { client: Client; handle: string }): Promise<void> {
    assert.equal((await a.client.api('POST', '/buddies', { handle: b.handle })).status, 201);
    assert.equal((await b.client.api('POST', '/buddies', { handle: a.handle })).status, 201);
  }

  it('alerts the buddy of an overdue check-in exactly once, whichever process scans', async () => {
    const [owner, , buddy] = await members('scan');
    await befriend(owner!, buddy!);
    const first = await overdueCheckin(owner!, buddy!);
    await until('the alarm', async () => (await alerts(buddy!, first)) >= 1);
    // Scans go on every second in whichever process holds the lease: a later alarm has come after several.
    const second = await overdueCheckin(owner!, buddy!);
    await until('the second alarm', async () => (await alerts(buddy!, second)) >= 1);
    assert.equal(await alerts(buddy!, first), 1, 'the first check-in alerted once');
  });

  it('loses nothing acknowledged when one process is killed under load; the others keep serving and take its jobs over', async () => {
    // The victim is the process running the delivery worker (a job that logs where it runs), so that another
    // taking it over is part of what is shown.
    const holds = (proc: Proc) => [...proc.run.output().matchAll(/"job":"federation-delivery","pid":\d+,"msg":"job lease (taken|lost)/g)].at(-1)?.[1] === 'taken';
    const victim = procs.find(holds);
    assert.ok(victim, 'a process logged that it runs the delivery worker');
    const survivors = procs.filter((p) => p !== victim);
    const posters = await members('load');
    const acknowledged: string[] = [];
    const survivorFailures: string[] = [];
    let killed = false;
    // Each poster stays under the posting limit (10 a minute) and posts through its own process.
    const load = posters.map(async (poster, p) => {
      for (let i = 0; i < 8; i++) {
        const body = `under load ${p}-${i}`;
        const answer = await poster.client.api('POST', `/threads/${threadId}/posts`, { body }).catch((error: unknown) => ({ status: 0, text: String(error) }));
        if (answer.status === 201) acknowledged.push(body);
        else if (procs[p] !== victim) survivorFailures.push(`${answer.status} ${answer.text.slice(0, 200)}`);
        if (killed && i >= 6) break;
      }
    });
    await until('some replies before the kill', () => acknowledged.length >= 6);
    victim.run.child.kill('SIGKILL');
    killed = true;
    await Promise.all(load);
    assert.deepEqual(survivorFailures, [], 'the other processes answered every request');
    for (const proc of survivors) {
      const reader = sameBrowser(posters[0]!.client, proc.url);
      const posts = await reader.api('GET', `/threads/${threadId}?limit=100`);
      assert.equal(posts.status, 200, posts.text);
      for (const body of acknowledged) assert.ok(posts.text.includes(body), `acknowledged reply "${body}" is kept, as ${proc.url} reads it`);
    }
    await until('another process running the delivery worker', () => survivors.some(holds), START_MS);
    // The check-in scan goes on too, in whichever process holds its lease now.
    const [owner, buddy] = [sameBrowser(posters[0]!.client, survivors[0]!.url), sameBrowser(posters[1]!.client, survivors[1]!.url)];
    await befriend({ client: owner, handle: posters[0]!.handle }, { client: buddy, handle: posters[1]!.handle });
    const checkinId = await overdueCheckin({ client: owner }, { client: buddy, handle: posters[1]!.handle });
    await until('the alarm after the kill', async () => (await alerts({ client: buddy }, checkinId)) >= 1, START_MS);
  });
});
