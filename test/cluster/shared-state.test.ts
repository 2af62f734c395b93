/**
 * What each process used to keep to itself, over two workers on one database (a SQLite file, or with
 * TEST_DATABASE_URL a PostgreSQL schema): the log-in guard's counts and challenges, a room's online count, the
 * inbox's memory of accepted signatures, the word filters, the areas, and the federation rules and partners. Started with the real entry point (PARASOL_WORKERS=2) and reached over real HTTP
 * and websockets; requests and sockets go over a new connection each, which node:cluster hands to the workers in
 * turn, so consecutive ones reach both processes.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { Socket as ClientSocket } from 'socket.io-client';
import { leadingZeroBits } from '../../server/accounts/login-guard.js';
import { BOUND_MS } from '../../server/store/postgres/change-feed.js';
import { PASS } from '../helpers/client.js';
import { onPostgres } from '../helpers/test-database.js';
import { followActivity, Receiver, signedPost } from '../federation/receiver.js';
import { fresh, freshSigned, openSocket, signUp, startWorkers, subscribe, until, WAIT_MS, type Recorded, type Workers } from './cluster-helpers.js';

interface WireChallenge {
  readonly nonce: string;
  readonly handle: string;
  readonly difficulty: number;
}

/** What pow.js does in the browser. */
function solve(c: WireChallenge): string {
  for (let x = 0; ; x++) {
    if (leadingZeroBits(crypto.createHash('sha256').update(`${c.nonce}:${c.handle}:${x}`).digest()) >= c.difficulty) return String(x);
  }
}

/** The online count the socket was told last. */
const lastOnline = (recorded: Recorded): number | undefined =>
  recorded.events.filter((e) => e.event === 'presence').at(-1)?.payload.online as number | undefined;

/** The bound under test after each change: on SQLite none, on PostgreSQL the change feed's (docs/deployment.md). */
const settle = (): Promise<unknown> => (onPostgres ? new Promise((resolve) => setTimeout(resolve, BOUND_MS)) : Promise.resolve());

describe('state shared by two workers (PARASOL_WORKERS=2)', function () {
  this.timeout(600_000);
  let w: Workers;
  const receiver = new Receiver();
  const sockets: ClientSocket[] = [];

  before(async () => {
    await receiver.start();
    w = await startWorkers({ LOGIN_POW_BITS: '8' });
  });

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  after(async () => {
    await w?.cleanUp();
    await receiver.stop();
  });

  it('counts a handle’s failed log-ins over both workers, and a challenge issued by one is answered on the other, once', async () => {
    const member = await signUp(w.base, 'guarded');
    const login = (body: Record<string, unknown>) => fresh(w.port, 'POST', '/api/v1/sessions', '', { handle: member.handle, ...body });
    // Ten failures a handle in ten minutes: each worker counting alone would still let the next ones try.
    for (let i = 0; i < 10; i++) assert.equal((await login({ passphrase: `wrong guess ${i}` })).status, 401, `guess ${i}`);
    const asked = [await login({ passphrase: PASS }), await login({ passphrase: PASS })];
    const challenges = asked.map((answer, i) => {
      assert.equal(answer.status, 429, `attempt ${i} past the limit: ${answer.text}`);
      const { error } = JSON.parse(answer.text) as { error: { code: string; challenge: WireChallenge } };
      assert.equal(error.code, 'challenge_required');
      return error.challenge;
    });
    // Issued by one worker each; answered the other way round, so each on the worker that did not issue it.
    for (const challenge of [challenges[1]!, challenges[0]!]) {
      const answer = await login({ passphrase: PASS, challenge: { nonce: challenge.nonce, solution: solve(challenge) } });
      assert.equal(answer.status, 201, `a solved challenge lets the member in on another worker: ${answer.text}`);
    }
    for (const challenge of [...challenges, ...challenges]) {
      const again = await login({ passphrase: PASS, challenge: { nonce: challenge.nonce, solution: solve(challenge) } });
      assert.equal(again.status, 429, 'a nonce is spent on every worker');
    }
  });

  it('shows a room’s online count over both workers, on the page, in the API and in the live count', async () => {
    const alice = await signUp(w.base, 'alice');
    const bob = await signUp(w.base, 'bob');
    const room = await fresh(w.port, 'POST', '/api/v1/rooms', w.cookie, { name: 'Peer support', purpose: 'peers', description: 'A safe place' });
    assert.equal(room.status, 201, room.text);
    const roomId = (JSON.parse(room.text) as { room: { id: string } }).room.id;
    for (const who of [alice, bob]) {
      const made = await fresh(w.port, 'POST', `/api/v1/rooms/${roomId}/invites`, w.cookie, {});
      const { code } = JSON.parse(made.text) as { code: string };
      assert.equal((await fresh(w.port, 'POST', '/api/v1/rooms/join', who.cookie, { code })).status, 201);
    }
    // Opened one right after the other: one on each worker.
    const a = await openSocket(w.base, '/rooms', alice.cookie, sockets);
    const b = await openSocket(w.base, '/rooms', bob.cookie, sockets);
    for (const s of [a, b]) await subscribe(s, `room:${roomId}`);
    await until('both sockets told of two members online', WAIT_MS, () => lastOnline(a) === 2 && lastOnline(b) === 2);
    const online = async (): Promise<number> => (JSON.parse((await fresh(w.port, 'GET', `/api/v1/rooms/${roomId}`, alice.cookie)).text) as { room: { online: number } }).room.online;
    for (let i = 0; i < 4; i++) assert.equal(await online(), 2, `API read ${i}`);
    for (let i = 0; i < 4; i++) assert.match((await fresh(w.port, 'GET', `/rooms/${roomId}`, bob.cookie)).text, /id="room-online">2</, `page read ${i}`);

    b.socket.disconnect();
    await until('alice told that one member is online', WAIT_MS, () => lastOnline(a) === 1);
    for (let i = 0; i < 4; i++) assert.equal(await online(), 1, `API read ${i} after bob left`);
  });

  it(`shows an instance settings change made through one worker on both${onPostgres ? `, ${BOUND_MS} ms after it is acknowledged` : ''}`, async () => {
    const changed = await fresh(w.port, 'PATCH', '/api/v1/admin/settings', w.cookie, { name: 'Renamed by one worker' });
    assert.equal(changed.status, 200, changed.text);
    if (onPostgres) await new Promise((resolve) => setTimeout(resolve, BOUND_MS));
    // Consecutive connections reach both workers; a worker still on the settings it loaded at start shows the old name.
    for (let i = 0; i < 4; i++) {
      const read = JSON.parse((await fresh(w.port, 'GET', '/api/v1/admin/settings', w.cookie)).text) as { settings?: { name: string }; name?: string };
      assert.equal(read.settings?.name ?? read.name, 'Renamed by one worker', `read ${i}`);
      assert.match((await fresh(w.port, 'GET', '/', '')).text, /Renamed by one worker/, `page ${i}`);
    }
  });

  it('refuses a signed activity replayed to the other worker, as the worker that accepted it does', async () => {
    const group = `${w.base}/ap/b/general`;
    const actor = receiver.actor('replayed');
    // One request, signed once, sent three times over new connections: to one worker, the other, and the first again.
    const post = signedPost(`${group}/inbox`, actor, followActivity(actor, group));
    const answers = [await freshSigned(post), await freshSigned(post), await freshSigned(post)];
    assert.deepEqual(answers.map((a) => a.status), [200, 401, 401], answers.map((a) => a.text).join(' '));
    for (const answer of answers.slice(1)) assert.deepEqual(JSON.parse(answer.text), { error: 'replayed' });
  });

  it(`applies a word filter added through one worker on both, and neither once it is removed${onPostgres ? ` (${BOUND_MS} ms after each change is acknowledged)` : ''}`, async () => {
    const added = await fresh(w.port, 'POST', '/api/v1/moderation/filters', w.cookie, { phrase: 'forbidden phrase', action: 'block' });
    assert.equal(added.status, 201, added.text);
    const filterId = (JSON.parse(added.text) as { filter: { id: string } }).filter.id;
    await settle();
    // Consecutive connections reach both workers; one still on the filters it loaded at start would take the post.
    for (let i = 0; i < 2; i++) {
      const post = await fresh(w.port, 'POST', '/api/v1/boards/general/threads', w.cookie, { title: `Filtered ${i}`, body: 'a forbidden phrase' });
      assert.equal(post.status, 422, `post ${i}: ${post.text}`);
      assert.match(post.text, /filtered/);
    }
    assert.equal((await fresh(w.port, 'DELETE', `/api/v1/moderation/filters/${filterId}`, w.cookie)).status, 204);
    await settle();
    for (let i = 0; i < 2; i++) {
      const post = await fresh(w.port, 'POST', '/api/v1/boards/general/threads', w.cookie, { title: `Let through ${i}`, body: 'a forbidden phrase' });
      assert.equal(post.status, 201, `post ${i} once the filter is gone: ${post.text}`);
    }
  });

  it(`knows an area added, renamed or removed through one worker on both${onPostgres ? `, ${BOUND_MS} ms after each change is acknowledged` : ''}`, async () => {
    const member = await signUp(w.base, 'watcher');
    const made = await fresh(w.port, 'POST', '/api/v1/areas', w.cookie, { name: 'Harbour district' });
    assert.equal(made.status, 201, made.text);
    const areaId = (JSON.parse(made.text) as { area: { id: string } }).area.id;
    const names = async (): Promise<string[]> => (JSON.parse((await fresh(w.port, 'GET', '/api/v1/areas', member.cookie)).text) as { areas: { name: string }[] }).areas.map((a) => a.name);
    const subscribe = () => fresh(w.port, 'PUT', '/api/v1/me/urgent-areas', member.cookie, { areaIds: [areaId] });
    await settle();
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(await names(), ['Harbour district'], `areas as read ${i}`);
      const answer = await subscribe();
      assert.equal(answer.status, 200, `urgent warnings for the new area, request ${i}: ${answer.text}`);
    }
    assert.equal((await fresh(w.port, 'PATCH', `/api/v1/areas/${areaId}`, w.cookie, { name: 'Old harbour' })).status, 200);
    await settle();
    for (let i = 0; i < 2; i++) assert.deepEqual(await names(), ['Old harbour'], `areas as read ${i} after the rename`);
    assert.equal((await fresh(w.port, 'DELETE', `/api/v1/areas/${areaId}`, w.cookie)).status, 204);
    await settle();
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(await names(), [], `areas as read ${i} after the removal`);
      const answer = await subscribe();
      assert.equal(answer.status, 422, `a removed area refused, request ${i}: ${answer.text}`);
    }
  });

  it(`applies a deny rule and a partner added through one worker on both${onPostgres ? `, ${BOUND_MS} ms after the change is acknowledged` : ''}`, async () => {
    const group = `${w.base}/ap/b/general`;
    const receiverHost = new URL(receiver.url).host;
    let n = 0;
    // A Follow from a new actor of the receiver's server each time: consecutive ones reach both workers.
    const follow = async (): Promise<number> => {
      const actor = receiver.actor(`visitor${n++}`);
      return (await freshSigned(signedPost(`${group}/inbox`, actor, followActivity(actor, group)))).status;
    };
    const twice = async () => [await follow(), await follow()];
    assert.deepEqual(await twice(), [200, 200], 'accepted before any rule');

    const denied = await fresh(w.port, 'POST', '/api/v1/federation/policy/rules', w.cookie, { target: receiverHost, policy: 'deny', reason: 'cluster test' });
    assert.equal(denied.status, 201, denied.text);
    await settle();
    assert.deepEqual(await twice(), [403, 403], 'refused by both workers once the rule is acknowledged');
    const lifted = await fresh(w.port, 'DELETE', `/api/v1/federation/policy/rules/${encodeURIComponent(receiverHost)}`, w.cookie);
    assert.equal(lifted.status, 204, lifted.text);
    await settle();
    assert.deepEqual(await twice(), [200, 200], 'accepted by both once the rule is lifted');

    // A partner added through one worker is listed by both, and in allow-list mode (where only partners and allowed
    // domains get in) both let it in until it is removed through one of them.
    const instance = receiver.actor('instance', 'Application');
    const instanceIri = `${receiver.url}/ap/instance`;
    receiver.documents.set('/ap/instance', {
      ...receiver.document(instance),
      id: instanceIri,
      publicKey: { id: `${instanceIri}#main-key`, owner: instanceIri, publicKeyPem: instance.publicKeyPem },
    });
    const partner = await fresh(w.port, 'POST', '/api/v1/federation/partners', w.cookie, { domain: receiverHost });
    assert.equal(partner.status, 201, partner.text);
    await settle();
    for (let i = 0; i < 2; i++) {
      const listed = JSON.parse((await fresh(w.port, 'GET', '/api/v1/federation/partners', w.cookie)).text) as { partners: { domain: string }[] };
      assert.deepEqual(listed.partners.map((p) => p.domain), [receiverHost], `the partners as read ${i} lists them`);
    }
    assert.equal((await fresh(w.port, 'PUT', '/api/v1/federation/policy/mode', w.cookie, { mode: 'allowlist' })).status, 200);
    await settle();
    assert.deepEqual(await twice(), [200, 200], 'a partner gets in on both workers in allow-list mode');
    assert.equal((await fresh(w.port, 'DELETE', `/api/v1/federation/partners/${encodeURIComponent(receiverHost)}`, w.cookie)).status, 204);
    await settle();
    assert.deepEqual(await twice(), [403, 403], 'and on neither once removed');
  });
});
