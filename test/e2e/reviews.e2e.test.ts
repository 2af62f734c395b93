import assert from 'node:assert/strict';
import type { Page, Response } from 'playwright-core';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member, moderator, type Person as ApiPerson } from '../helpers/people.js';
import { escapeHtml } from '../../server/views/html.js';
import { clickAndLoad, useBrowser, type Person } from './browser.js';

/** The client's number, as worker A types it into the warning form. */
const TYPED_BY_A = '+1 (555) 010-2030';
/** The same number as worker B types it: a US local number, no country code. */
const TYPED_BY_B = '555 010 2030';
/** And as worker C types it: E.164. */
const TYPED_BY_C = '+15550102030';
/** And once more, in C's own vouch. */
const TYPED_IN_VOUCH = '1-555-010-2030';
/** What the pages may show of the number: its last two digits. */
const HINT = '…30';
/** The number in any form; none of these may be in a page anyone is sent. */
const RAW_FORMS = ['5550102030', '555 010 2030', '555-010-2030', '(555) 010', '010-2030', '010 2030', '0102030', '+15550102030'];

const WARNING_TEXT = 'Hit me when I asked for the money up front.';
const VOUCH_TEXT = 'Paid on time, polite, respected every boundary.';
const BOARD_PATH = '/reviews/client-screening';

/** The month before this one (UTC, as the server counts): never "in the future", whatever the day. */
function lastMonth(): string {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
}

/** One HTML document a person's browser received. */
interface SeenPage {
  readonly who: string;
  readonly url: string;
  readonly status: number;
  readonly html: string;
}

/**
 * Posting a client warning, its moderation, screening by the number typed in
 * other ways, corroboration and a vouch: the whole review board flow through
 * the server-rendered pages, each worker in her own browser context.
 */
describe('client review board in Chromium', function () {
  this.timeout(90_000);
  const chromium = useBrowser();
  let inst: TestInstance;
  let modAccount: ApiPerson;
  let anaAccount: ApiPerson;
  let beaAccount: ApiPerson;
  let catAccount: ApiPerson;
  const areaName = 'Harbour district';
  const month = lastMonth();
  /** The warning's page, `/r/ID`. */
  let warningPath: string;
  let vouchPath: string;

  /** Every HTML document and every URL the browsers got or asked for, to look for the number in afterwards. */
  const documents: SeenPage[] = [];
  const unreadable: string[] = [];
  const reading: Promise<void>[] = [];
  const requested: string[] = [];

  before(async () => {
    inst = await startInstance();
    const boss = await admin(inst);
    // Local numbers ("555 010 2030") are read as US numbers: set explicitly, not left to the default.
    const settings = await boss.client.api('PATCH', '/admin/settings', { defaultCountry: 'US' });
    assert.equal(settings.status, 200, settings.text);
    assert.equal(inst.parasol.ctx.instance.settings().defaultCountry, 'US');
    const area = await boss.client.api('POST', '/areas', { name: areaName });
    assert.equal(area.status, 201, area.text);
    modAccount = await moderator(inst, boss);
    anaAccount = await member(inst, 'ana');
    beaAccount = await member(inst, 'bea');
    catAccount = await member(inst, 'cat');
  });
  after(async () => inst?.close());

  const signedIn = (account: ApiPerson) => [{ name: 'psl_session', value: account.client.cookies.get('psl_session')!, url: inst.url }];
  // The story's four workers, one browser each for all its steps.
  const ana = chromium.lasting('ana (worker A)', () => ({ cookies: signedIn(anaAccount) }));
  const mod = chromium.lasting('moderator', () => ({ cookies: signedIn(modAccount) }));
  const bea = chromium.lasting('bea (worker B)', () => ({ cookies: signedIn(beaAccount) }));
  const cat = chromium.lasting('cat (worker C)', () => ({ cookies: signedIn(catAccount) }));
  before(() => {
    for (const who of [ana, mod, bea, cat]) record(who);
  });

  /** A browser person for one test; signed in as `account` when given. */
  async function person(label: string, account?: ApiPerson): Promise<Person> {
    return record(await chromium.person(label, { cookies: account ? signedIn(account) : [] }));
  }

  /** Records every page `who` is sent and every URL it asks for. */
  function record(who: Person): Person {
    const { label } = who;
    who.context.on('request', (request) => requested.push(`[${label}] ${request.method()} ${request.url()}`));
    who.context.on('response', (response: Response) => {
      if (response.request().resourceType() !== 'document') return;
      const status = response.status();
      // Read at once: the body of a document the page has navigated away from may be gone later.
      reading.push(
        response.text().then(
          (html) => void documents.push({ who: label, url: response.url(), status, html }),
          (error: unknown) => {
            // A redirect has no body to read; anything else must be readable, or the leak check would miss it.
            if (status < 300 || status >= 400) unreadable.push(`[${label}] ${status} ${response.url()}: ${String(error)}`);
          },
        ),
      );
    });
    return who;
  }

  const path = (page: Page) => new URL(page.url()).pathname;
  const mainNav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

  /** Home → "Screening" in the site navigation → the review boards list → "Client screening". */
  async function openBoard(page: Page): Promise<void> {
    await page.goto(`${inst.url}/`);
    await clickAndLoad(page, mainNav(page).getByRole('link', { name: 'Screening', exact: true }));
    assert.equal(path(page), '/reviews');
    await clickAndLoad(page, page.getByRole('link', { name: 'Client screening', exact: true }));
    assert.equal(path(page), BOARD_PATH);
    await page.getByRole('heading', { name: 'Check a client' }).waitFor();
  }

  /** Checks a phone number with the board's screening form; returns the result page's answer. */
  async function screen(page: Page, typed: string): Promise<Response> {
    await openBoard(page);
    const form = page.locator('#screen');
    await form.getByLabel('Type', { exact: true }).selectOption({ label: 'Phone number' });
    await form.getByLabel('Number, e-mail or name').fill(typed);
    const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `${BOARD_PATH}/screen`);
    await clickAndLoad(page, form.getByRole('button', { name: 'Check', exact: true }));
    const response = await answered;
    assert.equal(response.status(), 200, `screening "${typed}"`);
    assert.equal(response.headers()['cache-control'], 'no-store', 'a screening result is never cached');
    await page.getByRole('heading', { name: 'Result', level: 1 }).waitFor();
    return response;
  }

  /** The card of the review whose text contains `text`, on the open page. */
  const card = (page: Page, text: string) => page.locator('article.review').filter({ hasText: text });

  /** The moderator publishes the pending review with `text` from the queue, reached as a moderator would. */
  async function publishFromQueue(text: string, authorHandle: string | null): Promise<string> {
    const { page } = mod;
    await page.goto(`${inst.url}/`);
    await clickAndLoad(page, mainNav(page).getByRole('link', { name: 'Screening', exact: true }));
    await clickAndLoad(page, page.getByRole('link', { name: 'Reviews to check' }));
    assert.equal(path(page), '/reviews/queue');
    const item = page.locator('.card').filter({ hasText: text });
    await item.waitFor();
    const shown = (await item.textContent()) ?? '';
    if (authorHandle) assert.ok(shown.includes(`written by ${authorHandle}`), `the moderator sees who signed it: ${shown}`);
    else assert.ok(!shown.includes('written by'), `nor does the moderator see who wrote an anonymous one: ${shown}`);
    assert.ok(shown.includes(HINT), `the moderator sees the number's hint: ${shown}`);
    assert.match(shown, /Waiting for a moderator to check it\./);
    await clickAndLoad(page, item.getByRole('link', { name: 'Open', exact: true }));
    const reviewPath = path(page);
    assert.match(reviewPath, /^\/r\/[A-Za-z0-9_-]+$/);
    await page.getByLabel('Action', { exact: true }).selectOption({ label: 'Publish' });
    await clickAndLoad(page, page.getByRole('button', { name: 'Apply' }));
    assert.equal(path(page), reviewPath);
    await card(page, text).waitFor();
    assert.equal(await page.getByText('Waiting for a moderator to check it.').count(), 0, 'published now');
    await page.goto(`${inst.url}/reviews/queue`);
    await page.getByRole('heading', { name: 'Reviews to check', level: 1 }).waitFor();
    assert.equal(await page.locator('.card').filter({ hasText: text }).count(), 0, 'gone from the queue');
    return reviewPath;
  }

  /** Answers the open review page with one of the response kinds; returns once the answer is listed. */
  async function respond(page: Page, kind: 'Happened to me too' | 'This client was fine with me', note: string): Promise<void> {
    const form = page.locator('form[action$="/respond"]');
    await form.getByLabel(kind, { exact: true }).check();
    await form.getByLabel('Note (needed to disagree)').fill(note);
    const before = path(page);
    await clickAndLoad(page, form.getByRole('button', { name: 'Send', exact: true }));
    assert.equal(path(page), before, 'back on the review page');
    const listed = page.locator('ol.posts > li.post').filter({ hasText: note });
    await listed.waitFor();
    assert.match((await listed.locator('header').textContent()) ?? '', new RegExp(`^${kind} · `));
  }

  it('worker A posts a warning about a phone number from the site navigation; it waits for a moderator', async () => {
    const { page } = ana;
    await openBoard(page);
    await clickAndLoad(page, page.getByRole('link', { name: 'Post a warning or a vouch' }));
    assert.equal(path(page), `${BOARD_PATH}/new`);
    await page.getByRole('heading', { name: 'Post a warning or a vouch', level: 1 }).waitFor();

    await page.getByLabel('Warning: this client was dangerous or bad').check();
    await page.getByLabel('Violence', { exact: true }).check();
    await page.getByLabel('How serious (for warnings)').selectOption({ label: 'High' });
    await page.getByLabel('Month it happened').fill(month);
    await page.getByLabel('Area', { exact: true }).selectOption({ label: areaName });
    const firstId = page.locator('.idrow').first();
    await firstId.getByLabel('Type').selectOption({ label: 'Phone number' });
    await firstId.getByLabel('Number, e-mail or name').fill(TYPED_BY_A);
    await page.getByLabel('What happened', { exact: true }).fill(WARNING_TEXT);
    await clickAndLoad(page, page.getByRole('button', { name: 'Send for checking' }));

    warningPath = path(page);
    assert.match(warningPath, /^\/r\/[A-Za-z0-9_-]+$/, `on the new review's page, not the form again: ${page.url()}`);
    const own = card(page, WARNING_TEXT);
    await own.waitFor();
    await own.getByText('Waiting for a moderator to check it.').waitFor();
    const text = (await own.textContent()) ?? '';
    assert.match(text, /Warning · High/);
    assert.ok(text.includes('Violence'), text);
    assert.ok(text.includes(month) && text.includes(areaName), `month and area: ${text}`);
    assert.ok(text.includes(`Phone number ${HINT}`), `only the hint of the number: ${text}`);
    assert.ok(!text.includes(anaAccount.handle), 'a warning is anonymous unless she signs it');
    // Not on the board, nor found by screening, before a moderator has checked it.
    await openBoard(page);
    assert.equal(await card(page, WARNING_TEXT).count(), 0, 'a pending warning is not on the board');
  });

  it('a moderator publishes it from the queue', async () => {
    assert.equal(await publishFromQueue(WARNING_TEXT, null), warningPath);
  });

  it(`worker B screens "${TYPED_BY_B}", finds the warning, and says it happened to her too`, async () => {
    const { page } = bea;
    await screen(page, TYPED_BY_B);
    await page.getByText('1 warning, 0 vouches, 0 confirmations, 0 disputes').waitFor();
    await page.locator('.tag', { hasText: 'Violence × 1' }).waitFor();
    const found = card(page, WARNING_TEXT);
    assert.equal(await page.locator('article.review').count(), 1, 'just the one review');
    const text = (await found.textContent()) ?? '';
    assert.match(text, /Warning · High/);
    assert.ok(text.includes('Violence') && text.includes(HINT), text);
    assert.match(text, /0 happened to me too · 0 were fine with me · 0 disputes/);

    await clickAndLoad(page, found.getByRole('link', { name: 'Open', exact: true }));
    assert.equal(path(page), warningPath);
    assert.equal(await page.getByRole('heading', { name: 'Correct my review' }).count(), 0, 'not hers to correct');
    await respond(page, 'Happened to me too', 'Same man, same threat, last week.');
    await card(page, WARNING_TEXT).getByText('1 happened to me too · 0 were fine with me · 0 disputes').waitFor();
    const answer = page.locator('ol.posts > li.post').filter({ hasText: 'Same man' });
    assert.ok(((await answer.textContent()) ?? '').includes(beaAccount.handle), 'signed with her handle');
    assert.equal(await page.locator('form[action$="/respond"]').count(), 1, 'the form stays; answering twice is refused by the server');
  });

  it('worker A cannot corroborate her own warning: no form, and a clear error if she tries anyway', async () => {
    const { page } = ana;
    await page.goto(inst.url + warningPath);
    await card(page, WARNING_TEXT).getByText('1 happened to me too').waitFor();
    await page.getByRole('heading', { name: 'Correct my review' }).waitFor();
    assert.equal(await page.locator('form[action$="/respond"]').count(), 0, 'no answer form on her own review');
    assert.equal(await page.getByRole('radio', { name: 'Happened to me too' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Send', exact: true }).count(), 0);

    // What a hand-made form (or an old page from before) would send: the server says no, on the page, in words.
    const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() });
    const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `${warningPath}/respond`);
    // Chromium logs every 4xx document as a console error; this one is expected, and taken off the list below.
    const logged = ana.context.waitForEvent('console', { predicate: (m) => m.type() === 'error' && /status of 422/.test(m.text()) });
    await page.evaluate(() => {
      const token = document.querySelector<HTMLInputElement>('input[name="_csrf"]')!.value;
      const form = document.createElement('form');
      form.method = 'post';
      form.action = `${location.pathname}/respond`;
      for (const [name, value] of [['_csrf', token], ['kind', 'corroborate'], ['note', 'Me too']]) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name!;
        input.value = value!;
        form.append(input);
      }
      document.body.append(form);
      form.submit();
    });
    const response = await answered;
    await navigated;
    await page.waitForLoadState('load');
    assert.equal(response.status(), 422);
    await logged;
    assert.throws(
      () => chromium.assertClean(),
      (error: Error) => /^The browser reported 1 problem\(s\):\n {2}\[ana \(worker A\)\] console error: Failed to load resource: the server responded with a status of 422\b/.test(error.message),
      'the refused answer is the only problem the browser saw',
    );
    await page.getByText('You cannot answer your own review.').waitFor();
    await card(page, WARNING_TEXT).getByText('1 happened to me too · 0 were fine with me · 0 disputes').waitFor();

    await page.goto(inst.url + warningPath);
    await card(page, WARNING_TEXT).getByText('1 happened to me too · 0 were fine with me · 0 disputes').waitFor();
    assert.equal(await page.locator('ol.posts > li.post').count(), 1, 'still only the other worker\'s answer');
  });

  it(`worker C screens "${TYPED_BY_C}", sees the corroborated warning, and says the client was fine with her`, async () => {
    const { page } = cat;
    await screen(page, TYPED_BY_C);
    await page.getByText('1 warning, 0 vouches, 1 confirmation, 0 disputes').waitFor();
    const found = card(page, WARNING_TEXT);
    assert.match((await found.textContent()) ?? '', /1 happened to me too · 0 were fine with me · 0 disputes/);

    await clickAndLoad(page, found.getByRole('link', { name: 'Open', exact: true }));
    assert.equal(path(page), warningPath);
    await respond(page, 'This client was fine with me', 'No trouble at all when I saw him.');
    await card(page, WARNING_TEXT).getByText('1 happened to me too · 1 was fine with me · 0 disputes').waitFor();
    assert.equal(await page.locator('ol.posts > li.post').count(), 2, 'both answers are listed');
  });

  it('worker C also posts a vouch for the same number; once published, screening shows the warning and the vouch', async () => {
    const { page } = cat;
    await openBoard(page);
    await clickAndLoad(page, page.getByRole('link', { name: 'Post a warning or a vouch' }));
    await page.getByLabel('Vouch: this client was good and safe').check();
    await page.getByLabel('Rating (for vouches)').selectOption({ label: '★★★★★' });
    await page.getByLabel('Month it happened').fill(month);
    const firstId = page.locator('.idrow').first();
    await firstId.getByLabel('Type').selectOption({ label: 'Phone number' });
    await firstId.getByLabel('Number, e-mail or name').fill(TYPED_IN_VOUCH);
    await page.getByLabel('What happened', { exact: true }).fill(VOUCH_TEXT);
    await page.getByLabel('Sign with my name').check();
    await clickAndLoad(page, page.getByRole('button', { name: 'Send for checking' }));
    vouchPath = path(page);
    assert.match(vouchPath, /^\/r\/[A-Za-z0-9_-]+$/, `on the new review's page: ${page.url()}`);
    assert.notEqual(vouchPath, warningPath);
    const own = card(page, VOUCH_TEXT);
    await own.getByText('Waiting for a moderator to check it.').waitFor();
    assert.match((await own.textContent()) ?? '', /Vouch · ★★★★★/);

    assert.equal(await publishFromQueue(VOUCH_TEXT, catAccount.handle), vouchPath);

    // Worker B checks again, typed yet another way.
    await screen(bea.page, '(555) 010-2030');
    await bea.page.getByText('1 warning, 1 vouch, 1 confirmation, 0 disputes').waitFor();
    assert.equal(await bea.page.locator('article.review').count(), 2);
    const vouch = card(bea.page, VOUCH_TEXT);
    const vouchText = (await vouch.textContent()) ?? '';
    assert.match(vouchText, /Vouch · ★★★★★/);
    assert.ok(vouchText.includes(`Phone number ${HINT}`), vouchText);
    assert.match((await card(bea.page, WARNING_TEXT).textContent()) ?? '', /1 happened to me too · 1 was fine with me · 0 disputes/);
  });

  it('sends a visitor who opens the screening page to log in, and shows no results', async () => {
    const visitor = await person('visitor');
    const { page } = visitor;
    for (const target of [BOARD_PATH, '/reviews', warningPath]) {
      await page.goto(inst.url + target);
      const landed = new URL(page.url());
      assert.equal(landed.pathname, '/login', `${target} sends a visitor to log in`);
      assert.equal(landed.searchParams.get('next'), target, 'and back here afterwards');
      await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor();
      await page.getByLabel('Passphrase', { exact: true }).waitFor();
      const html = await page.content();
      for (const absent of [WARNING_TEXT, VOUCH_TEXT, HINT, 'Check a client', 'Client screening', 'Result']) {
        assert.ok(!html.includes(absent), `the visitor sees nothing of the board on ${target}: found "${absent}"`);
      }
      assert.equal(await page.locator('#screen, article.review').count(), 0);
    }
    assert.equal(await mainNav(page).getByRole('link', { name: 'Screening', exact: true }).count(), 0, 'no screening link for visitors');
  });

  it('never put the number, in any form, in a page or a URL: only its hint', async () => {
    await Promise.all(reading);
    assert.deepEqual(unreadable, [], 'every page sent was read');
    // The screening form's hint gives an example number in the same made-up range; that fixed text is not a leak.
    const example = escapeHtml(inst.parasol.ctx.i18n.t('en', 'review.id_value_hint'));
    const bodies = documents.filter((d) => d.status === 200 || d.status === 422);
    const who = new Set(bodies.map((d) => d.who));
    for (const label of ['ana (worker A)', 'moderator', 'bea (worker B)', 'cat (worker C)', 'visitor']) assert.ok(who.has(label), `pages of ${label} were checked`);
    const screenings = bodies.filter((d) => new URL(d.url).pathname === `${BOARD_PATH}/screen`);
    assert.equal(screenings.length, 3, 'the three screening results are among them');
    for (const d of bodies) {
      const html = d.html.split(example).join('');
      for (const form of RAW_FORMS) assert.ok(!html.includes(form), `[${d.who}] ${d.url} (${d.status}) contains "${form}"`);
    }
    for (const d of screenings) assert.ok(d.html.includes(HINT), `the result shows the hint: ${d.url}`);
    for (const url of requested) {
      const decoded = decodeURIComponent(url);
      for (const form of RAW_FORMS) assert.ok(!decoded.includes(form), `a URL contains "${form}": ${url}`);
    }
    for (const page of [ana, bea, cat, mod].map((p) => p.page)) {
      const html = (await page.content()).split(example).join('');
      for (const form of RAW_FORMS) assert.ok(!html.includes(form), `the open page ${page.url()} contains "${form}"`);
    }
  });
});
