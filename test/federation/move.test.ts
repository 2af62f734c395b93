import assert from 'node:assert/strict';
import { eventually, getJson, startPeers, type Peer } from './instances.js';
import { Receiver, send, signedPost } from './receiver.js';
import { createPassphraseHasher } from '../../server/accounts/passphrase.js';
import { unwrapMemberKey } from '../../server/accounts/key-wraps.js';
import { SEAL_CONTEXT } from '../../server/accounts/account-keys.js';
import { Client, handle, PASS } from '../helpers/client.js';

const MOVE_PASS = 'a passphrase for moving house';

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers */

/**
 * A member moves from A to B after A is gone (FEP-7628's pull mode): A, B
 * and C are partners; B and C mirror A's board. The member's export, signed
 * by A, is imported on B; B's and C's mirrors then show their posts as the
 * new account's.
 */
describe('a member moves from A to B, also when A is already gone', function () {
  this.timeout(180_000);
  let a: Peer;
  let b: Peer;
  let c: Peer;
  let threadIri = '';
  let oldActor = '';
  let file: any;
  let cThreadId = '';
  const group = () => `${a.url}/ap/b/general`;

  const authorOnMirror = async (peer: Peer) => {
    const reply = await peer.member.client.api('GET', `/federation/remote?group=${encodeURIComponent(group())}`);
    assert.equal(reply.status, 200, reply.text);
    return (reply.json.threads as any[]).find((t) => t.id === threadIri)?.attributedTo as string | undefined;
  };

  before(async () => {
    [a, b, c] = (await startPeers(['ma', 'mb', 'mc'])) as [Peer, Peer, Peer];
    for (const [x, y] of [[a, b], [a, c], [b, a], [b, c], [c, a], [c, b]] as const) {
      const added = await x.admin.client.api('POST', '/federation/partners', { domain: y.host });
      assert.equal(added.status, 201, added.text);
    }
    for (const peer of [b, c]) assert.equal((await peer.admin.client.api('POST', '/federation/follows', { target: `general@${a.host}` })).status, 201);
    await eventually(async () => assert.equal((await a.admin.client.api('GET', '/federation/boards/general/followers')).json.followers.length, 2));
    assert.equal((await a.member.client.api('PUT', '/federation/me', { discoverable: true })).status, 200);
    const thread = await a.member.client.api('POST', '/boards/general/threads', { title: 'Moving soon', body: 'My notes on safe venues' });
    assert.equal(thread.status, 201, thread.text);
    threadIri = `${a.url}/ap/o/${Buffer.from(thread.json.post.id as string, 'base64url').toString('hex')}`;
    oldActor = `${a.url}/ap/u/${a.member.handle.toLowerCase()}`;
    for (const peer of [b, c]) await eventually(async () => assert.equal(await authorOnMirror(peer), oldActor));
    // The member also wrote on C's board, from A.
    assert.equal((await a.admin.client.api('POST', '/federation/follows', { target: `general@${c.host}` })).status, 201);
    await eventually(async () => assert.equal((await a.admin.client.api('GET', '/federation/follows')).json.follows.find((f: any) => f.target === `${c.url}/ap/b/general`)?.state, 'accepted'));
    const onC = await a.member.client.api('POST', '/federation/remote/threads', { group: `${c.url}/ap/b/general`, title: 'Written from A', body: 'on C’s board' });
    assert.equal(onC.status, 201, onC.text);
    cThreadId = await eventually(async () => {
      const listing = await c.member.client.api('GET', '/boards/general/threads');
      const found = (listing.json.threads as any[]).find((t) => t.title === 'Written from A');
      assert.equal(found?.author.address.toLowerCase(), `${a.member.handle}@${a.host}`.toLowerCase());
      return found.id as string;
    });
  });
  after(async () => Promise.all([a?.dispose(), b?.dispose(), c?.dispose()]));

  it('exports the account as a file signed by A, naming the member’s posts but no anonymous one', async () => {
    const anonymous = await a.member.client.api('POST', '/boards/general/threads', { title: 'Quiet one', body: 'unsigned', anonymous: true });
    assert.equal(anonymous.status, 201, anonymous.text);
    assert.equal((await a.member.client.api('PATCH', '/me', { displayName: 'Rosa M', locale: 'es', discreet: true })).status, 200);
    const exported = await a.member.client.api('POST', '/federation/me/export', { keyPassphrase: MOVE_PASS });
    assert.equal(exported.status, 200, exported.text);
    file = exported.json;
    // Test instances hash at argon2's minimum (see withCheapHashing), so the floor here is that minimum.
    const hasher = await createPassphraseHasher({ memoryKiB: 19_456, iterations: 2, floor: { memoryKiB: 8, iterations: 1 } });
    const opened = await hasher.verify(file.memberKey.kdf, MOVE_PASS);
    assert.ok(opened.wrapKey && unwrapMemberKey(file.memberKey.wrap, opened.wrapKey, SEAL_CONTEXT), 'the chosen passphrase opens the sealed member key');
    assert.equal((await hasher.verify(file.memberKey.kdf, 'not the moving passphrase')).wrapKey, null);
    const plain = await a.member.client.api('POST', '/federation/me/export');
    assert.equal(plain.json.memberKey, undefined, 'without a passphrase the file carries no key material');
    const weak = await a.member.client.api('POST', '/federation/me/export', { keyPassphrase: 'password123' });
    assert.equal(weak.status, 422, weak.text);
    assert.deepEqual(file.export.settings, { locale: 'es', discreet: true, discoverable: true });
    assert.equal(file.export.actor, oldActor);
    assert.equal(file.signedBy, `${a.url}/ap/instance`);
    assert.deepEqual(file.export.posts, [threadIri]);
    assert.equal((await new (a.member.client.constructor as any)(a.url).api('POST', '/federation/me/export')).status, 401);
  });

  it('with A stopped, B refuses a tampered or foreign export and changes nothing', async () => {
    await a.stop();
    const tampered = { ...file, export: { ...file.export, actor: `${a.url}/ap/u/someone_else` } };
    const refused = await b.member.client.api('POST', '/federation/me/import', tampered);
    assert.equal(refused.status, 422, refused.text);
    assert.equal(refused.json.error.code, 'export_signature_invalid');
    const otherSettings = { ...file, export: { ...file.export, settings: { ...file.export.settings, discoverable: false } } };
    assert.equal((await b.member.client.api('POST', '/federation/me/import', otherSettings)).json.error.code, 'export_signature_invalid', 'the settings are signed too');
    const foreign = { ...file, signedBy: 'https://elsewhere.example/ap/instance' };
    const notPartner = await b.member.client.api('POST', '/federation/me/import', foreign);
    assert.equal(notPartner.status, 422, notPartner.text);
    assert.equal(notPartner.json.error.code, 'export_not_from_partner');
    assert.equal(await authorOnMirror(b), oldActor);
  });

  it('the member imports it on B: B and C show their posts as the new account’s, which is alsoKnownAs the old one', async () => {
    const imported = await b.member.client.api('POST', '/federation/me/import', file);
    assert.equal(imported.status, 200, imported.text);
    assert.deepEqual(imported.json.alsoKnownAs, [oldActor]);
    assert.equal(imported.json.relinked, 1);
    // The member's name and choices come with them.
    const me = (await b.member.client.api('GET', '/me')).json.account;
    assert.deepEqual([me.displayName, me.locale, me.discreet], ['Rosa M', 'es', true]);
    assert.equal((await b.member.client.api('GET', '/federation/me')).json.discoverable, true);
    const newActor = `${b.url}/ap/u/${b.member.handle.toLowerCase()}`;
    assert.equal(await authorOnMirror(b), newActor);
    const actor = await (await fetch(newActor, { headers: { accept: 'application/activity+json' } })).json();
    assert.deepEqual([actor.alsoKnownAs].flat(), [oldActor]);
    // C checks the Move against A's pinned key although A is gone; what the member wrote on C's own board moves too.
    await eventually(async () => assert.equal(await authorOnMirror(c), newActor));
    await eventually(async () => {
      const thread = (await c.member.client.api('GET', `/threads/${cThreadId}`)).json;
      assert.equal(thread.thread.author.address.toLowerCase(), `${b.member.handle}@${b.host}`.toLowerCase());
      assert.equal(thread.posts[0].author.address.toLowerCase(), `${b.member.handle}@${b.host}`.toLowerCase());
    });
  });

  it('once A is back, B’s pull Move reaches it: the old account points to the new one; a Move it cannot check changes nothing', async () => {
    await a.restart();
    const newActor = `${b.url}/ap/u/${b.member.handle.toLowerCase()}`;
    const movedTo = async () => [(await getJson(oldActor)).json.movedTo].flat()[0] as string | undefined;
    // B's Move, queued while A was away, arrives when B retries; importing again sends one at once.
    assert.equal((await b.member.client.api('POST', '/federation/me/import', file)).status, 200);
    await eventually(async () => assert.equal(await movedTo(), newActor));

    const receiver = new Receiver();
    await receiver.start();
    try {
      const stranger = receiver.actor('newhome');
      receiver.actorFields.set('newhome', { alsoKnownAs: [oldActor] });
      const { export: payload, signedBy, signature } = file;
      const move = (fields: Record<string, unknown>) => ({
        '@context': 'https://www.w3.org/ns/activitystreams',
        id: `${stranger.id}/moves/${Math.random().toString(36).slice(2)}`,
        type: 'Move',
        actor: stranger.id,
        object: oldActor,
        target: stranger.id,
        attestation: { export: payload, signedBy, signature },
        ...fields,
      });
      const refused = async (fields: Record<string, unknown>, code: string) => {
        const answer = await send(signedPost(`${a.url}/ap/inbox`, stranger, move(fields)));
        assert.equal(answer.status, 403, answer.text);
        assert.equal(JSON.parse(answer.text).error, code);
      };
      await refused({}, 'move_not_partner');
      await refused({ attestation: { export: { ...payload, handle: 'someone_else' }, signedBy, signature } }, 'move_unproven');
      await refused({ attestation: { export: payload, signedBy: `${b.url}/ap/instance`, signature } }, 'move_unproven');
      await refused({ attestation: undefined }, 'move_unproven');
      await refused({ target: newActor }, 'not_author');
      receiver.actorFields.delete('newhome');
      await refused({}, 'move_target_unlinked');
      assert.equal(await movedTo(), newActor, 'the old account still points to the new one');
    } finally {
      await receiver.stop();
    }
  });

  it('push mode: the old account moves to the new one only when the new one names it, and points to it', async () => {
    const unlinked = await a.member.client.api('POST', '/federation/me/move', { target: `${c.url}/ap/u/${c.member.handle.toLowerCase()}` });
    assert.ok([422].includes(unlinked.status), unlinked.text);
    const newActor = `${b.url}/ap/u/${b.member.handle.toLowerCase()}`;
    const moved = await a.member.client.api('POST', '/federation/me/move', { target: newActor });
    assert.equal(moved.status, 200, moved.text);
    const actor = await (await fetch(oldActor, { headers: { accept: 'application/activity+json' } })).json();
    assert.equal([actor.movedTo].flat()[0], newActor);
    assert.equal((await a.member.client.api('POST', '/federation/me/move', { target: 'not a url' })).status, 422);
  });

  it('B takes up the member key sealed in the file, with both passphrases, into an account that holds nothing anonymous yet', async () => {
    const join = async (prefix: string) => {
      const client = new Client(b.url);
      const h = handle(prefix);
      assert.equal((await client.api('POST', '/accounts', { handle: h, passphrase: PASS })).status, 201);
      return { client, handle: h };
    };
    const mover = await join('mover');
    const unchanged = async () => {
      const me = await mover.client.api('GET', '/me');
      assert.equal(me.status, 200, 'the session still holds');
      assert.equal(me.json.account.displayName, mover.handle, 'nothing of the file was taken');
    };
    const wrongKey = await mover.client.api('POST', '/federation/me/import', { ...file, keyPassphrase: 'not the moving passphrase', passphrase: PASS });
    assert.equal(wrongKey.status, 422, wrongKey.text);
    assert.ok(wrongKey.json.error.fields.keyPassphrase, wrongKey.text);
    const noPassphrase = await mover.client.api('POST', '/federation/me/import', { ...file, keyPassphrase: MOVE_PASS });
    assert.equal(noPassphrase.status, 422, noPassphrase.text);
    assert.ok(noPassphrase.json.error.fields.passphrase, noPassphrase.text);
    const wrongPassphrase = await mover.client.api('POST', '/federation/me/import', { ...file, keyPassphrase: MOVE_PASS, passphrase: 'not my passphrase at all' });
    assert.equal(wrongPassphrase.status, 403, wrongPassphrase.text);
    const { memberKey: _sealed, ...keyless } = file;
    const noKey = await mover.client.api('POST', '/federation/me/import', { ...keyless, keyPassphrase: MOVE_PASS, passphrase: PASS });
    assert.equal(noKey.status, 422, noKey.text);
    assert.ok(noKey.json.error.fields.keyPassphrase, noKey.text);
    const costly = { ...file, memberKey: { ...file.memberKey, kdf: String(file.memberKey.kdf).replace(/m=\d+/, 'm=99999999') } };
    assert.equal((await mover.client.api('POST', '/federation/me/import', { ...costly, keyPassphrase: MOVE_PASS, passphrase: PASS })).status, 422, 'a seal asking for more memory than any instance would pay is refused unread');
    await unchanged();

    // An account whose own key already stands behind an anonymous post keeps it: the post would be out of reach.
    const busy = await join('busy');
    assert.equal((await busy.client.api('POST', '/boards/general/threads', { title: 'Already here', body: 'quietly', anonymous: true })).status, 201);
    const refused = await busy.client.api('POST', '/federation/me/import', { ...file, keyPassphrase: MOVE_PASS, passphrase: PASS });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.json.error.code, 'member_key_in_use');
    assert.equal((await busy.client.api('GET', '/me')).json.account.displayName, busy.handle);
    // The same for a key behind an anonymous review on a screening board.
    const reviewer = await join('reviewer');
    const review = await reviewer.client.api('POST', '/review-boards/client-screening/reviews', {
      kind: 'warning',
      categories: ['non_payment'],
      severity: 'high',
      incidentMonth: '2026-10',
      body: 'Left without paying.',
      identifiers: [{ type: 'phone', value: '+44 7700 900123' }],
      anonymous: true,
    });
    assert.equal(review.status, 201, review.text);
    const refusedReviewer = await reviewer.client.api('POST', '/federation/me/import', { ...file, keyPassphrase: MOVE_PASS, passphrase: PASS });
    assert.equal(refusedReviewer.status, 409, refusedReviewer.text);
    assert.equal(refusedReviewer.json.error.code, 'member_key_in_use');

    const taken = await mover.client.api('POST', '/federation/me/import', { ...file, keyPassphrase: MOVE_PASS, passphrase: PASS });
    assert.equal(taken.status, 200, taken.text);
    assert.equal(taken.json.memberKey, 'taken_up');
    assert.equal(taken.json.recoveryCodes.length, 10);
    assert.equal((await mover.client.api('GET', '/me')).status, 401, 'sessions holding the replaced key ended');

    // B's own export of the account, sealed under another passphrase, carries the key that came from A.
    const again = new Client(b.url);
    assert.equal((await again.api('POST', '/sessions', { handle: mover.handle, passphrase: PASS })).status, 201);
    const fromB = await again.api('POST', '/federation/me/export', { keyPassphrase: 'another passphrase for later' });
    assert.equal(fromB.status, 200, fromB.text);
    const [keyFromA, keyFromB] = [await openSealed(file.memberKey, MOVE_PASS), await openSealed(fromB.json.memberKey, 'another passphrase for later')];
    assert.ok(keyFromA.equals(keyFromB), 'the account holds the moved key');

    // Anonymous posts made on B under the moved key are proved by it, also through a new recovery code.
    const post = await again.api('POST', '/boards/general/threads', { title: 'Under my old key', body: 'moved with me', anonymous: true });
    assert.equal(post.status, 201, post.text);
    const recovered = new Client(b.url);
    const reply = await recovered.api('POST', '/recovery', { handle: mover.handle, code: taken.json.recoveryCodes[0], passphrase: 'a passphrase after recovery' });
    assert.equal(reply.status, 200, reply.text);
    assert.equal((await recovered.api('PATCH', `/posts/${post.json.post.id}`, { body: 'edited after recovery' })).status, 200);
    const twice = await recovered.api('POST', '/federation/me/import', { ...file, keyPassphrase: MOVE_PASS, passphrase: 'a passphrase after recovery' });
    assert.equal(twice.status, 200, twice.text);
    assert.equal(twice.json.memberKey, 'already_taken_up');
  });
});

/** The member key bytes sealed in an export file, opened as the member would. */
async function openSealed(sealed: { kdf: string; wrap: string }, passphrase: string): Promise<Buffer> {
  const hasher = await createPassphraseHasher({ memoryKiB: 19_456, iterations: 2, floor: { memoryKiB: 8, iterations: 1 } });
  const opened = await hasher.verify(sealed.kdf, passphrase);
  const key = opened.wrapKey ? unwrapMemberKey(sealed.wrap, opened.wrapKey, SEAL_CONTEXT) : null;
  assert.ok(key, 'the passphrase opens the sealed key');
  return key.exportBytes();
}
