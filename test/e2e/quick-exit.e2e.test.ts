import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { member, type Person as ApiPerson } from '../helpers/people.js';
import { clickAndLoad, useBrowser } from './browser.js';

const WEATHER = '<!doctype html><html><head><title>Weather</title><link rel="icon" href="data:,"></head><body><h1>Weather today</h1></body></html>';

/** A neutral site on the loopback interface, standing in for the weather page so that no test reaches the Internet. */
async function startWeather(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    // /slow answers late, so that a test can look at the page being left while the neutral one loads.
    setTimeout(
      () => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(WEATHER);
      },
      req.url === '/slow' ? 1500 : 0,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('quick exit in Chromium', function () {
  this.timeout(60_000);
  const chromium = useBrowser();
  let inst: TestInstance;
  let weather: { url: string; close(): Promise<void> };
  let ana: ApiPerson;

  before(async () => {
    inst = await startInstance();
    weather = await startWeather();
    ana = await member(inst, 'ana');
  });
  after(async () => {
    await inst?.close();
    await weather?.close();
  });

  /** Admins may only choose https addresses; the local stand-in is plain http, so the test sets it on the service directly. */
  async function exitTo(path: string): Promise<string> {
    const url = `${weather.url}${path}`;
    await inst.parasol.ctx.instance.updateSettings({ quickExitUrl: url });
    return url;
  }

  /** Back from the neutral site must not lead into the forum: the forum's history entry was replaced. */
  async function assertBackLeavesForum(page: Page, entriesOnForum: number): Promise<void> {
    assert.equal(await page.evaluate(() => history.length), entriesOnForum, 'no history entry was added');
    await page.goBack();
    assert.ok(!page.url().startsWith(inst.url), `Back led to ${page.url()}`);
  }

  it('with JavaScript, Exit blanks the page at once, replaces it with the neutral site, and Back does not return', async () => {
    const url = await exitTo('/slow');
    const { page } = await chromium.person('visitor');
    const events: string[] = [];
    // Tells the test what the forum page showed once it was emptied, and when, relative to the navigation.
    await page.exposeFunction('reportBlank', (href: string, shown: string) => events.push(`blank ${href} "${shown}"`));
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) events.push(`navigated ${frame.url()}`);
    });
    await page.goto(`${inst.url}/b/general`);
    await page.getByRole('heading', { name: 'General' }).waitFor();
    await page.evaluate(() => {
      const report = (window as unknown as { reportBlank(href: string, shown: string): void }).reportBlank;
      new MutationObserver(() => report(location.href, document.title + (document.body.textContent ?? ''))).observe(document.body, { childList: true });
    });
    const entries = await page.evaluate(() => history.length);
    await page.getByRole('link', { name: 'Exit' }).click();
    await page.waitForURL(url);
    await page.getByRole('heading', { name: 'Weather today' }).waitFor();
    // The neutral site answered late: until then the forum page already showed nothing, not even its title.
    assert.deepEqual(events, [`navigated ${inst.url}/b/general`, `blank ${inst.url}/b/general ""`, `navigated ${url}`]);
    await assertBackLeavesForum(page, entries);
  });

  it('pressing Escape three times quickly does the same, even while typing; two presses do not', async () => {
    const url = await exitTo('/today');
    const { page } = await chromium.person('ana', { cookies: [{ name: 'psl_session', value: ana.client.cookies.get('psl_session')!, url: inst.url }] });
    // The page's own clock, moved on below instead of waited for.
    await page.clock.install();
    await page.goto(`${inst.url}/b/general`);
    // Signed in, the page also opens a live connection; let it settle so that leaving does not cut it mid-handshake.
    await page.locator('body[data-live="on"]').waitFor({ state: 'attached' });
    await page.getByLabel('Title').fill('Typing here');
    const entries = await page.evaluate(() => history.length);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.clock.fastForward(1700);
    await page.keyboard.press('Escape');
    assert.equal(page.url(), `${inst.url}/b/general`, 'presses spread over more than 1.5 s do not count');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.waitForURL(url);
    await page.getByRole('heading', { name: 'Weather today' }).waitFor();
    await assertBackLeavesForum(page, entries);
  });

  /** Everything this site could have left in the browser, read on a page of the site that runs none of its scripts. */
  async function leftOnPhone(page: Page) {
    await page.goto(`${inst.url}/healthz`);
    return page.evaluate(async () => ({
      localStorage: Object.keys(localStorage),
      sessionStorage: Object.keys(sessionStorage),
      caches: await caches.keys(),
      databases: (await indexedDB.databases()).map((d) => d.name),
      workers: (await navigator.serviceWorker.getRegistrations()).length,
    }));
  }

  it('Escape three times forgets everything the site kept on the phone, and the draft does not come back (a 360 px phone in Burmese)', async () => {
    const url = await exitTo('/today');
    const thread = await ana.client.api('POST', '/boards/general/threads', { title: 'Asking about police checks', body: 'Has anyone been asked for ID?' });
    const threadPath = `/t/${thread.json.thread.id}`;
    const body = inst.parasol.ctx.i18n.t('my', 'post.body');
    const { page } = await chromium.person('ana', {
      viewport: { width: 360, height: 740 },
      cookies: [
        { name: 'psl_session', value: ana.client.cookies.get('psl_session')!, url: inst.url },
        { name: 'psl_lang', value: 'my', url: inst.url },
      ],
    });
    await page.goto(`${inst.url}/`);
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await page.goto(inst.url + threadPath);
    await page.locator('body[data-live="on"]').waitFor({ state: 'attached' });
    // The service worker keeps the pages read, and a page may have kept more: each kind of storage holds something.
    await page.waitForFunction(async () => (await (await caches.open('parasol-pages')).keys()).length > 0);
    await page.evaluate(async () => {
      sessionStorage.setItem('seen', 'yes');
      await new Promise((done) => {
        const open = indexedDB.open('kept');
        open.onupgradeneeded = () => open.result.createObjectStore('things');
        open.onsuccess = () => {
          open.result.close();
          done(null);
        };
      });
    });
    const reply = 'Half-written: the police asked me at the door';
    assert.equal(await page.getAttribute('html', 'lang'), 'my');
    await page.locator('#reply').getByLabel(body).fill(reply);
    await page.waitForFunction((key) => localStorage.getItem(key) !== null, `parasol-draft:${threadPath}/posts`);
    const before = await page.evaluate(async () => ({ caches: (await caches.keys()).length, databases: (await indexedDB.databases()).length }));
    assert.ok(before.caches >= 2 && before.databases === 1, JSON.stringify(before));

    const exitAnswer = page.waitForResponse((response) => new URL(response.url()).pathname === '/exit');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    const answer = await exitAnswer;
    assert.equal((await answer.allHeaders())['clear-site-data'], '"cache", "storage"', 'the server was asked to clear the HTTP cache and storage');
    await page.waitForURL(url);

    assert.deepEqual(await leftOnPhone(page), { localStorage: [], sessionStorage: [], caches: [], databases: [], workers: 0 });
    await page.goto(inst.url + threadPath);
    assert.equal(await page.locator('#reply').getByLabel(body).inputValue(), '', 'no draft comes back');
    assert.equal(await page.locator('#offline-notice').isHidden(), true, 'nothing says a draft was restored');
  });

  it('without JavaScript, the Exit link is a plain link to the neutral site', async () => {
    const url = await exitTo('/today');
    const { page } = await chromium.person('visitor without JavaScript', { javaScriptEnabled: false });
    await page.goto(`${inst.url}/rights`);
    await clickAndLoad(page, page.getByRole('link', { name: 'Exit' }));
    assert.equal(page.url(), url);
    await page.getByRole('heading', { name: 'Weather today' }).waitFor();
  });
});
