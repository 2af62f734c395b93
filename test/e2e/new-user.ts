import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { formatDuration } from '../../server/i18n/format.js';
import { handle, PASS } from '../helpers/client.js';
import { member, type Person as ApiPerson } from '../helpers/people.js';
import { SlowPhone } from './throttle.js';
import { useBrowser } from './browser.js';
import { cachedNaming, catalogue, OFFLINE_SOCKET_NOISE, PHONE, tapAndLoad, until, useSite } from './phone.js';

/**
 * Issue #8, "Done when": a new user, on a 360 px wide phone with a Fast-3G
 * connection and a slow CPU, in Arabic and in Burmese (a test file for each,
 * every-worker-ar and every-worker-my, so that they run side by side), does
 * everything through the pages, finding each control by the words of her own
 * language as the catalogue has them: picks the language (no account), signs
 * up, reads a board, posts a thread, screens a client, starts a safety
 * check-in. And, having read a thread, she goes on reading it offline, writes
 * a reply that waits for the connection, and leaves nothing behind after a
 * quick exit.
 */
export function describeNewUser(tag: 'ar' | 'my'): void {
  describe('every worker can use it, in Chromium', function () {
    this.timeout(180_000);
    const chromium = useBrowser();
    const site = useSite();

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
        return params ? site.inst.parasol.ctx.i18n.t(tag, key, params) : (text as string);
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
        buddy = await member(site.inst, 'buddy');
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
        await page.goto(`${site.inst.url}/`);
        // The service worker now fetches her pages: it gets the same slow connection.
        await slow.throttleServiceWorker(chromium.browser);
        // Her phone is set to English: the picker speaks English until she chooses, each language named in itself.
        const footer = page.getByRole('contentinfo');
        await footer.getByLabel(english['layout.language'] as string).selectOption({ label: texts.$meta.name });
        await tapAndLoad(page, footer.getByRole('button', { name: english['layout.language_go'] as string }));
        assert.equal(new URL(page.url()).pathname, '/');
        await page.getByRole('heading', { name: t('home.welcome', { name: site.inst.parasol.ctx.instance.settings().name }), level: 1 }).waitFor();
        await looksRight(page, 'home');
        // It sticks: the next page is in her language too.
        await page.goto(`${site.inst.url}/rights`);
        await looksRight(page, 'rights');
      });

      it('signs up', async () => {
        const { page } = phone;
        await page.goto(`${site.inst.url}/`);
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
        await page.goto(`${site.inst.url}/`);
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

        await page.goto(`${site.inst.url}/t/${unread.json.thread.id}`);
        await page.getByRole('heading', { name: t('offline.title'), level: 1 }).waitFor();
        await page.getByText(t('offline.text')).waitFor();
        await notice.waitFor({ state: 'visible' });
        await looksRight(page, 'the offline page');
        // The offline page itself has no live scripts: the attempts were all the thread page's.
        takeOfflineNoise('offline on her thread');
      });

      it('writes a reply offline: it waits on the phone, and is sent when she is back online', async () => {
        const { page } = phone;
        await page.goto(site.inst.url + threadPath);
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
        await page.goto(site.inst.url + threadPath);
        await page.locator('body[data-live="on"]').waitFor({ state: 'attached' });
        await page.locator('#reply').getByLabel(t('post.body')).fill(tag === 'ar' ? 'مسودة لم تُرسل' : 'မပို့ရသေးသော မူကြမ်း');
        const before = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('parasol-draft:')).length);
        assert.equal(before, 1, 'a draft is kept while she types');
        await until(page, 'pages are kept', () => caches.open('parasol-pages').then((c) => c.keys()).then((k) => k.length > 0), null);

        await page.getByRole('link', { name: t('layout.quick_exit') }).tap();
        await page.waitForURL(site.weather.url);

        const again = await context.newPage();
        await again.goto(`${site.inst.url}/healthz`);
        await until(again, 'the saved pages are gone', () => caches.has('parasol-pages').then((has) => (has ? caches.open('parasol-pages').then((c) => c.keys()).then((k) => k.length === 0) : true)), null);
        assert.deepEqual(await again.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('parasol-draft:'))), [], 'no draft left');
        // Nothing the phone still holds names her: no kept response shows her handle.
        assert.deepEqual(await cachedNaming(again, who), [], 'no cached response names her');
        await again.close();
      });
    });
  });
}
