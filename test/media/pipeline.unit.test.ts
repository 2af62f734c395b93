import assert from 'node:assert/strict';
import sharp from 'sharp';
import { AppError } from '../../server/core/errors.js';
import { ImageQueue } from '../../server/media/image-queue.js';
import { boundaryOf, parseMultipart } from '../../server/media/multipart.js';
import { processPhoto, sniffFormat, THUMB_MAX_BYTES } from '../../server/media/pipeline.js';
import { noisyPixels } from './fixtures.js';

const refusal = (code: string) => (error: unknown) => error instanceof AppError && error.code === code;

describe('the image pipeline', function () {
  this.timeout(60_000);

  it('keeps a large photo to 2,048 px and its thumbnail under 15 KB', async () => {
    const photo = await (await noisyPixels(2400, 1800)).jpeg({ quality: 85 }).toBuffer();
    const out = await processPhoto(photo);
    assert.deepEqual([out.width, out.height, out.mediaType], [2048, 1536, 'image/jpeg']);
    assert.ok(out.thumb.length <= THUMB_MAX_BYTES, `thumbnail of ${out.thumb.length} bytes`);
    assert.ok(Math.max(out.thumbWidth, out.thumbHeight) <= 320, 'a thumbnail of 320 px at most');
    assert.equal((await sharp(out.large).metadata()).width, 2048);
    assert.match(out.preview, /^data:image\/webp;base64,[A-Za-z0-9+/=]+$/);
    assert.ok(out.preview.length < 1200, 'the blurred stand-in is a few hundred bytes');
  });

  it('keeps transparency as WebP and takes the first frame of a GIF', async () => {
    const transparent = await sharp({ create: { width: 60, height: 40, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } } }).png().toBuffer();
    assert.equal((await processPhoto(transparent)).mediaType, 'image/webp');
    const gif = await (await noisyPixels(50, 30)).gif().toBuffer();
    const out = await processPhoto(gif);
    assert.deepEqual([out.width, out.height, out.mediaType], [50, 30, 'image/jpeg']);
  });

  it('tells formats by their bytes, not their names', async () => {
    assert.equal(sniffFormat(await (await noisyPixels(8, 8)).webp().toBuffer()), 'webp');
    assert.throws(() => sniffFormat(Buffer.from('\uFEFF  <svg onload="alert(1)"/>')), refusal('photo_svg'));
    assert.throws(() => sniffFormat(Buffer.from('GIF-ish but not')), refusal('photo_type'));
  });

  it('runs at most two jobs at once', async () => {
    const queue = new ImageQueue(2, 10);
    let running = 0;
    let most = 0;
    const gates: (() => void)[] = [];
    const jobs = Array.from({ length: 5 }, () =>
      queue.run(() => {
        running++;
        most = Math.max(most, running);
        return new Promise<void>((resolve) => gates.push(() => {
          running--;
          resolve();
        }));
      }),
    );
    for (let finished = 0; finished < 5; finished++) {
      while (gates.length === 0) await new Promise((resolve) => setImmediate(resolve));
      assert.ok(queue.load.running <= 2, 'two jobs at most');
      gates.shift()!();
    }
    await Promise.all(jobs);
    assert.equal(most, 2);
    const full = new ImageQueue(1, 0);
    const blocker = full.run(() => new Promise((resolve) => setTimeout(resolve, 10)));
    await assert.rejects(full.run(async () => 1), refusal('photo_queue_full'));
    await blocker;
  });

  it('parses multipart bodies in memory, refusing malformed ones', () => {
    const boundary = boundaryOf('multipart/form-data; boundary=----x1');
    assert.equal(boundary, '----x1');
    const body = Buffer.from(
      '------x1\r\nContent-Disposition: form-data; name="alt"\r\n\r\nA\r\n------x1\r\nContent-Disposition: form-data; name="alt"\r\n\r\nB\r\n' +
        '------x1\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\r\n------x1--\r\n',
      'latin1',
    );
    const parsed = parseMultipart(body, '----x1', { files: 4, fields: 10, fieldBytes: 100 });
    assert.deepEqual(parsed.fields.alt, ['A', 'B']);
    assert.deepEqual([...parsed.files[0]!.bytes], [0xff, 0xd8, 0xff]);
    assert.throws(() => parseMultipart(Buffer.from('garbage'), '----x1', { files: 4, fields: 10, fieldBytes: 100 }), refusal('bad_multipart'));
  });
});
