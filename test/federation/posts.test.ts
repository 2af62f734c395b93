import assert from 'node:assert/strict';
import { eventually, getJson, settled, startPeers, type Peer } from './instances.js';
import { followActivity, Receiver, send, signedPost, type FakeActor, type Received } from './receiver.js';
import { matchSnapshot, normalised } from './snapshot.js';
import { PASS } from '../helpers/client.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary ActivityPub documents */

const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';

const activityOf = (r: Received) => r.json as any;
const one = (v: unknown) => (Array.isArray(v) ? v[0] : v);
const idOf = (v: unknown): string | undefined => {
  const x = one(v);
  return typeof x === 'string' ? x : (x as { id?: string } | undefined)?.id;
};

describe('federating posts of a public board (FEP-1b12, FEP-7888; separate processes, real HTTP)', function () {
  this.timeout(120_000);
  let a: Peer;
  let b: Peer;
  const receiver = new Receiver();
  let watcher: FakeActor;
  const group = () => `${a.url}/ap/b/general`;

  /** Announces of the Group that reached the test's receiver (a second follower of A's board). */
  const announcesAt = (innerType: string, objectId?: string) =>
    receiver.posts((r) => {
      const act = activityOf(r);
      if (act?.type !== 'Announce' || act.actor !== group()) return false;
      const inner = act.object;
      if (inner?.type !== innerType) return false;
      return !objectId || idOf(inner.object) === objectId;
    });

  const mirrored = async () => {
    const reply = await b.member.client.api('GET', `/federation/remote?group=${encodeURIComponent(group())}`);
    assert.equal(reply.status, 200, reply.text);
    return reply.json.threads as any[];
  };

  const outboxPage = async (): Promise<unknown[]> => {
    const outbox = await getJson(`${group()}/outbox`);
    const first = typeof outbox.json.first === 'string' ? (await getJson(outbox.json.first)).json : outbox.json.first;
    return first.orderedItems;
  };

  before(async () => {
    await receiver.start();
    const peers = await startPeers(['pa', 'pb']);
    a = peers[0]!;
    b = peers[1]!;
    const made = await b.admin.client.api('POST', '/federation/follows', { target: `general@${a.host}` });
    assert.equal(made.status, 201, made.text);
    await eventually(async () => {
      const list = await b.admin.client.api('GET', '/federation/follows');
      assert.equal(list.json.follows[0].state, 'accepted');
    });
    watcher = receiver.actor('watcher');
    const followed = await send(signedPost(`${group()}/inbox`, watcher, followActivity(watcher, group())));
    assert.equal(followed.status, 200, followed.text);
    await eventually(async () => {
      const list = await a.admin.client.api('GET', '/federation/boards/general/followers');
      assert.equal(list.json.followers.length, 2);
    });
    // The member lets their Person exist (members are not federated until they choose to be).
    assert.equal((await a.member.client.api('PUT', '/federation/me', { discoverable: true })).status, 200);
  });
  after(async () => {
    if (process.env.SHOW_PEER_OUTPUT) console.log(a?.output(), b?.output());
    await Promise.all([a?.dispose(), b?.dispose()]);
    await receiver.stop();
  });

  let threadIri = '';
  let replyIri = '';
  let firstPostId = '';
  let firstThreadId = '';
  let replyPostId = '';

  it('a thread and a reply are Created by the member, Announced by the Group, and B shows them threaded', async () => {
    const person = `${a.url}/ap/u/${a.member.handle.toLowerCase()}`;
    const thread = await a.member.client.api('POST', '/boards/general/threads', { title: 'Hello from A', body: 'First **post**' });
    assert.equal(thread.status, 201, thread.text);
    firstPostId = thread.json.post.id;
    firstThreadId = thread.json.thread.id;
    const create = await eventually(async () => {
      const found = announcesAt('Create');
      assert.equal(found.length, 1);
      return activityOf(found[0]!);
    });
    // The public collection in full: Lemmy reads `to` as plain URLs and drops what it cannot see is public.
    const isPublic = (v: unknown) => [v].flat().includes(PUBLIC);
    assert.ok(isPublic(create.to), 'the Create is public');
    assert.equal(create.audience, group());
    const inner = create.object;
    assert.equal(inner.actor, person);
    assert.equal(inner.audience, group());
    assert.ok([inner.to].flat().includes(group()) && isPublic(inner.to), 'the inner activity is addressed to the group and public');
    const page = inner.object;
    assert.equal(page.type, 'Page');
    assert.equal(page.name, 'Hello from A');
    assert.equal(page.attributedTo, person);
    assert.equal(page.audience, group());
    assert.equal(page.context, page.id);
    assert.match(page.content, /<strong>post<\/strong>/);
    threadIri = page.id;

    // The object and the member's Create are served at their IRIs.
    const served = await getJson(threadIri);
    assert.equal(served.status, 200, served.text);
    assert.equal(served.json.type, 'Page');
    assert.equal(served.json.attributedTo, person);
    assert.equal((await getJson(inner.id)).json.type, 'Create');

    const reply = await a.member.client.api('POST', `/threads/${thread.json.thread.id}/posts`, { body: 'A reply' });
    assert.equal(reply.status, 201, reply.text);
    replyPostId = reply.json.post.id;
    const note = await eventually(async () => {
      const found = announcesAt('Create').map((r) => activityOf(r).object.object).filter((o: any) => o.type === 'Note');
      assert.equal(found.length, 1);
      return found[0];
    });
    assert.equal(note.inReplyTo, threadIri);
    assert.equal(note.context, threadIri);
    assert.equal(note.audience, group());
    replyIri = note.id;

    const threads = await eventually(async () => {
      const list = await mirrored();
      assert.equal(list.length, 1);
      assert.equal(list[0].replies.length, 1);
      return list;
    });
    assert.equal(threads[0].id, threadIri);
    assert.equal(threads[0].title, 'Hello from A');
    assert.equal(threads[0].attributedTo, person);
    assert.match(threads[0].html, /<strong>post<\/strong>/);
    assert.equal(threads[0].replies[0].id, replyIri);
    assert.equal(threads[0].replies[0].inReplyTo, threadIri);
  });

  it('never writes the public collection in its compact form', async () => {
    await settled(a);
    const sent = receiver.posts();
    assert.ok(sent.length > 0, 'something was sent');
    for (const r of sent) assert.ok(!/"(?:as:)?Public"/.test(r.raw), r.raw);
    const announce = activityOf(receiver.posts((r) => activityOf(r)?.type === 'Announce')[0]!);
    assert.deepEqual([announce.to].flat(), [PUBLIC]);
    const served = await getJson(`${a.url}/ap/s/create-${Buffer.from(firstPostId, 'base64url').toString('hex')}`);
    assert.equal(served.status, 200, served.text);
    assert.ok(!served.text.includes('as:Public'), served.text);
  });

  it('an edit sends an Update that B applies', async () => {
    const edited = await a.member.client.api('PATCH', `/posts/${firstPostId}`, { body: 'First post, edited' });
    assert.equal(edited.status, 200, edited.text);
    await eventually(async () => assert.equal(announcesAt('Update', threadIri).length, 1));
    await eventually(async () => assert.match((await mirrored())[0].html, /edited/));
    // The board's outbox, which a follower's catch-up replays, no longer carries the text edited away.
    const items = JSON.stringify(await outboxPage());
    assert.match(items, /First post, edited/);
    assert.ok(!items.includes('First <strong>post'), items);
  });

  it('a moderator’s lock and pin reach B as Lemmy sends them (Lock, Add to featured, Undo, Remove) from the board’s moderators’ Person, and B shows them', async () => {
    const team = `${a.url}/ap/m/general`;
    const moderate = async (action: string) => {
      const done = await a.admin.client.api('PATCH', `/threads/${firstThreadId}`, { action });
      assert.equal(done.status, 200, done.text);
    };
    const onB = async () => (await mirrored()).find((t) => t.id === threadIri);
    const sentOnce = (type: string) =>
      eventually(async () => {
        const found = announcesAt(type, threadIri);
        assert.equal(found.length, 1, type);
        return activityOf(found[0]!).object;
      });

    await moderate('lock');
    const lock = await sentOnce('Lock');
    assert.equal(lock.actor, team);
    assert.deepEqual([lock.to, lock.cc, lock.audience], [[PUBLIC], [group()], group()]);
    assert.ok(!JSON.stringify(lock).includes('/ap/u/'), 'no moderator is named');
    await eventually(async () => assert.equal((await onB()).locked, true));
    const refused = await b.member.client.api('POST', '/federation/remote/replies', { inReplyTo: threadIri, body: 'Too late' });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.json.error.code, 'thread_locked');

    await moderate('pin');
    const add = await sentOnce('Add');
    assert.equal(add.actor, team);
    assert.equal(add.target, `${group()}/featured`);
    await eventually(async () => assert.equal((await onB()).pinned, true));

    await moderate('unlock');
    await moderate('unpin');
    const undo = await eventually(async () => {
      const found = receiver.posts((r) => activityOf(r)?.type === 'Announce' && activityOf(r).object?.type === 'Undo');
      assert.equal(found.length, 1);
      return activityOf(found[0]!).object;
    });
    assert.equal(undo.actor, team);
    assert.deepEqual([undo.object.type, undo.object.object], ['Lock', threadIri]);
    await sentOnce('Remove');
    await eventually(async () => assert.deepEqual([(await onB()).locked, (await onB()).pinned], [false, false]));

    // Lemmy and Mbin take a moderator's action only from one of the community's moderators.
    assert.ok((await getJson(`${group()}/moderators`)).json.orderedItems.includes(team), 'the moderators list the team');
    const person = await getJson(team);
    assert.deepEqual([person.json.type, person.json.preferredUsername, person.json.name], ['Person', 'moderators.general', 'Moderators']);
    const finger = await getJson(`${a.url}/.well-known/webfinger?resource=${encodeURIComponent(`acct:moderators.general@${a.host}`)}`, 'application/jrd+json');
    assert.equal(finger.json.links[0].href, team);
  });

  it('a member who never chose to federate posts under the board’s one anonymous member, a Person WebFinger finds', async () => {
    const anonymous = `${a.url}/ap/a/general`;
    const thread = await a.admin.client.api('POST', '/boards/general/threads', { title: 'By someone unfederated', body: 'Hello' });
    assert.equal(thread.status, 201, thread.text);
    const create = await eventually(async () => {
      const found = announcesAt('Create').filter((r) => activityOf(r).object.object.name === 'By someone unfederated');
      assert.equal(found.length, 1);
      return activityOf(found[0]!);
    });
    assert.equal(create.object.actor, anonymous);
    assert.equal(create.object.object.attributedTo, anonymous);
    assert.ok(!JSON.stringify(create).includes('/ap/u/'), 'no member’s Person is named');
    const person = await getJson(anonymous);
    assert.equal(person.status, 200, person.text);
    assert.equal(person.json.type, 'Person');
    assert.equal(person.json.preferredUsername, 'anonymous.general');
    assert.equal(person.json.publicKey.owner, anonymous);
    const finger = await fetch(`${a.url}/.well-known/webfinger?resource=${encodeURIComponent(`acct:anonymous.general@${a.host}`)}`);
    assert.equal(finger.status, 200);
    const jrd = (await finger.json()) as { subject: string; links: { rel: string; href: string }[] };
    assert.equal(jrd.subject, `acct:anonymous.general@${a.host}`);
    assert.equal(jrd.links.find((l) => l.rel === 'self')?.href, anonymous);
    // A board that is not public has no anonymous member.
    assert.equal((await getJson(`${a.url}/ap/a/no-such-board`)).status, 404);
  });

  it('an anonymous post reaches B under the board’s anonymous member and nowhere names the member', async () => {
    const anonymous = `${a.url}/ap/a/general`;
    const handle = a.member.handle.toLowerCase();
    const before = receiver.received.length;
    const thread = await a.member.client.api('POST', '/boards/general/threads', { title: 'Anonymous one', body: 'Nobody knows', anonymous: true });
    assert.equal(thread.status, 201, thread.text);
    const create = await eventually(async () => {
      const found = announcesAt('Create').filter((r) => activityOf(r).object.object.name === 'Anonymous one');
      assert.equal(found.length, 1);
      return activityOf(found[0]!);
    });
    assert.equal(create.object.actor, anonymous);
    assert.equal(create.object.object.attributedTo, anonymous);
    await settled(a);
    const sent = receiver.received.slice(before).map((r) => r.raw.toLowerCase());
    assert.ok(sent.length > 0, 'something was sent');
    for (const raw of sent) assert.ok(!raw.includes(handle) && !raw.includes('/ap/u/'), `sent: ${raw}`);
    for (const iri of [create.object.object.id, create.object.id, create.id]) {
      const served = await getJson(iri);
      assert.equal(served.status, 200, served.text);
      assert.ok(!served.text.toLowerCase().includes(handle) && !served.text.includes('/ap/u/'), served.text);
    }
    const onB = await eventually(async () => {
      const found = (await mirrored()).find((t) => t.title === 'Anonymous one');
      assert.ok(found, 'the anonymous thread is mirrored on B');
      return found;
    });
    assert.equal(onB.attributedTo, anonymous);
    assert.ok(!JSON.stringify(onB).toLowerCase().includes(handle), 'the mirrored thread does not name its author');

    // Its author deleting it: the anonymous member, not the member's Person, sends the Delete; B loses it.
    const pageIri = create.object.object.id as string;
    const deleted = await a.member.client.api('DELETE', `/posts/${thread.json.post.id}`);
    assert.ok(deleted.status < 300, deleted.text);
    const del = await eventually(async () => {
      const found = announcesAt('Delete', pageIri);
      assert.equal(found.length, 1);
      return found[0]!;
    });
    assert.equal(activityOf(del).object.actor, anonymous);
    assert.ok(!del.raw.toLowerCase().includes(handle) && !del.raw.includes('/ap/u/'), del.raw);
    await eventually(async () => assert.ok((await mirrored()).every((t) => t.id !== pageIri), 'the deleted thread is gone from the mirror'));
  });

  it('a moderator on A removes the reply: B loses it, and its IRI serves a Tombstone', async () => {
    const removed = await a.admin.client.api('POST', `/posts/${replyPostId}/moderation`, { action: 'remove', reason: 'test' });
    assert.ok(removed.status < 300, removed.text);
    const announce = await eventually(async () => {
      const found = announcesAt('Delete', replyIri);
      assert.equal(found.length, 1);
      return activityOf(found[0]!);
    });
    assert.equal(announce.object.actor, group());
    assert.equal(announce.object.object.type, 'Tombstone');
    await eventually(async () => {
      const thread = (await mirrored()).find((t) => t.id === threadIri);
      assert.equal(thread.replies.length, 0);
    });
    const served = await getJson(replyIri);
    assert.equal(served.json?.type, 'Tombstone', served.text);
    // Nor does the board's outbox, which a follower's catch-up reads, still carry the removed words.
    const items = await outboxPage();
    assert.ok(items.length > 0, 'the outbox lists the board’s activities');
    assert.ok(!JSON.stringify(items).includes('A reply'), JSON.stringify(items));
  });

  it('a followed thread moved to a members-only board is deleted on B, and its IRI answers 410 with a Tombstone', async () => {
    const thread = await a.member.client.api('POST', '/boards/general/threads', { title: 'Moving soon', body: 'to the back room' });
    assert.equal(thread.status, 201, thread.text);
    const iri = `${a.url}/ap/o/${Buffer.from(thread.json.post.id as string, 'base64url').toString('hex')}`;
    await eventually(async () => assert.ok((await mirrored()).some((t) => t.id === iri), 'the thread is mirrored on B'));
    const made = await a.admin.client.api('POST', '/boards', { slug: 'back-room', name: 'Back room', visibility: 'members' });
    assert.equal(made.status, 201, made.text);
    const moved = await a.admin.client.api('PATCH', `/threads/${thread.json.thread.id}`, { action: 'move', board: 'back-room' });
    assert.equal(moved.status, 200, moved.text);
    await eventually(async () => assert.ok(!(await mirrored()).some((t) => t.id === iri), 'the moved thread is gone from the mirror'));
    const served = await getJson(iri);
    assert.equal(served.status, 410, served.text);
    assert.equal(served.json.type, 'Tombstone');
    assert.equal(served.json.content, undefined);
  });

  it('a followed board that stops being public sends a Delete of every post it had sent', async () => {
    const made = await a.admin.client.api('POST', '/boards', { slug: 'closing-soon', name: 'Closing soon', visibility: 'public' });
    assert.equal(made.status, 201, made.text);
    const groupIri = `${a.url}/ap/b/closing-soon`;
    const follower = receiver.actor('closer');
    assert.equal((await send(signedPost(`${groupIri}/inbox`, follower, followActivity(follower, groupIri)))).status, 200);
    await eventually(async () => {
      const list = await a.admin.client.api('GET', '/federation/boards/closing-soon/followers');
      assert.deepEqual(list.json.followers, [follower.id]);
    });
    const thread = await a.member.client.api('POST', '/boards/closing-soon/threads', { title: 'Said in public', body: 'for now' });
    assert.equal(thread.status, 201, thread.text);
    const iri = `${a.url}/ap/o/${Buffer.from(thread.json.post.id as string, 'base64url').toString('hex')}`;
    const fromGroup = (type: string) =>
      receiver.posts((r) => activityOf(r)?.actor === groupIri && activityOf(r)?.object?.type === type && idOf(activityOf(r).object.object) === iri);
    await eventually(async () => assert.equal(fromGroup('Create').length, 1));
    const closed = await a.admin.client.api('PATCH', '/boards/closing-soon', { visibility: 'members' });
    assert.equal(closed.status, 200, closed.text);
    await eventually(async () => assert.equal(fromGroup('Delete').length, 1));
    // Sent once, so other servers are told it is gone; nothing of it is left to read.
    const served = await getJson(iri);
    assert.equal(served.status, 410);
    assert.deepEqual(Object.keys(served.json).sort(), ['@context', 'id', 'type']);
  });

  it('a post on a board nobody follows is sent to no one and stored nowhere, yet its IRI answers from the post', async () => {
    const made = await a.admin.client.api('POST', '/boards', { slug: 'quiet', name: 'Quiet', visibility: 'public' });
    assert.equal(made.status, 201, made.text);
    const thread = await a.member.client.api('POST', '/boards/quiet/threads', { title: 'Nobody follows', body: 'still public' });
    assert.equal(thread.status, 201, thread.text);
    const postId = thread.json.post.id as string;
    const hex = Buffer.from(postId, 'base64url').toString('hex');
    const served = await eventually(async () => {
      const got = await getJson(`${a.url}/ap/o/${hex}`);
      assert.equal(got.status, 200, got.text);
      return got.json;
    });
    assert.equal(served.type, 'Page');
    assert.equal(served.name, 'Nobody follows');
    assert.equal(served.audience, `${a.url}/ap/b/quiet`);
    await settled(a);
    assert.equal((await getJson(`${a.url}/ap/s/create-${hex}`)).status, 404);
    assert.equal(receiver.posts((r) => JSON.stringify(r.json).includes(hex)).length, 0);
    // An edit shows at once; a deletion of a post never sent leaves nothing, not even a Tombstone.
    assert.equal((await a.member.client.api('PATCH', `/posts/${postId}`, { body: 'edited text' })).status, 200);
    assert.match((await getJson(`${a.url}/ap/o/${hex}`)).json.content, /edited text/);
    assert.equal((await a.member.client.api('DELETE', `/posts/${postId}`)).status, 204);
    assert.equal((await getJson(`${a.url}/ap/o/${hex}`)).status, 404);
  });

  it('serves no object of a board that is not public', async () => {
    const made = await a.admin.client.api('POST', '/boards', { slug: 'private-one', name: 'Private', visibility: 'members' });
    assert.equal(made.status, 201, made.text);
    const thread = await a.member.client.api('POST', '/boards/private-one/threads', { title: 'Members only', body: 'secret' });
    assert.equal(thread.status, 201, thread.text);
    const hex = Buffer.from(thread.json.post.id as string, 'base64url').toString('hex');
    assert.equal((await getJson(`${a.url}/ap/o/${hex}`)).status, 404);
    assert.equal((await getJson(`${a.url}/ap/s/create-${hex}`)).status, 404);

    // A public board's posts go with it when it stops being public.
    await a.admin.client.api('POST', '/boards', { slug: 'closing', name: 'Closing', visibility: 'public' });
    const open = await a.member.client.api('POST', '/boards/closing/threads', { title: 'Soon closed', body: 'text' });
    assert.equal(open.status, 201, open.text);
    const openHex = Buffer.from(open.json.post.id as string, 'base64url').toString('hex');
    await eventually(async () => assert.equal((await getJson(`${a.url}/ap/o/${openHex}`)).status, 200));
    const closed = await a.admin.client.api('PATCH', '/boards/closing', { visibility: 'members' });
    assert.equal(closed.status, 200, closed.text);
    assert.equal((await getJson(`${a.url}/ap/o/${openHex}`)).status, 404);
    assert.equal((await getJson(`${a.url}/ap/s/create-${openHex}`)).status, 404);
  });

  it('an Undo of a Follow sends no Update of the followers collection to the others', async () => {
    const leaving = receiver.actor('leaving');
    const follow = followActivity(leaving, group());
    assert.equal((await send(signedPost(`${group()}/inbox`, leaving, follow))).status, 200);
    await eventually(async () => assert.equal((await a.admin.client.api('GET', '/federation/boards/general/followers')).json.followers.length, 3));
    const undo = { '@context': 'https://www.w3.org/ns/activitystreams', id: `${leaving.id}/undo/1`, type: 'Undo', actor: leaving.id, object: follow };
    assert.ok((await send(signedPost(`${group()}/inbox`, leaving, undo))).status < 300, 'the Undo is taken');
    await eventually(async () => assert.equal((await a.admin.client.api('GET', '/federation/boards/general/followers')).json.followers.length, 2));
    // A Follow answered after it: whatever the Undo queued is queued by then.
    const later = receiver.actor('later');
    assert.equal((await send(signedPost(`${group()}/inbox`, later, followActivity(later, group())))).status, 200);
    await eventually(async () => assert.equal(receiver.posts((r) => activityOf(r)?.type === 'Accept' && idOf(activityOf(r).object.actor) === later.id).length, 1));
    await settled(a);
    // Edits of posts reach followers inside the Group's Announce; a bare Update would be apex's collection Update.
    assert.deepEqual(receiver.posts((r) => activityOf(r)?.type === 'Update'), []);
  });

  describe('forged Announces are refused and store nothing', () => {
    // Where B receives what the boards it follows send: the inbox of its follows Person.
    const bInbox = () => `${b.url}/ap/follows/inbox`;
    const fakeCreate = (actor: string, audience: string, id: string) => ({
      id: `${id}/create`,
      type: 'Create',
      actor,
      to: [PUBLIC],
      audience,
      object: { id, type: 'Page', name: 'Forged', content: '<p>forged</p>', attributedTo: actor, audience, to: [PUBLIC] },
    });

    it('from an actor B does not follow (403)', async () => {
      const mallory = receiver.actor('mallory');
      const before = await mirrored();
      const announce = {
        '@context': 'https://www.w3.org/ns/activitystreams',
        id: `${mallory.id}/announces/1`,
        type: 'Announce',
        actor: mallory.id,
        to: [PUBLIC],
        object: fakeCreate(mallory.id, mallory.id, `${mallory.id}/posts/1`),
      };
      const answer = await send(signedPost(bInbox(), mallory, announce));
      assert.equal(answer.status, 403, answer.text);
      assert.deepEqual(await mirrored(), before);
    });

    it('from a followed group, of an inner Create that is not that group’s (403), or that its origin does not serve (422)', async () => {
      // B follows a group on the test's server, which accepts.
      const fakeGroup = receiver.actor('fakegroup');
      const made = await b.admin.client.api('POST', '/federation/follows', { target: fakeGroup.id });
      assert.equal(made.status, 201, made.text);
      const follow = await eventually(async () => {
        const found = receiver.posts((r) => activityOf(r)?.type === 'Follow' && activityOf(r)?.object === fakeGroup.id);
        assert.equal(found.length, 1);
        return activityOf(found[0]!);
      });
      // Lemmy and Mbin take a Follow of a community only from a Person: B's instance follows through its own.
      assert.equal(follow.actor, `${b.url}/ap/follows`);
      const follower = await getJson(follow.actor);
      assert.equal(follower.json.type, 'Person', follower.text);
      assert.equal(follower.json.preferredUsername, 'instance.follows');
      const accept = { '@context': 'https://www.w3.org/ns/activitystreams', id: `${fakeGroup.id}/accepts/1`, type: 'Accept', actor: fakeGroup.id, object: follow };
      assert.ok((await send(signedPost(bInbox(), fakeGroup, accept))).status < 300, 'B takes the fake group’s Accept');
      await eventually(async () => {
        const list = await b.admin.client.api('GET', '/federation/follows');
        assert.equal(list.json.follows.find((f: any) => f.target === fakeGroup.id)?.state, 'accepted');
      });
      // apex would send an Update of B's following collection to the group that accepted.
      await settled(b);
      assert.deepEqual(receiver.posts((r) => activityOf(r)?.type === 'Update'), []);
      const otherGroup = `${receiver.url}/users/othergroup`;
      const cases: [ReturnType<typeof fakeCreate>, number][] = [
        // An inner Create by a member addressed to another group.
        [fakeCreate(`${receiver.url}/users/someone`, otherGroup, `${receiver.url}/posts/2`), 403],
        // An inner Create claiming to be A's group's, from another origin: B reads it from A, where it does not exist.
        [fakeCreate(group(), group(), `${a.url}/ap/o/forged`), 422],
      ];
      for (const [i, [inner, status]] of cases.entries()) {
        const announce = { '@context': 'https://www.w3.org/ns/activitystreams', id: `${fakeGroup.id}/announces/${i}`, type: 'Announce', actor: fakeGroup.id, to: [PUBLIC], object: inner };
        const answer = await send(signedPost(bInbox(), fakeGroup, announce));
        assert.equal(answer.status, status, `${i}: ${answer.text}`);
      }
      const fake = await b.member.client.api('GET', `/federation/remote?group=${encodeURIComponent(fakeGroup.id)}`);
      assert.deepEqual(fake.json.threads, []);
      assert.ok((await mirrored()).every((t) => t.title !== 'Forged'), 'no forged thread is mirrored');

      // The same group's own post is taken, its HTML cleaned as local posts are.
      const own = fakeCreate(fakeGroup.id, fakeGroup.id, `${receiver.url}/posts/3`);
      own.object.content = '<p>fine <a href="https://example.org" onclick="x()">link</a></p><script>alert(1)</script><img src=x onerror=alert(1)>';
      const ok = { '@context': 'https://www.w3.org/ns/activitystreams', id: `${fakeGroup.id}/announces/ok`, type: 'Announce', actor: fakeGroup.id, to: [PUBLIC], object: own };
      assert.equal((await send(signedPost(bInbox(), fakeGroup, ok))).status, 202);
      const taken = await b.member.client.api('GET', `/federation/remote?group=${encodeURIComponent(fakeGroup.id)}`);
      assert.equal(taken.json.threads.length, 1);
      const html = taken.json.threads[0].html as string;
      assert.match(html, /fine/);
      assert.doesNotMatch(html, /script|onclick|onerror|alert/);

      // A member's report of it reaches the group as a Flag from B's reports Person, naming no member.
      const reported = await b.member.client.api('POST', '/federation/remote/reports', { object: own.object.id, reason: 'spam' });
      assert.equal(reported.status, 202, reported.text);
      const flag = await eventually(async () => {
        const found = receiver.posts((r) => activityOf(r)?.type === 'Flag');
        assert.equal(found.length, 1);
        return found[0]!;
      });
      assert.equal(activityOf(flag).actor, `${b.url}/ap/reports`);
      assert.equal((await getJson(`${b.url}/ap/reports`)).json.type, 'Person');
      assert.ok(!flag.raw.toLowerCase().includes(b.member.handle.toLowerCase()) && !flag.raw.includes('/ap/u/'), flag.raw);

      // A date in the future is taken as the time it arrived (it would keep the thread on top), and an Update cannot move it.
      const future = fakeCreate(fakeGroup.id, fakeGroup.id, `${receiver.url}/posts/4`);
      Object.assign(future.object, { name: 'From the future', published: '2099-01-01T00:00:00Z' });
      const sentAt = Date.now();
      const ahead = { '@context': 'https://www.w3.org/ns/activitystreams', id: `${fakeGroup.id}/announces/future`, type: 'Announce', actor: fakeGroup.id, to: [PUBLIC], object: future };
      assert.equal((await send(signedPost(bInbox(), fakeGroup, ahead))).status, 202);
      const listed = (await b.member.client.api('GET', `/federation/remote?group=${encodeURIComponent(fakeGroup.id)}`)).json.threads as any[];
      const dated = listed.find((t) => t.title === 'From the future');
      const at = Date.parse(dated.published);
      assert.ok(at >= sentAt - 1000 && at <= Date.now(), dated.published);
    });
  });

  describe('what is sent', () => {
    it('is every activity exactly as reviewed once (ids and dates normalised)', async () => {
      // Besides the posts: a member's reply on a followed remote board, an Undo of a follow, a Reject.
      const fakeGroup = `${receiver.url}/users/fakegroup`;
      const replied = await b.member.client.api('POST', '/federation/remote/replies', { inReplyTo: `${receiver.url}/posts/3`, body: 'Written from B' });
      assert.equal(replied.status, 201, replied.text);
      // A like of a post there (from B's anonymous member: the member never chose to federate), and its Undo.
      for (const liked of [true, false]) {
        const like = await b.member.client.api('PUT', '/federation/remote/likes', { object: `${receiver.url}/posts/3`, liked });
        assert.equal(like.status, 200, like.text);
        assert.deepEqual(like.json.likes, { count: liked ? 1 : 0, mine: liked });
      }
      const follow = ((await b.admin.client.api('GET', '/federation/follows')).json.follows as any[]).find((f) => f.target === fakeGroup);
      assert.equal((await b.admin.client.api('DELETE', `/federation/follows/${follow.id}`)).status, 204);
      assert.equal((await a.admin.client.api('POST', '/boards', { slug: 'old-board', name: 'Old board', visibility: 'public' })).status, 201);
      assert.equal((await a.admin.client.api('PATCH', '/boards/old-board', { archived: true })).status, 200);
      const oldBoard = `${a.url}/ap/b/old-board`;
      assert.equal((await send(signedPost(`${oldBoard}/inbox`, watcher, followActivity(watcher, oldBoard)))).status, 200);
      await eventually(async () => {
        assert.equal(receiver.posts((r) => activityOf(r)?.type === 'Reject').length, 1, 'Reject');
        assert.equal(receiver.posts((r) => activityOf(r)?.type === 'Undo' && activityOf(r)?.object?.type === 'Follow').length, 1, 'Undo');
        assert.equal(receiver.posts((r) => activityOf(r)?.type === 'Create' && activityOf(r)?.object?.content?.includes('Written from B')).length, 1, 'Create');
        assert.equal(receiver.posts((r) => activityOf(r)?.type === 'Undo' && activityOf(r)?.object?.type === 'Like').length, 1, 'Undo of the Like');
      });
      // The member who wrote there deletes their account: their Person's Delete reaches the board they wrote on.
      const gone = await b.member.client.api('DELETE', '/me', { passphrase: PASS, content: 'delete' });
      assert.equal(gone.status, 204, gone.text);
      await eventually(async () => assert.equal(receiver.posts((r) => activityOf(r)?.type === 'Delete' && activityOf(r)?.object === activityOf(r)?.actor).length, 1, 'Delete of the Person'));
      await Promise.all([settled(a), settled(b)]);
      const names = {
        [a.url]: 'https://a.example',
        [b.url]: 'https://b.example',
        [receiver.url]: 'https://remote.example',
        [a.host]: 'a.example',
        [a.member.handle]: 'a_member',
        [a.admin.handle]: 'a_admin',
        [b.member.handle]: 'b_member',
      };
      matchSnapshot('posts-sent', normalised(receiver.posts().map((r) => r.json), names));
    });
  });
});
