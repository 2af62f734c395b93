import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { io as connectClient, type Socket as ClientSocket, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import { openStore } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/port.js';
import { accountsCollection, accountsCollections, sessionsCollection, type AccountDoc } from '../../server/accounts/accounts.collections.js';
import { SessionsService } from '../../server/accounts/sessions.service.js';
import { newId } from '../../server/crypto.js';
import { MemberKey } from '../../server/core/member-key.js';
import {
  attachRealtime,
  MAX_CHANNELS_PER_SOCKET,
  MAX_EVENT_BYTES,
  MAX_EVENTS_PER_WINDOW,
  type Realtime,
} from '../../server/realtime/realtime.js';

/** Long enough for a loaded 2-core machine; nothing waits for it unless something is wrong. */
const WAIT_MS = 5000;
const PUBLIC_ORIGIN = 'https://forum.example';

interface World {
  base: string;
  server: http.Server;
  store: Store;
  sessions: SessionsService;
  realtime: Realtime;
  logs: string[];
  /** Accounts (or null) that authorize() was called with, by family. */
  seen: Map<string, (AccountDoc | null)[]>;
  /** Member keys (or null) that authorize() was called with on the 'members' family. */
  keys: (MemberKey | null)[];
}

describe('realtime', function () {
  let dir: string;
  let world: World;
  const clients: ClientSocket[] = [];

  beforeEach(async function () {
    dir = mkdtempSync(path.join(tmpdir(), 'parasol-realtime-'));
    world = await startWorld(path.join(dir, 'db.sqlite'));
  });

  afterEach(async function () {
    for (const client of clients.splice(0)) client.disconnect();
    await world.realtime.close();
    await new Promise<void>((resolve) => {
      world.server.close(() => resolve());
      world.server.closeAllConnections();
    });
    await world.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Connects and resolves once connected; rejects with the connect_error. No reconnection, so failures stay visible. */
  function connect(nsp: string, options: Partial<ManagerOptions & SocketOptions> = {}): Promise<ClientSocket> {
    const client = connectClient(world.base + nsp, { transports: ['websocket'], reconnection: false, forceNew: true, ...options });
    clients.push(client);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no connection to ${nsp}`)), WAIT_MS);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve(client);
      });
      client.once('connect_error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  const withCookie = (token: string) => ({ extraHeaders: { cookie: `other=1; psl_session=${token}` } });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- acks are checked by shape
  const ask = (client: ClientSocket, event: string, ...args: unknown[]): Promise<any> => client.timeout(WAIT_MS).emitWithAck(event, ...args);

  function next<T = unknown>(client: ClientSocket, event: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} event`)), WAIT_MS);
      client.once(event, (payload: T) => {
        clearTimeout(timer);
        resolve(payload);
      });
    });
  }

  /** Records every event the client gets, to prove later that nothing else arrived. */
  function record(client: ClientSocket): string[] {
    const got: string[] = [];
    client.onAny((event: string, payload: unknown) => got.push(`${event} ${JSON.stringify(payload)}`));
    return got;
  }

  async function member(status: AccountDoc['status'] = 'active', key: MemberKey | null = MemberKey.generate()): Promise<{ account: AccountDoc; token: string; sessionId: string }> {
    const now = Date.now();
    const id = newId();
    const account: AccountDoc = {
      id,
      handle: `m_${id}`,
      handleLower: `m_${id}`.toLowerCase(),
      displayName: 'M',
      passHash: 'x',
      role: 'member',
      status,
      locale: null,
      recoveryCodes: [],
      createdAt: now,
      updatedAt: now,
    };
    await world.store.collection(accountsCollection).insert(account);
    const { token, session } = await world.sessions.start(account, key);
    return { account, token, sessionId: session.id };
  }

  describe('/live', function () {
    it('lets a visitor follow an open channel and receive what is published there', async function () {
      const client = await connect('/live');
      assert.deepEqual(await ask(client, 'subscribe', { channel: 'open:t1' }), { ok: true });
      const arrived = next(client, 'post');
      world.realtime.publish('open', 't1', 'post', { postId: 'p1' });
      assert.deepEqual(await arrived, { postId: 'p1' });
      assert.deepEqual(world.seen.get('open'), [null]);
    });

    it('sends no event over MAX_EVENT_BYTES (events carry ids, not content) and logs the bug without the payload', async function () {
      const client = await connect('/live');
      assert.deepEqual(await ask(client, 'subscribe', { channel: 'open:t1' }), { ok: true });
      const got = record(client);
      const content = 'a member’s words '.repeat(Math.ceil(MAX_EVENT_BYTES / 10));
      world.realtime.publish('open', 't1', 'post', { text: content });
      const arrived = next(client, 'post');
      world.realtime.publish('open', 't1', 'post', { postId: 'p2' });
      assert.deepEqual(await arrived, { postId: 'p2' });
      assert.deepEqual(got, ['post {"postId":"p2"}'], 'the oversized event never left');
      assert.equal(world.logs.length, 1);
      assert.match(world.logs[0]!, /events carry ids, not content/);
      assert.ok(!world.logs[0]!.includes('member’s words'), 'the log holds none of the payload');
    });

    it('works over long-polling alone (phones behind proxies that break WebSockets)', async function () {
      const client = await connect('/live', { transports: ['polling'] });
      assert.deepEqual(await ask(client, 'subscribe', { channel: 'open:t1' }), { ok: true });
      const arrived = next(client, 'post');
      world.realtime.publish('open', 't1', 'post', { postId: 'p2' });
      assert.deepEqual(await arrived, { postId: 'p2' });
    });

    it('refuses an unauthorised channel with a clear error, and delivers nothing from it', async function () {
      const client = await connect('/live');
      const got = record(client);
      const answer = await ask(client, 'subscribe', { channel: 'members:t9' });
      assert.equal(answer.ok, false);
      assert.equal(answer.error.code, 'forbidden');
      assert.match(answer.error.message, /not follow/);
      assert.deepEqual(await ask(client, 'subscribe', { channel: 'open:ping' }), { ok: true });

      const ping = next(client, 'ping');
      world.realtime.publish('members', 't9', 'post', { postId: 'secret' });
      world.realtime.publish('open', 'ping', 'ping', {});
      await ping;
      assert.deepEqual(got, ['ping {}']);
    });

    it('unsubscribe stops delivery', async function () {
      const client = await connect('/live');
      const got = record(client);
      assert.deepEqual(await ask(client, 'subscribe', { channel: 'open:t1' }), { ok: true });
      assert.deepEqual(await ask(client, 'subscribe', { channel: 'open:ping' }), { ok: true });
      assert.deepEqual(await ask(client, 'unsubscribe', { channel: 'open:t1' }), { ok: true });
      const ping = next(client, 'ping');
      world.realtime.publish('open', 't1', 'post', { postId: 'p1' });
      world.realtime.publish('open', 'ping', 'ping', {});
      await ping;
      assert.deepEqual(got, ['ping {}']);
    });

    it('shows authorize() the account behind a valid session cookie, and null behind a bad one', async function () {
      const { account, token } = await member();
      const signedIn = await connect('/live', withCookie(token));
      assert.deepEqual(await ask(signedIn, 'subscribe', { channel: 'members:t1' }), { ok: true });
      assert.equal(world.seen.get('members')?.[0]?.id, account.id);

      const forged = await connect('/live', withCookie('A'.repeat(43)));
      assert.equal((await ask(forged, 'subscribe', { channel: 'members:t1' })).error.code, 'forbidden');
      const garbage = await connect('/live', { extraHeaders: { cookie: 'psl_session=%%%; =;;' } });
      assert.equal((await ask(garbage, 'subscribe', { channel: 'members:t1' })).error.code, 'forbidden');
      assert.deepEqual(world.seen.get('members')?.slice(1), [null, null]);
    });

    it("carries the session's member key in the socket, for authorize() and handlers, and null for a session without one", async function () {
      const key = MemberKey.generate();
      const { token } = await member('active', key);
      const keyed = await connect('/live', withCookie(token));
      assert.deepEqual(await ask(keyed, 'subscribe', { channel: 'members:k1' }), { ok: true });
      assert.equal(world.keys[0]?.blind('room:r1'), key.blind('room:r1'), 'authorize() got the same key');
      const socket = world.realtime.nsp.sockets.get(keyed.id!);
      assert.ok(socket, 'the server-side socket is found');
      assert.equal(world.realtime.memberKey(socket)?.blind('room:r1'), key.blind('room:r1'));
      assert.ok(!JSON.stringify(socket.data).includes(key.exportBytes().toString('base64url')), 'socket data serialises without the key');

      const old = await member('active', null);
      const locked = await connect('/live', withCookie(old.token));
      assert.deepEqual(await ask(locked, 'subscribe', { channel: 'members:k1' }), { ok: true });
      assert.equal(world.keys[1], null);
    });

    it('reads the account afresh on every subscribe', async function () {
      const { account, token } = await member();
      const client = await connect('/live', withCookie(token));
      assert.deepEqual(await ask(client, 'subscribe', { channel: 'members:t1' }), { ok: true });
      await world.store.collection(accountsCollection).patch(account.id, { status: 'pending' });
      assert.equal((await ask(client, 'subscribe', { channel: 'members:t2' })).error.code, 'forbidden');
    });

    it('ends a connection whose session has expired, at its next event', async function () {
      const { token, sessionId } = await member();
      const client = await connect('/live', withCookie(token));
      assert.deepEqual(await ask(client, 'subscribe', { channel: 'members:t1' }), { ok: true });
      // Gone the way an expired session goes (swept), not through end(), which drops the socket at once.
      await world.store.collection(sessionsCollection).delete(sessionId);
      const gone = next(client, 'disconnect');
      assert.equal((await ask(client, 'subscribe', { channel: 'members:t2' })).error.code, 'session_ended');
      assert.equal(await gone, 'io server disconnect');
    });

    it('drops the sockets of a session the moment it ends (log-out everywhere), and only those', async function () {
      const { account, token } = await member();
      const other = await member();
      const mine = await connect('/live', withCookie(token));
      const theirs = await connect('/live', withCookie(other.token));
      const gone = next(mine, 'disconnect');
      assert.equal(await world.sessions.endAll(account.id), 1);
      assert.equal(await gone, 'io server disconnect', 'without waiting for its next event');
      assert.deepEqual(await ask(theirs, 'subscribe', { channel: 'members:t1' }), { ok: true }, 'another account is untouched');
    });

    it('answers forged payloads with an error or ignores them, and keeps serving', async function () {
      const client = await connect('/live');
      const got = record(client);
      const forged: unknown[][] = [
        [42],
        [[]],
        [{}],
        [null],
        ['open:t1'],
        [{ channel: 5 }],
        [{ channel: ['open:t1'] }],
        [{ channel: 'open:t1', extra: true }],
        [{ channel: 'x'.repeat(10 * 1024) }],
        [{ channel: 'open:bad id!' }],
        [{ channel: 'open:' }],
        [{ channel: 'Open:t1' }],
        [{ channel: '__proto__:t1' }],
        [],
        [{ channel: 'open:t1' }, 'extra'],
      ];
      for (const args of forged) {
        for (const event of ['subscribe', 'unsubscribe']) {
          const answer = await ask(client, event, ...args);
          assert.equal(answer.ok, false, `${event} ${JSON.stringify(args).slice(0, 60)}`);
          assert.equal(answer.error.code, 'bad_request');
          assert.equal(typeof answer.error.message, 'string');
        }
      }
      // Those thirty used up this socket's rate budget; the rest go to a fresh socket.
      const fresh = await connect('/live');
      const freshGot = record(fresh);
      assert.equal((await ask(fresh, 'subscribe', { channel: 'nope:t1' })).error.code, 'unknown_channel');
      assert.equal((await ask(fresh, 'unsubscribe', { channel: 'nope:t1' })).error.code, 'unknown_channel');
      fresh.emit('subscribe', { channel: 'open:noack' });
      fresh.emit('subscribe');
      fresh.emit('unsubscribe', 'x'.repeat(10 * 1024));
      assert.deepEqual(await ask(fresh, 'subscribe', { channel: 'open:ping' }), { ok: true });
      const ping = next(fresh, 'ping');
      world.realtime.publish('open', 'noack', 'post', { postId: 'p1' });
      world.realtime.publish('open', 'ping', 'ping', {});
      await ping;
      assert.deepEqual(freshGot, ['ping {}']);
      assert.ok(client.connected && fresh.connected, 'both sockets are still connected');
      assert.deepEqual(got, []);
    });

    it('drops a connection that sends more than 16 KB at once, and keeps serving others', async function () {
      const client = await connect('/live');
      const gone = next<string>(client, 'disconnect');
      client.emit('subscribe', { channel: 'x'.repeat(20 * 1024) }, () => assert.fail('no answer expected'));
      assert.match(await gone, /transport (close|error)/);
      const other = await connect('/live');
      assert.deepEqual(await ask(other, 'subscribe', { channel: 'open:t1' }), { ok: true });
    });

    it(`caps a socket at ${MAX_CHANNELS_PER_SOCKET} channels`, async function () {
      const client = await connect('/live');
      const answers = await Promise.all(
        Array.from({ length: MAX_CHANNELS_PER_SOCKET + 1 }, (_, i) => ask(client, 'subscribe', { channel: `open:t${i}` })),
      );
      assert.equal(answers.filter((a) => a.ok).length, MAX_CHANNELS_PER_SOCKET);
      assert.equal(answers.find((a) => !a.ok).error.code, 'too_many_channels');
      assert.deepEqual(await ask(client, 'subscribe', { channel: 'open:t0' }), { ok: true }, 'already followed is fine');
    });

    it(`rate-limits a socket to ${MAX_EVENTS_PER_WINDOW} subscribe/unsubscribe events per window`, async function () {
      const client = await connect('/live');
      const answers = await Promise.all(
        Array.from({ length: MAX_EVENTS_PER_WINDOW + 1 }, (_, i) => ask(client, 'unsubscribe', { channel: `open:t${i}` })),
      );
      assert.equal(answers.filter((a) => a.ok).length, MAX_EVENTS_PER_WINDOW);
      assert.equal(answers.at(-1).error.code, 'rate_limited');
    });

    it('answers an internal error when authorize() throws, and logs no address or cookie', async function () {
      const { token } = await member();
      const client = await connect('/live', withCookie(token));
      assert.equal((await ask(client, 'subscribe', { channel: 'broken:t1' })).error.code, 'internal');
      assert.equal(world.logs.length, 1);
      assert.match(world.logs[0]!, /channel authorisation failed/);
      assert.doesNotMatch(world.logs[0]!, /127\.0\.0\.1|psl_session|cookie/i);
      assert.ok(!world.logs[0]!.includes(token), 'the log holds no session token');
      assert.deepEqual(await ask(client, 'subscribe', { channel: 'open:t1' }), { ok: true });
    });

    it('refuses publishing to an undeclared family or a malformed id (a bug in the caller)', function () {
      assert.throws(() => world.realtime.publish('nope', 't1', 'post', {}), /undeclared or malformed/);
      assert.throws(() => world.realtime.publish('open', 'a:b', 'post', {}), /undeclared or malformed/);
      assert.throws(() => world.realtime.channel('open', async () => true), /duplicate/);
      assert.throws(() => world.realtime.channel('Bad:family', async () => true), /bad/);
    });
  });

  describe('handshake origin', function () {
    it('accepts the public origin and the request’s own origin, and refuses any other', async function () {
      await connect('/live', { extraHeaders: { origin: PUBLIC_ORIGIN } });
      await connect('/live', { extraHeaders: { origin: world.base } });
      await connect('/live', { transports: ['polling'], extraHeaders: { origin: world.base } });
      for (const origin of ['https://evil.example', 'null', 'http://forum.example', `${world.base}.evil.example`]) {
        await assert.rejects(connect('/live', { extraHeaders: { origin } }), /websocket error/, origin);
        await assert.rejects(connect('/live', { transports: ['polling'], extraHeaders: { origin } }), /xhr poll error/, origin);
      }
      await assert.rejects(connect('/live', { extraHeaders: { 'sec-fetch-site': 'cross-site' } }), /websocket error/);
    });

    it('answers a refused polling handshake with 403 and no CORS headers', async function () {
      const res = await fetch(`${world.base}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } });
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
      const ok = await fetch(`${world.base}/socket.io/?EIO=4&transport=polling`);
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('access-control-allow-origin'), null);
      assert.equal((await fetch(`${world.base}/socket.io/socket.io.js`)).status, 400, 'the client bundle is not served by socket.io');
    });
  });

  describe('a namespace that requires a session', function () {
    let rooms: ReturnType<Realtime['namespace']>;

    beforeEach(function () {
      rooms = world.realtime.namespace('/rooms', { requireAccount: true });
      rooms.channel('room', async (account) => account !== null);
    });

    it('refuses a visitor at the handshake with a clear connect_error', async function () {
      const error = (await connect('/rooms').then(
        () => assert.fail('connected'),
        (e: unknown) => e,
      )) as Error & { data?: { code: string; message: string } };
      assert.equal(error.message, 'session_required');
      assert.equal(error.data?.code, 'session_required');
      assert.match(error.data?.message ?? '', /Log in/);
      await assert.rejects(connect('/rooms', withCookie('B'.repeat(43))), /session_required/);
    });

    it('admits a member, re-reads the account per event, evicts, and disconnects a deleted account', async function () {
      const { account, token } = await member();
      const client = await connect('/rooms', withCookie(token));
      const got = record(client);
      const server = rooms.nsp.sockets.values().next().value!;
      assert.equal((await rooms.account(server))?.id, account.id);

      assert.deepEqual(await ask(client, 'subscribe', { channel: 'room:r1' }), { ok: true });
      assert.deepEqual(await ask(client, 'subscribe', { channel: 'room:r2' }), { ok: true });
      rooms.evict('room', 'r1', account.id);
      const ping = next(client, 'ping');
      rooms.publish('room', 'r1', 'message', { messageId: 'm1' });
      rooms.publish('room', 'r2', 'ping', {});
      await ping;
      assert.deepEqual(got, ['ping {}']);

      const gone = next(client, 'disconnect');
      world.realtime.disconnectAccount(account.id);
      assert.equal(await gone, 'io server disconnect');
    });

    it('closes every socket of the account but the acting session’s, in every namespace', async function () {
      const { account, token, sessionId } = await member();
      const phone = await world.sessions.start(account, MemberKey.generate());
      const acting = await connect('/live', withCookie(token));
      const phoneLive = await connect('/live', withCookie(phone.token));
      const phoneRooms = await connect('/rooms', withCookie(phone.token));
      const gone = [next(phoneLive, 'disconnect'), next(phoneRooms, 'disconnect')];
      world.realtime.disconnectAccount(account.id, sessionId);
      assert.deepEqual(await Promise.all(gone), ['io server disconnect', 'io server disconnect']);
      assert.deepEqual(await ask(acting, 'subscribe', { channel: 'members:t2' }), { ok: true }, 'the acting session’s socket stays');
    });

    it('account() disconnects a socket whose account was deleted', async function () {
      const { account, token } = await member();
      const client = await connect('/rooms', withCookie(token));
      const server = rooms.nsp.sockets.values().next().value!;
      await world.store.collection(accountsCollection).patch(account.id, { status: 'deleted' });
      const gone = next(client, 'disconnect');
      assert.equal(await rooms.account(server), null);
      assert.equal(await gone, 'io server disconnect');
    });

    it('keeps /live channels and /rooms channels apart', async function () {
      const { token } = await member();
      const live = await connect('/live', withCookie(token));
      assert.equal((await ask(live, 'subscribe', { channel: 'room:r1' })).error.code, 'unknown_channel');
      assert.throws(() => world.realtime.namespace('/rooms', { requireAccount: true }), /duplicate/);
    });
  });

  describe('close()', function () {
    it('disconnects sockets, refuses new ones, and leaves the HTTP server answering', async function () {
      const client = await connect('/live');
      const gone = next(client, 'disconnect');
      await world.realtime.close();
      assert.equal(await gone, 'transport close');
      await assert.rejects(connect('/live'), /websocket error/);
      await assert.rejects(connect('/live', { transports: ['polling'] }), /xhr poll error/);
      const res = await fetch(`${world.base}/hello`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'hello');
    });
  });
});

async function startWorld(file: string): Promise<World> {
  const store = await openStore('sqlite:' + file);
  await store.declare(accountsCollections);
  const sessions = new SessionsService(store, 3_600_000);
  const logs: string[] = [];
  const logger = pino(
    { level: 'info', base: undefined },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        done();
      },
    }),
  );
  const app = express();
  app.get('/hello', (_req, res) => {
    res.type('text/plain').send('hello');
  });
  const server = http.createServer(app);
  const realtime = attachRealtime(server, { sessions, logger, publicOrigin: PUBLIC_ORIGIN });
  // As the app wires them: ending a session drops its sockets at once.
  sessions.onEnded((ids) => realtime.disconnectSessions(ids));
  const seen = new Map<string, (AccountDoc | null)[]>();
  const note = (family: string, account: AccountDoc | null) => seen.set(family, [...(seen.get(family) ?? []), account]);
  realtime.channel('open', async (account) => {
    note('open', account);
    return true;
  });
  const keys: (MemberKey | null)[] = [];
  realtime.channel('members', async (account, _id, key) => {
    note('members', account);
    keys.push(key);
    return account?.status === 'active';
  });
  realtime.channel('broken', async () => {
    throw new Error('database on fire');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, server, store, sessions, realtime, logs, seen, keys };
}
