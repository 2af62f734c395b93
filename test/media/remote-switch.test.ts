/**
 * A board's switch for pictures from other servers: its moderators and the staff turn it off (a member may not;
 * a value that is not on or off is refused and changes nothing); off, the board's remote pictures are neither
 * fetched nor shown (a placeholder with the alt text, no link) and the copies already made are deleted through the
 * store, gone from a copy of the data directory too; on again, they are fetched again when shown.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, type Person } from '../helpers/people.js';
import { eventually } from '../federation/instances.js';
import { seize } from '../privacy/seizure.js';
import { mediaBlobs } from '../../server/media/media.collections.js';
import { phoneJpeg, phoneMetadata } from './fixtures.js';

describe('a board’s switch for pictures from other servers', function () {
  this.timeout(90_000);
  let inst: TestInstance;
  let origin: http.Server;
  let base = '';
  const asked = new Map<string, number>();
  let boss: Person;
  let alice: Person;
  let bob: Person;
  let threadId = '';
  let postId = '';
  let elsewhereId = '';

  const blobs = () => inst.parasol.ctx.store.blobs(mediaBlobs);
  const page = async () => (await alice.client.get(`/t/${threadId}`)).text;

  before(async () => {
    // Two different pictures: the other board's copy must not hold the bytes looked for.
    const jpegs = new Map([['/car.jpg', await phoneJpeg(phoneMetadata(), 400, 300, 31)], ['/other.jpg', await phoneJpeg(phoneMetadata(), 400, 300, 32)]]);
    origin = http.createServer((req, res) => {
      asked.set(req.url ?? '', (asked.get(req.url ?? '') ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpegs.get(req.url ?? ''));
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    inst = await startInstance({ env: { ALLOW_PRIVATE_NETWORK: 'true' } });
    boss = await admin(inst);
    alice = await member(inst, 'alice');
    bob = await member(inst, 'bob');
    const started = await alice.client.api('POST', '/boards/general/threads', { title: 'From afar', body: 'A picture from another server.' });
    assert.equal(started.status, 201, started.text);
    threadId = started.json.thread.id;
    postId = started.json.post.id;
    await inst.parasol.ctx.media.registerRemote('post', postId, [{ url: `${base}/car.jpg`, alt: 'A remote car', blurhash: null, width: 400, height: 300 }], false);
    // The same on another board, which keeps its pictures.
    const other = await alice.client.api('POST', '/boards/health/threads', { title: 'Elsewhere', body: 'Another board.' });
    assert.equal(other.status, 201, other.text);
    elsewhereId = other.json.post.id;
    await inst.parasol.ctx.media.registerRemote('post', elsewhereId, [{ url: `${base}/other.jpg`, alt: 'Another car', blurhash: null, width: 400, height: 300 }], false);
  });
  after(async () => {
    await inst.close();
    await new Promise((resolve) => origin.close(resolve));
  });

  it('lets only the board’s moderators and the staff change it, and refuses what is not on or off', async () => {
    const [photo] = (await inst.parasol.ctx.media.photosOf('post', [postId])).get(postId)!;
    const [other] = (await inst.parasol.ctx.media.photosOf('post', [elsewhereId])).get(elsewhereId)!;
    for (const p of [photo!, other!]) assert.equal((await new Client(inst.url).get(p.url)).status, 200);
    assert.ok(await blobs().get(photo!.id, 'large'), 'the copy is made when first shown');

    const refused = await alice.client.api('PATCH', '/boards/general', { remoteMedia: false });
    assert.equal(refused.status, 403, refused.text);
    for (const bad of ['sometimes', 5, null]) {
      const answer = await boss.client.api('PATCH', '/boards/general', { remoteMedia: bad });
      assert.equal(answer.status, 422, answer.text);
      assert.ok(answer.json.error.message, 'a message the page shows');
    }
    assert.equal((await alice.client.api('GET', '/boards/general')).json.board.remoteMedia, true, 'nothing changed');
    assert.ok(await blobs().get(photo!.id, 'large'), 'the copy is still there');
  });

  it('off: neither fetched nor shown, a placeholder with the alt text and no link, the copies deleted', async () => {
    const [photo] = (await inst.parasol.ctx.media.photosOf('post', [postId])).get(postId)!;
    const [other] = (await inst.parasol.ctx.media.photosOf('post', [elsewhereId])).get(elsewhereId)!;
    const large = Buffer.from(await (await fetch(`${inst.url}${photo!.url}`)).arrayBuffer());
    const slice = large.subarray(large.length - 200, large.length - 136);
    assert.equal((await boss.client.api('PATCH', '/boards/general', { moderators: [bob.handle] })).status, 200);
    const off = await bob.client.api('PATCH', '/boards/general', { remoteMedia: false });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.json.board.remoteMedia, false);

    assert.equal(await blobs().get(photo!.id, 'large'), null, 'the copy went through the store');
    assert.equal(await blobs().get(photo!.id, 'thumb'), null);
    assert.ok(await blobs().get(other!.id, 'large'), 'another board keeps its copies');
    assert.equal((await alice.client.get(photo!.url)).status, 404);
    assert.equal((await alice.client.get(`${photo!.url}/thumb`)).status, 404);
    const shown = await page();
    assert.match(shown, /<span class="photo unavailable" role="img" aria-label="A remote car">/);
    assert.ok(!shown.includes(`href="${photo!.url}"`) && !shown.includes(`${photo!.url}/thumb`), 'no link, no thumbnail');
    const listed = await alice.client.api('GET', `/media/post/${postId}`);
    assert.equal(listed.json.photos[0].unavailable, true);
    assert.equal(asked.get('/car.jpg'), 1, 'not fetched while off');
    if (inst.parasol.ctx.store.kind === 'sqlite') {
      await eventually(async () => {
        for (const [name, bytes] of seize(inst.dataDir).files) assert.ok(!bytes.includes(slice), `${name} still holds bytes of the deleted copy`);
      }, 60_000, 500);
    }
  });

  it('is a checkbox on the moderators’ boards page (without JavaScript) and a line in the admin console; on again, fetched again', async () => {
    const form = await bob.client.get('/mod/boards');
    assert.match(form.text, /<input type="hidden" name="remoteMedia" value="false"><label class="check"><input type="checkbox" name="remoteMedia" value="true" > Pictures from other servers<\/label>/);
    const overview = await boss.client.get('/admin/boards');
    assert.match(overview.text, /<li>Pictures from other servers: No<\/li>/);
    // The box ticked: the browser sends the hidden "false" and then "true".
    const sent = await bob.client.submit('/mod/boards', '/mod/boards/general', { remoteMedia: 'true' });
    assert.equal(sent.status, 303, sent.text);
    assert.equal((await alice.client.api('GET', '/boards/general')).json.board.remoteMedia, true);
    const [photo] = (await inst.parasol.ctx.media.photosOf('post', [postId])).get(postId)!;
    assert.equal(photo!.unavailable, false);
    assert.equal((await alice.client.get(photo!.url)).status, 200);
    assert.equal(asked.get('/car.jpg'), 2, 'fetched again, once');
  });
});
