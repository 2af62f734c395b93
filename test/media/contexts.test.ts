/**
 * Who sees the photos of each kind of context: a room's members only (another room's photo is 404 like an unknown
 * one), a check-in's owner and the buddies named, an incident's reporter and responders; and the photos go with
 * their message, and stay with their incident.
 */
import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { invite, newRoom } from '../rooms/helpers.js';
import { mediaBlobs } from '../../server/media/media.collections.js';
import { apiWithPhotos } from './helpers.js';
import { noisyPixels } from './fixtures.js';

describe('photos of rooms, check-ins and incidents', function () {
  this.timeout(120_000);
  let inst: TestInstance;
  let boss: Person;
  let fac: Person;
  let alice: Person;
  let bob: Person;
  let photo: { bytes: Buffer };

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    fac = await moderator(inst, boss);
    alice = await member(inst, 'alice');
    bob = await member(inst, 'bob');
    photo = { bytes: await (await noisyPixels(120, 90, 5)).jpeg().toBuffer() };
  });
  after(() => inst.close());

  const status = async (who: Person | Client, url: string) => ((who instanceof Client ? who : who.client).get(url)).then((r) => r.status);

  it('shows a room message’s photo to the room’s members only, and deletes it with the message', async () => {
    const room = await newRoom(fac);
    await invite(fac, room.id, alice);
    const other = await newRoom(fac, { name: 'Another room' });
    await invite(fac, other.id, bob);
    const sent = await apiWithPhotos(alice.client, `/rooms/${room.id}/messages`, { body: 'The car outside' }, [photo], { alt: 'A car' });
    assert.equal(sent.status, 201, sent.text);
    const { id, url, thumbUrl } = sent.json.photos[0] as { id: string; url: string; thumbUrl: string };
    assert.equal(await status(alice, url), 200);
    assert.equal(await status(fac, thumbUrl), 200);
    assert.equal(await status(bob, url), 404, 'a member of another room');
    assert.equal(await status(boss, url), 404, 'an admin outside the room');
    assert.equal(await status(new Client(inst.url), url), 404, 'a visitor');
    assert.equal((await alice.client.get(url)).headers.get('cache-control'), 'private, no-store');
    const page = await alice.client.get(`/rooms/${room.id}`);
    assert.match(page.text, new RegExp(`<img src="${thumbUrl}" width="\\d+" height="\\d+" alt="A car" loading="lazy"`));
    assert.match(page.text, /id="send-form" enctype="multipart\/form-data" data-photos/);

    assert.equal((await alice.client.api('DELETE', `/rooms/${room.id}/messages/${sent.json.message.id}`)).status, 204);
    assert.equal(await status(alice, url), 404);
    assert.equal(await inst.parasol.ctx.store.blobs(mediaBlobs).get(id, 'large'), null);
  });

  it('shows a check-in’s photos to its owner and the buddies named only', async () => {
    const carol = await member(inst, 'carol');
    const dave = await member(inst, 'dave');
    for (const buddy of [carol, dave]) {
      assert.equal((await alice.client.api('POST', '/buddies', { handle: buddy.handle })).status, 201);
      assert.equal((await buddy.client.api('POST', '/buddies', { handle: alice.handle })).status, 201);
    }
    const started = await apiWithPhotos(alice.client, '/checkins', { minutes: 60, buddies: [carol.handle], notes: 'Blue car' }, [photo], { alt: 'Number plate', sensitive: '0' });
    assert.equal(started.status, 201, started.text);
    const shown = started.json.photos[0] as { url: string; sensitive: boolean; preview: string };
    assert.equal(shown.sensitive, true);
    assert.match(shown.preview, /^data:image\/webp;base64,/);
    assert.equal(await status(alice, shown.url), 200);
    assert.equal(await status(carol, shown.url), 200);
    assert.equal(await status(dave, shown.url), 404, 'a buddy not named for this check-in');
    assert.equal(await status(bob, shown.url), 404);
    const page = await carol.client.get(`/safety/checkins/${started.json.checkin.id}`);
    assert.match(page.text, /<a class="photo" href="\/media\/[^"]+" data-label="Sensitive photo: tap to show"><img src="data:image\/webp;base64,[^"]+" data-thumb="\/media\/[^"]+\/thumb" width="\d+" height="\d+" alt="Number plate" data-sensitive>/);
  });

  it('keeps an incident’s photos for its reporter and the responders, and none on internal notes', async () => {
    const responder = await member(inst, 'responder');
    assert.equal((await boss.client.api('PUT', `/admin/accounts/${responder.handle}/responder`, { responder: true })).status, 200);
    const reported = await apiWithPhotos(alice.client, '/incidents', { kind: 'violence', description: 'He hit me; photo of the bruise.' }, [photo], { alt: 'Bruise' });
    assert.equal(reported.status, 201, reported.text);
    const incidentId = reported.json.incident.id as string;
    const first = reported.json.photos[0] as { url: string };
    assert.equal(await status(alice, first.url), 200);
    assert.equal(await status(responder, first.url), 200);
    assert.equal(await status(bob, first.url), 404);
    const more = await apiWithPhotos(alice.client, `/incidents/${incidentId}/messages`, { body: 'Another one' }, [photo, photo]);
    assert.equal(more.status, 201, more.text);
    const listed = await alice.client.api('GET', `/media/incident/${incidentId}`);
    assert.equal(listed.json.photos.length, 3, 'the thread’s photos gather on the incident');
    const internal = await apiWithPhotos(responder.client, `/incidents/${incidentId}/messages`, { body: 'Note', internal: true }, [photo]);
    assert.equal(internal.status, 422, internal.text);
    assert.equal(internal.json.error.code, 'photo_internal_note');
    const page = await alice.client.get(`/safety/incidents/${incidentId}`);
    assert.equal((page.text.match(/<img src="\/media\/[^"]+\/thumb"/g) ?? []).length, 3);
    assert.match(page.text, new RegExp(`<a href="/safety/incidents/${incidentId}/evidence.zip" download>`));
    const zip = await fetch(`${inst.url}/safety/incidents/${incidentId}/evidence.zip`, { headers: { cookie: [...alice.client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    assert.equal(zip.status, 200);
    assert.equal(zip.headers.get('content-type'), 'application/zip');
    assert.equal(zip.headers.get('cache-control'), 'private, no-store');
    const bytes = Buffer.from(await zip.arrayBuffer());
    assert.equal(bytes.readUInt32LE(0), 0x04034b50, 'a zip');
    for (const name of ['manifest.json', 'manifest.sig', 'photo-01.jpg', 'photo-03.jpg']) assert.ok(bytes.includes(Buffer.from(name)), `${name} in the zip`);
    assert.equal((await bob.client.get(`/safety/incidents/${incidentId}/evidence.zip`)).status, 404, 'nobody else may export it');
    assert.equal((await responder.client.get(`/safety/incidents/${incidentId}/evidence.zip`)).status, 200, 'a responder may');
    assert.equal(await inst.parasol.ctx.media.sweepOrphans(), 0, 'the incident’s photos stay while it does');
    assert.equal(await status(alice, first.url), 200);
  });
});
