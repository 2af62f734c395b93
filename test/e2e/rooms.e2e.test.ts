import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member, moderator, type Person as ApiPerson } from '../helpers/people.js';
import { invite, newRoom } from '../rooms/helpers.js';
import { clickAndLoad, unsafeMarkup, useBrowser, type Person } from './browser.js';

/** Where message bodies go, on pages and in messages added live. */
const MESSAGE_BODIES = '#messages .message .body';

/** Two members chat live in Chromium; a facilitator removes one, whose page stops receiving at once. */
describe('rooms in Chromium', function () {
  this.timeout(120_000);
  const chromium = useBrowser();
  let inst: TestInstance;
  let fac: ApiPerson;
  let ana: ApiPerson;
  let bea: ApiPerson;
  let roomId: string;

  before(async () => {
    inst = await startInstance();
    // The room page's own title is checked: a new instance's discreet titles would show only its name.
    await inst.parasol.ctx.instance.updateSettings({ discreetTitlesByDefault: false });
    fac = await moderator(inst, await admin(inst));
    ana = await member(inst, 'ana');
    bea = await member(inst, 'bea');
    roomId = (await newRoom(fac, { name: 'Positive peers' })).id;
    await invite(fac, roomId, ana, { alias: 'Ana in the room' });
    await invite(fac, roomId, bea, { alias: 'Bea in the room' });
  });
  after(async () => inst?.close());

  const as = (label: string, who: ApiPerson, javaScriptEnabled = true) =>
    chromium.person(label, { javaScriptEnabled, cookies: [{ name: 'psl_session', value: who.client.cookies.get('psl_session')!, url: inst.url }] });

  async function openRoom(label: string, who: ApiPerson): Promise<Person> {
    const person = await as(label, who);
    await person.page.goto(`${inst.url}/rooms/${roomId}`);
    await person.page.locator('#messages[data-live="on"]').waitFor({ state: 'attached' });
    return person;
  }

  async function send(page: Page, text: string) {
    await page.getByLabel('Your message').fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
  }

  const bodies = (page: Page) => page.locator('#messages li.message:not(.pending) .body').allTextContents();

  it('delivers messages live both ways, then stops delivering to a removed member at once', async () => {
    const a = await openRoom('ana', ana);
    const b = await openRoom('bea', bea);
    assert.equal(await a.page.title(), `Group chat · ${inst.parasol.ctx.instance.settings().name}`);

    await send(a.page, 'Hello from **Ana** <img src=x onerror=alert(1)>');
    const arrived = b.page.locator('#messages li.message', { hasText: 'Hello from Ana' });
    await arrived.waitFor();
    assert.equal(await arrived.locator('.body strong').textContent(), 'Ana');
    assert.equal(await arrived.locator('header .author').textContent(), 'Ana in the room');
    await a.page.locator('#messages li.message.mine', { hasText: 'Hello from Ana' }).waitFor();
    assert.equal(await a.page.locator('#messages li.pending').count(), 0, 'shown as sent once stored');
    assert.deepEqual(await unsafeMarkup(b.page, MESSAGE_BODIES), []);

    await send(b.page, 'Hi Ana, welcome');
    await a.page.locator('#messages li.message', { hasText: 'Hi Ana, welcome' }).waitFor();
    await a.page.locator('#room-online', { hasText: '2' }).waitFor();

    const f = await as('facilitator', fac);
    await f.page.goto(`${inst.url}/rooms/${roomId}/manage`);
    await clickAndLoad(f.page, f.page.locator('li', { hasText: 'Bea in the room' }).getByRole('button', { name: 'Remove' }));

    await b.page.getByText('You are no longer in this group.').waitFor();
    assert.equal(await b.page.locator('#send-form').isVisible(), false);
    const beaSaw = await bodies(b.page);

    await send(a.page, 'Only for those still here');
    await a.page.locator('#messages li.message.mine', { hasText: 'Only for those still here' }).waitFor();
    await b.page.waitForTimeout(1000);
    assert.deepEqual(await bodies(b.page), beaSaw, 'nothing reached the removed member');
  });

  it('reads and posts without JavaScript', async () => {
    const { page } = await as('ana without JavaScript', ana, false);
    await page.goto(`${inst.url}/rooms/${roomId}`);
    await page.getByLabel('Your message').fill('Sent with a plain form');
    await clickAndLoad(page, page.getByRole('button', { name: 'Send' }));
    await page.locator('#messages li.message', { hasText: 'Sent with a plain form' }).waitFor();
    assert.ok(await page.getByRole('link', { name: 'Refresh' }).isVisible(), 'the page without scripts offers a Refresh link');
  });
});
