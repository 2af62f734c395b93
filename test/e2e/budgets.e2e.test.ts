import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import type { BrowserContext, CDPSession, Page, Request } from 'playwright-core';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member, moderator, type Person as ApiPerson } from '../helpers/people.js';
import { invite, newRoom, say } from '../rooms/helpers.js';
import { FAST_3G, SlowPhone } from './throttle.js';
import { useBrowser, type Person } from './browser.js';

/**
 * Budgets for cheap phones and costly data (issue #8): the bytes a page costs
 * over the wire, compressed, counted in Chromium, and how soon a thread can be
 * read on a Fast 3G connection with a slow CPU.
 *
 * Bytes are counted twice, and both counts must be under the budget:
 *  - by the browser (CDP): `encodedDataLength` of every `Network.loadingFinished`
 *    of the page (headers and compressed body), plus the same for every request
 *    the service worker makes (Playwright reports those from the worker's own
 *    CDP session), plus the payload of every WebSocket frame;
 *  - by the server: the bytes it wrote on every connection during the load.
 *    Chromium reports only the headers of the service worker's own script, and
 *    no WebSocket handshake, so this count is the one that misses nothing.
 *
 * A first visit registers the service worker (client/offline.js does, on every
 * page), which fetches the app shell at install. Those bytes travel over the
 * wire on that first visit, so they count; the failure message shows them apart.
 */

const KB = 1024;
const BUDGET = { firstVisit: 50 * KB, repeatVisit: 10 * KB, room: 60 * KB };

/** The only images a text page may load: the icon sprite and the two favicons (normal and discreet). */
const ALLOWED_IMAGES = new Set(['/assets/icons.svg', '/assets/umbrella.svg', '/assets/notes.svg']);

// ---- a realistic thread ------------------------------------------------------------------------

/** Sentences as peers write them; posts are put together from them, so that pages compress as real ones would. */
const SENTENCES = [
  'I have been doing outcalls for about three years now and the thing that keeps me safest is a buddy who knows where I am.',
  'Before I go anywhere I text the address, the name the client gave me and the time I expect to be done.',
  'If I have not checked in twenty minutes after that, she calls me, and if I do not answer she calls the hotel front desk.',
  'It sounds like a lot of work but after a few weeks it becomes a habit, like putting on a seatbelt.',
  'The screening board has saved me at least twice this year, both times from the same man using different numbers.',
  'He always asks for a discount at the door, and when you say no he gets loud and blocks the way out.',
  'Please write down the exact words he uses, because that is how other people recognise him.',
  'My bank closed my account last spring without any explanation and it took me four months to open a new one.',
  'What worked in the end was a small credit union where nobody asked what my income came from.',
  'Keep copies of every statement somewhere that is not your phone, in case the phone is taken or checked.',
  'I agree with everything above, and I would add that you should never let a client hold your phone, not even for a photo.',
  'The outreach van comes on Tuesdays and Fridays now, and they have test kits and condoms and a nurse who does not judge.',
  'If you are new here, read the pinned thread about rights when stopped by the police, it is short and it is in six languages.',
  'You do not have to answer questions about your work, and you can ask whether you are free to go.',
  'The legal clinic on the second floor of the community centre is free on the first Monday of every month.',
  'Last week a landlord tried to raise my rent because he guessed what I do, and the tenants group helped me push back.',
  'It helped to have everything in writing, so I stopped agreeing to anything by phone.',
  'For anyone working from home, a doorbell camera and a second lock on the bedroom door are worth every penny.',
  'I keep the money in two places so that if something goes wrong I do not lose a whole week of earnings.',
  'Sometimes the hardest part is not the clients but the loneliness, and this forum has really helped with that.',
  'Thank you all for being here, I read this thread every night before I go to sleep.',
  'I tried the new payment app and it froze my balance after two days, so I would stay away from it for now.',
  'Cash is still the safest for me, but I count it in front of the client and I never leave it in the room.',
  'My advice for the first month: set your rates, write them down, and do not let anyone talk you below them.',
  'The clients who push on price in the first message are almost always the ones who push on everything else later.',
  'There is a peer meeting at the centre on Thursday evenings, no names needed, and there is always tea.',
  'If English is not your first language you can switch the site to your own language at the bottom of every page.',
  'I was scared to post here at first, but nobody has ever asked who I am or where I live.',
  'A friend was robbed last month by a man who booked through a fake agency page, so check the number on the board first.',
  'He called himself a driver for the agency and asked for the money up front, then he was gone.',
  'Nobody should have to deal with that alone, so please do ask for help here or in the support room.',
  'When I feel unsafe I use the quick exit at the top of the page, it takes me straight to the weather.',
];

/** A small deterministic generator: the same thread on every run. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/** A post of a few paragraphs, now and then with emphasis or a list, as members write them. */
function postBody(next: () => number, n: number): string {
  const pick = () => SENTENCES[Math.floor(next() * SENTENCES.length)]!;
  const paragraphs: string[] = [];
  const count = 2 + Math.floor(next() * 3);
  for (let p = 0; p < count; p++) {
    const sentences = Array.from({ length: 2 + Math.floor(next() * 2) }, pick);
    paragraphs.push(sentences.join(' '));
  }
  if (n % 5 === 2) paragraphs[0] = `**Important:** ${paragraphs[0]}`;
  if (n % 7 === 3) paragraphs.push(['- a buddy who knows where you are', '- the number checked on the board first', '- money in two places'].join('\n'));
  return paragraphs.join('\n\n');
}

/** A thread of exactly `posts` posts (a thread page shows 30 at once) by several members, about half the replies quoting. */
async function seedThread(authors: readonly ApiPerson[], posts: number): Promise<string> {
  const next = sequence(8);
  const [first, ...others] = authors;
  const made = await first!.client.api('POST', '/boards/general/threads', { title: 'Staying safe on outcalls: what works for you?', body: postBody(next, 0) });
  assert.equal(made.status, 201, made.text);
  const threadId: string = made.json.thread.id;
  let previous: string = made.json.post.id;
  for (let n = 1; n < posts; n++) {
    const author = others[n % others.length]!;
    const reply = await author.client.api('POST', `/threads/${threadId}/posts`, {
      body: postBody(next, n),
      ...(n % 2 === 0 ? { quoteOf: previous } : {}),
      ...(n % 6 === 5 ? { anonymous: true } : {}),
    });
    assert.equal(reply.status, 201, reply.text);
    previous = reply.json.post.id;
  }
  return threadId;
}

// ---- counting bytes ----------------------------------------------------------------------------

interface Transfer {
  readonly url: string;
  readonly bytes: number;
  readonly kind: string;
}

interface PageRequest {
  url: string;
  type: string;
  mimeType?: string;
  status?: number;
  fromServiceWorker?: boolean;
  fromCache?: boolean;
  bytes?: number;
  failed?: string;
}

interface WireCount {
  /** Bytes of the page's own requests that came over the network (not from the service worker or a cache). */
  readonly page: number;
  /** Bytes of the requests the service worker made (its install fetches included). */
  readonly worker: number;
  /** Of `worker`: the install fetches (the app shell), made while no page was controlled yet. */
  readonly workerInstall: number;
  /** Payload bytes of WebSocket frames, both ways. */
  readonly frames: number;
  readonly browserTotal: number;
  /** Bytes the server wrote on all its connections. */
  readonly serverTotal: number;
  readonly pageRequests: readonly PageRequest[];
  readonly workerRequests: readonly Transfer[];
  describe(): string;
}

/**
 * Counts what one page load costs: start it before navigating, `settled()`
 * after, `count()` then. One meter per page; it stays attached until closed.
 */
class WireMeter {
  private readonly pageRequests = new Map<string, PageRequest>();
  private readonly workerRequests: Transfer[] = [];
  private readonly workerPending = new Set<Request>();
  private readonly workerSizes: Promise<void>[] = [];
  private readonly sockets = new Map<string, { url: string; sent: string[]; received: string[]; open: boolean }>();
  private frames = 0;
  private serverStart = new Map<Socket, number>();
  private controlled = false;
  private readonly waiters: (() => void)[] = [];

  private constructor(
    private readonly inst: TestInstance,
    private readonly serverSockets: Set<Socket>,
    private readonly context: BrowserContext,
    readonly cdp: CDPSession,
  ) {}

  static async attach(inst: TestInstance, serverSockets: Set<Socket>, page: Page): Promise<WireMeter> {
    const cdp = await page.context().newCDPSession(page);
    const meter = new WireMeter(inst, serverSockets, page.context(), cdp);
    meter.listen();
    await cdp.send('Network.enable');
    // The page may load from this instance and nothing else; the harness reports any other host, this stops it too.
    const origin = new URL(inst.url);
    await cdp.send('Network.setBlockedURLs', {
      urlPatterns: [
        { urlPattern: `http://${origin.host}/*`, block: false },
        { urlPattern: `ws://${origin.host}/*`, block: false },
        { urlPattern: '*://*/*', block: true },
      ],
    });
    return meter;
  }

  private changed(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private listen(): void {
    const { cdp } = this;
    cdp.on('Network.requestWillBeSent', (e) => {
      // A redirect reuses the request id: the first leg's bytes are reported with the redirect, keep them.
      const earlier = this.pageRequests.get(e.requestId);
      if (earlier && e.redirectResponse) this.pageRequests.set(`${e.requestId}#${earlier.url}`, { ...earlier, status: e.redirectResponse.status, bytes: e.redirectResponse.encodedDataLength });
      this.pageRequests.set(e.requestId, { url: e.request.url, type: e.type ?? 'Other' });
      this.changed();
    });
    cdp.on('Network.responseReceived', (e) => {
      const seen = this.pageRequests.get(e.requestId);
      if (!seen) return;
      seen.status = e.response.status;
      seen.mimeType = e.response.mimeType;
      seen.fromServiceWorker = e.response.fromServiceWorker === true;
      seen.fromCache = e.response.fromDiskCache === true || e.response.fromPrefetchCache === true;
    });
    cdp.on('Network.loadingFinished', (e) => {
      const seen = this.pageRequests.get(e.requestId);
      if (seen) seen.bytes = e.encodedDataLength;
      this.changed();
    });
    cdp.on('Network.loadingFailed', (e) => {
      const seen = this.pageRequests.get(e.requestId);
      if (seen) seen.failed = e.errorText;
      this.changed();
    });
    cdp.on('Network.webSocketCreated', (e) => {
      this.sockets.set(e.requestId, { url: e.url, sent: [], received: [], open: true });
      this.changed();
    });
    cdp.on('Network.webSocketClosed', (e) => {
      const socket = this.sockets.get(e.requestId);
      if (socket) socket.open = false;
      this.changed();
    });
    cdp.on('Network.webSocketFrameSent', (e) => {
      this.frames += e.response.payloadData.length;
      this.sockets.get(e.requestId)?.sent.push(e.response.payloadData);
      this.changed();
    });
    cdp.on('Network.webSocketFrameReceived', (e) => {
      this.frames += e.response.payloadData.length;
      this.sockets.get(e.requestId)?.received.push(e.response.payloadData);
      this.changed();
    });
    // The service worker's own fetches are not the page's: Playwright follows them on the worker's CDP session.
    this.context.on('request', (request) => {
      if (!request.serviceWorker()) return;
      this.workerPending.add(request);
      this.changed();
    });
    const workerDone = (request: Request) => {
      if (!this.workerPending.delete(request)) return;
      const install = !this.controlled;
      this.workerSizes.push(
        request.sizes().then(
          // headers + body = encodedDataLength of the worker's Network.loadingFinished (Playwright splits it).
          (sizes) => void this.workerRequests.push({ url: request.url(), bytes: Math.max(0, sizes.responseHeadersSize + sizes.responseBodySize), kind: install ? 'install' : 'fetch' }),
          () => void this.workerRequests.push({ url: request.url(), bytes: 0, kind: 'failed' }),
        ),
      );
      this.changed();
    };
    this.context.on('requestfinished', workerDone);
    this.context.on('requestfailed', workerDone);
  }

  /** Starts counting: call before navigating. On a first visit, what the worker fetches until it controls the page is its install. */
  start(firstVisit: boolean): void {
    this.pageRequests.clear();
    this.workerRequests.length = 0;
    this.workerSizes.length = 0;
    this.sockets.clear();
    this.frames = 0;
    this.controlled = !firstVisit;
    this.serverStart = new Map([...this.serverSockets].map((s) => [s, s.bytesWritten]));
  }

  private busy(expectedSockets: number): string | null {
    const pending = [...this.pageRequests.values()].filter((r) => r.bytes === undefined && r.failed === undefined);
    if (pending.length) return `page requests in flight: ${pending.map((r) => r.url).join(', ')}`;
    if (this.workerPending.size) return `service worker requests in flight: ${[...this.workerPending].map((r) => r.url()).join(', ')}`;
    if (this.sockets.size < expectedSockets) return `${this.sockets.size} of ${expectedSockets} WebSocket(s) opened`;
    for (const socket of this.sockets.values()) {
      if (!socket.open) continue;
      // socket.io: every namespace asked for (40/ns,) is answered, and every event sent with an acknowledgement id (42/ns,ID[…]) is acknowledged (43/ns,ID[…]).
      const connects = socket.sent.filter((f) => /^40/.test(f)).length;
      const connected = socket.received.filter((f) => /^4[04]/.test(f)).length;
      const asked = socket.sent.filter((f) => /^42(?:\/[^,]*,)?\d+\[/.test(f)).length;
      const answered = socket.received.filter((f) => /^43(?:\/[^,]*,)?\d+\[/.test(f)).length;
      if (connected < connects || answered < asked || connects === 0) return `WebSocket ${socket.url} not settled: sent ${JSON.stringify(socket.sent)}, received ${JSON.stringify(socket.received)}`;
    }
    return null;
  }

  /**
   * Waits until the load is over: on a first visit the service worker is active and controls
   * the page (its install fetches are done), no request is in flight, and the page's live
   * connections are open with every subscription acknowledged.
   */
  async settled(page: Page, options: { sockets: number; firstVisit: boolean }): Promise<void> {
    await page.waitForLoadState('load');
    if (options.firstVisit) {
      await page.waitForFunction(() => navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller !== null));
      this.controlled = true;
    }
    const deadline = Date.now() + 20_000;
    for (;;) {
      const why = this.busy(options.sockets);
      if (!why) break;
      if (Date.now() > deadline) throw new Error(`the page load did not settle: ${why}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        // Also look again now and then: a socket's answer may be counted before its waiter is here.
        setTimeout(resolve, 250);
      });
    }
    await Promise.all(this.workerSizes);
  }

  count(): WireCount {
    const pageRequests = [...this.pageRequests.values()];
    // A response from the service worker came over the wire only as the worker's own fetch, counted there.
    const page = pageRequests.filter((r) => !r.fromServiceWorker).reduce((n, r) => n + (r.bytes ?? 0), 0);
    const worker = this.workerRequests.reduce((n, r) => n + r.bytes, 0);
    const workerInstall = this.workerRequests.filter((r) => r.kind === 'install').reduce((n, r) => n + r.bytes, 0);
    const serverTotal = [...this.serverSockets].reduce((n, s) => n + s.bytesWritten - (this.serverStart.get(s) ?? 0), 0);
    const browserTotal = page + worker + this.frames;
    const workerRequests = [...this.workerRequests];
    const frames = this.frames;
    return {
      page,
      worker,
      workerInstall,
      frames,
      browserTotal,
      serverTotal,
      pageRequests,
      workerRequests,
      describe() {
        const lines = [
          `browser count ${browserTotal} B = page ${page} B + service worker ${worker} B (of which install, the app shell: ${workerInstall} B) + WebSocket frames ${frames} B; the server wrote ${serverTotal} B`,
          '  page requests (bytes over the wire; "sw" = answered by the service worker, "cache" = from the HTTP cache):',
          ...pageRequests.map((r) => `    ${r.fromServiceWorker ? 'sw   ' : r.fromCache ? 'cache' : `${String(r.bytes ?? '?').padStart(5)}`} ${r.status ?? r.failed ?? '?'} ${r.type} ${r.url}`),
          '  service worker requests:',
          ...workerRequests.map((r) => `    ${String(r.bytes).padStart(5)} ${r.kind} ${r.url}`),
        ];
        return lines.join('\n');
      },
    };
  }
}

/** No web font, and no image but the icon sprite and the favicon, on a text page. */
function assertTextPageOnly(counted: WireCount, what: string): void {
  const problems: string[] = [];
  for (const r of counted.pageRequests) {
    const path = new URL(r.url).pathname;
    if (r.type === 'Font' || r.mimeType?.startsWith('font/') || /\.(woff2?|ttf|otf|eot)$/i.test(path)) problems.push(`a web font: ${r.url}`);
    if ((r.type === 'Image' || r.mimeType?.startsWith('image/')) && !ALLOWED_IMAGES.has(path)) problems.push(`an image: ${r.url} (${r.mimeType ?? r.type})`);
  }
  for (const r of counted.workerRequests) {
    const path = new URL(r.url).pathname;
    if (/\.(woff2?|ttf|otf|eot|png|jpe?g|gif|webp|avif)$/i.test(path)) problems.push(`the service worker fetched ${r.url}`);
  }
  assert.deepEqual(problems, [], `${what}: a text page loads no web font and no image but the icons\n${counted.describe()}`);
}

function assertUnder(counted: WireCount, budget: number, what: string): void {
  if (process.env.BUDGETS_VERBOSE) console.log(`${what}\n${counted.describe()}`);
  const message = `${what}: budget ${budget} B (${budget / KB} KB)\n${counted.describe()}`;
  assert.ok(counted.browserTotal < budget, `over budget as the browser counts it: ${message}`);
  assert.ok(counted.serverTotal < budget, `over budget as the server counts it: ${message}`);
}

describe('page weight and speed budgets in Chromium', function () {
  this.timeout(90_000);
  const chromium = useBrowser();
  let inst: TestInstance;
  let ana: ApiPerson;
  let threadId: string;
  let roomId: string;
  /** Every connection the server accepted, to count the bytes it wrote. */
  const serverSockets = new Set<Socket>();

  before(async function () {
    this.timeout(120_000);
    inst = await startInstance();
    inst.parasol.server.on('connection', (socket: Socket) => {
      serverSockets.add(socket);
      socket.once('close', () => serverSockets.delete(socket));
    });
    const boss = await admin(inst);
    const fac = await moderator(inst, boss);
    ana = await member(inst, 'ana');
    const writers = [await member(inst, 'bea'), await member(inst, 'cat'), await member(inst, 'dee'), ana];
    threadId = await seedThread(writers, 30);
    roomId = (await newRoom(fac, { name: 'Evening peer support' })).id;
    await invite(fac, roomId, ana, { alias: 'Ana' });
    const next = sequence(3);
    for (let n = 0; n < 20; n++) await say(n % 3 === 0 ? fac : ana, roomId, postBody(next, n).split('\n\n')[0]!);
  });
  after(async () => inst?.close());

  const cookiesOf = (who: ApiPerson) => [{ name: 'psl_session', value: who.client.cookies.get('psl_session')!, url: inst.url }];

  /**
   * A person whose browser caches as a phone's does (the harness intercepts no
   * request, which would turn Chromium's HTTP cache off: a repeat visit could
   * not be measured), with a meter on her page. Other hosts are reported by the
   * harness's watcher, and blocked by the meter too (Network.setBlockedURLs).
   */
  async function phone(label: string, account?: ApiPerson): Promise<{ person: Person; meter: WireMeter }> {
    // Each test measures alone: the harness closes a test's people, and their live connections with them, when it ends.
    const person = await chromium.person(label, account ? { cookies: cookiesOf(account) } : {});
    const meter = await WireMeter.attach(inst, serverSockets, person.page);
    return { person, meter };
  }

  async function visit(page: Page, meter: WireMeter, path: string, options: { sockets: number; firstVisit: boolean }): Promise<WireCount> {
    meter.start(options.firstVisit);
    await page.goto(inst.url + path);
    await meter.settled(page, options);
    return meter.count();
  }

  async function threadVisits(label: string, account?: ApiPerson): Promise<void> {
    const { person, meter } = await phone(label, account);
    const { page } = person;
    // One connection to /live serves both the thread's live replies and, for a member, buddy alerts.
    const sockets = 1;
    const first = await visit(page, meter, `/t/${threadId}`, { sockets, firstVisit: true });
    assert.equal(await page.locator('ol.posts > li.post').count(), 30, 'the thread page shows all 30 posts');
    if (account) await page.locator('body[data-live="on"]').waitFor({ state: 'attached' });
    assert.ok(first.workerInstall > 0, `the service worker installed on the first visit and fetched the app shell\n${first.describe()}`);
    assertTextPageOnly(first, `${label}, first visit`);
    assertUnder(first, BUDGET.firstVisit, `${label}, first visit to a thread of 30 posts`);

    const repeat = await visit(page, meter, `/t/${threadId}`, { sockets, firstVisit: false });
    assert.equal(await page.locator('ol.posts > li.post').count(), 30);
    assertTextPageOnly(repeat, `${label}, repeat visit`);
    assertUnder(repeat, BUDGET.repeatVisit, `${label}, repeat visit to the same thread`);
  }

  it('a thread of 30 posts costs a visitor under 50 KB on the first visit, service worker install included, and under 10 KB on a repeat visit', async () => {
    await threadVisits('visitor');
  });

  it('the same for a signed-in member, with live updates and buddy alerts', async () => {
    await threadVisits('ana', ana);
  });

  it('a room page costs a member under 60 KB on the first visit, socket.io client included', async () => {
    const { person, meter } = await phone('ana in a room', ana);
    const { page } = person;
    // One connection: the room's namespace (/rooms) and the buddy alerts' (/live) share it.
    const counted = await visit(page, meter, `/rooms/${roomId}`, { sockets: 1, firstVisit: true });
    await page.locator('#messages[data-live="on"]').waitFor({ state: 'attached' });
    assert.equal(await page.locator('#messages li.message').count(), 20);
    assert.ok(counted.pageRequests.some((r) => r.url.endsWith('/assets/vendor/socket.io.min.js') && (r.bytes ?? 0) > 0), 'the socket.io client came over the wire');
    assertTextPageOnly(counted, 'room page');
    assertUnder(counted, BUDGET.room, 'member, first visit to a room page');
  });

  it('on Fast 3G with a 4x slower CPU, a first-time visitor sees the first post of a thread within 3 s', async () => {
    const visitor = await chromium.person('visitor on Fast 3G');
    const { page } = visitor;
    await SlowPhone.of(page);
    // Notes, in the page's own clock, the first frame in which the first post is on screen.
    // A string, not a function: tsx would wrap a named function in a helper the page does not have.
    await page.addInitScript(`(() => {
      const look = () => {
        const post = document.querySelector('.post');
        if (post && post.checkVisibility() && post.getBoundingClientRect().top < innerHeight) {
          window.firstPostAt = performance.now();
          return;
        }
        requestAnimationFrame(look);
      };
      requestAnimationFrame(look);
    })();`);
    await page.goto(`${inst.url}/t/${threadId}`);
    await page.waitForFunction(() => typeof (window as unknown as { firstPostAt?: number }).firstPostAt === 'number');
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return {
        requestStart: nav.requestStart,
        responseStart: nav.responseStart,
        responseEnd: nav.responseEnd,
        domContentLoaded: nav.domContentLoadedEventEnd,
        firstPost: (window as unknown as { firstPostAt: number }).firstPostAt,
      };
    });
    const shown = JSON.stringify(timing);
    // The throttle is really on: the page took at least one Fast-3G round trip to arrive.
    assert.ok(timing.responseEnd - timing.requestStart >= FAST_3G.latency - 1, `Fast 3G was not in effect: ${shown}`);
    assert.ok(timing.domContentLoaded > 0 && timing.domContentLoaded < 3000, `DOMContentLoaded within 3 s of navigation start: ${shown}`);
    assert.ok(timing.firstPost < 3000, `the first post visible within 3 s of navigation start: ${shown}`);
    if (process.env.BUDGETS_VERBOSE) console.log(`      Fast 3G, CPU / 4: ${shown}`);
  });
});
