import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member, moderator, type Person as ApiPerson } from '../helpers/people.js';
import { invite, newRoom, say } from '../rooms/helpers.js';
import { settle, useBrowser } from './browser.js';
import { axeViolations } from './axe.js';

/** The narrow phone the pages must work on. */
const WIDTH = 360;
/** The smallest touch target the pages promise (WCAG 2.5.5), in CSS pixels. */
const TARGET = 44;

/** The month before this one (UTC): a review's incident month may not lie in the future. */
function lastMonth(): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
}

/**
 * Visible controls smaller than TARGET×TARGET. Left out: links and controls in
 * member text (post and message bodies, quotes), and links that are a word in
 * a sentence (their block has other words); navigation links never count as
 * inline. A checkbox or radio button counts by its label, which is what a
 * finger hits.
 */
async function smallTargets(page: Page): Promise<string[]> {
  // No named functions in the callback: tsx would wrap them in a helper the page does not have.
  return page.evaluate((min) => {
    const small: string[] = [];
    const controls = Array.from(document.querySelectorAll<HTMLElement>('a[href], button, input:not([type=hidden]), select, textarea, summary'));
    for (const el of controls) {
      if (!el.checkVisibility({ visibilityProperty: true }) || el.closest('.visually-hidden, .body, blockquote')) continue;
      let box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      if (el instanceof HTMLAnchorElement && !el.closest('nav') && getComputedStyle(el).display === 'inline') {
        let block = el.parentElement;
        while (block && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
        const words = block?.cloneNode(true) as HTMLElement | undefined;
        words?.querySelectorAll('a, button, input, select, textarea, svg, .visually-hidden').forEach((c) => c.remove());
        if (words && (words.textContent ?? '').trim() !== '') continue;
      }
      if (el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio')) {
        const label = el.closest('label') ?? (el.id ? document.querySelector(`label[for="${el.id}"]`) : null);
        if (label) box = label.getBoundingClientRect();
      }
      if (box.width + 0.01 < min || box.height + 0.01 < min) {
        const name = `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}>`;
        const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 40) || el.getAttribute('name') || el.getAttribute('href') || '';
        small.push(`${name} "${text}" is ${Math.round(box.width)}×${Math.round(box.height)}`);
      }
    }
    return small;
  }, TARGET);
}

/** Primary actions and site navigation that carry no picture (an icon or an emoji) next to their words. */
async function unillustrated(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('.top nav a, .top nav button, button.primary, a.button.primary'))
      .filter((el) => el.checkVisibility() && !el.querySelector('svg.icon') && !/^\p{Extended_Pictographic}/u.test((el.textContent ?? '').trim()))
      .map((el) => `<${el.tagName.toLowerCase()}> "${(el.textContent ?? '').replace(/\s+/g, ' ').trim()}"`),
  );
}

/**
 * The main pages, in English and in Arabic (right to left), audited at phone
 * width in the light and the dark colour scheme: no serious or critical axe
 * violation, touch targets of at least 44×44 px, no sideways scrolling, and a
 * picture next to the words of every primary action and navigation item.
 */
describe('accessibility in Chromium', function () {
  this.timeout(120_000);
  const chromium = useBrowser();
  let inst: TestInstance;
  let ana: ApiPerson;
  let threadPath: string;
  let roomPath: string;

  before(async function () {
    this.timeout(60_000);
    inst = await startInstance();
    const boss = await admin(inst);
    const mod = await moderator(inst, boss);
    ana = await member(inst, 'ana');
    const bea = await member(inst, 'bea');
    const cat = await member(inst, 'cat');

    // A thread with an anonymous reply, a quote of it, and a reply behind a content warning.
    const opened = await ana.client.api('POST', '/boards/general/threads', {
      title: 'Where do you find good peer advice?',
      body: 'Hello **peers**, see [the guide](https://example.org/guide) and `this code` first.',
    });
    assert.equal(opened.status, 201, opened.text);
    const threadId: string = opened.json.thread.id;
    threadPath = `/t/${threadId}`;
    const anonymous = await bea.client.api('POST', `/threads/${threadId}/posts`, { body: 'A client of mine would not pay.', anonymous: true });
    assert.equal(anonymous.status, 201, anonymous.text);
    const quoting = await cat.client.api('POST', `/threads/${threadId}/posts`, { body: 'Same here, **twice**.', quoteOf: anonymous.json.post.id });
    assert.equal(quoting.status, 201, quoting.text);
    const warned = await cat.client.api('POST', `/threads/${threadId}/posts`, { body: 'It ended with a fight in the car park.', contentWarning: 'violence' });
    assert.equal(warned.status, 201, warned.text);
    // Reactions by others and by ana herself (shown pressed).
    for (const [who, post] of [[bea, opened.json.post.id], [ana, anonymous.json.post.id]] as const) {
      const reacted = await who.client.api('POST', `/posts/${post}/reactions`, { kind: 'heart' });
      assert.equal(reacted.status, 200, reacted.text);
    }

    // A room ana is in, with messages and a reply.
    const room = await newRoom(mod, { name: 'Positive peers' });
    await invite(mod, room.id, ana, { alias: 'Ana in the room' });
    const hello = await say(mod, room.id, 'Welcome, **everyone**.');
    await say(ana, room.id, 'Thank you!', { replyTo: hello.id });
    roomPath = `/rooms/${room.id}`;

    // A published warning on the screening board.
    const review = await bea.client.api('POST', '/review-boards/client-screening/reviews', {
      kind: 'warning',
      categories: ['violence', 'non_payment'],
      severity: 'high',
      incidentMonth: lastMonth(),
      body: 'Became violent when asked to pay.',
      descriptors: 'Tall, grey car',
      identifiers: [{ type: 'phone', value: '+1 (555) 010-2030' }],
    });
    assert.equal(review.status, 201, review.text);
    const published = await mod.client.api('POST', `/reviews/${review.json.review.id}/moderation`, { action: 'publish' });
    assert.equal(published.status, 200, published.text);

    // Buddies, so that the safety page shows the SOS button and buddies to pick.
    for (const [from, to] of [[ana, bea], [bea, ana]] as const) {
      const asked = await from.client.api('POST', '/buddies', { handle: to.handle });
      assert.equal(asked.status, 201, asked.text);
    }
  });
  after(async () => inst?.close());

  /** A fresh browser for the test, as one kind of reader: a visitor, ana, ana reading Arabic. */
  async function reader(who: 'visitor' | 'ana' | 'ana-ar'): Promise<Page> {
    const cookies = who === 'visitor' ? [] : [{ name: 'psl_session', value: ana.client.cookies.get('psl_session')!, url: inst.url }];
    return (await chromium.person(who, { cookies, viewport: { width: WIDTH, height: 800 } })).page;
  }

  /** Opens `path` as `who` and audits it; fails with everything found. */
  async function audit(who: 'visitor' | 'ana' | 'ana-ar', path: string): Promise<void> {
    const page = await reader(who);
    await page.emulateMedia({ colorScheme: 'light' });
    // Arabic is chosen the way a reader chooses it: the footer's language switch, which comes back to the page.
    const response = await page.goto(inst.url + (who === 'ana-ar' ? `/language?l=ar&back=${encodeURIComponent(path)}` : path));
    assert.equal(response?.status(), 200, `${path} answered ${response?.status()}`);
    assert.equal(new URL(page.url()).pathname, path.split('?')[0]);
    if (who === 'ana-ar') assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
    // Signed-in pages open a live connection; judge them once it is up, so nothing changes under axe.
    if (who !== 'visitor') await page.locator('body[data-live="on"]').waitFor({ state: 'attached' });
    if (path.startsWith('/rooms/')) await page.locator('#messages[data-live="on"]').waitFor({ state: 'attached' });
    // What is folded away (content warnings, moderation, settings) is judged too.
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => d.setAttribute('open', '')));
    await settle(page);

    const problems: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const v of await axeViolations(page)) problems.push(`axe ${v.id} (${v.impact}, ${scheme}): ${v.help} at ${v.targets.join(', ')}`);
    }
    for (const small of await smallTargets(page)) problems.push(`touch target under ${TARGET}×${TARGET} px: ${small}`);
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    if (scrollWidth > WIDTH) problems.push(`scrolls sideways at ${WIDTH} px: the page is ${scrollWidth} px wide`);
    for (const bare of await unillustrated(page)) problems.push(`no icon next to a primary action or navigation item: ${bare}`);
    if (problems.length) assert.fail(`${who} on ${path}: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  }

  it('home, for a visitor', async () => audit('visitor', '/'));
  it('home, for a member', async () => audit('ana', '/'));
  it('a board', async () => audit('ana', '/b/general'));
  it('a thread with a quote, a content warning and an anonymous reply, for a member', async () => audit('ana', threadPath));
  it('the same thread, for a visitor', async () => audit('visitor', threadPath));
  it('a room', async () => audit('ana', roomPath));
  it('the screening board', async () => audit('ana', '/reviews/client-screening'));
  it('the safety check-in page', async () => audit('ana', '/safety'));
  it('sign-up', async () => audit('visitor', '/signup'));
  it('log-in', async () => audit('visitor', '/login'));
  it('home in Arabic, right to left', async () => audit('ana-ar', '/'));
  it('the thread in Arabic, right to left', async () => audit('ana-ar', threadPath));
});
