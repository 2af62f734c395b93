/**
 * Pictures of posts from other servers: recorded when the post arrives, fetched by the server (never the reader's
 * browser) when first shown, through the outgoing-request checks, and put through the same pipeline: nothing of
 * their metadata is kept. One that cannot be fetched or is not a picture is a placeholder without a link.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { member } from '../helpers/people.js';
import { assertAbsent, assertNoMetadata } from './helpers.js';
import { metadataNeedles, phoneJpeg, phoneMetadata } from './fixtures.js';

describe('pictures of remote posts', function () {
  this.timeout(60_000);
  let inst: TestInstance;
  let origin: http.Server;
  let base = '';
  const asked = new Map<string, number>();
  const meta = phoneMetadata();
  let jpeg: Buffer;

  before(async () => {
    jpeg = await phoneJpeg(meta, 400, 300, 17);
    origin = http.createServer((req, res) => {
      asked.set(req.url ?? '', (asked.get(req.url ?? '') ?? 0) + 1);
      if (req.url === '/car.jpg') res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
      else res.writeHead(200, { 'content-type': 'image/jpeg' }).end('<html><script>alert(1)</script></html>');
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    inst = await startInstance({ env: { ALLOW_PRIVATE_NETWORK: 'true' } });
  });
  after(async () => {
    await inst.close();
    await new Promise((resolve) => origin.close(resolve));
  });

  it('fetches a remote picture once, when first shown, without its metadata; a bad one is a placeholder', async () => {
    const alice = await member(inst, 'alice');
    const started = await alice.client.api('POST', '/boards/general/threads', { title: 'From afar', body: 'Pictures from another server.' });
    assert.equal(started.status, 201, started.text);
    const postId = started.json.post.id as string;
    await inst.parasol.ctx.media.registerRemote('post', postId, [
      { url: `${base}/car.jpg`, alt: 'A remote car', blurhash: null, width: 400, height: 300 },
      { url: `${base}/page.jpg`, alt: 'Not a picture', blurhash: null, width: null, height: null },
    ], false);
    assert.equal(asked.size, 0, 'nothing is fetched when the post arrives');

    const visitor = new Client(inst.url);
    const page = await visitor.get(`/t/${started.json.thread.id}`);
    const thumb = /<img src="(\/media\/[A-Za-z0-9_-]{16}\/thumb)" width="\d+" height="\d+" alt="A remote car" loading="lazy"/.exec(page.text);
    assert.ok(thumb, 'the remote picture’s thumbnail, at an address of this server');
    assert.doesNotMatch(page.text, new RegExp(base.replace(/[.:/]/g, '\\$&')), 'the page never names the other server');
    const [a, b] = await Promise.all([fetch(inst.url + thumb[1]!), fetch(inst.url + thumb[1]!.replace(/\/thumb$/, ''))]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const large = Buffer.from(await b.arrayBuffer());
    await assertNoMetadata(large, 'remote picture');
    assertAbsent(large, metadataNeedles(meta), 'remote picture');
    assert.equal(asked.get('/car.jpg'), 1, 'fetched once, for both requests');

    const bad = (await inst.parasol.ctx.media.photosOf('post', [postId])).get(postId)![1]!;
    assert.equal((await visitor.get(bad.url)).status, 404);
    // A member's page is made afresh (a visitor's may be kept for a minute).
    const again = await alice.client.get(`/t/${started.json.thread.id}`);
    assert.match(again.text, /<span class="photo unavailable" role="img" aria-label="Not a picture">Picture not available<\/span>/);
    assert.equal((await visitor.get(bad.url)).status, 404);
    assert.equal(asked.get('/page.jpg'), 1, 'a refused picture is not fetched again');
  });
});
