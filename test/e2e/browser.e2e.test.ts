import assert from 'node:assert/strict';
import type { Browser, BrowserContext } from 'playwright-core';
import { isLocalUrl, unsafeMarkup, useBrowser } from './browser.js';

/** What the first suite below leaves for the second: its browser, and a context it never closed. */
let firstBrowser: Browser | undefined;
let leftOpen: BrowserContext | undefined;

/** The safety net of every browser test must itself be tested: each kind of problem is caught. */
describe('the browser test helper', function () {
  this.timeout(60_000);
  const chromium = useBrowser();

  it('tells the loopback instance from every other host', () => {
    for (const url of ['http://127.0.0.1:4000/t/abc', 'https://localhost/x', 'ws://127.0.0.1:4000/socket.io/?EIO=4', 'data:image/png;base64,AAAA', 'about:blank']) {
      assert.equal(isLocalUrl(url), true, url);
    }
    for (const url of ['https://evil.example/x.js', 'http://127.0.0.1.evil.example/', 'http://localhost.evil.example/', 'http://evil.example/?127.0.0.1', 'wss://evil.example/', 'file:///etc/passwd', 'chrome://settings', 'not a url']) {
      assert.equal(isLocalUrl(url), false, url);
    }
  });

  it('catches an alert, and dismisses it so that the page goes on', async () => {
    const { page } = await chromium.person('alerted');
    await page.evaluate(() => alert('planted'));
    assert.throws(() => chromium.assertClean(), /\[alerted\] alert dialog "planted"/);
  });

  it('catches a console error', async () => {
    const { page, context } = await chromium.person('console');
    await Promise.all([context.waitForEvent('console'), page.evaluate(() => console.error('planted error'))]);
    assert.throws(() => chromium.assertClean(), /\[console\] console error: planted error/);
  });

  it('catches an uncaught exception', async () => {
    const { page, context } = await chromium.person('thrower');
    await Promise.all([
      context.waitForEvent('weberror'),
      page.evaluate(() => {
        setTimeout(() => {
          throw new Error('planted exception');
        }, 0);
      }),
    ]);
    assert.throws(() => chromium.assertClean(), /\[thrower\] uncaught exception: Error: planted exception/);
  });

  it('blocks a request to another host, named or by address, and reports it', async () => {
    const { page, context } = await chromium.person('leaky');
    const urls = ['https://evil.example/pixel.png', 'http://192.0.2.1/pixel.png'];
    const failed = urls.map((url) => context.waitForEvent('requestfailed', { predicate: (r) => r.url() === url }));
    const logged = context.waitForEvent('console', { predicate: (m) => m.type() === 'error' });
    await page.setContent(`<p>hello</p>${urls.map((url) => `<img src="${url}">`).join('')}`);
    for (const request of await Promise.all(failed)) {
      // Refused by the proxy that is not there (CHROMIUM_ARGS): no connection to the host was tried.
      assert.match(request.failure()?.errorText ?? '', /PROXY_CONNECTION_FAILED/, `${request.url()} stopped before it left the machine`);
    }
    await logged;
    let reported = '';
    assert.throws(() => {
      try {
        chromium.assertClean();
      } catch (error) {
        reported = (error as Error).message;
        throw error;
      }
    });
    for (const url of urls) assert.ok(reported.includes(`request to another host: GET ${url}`), reported);
  });

  it('finds markup in member text that the allow-list does not allow', async () => {
    const { page } = await chromium.person('markup');
    await page.setContent(`<ol>
<li class="post"><div class="body"><p><strong>fine</strong> <a href="https://example.org/" rel="nofollow noopener noreferrer ugc">link</a></p></div></li>
<li class="post"><div class="body"><p class="x">styled</p><img alt="" data-x="1"><a href="javascript:void 0" rel="nofollow">bad link</a></div></li>
</ol><button onfocus="void 0">outside</button>`);
    const found = await unsafeMarkup(page, '.post .body');
    assert.deepEqual(found, [
      'class="x" on <p> in member text',
      '<img> in member text: <img alt="" data-x="1">',
      'alt="" on <img> in member text',
      'data-x="1" on <img> in member text',
      'link to "javascript:void 0" in member text',
      'link without rel noopener: <a href="javascript:void 0" rel="nofollow">bad link</a>',
      'link without rel noreferrer: <a href="javascript:void 0" rel="nofollow">bad link</a>',
      'link without rel ugc: <a href="javascript:void 0" rel="nofollow">bad link</a>',
      'onfocus on <button> on the page',
    ]);
  });

  describe('one test, one browser', () => {
    let earlier: BrowserContext | undefined;
    const story = chromium.lasting('story');

    it('gives a test its own context', async () => {
      earlier = (await chromium.person('short-lived')).context;
      await story.page.setContent('<p id="step">one</p>');
    });

    it('has closed the contexts of the test before, and keeps a lasting person for the whole describe', async () => {
      assert.ok(earlier, 'the test before ran');
      await assert.rejects(earlier.newPage(), /closed/, 'the earlier test\'s context is closed');
      assert.equal(await story.page.locator('#step').textContent(), 'one', 'the lasting person kept its page');
    });
  });

  it('leaves a context it made on the browser itself open', async () => {
    firstBrowser = chromium.browser;
    leftOpen = await chromium.browser.newContext();
    await leftOpen.newPage();
  });
});

/** The next suite, as the next browser test file would be: the same Chromium, and nothing left of the suite before. */
describe('the browser test helper, one suite later', function () {
  this.timeout(60_000);
  const chromium = useBrowser();

  it('shares the Chromium of the run, in which the suite before has no context left', async () => {
    assert.ok(firstBrowser && leftOpen, 'the suite before ran');
    assert.equal(chromium.browser, firstBrowser, 'one Chromium for the run');
    assert.equal(chromium.browser.contexts().includes(leftOpen), false);
    await assert.rejects(leftOpen.newPage(), /closed/, 'the context the suite before left open was closed after it');
  });
});
