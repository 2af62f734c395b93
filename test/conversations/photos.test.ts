/**
 * Photos in private conversations: sent through the API and the no-JavaScript form with what a phone writes into
 * them, served only to the conversation's current participants, refused whole when one is bad, and deleted with
 * their message (by its author, by the retention, when everyone has left, with the author's account), down to the
 * bytes of the database, its -wal and -shm. A report carries a copy of the reported message's photos for the
 * moderators, which goes when the report is resolved.
 */
import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, PASS } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { eventually } from '../federation/instances.js';
import { seize } from '../privacy/seizure.js';
import { mediaBlobs } from '../../server/media/media.collections.js';
import { conversationMessagesCollection } from '../../server/conversations/conversations.collections.js';
import { apiWithPhotos, assertAbsent, assertNoMetadata, postMultipart } from '../media/helpers.js';
import { metadataNeedles, noisyPixels, phoneJpeg, phoneMetadata } from '../media/fixtures.js';
import { acceptOnly, messages, openToEveryone, start } from './helpers.js';

const DAY = 86_400_000;

interface PhotoJson {
  id: string;
  url: string;
  thumbUrl: string;
  alt: string;
  sensitive: boolean;
}

describe('photos in private conversations', function () {
  this.timeout(120_000);
  let inst: TestInstance;
  let mod: Person;
  let photo: { bytes: Buffer };

  before(async () => {
    inst = await startInstance();
    mod = await moderator(inst, await admin(inst));
    photo = { bytes: await (await noisyPixels(160, 120, 3)).jpeg().toBuffer() };
  });
  after(() => inst.close());

  const blobs = () => inst.parasol.ctx.store.blobs(mediaBlobs);
  const photoCount = async () => (await inst.parasol.ctx.media.usage()).photos;
  const status = async (who: Person | Client, url: string) => (who instanceof Client ? who : who.client).get(url).then((r) => r.status);

  async function served(who: Person, url: string): Promise<Buffer> {
    const cookie = [...who.client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(inst.url + url, { headers: { cookie } });
    assert.equal(res.status, 200, url);
    assert.equal(res.headers.get('cache-control'), 'private, no-store');
    return Buffer.from(await res.arrayBuffer());
  }

  /** Two members in a conversation of their own (the second takes requests from everyone). */
  async function pair(extra: Record<string, unknown> = {}): Promise<{ ana: Person; bea: Person; id: string }> {
    const ana = await member(inst, 'ana');
    const bea = await member(inst, 'bea');
    await openToEveryone(bea);
    const id = await start(ana, [bea], 'hello', extra);
    await acceptOnly(bea);
    return { ana, bea, id };
  }

  async function sendPhoto(who: Person, id: string, body: string, files = [photo], fields: Record<string, string | string[]> = {}): Promise<{ messageId: string; photos: PhotoJson[] }> {
    const sent = await apiWithPhotos(who.client, `/conversations/${id}/messages`, { body }, files, fields);
    assert.equal(sent.status, 201, sent.text);
    assert.equal(sent.json.message.body, body);
    assert.deepEqual(sent.json.message.photos, sent.json.photos);
    return { messageId: sent.json.message.id, photos: sent.json.photos };
  }

  /** Once the checkpoint after a removing write has run, a copy of the data directory holds nothing of the file. */
  async function assertGoneFromBytes(slice: Buffer): Promise<void> {
    if (inst.parasol.ctx.store.kind !== 'sqlite') return;
    await eventually(async () => {
      for (const [name, bytes] of seize(inst.dataDir).files) assert.ok(!bytes.includes(slice), `${name} still holds bytes of the deleted photo`);
    }, 60_000, 500);
  }

  it('takes photos through the API, strips what the phone wrote, and shows them to the participants only', async () => {
    const { ana, bea, id } = await pair();
    const cat = await member(inst, 'cat');
    const meta = phoneMetadata();
    const { messageId, photos } = await sendPhoto(ana, id, 'His car, and the plate', [{ bytes: await phoneJpeg(meta) }, photo], { alt: ['A grey car', ''], sensitive: '1' });
    assert.equal(photos.length, 2);
    const [car, second] = photos as [PhotoJson, PhotoJson];
    assert.equal(car.alt, 'A grey car');
    assert.equal(second.alt, 'Photo', 'the default alt text in the member’s language');
    assert.deepEqual([car.sensitive, second.sensitive], [false, true]);
    for (const [variant, url] of [['large', car.url], ['thumb', car.thumbUrl]] as const) {
      const bytes = await served(bea, url);
      await assertNoMetadata(bytes, `served ${variant}`);
      assertAbsent(bytes, metadataNeedles(meta), `served ${variant}`);
      assert.ok((await blobs().get(car.id, variant))?.equals(bytes), `the ${variant} served is the one stored`);
    }
    const history = await bea.client.api('GET', `/conversations/${id}/messages`);
    assert.deepEqual(history.json.messages.find((m: { id: string }) => m.id === messageId).photos.map((p: PhotoJson) => p.id), [car.id, second.id]);
    assert.equal((await bea.client.api('GET', `/media/conversation_message/${messageId}`)).json.photos.length, 2);

    assert.equal(await status(cat, car.url), 404, 'a member outside the conversation');
    assert.equal(await status(cat, car.thumbUrl), 404);
    assert.equal((await cat.client.api('GET', `/media/conversation_message/${messageId}`)).status, 404);
    assert.equal(await status(mod, car.url), 404, 'a moderator outside the conversation');
    assert.equal(await status(new Client(inst.url), car.url), 404, 'a visitor');

    assert.equal((await bea.client.api('POST', `/conversations/${id}/leave`)).status, 204);
    assert.equal(await status(bea, car.url), 404, 'a participant who left');
    assert.equal(await status(ana, car.url), 200, 'the one still there');
  });

  it('takes photos from the page’s form without JavaScript, and shows their thumbnails', async () => {
    const { ana, bea, id } = await pair();
    const page = await ana.client.get(`/conversations/${id}`);
    assert.match(page.text, /<form method="post" action="\/conversations\/[^"]+\/messages" class="stack" id="send-form" enctype="multipart\/form-data" data-photos /);
    assert.match(page.text, /<input type="file" id="photos-input" name="photos" accept="image\/jpeg,image\/png,image\/webp,image\/gif" multiple data-photo-input/);
    assert.match(page.text, /<script src="\/assets\/photo-cover\.js/);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const meta = phoneMetadata();
    const posted = await postMultipart(ana.client, `/conversations/${id}/messages`, { _csrf: token, body: 'From the form', alt: ['Plate of the car', '', '', ''] }, [{ bytes: await phoneJpeg(meta, 320, 240, 5) }]);
    assert.equal(posted.status, 303, posted.text);
    const shown = await bea.client.get(`/conversations/${id}`);
    const img = /<img src="(\/media\/[A-Za-z0-9_-]{16})\/thumb" width="\d+" height="\d+" alt="Plate of the car" loading="lazy" decoding="async">/.exec(shown.text);
    assert.ok(img, 'the thumbnail on the other member’s page');
    const bytes = await served(bea, img[1]!);
    await assertNoMetadata(bytes, 'form upload');
    assertAbsent(bytes, metadataNeedles(meta), 'form upload');
  });

  it('refuses a bad photo, five photos, or photos from outside the conversation, keeping nothing', async () => {
    const { ana, bea, id } = await pair();
    const cat = await member(inst, 'cat');
    const messagesBefore = (await messages(bea, id)).length;
    const photosBefore = await photoCount();
    const pdf = { bytes: Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF'), name: 'photo.jpg' };
    const renamed = await apiWithPhotos(ana.client, `/conversations/${id}/messages`, { body: 'A PDF' }, [photo, pdf]);
    assert.equal(renamed.status, 415, renamed.text);
    assert.equal(renamed.json.error.code, 'photo_pdf');
    const five = await apiWithPhotos(ana.client, `/conversations/${id}/messages`, { body: 'Five' }, Array.from({ length: 5 }, () => photo));
    assert.equal(five.status, 413, five.text);
    assert.equal(five.json.error.code, 'photo_too_many');
    const outsider = await apiWithPhotos(cat.client, `/conversations/${id}/messages`, { body: 'Let me in' }, [photo]);
    assert.equal(outsider.status, 404, outsider.text);
    const tooLong = await apiWithPhotos(ana.client, `/conversations/${id}/messages`, { body: 'x'.repeat(4001) }, [photo]);
    assert.equal(tooLong.status, 422, tooLong.text);

    const page = await ana.client.get(`/conversations/${id}`);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const form = await postMultipart(ana.client, `/conversations/${id}/messages`, { _csrf: token, body: 'PDF through the form' }, [pdf]);
    assert.equal(form.status, 415);
    assert.match(form.text, /This is a PDF, not a photo/);
    assert.match(form.text, /PDF through the form/, 'the form comes back with what was written');

    assert.equal(await photoCount(), photosBefore, 'no photo kept');
    assert.equal((await messages(bea, id)).length, messagesBefore, 'no message kept');
  });

  it('deletes the files with a message deleted for everyone, gone from the database’s bytes too', async () => {
    const { ana, bea, id } = await pair();
    const { messageId, photos } = await sendPhoto(ana, id, 'Sent by mistake', [{ bytes: await phoneJpeg(phoneMetadata(), 500, 400, 21) }]);
    const [sent] = photos as [PhotoJson];
    const large = await served(bea, sent.url);
    assert.equal((await ana.client.api('DELETE', `/conversations/${id}/messages/${messageId}`)).status, 204);
    assert.equal(await status(bea, sent.url), 404);
    assert.equal(await blobs().get(sent.id, 'large'), null);
    assert.equal(await blobs().get(sent.id, 'thumb'), null);
    await assertGoneFromBytes(large.subarray(large.length - 200, large.length - 136));
  });

  it('deletes the files when the retention passes, gone from the database’s bytes too', async () => {
    const { ana, bea, id } = await pair({ retentionDays: 1 });
    const { photos } = await sendPhoto(bea, id, 'For one day', [{ bytes: await phoneJpeg(phoneMetadata(), 480, 360, 33) }]);
    const [sent] = photos as [PhotoJson];
    const large = await served(ana, sent.url);
    await inst.parasol.ctx.store.sweepExpired(Date.now() + 2 * DAY);
    assert.equal(await inst.parasol.ctx.store.collection(conversationMessagesCollection).count({ conversationId: id }), 0);
    assert.ok((await inst.parasol.ctx.media.sweepOrphans()) >= 1, 'the photo sweep finds the expired message’s photo');
    assert.equal(await status(ana, sent.url), 404);
    assert.equal(await blobs().get(sent.id, 'large'), null);
    await assertGoneFromBytes(large.subarray(large.length - 200, large.length - 136));
  });

  it('deletes the files at once when everyone has left, and with the author’s account', async () => {
    const first = await pair();
    const left = (await sendPhoto(first.ana, first.id, 'Until we both leave')).photos[0]!;
    assert.equal((await first.ana.client.api('POST', `/conversations/${first.id}/leave`)).status, 204);
    assert.ok(await blobs().get(left.id, 'large'), 'kept while someone is still there');
    assert.equal((await first.bea.client.api('POST', `/conversations/${first.id}/leave`)).status, 204);
    assert.equal(await blobs().get(left.id, 'large'), null);

    const second = await pair();
    const theirs = (await sendPhoto(second.ana, second.id, 'Mine goes with my account')).photos[0]!;
    const kept = (await sendPhoto(second.bea, second.id, 'Mine stays')).photos[0]!;
    assert.equal((await second.ana.client.api('DELETE', '/me', { passphrase: PASS, content: 'delete' })).status, 204);
    assert.equal(await blobs().get(theirs.id, 'large'), null);
    assert.equal(await status(second.bea, kept.url), 200, 'the other member’s photo stays with their message');
  });

  it('a report gives the moderators a copy of the reported message’s photos, deleted when resolved', async () => {
    const { ana, bea, id } = await pair();
    const { messageId, photos } = await sendPhoto(ana, id, 'A threat with a photo');
    await sendPhoto(ana, id, 'Another photo, not reported');
    const filed = await bea.client.api('POST', `/conversations/${id}/reports`, { messageIds: [messageId], reason: 'threat' });
    assert.equal(filed.status, 201, filed.text);
    const queue = await mod.client.api('GET', '/mod/conversation-reports');
    const report = queue.json.reports.find((r: { id: string }) => r.id === filed.json.report.id);
    assert.equal(report.photos.length, 1, 'the reported message’s photo only');
    const copy = report.photos[0] as PhotoJson;
    assert.notEqual(copy.id, photos[0]!.id);
    assert.equal(await status(mod, copy.url), 200);
    assert.equal(await status(bea, copy.url), 404, 'the copy is for the moderators');
    assert.equal(await status(ana, copy.url), 404);
    const page = await mod.client.get('/mod/conversation-reports');
    assert.ok(page.text.includes(`<img src="${copy.thumbUrl}"`), 'shown on the moderators’ page');

    assert.equal((await ana.client.api('DELETE', `/conversations/${id}/messages/${messageId}`)).status, 204);
    assert.equal(await status(mod, copy.url), 200, 'the copy stays with the report, as its text does');
    assert.equal((await mod.client.api('POST', `/mod/conversation-reports/${report.id}/resolve`)).status, 204);
    assert.equal(await status(mod, copy.url), 404);
    assert.equal(await blobs().get(copy.id, 'large'), null);
  });
});
