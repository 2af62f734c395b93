/**
 * Photos in forum posts, through the JSON API and the no-JavaScript form: every stored and served variant is read
 * with an EXIF reader and searched byte by byte for what the phone wrote (and so is a copy of the data directory);
 * bad input is refused with a clear error and keeps nothing; members-only boards' photos need a member; deleting
 * the post deletes the files, from the bytes too.
 */
import assert from 'node:assert/strict';
import exifr from 'exifr';
import sharp from 'sharp';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, type Person } from '../helpers/people.js';
import { itReadsSqliteFile } from '../helpers/test-database.js';
import { eventually } from '../federation/instances.js';
import { seize } from '../privacy/seizure.js';
import { mediaBlobs } from '../../server/media/media.collections.js';
import { apiWithPhotos, assertAbsent, assertNoMetadata, postMultipart } from './helpers.js';
import { metadataNeedles, noisyPixels, phoneJpeg, phoneMetadata, pngBomb, pngWithText, type PhoneMetadata } from './fixtures.js';

describe('photos in forum posts', function () {
  this.timeout(120_000);
  let inst: TestInstance;
  let boss: Person;
  let alice: Person;
  let threadId: string;

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    alice = await member(inst, 'alice');
    const started = await alice.client.api('POST', '/boards/general/threads', { title: 'Photos here', body: 'A thread for replies with photos.' });
    assert.equal(started.status, 201, started.text);
    threadId = started.json.thread.id;
  });
  after(() => inst.close());

  const blobs = () => inst.parasol.ctx.store.blobs(mediaBlobs);
  const photoCount = async () => (await inst.parasol.ctx.media.usage()).photos;
  const replyCount = async () => (await new Client(inst.url).api('GET', `/threads/${threadId}`)).json.posts.length as number;

  async function served(client: Client, url: string): Promise<Buffer> {
    const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(inst.url + url, { headers: cookie ? { cookie } : {} });
    assert.equal(res.status, 200, url);
    return Buffer.from(await res.arrayBuffer());
  }

  async function assertClean(meta: PhoneMetadata, photo: { id: string; url: string; thumbUrl: string }): Promise<void> {
    for (const [variant, url] of [['large', photo.url], ['thumb', photo.thumbUrl]] as const) {
      const bytes = await served(alice.client, url);
      await assertNoMetadata(bytes, `served ${variant}`);
      assertAbsent(bytes, metadataNeedles(meta), `served ${variant}`);
      const stored = await blobs().get(photo.id, variant);
      assert.ok(stored, `stored ${variant}`);
      assert.ok(stored.equals(bytes), `the ${variant} served is the one stored`);
    }
  }

  it('strips GPS, camera, serial, maker note, XMP, comments, thumbnail and trailing bytes from photos sent through the API', async () => {
    const meta = phoneMetadata();
    const jpeg = await phoneJpeg(meta);
    // The fixture really carries what a phone writes.
    const before = (await exifr.parse(jpeg, { tiff: true, exif: true, gps: true, xmp: true, makerNote: true })) as Record<string, unknown>;
    assert.equal(before.Make, meta.make);
    assert.equal(before.SerialNumber, meta.serial);
    assert.equal(before.City, meta.xmp);
    assert.ok(before.makerNote, 'a maker note in the fixture');
    assert.ok(Math.abs((before.latitude as number) - 51.507) < 0.01, 'GPS latitude in the fixture');
    assert.ok(await exifr.thumbnail(jpeg), 'an embedded thumbnail in the fixture');
    const png = await pngWithText(meta);

    const reply = await apiWithPhotos(alice.client, `/threads/${threadId}/posts`, { body: 'Look at this car.' }, [{ bytes: jpeg }, { bytes: png, type: 'image/png', name: 'screen.png' }], {
      alt: ['A grey car', ''],
      sensitive: '1',
    });
    assert.equal(reply.status, 201, reply.text);
    const photos = reply.json.photos as { id: string; url: string; thumbUrl: string; width: number; height: number; alt: string; sensitive: boolean; mediaType: string; thumbWidth: number; blurhash: string }[];
    assert.equal(photos.length, 2);
    const [car, screen] = photos as [typeof photos[0], typeof photos[0]];
    // Stored sideways with orientation 6: upright, the 400 x 300 picture is 300 x 400.
    assert.deepEqual([car.width, car.height, car.mediaType], [300, 400, 'image/jpeg']);
    assert.equal(car.alt, 'A grey car');
    assert.equal(car.sensitive, false);
    assert.equal(screen.alt, 'Photo', 'an empty alt text gets the default in the member’s language');
    assert.equal(screen.sensitive, true);
    assert.match(car.blurhash, /^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{28}$/);
    await assertClean(meta, car);
    await assertClean(meta, screen);

    const res = await fetch(inst.url + car.url);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('content-disposition'), 'inline; filename="photo.jpg"');
    assert.match(res.headers.get('content-security-policy') ?? '', /\bsandbox\b/);
    assert.match(res.headers.get('cache-control') ?? '', /^public/, 'a public board’s photo may be cached');
    const thumb = await fetch(inst.url + car.thumbUrl);
    assert.equal(thumb.headers.get('content-type'), 'image/webp');
    assert.ok(Number(thumb.headers.get('content-length')) <= 15 * 1024, 'a thumbnail under 15 KB');
    assert.equal((await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).width, car.thumbWidth);
  });

  itReadsSqliteFile('leaves none of the metadata in a copy of the data directory (database, -wal, -shm)', async () => {
    const meta = phoneMetadata();
    const reply = await apiWithPhotos(alice.client, `/threads/${threadId}/posts`, { body: 'Another.' }, [{ bytes: await phoneJpeg(meta, 640, 480, 11) }]);
    assert.equal(reply.status, 201, reply.text);
    const seized = seize(inst.dataDir);
    assert.ok(seized.files.has('parasol.sqlite'), 'the database is in the copy');
    for (const [name, bytes] of seized.files) assertAbsent(bytes, metadataNeedles(meta), `seized ${name}`);
  });

  it('takes photos from the form without JavaScript, and shows lazy thumbnails with their size', async () => {
    const meta = phoneMetadata();
    const page = await alice.client.get(`/t/${threadId}`);
    assert.match(page.text, /<form method="post" action="\/t\/[^"]+\/posts" class="stack" data-draft enctype="multipart\/form-data" data-photos /);
    assert.match(page.text, /<input type="file" id="photos-input" name="photos" accept="image\/jpeg,image\/png,image\/webp,image\/gif" multiple data-photo-input/);
    assert.doesNotMatch(page.text, /capture=/);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const posted = await postMultipart(alice.client, `/t/${threadId}/posts`, { _csrf: token, body: 'From the form.', alt: ['Plate of the car', '', '', ''], sensitive: [] }, [{ bytes: await phoneJpeg(meta, 320, 240, 5) }]);
    assert.equal(posted.status, 303, posted.text);
    const thread = await new Client(inst.url).get(posted.headers.get('location')!.replace(/#.*/, ''));
    const img = /<img src="(\/media\/[A-Za-z0-9_-]{16}\/thumb)" width="(\d+)" height="(\d+)" alt="Plate of the car" loading="lazy" decoding="async">/.exec(thread.text);
    assert.ok(img, 'the thumbnail in the thread page');
    const thumbMeta = await sharp(await served(new Client(inst.url), img[1]!)).metadata();
    assert.deepEqual([img[2], img[3]], [String(thumbMeta.width), String(thumbMeta.height)], 'the page gives the thumbnail’s own size');
    assert.ok(Number(img[3]) > Number(img[2]), 'upright: taller than wide');
    const bytes = await served(new Client(inst.url), img[1]!.replace(/\/thumb$/, ''));
    await assertNoMetadata(bytes, 'form upload');
    assertAbsent(bytes, metadataNeedles(meta), 'form upload');
  });

  it('refuses bad input with a clear error and keeps nothing', async () => {
    const good = await (await noisyPixels(200, 150)).jpeg().toBuffer();
    const cases: [string, Buffer, number, string][] = [
      ['a PDF renamed .jpg', Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF'), 415, 'photo_pdf'],
      ['an HTML page renamed .jpg', Buffer.from('<!doctype html><html><script>alert(document.cookie)</script></html>'), 415, 'photo_type'],
      ['a polyglot: a JPEG header in front of a page', Buffer.concat([good.subarray(0, 20), Buffer.from('<html><script>alert(1)</script></html>')]), 422, 'photo_unreadable'],
      ['a truncated JPEG', good.subarray(0, Math.floor(good.length * 0.6)), 422, 'photo_unreadable'],
      ['a 20,000 x 20,000 PNG bomb', pngBomb(), 413, 'photo_too_many_pixels'],
      ['a 13 MB photo', Buffer.concat([good, Buffer.alloc(13 * 1024 * 1024)]), 413, 'photo_too_large'],
      ['an SVG with a script', Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 415, 'photo_svg'],
      ['a HEIC photo', Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic'), Buffer.alloc(64)]), 415, 'photo_heic'],
      ['an empty file', Buffer.alloc(0), 422, 'photo_empty'],
    ];
    const photosBefore = await photoCount();
    const repliesBefore = await replyCount();
    for (const [label, bytes, status, code] of cases) {
      const reply = await apiWithPhotos(alice.client, `/threads/${threadId}/posts`, { body: `Bad: ${label}` }, [{ bytes: good }, { bytes, name: 'photo.jpg' }]);
      assert.equal(reply.status, status, `${label}: ${reply.text}`);
      assert.equal(reply.json.error.code, code, label);
      assert.ok(reply.json.error.message.length > 10 && !reply.json.error.message.startsWith('media.'), `${label}: a message to show`);
    }
    const five = await apiWithPhotos(alice.client, `/threads/${threadId}/posts`, { body: 'Five' }, Array.from({ length: 5 }, () => ({ bytes: good })));
    assert.equal(five.status, 413, five.text);
    assert.equal(five.json.error.code, 'photo_too_many');
    const noHeader = await postMultipart(alice.client, `/api/v1/threads/${threadId}/posts`, { body: JSON.stringify({ body: 'x' }) }, [{ bytes: good }]);
    assert.equal(noHeader.status, 403, 'a cookie-signed API upload without X-Requested-With could come from another site’s form');
    const visitor = await apiWithPhotos(new Client(inst.url), `/threads/${threadId}/posts`, { body: 'x' }, [{ bytes: good }]);
    assert.equal(visitor.status, 401);

    const page = await alice.client.get(`/t/${threadId}`);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const form = await postMultipart(alice.client, `/t/${threadId}/posts`, { _csrf: token, body: 'PDF through the form' }, [{ bytes: cases[0]![1] }]);
    assert.equal(form.status, 415);
    assert.match(form.text, /This is a PDF, not a photo/);
    assert.match(form.text, /PDF through the form/, 'the form comes back with what was written');

    assert.equal(await photoCount(), photosBefore, 'no photo kept');
    assert.equal(await replyCount(), repliesBefore, 'no reply kept');
  });

  it('serves a members-only board’s photos to members only, and never lets them be cached', async () => {
    const board = await boss.client.api('POST', '/boards', { slug: 'inner', name: 'Inner circle', visibility: 'members' });
    assert.equal(board.status, 201, board.text);
    const posted = await apiWithPhotos(alice.client, '/boards/inner/threads', { title: 'Members only', body: 'Inside.' }, [{ bytes: await phoneJpeg(phoneMetadata(), 200, 100, 9) }]);
    assert.equal(posted.status, 201, posted.text);
    const photo = posted.json.photos[0] as { url: string; thumbUrl: string };
    const visitor = new Client(inst.url);
    assert.equal((await visitor.get(photo.url)).status, 404);
    assert.equal((await visitor.get(photo.thumbUrl)).status, 404);
    assert.equal((await visitor.api('GET', `/media/post/${posted.json.post.id}`)).status, 404);
    const res = await alice.client.get(photo.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'private, no-store');
    const listed = await alice.client.api('GET', `/media/post/${posted.json.post.id}`);
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.json.photos.length, 1);
    assert.equal((await alice.client.get('/media/AAAAAAAAAAAAAAAA')).status, 404);
    assert.equal((await alice.client.get('/media/not-an-id')).status, 404);
  });

  it('deletes the files with the post, gone from the database’s bytes too', async () => {
    const reply = await apiWithPhotos(alice.client, `/threads/${threadId}/posts`, { body: 'To be deleted.' }, [{ bytes: await phoneJpeg(phoneMetadata(), 500, 400, 21) }]);
    assert.equal(reply.status, 201, reply.text);
    const photo = reply.json.photos[0] as { id: string; url: string };
    const large = await served(alice.client, photo.url);
    const slice = large.subarray(large.length - 200, large.length - 136);
    assert.equal((await alice.client.api('DELETE', `/posts/${reply.json.post.id}`)).status, 204);
    await eventually(async () => {
      assert.equal((await alice.client.get(photo.url)).status, 404);
      assert.equal(await blobs().get(photo.id, 'large'), null);
      assert.equal(await blobs().get(photo.id, 'thumb'), null);
    });
    if (inst.parasol.ctx.store.kind !== 'sqlite') return;
    // The checkpoint after a removing write runs within seconds; a copy taken then holds nothing of the file.
    await eventually(async () => {
      for (const [name, bytes] of seize(inst.dataDir).files) assert.ok(!bytes.includes(slice), `${name} still holds bytes of the deleted photo`);
    }, 60_000, 500);
  });

  it('shows the storage photos take on the admin console’s storage page', async () => {
    const page = await boss.client.get('/admin/storage');
    assert.match(page.text, /id="photo-storage">Photos: [1-9]\d* stored, [\d.]+ MB/);
  });
});

describe('photo quotas', function () {
  this.timeout(60_000);
  let inst: TestInstance;
  after(() => inst.close());

  it('refuses photos past the member’s daily quota with a 429, keeping nothing', async () => {
    inst = await startInstance({ env: { PHOTOS_PER_MEMBER_PER_DAY: '2' } });
    const alice = await member(inst, 'alice');
    const photo = { bytes: await (await noisyPixels(100, 80)).jpeg().toBuffer() };
    const first = await apiWithPhotos(alice.client, '/boards/general/threads', { title: 'One', body: 'Two photos.' }, [photo, photo]);
    assert.equal(first.status, 201, first.text);
    const over = await apiWithPhotos(alice.client, '/boards/general/threads', { title: 'Two', body: 'One more.' }, [photo]);
    assert.equal(over.status, 429, over.text);
    assert.equal(over.json.error.code, 'photo_quota');
    assert.ok(Number(over.headers.get('retry-after')) > 0, 'a Retry-After');
    assert.equal((await inst.parasol.ctx.media.usage()).photos, 2);
    const bob = await member(inst, 'bob');
    assert.equal((await apiWithPhotos(bob.client, '/boards/general/threads', { title: 'Bob', body: 'Mine.' }, [photo])).status, 201, 'another member has a budget of their own');
  });
});
