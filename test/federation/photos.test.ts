import assert from 'node:assert/strict';
import { eventually, startPeers, type Peer } from './instances.js';
import { followActivity, Receiver, send, signedPost, type Received } from './receiver.js';
import { apiWithPhotos } from '../media/helpers.js';
import { noisyPixels } from '../media/fixtures.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary ActivityPub documents */

/**
 * A photo in a public board's post goes to the board's followers as an attachment, a Document as Mastodon and
 * Lemmy read it (mediaType, url, name as alt text, width, height, blurhash), served from the instance's own
 * origin; a sensitive photo marks the object sensitive.
 */
describe('photos of a public board’s posts, federated (separate processes, real HTTP)', function () {
  this.timeout(120_000);
  let a: Peer;
  const receiver = new Receiver();
  const group = () => `${a.url}/ap/b/general`;

  before(async () => {
    await receiver.start();
    [a] = (await startPeers(['pa'])) as [Peer];
    const watcher = receiver.actor('watcher');
    const followed = await send(signedPost(`${group()}/inbox`, watcher, followActivity(watcher, group())));
    assert.equal(followed.status, 200, followed.text);
    await eventually(async () => {
      const list = await a.admin.client.api('GET', '/federation/boards/general/followers');
      assert.equal(list.json.followers.length, 1);
    });
  });
  after(async () => {
    await a?.dispose();
    await receiver.stop();
  });

  it('sends the photo as a Document attachment, with its alt text and size, at an address of the instance', async () => {
    const photo = { bytes: await (await noisyPixels(300, 200, 3)).jpeg().toBuffer() };
    const started = await a.member.client.api('POST', '/boards/general/threads', { title: 'Seen today', body: 'Look out for this car.' });
    assert.equal(started.status, 201, started.text);
    const reply = await apiWithPhotos(a.member.client, `/threads/${started.json.thread.id}/posts`, { body: 'The car' }, [photo], { alt: 'A grey van', sensitive: '0' });
    assert.equal(reply.status, 201, reply.text);
    const sent = reply.json.photos[0] as { url: string; width: number; height: number; blurhash: string };
    const withAttachment = (r: Received) => {
      const act = r.json as any;
      const object = act?.type === 'Announce' ? act.object?.object : null;
      return Array.isArray(object?.attachment) && object.attachment.length > 0 ? object : null;
    };
    const object = await eventually(async () => {
      const found = receiver.posts((r) => withAttachment(r) !== null).map(withAttachment);
      assert.ok(found.length > 0, 'an activity with the attachment reached the follower');
      return found[found.length - 1];
    });
    const [document] = object.attachment as any[];
    assert.equal(document.type, 'Document');
    assert.equal(document.mediaType, 'image/jpeg');
    assert.equal(document.url, `${a.url}${sent.url}`);
    assert.equal(document.name, 'A grey van');
    assert.deepEqual([document.width, document.height, document.blurhash], [sent.width, sent.height, sent.blurhash]);
    assert.equal(object.sensitive, true, 'a sensitive photo marks the object sensitive, as Mastodon reads it');
    const res = await fetch(document.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
  });
});
