/**
 * The day's photo quota under blinded ids: a named upload counts under the account as before; an anonymous post's
 * photos count under the member's blinded id on the board, a room message's under their blinded id in the room, a
 * private message's under theirs in the conversation, in memory only. Neither key can be recomputed from the account id (with the instance's secrets), and no count of
 * them is in the data: not in a copy of the SQLite files, not in PostgreSQL's rate-limit table.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { onPostgres } from '../helpers/test-database.js';
import { localCounters, type LimitCounters } from '../../server/core/rate-limit.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { invite, newRoom } from '../rooms/helpers.js';
import { acceptOnly, openToEveryone, start } from '../conversations/helpers.js';
import { seize } from '../privacy/seizure.js';
import { postsCollection } from '../../server/forums/forums.collections.js';
import { apiWithPhotos } from './helpers.js';
import { noisyPixels } from './fixtures.js';

describe('photo quotas under blinded ids', function () {
  this.timeout(90_000);
  let inst: TestInstance;
  let alice: Person;
  let photo: { bytes: Buffer };
  /** What the quota asks the counters to count under, in order (the counters' own key functions, watched). */
  const counted: string[] = [];
  /** Everything counted in the whole file. */
  const everything = new Set<string>();
  const restore: (() => void)[] = [];
  // On PostgreSQL with a secret file, the rate limits count in a table: what the photos of the account count there is shown.
  const secretFile = path.join(os.tmpdir(), `parasol-quota-secret-${crypto.randomBytes(6).toString('hex')}`);

  const watch = (counters: LimitCounters) => {
    const keyOf = counters.keyOf;
    counters.keyOf = (key) => {
      if (key.startsWith('photos ')) {
        counted.push(key.slice('photos '.length));
        everything.add(key.slice('photos '.length));
      }
      return keyOf.call(counters, key);
    };
    restore.push(() => {
      counters.keyOf = keyOf;
    });
  };

  before(async () => {
    fs.writeFileSync(secretFile, crypto.randomBytes(32));
    inst = await startInstance({ env: { PHOTOS_PER_MEMBER_PER_DAY: '2', ...(onPostgres ? { PARASOL_SECRET_FILE: secretFile } : {}) } });
    watch(inst.parasol.ctx.limits);
    if (inst.parasol.ctx.limits !== localCounters) watch(localCounters);
    alice = await member(inst, 'alice');
    photo = { bytes: await (await noisyPixels(100, 80, 9)).jpeg().toBuffer() };
  });
  after(async () => {
    for (const undo of restore) undo();
    await inst.close();
    fs.rmSync(secretFile, { force: true });
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

  it('counts a private message’s photos under the blinded id in the conversation', async () => {
    const bea = await member(inst, 'bea');
    await openToEveryone(bea);
    const id = await start(alice, [bea], 'hello');
    await acceptOnly(bea);
    counted.length = 0;
    const before = new Set(everything);
    const sent = await apiWithPhotos(alice.client, `/conversations/${id}/messages`, { body: 'The plate' }, [photo, photo]);
    assert.equal(sent.status, 201, sent.text);
    assert.equal(counted.length, 1);
    assert.match(counted[0]!, /^[A-Za-z0-9_-]{43}$/, 'a blinded id (an HMAC under the member’s key)');
    assert.ok(!before.has(counted[0]!), 'neither the account nor the blinded id of a board or a room');
    const over = await apiWithPhotos(alice.client, `/conversations/${id}/messages`, { body: 'One more' }, [photo]);
    assert.equal(over.status, 429, over.text);
    assert.equal(counted.at(-1), counted[0]);
  });

  it('counts a warning’s photos, anonymous unless signed, under the blinded id on the review board', async () => {
    const warning = (phone: string, extra: Record<string, unknown> = {}) => ({
      kind: 'warning',
      categories: ['non_payment'],
      severity: 'high',
      incidentMonth: '2026-10',
      body: 'Left without paying.',
      identifiers: [{ type: 'phone', value: phone }],
      ...extra,
    });
    counted.length = 0;
    const before = new Set(everything);
    const sent = await apiWithPhotos(alice.client, '/review-boards/client-screening/reviews', warning('+44 7700 900301'), [photo, photo]);
    assert.equal(sent.status, 201, sent.text);
    assert.equal(counted.length, 1);
    assert.match(counted[0]!, /^[A-Za-z0-9_-]{43}$/, 'a blinded id');
    assert.ok(!before.has(counted[0]!), 'neither the account nor the blinded id of a forum board or a room');
    const over = await apiWithPhotos(alice.client, '/review-boards/client-screening/reviews', warning('+44 7700 900302'), [photo]);
    assert.equal(over.status, 429, over.text);
    assert.equal(counted.at(-1), counted[0]);
    const signed = await apiWithPhotos(alice.client, '/review-boards/client-screening/reviews', warning('+44 7700 900303', { anonymous: false }), [photo]);
    assert.equal(signed.status, 429, 'a signed warning counts under the account, whose day is spent');
    assert.equal(counted.at(-1), alice.id);
  });

  it('keeps no count of the blinded ids in the data', async () => {
    const blinded = [...everything].filter((key) => key !== alice.id);
    assert.equal(blinded.length, 5, 'two boards, a room, a conversation and a review board');
    const names = blinded.map((key) => localCounters.keyOf(`photos ${key}`));
    if (inst.parasol.ctx.store.kind === 'sqlite') {
      for (const [file, bytes] of seize(inst.dataDir).files) {
        for (const name of names) assert.ok(!bytes.includes(Buffer.from(name)), `${file} holds a quota key`);
      }
      return;
    }
    // PostgreSQL: the table holds the account's named count, and nothing of the anonymous and room uploads.
    const client = new pg.Client({ connectionString: inst.parasol.ctx.config.databaseUrl });
    await client.connect();
    try {
      const rows = (await client.query<{ key: string; points: number }>("SELECT key, points FROM parasol_rate_limits WHERE key LIKE 'k:photos%'")).rows;
      assert.deepEqual(rows.map((r) => r.key), [`k:photos:${inst.parasol.ctx.limits.keyOf(`photos ${alice.id}`)}`]);
      // Two named photos, then a named one refused twice (a refused try counts too); the anonymous and room ones not at all.
      assert.equal(rows[0]!.points, 4, 'the account counts its named photos only');
      for (const name of names) assert.ok(!rows.some((r) => r.key.includes(name)), 'no row of a blinded id');
    } finally {
      await client.end();
    }
  });
});
