import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoRoot } from '../helpers/process.js';
import { eventually, getJson, settled, startPeer, startPeers, type Peer } from './instances.js';
import { followActivity, Receiver, send, signedPost, type FakeActor, type Received } from './receiver.js';

// An independent verifier for what Parasol signs: the registry's http-signature (the version apex is pinned to).
const httpSignature = createRequire(import.meta.url)('http-signature') as {
  parseRequest(req: { method: string; url: string; headers: Record<string, unknown>; httpVersion?: string }, options?: unknown): unknown;
  verifySignature(parsed: unknown, publicKeyPem: string): boolean;
};

const version = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

const webfinger = (peer: Peer, resource: string) => getJson(`${peer.url}/.well-known/webfinger?resource=${encodeURIComponent(resource)}`, 'application/jrd+json');

async function followersOf(peer: Peer, slug: string): Promise<string[]> {
  const reply = await peer.admin.client.api('GET', `/federation/boards/${slug}/followers`);
  assert.equal(reply.status, 200, reply.text);
  return reply.json.followers as string[];
}

async function newBoard(peer: Peer, slug: string, visibility: 'public' | 'members'): Promise<void> {
  const made = await peer.admin.client.api('POST', '/boards', { slug, name: `Board ${slug}`, visibility });
  assert.equal(made.status, 201, made.text);
}

const activityOf = (r: Received) => r.json as { type?: string; actor?: string; object?: unknown; id?: string } | null;

describe('federation between instances (separate processes, real HTTP)', function () {
  this.timeout(120_000);
  let a: Peer;
  let b: Peer;
  const receiver = new Receiver();

  before(async () => {
    await receiver.start();
    const peers = await startPeers(['a', 'b'], { b: { env: { FEDERATION_USER_COUNTS: 'false' } } });
    a = peers[0]!;
    b = peers[1]!;
  });
  after(async () => {
    if (process.env.SHOW_PEER_OUTPUT) console.log(a?.output(), b?.output());
    await Promise.all([a?.dispose(), b?.dispose()]);
    await receiver.stop();
  });

  const groupOf = (peer: Peer, slug: string) => `${peer.url}/ap/b/${slug}`;

  describe('discovery', () => {
    it('answers WebFinger for a public board, a member and the instance actor', async () => {
      const board = await webfinger(a, `acct:general@${a.host}`);
      assert.equal(board.status, 200, board.text);
      assert.match(board.type ?? '', /application\/jrd\+json/);
      assert.equal(board.json.subject, `acct:general@${a.host}`);
      const self = board.json.links.find((l: { rel: string }) => l.rel === 'self');
      assert.deepEqual(self, { rel: 'self', type: 'application/activity+json', href: groupOf(a, 'general') });
      const byIri = await webfinger(a, groupOf(a, 'general'));
      assert.equal(byIri.json.subject, `acct:general@${a.host}`);

      assert.equal((await webfinger(a, `acct:${a.member.handle}@${a.host}`)).status, 404, 'members are not discoverable until they choose to be');
      assert.equal((await a.member.client.api('PUT', '/federation/me', { discoverable: true })).status, 200);
      const member = await webfinger(a, `acct:${a.member.handle}@${a.host}`);
      assert.equal(member.status, 200, member.text);
      assert.equal(member.json.links[0].href, `${a.url}/ap/u/${a.member.handle.toLowerCase()}`);

      const instance = await webfinger(a, `acct:127.0.0.1@${a.host}`);
      assert.equal(instance.json.links[0].href, `${a.url}/ap/instance`);
      assert.equal((await webfinger(a, `acct:general@elsewhere.example`)).status, 404);
      assert.equal((await webfinger(a, 'acct:nobody_here@' + a.host)).status, 404);
      assert.equal((await getJson(`${a.url}/.well-known/webfinger`)).status, 400);
    });

    it('serves the Group, Person and Application actors with their public keys only', async () => {
      const group = await getJson(groupOf(a, 'general'));
      assert.equal(group.status, 200);
      assert.match(group.type ?? '', /application\/activity\+json/);
      assert.equal(group.json.type, 'Group');
      assert.equal(group.json.preferredUsername, 'general');
      assert.equal(group.json.inbox, `${groupOf(a, 'general')}/inbox`);
      assert.equal(group.json.followers, `${groupOf(a, 'general')}/followers`);
      assert.equal(group.json.publicKey.id, `${groupOf(a, 'general')}#main-key`);
      assert.match(group.json.publicKey.publicKeyPem, /BEGIN PUBLIC KEY/);
      assert.doesNotMatch(group.text, /PRIVATE KEY|_meta/);

      const person = await getJson(`${a.url}/ap/u/${a.member.handle.toLowerCase()}`);
      assert.equal(person.json.type, 'Person');
      assert.equal(person.json.preferredUsername, a.member.handle);
      assert.equal(person.json.indexable, false);
      assert.doesNotMatch(person.text, /PRIVATE KEY|_meta/);

      const app = await getJson(`${a.url}/ap/instance`);
      assert.equal(app.json.type, 'Application');
      assert.match(app.json.publicKey.publicKeyPem, /BEGIN PUBLIC KEY/);

      const html = await fetch(groupOf(a, 'general'), { headers: { accept: 'text/html' }, redirect: 'manual' });
      assert.equal(html.status, 303);
      assert.equal(html.headers.get('location'), '/b/general');
    });

    it('publishes NodeInfo 2.1 (name, version, registrations, user count that can be switched off) and host-meta', async () => {
      const links = await getJson(`${a.url}/.well-known/nodeinfo`, 'application/json');
      assert.deepEqual(links.json.links, [
        { rel: 'http://nodeinfo.diaspora.software/ns/schema/2.1', href: `${a.url}/nodeinfo/2.1` },
        { rel: 'https://www.w3.org/ns/activitystreams#Application', href: `${a.url}/ap/instance` },
      ]);
      const info = await getJson(`${a.url}/nodeinfo/2.1`, 'application/json');
      assert.equal(info.json.version, '2.1');
      assert.deepEqual(info.json.software, { name: 'parasol', version });
      assert.deepEqual(info.json.protocols, ['activitypub']);
      assert.equal(info.json.openRegistrations, true);
      assert.equal(info.json.usage.users.total, 2, 'the admin and the member');

      const closed = await b.admin.client.api('PATCH', '/admin/settings', { registrationMode: 'invite' });
      assert.equal(closed.status, 200, closed.text);
      const other = await getJson(`${b.url}/nodeinfo/2.1`, 'application/json');
      assert.equal(other.json.openRegistrations, false);
      assert.deepEqual(other.json.usage, { users: {} }, 'FEDERATION_USER_COUNTS=false hides the count');

      const hostMeta = await fetch(`${a.url}/.well-known/host-meta`);
      assert.match(hostMeta.headers.get('content-type') ?? '', /application\/xrd\+xml/);
      assert.match(await hostMeta.text(), new RegExp(`template="${a.url}/\\.well-known/webfinger\\?resource=\\{uri\\}"`));
    });
  });

  describe('what must not federate', () => {
    let outsider: FakeActor;
    before(async () => {
      outsider = receiver.actor('outsider');
      await newBoard(a, 'back-room', 'members');
    });

    it('gives 404 for a members-only board to WebFinger, actor, collection and inbox requests', async () => {
      assert.equal((await webfinger(a, `acct:back-room@${a.host}`)).status, 404);
      assert.equal((await webfinger(a, groupOf(a, 'back-room'))).status, 404);
      assert.equal((await getJson(groupOf(a, 'back-room'))).status, 404);
      assert.equal((await getJson(`${groupOf(a, 'back-room')}/followers`)).status, 404);
      assert.equal((await getJson(`${groupOf(a, 'back-room')}/outbox`)).status, 404);
      const post = signedPost(`${groupOf(a, 'back-room')}/inbox`, outsider, followActivity(outsider, groupOf(a, 'back-room')));
      assert.equal((await send(post)).status, 404);
    });

    it('gives 404 to a board that stops being public', async () => {
      await newBoard(a, 'was-public', 'public');
      assert.equal((await getJson(groupOf(a, 'was-public'))).status, 200);
      const changed = await a.admin.client.api('PATCH', '/boards/was-public', { visibility: 'members' });
      assert.equal(changed.status, 200, changed.text);
      assert.equal((await getJson(groupOf(a, 'was-public'))).status, 404);
      assert.equal((await webfinger(a, `acct:was-public@${a.host}`)).status, 404);
    });

    it('has nothing at all for a room', async () => {
      const made = await a.admin.client.api('POST', '/rooms', { name: 'HIV+ peer support', purpose: 'HIV+ peers' });
      assert.equal(made.status, 201, made.text);
      const room = made.json.room as { id: string; name: string };
      for (const name of [room.id, room.id.toLowerCase(), 'hiv-peer-support']) {
        assert.equal((await webfinger(a, `acct:${name}@${a.host}`)).status, 404, name);
        assert.equal((await getJson(`${a.url}/ap/b/${name}`)).status, 404, name);
        assert.equal((await getJson(`${a.url}/ap/u/${name}`)).status, 404, name);
        assert.equal((await getJson(`${a.url}/ap/o/${name}`)).status, 404, name);
        assert.equal((await getJson(`${a.url}/ap/s/${name}`)).status, 404, name);
      }
      assert.equal((await getJson(`${a.url}/ap/rooms/${room.id}`)).status, 404);
    });

    it('keeps a member without a Person out of WebFinger; one whose Person exists is found, as NodeBB checks its key', async () => {
      const person = `${b.url}/ap/u/${b.member.handle.toLowerCase()}`;
      assert.deepEqual((await b.member.client.api('GET', '/federation/me')).json, { discoverable: false, actor: null });
      assert.equal((await webfinger(b, `acct:${b.member.handle}@${b.host}`)).status, 404);
      assert.equal((await webfinger(b, person)).status, 404, 'nor by the IRI their Person would have');
      assert.equal((await getJson(person)).status, 404, 'no actor is made for them either');
      assert.equal((await b.member.client.api('PUT', '/federation/me', { discoverable: true })).status, 200);
      assert.equal((await webfinger(b, `acct:${b.member.handle}@${b.host}`)).status, 200);
      const me = await b.member.client.api('PUT', '/federation/me', { discoverable: false });
      assert.equal(me.status, 200, me.text);
      // Their Person stays (what it sent must still verify) and still signs what they send, so it is still found:
      // its IRI names the handle anyway, and NodeBB refuses a key whose owner WebFinger does not find.
      const found = await webfinger(b, `acct:${b.member.handle}@${b.host}`);
      assert.equal(found.status, 200, found.text);
      assert.equal(found.json.links[0].href, person);
      assert.equal((await webfinger(b, person)).json.subject, `acct:${b.member.handle}@${b.host}`);
      assert.equal((await getJson(person)).json.discoverable, false, 'directories are told to leave them out');
      assert.equal((await b.member.client.api('PUT', '/federation/me', { discoverable: 'no' })).status, 422);
    });

    it('WebFinger finds every actor the instance sends as: the boards’ anonymous members and the instance’s Persons', async () => {
      for (const [name, iri] of [
        ['anonymous.general', `${a.url}/ap/a/general`],
        ['instance.follows', `${a.url}/ap/follows`],
        ['instance.reports', `${a.url}/ap/reports`],
        ['instance.anonymous', `${a.url}/ap/anonymous`],
      ] as const) {
        const found = await webfinger(a, `acct:${name}@${a.host}`);
        assert.equal(found.status, 200, `${name}: ${found.text}`);
        assert.equal(found.json.subject, `acct:${name}@${a.host}`);
        assert.equal(found.json.links[0].href, iri);
        assert.equal((await webfinger(a, iri)).json.subject, `acct:${name}@${a.host}`, `${name} by its IRI`);
        assert.equal((await getJson(iri)).json.preferredUsername, name, 'the name WebFinger answers is the one the actor shows');
      }
      assert.equal((await webfinger(a, `acct:anonymous.back-room@${a.host}`)).status, 404, 'a members-only board has no anonymous member');
      assert.equal((await webfinger(a, `acct:instance.nobody@${a.host}`)).status, 404);
    });
  });

  describe('following a board (FEP-1b12)', () => {
    it('B follows A’s public board, gets an Accept, and A lists B as a follower', async () => {
      const made = await b.admin.client.api('POST', '/federation/follows', { target: `general@${a.host}` });
      assert.equal(made.status, 201, made.text);
      assert.equal(made.json.follow.target, groupOf(a, 'general'));
      assert.equal(made.json.follow.state, 'pending');
      await eventually(async () => {
        const list = await b.admin.client.api('GET', '/federation/follows');
        assert.equal(list.json.follows[0].state, 'accepted');
      });
      // The instance follows through its own Person (Lemmy and Mbin take a Follow of a community only from a Person).
      const bInstance = `${b.url}/ap/follows`;
      assert.deepEqual(await followersOf(a, 'general'), [bInstance]);
      const collection = await getJson(`${groupOf(a, 'general')}/followers`);
      assert.equal(collection.json.totalItems, 1);
      const following = await getJson(`${bInstance}/following`);
      assert.equal(following.json.totalItems, 1);
      // Following again is harmless: still one follow, one follower.
      const again = await b.admin.client.api('POST', '/federation/follows', { target: `general@${a.host}` });
      assert.equal(again.status, 201);
      assert.equal(again.json.follow.id, made.json.follow.id);
      assert.deepEqual(await followersOf(a, 'general'), [bInstance]);
    });

    it('an archived board answers a Follow with Reject', async () => {
      await newBoard(a, 'old-news', 'public');
      assert.equal((await a.admin.client.api('PATCH', '/boards/old-news', { archived: true })).status, 200);
      const made = await b.admin.client.api('POST', '/federation/follows', { target: `old-news@${a.host}` });
      assert.equal(made.status, 201, made.text);
      await eventually(async () => {
        const list = await b.admin.client.api('GET', '/federation/follows');
        const follow = list.json.follows.find((f: { target: string }) => f.target === groupOf(a, 'old-news'));
        assert.equal(follow.state, 'rejected');
      });
      assert.deepEqual(await followersOf(a, 'old-news'), []);
    });

    it('the instance actor answers a Follow with Reject; a Follow of a member is taken (200) but not answered yet', async () => {
      const curious = receiver.actor('curious');
      const follow = followActivity(curious, `${a.url}/ap/instance`);
      assert.equal((await send(signedPost(`${a.url}/ap/instance/inbox`, curious, follow))).status, 200);
      const answers = (type: string) => receiver.posts((r) => activityOf(r)?.type === type && (activityOf(r)?.object as { id?: string })?.id === follow.id);
      const reject = await eventually(async () => {
        const found = answers('Reject');
        assert.equal(found.length, 1);
        return activityOf(found[0]!)!;
      });
      assert.equal(reject.actor, `${a.url}/ap/instance`);
      assert.equal(answers('Accept').length, 0);

      assert.equal((await a.member.client.api('PUT', '/federation/me', { discoverable: true })).status, 200);
      const person = `${a.url}/ap/u/${a.member.handle.toLowerCase()}`;
      const ofMember = followActivity(curious, person);
      assert.equal((await send(signedPost(`${person}/inbox`, curious, ofMember))).status, 200);
      await settled(a);
      assert.equal(receiver.posts((r) => (activityOf(r)?.object as { id?: string })?.id === ofMember.id).length, 0, 'no answer for a member’s follow yet');
      assert.equal((await getJson(`${person}/followers`)).json.totalItems, 0);
      assert.equal((await a.member.client.api('PUT', '/federation/me', { discoverable: false })).status, 200);
    });

    it('unfollowing sends Undo and A drops the follower', async () => {
      await newBoard(a, 'short-lived', 'public');
      const made = await b.admin.client.api('POST', '/federation/follows', { target: `short-lived@${a.host}` });
      await eventually(async () => assert.equal((await followersOf(a, 'short-lived')).length, 1));
      const undone = await b.admin.client.api('DELETE', `/federation/follows/${made.json.follow.id}`);
      assert.equal(undone.status, 204, undone.text);
      await eventually(async () => assert.deepEqual(await followersOf(a, 'short-lived'), []));
    });

    it('refuses bad follow targets with clear errors', async () => {
      assert.equal((await b.admin.client.api('POST', '/federation/follows', { target: 'not an address' })).status, 422);
      assert.equal((await b.admin.client.api('POST', '/federation/follows', { target: `back-room@${a.host}` })).status, 404);
      assert.equal((await b.member.client.api('POST', '/federation/follows', { target: `general@${a.host}` })).status, 403);
      assert.equal((await b.admin.client.api('POST', '/federation/follows', { target: `general@${b.host}` })).status, 422, 'not itself');
    });
  });

  describe('outgoing requests', () => {
    it('are signed: the Accept to a remote follower verifies with the board’s key, and fetches are signed by the instance actor', async () => {
      const r1 = receiver.actor('r1');
      const post = signedPost(`${groupOf(a, 'general')}/inbox`, r1, followActivity(r1, groupOf(a, 'general')));
      const answer = await send(post);
      assert.equal(answer.status, 200, answer.text);
      const accept = await eventually(async () => {
        const found = receiver.posts((r) => activityOf(r)?.type === 'Accept' && (activityOf(r)?.object as { actor?: string })?.actor === r1.id);
        assert.equal(found.length, 1);
        return found[0]!;
      });
      assert.equal(accept.path, '/inbox', 'delivered to the shared inbox the actor advertises');
      const parsed = httpSignature.parseRequest({ method: 'POST', url: accept.path, headers: accept.headers, httpVersion: '1.1' }, { headers: ['(request-target)', 'host', 'date', 'digest'] }) as { keyId: string };
      assert.equal(parsed.keyId, `${groupOf(a, 'general')}#main-key`);
      const group = await getJson(groupOf(a, 'general'));
      assert.ok(httpSignature.verifySignature(parsed, group.json.publicKey.publicKeyPem), 'the Signature verifies with the registry’s http-signature');
      const digest = `SHA-256=${(await import('node:crypto')).createHash('sha256').update(accept.raw).digest('base64')}`;
      assert.equal(accept.headers.digest, digest);

      const fetches = receiver.received.filter((r) => r.method === 'GET' && r.path === '/users/r1');
      assert.ok(fetches.length >= 1, 'A fetched the follower');
      const fetchSig = httpSignature.parseRequest({ method: 'GET', url: fetches[0]!.path, headers: fetches[0]!.headers, httpVersion: '1.1' }) as { keyId: string };
      assert.equal(fetchSig.keyId, `${a.url}/ap/instance#main-key`);
      const instance = await getJson(`${a.url}/ap/instance`);
      assert.ok(httpSignature.verifySignature(fetchSig, instance.json.publicKey.publicKeyPem), 'the key fetch is signed with the instance key');
    });

    it('reach a server once per shared inbox', async () => {
      const r2 = receiver.actor('r2');
      const r3 = receiver.actor('r3');
      await send(signedPost(`${groupOf(a, 'health')}/inbox`, r2, followActivity(r2, groupOf(a, 'health'))));
      await eventually(async () => assert.equal((await followersOf(a, 'health')).length, 1));
      await settled(a);
      const before = receiver.received.length;
      await send(signedPost(`${groupOf(a, 'health')}/inbox`, r3, followActivity(r3, groupOf(a, 'health'))));
      await eventually(async () => assert.equal((await followersOf(a, 'health')).length, 2));
      await settled(a);
      // A new follower costs its own Accept only: no Update of the followers collection goes to every follower.
      const accepted = receiver.received.slice(before).filter((r) => r.method === 'POST');
      assert.deepEqual(accepted.map((r) => activityOf(r)?.type), ['Accept'], JSON.stringify(accepted.map((r) => [r.path, activityOf(r)?.type])));
      // A post to the board is addressed to both followers, who share one inbox: it is sent once.
      const start = receiver.received.length;
      const thread = await a.member.client.api('POST', '/boards/health/threads', { title: 'For both', body: 'one delivery' });
      assert.equal(thread.status, 201, thread.text);
      await eventually(async () => assert.ok(receiver.received.slice(start).some((r) => activityOf(r)?.type === 'Announce'), 'an Announce reaches the receiver'));
      await settled(a);
      const after = receiver.received.slice(start).filter((r) => r.method === 'POST');
      const announces = after.filter((r) => activityOf(r)?.type === 'Announce');
      assert.equal(announces.length, 1, JSON.stringify(after.map((r) => [r.path, activityOf(r)?.type])));
      assert.ok(after.every((r) => r.path === '/inbox'), 'nothing went to the per-actor inboxes');
    });
  });

  describe('inbox security', () => {
    const inboxOf = () => `${groupOf(a, 'rights-and-safety')}/inbox`;
    const target = () => groupOf(a, 'rights-and-safety');
    let mallory: FakeActor;
    before(() => {
      mallory = receiver.actor('mallory');
    });

    async function assertNothingChanged(): Promise<void> {
      assert.deepEqual(await followersOf(a, 'rights-and-safety'), []);
      assert.equal(receiver.posts((r) => activityOf(r)?.type === 'Accept' && (activityOf(r)?.object as { actor?: string })?.actor === mallory.id).length, 0);
    }

    it('refuses an unsigned post (401), even when the instance runs with NODE_ENV=development', async () => {
      const body = JSON.stringify(followActivity(mallory, target()));
      const res = await fetch(inboxOf(), { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body });
      assert.equal(res.status, 401);
      const dev = await startPeer('dev', { env: { NODE_ENV: 'development' } });
      try {
        const devRes = await fetch(`${dev.url}/ap/b/general/inbox`, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body });
        assert.equal(devRes.status, 401);
      } finally {
        await dev.dispose();
      }
      await assertNothingChanged();
    });

    it('refuses a bad signature (403) and a signature by someone other than the actor (403)', async () => {
      const post = signedPost(inboxOf(), mallory, followActivity(mallory, target()));
      const forged = post.headers.signature!.replace(/signature="([^"]{10})/, 'signature="AAAAAAAAAA');
      assert.equal((await send(post, { headers: { signature: forged } })).status, 403);
      const other = receiver.actor('other');
      const impostor = signedPost(inboxOf(), other, followActivity(mallory, target()));
      assert.equal((await send(impostor)).status, 403);
      await assertNothingChanged();
    });

    it('refuses a body that does not match its Digest, and a signature that does not cover the digest (401)', async () => {
      const post = signedPost(inboxOf(), mallory, followActivity(mallory, target()));
      const swapped = JSON.stringify({ ...JSON.parse(post.body), id: `${mallory.id}/follows/swapped` });
      assert.equal((await send(post, { body: swapped })).status, 401);
      const noDigest = post.headers.signature!.replace('headers="(request-target) host date digest"', 'headers="(request-target) host date"');
      assert.equal((await send(post, { headers: { signature: noDigest } })).status, 401);
      await assertNothingChanged();
    });

    it('refuses a stale or future Date and a replayed request (401)', async () => {
      const stale = signedPost(inboxOf(), mallory, followActivity(mallory, target()), new Date(Date.now() - 10 * 60_000));
      assert.equal((await send(stale)).status, 401);
      const future = signedPost(inboxOf(), mallory, followActivity(mallory, target()), new Date(Date.now() + 10 * 60_000));
      assert.equal((await send(future)).status, 401);
      await assertNothingChanged();

      const replayer = receiver.actor('replayer');
      const valid = signedPost(`${groupOf(a, 'general')}/inbox`, replayer, followActivity(replayer, groupOf(a, 'general')));
      assert.equal((await send(valid)).status, 200);
      assert.equal((await send(valid)).status, 401, 'the same signed request again is a replay');
      await eventually(async () => assert.equal((await followersOf(a, 'general')).filter((f) => f === replayer.id).length, 1));
    });

    it('refuses bodies over 1 MB (413), other content types (415) and what is not an activity (400)', async () => {
      const big = { ...followActivity(mallory, target()), padding: 'x'.repeat(1_100_000) };
      const post = signedPost(inboxOf(), mallory, big);
      assert.equal((await send(post)).status, 413);
      const plain = signedPost(inboxOf(), mallory, followActivity(mallory, target()));
      assert.equal((await send(plain, { headers: { 'content-type': 'text/plain' } })).status, 415);
      assert.equal((await send(plain, { headers: { 'content-type': 'application/json' } })).status, 415);
      // An inbox answers another server with a status and an error code: not sniffed, and without a page's headers.
      const answer = await fetch(plain.url, { method: 'POST', headers: { ...plain.headers, 'content-type': 'text/plain' }, body: plain.body });
      assert.equal(answer.status, 415);
      assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(answer.headers.get('content-security-policy'), null);
      assert.match((await fetch(`${a.url}/`)).headers.get('content-security-policy') ?? '', /default-src 'self'/, 'pages keep theirs');
      const shapeless = signedPost(inboxOf(), mallory, { type: 'Follow', actor: mallory.id, object: target() });
      assert.equal((await send(shapeless)).status, 400, 'an activity without an id');
      await assertNothingChanged();
    });

    it('refuses a key it cannot fetch (401)', async () => {
      const ghost = { keyId: `${receiver.url}/users/ghost#main-key`, privateKeyPem: mallory.privateKeyPem };
      const post = signedPost(inboxOf(), ghost, { ...followActivity(mallory, target()), actor: `${receiver.url}/users/ghost` });
      assert.equal((await send(post)).status, 401);
      await assertNothingChanged();
    });

    it('answers an Accept of a follow it no longer holds with 422, not 500, so the sender stops retrying', async () => {
      const accept = {
        '@context': 'https://www.w3.org/ns/activitystreams',
        id: `${mallory.id}/accepts/${Date.now()}`,
        type: 'Accept',
        actor: mallory.id,
        object: `${a.url}/ap/o/a-follow-undone-meanwhile`,
      };
      const res = await send(signedPost(`${a.url}/ap/instance/inbox`, mallory, accept));
      assert.equal(res.status, 422);
      const list = await a.admin.client.api('GET', '/federation/follows');
      assert.ok(!list.json.follows.some((f: { target: string }) => f.target === mallory.id), 'mallory’s stray Accept creates no follow');
      await assertNothingChanged();
    });
  });

  describe('delivery', () => {
    it('retries a failed delivery with back-off, across a restart of the sender', async () => {
      const slow = receiver.actor('slow');
      // This actor has no shared inbox problem: its server fails every delivery for now.
      receiver.answers.set('/inbox', 503);
      try {
        assert.equal((await send(signedPost(`${groupOf(a, 'general')}/inbox`, slow, followActivity(slow, groupOf(a, 'general'))))).status, 200);
        const isAcceptForSlow = (r: Received) => activityOf(r)?.type === 'Accept' && (activityOf(r)?.object as { actor?: string })?.actor === slow.id;
        await eventually(async () => assert.ok(receiver.posts(isAcceptForSlow).length >= 2, 'tried, then retried'));
        const status = await a.admin.client.api('GET', '/federation/status');
        assert.ok(status.json.pendingDeliveries >= 1, 'the failed delivery is still pending');
        await a.stop();
      } finally {
        receiver.answers.delete('/inbox');
      }
      const failures = receiver.posts((r) => activityOf(r)?.type === 'Accept' && (activityOf(r)?.object as { actor?: string })?.actor === slow.id).length;
      await a.restart();
      await eventually(async () => {
        const all = receiver.posts((r) => activityOf(r)?.type === 'Accept' && (activityOf(r)?.object as { actor?: string })?.actor === slow.id);
        assert.ok(all.length > failures, 'delivered after the restart');
      }, 60_000);
      await settled(a);
    });
  });
});
