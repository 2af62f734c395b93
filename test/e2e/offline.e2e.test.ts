import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { member, type Person as ApiPerson } from '../helpers/people.js';
import { useBrowser } from './browser.js';

/** How long socket.io's client waits for a connection before it reports it failed (its `timeout` option's default). */
const SOCKET_IO_CONNECT_TIMEOUT_MS = 20_000;
/** Long enough for client/offline.js's next check of a failing network (5 s after the failure, then 10 s after that). */
const NEXT_CHECK_MS = 20_000;

/** What Chromium logs for the requests this test makes fail: nothing else may show up. */
const BROKEN_NETWORK_NOISE = /^\[[^\]]+\] console error: (?:WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/socket\.io\/[^']*' failed|Failed to load resource: net::ERR_INTERNET_DISCONNECTED)/;

/**
 * Real phones often say "online" while the network fails (a captive portal, a
 * dead mobile connection). The offline notice and the queued drafts follow
 * failed requests then, not only the browser's flag.
 */
describe('offline while the phone says online, in Chromium', function () {
  this.timeout(120_000);
  const chromium = useBrowser();
  let inst: TestInstance;
  let ana: ApiPerson;
  let threadPath: string;

  before(async () => {
    inst = await startInstance();
    ana = await member(inst, 'ana');
    const thread = await ana.client.api('POST', '/boards/general/threads', { title: 'Is the network up?', body: 'A thread to reply to.' });
    assert.equal(thread.status, 201, thread.text);
    threadPath = `/t/${thread.json.thread.id}`;
  });
  after(async () => inst?.close());

  it('shows the offline notice when requests fail, keeps a reply, and sends it once when they work again', async () => {
    const { page, context } = await chromium.person('ana', { cookies: [{ name: 'psl_session', value: ana.client.cookies.get('psl_session')!, url: inst.url }] });
    const t = (key: string) => inst.parasol.ctx.i18n.t('en', key);
    // A switch for the network, set before the page opens (WebSockets are routed through a script put in each new page).
    let broken = false;
    let refusedOnce: () => void = () => undefined;
    const refused = new Promise<void>((resolve) => (refusedOnce = resolve));
    await context.route('**/*', (route) => (broken ? route.abort('internetdisconnected') : route.fallback()));
    await context.routeWebSocket(/\/socket\.io\//, (ws) => {
      if (!broken) return ws.connectToServer();
      ws.close();
      refusedOnce();
    });
    // The page's own clock, so that its waits (socket.io's 20 s for a connection, the checks after a failure) can be
    // skipped over instead of sat through; it runs at real speed in between.
    await page.clock.install();
    await page.goto(inst.url + threadPath);
    await page.locator('body[data-live="on"]').waitFor({ state: 'attached' });
    const notice = page.locator('#offline-notice');
    assert.equal(await notice.isHidden(), true, 'online: no notice');

    // The network breaks without the browser knowing: every request fails, every WebSocket is refused, and the
    // server drops the open connection (on a phone, its pings would time out).
    broken = true;
    inst.parasol.realtime.io.of('/live').disconnectSockets(true);
    // socket.io gives up on a connection that never answers after 20 s: the notice comes then. Once the page has
    // tried to connect again, the page's clock is moved past those 20 s.
    await refused;
    await page.clock.fastForward(SOCKET_IO_CONNECT_TIMEOUT_MS);
    await notice.getByText(t('offline.notice')).waitFor({ timeout: 60_000 });
    assert.equal(await page.evaluate(() => navigator.onLine), true, 'the browser still says online');

    const reply = 'Written while the network failed.';
    const form = page.locator('#reply');
    await form.getByLabel(t('post.body')).fill(reply);
    await form.getByRole('button', { name: t('post.send') }).click();
    await notice.getByText(t('offline.queued')).waitFor();
    assert.equal(new URL(page.url()).pathname, threadPath, 'still on the thread: nothing was sent');
    const draft = await page.evaluate((key) => localStorage.getItem(key), `parasol-draft:${threadPath}/posts`);
    assert.ok(draft?.includes(reply), `the text is kept on the phone: ${draft}`);

    // The network works again: the next check finds it (the page's clock is moved to it), and the reply goes, once.
    const sent = page.waitForURL((url) => url.pathname === threadPath && url.hash.startsWith('#p-'));
    broken = false;
    await page.clock.fastForward(NEXT_CHECK_MS);
    await sent;
    await page.locator('li.post .body').filter({ hasText: reply }).waitFor();
    const thread = await ana.client.api('GET', `/threads${threadPath.slice(2)}`);
    assert.equal((thread.json.posts as { html: string }[]).filter((p) => p.html.includes(reply)).length, 1, `the reply is on the server, once: ${thread.text}`);
    await page.locator('body[data-live="on"]').waitFor({ state: 'attached' });
    assert.equal(await notice.isHidden(), true, 'online again: no notice');

    let logged: string[] = [];
    try {
      chromium.assertClean();
    } catch (error) {
      logged = (error as Error).message.split('\n').slice(1).map((line) => line.trim());
    }
    assert.deepEqual(logged.filter((line) => !BROKEN_NETWORK_NOISE.test(line)), [], 'only the failed requests were logged');
  });
});
