import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { Client } from '../helpers/client.js';
import { assertAbsent, assertNoMetadata, apiWithPhotos } from '../media/helpers.js';
import { metadataNeedles, phoneJpeg, phoneMetadata } from '../media/fixtures.js';
import { eventually, startPeers, type Peer } from './instances.js';
import { followActivity, Receiver, send, signedPost, type FakeActor } from './receiver.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary API answers */

/**
 * Pictures that reach an instance from other servers, over real HTTP between separate processes:
 * - a photo in a public board's post reaches a follower as an attachment, and the follower serves it from its own
 *   origin (fetched lazily by its server, re-encoded, no metadata), its member's page never naming the other host;
 * - a remote Create in the shapes Lemmy and Mastodon send, carrying Image and Document attachments: the pictures are
 *   stored and shown through this origin; one that is not a picture, too large, or on a server the rules refuse is a
 *   placeholder without a link.
 */

const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';
const AS = 'https://www.w3.org/ns/activitystreams';

/** A server of pictures on loopback, counting what it is asked for. */
class PictureServer {
  readonly asked = new Map<string, number>();
  readonly files = new Map<string, { type: string; body: Buffer }>();
  private server: http.Server | null = null;
  url = '';
  host = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const path = req.url ?? '/';
      this.asked.set(path, (this.asked.get(path) ?? 0) + 1);
      const file = this.files.get(path);
      if (!file) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': file.type }).end(file.body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.url = `http://${this.host}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }

  total(): number {
    return [...this.asked.values()].reduce((a, b) => a + b, 0);
  }
}

const cookieOf = (client: Client) => [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

/** The photo thumbnails and placeholders of a page, in order. */
const thumbsOf = (page: string) => [...page.matchAll(/<img src="(\/media\/[A-Za-z0-9_-]{16})\/thumb" width="\d+" height="\d+" alt="([^"]*)"/g)].map((m) => ({ url: m[1]!, alt: m[2]! }));
const placeholdersOf = (page: string) => [...page.matchAll(/<span class="photo unavailable" role="img" aria-label="([^"]*)">/g)].map((m) => m[1]!);

describe('pictures from other servers (separate processes, real HTTP)', function () {
  this.timeout(240_000);
  let a: Peer;
  let b: Peer;
  const pictures = new PictureServer();
  const refused = new PictureServer();
  const lemmy = new Receiver();
  const meta = phoneMetadata();
  let phone: Buffer;
  const group = () => `${a.url}/ap/b/general`;

  before(async () => {
    phone = await phoneJpeg(meta, 480, 360, 23);
    await Promise.all([pictures.start(), refused.start(), lemmy.start()]);
    [a, b] = (await startPeers(['pa', 'pb'])) as [Peer, Peer];
    const made = await b.admin.client.api('POST', '/federation/follows', { target: `general@${a.host}` });
    assert.equal(made.status, 201, made.text);
    await eventually(async () => {
      const list = await b.admin.client.api('GET', '/federation/follows');
      assert.equal(list.json.follows[0].state, 'accepted');
    });
  });
  after(async () => {
    if (process.env.SHOW_PEER_OUTPUT) console.log(a?.output(), b?.output());
    await Promise.all([a?.dispose(), b?.dispose()]);
    await Promise.all([pictures.stop(), refused.stop(), lemmy.stop()]);
  });

  it('a photo in a public board’s post reaches the follower, which serves its own re-encoded copy from its own origin', async () => {
    const started = await apiWithPhotos(a.member.client, '/boards/general/threads', { title: 'Seen on the corner', body: 'Look out for this van.' }, [{ bytes: phone }], { alt: 'A grey van' });
    assert.equal(started.status, 201, started.text);
    const onA = started.json.photos[0] as { url: string; width: number; height: number };

    // B's mirror: the board, then the thread with its picture at B's own address.
    const followId = ((await b.admin.client.api('GET', '/federation/follows')).json.follows[0].id) as string;
    const page = await eventually(async () => {
      const board = await b.member.client.get(`/remote/${followId}`);
      const link = new RegExp(`href="(/remote/${followId}/t/[A-Za-z0-9_-]+)"><strong>Seen on the corner`).exec(board.text);
      assert.ok(link, 'the thread is mirrored');
      const thread = await b.member.client.get(link[1]!);
      assert.equal(thread.status, 200, thread.text);
      assert.equal(thumbsOf(thread.text).length, 1, 'its picture is shown (the Update that adds it may come after the Create)');
      return thread.text;
    }, 60_000, 200);
    const [shown] = thumbsOf(page);
    assert.equal(shown!.alt, 'A grey van', 'the alt text travels as the attachment’s name');
    assert.ok(!page.includes(`${a.url}/media`) && !page.includes(onA.url), 'the member’s page never points at the other server for the picture');
    assert.match(page, new RegExp(`<a class="photo" href="${shown!.url}"><img src="${shown!.url}/thumb"`));

    // Fetched by B's server when first asked for, from A, through B's outgoing checks; served by B.
    const cookie = cookieOf(b.member.client);
    const [large, thumb] = await Promise.all([fetch(`${b.url}${shown!.url}`, { headers: { cookie } }), fetch(`${b.url}${shown!.url}/thumb`, { headers: { cookie } })]);
    assert.equal(large.status, 200);
    assert.equal(thumb.status, 200);
    assert.equal(large.headers.get('content-type'), 'image/jpeg');
    assert.equal(large.headers.get('cache-control'), 'private, no-store', 'a followed board is for members here');
    assert.equal(large.headers.get('x-content-type-options'), 'nosniff');
    const bytes = Buffer.from(await large.arrayBuffer());
    const decoded = await sharp(bytes).metadata();
    assert.equal(decoded.format, 'jpeg');
    assert.deepEqual([decoded.width, decoded.height], [onA.width, onA.height], 'the picture as A stored it (turned upright from the phone’s orientation)');
    await assertNoMetadata(bytes, 'the follower’s copy');
    await assertNoMetadata(Buffer.from(await thumb.arrayBuffer()), 'the follower’s thumbnail');
    assertAbsent(bytes, metadataNeedles(meta), 'the follower’s copy');
    assert.equal((await new Client(b.url).get(shown!.url)).status, 404, 'not for visitors of B');
    // The JSON API names the same picture, by the mirrored post's IRI.
    const mirrored = await b.member.client.api('GET', `/federation/remote?group=${encodeURIComponent(`${a.url}/ap/b/general`)}`);
    const iri = (mirrored.json.threads as any[]).find((t) => t.title === 'Seen on the corner').id as string;
    const listed = await b.member.client.api('GET', `/media/remote_post/${encodeURIComponent(iri)}`);
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual((listed.json.photos as any[]).map((p) => [p.url, p.alt, p.unavailable]), [[shown!.url, 'A grey van', false]]);
    assert.equal((await new Client(b.url).api('GET', `/media/remote_post/${encodeURIComponent(iri)}`)).status, 404, 'nor for its visitors through the API');

    // Deleted on A: B's mirror drops the thread, and its copy of the picture with it (not at the next sweep).
    const stored = async () => Number(/id="photo-storage">Photos: (\d+) stored/.exec((await b.admin.client.get('/admin/storage')).text)?.[1]);
    assert.equal(await stored(), 1);
    assert.equal((await a.member.client.api('DELETE', `/posts/${started.json.post.id}`)).status, 204);
    await eventually(async () => assert.equal(await stored(), 0, 'the picture’s record and files are gone from B'), 60_000, 200);
    assert.equal((await fetch(`${b.url}${shown!.url}`, { headers: { cookie } })).status, 404);
  });

  describe('a remote Create carrying pictures, on our own board', () => {
    let kim: FakeActor;
    let mia: FakeActor;
    let threadId = '';
    let postId = '';

    before(async () => {
      pictures.files.set('/car.jpg', { type: 'image/jpeg', body: phone });
      pictures.files.set('/page.jpg', { type: 'image/jpeg', body: Buffer.from('<html><script>alert(1)</script></html>') });
      // Past the 12 MB limit: the download stops there.
      pictures.files.set('/huge.png', { type: 'image/png', body: Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(13 * 1024 * 1024, 7)]) });
      refused.files.set('/plate.jpg', { type: 'image/jpeg', body: phone });
      const rule = await a.admin.client.api('POST', '/federation/policy/rules', { target: refused.host, policy: 'deny', reason: 'pictures only' });
      assert.equal(rule.status, 201, rule.text);
      kim = lemmy.actor('kim');
      mia = lemmy.actor('mia');
      for (const actor of [kim, mia]) assert.equal((await send(signedPost(`${a.url}/ap/inbox`, actor, followActivity(actor, group())))).status, 200);
      const made = await a.member.client.api('POST', '/boards/general/threads', { title: 'Replies with pictures', body: 'Send yours.' });
      assert.equal(made.status, 201, made.text);
      threadId = made.json.thread.id;
      postId = made.json.post.id;
    });

    it('stores a Lemmy Page’s Image and shows it from this origin, without its metadata', async () => {
      const page = {
        id: `${lemmy.url}/post/41`,
        type: 'Page',
        name: 'A van from Lemmy',
        content: '<p>seen near the station</p>',
        attributedTo: kim.id,
        audience: group(),
        to: [group(), PUBLIC],
        image: { type: 'Image', url: `${pictures.url}/car.jpg` },
        attachment: [{ type: 'Image', url: `${pictures.url}/car.jpg`, name: 'The van, from behind' }],
      };
      const sent = await send(signedPost(`${group()}/inbox`, kim, { '@context': AS, id: `${page.id}/create`, type: 'Create', actor: kim.id, to: page.to, object: page }));
      assert.ok(sent.status === 200 || sent.status === 202, sent.text);
      const listed = await a.member.client.api('GET', '/boards/general/threads');
      const thread = (listed.json.threads as any[]).find((t) => t.title === 'A van from Lemmy');
      assert.ok(thread, 'the thread is on the board');
      assert.equal(pictures.asked.get('/car.jpg') ?? 0, 0, 'nothing is fetched when the post arrives');

      const shown = await new Client(a.url).get(`/t/${thread.id}`);
      const thumbs = thumbsOf(shown.text);
      assert.deepEqual(thumbs.map((t) => t.alt), ['The van, from behind'], 'the image and the attachment are one picture');
      assert.ok(!shown.text.includes(pictures.host), 'the page never names the other server');
      const large = await fetch(`${a.url}${thumbs[0]!.url}`);
      assert.equal(large.status, 200);
      assert.equal(large.headers.get('cache-control'), 'public, max-age=3600', 'a public board’s picture');
      const bytes = Buffer.from(await large.arrayBuffer());
      assert.equal((await sharp(bytes).metadata()).format, 'jpeg');
      await assertNoMetadata(bytes, 'a remote Create’s picture');
      assertAbsent(bytes, metadataNeedles(meta), 'a remote Create’s picture');
      assert.equal(pictures.asked.get('/car.jpg'), 1);
    });

    it('shows a Mastodon Note’s Documents that are not a picture, too large or on a refused server as placeholders without a link', async () => {
      const target = `${a.url}/ap/o/${Buffer.from(postId, 'base64url').toString('hex')}`;
      const note = {
        id: `${mia.id}/statuses/7`,
        type: 'Note',
        content: '<p>three more</p>',
        attributedTo: mia.id,
        inReplyTo: target,
        to: [PUBLIC],
        cc: [group()],
        sensitive: false,
        attachment: [
          { type: 'Document', mediaType: 'image/jpeg', url: `${pictures.url}/page.jpg`, name: 'Not a picture', blurhash: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj' },
          { type: 'Document', mediaType: 'image/png', url: `${pictures.url}/huge.png`, name: 'Too large' },
          { type: 'Document', mediaType: 'image/jpeg', url: `${refused.url}/plate.jpg`, name: 'On a refused server' },
        ],
      };
      const sent = await send(signedPost(`${group()}/inbox`, mia, { '@context': AS, id: `${note.id}/activity`, type: 'Create', actor: mia.id, to: note.to, cc: note.cc, object: note }));
      assert.ok(sent.status === 200 || sent.status === 202, sent.text);
      const first = await a.member.client.get(`/t/${threadId}`);
      const thumbs = thumbsOf(first.text);
      assert.deepEqual(thumbs.map((t) => t.alt), ['Not a picture', 'Too large', 'On a refused server']);
      // Asked for once each (as a reader's browser would), then refused: not pictures this server will serve.
      for (const t of thumbs) assert.equal((await fetch(`${a.url}${t.url}/thumb`)).status, 404, t.alt);
      const again = await a.member.client.get(`/t/${threadId}`);
      assert.deepEqual(placeholdersOf(again.text), ['Not a picture', 'Too large', 'On a refused server']);
      assert.deepEqual(thumbsOf(again.text), [], 'no thumbnail and no link left');
      for (const t of thumbs) assert.ok(!again.text.includes(`href="${t.url}"`), `no link to ${t.alt}`);
      assert.equal(pictures.asked.get('/page.jpg'), 1);
      assert.equal(pictures.asked.get('/huge.png'), 1);
      assert.equal(refused.total(), 0, 'a server the rules refuse is never asked');
      for (const t of thumbs) assert.equal((await fetch(`${a.url}${t.url}`)).status, 404, 'and never fetched again');
      assert.equal(pictures.asked.get('/page.jpg'), 1);
    });
  });
});
