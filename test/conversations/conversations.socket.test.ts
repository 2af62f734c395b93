import assert from 'node:assert/strict';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { member, type Person } from '../helpers/people.js';
import { conversationMessagesCollection } from '../../server/conversations/conversations.collections.js';
import { acceptOnly, inbox, openToEveryone, say, start } from './helpers.js';
import { apiWithPhotos } from '../media/helpers.js';
import { noisyPixels } from '../media/fixtures.js';

/** Long enough for a loaded 2-core machine; nothing waits for it unless something is wrong. */
const WAIT_MS = 5000;
/** How long "nothing arrives" is watched for: far longer than a delivery on loopback takes. */
const QUIET_MS = 400;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- acks and payloads are checked by shape
type Json = any;

describe('private conversations over socket.io', function () {
  let inst: TestInstance;
  const sockets: ClientSocket[] = [];

  before(async () => {
    inst = await startInstance();
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  after(async () => inst.close());

  function connect(who: Person | null): Promise<ClientSocket> {
    const cookie = who ? `psl_session=${who.client.cookies.get('psl_session')}` : 'psl_session=not-a-session';
    const socket = connectClient(`${inst.url}/conversations`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie } });
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

  async function join(who: Person, conversationId: string): Promise<ClientSocket> {
    const socket = await connect(who);
    assert.deepEqual(await ask(socket, 'subscribe', { channel: `conversation:${conversationId}` }), { ok: true });
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
  const stored = (conversationId: string) => inst.parasol.ctx.store.collection(conversationMessagesCollection).count({ conversationId });

  async function conversation(): Promise<{ ana: Person; bea: Person; id: string }> {
    const ana = await member(inst, 'ana');
    const bea = await member(inst, 'bea');
    await openToEveryone(bea);
    const id = await start(ana, [bea]);
    await acceptOnly(bea);
    return { ana, bea, id };
  }

  it('refuses the handshake without a valid session', async () => {
    await assert.rejects(connect(null), (error: Error & { data?: { code: string } }) => error.message === 'session_required');
  });

  it('stores a message before both participants receive it, in one payload that names no account', async () => {
    const { ana, bea, id } = await conversation();
    const [a, b] = [await join(ana, id), await join(bea, id)];
    const arrivals = [next(a, 'message'), next(b, 'message')];
    const answer = await ask(b, 'send', { conversationId: id, body: 'on my way', clientId: 'c1' });
    assert.equal(answer.ok, true, JSON.stringify(answer));
    assert.equal(await stored(id), 2, 'acknowledged only once stored');
    for (const payload of await Promise.all(arrivals)) assert.deepEqual(payload, answer.message);
    assert.deepEqual(Object.keys(answer.message).sort(), ['body', 'conversationId', 'createdAt', 'cursor', 'id', 'photos', 'place']);
    assert.ok(!JSON.stringify(answer).includes(bea.handle) && !JSON.stringify(answer).includes(bea.id), 'no event names the author’s account');

    const again = await ask(b, 'send', { conversationId: id, body: 'on my way', clientId: 'c1' });
    assert.equal(again.message.id, answer.message.id, 'a retry answers the stored message');
    assert.equal(await stored(id), 2);

    const deleted = next(a, 'message-deleted');
    assert.equal((await bea.client.api('DELETE', `/conversations/${id}/messages/${answer.message.id}`)).status, 204);
    assert.deepEqual(await deleted, { id: answer.message.id });
  });

  it('lets only participants follow a conversation: a third member can neither join nor send', async () => {
    const { ana, id } = await conversation();
    const eve = await member(inst, 'eve');
    const a = await join(ana, id);
    const socket = await connect(eve);
    const got = record(socket);
    assert.equal((await ask(socket, 'subscribe', { channel: `conversation:${id}` })).error.code, 'forbidden');
    const send = await ask(socket, 'send', { conversationId: id, body: 'let me in', clientId: 'e1' });
    assert.equal(send.ok, false);
    assert.equal(send.error.code, 'not_found');
    const catchUp = await ask(socket, 'catch-up', { conversationId: id, after: '0' });
    assert.equal(catchUp.error.code, 'not_found');
    const arrived = next(a, 'message');
    await say(ana, id, 'only for bea');
    await arrived;
    await quiet();
    assert.deepEqual(got, []);
    assert.equal(await stored(id), 2);
  });

  it('a blocked member sees the other leave, and the blocker’s sockets stop receiving at once', async () => {
    const { ana, bea, id } = await conversation();
    const [a, b] = [await join(ana, id), await join(bea, id)];
    const left = next(a, 'left');
    const removed = next(b, 'removed');
    assert.equal((await bea.client.api('POST', `/conversations/${id}/block`, { place: 0 })).status, 204);
    assert.deepEqual(await left, { place: 1 }, 'exactly what a leave sends');
    assert.deepEqual(await removed, { conversationId: id });
    const got = record(b);
    const own = next(a, 'message');
    await say(ana, id, 'are you there?');
    await own;
    await quiet();
    assert.deepEqual(got, []);
    assert.equal((await ask(b, 'subscribe', { channel: `conversation:${id}` })).error.code, 'forbidden');
  });

  it('tells open pages of someone joining, a shorter retention and a message’s photos, in ids and values only', async () => {
    const ana = await member(inst, 'ana');
    const bea = await member(inst, 'bea');
    const cat = await member(inst, 'cat');
    for (const p of [bea, cat]) await openToEveryone(p);
    const id = await start(ana, [bea, cat], 'a small group', { retentionDays: 30 });
    await acceptOnly(bea);
    const a = await join(ana, id);
    const joined = next(a, 'joined');
    const request = (await inbox(cat)).requests[0]!;
    assert.equal((await cat.client.api('POST', `/conversations/requests/${request.id}/accept`)).status, 200);
    assert.deepEqual(await joined, { place: 2 });
    const retention = next(a, 'retention');
    assert.equal((await cat.client.api('PUT', `/conversations/${id}/retention`, { retentionDays: 7 })).status, 200);
    assert.deepEqual(await retention, { retentionDays: 7 });

    const arrived = next(a, 'message');
    const photo = { bytes: await (await noisyPixels(80, 60, 2)).jpeg().toBuffer() };
    const sent = await apiWithPhotos(bea.client, `/conversations/${id}/messages`, { body: 'see this' }, [photo], { alt: 'The car' });
    assert.equal(sent.status, 201, sent.text);
    const message = await arrived;
    assert.deepEqual(message, sent.json.message);
    assert.deepEqual(message.photos.map((p: Json) => [p.url, p.alt]), [[sent.json.photos[0].url, 'The car']]);
  });

  it('catches up after a reconnection with no duplicates and no gaps', async () => {
    const { ana, bea, id } = await conversation();
    let b = await join(bea, id);
    const first = next(b, 'message');
    await say(ana, id, 'before the break');
    const cursor = (await first).cursor as string;
    b.disconnect();
    const missed: string[] = [];
    for (let i = 0; i < 5; i++) missed.push((await say(ana, id, `while away ${i}`)).id);
    b = await join(bea, id);
    const caught = await ask(b, 'catch-up', { conversationId: id, after: cursor });
    assert.equal(caught.ok, true);
    assert.deepEqual(caught.messages.map((m: Json) => m.id), missed);
    assert.equal((await ask(b, 'read', { conversationId: id, cursor: caught.messages[4].cursor })).ok, true);
    const listed = (await bea.client.api('GET', '/conversations')).json.conversations.find((c: Json) => c.id === id);
    assert.equal(listed.unread, 0);
  });

  it('answers forged payloads with an error, changes nothing, and keeps serving', async () => {
    const { bea, id } = await conversation();
    const b = await join(bea, id);
    const cases: [unknown, string][] = [
      [{ conversationId: id, body: 42, clientId: 'x1' }, 'validation_failed'],
      [{ conversationId: id, body: 'hi' }, 'validation_failed'],
      [{ conversationId: id, body: 'hi', clientId: 'x2', extra: 1 }, 'validation_failed'],
      [{ conversationId: '../etc', body: 'hi', clientId: 'x3' }, 'validation_failed'],
      [{ conversationId: id, body: 'x'.repeat(4001), clientId: 'x4' }, 'validation_failed'],
      ['not an object', 'validation_failed'],
    ];
    for (const [payload, code] of cases) {
      const answer = await ask(b, 'send', payload);
      assert.equal(answer.ok, false, JSON.stringify(payload));
      assert.equal(answer.error.code, code, JSON.stringify(payload));
    }
    assert.equal((await ask(b, 'send', { conversationId: id, body: 'hi' }, 'extra')).error.code, 'bad_request');
    assert.equal(await stored(id), 1);
    assert.equal((await ask(b, 'send', { conversationId: id, body: 'still fine', clientId: 'ok' })).ok, true);
  });
});
