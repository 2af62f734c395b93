import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member, type Person } from '../helpers/people.js';
import { settle, useBrowser } from './browser.js';
import { axeViolations } from './axe.js';

/**
 * An admin walks the whole console on a 360 px phone, in Burmese and in Arabic (right to left): no page is wider than
 * the screen or has a serious accessibility problem, and every change is made with the forms.
 */
for (const tag of ['my', 'ar'] as const) describe(`the admin console in Chromium on a 360 px phone, in ${tag}`, function () {
  this.timeout(120_000);
  const chromium = useBrowser();
  let inst: TestInstance;
  let boss: Person;
  let ana: Person;

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    ana = await member(inst, 'ana');
  });
  after(async () => inst?.close());

  const t = (key: string, params?: Record<string, string | number>) => inst.parasol.ctx.i18n.t(tag, key, params);
  /** No sideways scrolling, and nothing axe finds serious, with what is folded away opened. */
  const fitsTheScreen = async (page: Page, where: string) => {
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `${where} is ${width} px wide`);
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => d.setAttribute('open', '')));
    await settle(page);
    const found = await axeViolations(page);
    assert.deepEqual(found.map((f) => `${f.id}: ${f.help} at ${f.targets.join(', ')}`), [], where);
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => d.removeAttribute('open')));
  };

  it('walks every section from the first steps, changes a role from the list and suspends a member', async () => {
    const { page } = await chromium.person('boss', {
      cookies: [
        { name: 'psl_session', value: boss.client.cookies.get('psl_session')!, url: inst.url },
        { name: 'psl_lang', value: tag, url: inst.url },
      ],
      viewport: { width: 360, height: 740 },
    });
    await page.goto(`${inst.url}/admin`);
    assert.equal(await page.getAttribute('html', 'dir'), tag === 'ar' ? 'rtl' : 'ltr');
    await page.getByRole('heading', { name: t('admin_console.first_steps') }).waitFor();
    await page.getByText(t('admin_console.steps_left', { count: 9 })).waitFor();
    await fitsTheScreen(page, '/admin');

    const nav = page.getByRole('navigation', { name: t('admin_console.sections') });
    const sections = { members: '/admin/members', boards: '/admin/boards', rooms: '/admin/rooms', rights: '/admin/rights', areas: '/admin/areas', network: '/admin/network', storage: '/admin/storage', health: '/admin/health', home: '/admin' };
    for (const [section, path] of Object.entries(sections)) {
      await nav.getByRole('link', { name: t(`admin_console.section_${section}`) }).click();
      await page.waitForURL(`${inst.url}${path}`);
      const current = nav.locator('[aria-current="page"]');
      assert.equal((await current.textContent())?.trim(), t(`admin_console.section_${section}`));
      await fitsTheScreen(page, section);
    }

    // A first step leads to where it is done.
    await page.getByRole('link', { name: t('admin_console.step_rooms') }).click();
    await page.waitForURL(/\/admin\/rooms$/);

    await nav.getByRole('link', { name: t('admin_console.section_members') }).click();
    await page.getByLabel(t('admin_console.search_handle')).fill(ana.handle.slice(0, 6));
    await page.getByRole('button', { name: t('search.submit') }).click();
    await page.waitForURL(/q=/);
    const row = page.locator(`#m-${ana.handle}`);
    await row.getByLabel(t('admin.role')).selectOption('moderator');
    await row.getByRole('button', { name: t('admin.set_role') }).click();
    await page.getByText(t('admin.role_set', { handle: ana.handle, role: t('role.moderator') })).waitFor();
    assert.equal((await inst.parasol.ctx.accounts.byHandle(ana.handle))!.role, 'moderator');
    await fitsTheScreen(page, 'members after a change');

    await page.locator(`#m-${ana.handle}`).getByLabel(t('admin.role')).selectOption('member');
    await page.locator(`#m-${ana.handle}`).getByRole('button', { name: t('admin.set_role') }).click();
    await page.getByText(t('admin.role_set', { handle: ana.handle, role: t('role.member') })).waitFor();
    const again = page.locator(`#m-${ana.handle}`);
    await again.getByText(t('mod.suspend'), { exact: true }).first().click();
    await again.getByLabel(t('mod.days')).fill('3');
    await again.getByLabel(t('mod.reason')).fill('threats in replies');
    await again.getByRole('button', { name: t('mod.suspend') }).click();
    await page.getByText(t('mod.suspended_done', { handle: ana.handle })).waitFor();
    assert.ok(((await inst.parasol.ctx.accounts.byHandle(ana.handle))!.suspendedUntil ?? 0) > Date.now(), 'suspended');
    await fitsTheScreen(page, 'members after a suspension');
  });
});
