/**
 * Two workers on one database (a SQLite file, or with TEST_DATABASE_URL a PostgreSQL schema), started with the
 * real entry point (PARASOL_WORKERS=2) and reached over real HTTP and websockets. Requests and sockets go over a
 * new connection each, which node:cluster hands to the workers in turn, so consecutive ones reach both processes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Socket as ClientSocket } from 'socket.io-client';
import { Client, PASS } from '../helpers/client.js';
import { freePort, runEntry, withCheapHashing, type Running } from '../helpers/process.js';
import { BOUND_MS } from '../../server/store/postgres/change-feed.js';
import { onPostgres, testDatabaseFor, type TestDatabase } from '../helpers/test-database.js';
import { followActivity, Receiver, send, signedPost } from '../federation/receiver.js';
import { cookieOf, countOf, fresh, leaseHolders, listening, openSocket, signUp, subscribe, until, WAIT_MS, type Member } from './cluster-helpers.js';

const START_MS = 180_000;
const DELIVERY = 'federation-delivery';
const LOAD_TIMEOUT_MS = 5_000;

describe('two workers on one database (PARASOL_WORKERS=2)', function () {
  this.timeout(600_000);
  let dataDir: string;
  let database: TestDatabase | null;
  let port: number;
  let base: string;
  let run: Running;
  let admin: Client;
  let cookie: string;
  let threadId: string;
  const receiver = new Receiver();
  const sockets: ClientSocket[] = [];

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-cluster-'));
    database = await testDatabaseFor(dataDir);
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await receiver.start();
    run = runEntry('server/main.ts', [], withCheapHashing({
      ...(database ? { DATABASE_URL: database.url } : {}),
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: base,
      DATA_DIR: dataDir,
      NODE_ENV: 'test',
      PARASOL_WORKERS: '2',
      ALLOW_PRIVATE_NETWORK: 'true',
      FEDERATION_RETRY_BASE_SECONDS: '1',
      CHECKIN_GRACE_SECONDS: '1',
      CHECKIN_SCAN_SECONDS: '1',
      // A killed worker's jobs are taken over within about 3 s.
      JOB_LEASE_SECONDS: '2',
    }));
    const [, token] = await run.waitFor(/\/setup\/([A-Za-z0-9_-]+)/, START_MS);
    await until('two workers listening', START_MS, () => listening(run) >= 2);
    admin = new Client(base);
    assert.equal((await admin.api('POST', `/setup/${token}`, { handle: 'first_admin', passphrase: PASS })).status, 201);
    cookie = cookieOf(admin);
    const thread = await fresh(port, 'POST', '/api/v1/boards/general/threads', cookie, { title: 'Shared thread', body: 'first words' });
    assert.equal(thread.status, 201, thread.text);
    threadId = (JSON.parse(thread.text) as { thread: { id: string } }).thread.id;
  });

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  after(async () => {
    if (run.child.exitCode === null) {
      run.child.kill('SIGKILL');
      await run.exited();
    }
    await receiver.stop();
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it(`shows a reply made through one worker on the thread page and API answer of both, once the reply is acknowledged${onPostgres ? ` and ${BOUND_MS} ms have passed` : ''}`, async () => {
    // Both workers keep the visitor's page and the thread's JSON first, so a stale kept answer would show.
    for (let i = 0; i < 4; i++) assert.equal((await fresh(port, 'GET', `/t/${threadId}`, '')).status, 200);
    for (let i = 0; i < 4; i++) assert.equal((await fresh(port, 'GET', `/api/v1/threads/${threadId}`, '')).status, 200);
    const reply = await fresh(port, 'POST', `/api/v1/threads/${threadId}/posts`, cookie, { body: 'a reply seen everywhere' });
    assert.equal(reply.status, 201, reply.text);
    // The bound under test: on SQLite nothing (data_version is read before answering), on PostgreSQL the change
    // feed's (a process answers from memory only while it can vouch it heard every change older than that).
    if (onPostgres) await new Promise((resolve) => setTimeout(resolve, BOUND_MS));
    // Consecutive reads of one kind alternate between the workers (interleaved, each kind would stay on one).
    for (let i = 0; i < 4; i++) assert.match((await fresh(port, 'GET', `/t/${threadId}`, '')).text, /a reply seen everywhere/, `page read ${i}`);
    for (let i = 0; i < 4; i++) assert.match((await fresh(port, 'GET', `/api/v1/threads/${threadId}`, '')).text, /a reply seen everywhere/, `API read ${i}`);
  });

  it("drops both workers' kept answers the moment a moderator removes a post through one of them", async () => {
    const reply = await fresh(port, 'POST', `/api/v1/threads/${threadId}/posts`, cookie, { body: 'a reply about to be removed' });
    assert.equal(reply.status, 201, reply.text);
    const postId = (JSON.parse(reply.text) as { post: { id: string } }).post.id;
    // Kept by both workers and answered there before the middleware (visitors, no session cookie).
    for (let i = 0; i < 4; i++) assert.match((await fresh(port, 'GET', `/t/${threadId}`, '')).text, /a reply about to be removed/, `page read ${i}`);
    for (let i = 0; i < 4; i++) assert.match((await fresh(port, 'GET', `/api/v1/threads/${threadId}`, '')).text, /a reply about to be removed/, `API read ${i}`);
    const removed = await fresh(port, 'POST', `/api/v1/posts/${postId}/moderation`, cookie, { action: 'remove', reason: 'removed in the cluster test' });
    assert.equal(removed.status, 200, removed.text);
    // On PostgreSQL the moment is the change feed's bound after the moderator's answer, as above.
    if (onPostgres) await new Promise((resolve) => setTimeout(resolve, BOUND_MS));
    for (let i = 0; i < 4; i++) assert.doesNotMatch((await fresh(port, 'GET', `/t/${threadId}`, '')).text, /a reply about to be removed/, `page read ${i} after the removal`);
    for (let i = 0; i < 4; i++) assert.doesNotMatch((await fresh(port, 'GET', `/api/v1/threads/${threadId}`, '')).text, /a reply about to be removed/, `API read ${i} after the removal`);
  });

  it('holds a rate limit across both workers', async () => {
    // Sign-up allows 5 attempts per handle in its window; alternating workers would each allow 5 if counts were per process.
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await fresh(port, 'POST', '/api/v1/accounts', '', { handle: 'limited_handle', passphrase: PASS })).status);
    assert.ok(statuses.slice(0, 5).every((s) => s !== 429), `the first 5 attempts are counted, not refused: ${statuses.join(' ')}`);
    assert.deepEqual(statuses.slice(5), [429, 429], `refused after the shared budget: ${statuses.join(' ')}`);
  });

  it('brings every room message to the members on both workers, each once', async () => {
    const alice = await signUp(base, 'alice');
    const bob = await signUp(base, 'bob');
    const room = await admin.api('POST', '/rooms', { name: 'Peer support', purpose: 'peers', description: 'A safe place' });
    assert.equal(room.status, 201, room.text);
    const roomId = room.json.room.id as string;
    for (const who of [alice, bob]) {
      const made = await admin.api('POST', `/rooms/${roomId}/invites`, {});
      assert.equal((await who.client.api('POST', '/rooms/join', { code: made.json.code })).status, 201);
    }
    // Two sockets each, opened one right after the other: one on each worker.
    const [a1, a2, b1, b2] = [
      await openSocket(base, '/rooms', cookieOf(alice.client), sockets),
      await openSocket(base, '/rooms', cookieOf(alice.client), sockets),
      await openSocket(base, '/rooms', cookieOf(bob.client), sockets),
      await openSocket(base, '/rooms', cookieOf(bob.client), sockets),
    ];
    const all = [a1!, a2!, b1!, b2!];
    for (const s of all) await subscribe(s, `room:${roomId}`);
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) {
      const from = [a1!, b2!, a2!, b1!][i % 4]!;
      const answer = await from.socket.timeout(WAIT_MS).emitWithAck('send', { roomId, body: `message ${i}`, clientId: `c${i}` });
      assert.equal(answer.ok, true, JSON.stringify(answer));
      sent.push(answer.message.id as string);
    }
    // A duplicate travels the same way as the messages after it, so once the last has arrived, any would have.
    await until('every message on every socket', WAIT_MS, () => all.every((s) => sent.every((id) => countOf(s, 'message', 'id', id) >= 1)));
    for (const [i, s] of all.entries()) {
      for (const id of sent) assert.equal(countOf(s, 'message', 'id', id), 1, `socket ${i} got message ${id} once`);
    }
  });

  it('brings every private message to both members on both workers, each once', async () => {
    const ana = await signUp(base, 'ana');
    const bea = await signUp(base, 'bea');
    assert.equal((await bea.client.api('PUT', '/conversations/settings', { accept: 'everyone' })).status, 200);
    const started = await ana.client.api('POST', '/conversations', { to: [bea.handle], body: 'hello' });
    assert.equal(started.status, 201, started.text);
    const id = started.json.conversation.id as string;
    const request = (await bea.client.api('GET', '/conversations')).json.requests[0];
    assert.equal((await bea.client.api('POST', `/conversations/requests/${request.id}/accept`)).status, 200);
    const [a1, a2, b1, b2] = [
      await openSocket(base, '/conversations', cookieOf(ana.client), sockets),
      await openSocket(base, '/conversations', cookieOf(ana.client), sockets),
      await openSocket(base, '/conversations', cookieOf(bea.client), sockets),
      await openSocket(base, '/conversations', cookieOf(bea.client), sockets),
    ];
    const all = [a1!, a2!, b1!, b2!];
    for (const s of all) await subscribe(s, `conversation:${id}`);
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) {
      const from = [a1!, b2!, a2!, b1!][i % 4]!;
      const answer = await from.socket.timeout(WAIT_MS).emitWithAck('send', { conversationId: id, body: `private ${i}`, clientId: `p${i}` });
      assert.equal(answer.ok, true, JSON.stringify(answer));
      sent.push(answer.message.id as string);
    }
    await until('every message on every socket', WAIT_MS, () => all.every((s) => sent.every((m) => countOf(s, 'message', 'id', m) >= 1)));
    for (const [i, s] of all.entries()) {
      for (const m of sent) assert.equal(countOf(s, 'message', 'id', m), 1, `socket ${i} got message ${m} once`);
    }
  });

  it('alerts the buddies of an overdue check-in once, on sockets of both workers', async () => {
    const ana = await signUp(base, 'ana');
    const bea = await signUp(base, 'bea');
    assert.equal((await ana.client.api('POST', '/buddies', { handle: bea.handle })).status, 201);
    assert.equal((await bea.client.api('POST', '/buddies', { handle: ana.handle })).json.buddy.state, 'active');
    const live = [await openSocket(base, '/live', bea.cookie, sockets), await openSocket(base, '/live', bea.cookie, sockets)];
    for (const s of live) await subscribe(s, `account:${bea.id}`);
    const start = async (): Promise<string> => {
      const started = await fresh(port, 'POST', '/api/v1/checkins', ana.cookie, { expectedEnd: Date.now() + 1500, buddies: [bea.handle] });
      assert.equal(started.status, 201, started.text);
      return (JSON.parse(started.text) as { checkin: { id: string } }).checkin.id;
    };
    const first = await start();
    await until('the first alarm on both sockets', WAIT_MS, () => live.every((s) => countOf(s, 'buddy-alert', 'checkinId', first) >= 1));
    // Several scans later (one a second), whichever process made them, the first is still alerted once.
    const second = await start();
    await until('the second alarm on both sockets', WAIT_MS, () => live.every((s) => countOf(s, 'buddy-alert', 'checkinId', second) >= 1));
    for (const s of live) assert.equal(countOf(s, 'buddy-alert', 'checkinId', first), 1);
    const notes = (await bea.client.api('GET', '/notifications')).json.notifications as { kind: string; url: string }[];
    assert.equal(notes.filter((n) => n.kind === 'buddy_overdue' && n.url.endsWith(first)).length, 1, JSON.stringify(notes));
  });

  it('sends each queued delivery once, to a receiver on loopback, whichever worker queued it', async () => {
    const follower = receiver.actor('follower');
    const group = `${base}/ap/b/general`;
    assert.equal((await send(signedPost(`${group}/inbox`, follower, followActivity(follower, group)))).status, 200);
    await until('the Accept', WAIT_MS, () => receiver.posts((r) => r.json?.type === 'Accept').length >= 1);
    const titles = ['Delivered once 1', 'Delivered once 2', 'Delivered once 3', 'Delivered once 4'];
    for (const title of titles) {
      assert.equal((await fresh(port, 'POST', '/api/v1/boards/general/threads', cookie, { title, body: 'to the followers' })).status, 201);
    }
    const carrying = (title: string) => receiver.posts((r) => r.json?.type === 'Announce' && r.raw.includes(title));
    await until('every thread at the receiver', WAIT_MS, () => titles.every((t) => carrying(t).length >= 1));
    await until('an empty queue', WAIT_MS, async () => {
      const status = await fresh(port, 'GET', '/api/v1/federation/status', cookie);
      return (JSON.parse(status.text) as { pendingDeliveries: number }).pendingDeliveries === 0;
    });
    const ids = receiver.posts().map((r) => r.json?.id);
    assert.equal(new Set(ids).size, ids.length, `an activity arrived twice: ${JSON.stringify(ids)}`);
    for (const title of titles) assert.equal(carrying(title).length, 1, `${title} was announced once`);
  });

  it('closes the sockets on both workers when an account logs out everywhere', async () => {
    const carol = await signUp(base, 'carol');
    const live = [await openSocket(base, '/live', carol.cookie, sockets), await openSocket(base, '/live', carol.cookie, sockets)];
    for (const s of live) await subscribe(s, `account:${carol.id}`);
    const closed = live.map((s) => new Promise<void>((resolve) => s.socket.once('disconnect', () => resolve())));
    assert.equal((await carol.client.api('DELETE', '/sessions')).status, 200);
    await Promise.race([Promise.all(closed), new Promise((_, reject) => setTimeout(() => reject(new Error('a socket stayed open')), WAIT_MS))]);
  });

  it('loses nothing acknowledged when the worker running the jobs is killed under load; the other serves and takes the jobs over', async () => {
    const holders = leaseHolders(run, DELIVERY);
    const victim = holders[holders.length - 1]!;
    assert.ok(victim > 0, 'a worker logged that it runs the delivery job');
    const posters: Member[] = [await signUp(base, 'poster'), await signUp(base, 'poster'), await signUp(base, 'poster')];
    const acknowledged: string[] = [];
    let killed = false;
    // Each poster stays under the posting limit (10 a minute); a request to the killed worker may fail, unacknowledged.
    // One the primary had handed to the worker as it died is never answered (node:cluster keeps the primary's copy of
    // the connection open until the worker takes it): it is given up after LOAD_TIMEOUT_MS instead of WAIT_MS.
    const load = posters.map(async (poster, p) => {
      for (let i = 0; i < 8; i++) {
        const body = `under load ${p}-${i}`;
        const answer = await fresh(port, 'POST', `/api/v1/threads/${threadId}/posts`, poster.cookie, { body }, LOAD_TIMEOUT_MS).catch(() => null);
        if (answer?.status === 201) acknowledged.push(body);
        if (killed && i >= 6) break;
      }
    });
    await until('some replies before the kill', WAIT_MS, () => acknowledged.length >= 6);
    const before = listening(run);
    process.kill(victim, 'SIGKILL');
    killed = true;
    await Promise.all(load);
    await run.waitFor(/worker stopped; starting another/, START_MS);
    for (let i = 0; i < 6; i++) assert.equal((await fresh(port, 'GET', `/t/${threadId}`, '')).status, 200, `read ${i} after the kill`);
    // Read as a member: a visitor's kept answer is another test's subject.
    const posts = await fresh(port, 'GET', `/api/v1/threads/${threadId}?limit=100`, posters[0]!.cookie);
    for (const body of acknowledged) assert.ok(posts.text.includes(body), `acknowledged reply "${body}" is kept`);
    await until('another process running the delivery job', START_MS, () => leaseHolders(run, DELIVERY).length > holders.length);
    // The jobs go on in another process: an overdue check-in is alerted, and a post reaches the board's follower.
    const [owner, buddy] = [posters[0]!, posters[1]!];
    assert.equal((await fresh(port, 'POST', '/api/v1/buddies', owner.cookie, { handle: buddy.handle })).status, 201);
    assert.equal((await fresh(port, 'POST', '/api/v1/buddies', buddy.cookie, { handle: owner.handle })).status, 201);
    const checkin = await fresh(port, 'POST', '/api/v1/checkins', owner.cookie, { expectedEnd: Date.now() + 1500, buddies: [buddy.handle] });
    assert.equal(checkin.status, 201, checkin.text);
    const checkinId = (JSON.parse(checkin.text) as { checkin: { id: string } }).checkin.id;
    await until('the alarm after the kill', WAIT_MS, async () => {
      const notes = JSON.parse((await fresh(port, 'GET', '/api/v1/notifications', buddy.cookie)).text) as { notifications: { kind: string; url: string }[] };
      return notes.notifications.some((n) => n.kind === 'buddy_overdue' && n.url.endsWith(checkinId));
    });
    const after = await fresh(port, 'POST', '/api/v1/boards/general/threads', cookie, { title: 'After the kill', body: 'still federated' });
    assert.equal(after.status, 201, after.text);
    await until('the delivery after the kill', WAIT_MS, () => receiver.posts((r) => r.raw.includes('After the kill')).length >= 1);
    await until('a new worker', START_MS, () => listening(run) > before);
  });

  it('stops every process with exit code 0 within the grace period of SIGTERM (no forced exit)', async () => {
    const started = Date.now();
    run.child.kill('SIGTERM');
    const code = await run.exited();
    // The 5 s bound is the primary's and each worker's forced-exit timer: that none fired is the bound held.
    assert.doesNotMatch(run.output(), /forced exit/, `stopped in ${Date.now() - started} ms`);
    assert.equal(code, 0, run.output().slice(-2000));
  });
});
