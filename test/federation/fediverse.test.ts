import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { keyLookup, multikeyOf, provenBy, withProof } from '../../federation/integrity.js';
import { AP, eventually, getJson, settled, startPeer, type Peer } from './instances.js';
import { followActivity, Receiver, send, signedPost, type FakeActor, type Received } from './receiver.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary ActivityPub documents */

/*
 * Parasol against the shapes the group-federation servers send, written by hand from their published federation
 * documents (Lemmy's and Mbin's FEDERATION.md, NodeBB's ActivityPub notes, FEP-1b12, FEP-7888, Mastodon's and
 * Pleroma's documentation): a test server on loopback plays a Lemmy community (a Group) with its members, another
 * plays a Mastodon server whose member replies on it.
 */

const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';
const AS = 'https://www.w3.org/ns/activitystreams';

const activityOf = (r: Received) => r.json as any;

describe('federating with Lemmy, Mbin, NodeBB, Mastodon and Pleroma shapes (a test server on loopback)', function () {
  this.timeout(180_000);
  let p: Peer;
  const lemmy = new Receiver();
  const masto = new Receiver();
  let community: FakeActor;
  let kim: FakeActor;
  let mia: FakeActor;
  let counter = 0;
  const inbox = () => `${p.url}/ap/follows/inbox`;

  /** The community's Announce of `inner`, signed by the community, to the instance's follows Person. */
  const announce = (inner: unknown) => {
    counter += 1;
    return send(
      signedPost(inbox(), community, { '@context': AS, id: `${community.id}/announces/${counter}`, type: 'Announce', actor: community.id, to: [PUBLIC], cc: [`${community.id}/followers`], object: inner }),
    );
  };
  const mirrored = async () => {
    const reply = await p.member.client.api('GET', `/federation/remote?group=${encodeURIComponent(community.id)}`);
    assert.equal(reply.status, 200, reply.text);
    return reply.json.threads as any[];
  };
  const threadOf = async (id: string) => (await mirrored()).find((t) => t.id === id);

  before(async () => {
    await Promise.all([lemmy.start(), masto.start()]);
    p = await startPeer('fv', { env: { LOG_LEVEL: 'info' } });
    community = lemmy.actor('community', 'Group');
    kim = lemmy.actor('kim');
    mia = masto.actor('mia');
    // What the community already holds, read when our follow is accepted: NodeBB's outbox pages carry no id.
    lemmy.documents.set('/users/community/outbox', { '@context': AS, id: `${community.id}/outbox`, type: 'OrderedCollection', totalItems: 1, first: `${community.id}/outbox?page=1` });
    lemmy.documents.set('/users/community/outbox?page=1', {
      '@context': AS,
      type: 'OrderedCollectionPage',
      partOf: `${community.id}/outbox`,
      orderedItems: [
        {
          id: `${community.id}/announces/old`,
          type: 'Announce',
          actor: community.id,
          to: [PUBLIC],
          object: {
            id: `${lemmy.url}/activities/create/old`,
            type: 'Create',
            actor: kim.id,
            to: [community.id, PUBLIC],
            object: { id: `${lemmy.url}/post/old`, type: 'Page', name: 'From the outbox', content: '<p>older</p>', attributedTo: kim.id, audience: community.id, to: [community.id, PUBLIC] },
          },
        },
      ],
    });
  });
  after(async () => {
    if (process.env.SHOW_PEER_OUTPUT) console.log(p?.output());
    await p?.dispose();
    await Promise.all([lemmy.stop(), masto.stop()]);
  });

  it('follows a community from a Person, takes its Accept without sending collection Updates, and reads its outbox pages without an id', async () => {
    const made = await p.admin.client.api('POST', '/federation/follows', { target: community.id });
    assert.equal(made.status, 201, made.text);
    const follow = await eventually(async () => {
      const found = lemmy.posts((r) => activityOf(r)?.type === 'Follow');
      assert.equal(found.length, 1);
      return activityOf(found[0]!);
    });
    assert.equal(follow.actor, `${p.url}/ap/follows`);
    assert.equal(follow.object, community.id);
    const person = await getJson(follow.actor);
    assert.equal(person.json.type, 'Person');
    assert.ok(person.json.inbox && person.json.publicKey?.publicKeyPem, person.text);
    const accept = { '@context': AS, id: `${community.id}/accepts/1`, type: 'Accept', actor: community.id, object: follow };
    const answer = await send(signedPost(inbox(), community, accept));
    assert.ok(answer.status < 300, answer.text);
    await eventually(async () => assert.ok(await threadOf(`${lemmy.url}/post/old`), 'the outbox’s thread is mirrored'));
    await settled(p);
    assert.deepEqual(lemmy.posts((r) => activityOf(r)?.type === 'Update'), []);
  });

  it('Lemmy: a link post without a body shows its link as a plain link', async () => {
    const page = {
      id: `${lemmy.url}/post/1`,
      type: 'Page',
      attributedTo: kim.id,
      name: 'A story worth reading',
      attachment: [{ type: 'Link', href: 'https://news.example/story' }],
      audience: community.id,
      to: [community.id, PUBLIC],
      cc: [],
      sensitive: false,
      published: new Date().toISOString(),
    };
    const create = { id: `${lemmy.url}/activities/create/1`, type: 'Create', actor: kim.id, to: [community.id, PUBLIC], audience: community.id, object: page };
    const answer = await announce(create);
    assert.equal(answer.status, 202, answer.text);
    const thread = await threadOf(page.id);
    assert.equal(thread.title, 'A story worth reading');
    assert.match(thread.html, /<a href="https:\/\/news\.example\/story" rel="[^"]*nofollow[^"]*">https:\/\/news\.example\/story<\/a>/);
  });

  it('NodeBB: the Announce of the Create and of the bare Article are both taken; the summary is text, not a warning; a reply is threaded by inReplyTo, not context', async () => {
    const article = {
      id: `${lemmy.url}/topic/7`,
      type: 'Article',
      attributedTo: kim.id,
      name: 'Rent strike meeting',
      summary: 'A <b>short</b> summary',
      content: '<p>Meeting on Friday.</p>',
      context: `${lemmy.url}/topic/7/context`,
      audience: community.id,
      to: [PUBLIC],
      cc: [community.id],
      published: new Date().toISOString(),
    };
    const create = { id: `${lemmy.url}/topic/7#create`, type: 'Create', actor: kim.id, to: [PUBLIC], cc: [community.id], object: article };
    assert.equal((await announce(create)).status, 202);
    assert.equal((await announce(article)).status, 202, 'the bare Article is taken as its Create');
    lemmy.documents.set('/topic/8', { '@context': AS, ...article, id: `${lemmy.url}/topic/8`, name: 'Announced by IRI' });
    assert.equal((await announce(`${lemmy.url}/topic/8`)).status, 202, 'a bare Article announced by its IRI is read from its origin');
    const thread = await threadOf(article.id);
    assert.equal(thread.title, 'Rent strike meeting');
    assert.equal(thread.summary, null, 'an Article’s summary is no content warning');
    assert.match(thread.html, /^<p>A short summary<\/p><p>Meeting on Friday\.<\/p>/);
    assert.ok(await threadOf(`${lemmy.url}/topic/8`), 'the thread announced by IRI is mirrored');

    const reply = { id: `${lemmy.url}/post/71`, type: 'Note', attributedTo: kim.id, content: '<p>I will come</p>', inReplyTo: article.id, context: article.context, audience: community.id, to: [PUBLIC] };
    assert.equal((await announce({ id: `${lemmy.url}/post/71#create`, type: 'Create', actor: kim.id, to: [PUBLIC], object: reply })).status, 202);
    const replies = (await threadOf(article.id)).replies as any[];
    assert.deepEqual(replies.map((r) => r.id), [reply.id]);
  });

  it('Lemmy and Mbin: a thread locked and featured by a moderator shows locked and pinned; Undo and Remove take them back', async () => {
    const thread = `${lemmy.url}/topic/7`;
    const mod = (type: string, fields: Record<string, unknown>) => {
      counter += 1;
      return { id: `${lemmy.url}/activities/${type.toLowerCase()}/${counter}`, type, actor: kim.id, to: [PUBLIC], cc: [community.id], audience: community.id, ...fields };
    };
    const lock = mod('Lock', { object: thread });
    assert.equal((await announce(lock)).status, 202);
    assert.equal((await threadOf(thread)).locked, true);
    const refused = await p.member.client.api('POST', '/federation/remote/replies', { inReplyTo: thread, body: 'After the lock' });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.json.error.code, 'thread_locked');

    assert.equal((await announce(mod('Add', { object: thread, target: `${community.id}/featured` }))).status, 202);
    assert.equal((await threadOf(thread)).pinned, true);
    // Lemmy also Adds moderators to its moderators collection: that is no thread, and nothing mirrored changes.
    assert.equal((await announce(mod('Add', { object: mia.id, target: `${community.id}/moderators` }))).status, 202);
    // A collection of another server is not the community's.
    assert.equal((await announce(mod('Remove', { object: thread, target: `${masto.url}/featured` }))).status, 403);
    assert.equal((await threadOf(thread)).pinned, true);

    assert.equal((await announce(mod('Undo', { object: lock }))).status, 202);
    assert.equal((await announce(mod('Remove', { object: thread, target: `${community.id}/featured` }))).status, 202);
    const after = await threadOf(thread);
    assert.deepEqual([after.locked, after.pinned], [false, false]);
  });

  it('Mastodon: a thread without a title takes its first words; a sensitive Note’s summary is its content warning', async () => {
    const words = 'Hello everyone, is anyone else organising in the north of the city this winter? I would like to know who is';
    const note = { id: `${lemmy.url}/notes/1`, type: 'Note', attributedTo: kim.id, content: `<p>${words} around.</p>`, to: [PUBLIC, community.id] };
    assert.equal((await announce({ id: `${lemmy.url}/notes/1/activity`, type: 'Create', actor: kim.id, to: note.to, object: note })).status, 202);
    const thread = await threadOf(note.id);
    assert.ok(thread.title.startsWith('Hello everyone, is anyone'), thread.title);
    assert.ok(thread.title.length <= 80 && thread.title.endsWith('…'), thread.title);
    const warned = { id: `${lemmy.url}/notes/2`, type: 'Note', attributedTo: kim.id, content: '<p>details</p>', summary: 'police', sensitive: true, inReplyTo: note.id, to: [PUBLIC] };
    assert.equal((await announce({ id: `${lemmy.url}/notes/2/activity`, type: 'Create', actor: kim.id, to: [PUBLIC], object: warned })).status, 202);
    const reply = (await threadOf(note.id)).replies.find((r: any) => r.id === warned.id);
    assert.equal(reply.summary, 'police');
  });

  it('a third server’s reply, announced by the community, is read from its object (its activity is not served); one its origin does not serve is refused', async () => {
    const note = { '@context': AS, id: `${mia.id}/statuses/1`, type: 'Note', attributedTo: mia.id, content: '<p>from Mastodon</p>', inReplyTo: `${lemmy.url}/topic/7`, to: [PUBLIC], cc: [kim.id] };
    masto.documents.set('/users/mia/statuses/1', note);
    // The community's copy says something else: only the origin's is kept.
    const forged = { ...note, content: '<p>forged by the community</p>' };
    const answer = await announce({ id: `${mia.id}/statuses/1/activity`, type: 'Create', actor: mia.id, to: [PUBLIC], object: forged });
    assert.equal(answer.status, 202, answer.text);
    const reply = (await threadOf(`${lemmy.url}/topic/7`)).replies.find((r: any) => r.id === note.id);
    assert.ok(reply, 'the reply is mirrored');
    assert.equal(reply.attributedTo, mia.id);
    assert.match(reply.html, /from Mastodon/);

    const missing = { id: `${mia.id}/statuses/2`, type: 'Note', attributedTo: mia.id, content: '<p>invented</p>', inReplyTo: `${lemmy.url}/topic/7`, to: [PUBLIC] };
    const refused = await announce({ id: `${mia.id}/statuses/2/activity`, type: 'Create', actor: mia.id, to: [PUBLIC], object: missing });
    assert.equal(refused.status, 422, refused.text);
    assert.ok(!(await threadOf(`${lemmy.url}/topic/7`)).replies.some((r: any) => r.id === missing.id), 'the refused reply is not mirrored');
  });

  it('FEP-8b32: a third server’s reply its origin does not serve is taken from the community’s copy only when its author signed it', async () => {
    const keys = crypto.generateKeyPairSync('ed25519');
    const sig = masto.actor('sig');
    const method = `${sig.id}#ed25519-key`;
    masto.actorFields.set('sig', { assertionMethod: [{ id: method, type: 'Multikey', controller: sig.id, publicKeyMultibase: multikeyOf(keys.publicKey) }] });
    const reply = (n: number, content: string) => {
      const note = { id: `${sig.id}/statuses/${n}`, type: 'Note', attributedTo: sig.id, content, inReplyTo: `${lemmy.url}/topic/7`, to: [PUBLIC] };
      return { '@context': AS, id: `${note.id}/activity`, type: 'Create', actor: sig.id, to: [PUBLIC], object: note };
    };
    const replies = async () => ((await threadOf(`${lemmy.url}/topic/7`)).replies as any[]).map((r) => r.id);

    // Not served at its origin (a Mitra or Mastodon server that is away, or serves only to its followers), yet signed.
    const signed = withProof(reply(5, '<p>signed by its author</p>'), { verificationMethod: method, privateKey: keys.privateKey });
    assert.equal((await announce(signed)).status, 202);
    assert.ok((await replies()).includes(`${sig.id}/statuses/5`), 'the signed copy is mirrored');

    const tampered = { ...withProof(reply(6, '<p>as signed</p>'), { verificationMethod: method, privateKey: keys.privateKey }) };
    (tampered.object as any).content = '<p>changed by the community</p>';
    assert.equal((await announce(tampered)).status, 422, 'a copy changed after signing is read from its origin, which does not serve it');
    const other = crypto.generateKeyPairSync('ed25519');
    assert.equal((await announce(withProof(reply(7, '<p>x</p>'), { verificationMethod: method, privateKey: other.privateKey }))).status, 422, 'signed with another key');
    lemmy.actorFields.set('kim', { assertionMethod: [{ id: `${kim.id}#ed25519-key`, type: 'Multikey', controller: kim.id, publicKeyMultibase: multikeyOf(other.publicKey) }] });
    const byKim = withProof(reply(8, '<p>x</p>'), { verificationMethod: `${kim.id}#ed25519-key`, privateKey: other.privateKey });
    assert.equal((await announce(byKim)).status, 422, 'a proof by someone else than the author');
    assert.equal((await announce(reply(9, '<p>unsigned</p>'))).status, 422, 'unsigned');
    const ids = await replies();
    for (const n of [6, 7, 8, 9]) assert.ok(!ids.includes(`${sig.id}/statuses/${n}`), `reply ${n} is not mirrored`);
  });

  describe('on our own board', () => {
    const group = () => `${p.url}/ap/b/general`;
    let threadId = '';
    let postIri = '';

    before(async () => {
      // Lemmy delivers to the shared inbox a Group names: the Follow reaches the board from there.
      assert.equal((await send(signedPost(`${p.url}/ap/inbox`, kim, followActivity(kim, group())))).status, 200);
      const followers = await p.admin.client.api('GET', '/federation/boards/general/followers');
      assert.deepEqual(followers.json.followers, [kim.id]);
      const made = await p.member.client.api('POST', '/boards/general/threads', { title: 'Reactions welcome', body: 'hello' });
      assert.equal(made.status, 201, made.text);
      threadId = made.json.thread.id;
      postIri = `${p.url}/ap/o/${Buffer.from(made.json.post.id as string, 'base64url').toString('hex')}`;
    });

    it('the board’s and the thread’s pages answer ActivityPub to servers, and name it in their HTML', async () => {
      const ldProfile = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"';
      for (const accept of [AP.accept, ldProfile]) {
        const res = await fetch(`${p.url}/b/general`, { headers: { accept } });
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /application\/activity\+json/);
        const doc = (await res.json()) as any;
        assert.equal(doc.id, group());
        assert.equal(doc.type, 'Group');
        assert.equal(doc.attributedTo, `${group()}/moderators`);
        assert.equal(doc.featured, `${group()}/featured`);
        assert.equal(doc.endpoints.sharedInbox, `${p.url}/ap/inbox`);
      }
      const thread = await fetch(`${p.url}/t/${threadId}`, { headers: { accept: AP.accept } });
      assert.equal(thread.status, 200);
      const page = (await thread.json()) as any;
      assert.equal(page.id, postIri);
      assert.equal(page.type, 'Page');
      assert.equal(page.to.includes(PUBLIC), true);

      const html = await p.member.client.get('/b/general');
      assert.ok(html.text.includes(`<link rel="alternate" type="application/activity+json" href="${p.url}/b/general">`), html.text);
      const threadHtml = await p.member.client.get(`/t/${threadId}`);
      assert.ok(threadHtml.text.includes(`<link rel="alternate" type="application/activity+json" href="${p.url}/t/${threadId}">`), 'the thread page names its document');

      // A members-only board is no one's business elsewhere: 404, and no link.
      assert.equal((await p.admin.client.api('POST', '/boards', { slug: 'back-room', name: 'Back room', visibility: 'members' })).status, 201);
      const hidden = await p.member.client.api('POST', '/boards/back-room/threads', { title: 'Members only', body: 'quiet' });
      assert.equal(hidden.status, 201, hidden.text);
      assert.equal((await fetch(`${p.url}/b/back-room`, { headers: { accept: AP.accept } })).status, 404);
      assert.equal((await fetch(`${p.url}/t/${hidden.json.thread.id}`, { headers: { accept: AP.accept } })).status, 404);
      assert.ok(!(await p.member.client.get('/b/back-room')).text.includes('rel="alternate"'), 'no link on a members-only board');
      assert.ok(!(await p.member.client.get(`/t/${hidden.json.thread.id}`)).text.includes('rel="alternate"'), 'no link on its threads');
    });

    it('FEP-8b32: the author’s Create the Group announces carries a proof by a Multikey of the author’s actor', async () => {
      const create = await eventually(async () => {
        const found = lemmy.posts((r) => activityOf(r)?.type === 'Announce' && activityOf(r).object?.object?.name === 'Reactions welcome');
        assert.equal(found.length, 1);
        return activityOf(found[0]!).object;
      });
      assert.equal(create.proof.cryptosuite, 'eddsa-jcs-2022');
      assert.equal(create.proof.verificationMethod, `${create.actor}#ed25519-key`);
      const actorDoc = (await getJson(create.actor)).json;
      assert.equal(actorDoc.assertionMethod[0].type, 'Multikey');
      const keys = keyLookup(async (iri) => (await getJson(iri)).json);
      assert.equal(await provenBy(create, keys), create.actor);
      assert.equal(await provenBy({ ...create, object: { ...create.object, content: '<p>changed</p>' } }, keys), null);
    });

    it('the Group’s moderators list its moderators’ Person and only moderators who chose to federate; its featured collection lists pinned threads', async () => {
      const team = `${p.url}/ap/m/general`;
      const made = await p.admin.client.api('PATCH', '/boards/general', { moderators: [p.member.handle] });
      assert.equal(made.status, 200, made.text);
      assert.deepEqual((await getJson(`${group()}/moderators`)).json.orderedItems, [team]);
      assert.equal((await p.member.client.api('PUT', '/federation/me', { discoverable: true })).status, 200);
      assert.deepEqual((await getJson(`${group()}/moderators`)).json.orderedItems, [team, `${p.url}/ap/u/${p.member.handle.toLowerCase()}`]);

      assert.deepEqual((await getJson(`${group()}/featured`)).json.orderedItems, []);
      assert.equal((await p.admin.client.api('PATCH', `/threads/${threadId}`, { action: 'pin' })).status, 200);
      assert.deepEqual((await getJson(`${group()}/featured`)).json.orderedItems, [postIri]);
      assert.equal((await getJson(`${p.url}/ap/b/no-such-board/featured`)).status, 404);
    });

    it('Pleroma: an EmojiReact under the litepub context counts', async () => {
      const react = {
        '@context': [AS, `${lemmy.url}/schemas/litepub-0.1.jsonld`],
        id: `${kim.id}/reactions/1`,
        type: 'EmojiReact',
        actor: kim.id,
        object: postIri,
        content: '🤗',
        to: [PUBLIC],
      };
      const answer = await send(signedPost(`${group()}/inbox`, kim, react));
      assert.equal(answer.status, 202, answer.text);
      const reactions = (await p.member.client.api('GET', `/threads/${threadId}`)).json.posts[0].reactions;
      assert.equal(reactions.hug, 1);
    });

    it('a refusal after the signature gate is logged with its reason, and no address', async () => {
      const stranger = masto.actor('stranger');
      const note = { id: `${stranger.id}/statuses/9`, type: 'Page', name: 'Uninvited', attributedTo: stranger.id, content: '<p>hi</p>', audience: group(), to: [group(), PUBLIC] };
      const answer = await send(signedPost(`${group()}/inbox`, stranger, { '@context': AS, id: `${note.id}/activity`, type: 'Create', actor: stranger.id, to: note.to, object: note }));
      assert.equal(answer.status, 403, answer.text);
      await eventually(async () => {
        const line = p.output().split('\n').find((l) => l.includes('inbox activity refused') && l.includes('not_following_board'));
        assert.ok(line, 'the refusal is logged');
        assert.ok(!line.includes('Uninvited') && !line.includes('"ip"'), line);
      });
    });

    it('an account’s Delete of itself removes its posts here, its mirrored posts and its follows', async () => {
      const page = { id: `${lemmy.url}/post/90`, type: 'Page', name: 'Soon gone', attributedTo: kim.id, content: '<p>a thread by kim</p>', audience: group(), to: [group(), PUBLIC] };
      const created = await send(signedPost(`${p.url}/ap/inbox`, kim, { '@context': AS, id: `${page.id}/create`, type: 'Create', actor: kim.id, to: page.to, object: page }));
      assert.equal(created.status, 202, created.text);
      const listed = async () => ((await p.member.client.api('GET', '/boards/general/threads')).json.threads as any[]).map((t) => t.title);
      assert.ok((await listed()).includes('Soon gone'), 'the thread is on the board');
      assert.ok((await mirrored()).some((t) => t.attributedTo === kim.id), 'kim has mirrored threads');

      const gone = await send(signedPost(inbox(), kim, { '@context': AS, id: `${kim.id}#delete`, type: 'Delete', actor: kim.id, object: kim.id, to: [PUBLIC], removeData: true }));
      assert.equal(gone.status, 202, gone.text);
      await eventually(async () => assert.ok(!(await listed()).includes('Soon gone'), 'its thread on our board is gone'));
      const left = await mirrored();
      assert.ok(!left.some((t) => t.attributedTo === kim.id || t.replies.some((r: any) => r.attributedTo === kim.id)), 'its mirrored posts are gone');
      const followers = await p.admin.client.api('GET', '/federation/boards/general/followers');
      assert.ok(!(followers.json.followers as string[]).includes(kim.id), 'it no longer follows the board');
    });
  });
});
