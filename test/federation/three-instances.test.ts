import assert from 'node:assert/strict';
import { eventually, startPeers, type Peer } from './instances.js';
import { followActivity, Receiver, send, signedPost } from './receiver.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers */

/**
 * A, B and C as separate processes over real HTTP: B and C follow A's public
 * board; a member of B writes on it; A makes it a post of its own board and
 * announces it; B and C show it threaded; A's moderator removes it and both
 * lose it.
 */
describe('three instances: a member of B writes on A’s board, C reads it', function () {
  this.timeout(180_000);
  let a: Peer;
  let b: Peer;
  let c: Peer;
  const receiver = new Receiver();
  const group = () => `${a.url}/ap/b/general`;
  let threadId = '';
  let threadIri = '';
  let replyIri = '';

  const mirrored = async (peer: Peer) => {
    const reply = await peer.member.client.api('GET', `/federation/remote?group=${encodeURIComponent(group())}`);
    assert.equal(reply.status, 200, reply.text);
    return reply.json.threads as any[];
  };

  before(async () => {
    await receiver.start();
    [a, b, c] = (await startPeers(['ta', 'tb', 'tc'])) as [Peer, Peer, Peer];
    for (const peer of [b, c]) {
      const made = await peer.admin.client.api('POST', '/federation/follows', { target: `general@${a.host}` });
      assert.equal(made.status, 201, made.text);
    }
    await eventually(async () => {
      const list = await a.admin.client.api('GET', '/federation/boards/general/followers');
      assert.equal(list.json.followers.length, 2);
    });
    const thread = await a.member.client.api('POST', '/boards/general/threads', { title: 'Safer screening tips', body: 'What works for you?' });
    assert.equal(thread.status, 201, thread.text);
    threadId = thread.json.thread.id;
    threadIri = `${a.url}/ap/o/${Buffer.from(thread.json.post.id as string, 'base64url').toString('hex')}`;
    for (const peer of [b, c]) await eventually(async () => assert.ok((await mirrored(peer)).some((t) => t.id === threadIri), 'the thread is mirrored on every peer'));
  });
  after(async () => {
    await Promise.all([a?.dispose(), b?.dispose(), c?.dispose()]);
    await receiver.stop();
  });

  it('B’s member replies; A shows it under their name and address; B and C show it in the thread', async () => {
    const sent = await b.member.client.api('POST', '/federation/remote/replies', { inReplyTo: threadIri, body: 'Always *ask* for a deposit.' });
    assert.equal(sent.status, 201, sent.text);
    replyIri = sent.json.post.id;
    assert.ok(replyIri.startsWith(`${b.url}/`), 'the reply’s id is an IRI on B');

    const onA = await eventually(async () => {
      const got = await a.member.client.api('GET', `/threads/${threadId}`);
      assert.equal(got.json.posts.length, 2, got.text);
      return got.json.posts[1];
    });
    assert.equal(onA.author.kind, 'remote');
    assert.equal(onA.author.address, `${b.member.handle}@${b.host}`);
    assert.match(onA.html, /<em>ask<\/em>/);
    const page = await a.member.client.get(`/t/${threadId}`);
    assert.match(page.text, new RegExp(`${b.member.handle}@${b.host.replace('.', '\\.')}`));

    for (const peer of [b, c]) {
      await eventually(async () => {
        const thread = (await mirrored(peer)).find((t) => t.id === threadIri);
        assert.equal(thread?.replies.length, 1);
        assert.equal(thread.replies[0].id, replyIri);
        assert.equal(thread.replies[0].attributedTo, `${b.url}/ap/u/${b.member.handle.toLowerCase()}`);
        assert.match(thread.replies[0].html, /deposit/);
      });
    }
  });

  it('C’s member reports A’s thread: A’s moderators get it from C’s server, never naming the member', async () => {
    const bad = await c.member.client.api('POST', '/federation/remote/reports', { object: `${a.url}/ap/o/00ff`, reason: 'spam' });
    assert.equal(bad.status, 404, bad.text);
    const sent = await c.member.client.api('POST', '/federation/remote/reports', { object: threadIri, reason: 'outing', note: 'names a street' });
    assert.equal(sent.status, 202, sent.text);
    const report = await eventually(async () => {
      const queue = await a.admin.client.api('GET', '/moderation/reports');
      assert.equal(queue.status, 200, queue.text);
      const found = (queue.json.reports as any[]).find((r) => r.note.includes('names a street'));
      assert.ok(found, queue.text);
      return found;
    });
    assert.equal(report.reporter, c.host);
    assert.equal(report.post.threadId, threadId);
    assert.doesNotMatch(JSON.stringify(report), new RegExp(c.member.handle));
  });

  it('A’s moderator removes the reply: B and C lose it', async () => {
    const got = await a.admin.client.api('GET', `/threads/${threadId}`);
    const postId = got.json.posts[1].id as string;
    const removed = await a.admin.client.api('POST', `/posts/${postId}/moderation`, { action: 'remove', reason: 'names a third person' });
    assert.equal(removed.status, 200, removed.text);
    for (const peer of [b, c]) {
      await eventually(async () => {
        const thread = (await mirrored(peer)).find((t) => t.id === threadIri);
        assert.equal(thread?.replies.length, 0);
      });
    }
  });

  it('a reply from B to a thread A has locked is refused by A, and B’s member is told', async () => {
    const locked = await a.member.client.api('POST', '/boards/general/threads', { title: 'Closed soon', body: 'Read only after today' });
    assert.equal(locked.status, 201, locked.text);
    const lockedIri = `${a.url}/ap/o/${Buffer.from(locked.json.post.id as string, 'base64url').toString('hex')}`;
    await eventually(async () => assert.ok((await mirrored(b)).some((t) => t.id === lockedIri), 'the thread to be locked is mirrored on B'));
    assert.equal((await a.admin.client.api('PATCH', `/threads/${locked.json.thread.id}`, { action: 'lock' })).status, 200);
    const sent = await b.member.client.api('POST', '/federation/remote/replies', { inReplyTo: lockedIri, body: 'One more thing' });
    assert.equal(sent.status, 201, sent.text);
    const told = await eventually(async () => {
      const list = (await b.member.client.api('GET', '/notifications')).json.notifications as any[];
      const found = list.find((n) => n.kind === 'remote_post_refused');
      assert.ok(found, JSON.stringify(list));
      return found;
    });
    assert.match(told.url, /^\/remote\/[A-Za-z0-9_-]+$/);
    const page = await b.member.client.get('/notifications');
    assert.match(page.text, /Another server did not accept your post/);
    assert.equal((await a.member.client.api('GET', `/threads/${locked.json.thread.id}`)).json.posts.length, 1, 'nothing was added on A');
  });

  it('refuses posts from a server that is not in the board’s conversation, and replies to unknown posts', async () => {
    const stranger = receiver.actor('stranger');
    const note = (id: string, inReplyTo?: string) => ({
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: `${stranger.id}/create/${id}`,
      type: 'Create',
      actor: stranger.id,
      to: [group()],
      object: { id: `${stranger.id}/note/${id}`, type: 'Note', attributedTo: stranger.id, content: 'spam', to: [group()], audience: group(), ...(inReplyTo ? { inReplyTo } : {}) },
    });
    const refused = await send(signedPost(`${group()}/inbox`, stranger, note('1', threadIri)));
    assert.equal(refused.status, 403, refused.text);
    assert.match(refused.text, /not_following_board/);

    // Once it follows the board it may write, but only in answer to posts that exist.
    assert.equal((await send(signedPost(`${group()}/inbox`, stranger, followActivity(stranger, group())))).status, 200);
    await eventually(async () => {
      const list = await a.admin.client.api('GET', '/federation/boards/general/followers');
      assert.ok(list.json.followers.includes(stranger.id), 'the stranger is listed as a follower');
    });
    const unknown = await send(signedPost(`${group()}/inbox`, stranger, note('2', `${a.url}/ap/o/00ff`)));
    assert.equal(unknown.status, 422, unknown.text);
    // Someone else's post cannot be passed off as one's own.
    const forged = note('3', threadIri);
    (forged.object as any).attributedTo = `${b.url}/ap/u/${b.member.handle.toLowerCase()}`;
    assert.equal((await send(signedPost(`${group()}/inbox`, stranger, forged))).status, 403);
    const got = await a.member.client.api('GET', `/threads/${threadId}`);
    assert.equal(got.json.posts.filter((p: any) => p.state === 'visible').length, 1);
  });

  it('counts a Like or an emoji reaction as a supportive reaction, and its Undo takes it back; never lists who', async () => {
    const fan = receiver.actor('fan');
    const like = { '@context': 'https://www.w3.org/ns/activitystreams', id: `${fan.id}/likes/1`, type: 'Like', actor: fan.id, object: threadIri, content: '🤗' };
    // (The test's server is in the board's conversation already: the stranger above follows it.)
    assert.equal((await send(signedPost(`${group()}/inbox`, fan, followActivity(fan, group())))).status, 200);
    await eventually(async () => {
      const list = await a.admin.client.api('GET', '/federation/boards/general/followers');
      assert.ok(list.json.followers.includes(fan.id), 'the fan is listed as a follower');
    });
    const reactions = async () => (await a.member.client.api('GET', `/threads/${threadId}`)).json.posts[0].reactions;
    assert.equal((await send(signedPost(`${group()}/inbox`, fan, like))).status, 202);
    // Sent twice (a retry), counted once.
    assert.equal((await send(signedPost(`${group()}/inbox`, fan, like, new Date(Date.now() + 2000)))).status, 202);
    const plain = { '@context': 'https://www.w3.org/ns/activitystreams', id: `${fan.id}/likes/2`, type: 'Like', actor: fan.id, object: threadIri };
    assert.equal((await send(signedPost(`${group()}/inbox`, fan, plain))).status, 202);
    assert.deepEqual({ hug: (await reactions()).hug, heart: (await reactions()).heart }, { hug: 1, heart: 1 });
    const served = await (await fetch(threadIri, { headers: { accept: 'application/activity+json' } })).json();
    assert.equal(served.likes.totalItems, 2);
    assert.doesNotMatch(JSON.stringify(served), /fan/);

    // Mastodon sends a Like to the author's inbox: a member's Person counts it the same way, and takes its Undo.
    assert.equal((await a.member.client.api('PUT', '/federation/me', { discoverable: true })).status, 200);
    const own = await a.member.client.api('POST', '/boards/general/threads', { title: 'Posted as myself', body: 'under my pseudonym' });
    assert.equal(own.status, 201, own.text);
    const ownIri = `${a.url}/ap/o/${Buffer.from(own.json.post.id as string, 'base64url').toString('hex')}`;
    const author = (await (await fetch(ownIri, { headers: { accept: 'application/activity+json' } })).json()).attributedTo as string;
    assert.ok(author.startsWith(`${a.url}/ap/u/`), author);
    const ownReactions = async () => (await a.member.client.api('GET', `/threads/${own.json.thread.id}`)).json.posts[0].reactions;
    const atAuthor = { '@context': 'https://www.w3.org/ns/activitystreams', id: `${fan.id}/likes/3`, type: 'Like', actor: fan.id, object: ownIri, content: '💪' };
    assert.equal((await send(signedPost(`${author}/inbox`, fan, atAuthor))).status, 202);
    assert.equal((await ownReactions()).strong, 1);
    const undoAtAuthor = { '@context': 'https://www.w3.org/ns/activitystreams', id: `${fan.id}/undo/3`, type: 'Undo', actor: fan.id, object: atAuthor };
    assert.equal((await send(signedPost(`${author}/inbox`, fan, undoAtAuthor))).status, 202);
    assert.equal((await ownReactions()).strong, 0);

    const undo = { '@context': 'https://www.w3.org/ns/activitystreams', id: `${fan.id}/undo/1`, type: 'Undo', actor: fan.id, object: like };
    assert.equal((await send(signedPost(`${group()}/inbox`, fan, undo))).status, 202);
    assert.equal((await reactions()).hug, 0);
    // Only its author can take a Like back.
    const other = receiver.actor('other-fan');
    const stolen = { '@context': 'https://www.w3.org/ns/activitystreams', id: `${other.id}/undo/1`, type: 'Undo', actor: other.id, object: `${fan.id}/likes/2` };
    assert.equal((await send(signedPost(`${group()}/inbox`, other, stolen))).status, 403);
    assert.equal((await reactions()).heart, 1);
  });

  it('takes the same reply sent three times at once (retries racing the first, one in a new activity) as one post', async () => {
    const racer = receiver.actor('racer');
    assert.equal((await send(signedPost(`${group()}/inbox`, racer, followActivity(racer, group())))).status, 200);
    await eventually(async () => {
      const list = await a.admin.client.api('GET', '/federation/boards/general/followers');
      assert.ok(list.json.followers.includes(racer.id), 'the racer is listed as a follower');
    });
    const create = (n: number) => ({
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: `${racer.id}/create/${n}`,
      type: 'Create',
      actor: racer.id,
      to: [group()],
      object: { id: `${racer.id}/note/1`, type: 'Note', attributedTo: racer.id, content: 'sent once, arrived thrice', inReplyTo: threadIri, to: [group()], audience: group() },
    });
    const copies = [create(1), create(1), create(2)];
    const answers = await Promise.all(copies.map((copy, s) => send(signedPost(`${group()}/inbox`, racer, copy, new Date(Date.now() + s * 1000)))));
    for (const answer of answers) assert.ok(answer.status >= 200 && answer.status < 300, `${answer.status} ${answer.text}`);
    const got = await a.member.client.api('GET', `/threads/${threadId}`);
    assert.equal(got.json.posts.filter((p: any) => /arrived thrice/.test(p.html ?? '')).length, 1, got.text);
  });

  it('a follower that was down catches up when it returns (deliveries are retried)', async () => {
    await c.stop();
    const thread = await a.member.client.api('POST', '/boards/general/threads', { title: 'Posted while C was away', body: 'still reaches C' });
    assert.equal(thread.status, 201, thread.text);
    const iri = `${a.url}/ap/o/${Buffer.from(thread.json.post.id as string, 'base64url').toString('hex')}`;
    await eventually(async () => assert.ok((await mirrored(b)).some((t) => t.id === iri), 'B has it'));
    await c.restart();
    await eventually(async () => assert.ok((await mirrored(c)).some((t) => t.id === iri), 'C has it'), 60_000);
  });

  it('an instance that follows later (or was away past the retries) reads what the board already holds from its outbox', async () => {
    const again = await b.member.client.api('POST', '/federation/remote/replies', { inReplyTo: threadIri, body: 'A second, kinder reply.' });
    assert.equal(again.status, 201, again.text);
    await eventually(async () => assert.equal((await mirrored(c)).find((t) => t.id === threadIri)?.replies.length, 1));
    const [d] = (await startPeers(['td'])) as [Peer];
    try {
      const made = await d.admin.client.api('POST', '/federation/follows', { target: `general@${a.host}` });
      assert.equal(made.status, 201, made.text);
      const onD = await eventually(async () => {
        const threads = await mirrored(d);
        const thread = threads.find((t) => t.id === threadIri);
        assert.equal(thread?.replies.length, 1);
        assert.ok(threads.some((t) => t.title === 'Posted while C was away'), 'D reads the thread posted while C was away');
        return thread;
      }, 60_000);
      // B's reply is read from B (its own server), the one A's moderator removed stays removed.
      assert.equal(onD.replies[0].id, again.json.post.id);
      assert.match(onD.replies[0].html, /kinder/);
      assert.ok(!JSON.stringify(await mirrored(d)).includes(replyIri), 'D does not get the removed reply');
    } finally {
      await d.dispose();
    }
  });

  it('sends nothing about a room: no activity any server receives names it or carries its messages', async () => {
    const made = await a.admin.client.api('POST', '/rooms', { name: 'HIV+ peers Tuesday', purpose: 'peer support' });
    assert.equal(made.status, 201, made.text);
    const roomId = made.json.room.id as string;
    const said = await a.admin.client.api('POST', `/rooms/${roomId}/messages`, { body: 'room-marker-7f3a: my viral load is undetectable' });
    assert.equal(said.status, 201, said.text);
    // A board post after it, so that anything queued before has been sent by the time this arrives.
    const after = await a.member.client.api('POST', '/boards/general/threads', { title: 'After the room', body: 'board post' });
    assert.equal(after.status, 201, after.text);
    const afterIri = `${a.url}/ap/o/${Buffer.from(after.json.post.id as string, 'base64url').toString('hex')}`;
    await eventually(async () => assert.ok((await mirrored(b)).some((t) => t.id === afterIri), 'the thread posted after the room is mirrored on B'));
    const everything = receiver.received.map((r) => r.raw).join('\n');
    for (const secret of [roomId, 'room-marker-7f3a', 'HIV+ peers Tuesday', 'viral load']) assert.ok(!everything.includes(secret), secret);
    assert.doesNotMatch(JSON.stringify(await mirrored(b)), /room-marker|viral load/);
  });
});
