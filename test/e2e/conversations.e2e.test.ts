import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { member, type Person as ApiPerson } from '../helpers/people.js';
import { acceptOnly, openToEveryone, start } from '../conversations/helpers.js';
import { apiWithPhotos } from '../media/helpers.js';
import { noisyPixels } from '../media/fixtures.js';
import { useBrowser, type Person } from './browser.js';

/**
 * Two members talk live in Chromium; a third member can neither see the conversation nor join it. An open page
 * follows the conversation without reloading: photos arriving, someone joining or leaving, a shorter retention.
 */
describe('private conversations in Chromium', function () {
  this.timeout(120_000);
  const chromium = useBrowser();
  let inst: TestInstance;
  let ana: ApiPerson;
  let bea: ApiPerson;
  let eve: ApiPerson;
  let id: string;

  before(async () => {
    inst = await startInstance();
    ana = await member(inst, 'ana');
    bea = await member(inst, 'bea');
    eve = await member(inst, 'eve');
    await openToEveryone(bea);
    id = await start(ana, [bea], 'can we talk?');
    await acceptOnly(bea);
  });
  after(async () => inst?.close());

  const as = (label: string, who: ApiPerson) => chromium.person(label, { cookies: [{ name: 'psl_session', value: who.client.cookies.get('psl_session')!, url: inst.url }] });

  async function open(label: string, who: ApiPerson, conversationId = id): Promise<Person> {
    const person = await as(label, who);
    await person.page.goto(`${inst.url}/conversations/${conversationId}`);
    await person.page.locator('#messages[data-live="on"]').waitFor({ state: 'attached' });
    return person;
  }

  async function send(page: Page, text: string) {
    await page.getByLabel('Message', { exact: true }).fill(text);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
  }

  const bodies = (page: Page) => page.locator('#messages li.message:not(.pending) .body').allTextContents();

  it('delivers messages live both ways, as text, named from each reader’s own list', async () => {
    const a = await open('ana', ana);
    const b = await open('bea', bea);
    await send(a.page, 'Hello Bea <img src=x onerror=alert(1)>');
    const arrived = b.page.locator('#messages li.message', { hasText: 'Hello Bea' });
    await arrived.waitFor();
    assert.equal(await arrived.locator('header .author').textContent(), ana.handle);
    assert.equal(await arrived.locator('.body img').count(), 0, 'a body is text, never markup');
    await a.page.locator('#messages li.message.mine', { hasText: 'Hello Bea' }).waitFor();
    assert.equal(await a.page.locator('#messages li.pending').count(), 0, 'shown as sent once stored');

    await send(b.page, 'Hi Ana, I am here');
    await a.page.locator('#messages li.message', { hasText: 'Hi Ana, I am here' }).waitFor();
    assert.deepEqual(await bodies(a.page), await bodies(b.page));
  });

  it('a third member can neither see the conversation nor follow it live', async () => {
    const e = await as('eve', eve);
    // Fetched with the page's cookies rather than opened: a 404 page would count as a console error.
    const reply = await e.page.request.get(`${inst.url}/conversations/${id}`);
    assert.equal(reply.status(), 404);
    assert.ok(!(await reply.text()).includes('can we talk?'), 'nothing of it shown');
    await e.page.goto(`${inst.url}/conversations`);
    assert.ok(!(await e.page.content()).includes(id), 'not in their list');
    // The page's own script, pointed at the conversation, is refused its channel.
    const answer = await e.page.evaluate(
      (conversationId) =>
        new Promise<unknown>((resolve) => {
          const w = window as unknown as { parasolSocket?: (ns: string) => { emit: (e: string, p: unknown, cb: (a: unknown) => void) => void; once: (e: string, cb: () => void) => void } };
          if (!w.parasolSocket) return resolve('no socket client');
          const socket = w.parasolSocket('/conversations');
          socket.once('connect', () => socket.emit('subscribe', { channel: `conversation:${conversationId}` }, resolve));
        }),
      id,
    );
    assert.deepEqual(answer, { ok: false, error: { code: 'forbidden', message: 'You may not follow this channel.' } });

    const a = await open('ana again', ana);
    await send(a.page, 'not for eve');
    await a.page.locator('#messages li.message.mine', { hasText: 'not for eve' }).waitFor();
    assert.ok(!(await e.page.content()).includes('not for eve'), 'nothing reached the third member');
  });

  it('shows photos, someone joining or leaving and a shorter retention without a reload', async () => {
    const cat = await member(inst, 'cat');
    await openToEveryone(cat);
    const group = await start(ana, [bea, cat], 'a small group', { retentionDays: 30 });
    await acceptOnly(bea);
    const a = await open('ana in the group', ana, group);
    const page = a.page;
    // Anything the page forgets on a reload: the checks below would pass on a reloaded page, but not with this gone.
    await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
    const tagOf = (who: ApiPerson) => page.locator('#conversation-people [data-place]', { hasText: who.handle }).locator('.tag');
    assert.equal(await tagOf(cat).textContent(), 'not answered yet');
    assert.match((await page.locator('#conversation-retention').textContent()) ?? '', /after 30 days/);

    await acceptOnly(cat);
    await tagOf(cat).waitFor({ state: 'hidden' });
    await page.locator('#conversation-status', { hasText: `${cat.handle} joined the conversation.` }).waitFor();

    assert.equal((await bea.client.api('PUT', `/conversations/${group}/retention`, { retentionDays: 7 })).status, 200);
    await page.locator('#conversation-retention', { hasText: 'after 7 days' }).waitFor();
    assert.deepEqual(await page.locator('#shorten-form input[name="retentionDays"]').evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value)), ['1'], 'only a shorter one is offered');

    const photo = { bytes: await (await noisyPixels(120, 90, 4)).jpeg().toBuffer() };
    const sent = await apiWithPhotos(bea.client, `/conversations/${group}/messages`, { body: 'The car outside' }, [photo], { alt: 'A grey car' });
    assert.equal(sent.status, 201, sent.text);
    const thumb = page.locator('#messages li.message', { hasText: 'The car outside' }).locator(`ul.photos img[alt="A grey car"]`);
    await thumb.waitFor();
    assert.equal(await thumb.getAttribute('src'), sent.json.photos[0].thumbUrl);
    await page.waitForFunction((img) => img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0, await thumb.elementHandle(), { timeout: 20_000 });

    assert.equal((await bea.client.api('POST', `/conversations/${group}/leave`)).status, 204);
    await page.locator('#conversation-status', { hasText: `${bea.handle} left the conversation.` }).waitFor();
    assert.equal(await tagOf(bea).textContent(), 'left');
    assert.ok(await tagOf(bea).isVisible(), 'the left tag shows');
    assert.equal(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere), true, 'the page was never reloaded');
  });
});
