/**
 * Photos on a 360 px phone, through the real pages: pick a photo, write its alt text, mark it sensitive, blur a
 * region, post; the thread shows the blurred stand-in, a tap shows it, the next opens the large version. What the
 * server keeps is the covered picture, without metadata, at most 2,048 px.
 */
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { member, type Person as ApiPerson } from '../helpers/people.js';
import { mediaBlobs } from '../../server/media/media.collections.js';
import { assertNoMetadata } from '../media/helpers.js';
import { phoneJpeg, phoneMetadata } from '../media/fixtures.js';
import { clickAndLoad, useBrowser } from './browser.js';

const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true } as const;

describe('photos on a phone, in Chromium', function () {
  this.timeout(90_000);
  const chromium = useBrowser();
  let inst: TestInstance;
  let ana: ApiPerson;
  let threadId: string;

  before(async () => {
    inst = await startInstance();
    ana = await member(inst, 'ana');
    const started = await ana.client.api('POST', '/boards/general/threads', { title: 'A car to avoid', body: 'Seen near the station.' });
    assert.equal(started.status, 201, started.text);
    threadId = started.json.thread.id;
  });
  after(async () => inst?.close());

  it('attaches from the picker, writes alt text, marks sensitive, blurs a region, posts, and opens the photo', async () => {
    const { page } = await chromium.person('ana', { ...PHONE, cookies: [{ name: 'psl_session', value: ana.client.cookies.get('psl_session')!, url: inst.url }] });
    await page.goto(`${inst.url}/t/${threadId}`);
    const form = page.locator('form[data-photos]');
    // The photo tool loads when the picker is opened, not with the page.
    await form.locator('details[data-photo-picker] > summary').click();
    await form.locator('.photo-list').waitFor({ state: 'attached' });
    await form.locator('input[data-photo-input]').setInputFiles({ name: 'IMG_0042.jpg', mimeType: 'image/jpeg', buffer: await phoneJpeg(phoneMetadata(), 1200, 900, 4) });
    const item = form.locator('.photo-item');
    await item.locator('input[name="alt"]').waitFor();
    await item.locator('input[name="alt"]').fill('A grey van, plate covered');
    await item.locator('input[name="sensitive"]').check();
    await item.locator('button.cover-blur').click();
    const canvas = item.locator('canvas').first();
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.6, { steps: 5 });
    await page.mouse.up();
    await form.locator('textarea[name="body"]').fill('Plate covered.');
    await clickAndLoad(page, form.getByRole('button', { name: 'Send' }));
    assert.match(page.url(), new RegExp(`/t/${threadId}#p-`));

    const img = page.locator('ul.photos img[data-sensitive]');
    await img.waitFor();
    assert.equal(await img.getAttribute('alt'), 'A grey van, plate covered');
    const link = page.locator('ul.photos a.photo');
    const href = (await link.getAttribute('href'))!;
    assert.match(href, /^\/media\/[A-Za-z0-9_-]{16}$/);
    await img.click();
    await page.locator('ul.photos img[data-revealed]').waitFor();
    const opened = page.waitForResponse((res) => new URL(res.url()).pathname === href);
    await img.click();
    const response = await opened;
    assert.equal(response.status(), 200);
    assert.equal(response.headers()['content-type'], 'image/jpeg');

    const stored = await inst.parasol.ctx.store.blobs(mediaBlobs).get(href.slice('/media/'.length), 'large');
    assert.ok(stored, 'the photo is stored');
    await assertNoMetadata(stored, 'the photo posted from the phone');
    const meta = await sharp(stored).metadata();
    assert.ok(Math.max(meta.width!, meta.height!) <= 2048, `at most 2,048 px, got ${meta.width} x ${meta.height}`);
    chromium.assertClean('posting a photo');
  });
});
