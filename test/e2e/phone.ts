/**
 * What the browser tests of issue #8 share (every-worker*.e2e.test.ts): a cheap phone, the pages' own ways of
 * telling what the phone keeps, and an instance whose quick exit stays on the loopback interface.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { projectRoot } from '../../server/paths.js';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { ACTION_TIMEOUT } from './browser.js';

export type Catalogue = Record<string, unknown> & { $meta: { name: string; dir: 'ltr' | 'rtl' } };

export function catalogue(tag: string): Catalogue {
  return JSON.parse(fs.readFileSync(path.join(projectRoot, 'locales', `${tag}.json`), 'utf8')) as Catalogue;
}

/** A cheap Android phone: 360 x 740 CSS pixels, touch. */
export const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } as const;

const WEATHER = '<!doctype html><html><head><title>Weather</title><link rel="icon" href="data:,"></head><body><h1>Weather today</h1></body></html>';

/** A neutral page on the loopback interface for the quick exit to lead to, so that no test reaches the Internet. */
async function startWeather(): Promise<Weather> {
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
export async function tapAndLoad(page: Page, target: Locator): Promise<void> {
  const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() });
  await target.tap();
  await navigated;
  await page.waitForLoadState('load');
}

/** What Chromium logs when socket.io cannot connect because the phone is offline (a WebSocket, then long-polling). */
export const OFFLINE_SOCKET_NOISE =
  /^\[[^\]]+\] console error: (?:WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/socket\.io\/\?EIO=4&transport=websocket' failed: Error in connection establishment: net::ERR_INTERNET_DISCONNECTED|Failed to load resource: net::ERR_INTERNET_DISCONNECTED \(http:\/\/127\.0\.0\.1:\d+\/socket\.io\/\?EIO=4&transport=polling&t=[\w-]+:0\)) \(?/;

/** Waits until `check`, run in the page, holds: for what only a promise in the page can tell (the caches). */
export async function until(page: Page, what: string, check: (arg: string | null) => Promise<boolean>, arg: string | null): Promise<void> {
  const deadline = Date.now() + ACTION_TIMEOUT;
  while (!(await page.evaluate(check, arg))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what} on ${page.url()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Reads `read` until `done` says yes or the action timeout passes; returns the last value read. */
export async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + ACTION_TIMEOUT;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

/** Every response the site's caches hold on the phone whose text contains `text`, as "cache: URL". */
export async function cachedNaming(page: Page, text: string): Promise<string[]> {
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

export interface Weather {
  readonly url: string;
  close(): Promise<void>;
}

export interface Site {
  readonly inst: TestInstance;
  readonly weather: Weather;
}

/** An instance whose quick exit leads to the neutral page above, on loopback. */
async function startSite(): Promise<Site> {
  const inst = await startInstance();
  const weather = await startWeather();
  // Admins may only choose https addresses; the local stand-in is plain http, so it is set on the service directly.
  await inst.parasol.ctx.instance.updateSettings({ quickExitUrl: weather.url });
  return { inst, weather };
}

/** Inside a describe: the site, started before its tests and stopped after them. */
export function useSite(): Site {
  const site = {} as { inst: TestInstance; weather: Weather };
  before(async () => {
    Object.assign(site, await startSite());
  });
  after(async () => {
    await site.inst?.close();
    await site.weather?.close();
  });
  return site;
}
