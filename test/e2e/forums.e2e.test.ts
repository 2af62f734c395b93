import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { handle, PASS } from '../helpers/client.js';
import { admin, member, moderator, type Person as ApiPerson } from '../helpers/people.js';
import { xssVectors } from '../content/xss-corpus.js';
import { hasBadText } from '../../server/core/validate.js';
import { clickAndLoad, LINK_REL, settle, unsafeMarkup, useBrowser } from './browser.js';

/** Where post bodies go: a thread page shows each post's rendered Markdown in `.post .body`. */
const POST_BODIES = '.post .body';

/** The id of the post the URL points at (`/t/…#p-ID`). */
function postIdFrom(url: string): string {
  const id = /#p-([A-Za-z0-9_-]+)$/.exec(url)?.[1];
  assert.ok(id, `no post anchor in ${url}`);
  return id;
}

describe('forums in Chromium', function () {
  this.timeout(60_000);
  const chromium = useBrowser();
  let inst: TestInstance;
  let boss: ApiPerson;
  let modAccount: ApiPerson;

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    modAccount = await moderator(inst, boss);
  });
  after(async () => inst?.close());

  /** Joins from the home page as a newcomer would; returns on the home page, signed in. */
  async function signUp(page: Page, who: string): Promise<void> {
    await page.goto(`${inst.url}/`);
    await clickAndLoad(page, page.getByRole('main').getByRole('link', { name: 'Join' }));
    assert.equal(new URL(page.url()).pathname, '/signup');
    await page.getByLabel('Your made-up name (handle)').fill(who);
    await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
    await clickAndLoad(page, page.getByRole('button', { name: 'Create my account' }));
    await page.getByRole('heading', { name: `Welcome, ${who}!` }).waitFor();
    await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
    const codes = (await page.locator('ol.codes li code').allTextContents()).map((c) => c.trim());
    assert.equal(codes.length, 10, `ten recovery codes, got ${JSON.stringify(codes)}`);
    assert.equal(new Set(codes).size, 10, 'the codes differ from each other');
    for (const code of codes) assert.ok(code.length >= 8, `a code long enough to be a secret: "${code}"`);
    await clickAndLoad(page, page.getByRole('link', { name: 'I have saved them' }));
    assert.equal(new URL(page.url()).pathname, '/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: who, includeHidden: true }).waitFor({ state: 'attached' });
  }

  /** The header's menu (the places that are not among the main ones) opens like any <details>. */
  async function openMenu(page: Page): Promise<void> {
    await page.getByRole('navigation', { name: 'Main' }).locator('details.menu > summary').click();
  }

  async function logIn(page: Page, who: string): Promise<void> {
    await page.goto(`${inst.url}/login`);
    await page.getByLabel('Your made-up name (handle)').fill(who);
    await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
    await clickAndLoad(page, page.getByRole('button', { name: 'Log in' }));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: who, includeHidden: true }).waitFor({ state: 'attached' });
  }

  /** Home → General → "New thread" → the form; returns the thread's path. */
  async function startThread(page: Page, title: string, body: string): Promise<string> {
    await page.goto(`${inst.url}/`);
    await clickAndLoad(page, page.getByRole('link', { name: 'General', exact: true }));
    await page.getByRole('heading', { name: 'General', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'New thread' }).click();
    await page.getByLabel('Title', { exact: true }).fill(title);
    await page.getByLabel('Your message').fill(body);
    await clickAndLoad(page, page.getByRole('button', { name: 'Post thread' }));
    const path = new URL(page.url()).pathname;
    assert.match(path, /^\/t\/[A-Za-z0-9_-]+$/);
    return path;
  }

  /** Replies on the open thread page; returns the new post's id. */
  async function reply(page: Page, body: string, options: { anonymous?: boolean; contentWarning?: string } = {}): Promise<string> {
    const form = page.locator('#reply');
    await form.getByLabel('Your message').fill(body);
    if (options.contentWarning) {
      await form.getByText('Add a content warning').click();
      await form.getByLabel('Content warning', { exact: true }).fill(options.contentWarning);
    }
    if (options.anonymous) await form.getByLabel('Post anonymously').check();
    await clickAndLoad(page, form.getByRole('button', { name: 'Send reply' }));
    const id = postIdFrom(page.url());
    await page.locator(`#p-${id}`).waitFor();
    return id;
  }

  describe('a first thread, an anonymous reply and its moderation', () => {
    // One story told over the tests below: the same three browsers throughout.
    const ana = chromium.lasting('ana');
    const bea = chromium.lasting('bea');
    const visitor = chromium.lasting('visitor');
    let anaHandle: string;
    let beaHandle: string;
    let beaAccountId: string;
    let threadPath: string;
    let anonId: string;
    const reason = 'Names a client in full';

    it('signs up through /signup with a handle and a passphrase and shows ten recovery codes', async () => {
      anaHandle = handle('ana');
      await signUp(ana.page, anaHandle);
    });

    it('starts a thread on General from the home page and renders its Markdown', async () => {
      threadPath = await startThread(ana.page, 'Where do you find good peer advice?', 'Hello **peers**, see [the guide](https://example.org/guide) first.');
      const { page } = ana;
      await page.getByRole('heading', { name: 'Where do you find good peer advice?', level: 1 }).waitFor();
      const opening = page.locator('li.post').first();
      assert.equal(await opening.locator('.body strong').textContent(), 'peers');
      const link = opening.locator('.body').getByRole('link', { name: 'the guide' });
      assert.equal(await link.getAttribute('href'), 'https://example.org/guide');
      const rel = (await link.getAttribute('rel'))?.split(/\s+/) ?? [];
      for (const token of LINK_REL) assert.ok(rel.includes(token), `rel="${rel.join(' ')}" lacks ${token}`);
      assert.deepEqual(await unsafeMarkup(page, POST_BODIES), []);
    });

    it('shows an anonymous reply as "Anonymous member", and never the author, to the thread starter and to a visitor', async () => {
      beaHandle = handle('bea');
      await signUp(bea.page, beaHandle);
      beaAccountId = (await bea.page.locator('body').getAttribute('data-account')) ?? '';
      assert.ok(beaAccountId, 'a signed-in page names the account for live alerts');
      // Finds the thread as a reader would: home, board, thread title.
      await clickAndLoad(bea.page, bea.page.getByRole('link', { name: 'General', exact: true }));
      await clickAndLoad(bea.page, bea.page.getByRole('link', { name: 'Where do you find good peer advice?' }));
      anonId = await reply(bea.page, 'I had a **bad** night with a client called out by name.', { anonymous: true });
      assert.match((await bea.page.locator(`#p-${anonId} .author`).textContent()) ?? '', /Anonymous member/);

      for (const viewer of [ana, visitor]) {
        const response = await viewer.page.goto(inst.url + threadPath);
        assert.equal(response?.status(), 200);
        const post = viewer.page.locator(`#p-${anonId}`);
        assert.equal((await post.locator('header .author').textContent())?.trim(), 'Anonymous member', viewer.label);
        assert.match((await post.locator('.body').textContent()) ?? '', /bad night/);
        for (const html of [await response!.text(), await viewer.page.content()]) {
          assert.ok(!html.includes(beaHandle), `${viewer.label}: the anonymous author's handle is in the thread page`);
          assert.ok(!html.includes(beaAccountId), `${viewer.label}: the anonymous author's account id is in the thread page`);
        }
      }
      const board = await visitor.page.goto(`${inst.url}/b/general`);
      assert.ok(!(await board!.text()).includes(beaHandle), 'the board page does not name the anonymous replier either');
    });

    it('keeps a reply with a content warning collapsed until it is clicked', async () => {
      // The thread starter writes it, so that the anonymous reply stays the other person's only post in the thread.
      await ana.page.goto(inst.url + threadPath);
      const cwId = await reply(ana.page, 'Mine ended with a **fight** in the car park.', { contentWarning: 'violence' });
      await visitor.page.goto(inst.url + threadPath);
      const warning = visitor.page.locator(`#p-${cwId} details.cw`);
      assert.equal(await warning.evaluate((el) => (el as HTMLDetailsElement).open), false, 'collapsed at first');
      assert.equal(await warning.getAttribute('open'), null);
      const body = warning.locator('.body');
      assert.equal(await body.isVisible(), false, 'the post text is hidden behind the warning');
      assert.match((await warning.locator('summary').textContent()) ?? '', /violence/);
      await warning.locator('summary').click();
      await body.waitFor({ state: 'visible' });
      assert.equal(await warning.evaluate((el) => (el as HTMLDetailsElement).open), true);
      assert.match((await body.textContent()) ?? '', /fight in the car park/);
    });

    it('counts a reaction: the button shows 1', async () => {
      const { page } = ana;
      await page.goto(inst.url + threadPath);
      const post = page.locator(`#p-${anonId}`);
      const love = post.getByRole('button', { name: 'Love' });
      assert.equal(await love.getAttribute('aria-pressed'), 'false');
      await clickAndLoad(page, love);
      const pressed = page.locator(`#p-${anonId}`).getByRole('button', { name: 'Love' });
      await pressed.and(page.locator('[aria-pressed="true"]')).waitFor();
      assert.match((await pressed.textContent()) ?? '', /\b1\s*$/, 'the count is 1');
      await visitor.page.goto(inst.url + threadPath);
      const shown = visitor.page.locator(`#p-${anonId} .reactions .reaction[title="Love"]`);
      assert.match((await shown.textContent()) ?? '', /\b1\s*$/, 'visitors see the count too');
    });

    it('lets the thread starter report the anonymous reply', async () => {
      const { page } = ana;
      await page.goto(inst.url + threadPath);
      await clickAndLoad(page, page.locator(`#p-${anonId}`).getByRole('link', { name: 'Report' }));
      assert.equal(new URL(page.url()).pathname, `/p/${anonId}/report`);
      await page.getByRole('heading', { name: 'Report a post' }).waitFor();
      assert.ok(!(await page.content()).includes(beaHandle), 'the report form does not name the anonymous author');
      await page.getByRole('radio', { name: 'Outing someone (real name, photo, address)' }).check();
      await page.getByLabel('Anything else the moderators should know (optional)').fill('Full name of a client');
      await clickAndLoad(page, page.getByRole('button', { name: 'Send report' }));
      const landed = new URL(page.url());
      assert.equal(landed.pathname, threadPath);
      assert.equal(landed.searchParams.get('reported'), '1');
    });

    it('shows the moderator an anonymous member number, never the author; the removed post vanishes for readers and the author sees why', async () => {
      const mod = await chromium.person('moderator');
      await logIn(mod.page, modAccount.handle);
      await openMenu(mod.page);
      await clickAndLoad(mod.page, mod.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Moderate' }));
      assert.equal(new URL(mod.page.url()).pathname, '/mod');
      const item = mod.page.locator('li.report').filter({ hasText: 'Full name of a client' });
      await item.waitFor();
      const text = (await item.textContent()) ?? '';
      assert.match(text, /Outing someone/);
      assert.ok(!text.includes(beaHandle), `the moderator does not see the author: ${text}`);
      assert.match(text, /Anonymous member #\d+ of this board/);
      assert.ok(text.includes(`reported by ${anaHandle}`), text);
      // In the thread itself the post stays anonymous, for moderators too.
      await clickAndLoad(mod.page, item.getByRole('link', { name: 'Open in the thread' }));
      assert.equal(new URL(mod.page.url()).pathname, threadPath);
      assert.equal((await mod.page.locator(`#p-${anonId} header .author`).textContent())?.trim(), 'Anonymous member');
      assert.ok(!(await mod.page.content()).includes(beaHandle), "the thread page does not name the anonymous author to a moderator");
      await openMenu(mod.page);
      await clickAndLoad(mod.page, mod.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Moderate' }));
      await item.getByLabel('Action').selectOption({ label: 'Remove (the author sees the reason)' });
      await item.getByLabel('Reason').fill(reason);
      await clickAndLoad(mod.page, item.getByRole('button', { name: 'Apply' }));
      assert.equal(new URL(mod.page.url()).pathname, '/mod');

      const seen = await visitor.page.goto(inst.url + threadPath);
      assert.equal(seen?.status(), 200);
      assert.equal(await visitor.page.locator(`#p-${anonId}`).count(), 0, 'the removed post is gone for a visitor');
      const afterRemoval = await visitor.page.content();
      assert.ok(!afterRemoval.includes('bad night'), 'and so is its text');
      assert.ok(!afterRemoval.includes(beaHandle) && !afterRemoval.includes(reason), 'and nothing about who wrote it or why it went');

      await ana.page.goto(inst.url + threadPath);
      assert.equal(await ana.page.locator(`#p-${anonId}`).count(), 0, 'the removed post is gone for the reporter');

      await bea.page.goto(inst.url + threadPath);
      const own = bea.page.locator(`#p-${anonId}`);
      await own.waitFor();
      assert.match((await own.textContent()) ?? '', new RegExp(`A moderator removed this post\\. Reason: ${reason}`));
    });
  });

  describe('without JavaScript', () => {
    it('a moderator bans an anonymous member with the form on the post, and lifts the ban on the board’s list', async () => {
      const writer = await member(inst, 'quiet');
      const made = await writer.client.api('POST', '/boards/general/threads', { title: 'Said anonymously', body: 'Words to moderate', anonymous: true });
      assert.equal(made.status, 201, made.text);
      const postId = made.json.post.id as string;
      const mod = await chromium.person('moderator (no JavaScript)', { javaScriptEnabled: false });
      const { page } = mod;
      await logIn(page, modAccount.handle);
      await page.goto(`${inst.url}/t/${made.json.thread.id as string}`);
      const post = page.locator(`#p-${postId}`);
      await post.getByText('Moderate', { exact: true }).click();
      const form = post.locator('form.ban');
      const heading = (await form.locator('strong').textContent()) ?? '';
      const number = /Ban anonymous member #(\d+) of this board/.exec(heading)?.[1];
      assert.ok(number, heading);
      await form.getByLabel('Reason (the board’s moderators see it)').fill('spamming the board');
      await clickAndLoad(page, form.getByRole('button', { name: 'Ban from this board' }));
      assert.equal(new URL(page.url()).pathname, '/mod/boards/general/bans');
      await page.getByText(`Anonymous member #${number} of this board can no longer post anonymously here.`).waitFor();
      assert.ok(!(await page.content()).includes(writer.handle), 'the page never names the member');
      const refused = await writer.client.api('POST', '/boards/general/threads', { title: 'Again', body: 'still here', anonymous: true });
      assert.equal(refused.status, 403, refused.text);
      const ban = page.locator('li', { hasText: 'spamming the board' });
      await clickAndLoad(page, ban.getByRole('button', { name: 'Lift the ban' }));
      await page.getByText(`Anonymous member #${number} of this board may post anonymously here again.`).waitFor();
      assert.equal((await writer.client.api('POST', '/boards/general/threads', { title: 'Again', body: 'back now', anonymous: true })).status, 201);
    });

    it('signs up, starts a thread, replies with a content warning and reacts', async () => {
      const cleo = await chromium.person('cleo (no JavaScript)', { javaScriptEnabled: false });
      const { page } = cleo;
      const cleoHandle = handle('cleo');
      await signUp(page, cleoHandle);
      const path = await startThread(page, 'Posted without scripts', 'Works **without** JavaScript.');
      assert.equal(await page.locator('li.post').first().locator('.body strong').textContent(), 'without');

      const id = await reply(page, 'A reply from a *plain* form.', { contentWarning: 'test', anonymous: true });
      const post = page.locator(`#p-${id}`);
      assert.match((await post.locator('.author').textContent()) ?? '', /Anonymous member/);
      await post.locator('details.cw summary').click();
      await post.locator('.body em').waitFor({ state: 'visible' });
      assert.equal(await post.locator('.body em').textContent(), 'plain');

      await clickAndLoad(page, page.locator('li.post').first().getByRole('button', { name: 'Thanks' }));
      const thanks = page.locator('li.post').first().getByRole('button', { name: 'Thanks' });
      assert.equal(await thanks.getAttribute('aria-pressed'), 'true');
      assert.match((await thanks.textContent()) ?? '', /\b1\s*$/);
      assert.equal(new URL(page.url()).pathname, path);
    });
  });

  describe('hostile post bodies', () => {
    /** A handful from each family of the corpus, typed into the form as a person would. */
    const picked = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '<svg/onload=alert(1)>',
      '<details open ontoggle=alert(1)>',
      '<a href="https://example.com" onclick="alert(1)">x</a>',
      '[a](javascript:alert(1))',
      '[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
      '[a](https://example.com "onmouseover=alert(1)")',
      'https://example.com/"><script>alert(1)</script>',
      '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
      '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
      '"><svg/onload=alert(1)>',
    ];

    before(() => {
      for (const vector of picked) assert.ok(xssVectors.includes(vector), `not in test/content/xss-corpus.ts any more: ${vector}`);
    });

    it('posted through the browser form, fire no dialog and leave only allow-listed markup', async function () {
      this.timeout(120_000);
      const dana = await chromium.person('dana');
      await signUp(dana.page, handle('dana'));
      const visitor = await chromium.person('xss visitor');
      for (const [i, vector] of picked.entries()) {
        const title = `#${i} ${vector}`.slice(0, 150);
        const path = await startThread(dana.page, title, vector);
        for (const viewer of [dana, visitor]) {
          if (viewer === visitor) await visitor.page.goto(inst.url + path);
          await viewer.page.locator('li.post .body').first().waitFor({ state: 'attached' });
          await settle(viewer.page);
          assert.deepEqual(await unsafeMarkup(viewer.page, POST_BODIES), [], `${viewer.label}, vector #${i}: ${vector}`);
          const heading = (await viewer.page.getByRole('heading', { level: 1 }).textContent()) ?? '';
          assert.ok(heading.includes(title), `${viewer.label}: the title shows as text: ${heading}`);
          chromium.assertClean(`${viewer.label}, vector #${i}: ${vector}`);
        }
      }
    });

    it('the whole corpus, posted through the API, renders safely on the thread pages', async function () {
      this.timeout(120_000);
      const poster = await member(inst, 'corpus');
      const visitor = await chromium.person('corpus visitor');
      const chunk = 25;
      // Text with a NUL byte or a lone surrogate is refused at the door (server/core/validate.ts), never stored or shown.
      const refused = xssVectors.filter(hasBadText);
      assert.ok(refused.length > 0, 'the corpus has vectors with NUL bytes');
      const vectors = xssVectors.filter((v) => !hasBadText(v));
      for (const vector of refused) {
        const answer = await poster.client.api('POST', '/boards/general/threads', { title: 'Refused', body: vector });
        assert.equal(answer.status, 422, `${JSON.stringify(vector)}: ${answer.text}`);
      }
      for (let start = 0; start < vectors.length; start += chunk) {
        const slice = vectors.slice(start, start + chunk);
        const made = await poster.client.api('POST', '/boards/general/threads', { title: `Corpus from #${start}`, body: slice[0] });
        assert.equal(made.status, 201, `#${start}: ${made.text}`);
        const threadId = made.json.thread.id as string;
        for (const [offset, vector] of slice.entries()) {
          if (offset === 0) continue;
          const answer = await poster.client.api('POST', `/threads/${threadId}/posts`, { body: vector });
          assert.equal(answer.status, 201, `#${start + offset} ${JSON.stringify(vector)}: ${answer.text}`);
        }
        await visitor.page.goto(`${inst.url}/t/${threadId}`);
        assert.equal(await visitor.page.locator('li.post').count(), slice.length, `every post of #${start}… is on the page`);
        await settle(visitor.page);
        assert.deepEqual(await unsafeMarkup(visitor.page, POST_BODIES), [], `vectors #${start}–#${start + slice.length - 1}`);
        chromium.assertClean(`vectors #${start}–#${start + slice.length - 1}`);
      }
    });
  });

  describe('on a 360 px wide phone', () => {
    const phone = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };

    it('shows a busy thread without horizontal scrolling, to a visitor and to a moderator', async () => {
      const eve = await member(inst, 'eve');
      const fay = await member(inst, 'fay');
      const made = await eve.client.api('POST', '/boards/general/threads', {
        title: 'A rather long thread title that goes on and on, to see how it wraps on a small phone screen',
        body: 'Opening post with **bold**, a [link](https://example.org/a/very/long/path/that/keeps/going/and/going/without/any/break/at/all) and a list:\n\n- one\n- two',
      });
      assert.equal(made.status, 201, made.text);
      const threadId = made.json.thread.id as string;
      const replies = [
        { body: `A bare long URL: https://example.org/${'x'.repeat(200)}` },
        { body: `An unbroken word: ${'Donaudampfschifffahrtsgesellschaft'.repeat(6)}` },
        { body: `\`\`\`\n${'const somethingRatherLong = "a line of code far wider than a phone";'.repeat(3)}\n\`\`\`` },
        { body: '> A quote\n> that goes on', contentWarning: 'a content warning that is fairly long for such a small screen' },
        { body: 'Quietly, anonymously.', anonymous: true },
      ];
      for (const r of replies) assert.equal((await fay.client.api('POST', `/threads/${threadId}/posts`, r)).status, 201);
      const reacted = await fay.client.api('POST', `/posts/${made.json.post.id}/reactions`, { kind: 'heart' });
      assert.ok(reacted.status < 300, reacted.text);

      const visitor = await chromium.person('phone visitor', phone);
      const mod = await chromium.person('phone moderator', phone);
      await logIn(mod.page, modAccount.handle);
      for (const viewer of [visitor, mod]) {
        await viewer.page.goto(`${inst.url}/t/${threadId}`);
        await viewer.page.locator('li.post').nth(replies.length).waitFor();
        // Open what a reader would open, so that their contents count too.
        for (const summary of await viewer.page.locator('details.cw > summary').all()) await summary.click();
        const width = await viewer.page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
        assert.ok(width.scroll <= 360, `${viewer.label}: the page is ${width.scroll}px wide at a 360px viewport (client ${width.client}px)`);
      }
    });
  });
});
