import assert from 'node:assert/strict';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { messagesCollection } from '../../server/rooms/rooms.collections.js';
import { invite, newRoom, say } from './helpers.js';

/** Long enough for a loaded 2-core machine; nothing waits for it unless something is wrong. */
const WAIT_MS = 5000;
/** How long "nothing arrives" is watched for: far longer than a delivery on loopback takes. */
const QUIET_MS = 400;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- acks and payloads are checked by shape
type Json = any;

describe('rooms over socket.io', function () {
  let inst: TestInstance;
  let fac: Person;
  let alice: Person;
  let bob: Person;
  const sockets: ClientSocket[] = [];

  before(async () => {
    inst = await startInstance({
      // The real per-member message limit, so that flooding is refused as in production.
      config: (c) => ({ ...c, rateLimits: { ...c.rateLimits, roomMessages: { perKey: 20, overall: 10_000, windowSeconds: 10 } } }),
    });
    fac = await moderator(inst, await admin(inst));
    alice = await member(inst, 'alice');
    bob = await member(inst, 'bob');
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  after(async () => inst.close());

  function connect(who: Person | null): Promise<ClientSocket> {
    const cookie = who ? `psl_session=${who.client.cookies.get('psl_session')}` : 'psl_session=not-a-session';
    const socket = connectClient(`${inst.url}/rooms`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie } });
    sockets.push(socket);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no connection')), WAIT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once('connect_error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  const ask = (socket: ClientSocket, event: string, ...args: unknown[]): Promise<Json> => socket.timeout(WAIT_MS).emitWithAck(event, ...args);

  async function join(who: Person, roomId: string): Promise<ClientSocket> {
    const socket = await connect(who);
    assert.deepEqual(await ask(socket, 'subscribe', { channel: `room:${roomId}` }), { ok: true });
    return socket;
  }

  function next(socket: ClientSocket, event: string): Promise<Json> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} event`)), WAIT_MS);
      socket.once(event, (payload: Json) => {
        clearTimeout(timer);
        resolve(payload);
      });
    });
  }

  function record(socket: ClientSocket): string[] {
    const got: string[] = [];
    socket.onAny((event: string, payload: Json) => got.push(`${event} ${JSON.stringify(payload)}`));
    return got;
  }

  const quiet = () => new Promise((resolve) => setTimeout(resolve, QUIET_MS));
  const stored = (roomId: string) => inst.parasol.ctx.store.collection(messagesCollection).count({ roomId });
  let clientIds = 0;
  const clientId = () => `test-${++clientIds}`;

  it('refuses the handshake without a valid session', async () => {
    await assert.rejects(connect(null), (error: Error & { data?: { code: string } }) => error.message === 'session_required' && error.data?.code === 'session_required');
  });

  it('stores a sent message before every member receives it, in one payload for all', async () => {
    const room = await newRoom(fac);
    await invite(fac, room.id, alice, { alias: 'Willow' });
    await invite(fac, room.id, bob);
    const [a, b, f] = [await join(alice, room.id), await join(bob, room.id), await join(fac, room.id)];
    const arrivals = [next(a, 'message'), next(b, 'message'), next(f, 'message')];
    const answer = await ask(a, 'send', { roomId: room.id, body: 'Hello _all_', clientId: 'first' });
    assert.equal(answer.ok, true, JSON.stringify(answer));
    assert.equal(answer.clientId, 'first');
    assert.equal(await stored(room.id), 1, 'acknowledged only once stored');
    const received = await Promise.all(arrivals);
    for (const payload of received) assert.deepEqual(payload, answer.message);
    assert.deepEqual(answer.message.author, { kind: 'alias', label: 'Willow' });
    assert.match(answer.message.html, /<em>all<\/em>/);
    assert.deepEqual(Object.keys(answer.message).sort(), ['author', 'createdAt', 'cursor', 'editedAt', 'html', 'id', 'reactions', 'replyTo', 'roomId']);
    assert.ok(!JSON.stringify(received).includes(alice.handle), 'no event names the author’s account');

    const edited = next(b, 'message-edited');
    await alice.client.api('PATCH', `/rooms/${room.id}/messages/${answer.message.id}`, { body: 'Hello everyone' });
    assert.equal((await edited).id, answer.message.id);
    const reaction = next(a, 'reaction');
    await bob.client.api('POST', `/rooms/${room.id}/messages/${answer.message.id}/reactions`, { kind: 'heart' });
    assert.equal((await reaction).reactions.heart, 1);
    const pinned = next(b, 'pin');
    await fac.client.api('POST', `/rooms/${room.id}/pins`, { title: 'Clinics', body: 'Open on Mondays' });
    assert.equal((await pinned).pins[0].title, 'Clinics');
    const deleted = next(b, 'message-deleted');
    await alice.client.api('DELETE', `/rooms/${room.id}/messages/${answer.message.id}`);
    assert.deepEqual(await deleted, { id: answer.message.id });
  });

  it('re-reads the session on every event: after logging out, a send is refused and the socket dropped', async () => {
    const room = await newRoom(fac);
    const carol = await member(inst, 'carol');
    await invite(fac, room.id, carol);
    const socket = await join(carol, room.id);
    const dropped = next(socket, 'disconnect');
    assert.equal((await carol.client.api('DELETE', '/sessions/current')).status, 204);
    socket.emit('send', { roomId: room.id, body: 'after logging out', clientId: clientId() }, () => assert.fail('no answer expected from a dropped socket'));
    await dropped;
    assert.equal(await stored(room.id), 0);
  });

  it('refuses the room channel to non-members', async () => {
    const room = await newRoom(fac);
    const socket = await connect(bob);
    const answer = await ask(socket, 'subscribe', { channel: `room:${room.id}` });
    assert.equal(answer.error.code, 'forbidden');
  });

  it('stops delivering to a removed member at once, and tells them', async () => {
    const room = await newRoom(fac);
    await invite(fac, room.id, alice);
    await invite(fac, room.id, bob);
    const [a, b] = [await join(alice, room.id), await join(bob, room.id)];
    const removed = next(b, 'member-removed');
    const bobId = (await bob.client.api('GET', `/rooms/${room.id}`)).json.room.membership.id as string;
    assert.equal((await fac.client.api('DELETE', `/rooms/${room.id}/members/${bobId}`)).status, 204);
    assert.deepEqual(await removed, { roomId: room.id });
    const got = record(b);
    const arrived = next(a, 'message');
    await say(fac, room.id, 'after the removal');
    await arrived;
    await quiet();
    assert.deepEqual(got, []);
    assert.equal((await ask(b, 'subscribe', { channel: `room:${room.id}` })).error.code, 'forbidden');
    const send = await ask(b, 'send', { roomId: room.id, body: 'still here?', clientId: clientId() });
    assert.equal(send.ok, false);
    assert.equal(send.error.code, 'room_not_found');
  });

  it('catches up after a reconnection with no duplicates and no gaps, over the socket and over HTTP', async () => {
    const room = await newRoom(fac);
    await invite(fac, room.id, alice);
    let a = await join(alice, room.id);
    const seen = new Map<string, string>();
    const keep = (m: Json) => seen.set(m.id, m.cursor);
    a.on('message', keep);
    const first = next(a, 'message');
    await say(fac, room.id, 'before the break');
    await first;
    const cursor = [...seen.values()].pop()!;
    a.disconnect();

    const missed: string[] = [];
    for (let i = 0; i < 7; i++) missed.push((await say(fac, room.id, `while away ${i}`)).id);
    a = await join(alice, room.id);
    a.on('message', keep);
    const live = next(a, 'message');
    const caught = await ask(a, 'catch-up', { roomId: room.id, after: cursor });
    assert.equal(caught.ok, true);
    caught.messages.forEach(keep);
    const later = await say(fac, room.id, 'after coming back');
    await live;
    // A message may come both live and in the catch-up: de-duplicated by id, as client/room.js does.
    assert.deepEqual([...seen.keys()].slice(1), [...missed, later.id]);
    assert.deepEqual(caught.messages.map((m: Json) => m.id).slice(0, 7), missed);

    const overHttp = await alice.client.api('GET', `/rooms/${room.id}/messages?after=${cursor}`);
    assert.deepEqual(overHttp.json.messages.map((m: Json) => m.id), [...missed, later.id]);
  });

  it('answers forged payloads with an error or ignores them, changes nothing, and keeps serving', async () => {
    const room = await newRoom(fac);
    const other = await newRoom(fac);
    await invite(fac, room.id, alice);
    const a = await join(alice, room.id);
    const before = await stored(room.id);
    const cases: [unknown[], string][] = [
      [[{ roomId: room.id, body: 42, clientId: 'x1' }], 'validation_failed'],
      [[{ roomId: room.id, body: 'hi' }], 'validation_failed'],
      [[{ roomId: room.id, body: 'hi', clientId: 'x2', extra: 1 }], 'validation_failed'],
      [[{ roomId: '../etc', body: 'hi', clientId: 'x3' }], 'validation_failed'],
      [[{ roomId: room.id, body: 'x'.repeat(4001), clientId: 'x4' }], 'validation_failed'],
      [[{ roomId: room.id, body: '', clientId: 'x5' }], 'validation_failed'],
      [['not an object'], 'validation_failed'],
      [[null], 'validation_failed'],
      [[{ roomId: room.id, body: 'hi', clientId: 'x6' }, 'surplus'], 'bad_request'],
      [[{ roomId: other.id, body: 'into another room', clientId: 'x7' }], 'room_not_found'],
      [[{ roomId: 'AAAAAAAAAAAAAAAA', body: 'nowhere', clientId: 'x8' }], 'room_not_found'],
      [[{ roomId: room.id, body: 'reply', replyTo: 'AAAAAAAAAAAAAAAA', clientId: 'x9' }], 'reply_invalid'],
    ];
    for (const [args, code] of cases) {
      const answer = await ask(a, 'send', ...args);
      assert.equal(answer.ok, false, JSON.stringify(args));
      assert.equal(answer.error.code, code, JSON.stringify(args));
      assert.ok(answer.error.message.length > 5, 'the refusal carries a message');
    }
    a.emit('send', { roomId: room.id, body: 'no ack', clientId: 'x10' });
    a.emit('send');
    a.emit('catch-up', { roomId: room.id, after: '0' });
    assert.equal((await ask(a, 'catch-up', { roomId: room.id, after: 'abc' })).error.code, 'validation_failed');
    assert.equal((await ask(a, 'catch-up', { roomId: other.id, after: '0' })).error.code, 'room_not_found');
    assert.equal((await ask(a, 'read', { roomId: room.id })).error.code, 'validation_failed');
    await quiet();
    assert.equal(await stored(room.id), before);
    assert.equal(await stored(other.id), 0);

    const script = await ask(a, 'send', { roomId: room.id, body: '<script>alert(1)</script><img src=x onerror=alert(1)> [x](javascript:alert(1))', clientId: 'x11' });
    assert.equal(script.ok, true);
    assert.ok(!/<script|<img|<a /i.test(script.message.html), script.message.html);
    assert.match(script.message.html, /&lt;script&gt;/, 'typed HTML shows as text');
    assert.equal((await ask(a, 'read', { roomId: room.id, cursor: script.message.cursor })).ok, true);
  });

  it('refuses muted members and read-only rooms over the socket with a clear error', async () => {
    const room = await newRoom(fac);
    await invite(fac, room.id, alice);
    const a = await join(alice, room.id);
    const aliceId = (await alice.client.api('GET', `/rooms/${room.id}`)).json.room.membership.id as string;
    await fac.client.api('POST', `/rooms/${room.id}/members/${aliceId}/mute`, { minutes: 10 });
    const muted = await ask(a, 'send', { roomId: room.id, body: 'hello', clientId: clientId() });
    assert.equal(muted.error.code, 'room_muted');
    assert.match(muted.error.message, /muted/);
    await fac.client.api('POST', `/rooms/${room.id}/members/${aliceId}/mute`, { minutes: 0 });
    await fac.client.api('PATCH', `/rooms/${room.id}`, { readOnly: true });
    assert.equal((await ask(a, 'send', { roomId: room.id, body: 'hello', clientId: clientId() })).error.code, 'room_read_only');
    assert.equal(await stored(room.id), 0);
  });

  it('rate-limits each member’s messages with a clear error, and stores nothing refused', async () => {
    const room = await newRoom(fac);
    await invite(fac, room.id, bob);
    const b = await join(bob, room.id);
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => ask(b, 'send', { roomId: room.id, body: `flood ${i}`, clientId: `flood-${i}` })));
    const refused = answers.filter((x) => !x.ok);
    assert.equal(answers.filter((x) => x.ok).length, 20);
    assert.equal(refused.length, 4);
    for (const r of refused) {
      assert.equal(r.error.code, 'rate_limited');
      assert.match(r.error.message, /Wait \d+ seconds?/);
      assert.ok(r.error.retryAfter >= 1, `retryAfter ${r.error.retryAfter}`);
    }
    assert.equal(await stored(room.id), 20);
    const viaApi = await bob.client.api('POST', `/rooms/${room.id}/messages`, { body: 'one more' });
    assert.equal(viaApi.status, 429, 'the API shares the same budget');
  });

  it('counts distinct members with the room open, and nothing else about presence', async () => {
    const room = await newRoom(fac);
    await invite(fac, room.id, alice);
    const f = await join(fac, room.id);
    const counts: number[] = [];
    f.on('presence', (p: Json) => {
      assert.deepEqual(Object.keys(p), ['online']);
      counts.push(p.online);
    });
    await join(alice, room.id);
    await join(alice, room.id);
    const online = (await fac.client.api('GET', `/rooms/${room.id}`)).json.room.online;
    assert.equal(online, 2, 'two tabs of one member count once');
    // Presence is sent once the joins settle (debounced): wait (bounded by next()) for the event that reports the same count.
    while (counts[counts.length - 1] !== online) await next(f, 'presence');
  });

  it('tells everyone when the room closes and delivers nothing after', async () => {
    const room = await newRoom(fac);
    await invite(fac, room.id, alice);
    const a = await join(alice, room.id);
    const closed = next(a, 'room-closed');
    assert.equal((await fac.client.api('DELETE', `/rooms/${room.id}`)).status, 204);
    assert.deepEqual(await closed, { roomId: room.id });
    assert.equal((await ask(a, 'subscribe', { channel: `room:${room.id}` })).error.code, 'forbidden');
  });
});
