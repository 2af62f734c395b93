import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import express from 'express';
import type { Page } from 'playwright-core';
import { securityHeaders } from '../../server/http/security-headers.js';
import { mountStaticAssets } from '../../server/http/static-assets.js';
import { loadI18n } from '../../server/i18n/i18n.js';
import { html } from '../../server/views/html.js';
import type { PageContext } from '../../server/views/layout.js';
import { photoFields, photoFormAttributes, photoThumbnails } from '../../server/views/photos.js';
import { repoRoot } from '../helpers/process.js';
import { useBrowser } from './browser.js';

/**
 * client/photo-cover.js in Chromium, on a page of its own: the form as server/views/photos.ts renders it, served
 * with the instance's security headers (its CSP included) and static assets, posting to an endpoint that keeps what
 * arrives. What the server received is decoded in the page (a canvas) and measured.
 */

interface Received {
  readonly photos: { readonly name: string; readonly type: string; readonly bytes: Buffer }[];
  readonly alt: string[];
  readonly sensitive: string[];
  readonly fields: Record<string, string>;
}

interface RegionStats {
  /** Mean brightness, 0 to 255. */
  readonly mean: number;
  /** The brightest channel value anywhere in the region. */
  readonly max: number;
  /** Mean brightness step between neighbouring pixels: detail; a smooth or flat region has next to none. */
  readonly detail: number;
}

const i18n = loadI18n(path.join(repoRoot, 'locales'), 'en');
const en = (key: string, params?: Record<string, string | number>) => i18n.t('en', key, params);
const ctx: PageContext = {
  t: en,
  locale: 'en',
  dir: 'ltr',
  csrfToken: '',
  path: '/',
  instanceName: 'Parasol',
  discreet: false,
  genericTitles: false,
  favicon: 'umbrella.svg',
  quickExitUrl: 'https://example.org/',
  account: null,
  languages: [],
  unseenNotifications: 0,
  unreadMessages: 0,
  country: 'US',
};

function page(body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>photos</title><link rel="stylesheet" href="/assets/parasol.css"><script src="/assets/photo-cover.js" defer></script></head><body><main>${body}</main></body></html>`;
}

const formPage = page(
  html`<form method="post" action="/upload" ${photoFormAttributes(ctx)}>
<p class="field"><label for="body">Text</label><textarea id="body" name="body">at the station</textarea></p>
${photoFields(ctx)}
<button type="submit" name="action" value="post">Send</button>
</form>`.toString(),
);

/** The same fields as another view may write them: slots with their own default alt text and limit, no data-alt-default. */
const slotsPage = page(
  html`<form method="post" action="/upload" enctype="multipart/form-data" data-photos data-photo-texts="${JSON.stringify({ alt_label: en('photos_ui.alt_label') })}">
<details open><summary>${en('photos_ui.choose', { max: 4 })}</summary>
<p class="field"><label for="f-photos">${en('photos_ui.choose', { max: 4 })}</label><input id="f-photos" name="photos" type="file" multiple data-photo-input></p>
<div data-photo-slots>${[0, 1, 2, 3].map((i) => html`<fieldset><input name="alt" maxlength="1000" value="Photo shared by a member"><input type="checkbox" name="sensitive" value="${i}"></fieldset>`)}</div>
</details>
<button type="submit">Send</button>
</form>`.toString(),
);

/** A form whose server forgot the script's texts. */
const untextedPage = page(
  html`<form method="post" action="/upload" enctype="multipart/form-data" data-photos>${photoFields(ctx)}<button type="submit">Send</button></form>`.toString(),
);

const thumbsPage = page(
  photoThumbnails(ctx, [
    { id: 'hidden1', alt: 'A bruised arm', sensitive: true, thumbWidth: 320, thumbHeight: 213 },
    { id: 'plain1', alt: 'A street corner', sensitive: false, thumbWidth: 320, thumbHeight: 213 },
  ]).toString(),
);

/** Width and height from a JPEG's start-of-frame marker. */
function jpegSize(bytes: Buffer): { width: number; height: number } {
  let at = 2;
  while (at < bytes.length) {
    assert.equal(bytes[at], 0xff, 'a JPEG marker');
    const marker = bytes[at + 1]!;
    const length = bytes.readUInt16BE(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    }
    at += 2 + length;
  }
  throw new Error('no start-of-frame marker');
}

/**
 * An EXIF block as a phone writes one (big-endian TIFF): the camera make, the orientation and a GPS position, put
 * right after the JPEG's start marker.
 */
function withExif(jpeg: Buffer, orientation: number): Buffer {
  const tiff = Buffer.alloc(116);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  const entry = (at: number, tag: number, type: number, count: number, value: (b: Buffer, at: number) => void) => {
    tiff.writeUInt16BE(tag, at);
    tiff.writeUInt16BE(type, at + 2);
    tiff.writeUInt32BE(count, at + 4);
    value(tiff, at + 8);
  };
  tiff.writeUInt16BE(3, 8);
  entry(10, 0x010f, 2, 11, (b, at) => b.writeUInt32BE(50, at));
  entry(22, 0x0112, 3, 1, (b, at) => b.writeUInt16BE(orientation, at));
  entry(34, 0x8825, 4, 1, (b, at) => b.writeUInt32BE(62, at));
  tiff.writeUInt32BE(0, 46);
  tiff.write('ParasolCam\0', 50, 'latin1');
  tiff.writeUInt16BE(2, 62);
  entry(64, 0x0001, 2, 2, (b, at) => b.write('N\0', at, 'latin1'));
  entry(76, 0x0002, 5, 3, (b, at) => b.writeUInt32BE(92, at));
  tiff.writeUInt32BE(0, 88);
  [52, 1, 31, 1, 1234, 100].forEach((v, i) => tiff.writeUInt32BE(v, 92 + i * 4));
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0, 0]), Buffer.from('Exif\0\0', 'latin1'), tiff]);
  app1.writeUInt16BE(app1.length - 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}

/** A busy picture (a fine checkerboard under colour bands) drawn and encoded by the browser: a camera JPEG stand-in. */
async function makeJpeg(p: Page, width: number, height: number): Promise<Buffer> {
  const dataUrl = await p.evaluate(
    ({ w, h }) => {
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      const g = canvas.getContext('2d')!;
      for (let y = 0; y < h; y += 16) {
        for (let x = 0; x < w; x += 16) {
          g.fillStyle = (x + y) % 32 === 0 ? `hsl(${(x / w) * 360}, 80%, 35%)` : `hsl(${(y / h) * 360}, 70%, 85%)`;
          g.fillRect(x, y, 16, 16);
        }
      }
      return canvas.toDataURL('image/jpeg', 0.9);
    },
    { w: width, h: height },
  );
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
}

/** Decodes a received JPEG in the page and measures rectangles given as fractions of the picture. */
async function measure(p: Page, jpeg: Buffer, regions: readonly (readonly [number, number, number, number])[]): Promise<{ width: number; height: number; stats: RegionStats[] }> {
  return p.evaluate(
    async ({ b64, rects }) => {
      const raw = atob(b64);
      const bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }));
      const canvas = document.createElement('canvas');
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      const g = canvas.getContext('2d')!;
      g.drawImage(bitmap, 0, 0);
      const stats = rects.map(([x0, y0, x1, y1]) => {
        const x = Math.round(x0 * canvas.width);
        const y = Math.round(y0 * canvas.height);
        const w = Math.round(x1 * canvas.width) - x;
        const h = Math.round(y1 * canvas.height) - y;
        const data = g.getImageData(x, y, w, h).data;
        const grey = new Float64Array(w * h);
        let sum = 0;
        let max = 0;
        for (let i = 0; i < w * h; i++) {
          grey[i] = (data[i * 4]! + data[i * 4 + 1]! + data[i * 4 + 2]!) / 3;
          sum += grey[i]!;
          max = Math.max(max, data[i * 4]!, data[i * 4 + 1]!, data[i * 4 + 2]!);
        }
        let steps = 0;
        for (let row = 0; row < h - 1; row++) {
          for (let col = 0; col < w - 1; col++) {
            const at = row * w + col;
            steps += Math.abs(grey[at]! - grey[at + 1]!) + Math.abs(grey[at]! - grey[at + w]!);
          }
        }
        return { mean: sum / (w * h), max, detail: steps / ((w - 1) * (h - 1)) };
      });
      return { width: canvas.width, height: canvas.height, stats };
    },
    { b64: jpeg.toString('base64'), rects: regions.map((r) => [...r] as [number, number, number, number]) },
  );
}

/** Drags on the element from one point to another, given as fractions of its box, with the mouse. */
async function dragMouse(p: Page, selector: string, from: readonly [number, number], to: readonly [number, number]): Promise<void> {
  await p.locator(selector).scrollIntoViewIfNeeded();
  const box = (await p.locator(selector).boundingBox())!;
  await p.mouse.move(box.x + box.width * from[0], box.y + box.height * from[1]);
  await p.mouse.down();
  for (let step = 1; step <= 5; step++) {
    await p.mouse.move(box.x + box.width * (from[0] + ((to[0] - from[0]) * step) / 5), box.y + box.height * (from[1] + ((to[1] - from[1]) * step) / 5));
  }
  await p.mouse.up();
}

/** The same with a finger, through the DevTools protocol (Playwright's touchscreen only taps). */
async function dragTouch(p: Page, selector: string, from: readonly [number, number], to: readonly [number, number]): Promise<void> {
  await p.locator(selector).scrollIntoViewIfNeeded();
  const box = (await p.locator(selector).boundingBox())!;
  const point = (f: readonly [number, number]) => ({ x: box.x + box.width * f[0], y: box.y + box.height * f[1] });
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [point(from)] });
  for (let step = 1; step <= 5; step++) {
    const at: [number, number] = [from[0] + ((to[0] - from[0]) * step) / 5, from[1] + ((to[1] - from[1]) * step) / 5];
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [point(at)] });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

const jpegFile = (name: string, buffer: Buffer) => ({ name, mimeType: 'image/jpeg', buffer });

describe('photo cover tool in Chromium', function () {
  this.timeout(120_000);
  const chromium = useBrowser();
  let server: http.Server;
  let base: string;
  const received: Received[] = [];
  let landscape: Buffer;
  let rotated: Buffer;
  let small: Buffer;

  before(async () => {
    const app = express();
    app.use(securityHeaders(false));
    mountStaticAssets(app);
    app.get('/favicon.ico', (_req, res) => void res.status(204).end());
    app.get('/form', (_req, res) => void res.type('html').send(formPage));
    app.get('/thumbs', (_req, res) => void res.type('html').send(thumbsPage));
    app.get('/form-slots', (_req, res) => void res.type('html').send(slotsPage));
    app.get('/form-untexted', (_req, res) => void res.type('html').send(untextedPage));
    app.get('/media/:id/thumb', (_req, res) => void res.type('image/jpeg').send(small));
    app.get('/media/:id', (req, res) => void res.type('html').send(page(`<p id="large">${req.params.id}</p>`)));
    app.get('/done', (_req, res) => void res.type('html').send(page('<p id="done">received</p>')));
    app.post('/upload', express.raw({ type: 'multipart/form-data', limit: '64mb' }), async (req, res) => {
      const form = await new Response(new Uint8Array(req.body as Buffer), { headers: { 'content-type': req.headers['content-type']! } }).formData();
      const photos: Received['photos'][number][] = [];
      for (const value of form.getAll('photos')) {
        if (typeof value !== 'string' && value.size > 0) photos.push({ name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
      }
      const fields: Record<string, string> = {};
      form.forEach((value, key) => {
        if (typeof value === 'string' && key !== 'alt' && key !== 'sensitive') fields[key] = value;
      });
      received.push({ photos, alt: form.getAll('alt') as string[], sensitive: form.getAll('sensitive') as string[], fields });
      res.redirect(303, '/done');
    });
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const maker = await chromium.browser.newPage();
    landscape = withExif(await makeJpeg(maker, 3000, 2000), 1);
    rotated = withExif(await makeJpeg(maker, 2400, 1600), 6);
    small = await makeJpeg(maker, 320, 213);
    await maker.close();
  });
  after(async () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  const last = () => received[received.length - 1]!;

  it('covers a region with an opaque box by mouse and sends a downscaled JPEG without the original’s metadata', async () => {
    const { page: p } = await chromium.person('ana');
    await p.goto(`${base}/form`);
    assert.equal(await p.locator('[data-photo-fields]').isHidden(), true, 'the no-JavaScript fields are set aside');
    await p.locator('input[data-photo-input]').setInputFiles([jpegFile('IMG_2041.jpg', landscape)]);
    const item = p.locator('.photo-item').first();
    await item.locator('canvas').waitFor();
    assert.equal(await item.getByLabel(en('photos_ui.alt_label')).inputValue(), en('photos_ui.alt_default'));
    await item.getByRole('button', { name: en('photos_ui.cover_box') }).click();
    assert.equal(await item.getByRole('button', { name: en('photos_ui.cover_box') }).getAttribute('aria-pressed'), 'true');
    await dragMouse(p, '.photo-item canvas', [0.1, 0.1], [0.4, 0.5]);
    await item.getByLabel(en('photos_ui.alt_label')).fill('A man’s car, plate covered');
    await item.getByLabel(en('photos_ui.sensitive')).check();
    const count = received.length;
    await p.getByRole('button', { name: 'Send' }).click();
    await p.waitForURL(`${base}/done`);
    assert.equal(received.length, count + 1);

    const got = last();
    assert.equal(got.photos.length, 1);
    const [photo] = got.photos;
    assert.equal(photo!.type, 'image/jpeg');
    assert.equal(photo!.name, 'photo-1.jpg', 'the original file name does not travel either');
    assert.deepEqual(jpegSize(photo!.bytes), { width: 2048, height: 1365 }, 'scaled to at most 2,048 pixels a side');
    assert.equal(photo!.bytes.includes('Exif'), false, 'no EXIF block');
    assert.equal(photo!.bytes.includes('ParasolCam'), false, 'no camera make');
    assert.deepEqual(got.alt, ['A man’s car, plate covered']);
    assert.deepEqual(got.sensitive, ['0']);
    assert.equal(got.fields.body, 'at the station');
    assert.equal(got.fields.action, 'post', 'the button that sent the form is sent too');

    const { stats } = await measure(p, photo!.bytes, [
      [0.12, 0.12, 0.38, 0.48],
      [0.6, 0.6, 0.9, 0.9],
    ]);
    assert.ok(stats[0]!.max <= 24, `the covered region is black throughout: ${JSON.stringify(stats[0])}`);
    assert.ok(stats[1]!.detail > 5, `the rest of the picture is untouched: ${JSON.stringify(stats[1])}`);
  });

  it('blurs a region for good with a finger on a 360 px phone, upright as the camera meant it', async () => {
    const { page: p } = await chromium.person('bea', { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    await p.goto(`${base}/form`);
    await p.locator('input[data-photo-input]').setInputFiles([jpegFile('rotated.jpg', rotated)]);
    const item = p.locator('.photo-item').first();
    await item.locator('canvas').waitFor();
    await item.getByRole('button', { name: en('photos_ui.cover_blur') }).click();
    await item.getByText(en('photos_ui.cover_hint')).waitFor();
    await dragTouch(p, '.photo-item canvas', [0.2, 0.2], [0.8, 0.6]);
    await p.waitForFunction(() => !document.querySelector('.cover-undo')?.hasAttribute('disabled'));
    await p.getByRole('button', { name: 'Send' }).click();
    await p.waitForURL(`${base}/done`);

    const [photo] = last().photos;
    assert.deepEqual(jpegSize(photo!.bytes), { width: 1365, height: 2048 }, 'turned upright (EXIF orientation 6) and scaled');
    assert.deepEqual(last().sensitive, []);
    const { stats } = await measure(p, photo!.bytes, [
      [0.25, 0.25, 0.75, 0.55],
      [0.1, 0.7, 0.9, 0.95],
    ]);
    assert.ok(stats[0]!.detail < 1.5 && stats[0]!.mean > 60, `the blurred region keeps no detail, and is not a black box: ${JSON.stringify(stats[0])}`);
    assert.ok(stats[1]!.detail > 5, `outside it the picture is untouched: ${JSON.stringify(stats[1])}`);
  });

  it('takes at most four photos, says why, and keeps each photo’s alt text and sensitive mark in order after one is removed', async () => {
    const { page: p } = await chromium.person('cleo');
    await p.goto(`${base}/form`);
    const input = p.locator('input[data-photo-input]');
    await input.setInputFiles([{ name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('<html>not a photo</html>') }]);
    await p.locator('.photo-status').getByText(en('photos_ui.unreadable')).waitFor();
    assert.equal(await p.locator('.photo-item').count(), 0);
    await input.setInputFiles(['a', 'b', 'c', 'd', 'e'].map((n) => jpegFile(`${n}.jpg`, small)));
    await p.locator('.photo-status').getByText(en('photos_ui.too_many', { max: 4 })).waitFor();
    await p.waitForFunction(() => document.querySelectorAll('.photo-item canvas').length === 4);
    assert.equal(await input.isDisabled(), true, 'no fifth photo can be chosen');
    const items = p.locator('.photo-item');
    for (let i = 0; i < 4; i++) await items.nth(i).getByLabel(en('photos_ui.alt_label')).fill(`photo ${'abcd'[i]}`);
    await items.nth(1).getByRole('button', { name: en('photos_ui.remove') }).click();
    assert.equal(await input.isDisabled(), false);
    await items.nth(2).getByLabel(en('photos_ui.sensitive')).check();
    await p.getByRole('button', { name: 'Send' }).click();
    await p.waitForURL(`${base}/done`);
    assert.equal(last().photos.length, 3);
    assert.deepEqual(last().photos.map((f) => f.name), ['photo-1.jpg', 'photo-2.jpg', 'photo-3.jpg']);
    assert.deepEqual(last().alt, ['photo a', 'photo c', 'photo d']);
    assert.deepEqual(last().sensitive, ['2'], 'the mark names the photo’s new place');
  });

  it('undoes a cover, and sends with fetch where the browser cannot set a file input', async () => {
    const { page: p, context } = await chromium.person('dee');
    await context.addInitScript(() => {
      delete (window as { DataTransfer?: unknown }).DataTransfer;
    });
    await p.goto(`${base}/form`);
    await p.locator('input[data-photo-input]').setInputFiles([jpegFile('IMG_2041.jpg', landscape)]);
    const item = p.locator('.photo-item').first();
    await item.locator('canvas').waitFor();
    await item.getByRole('button', { name: en('photos_ui.cover_box') }).click();
    await dragMouse(p, '.photo-item canvas', [0.6, 0.6], [0.9, 0.9]);
    await dragMouse(p, '.photo-item canvas', [0.05, 0.05], [0.3, 0.3]);
    await item.getByRole('button', { name: en('photos_ui.undo') }).click();
    await p.getByRole('button', { name: 'Send' }).click();
    await p.waitForURL(`${base}/done`);
    const got = last();
    assert.equal(got.photos.length, 1);
    assert.equal(got.photos[0]!.bytes.includes('Exif'), false);
    assert.equal(got.fields.action, 'post');
    const { stats } = await measure(p, got.photos[0]!.bytes, [
      [0.62, 0.62, 0.88, 0.88],
      [0.07, 0.07, 0.28, 0.28],
    ]);
    assert.ok(stats[0]!.max <= 24, `the first cover stays: ${JSON.stringify(stats[0])}`);
    assert.ok(stats[1]!.detail > 5, `the undone cover is gone: ${JSON.stringify(stats[1])}`);
  });

  it('leaves a form without photos alone, and without JavaScript posts the chosen file as it is', async () => {
    const { page: p } = await chromium.person('eve');
    await p.goto(`${base}/form`);
    await p.getByRole('button', { name: 'Send' }).click();
    await p.waitForURL(`${base}/done`);
    assert.deepEqual(last().photos, []);
    assert.equal(last().fields.body, 'at the station');

    const { page: plain } = await chromium.person('eve without JavaScript', { javaScriptEnabled: false });
    await plain.goto(`${base}/form`);
    await plain.locator('input[data-photo-input]').setInputFiles([jpegFile('IMG_2041.jpg', landscape)]);
    await plain.getByLabel(en('photos_ui.alt_numbered', { n: 1 })).fill('A car');
    await plain.getByLabel(en('photos_ui.sensitive_numbered', { n: 1 })).check();
    await plain.getByRole('button', { name: 'Send' }).click();
    await plain.waitForURL(`${base}/done`);
    assert.equal(last().photos.length, 1);
    assert.ok(last().photos[0]!.bytes.equals(landscape), 'the server gets the original, which it re-encodes');
    assert.deepEqual(last().alt, ['A car', '', '', '']);
    assert.deepEqual(last().sensitive, ['0']);
  });

  it('sets aside no-JavaScript fields written as slots, taking their default alt text and length limit', async () => {
    const { page: p } = await chromium.person('gia');
    await p.goto(`${base}/form-slots`);
    assert.equal(await p.locator('[data-photo-slots]').isHidden(), true);
    await p.locator('input[data-photo-input]').setInputFiles([jpegFile('a.jpg', small)]);
    const alt = p.locator('.photo-item').getByLabel(en('photos_ui.alt_label'));
    await alt.waitFor();
    assert.equal(await alt.inputValue(), 'Photo shared by a member');
    assert.equal(await alt.getAttribute('maxlength'), '1000');
    await p.getByRole('button', { name: 'Send' }).click();
    await p.waitForURL(`${base}/done`);
    assert.deepEqual(last().alt, ['Photo shared by a member'], 'only the alt text of the one photo, none of the slots');
    assert.equal(last().photos.length, 1);
  });

  it('leaves a form without the tool’s texts as it is, rather than show unlabelled buttons', async () => {
    const { page: p } = await chromium.person('hana');
    await p.goto(`${base}/form-untexted`);
    await p.locator('input[data-photo-input]').setInputFiles([jpegFile('a.jpg', small)]);
    assert.equal(await p.locator('[data-photo-fields]').isVisible(), true);
    assert.equal(await p.locator('.photo-list').count(), 0);
    await p.getByRole('button', { name: 'Send' }).click();
    await p.waitForURL(`${base}/done`);
    assert.ok(last().photos[0]!.bytes.equals(small), 'posted as chosen, for the server to re-encode');
  });

  it('shows a sensitive thumbnail blurred with its label until tapped, then opens the large version', async () => {
    const { page: p } = await chromium.person('fay', { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    await p.goto(`${base}/thumbs`);
    const hidden = p.locator('img[alt="A bruised arm"]');
    const plain = p.locator('img[alt="A street corner"]');
    assert.match(await hidden.evaluate((el) => getComputedStyle(el).filter), /blur/);
    assert.equal(await plain.evaluate((el) => getComputedStyle(el).filter), 'none');
    const label = () => p.locator('a.photo').first().evaluate((el) => getComputedStyle(el, '::after').content);
    assert.equal(await label(), JSON.stringify(en('photos_ui.sensitive_label')));
    assert.equal(await hidden.getAttribute('width'), '320', 'sized, so that the page does not jump');
    assert.equal(await hidden.getAttribute('loading'), 'lazy');
    await hidden.tap();
    await p.waitForFunction(() => document.querySelector('img[alt="A bruised arm"]')?.hasAttribute('data-revealed'));
    assert.equal(new URL(p.url()).pathname, '/thumbs', 'the first tap only shows it');
    assert.equal(await hidden.evaluate((el) => getComputedStyle(el).filter), 'none');
    assert.equal(await label(), 'none');
    await hidden.tap();
    await p.waitForURL(`${base}/media/hidden1`);
  });
});
