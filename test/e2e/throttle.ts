/**
 * A cheap phone on a slow connection, for browser tests: Chrome DevTools'
 * "Fast 3G" preset and a CPU four times slower than the test machine's.
 */
import type { Browser, CDPSession, Page } from 'playwright-core';

/** DevTools' Fast 3G: 562.5 ms round trip, 1.44 Mbit/s down (180 000 B/s), 675 kbit/s up (84 375 B/s). */
export const FAST_3G = Object.freeze({ offline: false, latency: 562.5, downloadThroughput: 180_000, uploadThroughput: 84_375 });

/** How much slower than this machine the phone's CPU is taken to be. */
export const CPU_SLOWDOWN = 4;

type Send = (method: string, params?: object) => Promise<void>;

/**
 * One page throttled like a cheap phone on Fast 3G, and, once it has one, the
 * service worker that controls it.
 *
 * A page's throttle does not reach its service worker: once the worker
 * controls the page, navigations are fetched by the worker at full speed,
 * so `throttleServiceWorker` throttles the worker too.
 *
 * Network conditions set through these sessions outlast Playwright's own:
 * `context.setOffline()` alone does not take a throttled page offline. Use
 * `setOffline` here, which does both.
 */
export class SlowPhone {
  private readonly sessions: Send[] = [];
  private readonly closers: (() => Promise<void>)[] = [];

  private constructor(readonly page: Page) {}

  /** Throttles the page's network and CPU, for every document it loads from now on. */
  static async of(page: Page): Promise<SlowPhone> {
    const phone = new SlowPhone(page);
    const cdp: CDPSession = await page.context().newCDPSession(page);
    const send: Send = async (method, params = {}) => {
      await cdp.send(method as 'Network.enable', params);
    };
    await send('Network.enable');
    await send('Network.emulateNetworkConditions', { ...FAST_3G });
    await send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
    phone.sessions.push(send);
    phone.closers.push(() => cdp.detach());
    return phone;
  }

  /**
   * Throttles the service worker that controls the page (waits until one does).
   * Playwright gives no CDP session for a worker: this attaches to the worker's
   * target from a browser session, in the non-flattened mode whose messages
   * travel inside Target.sendMessageToTarget.
   */
  async throttleServiceWorker(browser: Browser): Promise<void> {
    const { page } = this;
    await page.waitForFunction(() => navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller !== null));
    const pageSession = await page.context().newCDPSession(page);
    const { targetInfo } = await pageSession.send('Target.getTargetInfo');
    await pageSession.detach();
    const cdp = await browser.newBrowserCDPSession();
    this.closers.push(() => cdp.detach());
    const origin = new URL(page.url()).origin;
    const { targetInfos } = await cdp.send('Target.getTargets');
    const worker = targetInfos.find((t) => t.type === 'service_worker' && t.browserContextId === targetInfo.browserContextId && t.url.startsWith(`${origin}/`));
    if (!worker) throw new Error(`no service worker target for ${page.url()}: ${JSON.stringify(targetInfos.map((t) => [t.type, t.url]))}`);
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false });

    let lastId = 0;
    const answers = new Map<number, { resolve(): void; reject(error: Error): void }>();
    cdp.on('Target.receivedMessageFromTarget', (event) => {
      if (event.sessionId !== sessionId) return;
      const message = JSON.parse(event.message) as { id?: number; error?: { message: string } };
      const waiting = message.id === undefined ? undefined : answers.get(message.id);
      if (!waiting) return;
      answers.delete(message.id!);
      if (message.error) waiting.reject(new Error(`service worker CDP: ${message.error.message}`));
      else waiting.resolve();
    });
    const send: Send = (method, params = {}) =>
      new Promise<void>((resolve, reject) => {
        const id = ++lastId;
        answers.set(id, { resolve, reject });
        cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
      });
    await send('Network.enable');
    await send('Network.emulateNetworkConditions', { ...FAST_3G });
    this.sessions.push(send);
  }

  /**
   * Takes the phone off the network and back (still on Fast 3G then), for the page, its worker, and Playwright's
   * context. Back online, the worker comes first: the page's "online" event may send a form at once, whose answer
   * the worker fetches.
   */
  async setOffline(offline: boolean): Promise<void> {
    const context = this.page.context();
    if (offline) await context.setOffline(true);
    for (const send of offline ? this.sessions : [...this.sessions].reverse()) await send('Network.emulateNetworkConditions', { ...FAST_3G, offline });
    if (!offline) await context.setOffline(false);
  }

  async release(): Promise<void> {
    for (const close of this.closers.splice(0)) await close().catch(() => undefined);
  }
}
