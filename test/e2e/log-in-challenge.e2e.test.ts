import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, handle, PASS } from '../helpers/client.js';
import { ACTION_TIMEOUT, clickAndLoad, useBrowser } from './browser.js';

describe('log-in challenge in a browser (pow.js)', function () {
  this.timeout(90_000);
  const chromium = useBrowser();
  let inst: TestInstance;
  before(async () => {
    inst = await startInstance({
      env: { LOGIN_POW_BITS: '12', LOGIN_WAIT_SECONDS: '45' },
      config: (c) => ({ ...c, rateLimits: { ...c.rateLimits, login: { perKey: 2, overall: 1000, windowSeconds: 600 } } }),
    });
  });
  after(async () => inst.close());

  it('solves the puzzle with SubtleCrypto so that a stranger past the limit can log in', async () => {
    const h = handle('hammered');
    assert.equal((await new Client(inst.url).api('POST', '/accounts', { handle: h, passphrase: PASS })).status, 201);
    for (let i = 0; i < 2; i++) await new Client(inst.url).api('POST', '/sessions', { handle: h, passphrase: `wrong guess ${i} here` });

    // Its own context, watched here: the helper's contexts count the challenge page's 429 status, which Chromium logs, as a failure.
    const context = await chromium.browser.newContext({ locale: 'en' });
    const problems: string[] = [];
    context.on('console', (message) => {
      if (message.type() === 'error' && !/status of 429/.test(message.text())) problems.push(message.text());
    });
    context.on('weberror', (error) => problems.push(error.error().message));
    const page = await context.newPage();
    await page.goto(`${inst.url}/login`);
    await page.getByLabel('Your made-up name (handle)').fill(h);
    await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
    await clickAndLoad(page, page.getByRole('button', { name: 'Log in' }));
    const status = page.locator('[data-pow-status]');
    await status.getByText('Puzzle solved').waitFor({ timeout: ACTION_TIMEOUT });
    const solution = await page.locator('input[name="challenge_solution"]').inputValue();
    assert.match(solution, /^\d+$/, 'the solution is in the form');
    await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
    await clickAndLoad(page, page.getByRole('button', { name: 'Log in' }));
    assert.equal(new URL(page.url()).pathname, '/', 'signed in and sent on');
    const cookies = await page.context().cookies(inst.url);
    assert.ok(cookies.some((c) => c.name === 'psl_session'), 'the browser has a session');
    assert.ok(cookies.some((c) => c.name === 'psl_device' && c.httpOnly), 'and a device cookie scripts cannot read');
    assert.deepEqual(problems, [], 'no script error, no CSP violation');
    await context.close();
  });
});
