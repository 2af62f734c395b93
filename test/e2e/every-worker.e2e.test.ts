import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium as playwright } from 'playwright-core';
import { member } from '../helpers/people.js';
import { CHROMIUM, CHROMIUM_ARGS, isLocalUrl, useBrowser } from './browser.js';
import { cachedNaming, catalogue, PHONE, poll, tapAndLoad, until, useSite } from './phone.js';

/**
 * Issue #8 (the new user's own story is in every-worker-ar and every-worker-my): what the phone keeps for a member
 * who was signed in when the service worker installed, and installing the site as an app.
 */
describe('every worker can use it, in Chromium', function () {
  this.timeout(180_000);
  const chromium = useBrowser();
  const site = useSite();

  describe('a member already signed in when the service worker installs', () => {
    it('keeps an offline page that does not name her, and after a quick exit nothing on the phone names her', async () => {
      const ana = await member(site.inst, 'ana');
      const { page, context } = await chromium.person('ana, signed in', { ...PHONE, cookies: [{ name: 'psl_session', value: ana.client.cookies.get('psl_session')!, url: site.inst.url }] });
      await page.goto(`${site.inst.url}/`);
      await page.locator('body[data-live="on"]').waitFor({ state: 'attached' });
      await page.waitForFunction(() => navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller !== null));
      // The app shell was fetched at install, with her cookies: its offline page is still nobody's.
      const offline = await page.evaluate(async () => {
        for (const name of await caches.keys()) {
          if (!name.startsWith('parasol-shell-')) continue;
          const kept = await (await caches.open(name)).match('/offline');
          if (kept) return kept.text();
        }
        return null;
      });
      assert.ok(offline, 'the app shell has the offline page');
      assert.ok(!offline.includes(ana.handle), 'the kept offline page does not name her');
      assert.ok(!offline.includes('data-account'), 'nor is it a signed-in page, with live scripts that would try to connect offline');

      // A page she reads is kept, and names her (her handle is in the menu) until she leaves.
      await tapAndLoad(page, page.getByRole('link', { name: 'General', exact: true }));
      await until(page, 'the board is kept', (path) => caches.open('parasol-pages').then((c) => c.match(path ?? '/', { ignoreVary: true })).then((r) => r !== undefined), '/b/general');
      assert.notDeepEqual(await cachedNaming(page, ana.handle), [], 'a kept page names her before the quick exit');
      await page.getByRole('link', { name: catalogue('en')['layout.quick_exit'] as string }).tap();
      await page.waitForURL(site.weather.url);
      const again = await context.newPage();
      await again.goto(`${site.inst.url}/healthz`);
      // The saved pages go a moment after the tap (the service worker drops them): look until they are gone.
      const left = await poll(() => cachedNaming(again, ana.handle), (found) => found.length === 0);
      assert.deepEqual(left, [], 'after the quick exit, no cached response names her');
    });
  });

  describe('installable without an app store', () => {
    interface Installability {
      readonly errors: string[];
      readonly manifest: { name?: string; short_name?: string; icons?: { src: string; type?: string; sizes?: string }[] };
    }

    /**
     * What Chromium says stops the home page from being installed, and the manifest it read. Chromium never
     * offers to install from an incognito profile, and every context the harness makes is one (there,
     * Page.getInstallabilityErrors answers only "in-incognito"): this uses a profile of its own on disk.
     */
    async function installability(): Promise<Installability> {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-profile-'));
      const context = await playwright.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] });
      const problems: string[] = [];
      context.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
      });
      context.on('weberror', (error) => problems.push(`uncaught exception: ${error.error().message}`));
      context.on('request', (request) => {
        if (!isLocalUrl(request.url())) problems.push(`request to another host: ${request.url()}`);
      });
      try {
        const page = context.pages()[0] ?? (await context.newPage());
        await page.goto(`${site.inst.url}/`);
        await page.waitForFunction(() => navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller !== null));
        const cdp = await context.newCDPSession(page);
        const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
        const { data } = await cdp.send('Page.getAppManifest');
        assert.deepEqual(problems, [], 'the browser saw no problem');
        return {
          errors: installabilityErrors.map((e) => [e.errorId, ...e.errorArguments.map((a) => `${a.name}=${a.value}`)].join(' ')),
          manifest: JSON.parse(data ?? '{}') as Installability['manifest'],
        };
      } finally {
        await context.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }

    it('Chromium finds nothing missing to install the site as an app: manifest, service worker, icon', async () => {
      const { errors, manifest } = await installability();
      assert.deepEqual(errors, [], 'Page.getInstallabilityErrors');
      assert.equal(manifest.name, site.inst.parasol.ctx.instance.settings().name);
      assert.deepEqual(manifest.icons?.map((i) => i.src), ['/assets/umbrella.svg']);
    });

    it('in discreet mode, the installed app gets the neutral name and icon', async () => {
      const { discreetName } = site.inst.parasol.ctx.instance.settings();
      await site.inst.parasol.ctx.instance.updateSettings({ discreetByDefault: true });
      try {
        const { errors, manifest } = await installability();
        assert.deepEqual(errors, [], 'Page.getInstallabilityErrors');
        assert.equal(manifest.name, discreetName);
        assert.equal(manifest.short_name, discreetName);
        assert.deepEqual(manifest.icons?.map((i) => i.src), ['/assets/notes.svg']);
      } finally {
        await site.inst.parasol.ctx.instance.updateSettings({ discreetByDefault: false });
      }
    });
  });
});
