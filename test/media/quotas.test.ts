/**
 * The day's photo quota under blinded ids: a named upload counts under the account as before; an anonymous post's
 * photos count under the member's blinded id on the board, a room message's under their blinded id in the room.
 * Neither key can be recomputed from the account id (with the instance's secrets), and no count is in the data.
 */
import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { invite, newRoom } from '../rooms/helpers.js';
import { seize } from '../privacy/seizure.js';
import { postsCollection } from '../../server/forums/forums.collections.js';
import { apiWithPhotos } from './helpers.js';
import { noisyPixels } from './fixtures.js';

describe('photo quotas under blinded ids', function () {
  this.timeout(90_000);
  let inst: TestInstance;
  let alice: Person;
  let photo: { bytes: Buffer };
  /** What the quota asks the counters to count under, in order (the counters' own key function, watched). */
  const counted: string[] = [];
  let restore: () => void = () => undefined;

  before(async () => {
    inst = await startInstance({ env: { PHOTOS_PER_MEMBER_PER_DAY: '2' } });
    const limits = inst.parasol.ctx.limits;
    const keyOf = limits.keyOf.bind(limits);
    const watched = limits.keyOf;
    limits.keyOf = (key) => {
      if (key.startsWith('photos ')) counted.push(key.slice('photos '.length));
      return keyOf(key);
    };
    restore = () => {
      limits.keyOf = watched;
    };
    alice = await member(inst, 'alice');
    photo = { bytes: await (await noisyPixels(100, 80, 9)).jpeg().toBuffer() };
  });
  after(async () => {
    restore();
    await inst.close();
  });

  const upload = (path: string, body: unknown, count = 1) => apiWithPhotos(alice.client, path, body, Array.from({ length: count }, () => photo));
  const stored = async (postId: string) => (await inst.parasol.ctx.store.collection(postsCollection).get(postId))!;

  it('counts a named post’s photos under the account, as before', async () => {
    const named = await upload('/boards/general/threads', { title: 'Named', body: 'Two photos.' }, 2);
    assert.equal(named.status, 201, named.text);
    assert.deepEqual(counted, [alice.id]);
    const over = await upload('/boards/general/threads', { title: 'Named again', body: 'One more.' });
    assert.equal(over.status, 429, over.text);
    assert.equal(over.json.error.code, 'photo_quota');
  });

  it('counts an anonymous post’s photos under the blinded id on the board, which the account id does not give', async () => {
    counted.length = 0;
    const anonymous = await upload('/boards/general/threads', { title: 'Anonymous', body: 'Two photos.', anonymous: true }, 2);
    assert.equal(anonymous.status, 201, anonymous.text);
    const post = await stored(anonymous.json.post.id);
    assert.equal(post.authorId, null);
    assert.deepEqual(counted, [post.blindAuthor], 'counted under the member’s blinded id on the board');
    assert.ok(!counted[0]!.includes(alice.id), 'nothing of the account in the key');
    // The same anonymous member: a reply in their anonymous thread is anonymous too, and shares that budget.
    const reply = await upload(`/threads/${anonymous.json.thread.id}/posts`, { body: 'One more.' });
    assert.equal(reply.status, 429, reply.text);
    assert.equal(counted.at(-1), post.blindAuthor);
    // Another board: another blinded id, a budget of its own.
    const elsewhere = await upload('/boards/health/threads', { title: 'Elsewhere', body: 'One photo.', anonymous: true });
    assert.equal(elsewhere.status, 201, elsewhere.text);
    assert.equal(counted.at(-1), (await stored(elsewhere.json.post.id)).blindAuthor);
    assert.notEqual(counted.at(-1), post.blindAuthor);
  });

  it('counts a room message’s photos under the blinded id in the room', async () => {
    const boss = await admin(inst);
    const fac = await moderator(inst, boss);
    const room = await newRoom(fac);
    await invite(fac, room.id, alice);
    counted.length = 0;
    const sent = await apiWithPhotos(alice.client, `/rooms/${room.id}/messages`, { body: 'The car outside' }, [photo, photo]);
    assert.equal(sent.status, 201, sent.text);
    assert.equal(counted.length, 1);
    assert.ok(counted[0] !== alice.id && !counted[0]!.includes(alice.id), 'not the account');
    assert.match(counted[0]!, /^[A-Za-z0-9_-]{43}$/, 'a blinded id (an HMAC under the member’s key)');
    const over = await apiWithPhotos(alice.client, `/rooms/${room.id}/messages`, { body: 'One more' }, [photo]);
    assert.equal(over.status, 429, over.text);
    assert.equal(counted.at(-1), counted[0]);
  });

  it('keeps no count in the data: a copy of the data directory holds none of the keys counted', async function () {
    if (inst.parasol.ctx.store.kind !== 'sqlite') this.skip();
    const keyOf = inst.parasol.ctx.limits.keyOf.bind(inst.parasol.ctx.limits);
    const names = [...new Set(counted)].map((key) => keyOf(`photos ${key}`));
    for (const [file, bytes] of seize(inst.dataDir).files) {
      for (const name of names) assert.ok(!bytes.includes(Buffer.from(name)), `${file} holds a quota key`);
    }
  });
});
