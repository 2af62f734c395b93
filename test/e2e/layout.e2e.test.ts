import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { projectRoot } from '../../server/paths.js';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { handle, PASS } from '../helpers/client.js';
import { member, type Person as ApiPerson } from '../helpers/people.js';
import { clickAndLoad, useBrowser, type Person } from './browser.js';

const PHONE = { width: 360, height: 740 };
const PHONE_NUMBER = '+20 100 123 4567';
/** Where a failing test leaves its screenshots, so that whoever reads the failure can see the page. */
const ARTEFACTS = path.join(projectRoot, 'test-results', 'layout');

type Box = { x: number; y: number; width: number; height: number };
const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** The boxes of each character of `text` where it shows inside `within`, in the order of the text. */
async function characterBoxes(within: Locator, text: string): Promise<Box[]> {
  return within.evaluate((root, wanted) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = (node.textContent ?? '').indexOf(wanted);
      if (at < 0) continue;
      const boxes: { x: number; y: number; width: number; height: number }[] = [];
      for (let i = 0; i < wanted.length; i++) {
        if (wanted[i] === ' ') continue;
        const range = document.createRange();
        range.setStart(node, at + i);
        range.setEnd(node, at + i + 1);
        const r = range.getBoundingClientRect();
        boxes.push({ x: r.x, y: r.y, width: r.width, height: r.height });
      }
      return boxes;
    }
    throw new Error(`"${wanted}" is not on the page`);
  }, text);
}

for (const tag of ['my', 'ar']) {
  const texts = JSON.parse(fs.readFileSync(path.join(projectRoot, 'locales', `${tag}.json`), 'utf8')) as Record<string, string>;
  const country = tag === 'ar' ? 'EG' : 'MM';

  describe(`layout and language on a 360 px phone in ${tag}, in Chromium`, function () {
    this.timeout(90_000);
    const chromium = useBrowser();
    let inst: TestInstance;
    const admin: Person = chromium.lasting('admin', () => ({ locale: tag, viewport: PHONE }));
    let adminHandle: string;
    let codes: string[];
    const t = (key: string, params?: Record<string, string | number>) => inst.parasol.ctx.i18n.t(tag, key, params);
    const opened: Page[] = [];

    before(async () => {
      inst = await startInstance();
    });
    after(async () => {
      await inst?.close();
    });
    afterEach(async function () {
      if (this.currentTest?.state !== 'failed') return;
      fs.mkdirSync(ARTEFACTS, { recursive: true });
      const name = `${tag}-${(this.currentTest.title ?? 'test').replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`;
      for (const [i, page] of [admin.page, ...opened].entries()) {
        if (!page.isClosed()) await page.screenshot({ path: path.join(ARTEFACTS, `${name}-${i}.png`), fullPage: true }).catch(() => undefined);
      }
    });

    async function phone(label: string, options: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
      const { page } = await chromium.person(label, { locale: tag, viewport: PHONE, ...options });
      opened.push(page);
      return page;
    }

    it('setup asks for the country and language; the recovery codes are one column with a download and a copy button', async () => {
      const token = await inst.parasol.ctx.instance.issueSetupToken();
      const { page } = admin;
      await page.goto(`${inst.url}/setup/${token}`);
      adminHandle = handle('boss');
      await page.getByLabel(t('signup.handle')).fill(adminHandle);
      await page.getByLabel(t('signup.passphrase'), { exact: true }).fill(PASS);
      await page.getByLabel(t('admin.country')).selectOption(country);
      await page.getByLabel(t('admin.default_language')).selectOption(tag);
      await clickAndLoad(page, page.getByRole('button', { name: t('signup.submit') }));
      await page.getByRole('heading', { name: t('codes.title') }).waitFor();
      const settings = inst.parasol.ctx.instance.settings();
      assert.equal(settings.defaultCountry, country);
      assert.equal(settings.defaultLocale, tag);

      const items = page.locator('ol.codes li');
      assert.equal(await items.count(), 10);
      const boxes = await items.evaluateAll((lis) => lis.map((li) => li.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number }));
      const listBox = (await page.locator('ol.codes').boundingBox())!;
      for (const [i, box] of boxes.entries()) {
        assert.ok(Math.abs(box.x - boxes[0]!.x) < 1, `code ${i} is in the one column: ${JSON.stringify(box)}`);
        if (i > 0) assert.ok(box.y >= boxes[i - 1]!.y + boxes[i - 1]!.height - 0.5, `code ${i} starts below code ${i - 1}`);
        assert.ok(box.x + box.width <= PHONE.width, 'no code runs off the screen');
      }
      const codeBoxes = await page.locator('ol.codes code').evaluateAll((els) => els.map((el) => el.getBoundingClientRect().toJSON() as Box));
      for (const [i, a] of codeBoxes.entries()) for (const b of codeBoxes.slice(i + 1)) assert.ok(!overlap(a, b), 'two codes overlap');
      assert.ok(listBox.width <= PHONE.width, 'the list fits the screen');
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), PHONE.width, 'nothing scrolls sideways');
      codes = (await page.locator('ol.codes code').allTextContents()).map((c) => c.trim());

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: t('layout.codes_download') }).click()]);
      const file = fs.readFileSync((await download.path())!, 'utf8');
      for (const code of codes) assert.ok(file.includes(code), `the file holds ${code}`);
      assert.equal(download.suggestedFilename(), 'recovery-codes.txt');
      await page.getByRole('button', { name: t('layout.codes_copy') }).waitFor();
    });

    it('the starter boards, the screening board and the rights and resources placeholders are in the language chosen at setup', async () => {
      const { page } = admin;
      await clickAndLoad(page, page.getByRole('link', { name: t('codes.done') }));
      for (const key of ['starter.general', 'starter.health', 'starter.rights']) await page.getByRole('link', { name: t(key) }).first().waitFor();
      await page.goto(`${inst.url}/reviews`);
      await page.getByText(t('starter.screening')).first().waitFor();
      await page.goto(`${inst.url}/rights`);
      for (const key of ['layout.seed_arrested_title', 'layout.seed_police_title', 'layout.seed_searches_title']) await page.getByRole('link', { name: t(key) }).waitFor();
      await page.goto(`${inst.url}/resources`);
      await page.getByText(t('layout.seed_resource_name')).waitFor();
      assert.doesNotMatch(await page.locator('main').innerText(), /Example clinic|Placeholder/);
    });

    it('signed in, the header is under 100 px: the main places as icons with labels, the rest in a menu that opens without JavaScript', async () => {
      const { page } = admin;
      await page.goto(`${inst.url}/`);
      const header = (await page.locator('header.top').boundingBox())!;
      assert.ok(header.height < 100, `header is ${header.height} px tall`);
      const nav = page.getByRole('navigation', { name: t('layout.nav') });
      for (const key of ['nav.rooms', 'nav.screening', 'nav.safety', 'nav.search']) assert.ok(await nav.getByRole('link', { name: t(key), exact: true }).isVisible(), key);
      const exit = (await page.locator('#quick-exit').boundingBox())!;
      for (const link of await nav.locator('.places > a, .menu > summary').all()) assert.ok(!overlap((await link.boundingBox())!, exit), 'a place sits under the quick exit');
      assert.ok(!overlap((await page.locator('header .brand').boundingBox())!, exit), 'the site name sits under the quick exit');

      const noScript = await phone('no-js', { javaScriptEnabled: false });
      await noScript.context().addCookies(await admin.context.cookies());
      await noScript.goto(`${inst.url}/`);
      const menu = noScript.getByRole('navigation', { name: t('layout.nav') });
      assert.equal(await menu.getByRole('link', { name: t('nav.admin') }).isVisible(), false, 'the menu starts closed');
      await menu.getByText(t('layout.menu')).click();
      await clickAndLoad(noScript, menu.getByRole('link', { name: t('nav.admin') }));
      assert.equal(new URL(noScript.url()).pathname, '/admin');
      assert.ok(((await noScript.locator('header.top').boundingBox())!).height < 100, 'the header stays compact without JavaScript');
    });

    it('a live SOS banner is never under the quick exit, and a phone number keeps its digits in order', async () => {
      const worker: ApiPerson = await member(inst, 'worker');
      const buddy: ApiPerson = await member(inst, 'buddy');
      assert.equal((await worker.client.api('POST', '/buddies', { handle: buddy.handle })).status, 201);
      assert.equal((await buddy.client.api('POST', '/buddies', { handle: worker.handle })).status, 201);
      const page = await phone('buddy');
      await page.goto(`${inst.url}/login`);
      await page.getByLabel(t('signup.handle')).fill(buddy.handle);
      await page.getByLabel(t('signup.passphrase'), { exact: true }).fill(PASS);
      await clickAndLoad(page, page.getByRole('button', { name: t('login.submit') }));
      // The page listens once buddy-alarm.js has subscribed (it marks the body); then the SOS goes.
      await page.locator('body[data-live="on"]').waitFor({ state: 'attached' });
      assert.equal((await worker.client.api('POST', '/sos')).status, 201);
      const banner = page.locator('#live-alert');
      await banner.waitFor({ state: 'visible' });
      const exit = (await page.locator('#quick-exit').boundingBox())!;
      const bannerBox = (await banner.boundingBox())!;
      assert.ok(!overlap(bannerBox, exit), `the banner ${JSON.stringify(bannerBox)} is under the quick exit ${JSON.stringify(exit)}`);
      const text = (await banner.innerText()).trim();
      assert.ok(text.length > 0, 'the banner says something');

      const boss = (await inst.parasol.ctx.accounts.byHandle(adminHandle))!;
      await inst.parasol.ctx.rights.createResource(boss, { name: 'Clinic', kind: 'clinic', contact: `${t('safety.contact')} ${PHONE_NUMBER}`, language: tag });
      await page.goto(`${inst.url}/resources`);
      const boxes = await characterBoxes(page.locator('main'), PHONE_NUMBER);
      for (let i = 1; i < boxes.length; i++) assert.ok(boxes[i]!.x > boxes[i - 1]!.x, `character ${i} of ${PHONE_NUMBER} shows after the one before it`);
      // The screening form offers the instance's country, and its calling code reads "+20", not "20+".
      await page.goto(`${inst.url}/reviews/client-screening`);
      const dial = tag === 'ar' ? '+20' : '+95';
      const hint = page.locator('#f-value-hint');
      await hint.waitFor();
      assert.ok((await hint.innerText()).includes(new Intl.DisplayNames([tag], { type: 'region' }).of(country)!), 'the hint names the country');
      const dialBoxes = await characterBoxes(hint, dial);
      for (let i = 1; i < dialBoxes.length; i++) assert.ok(dialBoxes[i]!.x > dialBoxes[i - 1]!.x, `${dial} keeps its order`);
    });

    it('the handle hint says Latin letters, and the browser checks the pattern before the form is sent', async () => {
      const page = await phone('newcomer');
      await page.goto(`${inst.url}/signup`);
      const field = page.getByLabel(t('signup.handle'));
      await field.fill('ဟယ်လို');
      await page.getByLabel(t('signup.passphrase'), { exact: true }).fill(PASS);
      assert.equal(await field.evaluate((input: HTMLInputElement) => input.validity.patternMismatch), true);
      assert.equal(await field.getAttribute('title'), t('layout.handle_pattern', { min: 3, max: 30 }));
      const posted: string[] = [];
      page.on('request', (r) => r.method() === 'POST' && posted.push(r.url()));
      await page.getByRole('button', { name: t('signup.submit') }).click();
      assert.equal(await field.evaluate((input: HTMLInputElement) => input.matches(':invalid')), true);
      assert.deepEqual(posted, [], 'nothing was sent');
      assert.match(texts['signup.handle_hint']!, /a-z/);
    });
  });
}
