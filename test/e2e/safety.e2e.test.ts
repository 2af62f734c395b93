import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { member, type Person } from '../helpers/people.js';
import { useBrowser } from './browser.js';

/** An SOS pressed by one worker reaches her buddy's open page at once, in a real browser. */
describe('safety in Chromium', function () {
  this.timeout(90_000);
  const chromium = useBrowser();
  let inst: TestInstance;
  let ana: Person;
  let bea: Person;

  before(async () => {
    inst = await startInstance();
    ana = await member(inst, 'ana');
    bea = await member(inst, 'bea');
    await ana.client.api('POST', '/buddies', { handle: bea.handle });
    await bea.client.api('POST', '/buddies', { handle: ana.handle });
  });
  after(async () => inst?.close());

  const signedIn = (person: Person) => [{ name: 'psl_session', value: person.client.cookies.get('psl_session')!, url: inst.url }];

  it('shows the buddy a live alert when the other presses SOS', async () => {
    const buddy = await chromium.person('bea', { cookies: signedIn(bea) });
    await buddy.page.goto(`${inst.url}/b/general`);
    // The alert must arrive live, not on a reload: wait until the page listens.
    await buddy.page.locator('body[data-live="on"]').waitFor({ state: 'attached', timeout: 20_000 });

    const worker = await chromium.person('ana', { cookies: signedIn(ana) });
    await worker.page.goto(`${inst.url}/safety`);
    await worker.page.getByRole('button', { name: /SOS/ }).click();
    await worker.page.waitForURL(/\/safety\/checkins\//);

    const alert = buddy.page.locator('#live-alert');
    await alert.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match((await alert.textContent()) ?? '', /SOS from a buddy/);
    await alert.getByRole('link').click();
    await buddy.page.waitForURL(/\/safety\/checkins\//);
    await buddy.page.getByRole('button', { name: /handling this/ }).click();
    await buddy.page.getByText(`Handling it: ${bea.handle}`).waitFor();
  });

  it('sends an SOS after a visible five-second countdown the worker can cancel, with no question asked (a 360 px phone in Arabic)', async () => {
    const t = (key: string, params?: Record<string, number>) => inst.parasol.ctx.i18n.t('ar', key, params);
    const checkins = async () => (await ana.client.api('GET', '/checkins')).json.checkins.length as number;
    const { page } = await chromium.person('ana', { cookies: [...signedIn(ana), { name: 'psl_lang', value: 'ar', url: inst.url }], viewport: { width: 360, height: 740 } });
    await page.goto(`${inst.url}/safety`);
    assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
    const before = await checkins();
    const status = page.locator('form.sos [role="status"]');
    const sos = page.getByRole('button', { name: /SOS/ });
    const cancel = page.getByRole('button', { name: t('safety.sos_cancel') });

    await sos.click();
    await status.getByText(t('safety.sos_countdown', { seconds: 5 })).waitFor();
    await cancel.click();
    await status.getByText(t('safety.sos_cancelled')).waitFor();
    assert.equal(new URL(page.url()).pathname, '/safety');
    assert.equal(await checkins(), before, 'a cancelled SOS sends nothing');
    assert.equal(await cancel.isVisible(), false);

    await sos.click();
    // Counted down second by second, then sent without any confirmation.
    await status.getByText(t('safety.sos_countdown', { seconds: 1 })).waitFor();
    await page.waitForURL(/\/safety\/checkins\//);
    await page.getByText(t('safety.sos_sent')).waitFor();
    assert.equal(await checkins(), before + 1);
    await page.getByRole('button', { name: t('safety.im_safe') }).click();
    await page.getByText(t('safety.status_closed'), { exact: true }).waitFor();
  });

  it('sends an SOS at once without JavaScript', async () => {
    const { page } = await chromium.person('ana without JavaScript', { javaScriptEnabled: false, cookies: signedIn(ana) });
    await page.goto(`${inst.url}/safety`);
    await page.getByRole('button', { name: /SOS/ }).click();
    await page.waitForURL(/\/safety\/checkins\//);
    await page.getByText('Your SOS was sent to your buddies.').waitFor();
    await page.getByRole('button', { name: "I'm safe" }).click();
    await page.getByText('Safe', { exact: true }).waitFor();
  });

  it('starts a check-in and says "I\'m safe" without JavaScript', async () => {
    const { page } = await chromium.person('ana without JavaScript', { javaScriptEnabled: false, cookies: signedIn(ana) });
    await page.goto(`${inst.url}/safety`);
    await page.getByLabel('I will be done in').selectOption('90');
    await page.getByLabel('Notes for your buddies').fill('Blue hotel, 2nd floor');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(/\/safety\/checkins\//);
    await page.getByText('Blue hotel, 2nd floor').waitFor();
    await page.getByRole('button', { name: "I'm safe" }).click();
    await page.getByText('Safe', { exact: true }).waitFor();
  });
});
