import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium as playwright, type Locator, type Page } from 'playwright-core';
import { projectRoot } from '../../server/paths.js';
import { formatDuration } from '../../server/i18n/format.js';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { handle, PASS } from '../helpers/client.js';
import { member, type Person as ApiPerson } from '../helpers/people.js';
import { SlowPhone } from './throttle.js';
import { ACTION_TIMEOUT, CHROMIUM, CHROMIUM_ARGS, isLocalUrl, useBrowser } from './browser.js';

/**
 * Issue #8, "Done when": a new user, on a 360 px wide phone with a Fast-3G
 * connection and a slow CPU, in Arabic and in Burmese, does everything through
 * the pages, finding each control by the words of her own language as the
 * catalogue has them: picks the language (no account), signs up, reads a board,
 * posts a thread, screens a client, starts a safety check-in. And a member who
 * read a thread goes on reading it offline, writes a reply that waits for the
 * connection, and leaves nothing behind after a quick exit.
 */

type Catalogue = Record<string, unknown> & { $meta: { name: string; dir: 'ltr' | 'rtl' } };

function catalogue(tag: string): Catalogue {
  return JSON.parse(fs.readFileSync(path.join(projectRoot, 'locales', `${tag}.json`), 'utf8')) as Catalogue;
}

/** A cheap Android phone: 360 x 740 CSS pixels, touch. */
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } as const;

const WEATHER = '<!doctype html><html><head><title>Weather</title><link rel="icon" href="data:,"></head><body><h1>Weather today</h1></body></html>';

/** A neutral page on the loopback interface for the quick exit to lead to, so that no test reaches the Internet. */
async function startWeather(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(WEATHER);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/today`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Taps a link or a submit button and waits until the page it leads to has loaded. */
async function tapAndLoad(page: Page, target: Locator): Promise<void> {
  const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() });
  await target.tap();
  await navigated;
  await page.waitForLoadState('load');
}

/** What Chromium logs when socket.io cannot connect because the phone is offline (a WebSocket, then long-polling). */
const OFFLINE_SOCKET_NOISE =
  /^\[[^\]]+\] console error: (?:WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/socket\.io\/\?EIO=4&transport=websocket' failed: Error in connection establishment: net::ERR_INTERNET_DISCONNECTED|Failed to load resource: net::ERR_INTERNET_DISCONNECTED \(http:\/\/127\.0\.0\.1:\d+\/socket\.io\/\?EIO=4&transport=polling&t=[\w-]+:0\)) \(?/;

/** Waits until `check`, run in the page, holds: for what only a promise in the page can tell (the caches). */
async function until(page: Page, what: string, check: (arg: string | null) => Promise<boolean>, arg: string | null): Promise<void> {
  const deadline = Date.now() + ACTION_TIMEOUT;
  while (!(await page.evaluate(check, arg))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what} on ${page.url()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Reads `read` until `done` says yes or the action timeout passes; returns the last value read. */
async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + ACTION_TIMEOUT;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

/** Every response the site's caches hold on the phone whose text contains `text`, as "cache: URL". */
async function cachedNaming(page: Page, text: string): Promise<string[]> {
  return page.evaluate(async (name) => {
    const found: string[] = [];
    for (const cacheName of await caches.keys()) {
      const cache = await caches.open(cacheName);
      for (const request of await cache.keys()) {
        const response = await cache.match(request, { ignoreVary: true });
        if (response && (await response.text()).includes(name)) found.push(`${cacheName}: ${request.url}`);
      }
    }
    return found;
  }, text);
}

describe('every worker can use it, in Chromium', function () {
  this.timeout(180_000);
  const chromium = useBrowser();
  let inst: TestInstance;
  let weather: { url: string; close(): Promise<void> };

  before(async () => {
    inst = await startInstance();
    weather = await startWeather();
    // Admins may only choose https addresses; the local stand-in is plain http, so it is set on the service directly.
    await inst.parasol.ctx.instance.updateSettings({ quickExitUrl: weather.url });
  });
  after(async () => {
    await inst?.close();
    await weather?.close();
  });

  for (const tag of ['ar', 'my']) {
    const texts = catalogue(tag);
    const english = catalogue('en');
    const rtl = texts.$meta.dir === 'rtl';

    describe(`a new user in ${texts.$meta.name} (${tag}), on a 360 px phone with Fast 3G`, () => {
      let buddy: ApiPerson;
      let slow: SlowPhone | undefined;
      /** Her own thread, `/t/ID`. */
      let threadPath: string;
      const who = handle('nu');

      /** A text of the catalogue, as the page shows it (through the server's own formatter when it has placeholders). */
      const t = (key: string, params?: Record<string, string | number>): string => {
        const text = texts[key];
        assert.equal(typeof text, 'string', `${tag}.json has ${key}`);
        return params ? inst.parasol.ctx.i18n.t(tag, key, params) : (text as string);
      };
      const mainNav = (page: Page) => page.getByRole('navigation', { name: t('layout.nav') });

      /** What every page must be: in her language and direction, no sideways scrolling, the exit where her thumb finds it. */
      async function looksRight(page: Page, where: string): Promise<void> {
        const seen = await page.evaluate(() => {
          const root = document.documentElement;
          const exit = document.getElementById('quick-exit')?.getBoundingClientRect();
          return {
            lang: root.lang,
            dir: root.dir,
            scrollWidth: root.scrollWidth,
            clientWidth: root.clientWidth,
            exit: exit ? { x: exit.x, right: exit.right, width: exit.width, height: exit.height } : null,
          };
        });
        const shown = `${where} (${page.url()}): ${JSON.stringify(seen)}`;
        assert.equal(seen.lang, tag, `the page is in ${tag}: ${shown}`);
        assert.equal(seen.dir, rtl ? 'rtl' : 'ltr', `the page's direction: ${shown}`);
        assert.ok(seen.scrollWidth <= seen.clientWidth, `nothing scrolls sideways at 360 px: ${shown}`);
        assert.ok(seen.exit && seen.exit.width >= 44 && seen.exit.height >= 44, `a quick-exit button big enough to tap: ${shown}`);
        if (rtl) assert.ok(seen.exit.x < 100, `right-to-left, the quick exit sits at the left edge: ${shown}`);
        else assert.ok(seen.exit.right > 260, `left-to-right, the quick exit sits at the right edge: ${shown}`);
      }

      before(async () => {
        buddy = await member(inst, 'buddy');
      });
      after(async () => slow?.release());
      // Her phone, the same through every step of her story below.
      const phone = chromium.lasting(`new user (${tag})`, () => ({ ...PHONE }));

      /**
       * While offline, a page's live scripts (client/live.js, buddy-alarm.js) keep trying to reach the server, and Chromium
       * logs each failed attempt as a console error. Those, and only those, are expected here: they are taken off the
       * harness's list; anything else fails the test. Called once the page that made them is gone.
       */
      function takeOfflineNoise(during: string): void {
        let message: string;
        try {
          chromium.assertClean(during);
          return;
        } catch (error) {
          message = (error as Error).message;
        }
        const unexpected = message
          .split('\n')
          .slice(1)
          .map((line) => line.trim())
          .filter((line) => !OFFLINE_SOCKET_NOISE.test(line));
        assert.deepEqual(unexpected, [], `only the live scripts' attempts to connect while offline are expected:\n${message}`);
      }

      it(`picks ${texts.$meta.name} from the footer of the home page, without an account`, async () => {
        const { page } = phone;
        slow = await SlowPhone.of(page);
        await page.goto(`${inst.url}/`);
        // The service worker now fetches her pages: it gets the same slow connection.
        await slow.throttleServiceWorker(chromium.browser);
        // Her phone is set to English: the picker speaks English until she chooses, each language named in itself.
        const footer = page.getByRole('contentinfo');
        await footer.getByLabel(english['layout.language'] as string).selectOption({ label: texts.$meta.name });
        await tapAndLoad(page, footer.getByRole('button', { name: english['layout.language_go'] as string }));
        assert.equal(new URL(page.url()).pathname, '/');
        await page.getByRole('heading', { name: t('home.welcome', { name: inst.parasol.ctx.instance.settings().name }), level: 1 }).waitFor();
        await looksRight(page, 'home');
        // It sticks: the next page is in her language too.
        await page.goto(`${inst.url}/rights`);
        await looksRight(page, 'rights');
      });

      it('signs up', async () => {
        const { page } = phone;
        await page.goto(`${inst.url}/`);
        await tapAndLoad(page, page.getByRole('main').getByRole('link', { name: t('nav.signup') }));
        assert.equal(new URL(page.url()).pathname, '/signup');
        await looksRight(page, 'sign-up form');
        await page.getByLabel(t('signup.handle')).fill(who);
        await page.getByLabel(t('signup.passphrase'), { exact: true }).fill(PASS);
        await tapAndLoad(page, page.getByRole('button', { name: t('signup.submit') }));
        await page.getByRole('heading', { name: t('signup.welcome', { handle: who }) }).waitFor();
        await page.getByRole('heading', { name: t('codes.title') }).waitFor();
        assert.equal(await page.locator('ol.codes li').count(), 10);
        await looksRight(page, 'recovery codes');
        await tapAndLoad(page, page.getByRole('link', { name: t('codes.done') }));
        await mainNav(page).getByRole('link', { name: who, includeHidden: true }).waitFor({ state: 'attached' });
        await looksRight(page, 'home, signed in');
      });

      it('reads a board and posts a thread', async () => {
        const { page } = phone;
        const board = ((await buddy.client.api('GET', '/boards')).json.boards as { slug: string; name: string }[]).find((b) => b.slug === 'general')!;
        await tapAndLoad(page, page.getByRole('link', { name: board.name, exact: true }));
        await page.getByRole('heading', { name: board.name, level: 1 }).waitFor();
        await looksRight(page, 'board');
        await page.getByRole('link', { name: t('thread.new') }).tap();
        const title = tag === 'ar' ? 'سؤال عن الأمان في الفنادق' : 'ဟိုတယ်တွင် လုံခြုံရေး မေးခွန်း';
        const body = tag === 'ar' ? 'مرحبًا بالجميع. كيف تتأكدن من أن الفندق آمن قبل الموعد؟' : 'မင်္ဂလာပါ။ ချိန်းဆိုမှုမတိုင်မီ ဟိုတယ် လုံခြုံကြောင်း ဘယ်လို စစ်ကြသလဲ။';
        await page.getByLabel(t('thread.title'), { exact: true }).fill(title);
        await page.getByLabel(t('post.body')).fill(body);
        await tapAndLoad(page, page.getByRole('button', { name: t('thread.post') }));
        threadPath = new URL(page.url()).pathname;
        assert.match(threadPath, /^\/t\/[A-Za-z0-9_-]+$/);
        await page.getByRole('heading', { name: title, level: 1 }).waitFor();
        assert.equal((await page.locator('li.post .body').first().textContent())?.trim(), body);
        await looksRight(page, 'her new thread');
      });

      it('screens a client by phone number', async () => {
        const { page } = phone;
        const board = ((await buddy.client.api('GET', '/review-boards')).json.boards as { slug: string; name: string }[])[0]!;
        await tapAndLoad(page, mainNav(page).getByRole('link', { name: t('nav.screening'), exact: true }));
        assert.equal(new URL(page.url()).pathname, '/reviews');
        await looksRight(page, 'review boards');
        await tapAndLoad(page, page.getByRole('link', { name: board.name, exact: true }));
        await looksRight(page, 'screening board');
        const form = page.locator('#screen');
        await form.getByRole('heading', { name: t('review.screen') }).waitFor();
        await form.getByLabel(t('review.id_type'), { exact: true }).selectOption({ label: t('review.id_phone') });
        await form.getByLabel(t('review.id_value'), { exact: true }).fill('+1 555 010 4477');
        await tapAndLoad(page, form.getByRole('button', { name: t('review.screen_submit'), exact: true }));
        await page.getByRole('heading', { name: t('review.result'), level: 1 }).waitFor();
        await page.getByText(t('review.result_none')).waitFor();
        await looksRight(page, 'screening result');
      });

      it('asks for a buddy and starts a safety check-in', async () => {
        const { page } = phone;
        await tapAndLoad(page, mainNav(page).getByRole('link', { name: t('nav.safety'), exact: true }));
        assert.equal(new URL(page.url()).pathname, '/safety');
        await looksRight(page, 'safety');
        // A check-in needs a buddy: she asks one by handle, and the buddy says yes.
        await tapAndLoad(page, page.getByRole('main').getByRole('link', { name: t('safety.buddies') }).first());
        await page.getByLabel(t('safety.buddy_handle')).fill(buddy.handle);
        await tapAndLoad(page, page.getByRole('button', { name: t('safety.ask_buddy') }));
        await page.getByText(t('safety.buddy_asked', { handle: buddy.handle })).waitFor();
        await looksRight(page, 'buddies');
        const accepted = await buddy.client.api('POST', '/buddies', { handle: who });
        assert.equal(accepted.status, 201, accepted.text);

        await tapAndLoad(page, page.getByRole('main').getByRole('link', { name: t('safety.title') }).first());
        await page.getByLabel(t('safety.how_long')).selectOption({ label: formatDuration(tag, 90) });
        await page.getByLabel(t('safety.notes')).fill(tag === 'ar' ? 'الفندق الأزرق، الطابق الثاني' : 'အပြာရောင် ဟိုတယ်၊ ဒုတိယထပ်');
        await tapAndLoad(page, page.getByRole('button', { name: t('safety.start') }));
        assert.match(new URL(page.url()).pathname, /^\/safety\/checkins\/[A-Za-z0-9_-]+$/);
        await page.getByRole('heading', { name: t('safety.checkin'), level: 1 }).waitFor();
        await page.getByText(t('safety.status_open'), { exact: true }).waitFor();
        await looksRight(page, 'check-in');
      });

      it('reads her thread again offline, with the offline notice; a page never read shows the offline page', async () => {
        const { page } = phone;
        // She reads her thread the usual way, online: home, board, thread.
        await page.goto(`${inst.url}/`);
        const board = ((await buddy.client.api('GET', '/boards')).json.boards as { slug: string; name: string }[]).find((b) => b.slug === 'general')!;
        await tapAndLoad(page, page.getByRole('link', { name: board.name, exact: true }));
        await tapAndLoad(page, page.locator(`a[href="${threadPath}"]`).first());
        assert.equal(new URL(page.url()).pathname, threadPath);
        await page.locator('body[data-live="on"]').waitFor({ state: 'attached' });
        await until(page, 'the thread is kept on the phone', (path) => caches.open('parasol-pages').then((c) => c.match(path ?? '/', { ignoreVary: true })).then((r) => r !== undefined), threadPath);
        const unread = await buddy.client.api('POST', '/boards/general/threads', { title: 'Never opened on her phone', body: 'Not kept.' });
        assert.equal(unread.status, 201, unread.text);

        await slow!.setOffline(true);
        await page.reload();
        assert.equal(new URL(page.url()).pathname, threadPath);
        const notice = page.locator('#offline-notice');
        await notice.waitFor({ state: 'visible' });
        assert.equal((await notice.textContent())?.trim(), t('offline.notice'));
        assert.equal(await page.locator('li.post').count(), 1, 'her thread as she read it');
        await looksRight(page, 'her thread, offline');

        await page.goto(`${inst.url}/t/${unread.json.thread.id}`);
        await page.getByRole('heading', { name: t('offline.title'), level: 1 }).waitFor();
        await page.getByText(t('offline.text')).waitFor();
        await notice.waitFor({ state: 'visible' });
        await looksRight(page, 'the offline page');
        // The offline page itself has no live scripts: the attempts were all the thread page's.
        takeOfflineNoise('offline on her thread');
      });

      it('writes a reply offline: it waits on the phone, and is sent when she is back online', async () => {
        const { page } = phone;
        await page.goto(inst.url + threadPath);
        const reply = tag === 'ar' ? 'أكتب هذا بدون إنترنت، وسيُرسل لاحقًا.' : 'အင်တာနက်မရှိဘဲ ရေးနေသည်၊ နောက်မှ ပို့မည်။';
        const form = page.locator('#reply');
        await form.getByLabel(t('post.body')).fill(reply);
        await form.getByRole('button', { name: t('post.send') }).tap();
        const notice = page.locator('#offline-notice');
        await notice.getByText(t('offline.queued')).waitFor();
        // Nothing seems to happen, so she taps again: still one reply in the end.
        await form.getByRole('button', { name: t('post.send') }).tap();
        await notice.getByText(t('offline.queued')).waitFor();
        assert.equal(new URL(page.url()).pathname, threadPath, 'still on the thread: nothing was sent, nothing lost');
        assert.equal(await form.getByLabel(t('post.body')).inputValue(), reply, 'the text stays in the form');
        const draft = await page.evaluate((key) => localStorage.getItem(key), `parasol-draft:${threadPath}/posts`);
        assert.ok(draft?.includes(reply), `the text is kept on the phone: ${draft}`);

        const sent = page.waitForURL((url) => url.pathname === threadPath && url.hash.startsWith('#p-'));
        await slow!.setOffline(false);
        await sent;
        await page.locator('li.post .body').filter({ hasText: reply }).waitFor();
        const thread = await buddy.client.api('GET', `/threads${threadPath.slice(2)}`);
        assert.equal(thread.status, 200, thread.text);
        const replies = (thread.json.posts as { html: string }[]).filter((p) => p.html.includes(reply));
        assert.equal(replies.length, 1, `the reply is on the server, once: ${thread.text}`);
        assert.equal(await page.evaluate((key) => localStorage.getItem(key), `parasol-draft:${threadPath}/posts`), null, 'the kept copy is gone once sent');
        await page.locator('body[data-live="on"]').waitFor({ state: 'attached' });
        takeOfflineNoise('writing offline');
      });

      it('after the quick exit, nothing of hers stays on the phone: no saved page, no draft', async () => {
        const { page, context } = phone;
        await page.goto(inst.url + threadPath);
        await page.locator('body[data-live="on"]').waitFor({ state: 'attached' });
        await page.locator('#reply').getByLabel(t('post.body')).fill(tag === 'ar' ? 'مسودة لم تُرسل' : 'မပို့ရသေးသော မူကြမ်း');
        const before = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('parasol-draft:')).length);
        assert.equal(before, 1, 'a draft is kept while she types');
        await until(page, 'pages are kept', () => caches.open('parasol-pages').then((c) => c.keys()).then((k) => k.length > 0), null);

        await page.getByRole('link', { name: t('layout.quick_exit') }).tap();
        await page.waitForURL(weather.url);

        const again = await context.newPage();
        await again.goto(`${inst.url}/healthz`);
        await until(again, 'the saved pages are gone', () => caches.has('parasol-pages').then((has) => (has ? caches.open('parasol-pages').then((c) => c.keys()).then((k) => k.length === 0) : true)), null);
        assert.deepEqual(await again.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('parasol-draft:'))), [], 'no draft left');
        // Nothing the phone still holds names her: no kept response shows her handle.
        assert.deepEqual(await cachedNaming(again, who), [], 'no cached response names her');
        await again.close();
      });
    });
  }

  describe('a member already signed in when the service worker installs', () => {
    it('keeps an offline page that does not name her, and after a quick exit nothing on the phone names her', async () => {
      const ana = await member(inst, 'ana');
      const { page, context } = await chromium.person('ana, signed in', { ...PHONE, cookies: [{ name: 'psl_session', value: ana.client.cookies.get('psl_session')!, url: inst.url }] });
      await page.goto(`${inst.url}/`);
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
      await page.waitForURL(weather.url);
      const again = await context.newPage();
      await again.goto(`${inst.url}/healthz`);
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
        await page.goto(`${inst.url}/`);
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
      assert.equal(manifest.name, inst.parasol.ctx.instance.settings().name);
      assert.deepEqual(manifest.icons?.map((i) => i.src), ['/assets/umbrella.svg']);
    });

    it('in discreet mode, the installed app gets the neutral name and icon', async () => {
      const { discreetName } = inst.parasol.ctx.instance.settings();
      await inst.parasol.ctx.instance.updateSettings({ discreetByDefault: true });
      try {
        const { errors, manifest } = await installability();
        assert.deepEqual(errors, [], 'Page.getInstallabilityErrors');
        assert.equal(manifest.name, discreetName);
        assert.equal(manifest.short_name, discreetName);
        assert.deepEqual(manifest.icons?.map((i) => i.src), ['/assets/notes.svg']);
      } finally {
        await inst.parasol.ctx.instance.updateSettings({ discreetByDefault: false });
      }
    });
  });
});
