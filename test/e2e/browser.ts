/**
 * Chromium for end-to-end tests, with the checks every browser test needs
 * built in.
 *
 * `useBrowser()` is called inside a `describe`. Before the suite it takes the
 * run's Chromium: Debian's, through playwright-core (never a downloaded
 * browser; it prints the version and warns below MIN_CHROMIUM), launched by
 * the first suite that needs it and shared by every browser test file of the
 * run, closed when the run ends (test/e2e/chromium-hooks.cjs). It hands out
 * contexts: one context is one person, with their own cookies and storage,
 * sharing nothing with any other context, so a browser shared between files
 * shares nothing between their tests. Every context a suite opened, even one
 * made on `browser` directly, is closed after the suite.
 *  - `person()` inside a test makes a context for that test only: it is closed
 *    when the test ends, so nothing of it outlives the test.
 *  - `lasting()` in a `describe` body declares a person for a story told over
 *    several tests of that describe: made in its `before`, closed in its `after`.
 *
 * Every context it makes is watched. A test fails when, while it ran, any of
 * the pages it used
 *  - wrote an error to the console (this includes CSP violations and failed
 *    resource loads),
 *  - threw an uncaught exception,
 *  - opened a JavaScript dialog (alert/confirm/prompt: an alert is how an XSS
 *    payload shows itself; the dialog is dismissed so the page does not hang),
 *  - asked for anything from a host other than 127.0.0.1 or localhost (a
 *    tracking pixel, a remote script, a link followed off-site). Such
 *    requests fail inside the browser before they leave the machine (see
 *    CHROMIUM_ARGS), and still count as a failure.
 *
 * The checks are wired into the tests themselves (see `beforeEach` below), so
 * a test written with a plain `it` gets them; a problem is reported against
 * the test during which it happened, together with the test's own error if
 * it has one. Each test starts with an empty list: a problem that shows up
 * between tests (a lasting page still at work) never fails the next test; the
 * suite's `after` hook reports it, once.
 */
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** The oldest Chromium the tests are known to pass on (Debian's 150 never shows the offline notice under offline emulation). */
export const MIN_CHROMIUM = 156;

export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // Every host but the loopback ones, which Chromium never sends through a proxy, goes to a proxy that is not there
  // (nothing listens on port 1): such a request fails in the browser, with no DNS look-up and no connection to the
  // host. Done in the browser rather than by intercepting requests (a route), which would send every request of every
  // page through this process and turn Chromium's HTTP cache off, so that each page load fetched every asset again.
  '--proxy-server=http://127.0.0.1:1',
]);

/** How long one Playwright action or wait may take: well under mocha's per-test timeout, so a stuck step names itself. */
export const ACTION_TIMEOUT = 20_000;

/** Hosts a page under test may reach: the instance on the loopback interface, nothing else. */
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** Whether a page may load `url`: the local instance, or a URL that never touches the network. */
export function isLocalUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'data:' || parsed.protocol === 'blob:' || parsed.href === 'about:blank') return true;
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol)) return false;
  return LOCAL_HOSTS.has(parsed.hostname);
}

let versionShown = false;

/**
 * Where the run's Chromium is kept: on the global object, so that the root hook that closes it
 * (test/e2e/chromium-hooks.cjs, plain CommonJS) finds it without loading this module.
 */
const SHARED_CHROMIUM = Symbol.for('parasol.test.chromium');

interface SharedChromium {
  launched?: Promise<Browser>;
}

function sharedChromium(): SharedChromium {
  const global = globalThis as { [SHARED_CHROMIUM]?: SharedChromium };
  return (global[SHARED_CHROMIUM] ??= {});
}

/**
 * The Chromium of this test process, launched on first use (a launch costs seconds on a loaded machine, once per
 * file it added up); launched again if it was closed or crashed, so that one file's broken browser fails that file only.
 */
async function runningChromium(): Promise<Browser> {
  const shared = sharedChromium();
  const earlier = await shared.launched?.catch(() => undefined);
  if (earlier?.isConnected()) return earlier;
  showChromiumVersion();
  shared.launched = chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] });
  return shared.launched;
}

/** Prints `chromium --version` once per run, and a warning when it is older than the tests need. */
function showChromiumVersion(): void {
  if (versionShown) return;
  versionShown = true;
  const version = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const major = Number(/(\d+)\./.exec(version)?.[1] ?? 0);
  process.stdout.write(`      (browser tests run ${version}, at ${CHROMIUM})\n`);
  if (major < MIN_CHROMIUM) {
    process.stdout.write(`      WARNING: these tests need Chromium ${MIN_CHROMIUM} or later; run "apt-get update && apt-get install -y chromium"\n`);
  }
}

export interface PersonOptions extends BrowserContextOptions {
  /** Cookies to start with, e.g. a session made through the API. */
  readonly cookies?: Parameters<BrowserContext['addCookies']>[0];
}

export interface Person {
  /** Who this is, as problems are reported ("ana", "visitor", …). */
  readonly label: string;
  readonly context: BrowserContext;
  /** The context's first page; open more with `context.newPage()` (they are watched too). */
  readonly page: Page;
}

export interface BrowserSuite {
  /** The running browser (only after the suite's `before` hooks have started). */
  readonly browser: Browser;
  /** A new person for the running test: a fresh context with the checks attached, English pages, and one open page; closed when the test ends. */
  person(label: string, options?: PersonOptions): Promise<Person>;
  /**
   * Declares, in a `describe` body, a person kept across that describe's tests (a story told in steps): made in
   * a `before` hook registered where this is called (so after the hooks above it, which may make the accounts
   * `options` reads), closed in its `after`. Reading `page` or `context` before then throws.
   */
  lasting(label: string, options?: () => PersonOptions): Person;
  /** Fails at once if a problem was recorded in this test and not yet reported: for a check half-way through a test. `during` says what was going on. */
  assertClean(during?: string): void;
}

class Problems {
  private current: string[] = [];
  private readonly between: string[] = [];
  private inTest = false;

  add(label: string, what: string): void {
    (this.inTest ? this.current : this.between).push(`[${label}] ${what}`);
  }

  /** A test starts with nothing recorded: what came before it belongs to no test and waits for the suite's end. */
  startTest(): void {
    this.between.push(...this.current.splice(0));
    this.inTest = true;
  }

  endTest(): void {
    this.inTest = false;
  }

  /** Problems of the running test not reported yet; marks them reported. */
  take(): string[] {
    return this.current.splice(0);
  }

  /** Problems that happened outside any test. */
  takeBetween(): string[] {
    return this.between.splice(0);
  }
}

function describeProblems(problems: readonly string[]): string {
  return `The browser reported ${problems.length} problem(s):\n  ${problems.join('\n  ')}`;
}

/**
 * Whether a console error is the browser's own look for /favicon.ico on a page of the instance that names no icon
 * (/healthz, say), which the instance does not serve. Playwright hides such requests from its request events; pages
 * that users see name their icon.
 */
function isOwnFaviconLookup(text: string, url: string): boolean {
  return /^Failed to load resource: the server responded with a status of 404\b/.test(text) && isLocalUrl(url) && new URL(url).pathname === '/favicon.ico';
}

function watch(context: BrowserContext, label: string, problems: Problems): void {
  context.on('console', (message) => {
    if (message.type() !== 'error') return;
    const where = message.location();
    if (isOwnFaviconLookup(message.text(), where.url)) return;
    problems.add(label, `console error: ${message.text()}${where.url ? ` (${where.url}:${where.lineNumber})` : ''} on ${message.page()?.url() ?? '?'}`);
  });
  context.on('weberror', (error) => problems.add(label, `uncaught exception: ${error.error().stack ?? error.error().message} on ${error.page()?.url() ?? '?'}`));
  context.on('dialog', (dialog) => {
    problems.add(label, `${dialog.type()} dialog "${dialog.message()}" on ${dialog.page()?.url() ?? '?'}`);
    dialog.dismiss().catch(() => undefined);
  });
  // Every request is seen here, also the ones the proxy refuses and those a service worker makes.
  context.on('request', (request) => {
    if (!isLocalUrl(request.url())) problems.add(label, `request to another host: ${request.method()} ${request.url()}`);
  });
  context.on('page', (page) => {
    page.on('websocket', (socket) => {
      if (!isLocalUrl(socket.url())) problems.add(label, `WebSocket to another host: ${socket.url()}`);
    });
  });
}

/** Registers the suite's hooks; call it at the top of a `describe`. */
export function useBrowser(): BrowserSuite {
  const problems = new Problems();
  /** Contexts of the running test, closed when it ends. */
  const ofTest: BrowserContext[] = [];
  let browser: Browser | undefined;
  const wrapped = new WeakSet<Mocha.Func | Mocha.AsyncFunc>();

  const closeAll = async (contexts: BrowserContext[]) => {
    for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
  };

  /** Contexts open when the suite started: the others, at its end, are the suite's own. */
  let openBefore: ReadonlySet<BrowserContext> = new Set();

  before(async function () {
    this.timeout(60_000);
    browser = await runningChromium();
    openBefore = new Set(browser.contexts());
  });

  // Wraps the test about to run so that the browser's problems fail that very test, and its contexts end with it.
  beforeEach(function () {
    const test = this.currentTest;
    const original = test?.fn;
    if (!test || !original || wrapped.has(original)) return;
    if (original.length > 0) throw new Error(`"${test.title}": browser tests must be async functions, not use a done callback`);
    const checked: Mocha.AsyncFunc = async function (this: Mocha.Context) {
      problems.startTest();
      let failure: unknown;
      try {
        await (original as Mocha.AsyncFunc).call(this);
      } catch (error) {
        failure = error;
      }
      // Closed before judging, so that what its pages do as they go is this test's, never the next one's.
      await closeAll(ofTest);
      const seen = problems.take();
      problems.endTest();
      if (failure !== undefined) {
        if (!seen.length) throw failure;
        // Both: the browser's problems are often why the test failed, so they come first, the test's own error after.
        throw new Error(`${describeProblems(seen)}\nThe test failed too: see "Caused by".`, { cause: failure });
      }
      if (seen.length) throw new Error(describeProblems(seen));
    };
    wrapped.add(checked);
    test.fn = checked;
  });

  // A test that timed out never reached the end of its wrapper: its contexts are closed here.
  afterEach(async () => {
    await closeAll(ofTest);
    problems.endTest();
  });

  after(async function () {
    this.timeout(60_000);
    // The browser outlives the suite: nothing the suite opened may, as nothing did when each file had its own browser.
    await closeAll(browser?.contexts().filter((context) => !openBefore.has(context)) ?? []);
    browser = undefined;
    const late = problems.takeBetween();
    if (late.length) throw new Error(`between tests (failing no test): ${describeProblems(late)}`);
  });

  const running = (): Browser => {
    if (!browser) throw new Error('the browser is not running: use it inside tests or before() hooks of the suite that called useBrowser()');
    return browser;
  };

  async function open(label: string, options: PersonOptions): Promise<Person> {
    const { cookies, ...contextOptions } = options;
    const context = await running().newContext({ locale: 'en', ...contextOptions });
    context.setDefaultTimeout(ACTION_TIMEOUT);
    context.setDefaultNavigationTimeout(ACTION_TIMEOUT);
    watch(context, label, problems);
    if (cookies?.length) await context.addCookies(cookies);
    const page = await context.newPage();
    return { label, context, page };
  }

  return {
    get browser(): Browser {
      return running();
    },

    async person(label, options = {}) {
      const made = await open(label, options);
      ofTest.push(made.context);
      return made;
    },

    lasting(label, options = () => ({})) {
      let made: Person | undefined;
      before(async () => {
        made = await open(label, options());
      });
      after(async () => {
        await made?.context.close().catch(() => undefined);
        made = undefined;
      });
      const get = (): Person => {
        if (!made) throw new Error(`${label} exists only while the tests of the describe that declared it run`);
        return made;
      };
      return {
        label,
        get context() {
          return get().context;
        },
        get page() {
          return get().page;
        },
      };
    },

    assertClean(during) {
      const seen = problems.take();
      if (seen.length) throw new Error(`${during ? `${during}: ` : ''}${describeProblems(seen)}`);
    },
  };
}

/** Clicks a link or a submit button and waits until the page it leads to has loaded; works with and without JavaScript. */
export async function clickAndLoad(page: Page, target: Locator): Promise<void> {
  const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() });
  await target.click();
  await navigated;
  await page.waitForLoadState('load');
}

/** Lets what the page queued while loading (image errors, toggle events, timers at 0) run before the page is judged. */
export async function settle(page: Page): Promise<void> {
  await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));
}

/** The elements server/content/markdown.ts lets into rendered member text; `a` may carry href and rel, nothing else any attribute. */
export const ALLOWED_TAGS: readonly string[] = Object.freeze(['p', 'br', 'strong', 'em', 's', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a']);
/** The rel every link in member text must carry. */
export const LINK_REL: readonly string[] = Object.freeze(['nofollow', 'noopener', 'noreferrer', 'ugc']);

/**
 * What is wrong with the rendered member text on the page, [] when nothing:
 * inside the elements matching `bodies`, any element off the allow-list, any
 * attribute other than a link's href and rel, a link that is not http(s) or
 * lacks a rel token; and on the whole page, any on* attribute. Judged in the
 * page, on the DOM the browser actually built (mutation XSS included).
 */
export async function unsafeMarkup(page: Page, bodies: string): Promise<string[]> {
  // No named functions inside the callback: tsx would wrap them in a helper the page does not have.
  return page.evaluate(
    ({ selector, allowed, rel }) => {
      const bad: string[] = [];
      for (const body of Array.from(document.querySelectorAll(selector))) {
        for (const el of Array.from(body.querySelectorAll('*'))) {
          const tag = el.tagName.toLowerCase();
          if (!allowed.includes(tag)) bad.push(`<${tag}> in member text: ${el.outerHTML.slice(0, 120)}`);
          for (const attr of Array.from(el.attributes)) {
            if (!(tag === 'a' && (attr.name === 'href' || attr.name === 'rel'))) bad.push(`${attr.name}="${attr.value.slice(0, 60)}" on <${tag}> in member text`);
          }
          if (tag === 'a') {
            const href = el.getAttribute('href') ?? '';
            if (!/^https?:\/\//i.test(href)) bad.push(`link to "${href}" in member text`);
            const tokens = (el.getAttribute('rel') ?? '').split(/\s+/);
            for (const token of rel) if (!tokens.includes(token)) bad.push(`link without rel ${token}: ${el.outerHTML.slice(0, 120)}`);
          }
        }
      }
      for (const el of Array.from(document.querySelectorAll('*'))) {
        for (const attr of Array.from(el.attributes)) {
          if (/^on/i.test(attr.name)) bad.push(`${attr.name} on <${el.tagName.toLowerCase()}> on the page`);
        }
      }
      return bad;
    },
    { selector: bodies, allowed: [...ALLOWED_TAGS], rel: [...LINK_REL] },
  );
}
