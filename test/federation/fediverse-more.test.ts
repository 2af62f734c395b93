import assert from 'node:assert/strict';
import { parseSignatureHeader, signatureHeaderOf, signingString, verifySignature } from '../../federation/signatures.js';
import { Client, handle, PASS } from '../helpers/client.js';
import { eventually, getJson, settled, startPeer, type Account, type Peer } from './instances.js';
import { followActivity, Receiver, send, signedPost, type FakeActor, type Received } from './receiver.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary ActivityPub documents */

/*
 * What the first fediverse tests (fediverse.test.ts) leave out, against the shapes Lemmy's and Mbin's FEDERATION.md
 * and Mastodon's documentation describe: members' likes of a followed community's posts (Like, Undo of it), a
 * member's account deletion (Delete of their Person), restores (Undo of a Delete) and a remote moderator's Lock, Add
 * and Remove on our boards. A test server on loopback plays a Lemmy community with its members, another a Mastodon
 * server whose member replied there.
 */

const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';
const AS = 'https://www.w3.org/ns/activitystreams';

const activityOf = (r: Received) => r.json as any;
/** A property as a list, however the sender compacted it (JSON-LD writes a list of one as its item). */
const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Whether the request carries an HTTP signature by `keyId` that verifies with `publicKeyPem`. */
function signedBy(r: Received, keyId: string, publicKeyPem: string): boolean {
  const params = parseSignatureHeader(signatureHeaderOf(r.headers));
  if (!params || params.keyId !== keyId) return false;
  const data = signingString(params.headers, 'POST', r.path, r.headers);
  return data !== null && verifySignature(params, data, publicKeyPem);
}

describe('federating likes, account deletions, restores and remote moderation with Lemmy and Mastodon shapes (test servers on loopback)', function () {
  this.timeout(180_000);
  let p: Peer;
  const lemmy = new Receiver();
  const masto = new Receiver();
  let community: FakeActor;
  let kim: FakeActor;
  let mia: FakeActor;
  let counter = 0;
  const thread = () => `${lemmy.url}/post/1`;
  const reply = () => `${mia.id}/statuses/1`;

  /** The community's Announce of `inner`, signed by the community, to the instance's follows Person. */
  const announce = (inner: unknown) => {
    counter += 1;
    return send(
      signedPost(`${p.url}/ap/follows/inbox`, community, { '@context': AS, id: `${community.id}/announces/${counter}`, type: 'Announce', actor: community.id, to: [PUBLIC], cc: [`${community.id}/followers`], object: inner }),
    );
  };
  const like = (account: Account, object: string, liked: boolean) => account.client.api('PUT', '/federation/remote/likes', { object, liked });
  /** What reached the community's server and the Mastodon server, of a type. */
  const at = (receiver: Receiver, type: string) => receiver.posts((r) => activityOf(r)?.type === type);
  const mirrored = async () => {
    const found = await p.member.client.api('GET', `/federation/remote?group=${encodeURIComponent(community.id)}`);
    assert.equal(found.status, 200, found.text);
    return found.json.threads as any[];
  };

  /** A new member of the instance, signed in. */
  async function newMember(prefix: string): Promise<Account> {
    const client = new Client(p.url);
    const name = handle(prefix);
    const made = await client.api('POST', '/accounts', { handle: name, passphrase: PASS });
    assert.equal(made.status, 201, made.text);
    return { client, handle: name };
  }

  before(async () => {
    await Promise.all([lemmy.start(), masto.start()]);
    p = await startPeer('fm', { env: { LOG_LEVEL: 'info' } });
    community = lemmy.actor('community', 'Group');
    kim = lemmy.actor('kim');
    mia = masto.actor('mia');
    lemmy.documents.set('/users/community/outbox', { '@context': AS, id: `${community.id}/outbox`, type: 'OrderedCollection', totalItems: 0, orderedItems: [] });
    const made = await p.admin.client.api('POST', '/federation/follows', { target: community.id });
    assert.equal(made.status, 201, made.text);
    const follow = await eventually(async () => activityOf(at(lemmy, 'Follow')[0]!));
    assert.ok((await send(signedPost(`${p.url}/ap/follows/inbox`, community, { '@context': AS, id: `${community.id}/accepts/1`, type: 'Accept', actor: community.id, object: follow }))).status < 300, 'the Accept is taken');
    await eventually(async () => assert.equal((await p.admin.client.api('GET', '/federation/follows')).json.follows[0].state, 'accepted'));

    // A Lemmy post in the community, and a Mastodon member's reply to it, which the community announces.
    const page = { id: thread(), type: 'Page', attributedTo: kim.id, name: 'Winter meeting', content: '<p>Who comes?</p>', audience: community.id, to: [community.id, PUBLIC] };
    assert.equal((await announce({ id: `${lemmy.url}/activities/create/1`, type: 'Create', actor: kim.id, to: page.to, audience: community.id, object: page })).status, 202);
    const note = { '@context': AS, id: reply(), type: 'Note', attributedTo: mia.id, content: '<p>I will</p>', inReplyTo: thread(), to: [PUBLIC], cc: [community.id] };
    masto.documents.set('/users/mia/statuses/1', note);
    assert.equal((await announce({ id: `${reply()}/activity`, type: 'Create', actor: mia.id, to: [PUBLIC], object: note })).status, 202);
    await eventually(async () => assert.ok((await mirrored()).some((t) => t.id === thread() && t.replies.some((r: any) => r.id === reply())), 'the post and its reply are mirrored'));
  });
  after(async () => {
    if (process.env.SHOW_PEER_OUTPUT) console.log(p?.output());
    await p?.dispose();
    await Promise.all([lemmy.stop(), masto.stop()]);
  });

  describe('likes of a followed community’s posts', () => {
    let anonymous: any;

    it('members who never chose to federate like as the instance’s one anonymous member: one Like while any of them likes, its Undo when the last takes theirs back', async () => {
      const other = await newMember('fm_liker');
      const liked = await like(p.member, thread(), true);
      assert.equal(liked.status, 200, liked.text);
      assert.deepEqual(liked.json.likes, { count: 1, mine: true });
      const sent = await eventually(async () => {
        const found = at(lemmy, 'Like');
        assert.equal(found.length, 1);
        return found[0]!;
      });
      const activity = activityOf(sent);
      assert.equal(activity.actor, `${p.url}/ap/anonymous`);
      assert.equal(activity.object, thread());
      assert.equal(activity.audience, community.id, 'Lemmy reads the community from audience');
      anonymous = (await getJson(activity.actor)).json;
      assert.equal(anonymous.type, 'Person');
      assert.equal(anonymous.preferredUsername, 'instance.anonymous');
      assert.ok(signedBy(sent, `${activity.actor}#main-key`, anonymous.publicKey.publicKeyPem), 'signed by the anonymous member');
      const finger = await getJson(`${p.url}/.well-known/webfinger?resource=${encodeURIComponent(`acct:instance.anonymous@${p.host}`)}`, 'application/jrd+json');
      assert.equal(finger.status, 200, 'NodeBB checks a key’s owner through WebFinger');

      // A second member's like is the same Like: a peer keeps one vote per Person and post.
      assert.deepEqual((await like(other, thread(), true)).json.likes, { count: 2, mine: true });
      assert.deepEqual((await like(other, thread(), true)).json.likes, { count: 2, mine: true }, 'liking again changes nothing');
      assert.deepEqual((await like(p.member, thread(), false)).json.likes, { count: 1, mine: false });
      await settled(p);
      assert.equal(at(lemmy, 'Like').length, 1, 'no second Like');
      assert.equal(at(lemmy, 'Undo').length, 0, 'the Like stays while another member likes');

      assert.deepEqual((await like(other, thread(), false)).json.likes, { count: 0, mine: false });
      const undo = await eventually(async () => {
        const found = at(lemmy, 'Undo');
        assert.equal(found.length, 1);
        return activityOf(found[0]!);
      });
      assert.equal(undo.actor, activity.actor);
      assert.deepEqual([undo.object.id, undo.object.type, undo.object.actor, undo.object.object], [activity.id, 'Like', activity.actor, thread()], 'the Undo embeds the Like as sent');
      assert.deepEqual(listOf(undo.object.audience), [community.id]);
      assert.notEqual(undo.id, activity.id);
    });

    it('a like of a Mastodon member’s reply also reaches its author’s server, which counts a favourite sent to its author', async () => {
      assert.equal((await like(p.member, reply(), true)).status, 200);
      await eventually(async () => {
        const ofReply = (r: Receiver) => at(r, 'Like').filter((x) => activityOf(x).object === reply());
        assert.equal(ofReply(lemmy).length, 1, 'the community');
        assert.equal(ofReply(masto).length, 1, 'the author');
        assert.deepEqual(listOf(activityOf(ofReply(masto)[0]!).cc), [mia.id]);
      });
      assert.equal((await like(p.member, reply(), false)).status, 200);
    });

    it('a member who chose to federate likes under their own Person', async () => {
      const named = await newMember('fm_named');
      assert.equal((await named.client.api('PUT', '/federation/me', { discoverable: true })).status, 200);
      assert.deepEqual((await like(named, thread(), true)).json.likes, { count: 1, mine: true });
      const person = `${p.url}/ap/u/${named.handle.toLowerCase()}`;
      const mine = await eventually(async () => {
        const found = at(lemmy, 'Like').filter((r) => activityOf(r).actor === person);
        assert.equal(found.length, 1);
        return activityOf(found[0]!);
      });
      assert.equal(mine.object, thread());
      assert.deepEqual((await like(named, thread(), false)).json.likes, { count: 0, mine: false });
      await eventually(async () => assert.equal(at(lemmy, 'Undo').filter((r) => activityOf(r).actor === person && activityOf(r).object.id === mine.id).length, 1));
    });

    it('the thread page offers the like without JavaScript', async () => {
      const follow = (await p.admin.client.api('GET', '/federation/follows')).json.follows[0];
      const page = `/remote/${follow.id}/t/${Buffer.from(thread(), 'utf8').toString('base64url')}`;
      const before = await p.member.client.get(page);
      assert.equal(before.status, 200);
      assert.ok(before.text.includes(`action="${page}/like"`), 'a like form');
      const posted = await p.member.client.submit(page, `${page}/like`, { object: thread(), liked: '1' });
      assert.equal(posted.status, 303, posted.text);
      const after = await p.member.client.get(page);
      assert.match(after.text, /aria-pressed="true"/);
      assert.equal((await p.member.client.submit(page, `${page}/like`, { object: thread(), liked: '0' })).status, 303);
      const refused = await p.member.client.submit(page, `${page}/like`, { object: 'not a url', liked: '1' });
      assert.equal(refused.status, 422, 'bad input shows the page again with the error');
      assert.ok(refused.text.includes('<form'), refused.text);
    });

    it('refuses visitors, unknown posts and bad input, and changes nothing', async () => {
      const likes = at(lemmy, 'Like').length;
      const visitor = new Client(p.url);
      assert.equal((await like({ client: visitor, handle: '' }, thread(), true)).status, 401);
      const unknown = await like(p.member, `${lemmy.url}/post/404`, true);
      assert.equal(unknown.status, 404, unknown.text);
      assert.equal(unknown.json.error.code, 'remote_post_not_found');
      for (const body of [{ object: 'nope', liked: true }, { object: thread() }, { object: thread(), liked: 'yes' }, { object: thread(), liked: true, extra: 1 }]) {
        const bad = await p.member.client.api('PUT', '/federation/remote/likes', body);
        assert.equal(bad.status, 422, `${JSON.stringify(body)}: ${bad.text}`);
      }
      await settled(p);
      assert.equal(at(lemmy, 'Like').length, likes, 'nothing was sent');
    });
  });

  describe('a member’s account deletion', () => {
    it('sends the Delete of their Person, signed by it, to the servers that know it; then its IRI and WebFinger answer 404', async () => {
      const leaving = await newMember('fm_leaving');
      assert.equal((await leaving.client.api('PUT', '/federation/me', { discoverable: true })).status, 200);
      assert.equal((await like(leaving, thread(), true)).status, 200);
      const person = `${p.url}/ap/u/${leaving.handle.toLowerCase()}`;
      const doc = (await getJson(person)).json;
      await settled(p);

      const gone = await leaving.client.api('DELETE', '/me', { passphrase: PASS, content: 'delete' });
      assert.equal(gone.status, 204, gone.text);
      const sent = await eventually(async () => {
        const found = at(lemmy, 'Delete').filter((r) => activityOf(r).actor === person);
        assert.equal(found.length, 1);
        return found[0]!;
      });
      const activity = activityOf(sent);
      assert.equal(activity.object, person, 'the Person deletes itself');
      assert.deepEqual(listOf(activity.to), [PUBLIC]);
      assert.ok(signedBy(sent, `${person}#main-key`, doc.publicKey.publicKeyPem), 'signed with the Person’s own key');
      assert.equal((await getJson(person)).status, 404);
      const finger = await getJson(`${p.url}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${leaving.handle}@${p.host}`)}`, 'application/jrd+json');
      assert.equal(finger.status, 404);
      assert.equal(at(masto, 'Delete').length, 0, 'a server that never heard of it gets nothing');
    });

    it('a member who never had a Person sends nothing', async () => {
      const quiet = await newMember('fm_quiet');
      const deletes = at(lemmy, 'Delete').length;
      assert.equal((await quiet.client.api('DELETE', '/me', { passphrase: PASS, content: 'delete' })).status, 204);
      await settled(p);
      assert.equal(at(lemmy, 'Delete').length, deletes);
    });
  });

  describe('restores (Undo of a Delete)', () => {
    it('Lemmy: a community restores a removed post: it is read again from its origin and shows again', async () => {
      const page = { '@context': AS, id: `${lemmy.url}/post/2`, type: 'Page', attributedTo: kim.id, name: 'Removed, then restored', content: '<p>back</p>', audience: community.id, to: [community.id, PUBLIC] };
      assert.equal((await announce({ id: `${lemmy.url}/activities/create/2`, type: 'Create', actor: kim.id, to: page.to, audience: community.id, object: page })).status, 202);
      assert.deepEqual((await like(p.member, page.id, true)).json.likes, { count: 1, mine: true });
      const removal = { id: `${lemmy.url}/activities/delete/2`, type: 'Delete', actor: community.id, object: page.id, to: [PUBLIC], cc: [community.id], audience: community.id };
      assert.equal((await announce(removal)).status, 202);
      assert.ok(!(await mirrored()).some((t) => t.id === page.id), 'removed');
      lemmy.documents.set('/post/2', page);
      const restore = { id: `${lemmy.url}/activities/undo/2`, type: 'Undo', actor: community.id, object: removal, to: [PUBLIC], cc: [community.id], audience: community.id };
      assert.equal((await announce(restore)).status, 202);
      const back = (await mirrored()).find((t) => t.id === page.id);
      assert.equal(back?.title, 'Removed, then restored');
      const later = await newMember('fm_after');
      assert.deepEqual((await like(later, page.id, true)).json.likes, { count: 1, mine: true }, 'the likes went with the removed post');
      // Restoring what was never deleted here changes nothing; someone else's restore is refused.
      assert.equal((await announce({ ...restore, id: `${restore.id}/again` })).status, 202);
      const byOther = { id: `${lemmy.url}/activities/undo/3`, type: 'Undo', actor: kim.id, object: removal, to: [PUBLIC], audience: community.id };
      assert.equal((await announce(byOther)).status, 403);
      await eventually(async () => assert.ok(p.output().includes('nothing_to_restore'), 'the empty restore is logged with its reason'));
    });

    it('Lemmy: an author’s restore of their post here reads it again from its origin; an Undo of an account’s Delete is accepted from the account itself and logged, nothing comes back', async () => {
      const sam = lemmy.actor('sam');
      const group = `${p.url}/ap/b/general`;
      assert.equal((await send(signedPost(`${p.url}/ap/inbox`, sam, followActivity(sam, group)))).status, 200);
      const post = { id: `${lemmy.url}/post/90`, type: 'Page', name: 'By sam', attributedTo: sam.id, content: '<p>hello</p>', audience: group, to: [group, PUBLIC] };
      assert.equal((await send(signedPost(`${p.url}/ap/inbox`, sam, { '@context': AS, id: `${post.id}/create`, type: 'Create', actor: sam.id, to: post.to, object: post }))).status, 202);
      const titles = async () => ((await p.member.client.api('GET', '/boards/general/threads')).json.threads as any[]).map((t) => t.title);
      assert.ok((await titles()).includes('By sam'), 'the thread is on the board');

      // A post deleted by its author, then restored: erased here, it is read again from its origin and shows again.
      const deletion = { id: `${post.id}/delete`, type: 'Delete', actor: sam.id, object: post.id, to: [PUBLIC], audience: group };
      assert.equal((await send(signedPost(`${p.url}/ap/inbox`, sam, { '@context': AS, ...deletion }))).status, 202);
      assert.ok(!(await titles()).includes('By sam'), 'the deleted post is gone');
      const undoPost = { '@context': AS, id: `${post.id}/undo`, type: 'Undo', actor: sam.id, object: deletion, to: [PUBLIC], audience: group };
      const unreadable = await send(signedPost(`${p.url}/ap/inbox`, sam, undoPost));
      assert.equal(unreadable.status, 422, 'a restore of a post its origin does not serve is refused, so that the sender retries');
      lemmy.documents.set('/post/90', { '@context': AS, ...post, content: '<p>hello again</p>' });
      const byOther = await send(signedPost(`${p.url}/ap/inbox`, kim, { ...undoPost, id: `${post.id}/undo-kim`, actor: kim.id }));
      assert.equal(byOther.status, 403, 'only whoever deleted restores');
      // The sender's retry, as a new delivery of the same restore.
      assert.equal((await send(signedPost(`${p.url}/ap/inbox`, sam, { ...undoPost, id: `${post.id}/undo-retry` }))).status, 202);
      assert.ok((await titles()).includes('By sam'), 'the restored thread is on the board again');
      const shown = ((await p.member.client.api('GET', '/boards/general/threads')).json.threads as any[]).find((t) => t.title === 'By sam');
      const restored = await p.member.client.api('GET', `/threads/${shown.id}`);
      assert.match(restored.json.posts[0].html, /hello again/, 'with the words its origin serves now');
      assert.equal((await send(signedPost(`${p.url}/ap/inbox`, sam, { ...undoPost, id: `${post.id}/undo-again` }))).status, 202, 'a restore of a post shown changes nothing');
      assert.equal((await send(signedPost(`${p.url}/ap/inbox`, sam, { '@context': AS, ...deletion, id: `${post.id}/delete-again` }))).status, 202);

      const accountDelete = { id: `${sam.id}#delete`, type: 'Delete', actor: sam.id, object: sam.id, to: [PUBLIC], removeData: true };
      assert.equal((await send(signedPost(`${p.url}/ap/inbox`, sam, { '@context': AS, ...accountDelete }))).status, 202);
      const forged = { '@context': AS, id: `${kim.id}/undo-sam`, type: 'Undo', actor: kim.id, object: accountDelete, to: [PUBLIC] };
      const refused = await send(signedPost(`${p.url}/ap/inbox`, kim, forged));
      assert.equal(refused.status, 403, 'only the account restores itself');
      assert.equal(JSON.parse(refused.text).error, 'not_author');
      const restore = { '@context': AS, id: `${sam.id}#undo-delete`, type: 'Undo', actor: sam.id, object: accountDelete, to: [PUBLIC] };
      assert.equal((await send(signedPost(`${p.url}/ap/inbox`, sam, restore))).status, 202);
      await eventually(async () => {
        const lines = p.output().split('\n').filter((l) => l.includes('remote restore accepted'));
        assert.ok(lines.some((l) => l.includes('account_erased')), 'the account’s restore is logged with its reason');
        assert.ok(p.output().includes('remote post restored'), 'the post’s restore is logged');
        assert.ok(lines.some((l) => l.includes('nothing_to_restore')), 'a restore of a post shown is logged with its reason');
        assert.ok(!lines.some((l) => l.includes('By sam') || l.includes('"ip"')), 'no body, no address');
      });
      const followers = await p.admin.client.api('GET', '/federation/boards/general/followers');
      assert.ok(!(followers.json.followers as string[]).includes(sam.id), 'its follow stays ended');
    });
  });

  describe('a remote moderator on our boards', () => {
    it('refuses a Lock, Add, Remove and Undo of a Lock from another server (our boards have no remote moderators), logs why, and changes nothing', async () => {
      const group = `${p.url}/ap/b/general`;
      assert.equal((await send(signedPost(`${p.url}/ap/inbox`, kim, followActivity(kim, group)))).status, 200);
      const made = await p.member.client.api('POST', '/boards/general/threads', { title: 'Ours to moderate', body: 'hello' });
      assert.equal(made.status, 201, made.text);
      const threadId = made.json.thread.id;
      const postIri = `${p.url}/ap/o/${Buffer.from(made.json.post.id as string, 'base64url').toString('hex')}`;
      const mod = (type: string, fields: Record<string, unknown>) => {
        counter += 1;
        return { '@context': AS, id: `${lemmy.url}/activities/${type.toLowerCase()}/mod-${counter}`, type, actor: kim.id, to: [PUBLIC], cc: [group], audience: group, ...fields };
      };
      const lock = mod('Lock', { object: postIri });
      for (const [inbox, activity] of [
        [`${group}/inbox`, lock],
        [`${p.url}/ap/inbox`, lock],
        [`${group}/inbox`, mod('Undo', { object: { id: lock.id, type: 'Lock', actor: kim.id, object: postIri } })],
        [`${group}/inbox`, mod('Add', { object: postIri, target: `${group}/featured` })],
        [`${group}/inbox`, mod('Add', { object: kim.id, target: `${group}/moderators` })],
        [`${group}/inbox`, mod('Remove', { object: postIri, target: `${group}/featured` })],
      ] as const) {
        const answer = await send(signedPost(inbox, kim, activity));
        assert.equal(answer.status, 403, `${activity.type}: ${answer.text}`);
        assert.equal(JSON.parse(answer.text).error, 'not_board_moderator');
      }
      const shown = (await p.member.client.api('GET', `/threads/${threadId}`)).json.thread;
      assert.deepEqual([shown.locked, shown.pinned], [false, false], 'nothing changed');
      assert.deepEqual((await getJson(`${group}/moderators`)).json.orderedItems, [`${p.url}/ap/m/general`], 'no remote moderator is listed');
      await eventually(async () => {
        const line = p.output().split('\n').find((l) => l.includes('inbox activity refused') && l.includes('not_board_moderator'));
        assert.ok(line, 'the refusal is logged with its reason');
      });
      // The moderation of a followed board, announced by its community, is still taken (fediverse.test.ts has more).
      assert.equal((await announce(mod('Lock', { object: thread(), audience: community.id, cc: [community.id] }))).status, 202);
      assert.equal((await mirrored()).find((t) => t.id === thread())?.locked, true);
    });
  });

  describe('unfollowing a community', () => {
    it('forgets the members’ likes of its posts, which nothing could find for deletion or export once it is no longer followed', async () => {
      const post = `${lemmy.url}/post/3`;
      const page = { id: post, type: 'Page', attributedTo: kim.id, name: 'Liked, then unfollowed', content: '<p>hi</p>', audience: community.id, to: [community.id, PUBLIC] };
      assert.equal((await announce({ id: `${lemmy.url}/activities/create/3`, type: 'Create', actor: kim.id, to: page.to, audience: community.id, object: page })).status, 202);
      const first = await newMember('fm_unf');
      assert.deepEqual((await like(first, post, true)).json.likes.mine, true);
      const follows = (await p.admin.client.api('GET', '/federation/follows')).json.follows as { id: string }[];
      for (const f of follows) assert.equal((await p.admin.client.api('DELETE', `/federation/follows/${f.id}`)).status, 204);
      assert.equal((await like(first, post, false)).status, 404, 'a board no longer followed takes no likes');
      const followsBefore = at(lemmy, 'Follow').length;
      assert.equal((await p.admin.client.api('POST', '/federation/follows', { target: community.id })).status, 201);
      const again = await eventually(async () => {
        const found = at(lemmy, 'Follow');
        assert.equal(found.length, followsBefore + 1);
        return activityOf(found.at(-1)!);
      });
      assert.ok((await send(signedPost(`${p.url}/ap/follows/inbox`, community, { '@context': AS, id: `${community.id}/accepts/2`, type: 'Accept', actor: community.id, object: again }))).status < 300, "the Accept is taken");
      await eventually(async () => assert.equal((await p.admin.client.api('GET', '/federation/follows')).json.follows[0].state, 'accepted'));
      const second = await newMember('fm_unf');
      assert.deepEqual((await like(second, post, true)).json.likes, { count: 1, mine: true }, 'no like from before the unfollow is left');
    });
  });
});
