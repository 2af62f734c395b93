import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';

/** Know-your-rights pages through the JSON API: anyone reads, moderators write, bad input changes nothing. */
describe('rights pages API', () => {
  let inst: TestInstance;
  let boss: Person;
  let mod: Person;
  let alice: Person;
  let visitor: Client;

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    mod = await moderator(inst, boss);
    alice = await member(inst, 'alice');
    visitor = new Client(inst.url);
  });
  after(async () => inst.close());

  const snapshot = async (slug: string, locale = 'en') => (await visitor.api('GET', `/rights/${slug}?locale=${locale}`)).json;

  it('seeds clearly marked placeholders that give no legal advice and no phone numbers, readable without an account', async () => {
    const list = await visitor.api('GET', '/rights');
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.pages.map((p: { slug: string }) => p.slug), ['arrested', 'police-harassment', 'searches']);
    for (const summary of list.json.pages) {
      assert.equal(summary.placeholder, true);
      const { page } = (await visitor.api('GET', `/rights/${summary.slug}`)).json;
      assert.match(page.body, /Placeholder: this page has not been written yet/);
      assert.match(page.body, /no legal advice/);
      assert.match(page.body, /lawyer/);
      assert.doesNotMatch(page.body, /\d{3}/, 'no numbers that could pass for a phone number');
      assert.match(page.html, /<ul>/);
    }
    assert.equal((await visitor.api('GET', '/rights/arrested')).json.page.title, 'What to do if you are arrested');
  });

  it('lets a moderator write a page and a translation; readers get their language, else the default language', async () => {
    const created = await mod.client.api('PUT', '/rights/sex-work-law', { locale: 'en', title: 'The law on sex work here', body: 'Written **with** a lawyer.\n\n<script>alert(1)</script>' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.page.placeholder, false);
    assert.match(created.json.page.html, /<strong>with<\/strong>/);
    assert.doesNotMatch(created.json.page.html, /<script>/);

    const fallback = await visitor.api('GET', '/rights/sex-work-law', undefined, { 'accept-language': 'zh-CN' });
    assert.equal(fallback.json.page.locale, 'en', 'no Chinese version yet: the default language');

    const translated = await mod.client.api('PUT', '/rights/sex-work-law', { locale: 'zh-Hans', title: '本地法律', body: '与律师一起写的。' });
    assert.equal(translated.status, 201);
    assert.deepEqual(translated.json.page.locales, ['en', 'zh-Hans']);
    const chinese = await visitor.api('GET', '/rights/sex-work-law', undefined, { 'accept-language': 'zh-CN' });
    assert.equal(chinese.json.page.title, '本地法律');
    assert.equal((await visitor.api('GET', '/rights/sex-work-law?locale=en')).json.page.title, 'The law on sex work here');
    const listed = (await visitor.api('GET', '/rights?locale=zh-Hans')).json.pages.find((p: { slug: string }) => p.slug === 'sex-work-law');
    assert.equal(listed.title, '本地法律');

    const replaced = await boss.client.api('PUT', '/rights/sex-work-law', { locale: 'en', title: 'The law here', body: 'Updated.' });
    assert.equal(replaced.status, 200, 'an existing version is replaced');
    assert.equal((await snapshot('sex-work-law')).page.title, 'The law here');
    assert.equal((await snapshot('sex-work-law', 'zh-Hans')).page.title, '本地法律', 'the other language is untouched');
  });

  it('an edit clears the placeholder mark', async () => {
    const reply = await mod.client.api('PUT', '/rights/searches', { locale: 'en', title: 'Your rights during a search', body: 'Checked with our lawyer in 2026.' });
    assert.equal(reply.status, 200);
    assert.equal((await snapshot('searches')).page.placeholder, false);
  });

  it('lets members and visitors read but not write or delete', async () => {
    const before = await snapshot('arrested');
    const byMember = await alice.client.api('PUT', '/rights/arrested', { locale: 'en', title: 'Hacked', body: 'x' });
    assert.equal(byMember.status, 403);
    assert.equal(byMember.json.error.code, 'moderator_only');
    assert.equal((await visitor.api('PUT', '/rights/arrested', { locale: 'en', title: 'Hacked', body: 'x' })).status, 401);
    assert.equal((await alice.client.api('DELETE', '/rights/arrested?locale=en')).status, 403);
    assert.equal((await visitor.api('DELETE', '/rights/arrested?locale=en')).status, 401);
    assert.equal((await alice.client.api('PUT', '/rights/new-one', { locale: 'en', title: 'New', body: 'x' })).status, 403);
    assert.deepEqual(await snapshot('arrested'), before);
    assert.equal((await visitor.api('GET', '/rights/new-one')).status, 404);
  });

  it('refuses bad pages with a clear 4xx and changes nothing', async () => {
    const before = await snapshot('arrested');
    const count = (await visitor.api('GET', '/rights')).json.pages.length;
    const cases: [string, unknown, number, string][] = [
      ['/rights/Arrested', { locale: 'en', title: 'T', body: 'B' }, 422, 'slug'],
      ['/rights/a', { locale: 'en', title: 'T', body: 'B' }, 422, 'slug'],
      [`/rights/${'a'.repeat(61)}`, { locale: 'en', title: 'T', body: 'B' }, 422, 'slug'],
      ['/rights/arrested', { locale: 'xx', title: 'T', body: 'B' }, 422, 'locale'],
      ['/rights/arrested', { title: 'T', body: 'B' }, 422, 'locale'],
      ['/rights/arrested', { locale: 'en', title: '', body: 'B' }, 422, 'title'],
      ['/rights/arrested', { locale: 'en', title: 'x'.repeat(151), body: 'B' }, 422, 'title'],
      ['/rights/arrested', { locale: 'en', title: 'T', body: '   ' }, 422, 'body'],
      ['/rights/arrested', { locale: 'en', title: 'T', body: 'x'.repeat(20_001) }, 422, 'body'],
      ['/rights/arrested', { locale: 'en', title: 'T', body: 'B', placeholder: true }, 422, '_'],
      ['/rights/arrested', { locale: 'en', title: 'T\u202Eevil', body: 'B' }, 422, 'title'],
    ];
    for (const [path, body, status, field] of cases) {
      const reply = await mod.client.api('PUT', path, body);
      assert.equal(reply.status, status, `${path} ${JSON.stringify(body).slice(0, 80)}: ${reply.text}`);
      assert.equal(reply.json.error.code, 'validation_failed');
      assert.ok(reply.json.error.fields[field], `${field} named in ${reply.text}`);
    }
    const notJson = await mod.client.request('PUT', '/api/v1/rights/arrested', { body: 'locale=en&title=T&body=B', type: 'application/x-www-form-urlencoded' });
    assert.equal(notJson.status, 415);
    const broken = await mod.client.request('PUT', '/api/v1/rights/arrested', { body: '{"locale":', type: 'application/json' });
    assert.equal(broken.status, 400);
    assert.deepEqual(await snapshot('arrested'), before);
    assert.equal((await visitor.api('GET', '/rights')).json.pages.length, count);
  });

  it('answers unknown pages and bad reading parameters clearly', async () => {
    assert.equal((await visitor.api('GET', '/rights/no-such-page')).status, 404);
    assert.equal((await visitor.api('GET', '/rights/no-such-page')).json.error.code, 'rights_page_not_found');
    assert.equal((await visitor.api('GET', '/rights/NOT%20A%20SLUG')).status, 404);
    const badLocale = await visitor.api('GET', '/rights/arrested?locale=xx');
    assert.equal(badLocale.status, 422);
    assert.ok(badLocale.json.error.fields.locale, 'the unknown locale is flagged');
    assert.equal((await visitor.api('GET', '/rights?locale=klingon-xx-yy-zz-long')).status, 422);
    assert.equal((await visitor.api('GET', '/rights?sort=title')).status, 422);
  });

  it('deletes one language version at a time; the locale is required', async () => {
    await mod.client.api('PUT', '/rights/to-delete', { locale: 'en', title: 'Gone soon', body: 'x' });
    await mod.client.api('PUT', '/rights/to-delete', { locale: 'zh-Hans', title: '很快就没了', body: 'x' });
    const noLocale = await mod.client.api('DELETE', '/rights/to-delete');
    assert.equal(noLocale.status, 422);
    assert.ok(noLocale.json.error.fields.locale, 'the missing locale is flagged');
    assert.equal((await mod.client.api('DELETE', '/rights/to-delete?locale=xx')).status, 422);
    assert.equal((await mod.client.api('DELETE', '/rights/no-such-page?locale=en')).status, 404);
    assert.deepEqual((await snapshot('to-delete')).page.locales, ['en', 'zh-Hans'], 'nothing gone after the bad requests');
    assert.equal((await mod.client.api('DELETE', '/rights/to-delete?locale=en')).status, 204);
    const left = await snapshot('to-delete');
    assert.equal(left.page.locale, 'zh-Hans', 'the other version is still there, and shown for lack of English');
    assert.equal((await mod.client.api('DELETE', '/rights/to-delete?locale=en')).status, 404);
    assert.equal((await boss.client.api('DELETE', '/rights/to-delete?locale=zh-Hans')).status, 204);
    assert.equal((await visitor.api('GET', '/rights/to-delete')).status, 404);
  });

  it('seeds only on the very first start: deleted placeholders stay deleted after a restart', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-rights-'));
    const first = await startInstance({ dataDir });
    const boss1 = await admin(first);
    // The placeholders are written in every language: each version goes.
    const locales = (await boss1.client.api('GET', '/rights/searches')).json.page.locales as string[];
    assert.equal(locales.length, first.parasol.ctx.i18n.locales.length);
    for (const locale of locales) assert.equal((await boss1.client.api('DELETE', `/rights/searches?locale=${locale}`)).status, 204);
    const resources = (await boss1.client.api('GET', '/resources')).json.resources;
    assert.equal(resources.length, 1);
    assert.equal((await boss1.client.api('DELETE', `/resources/${resources[0].id}`)).status, 204);
    await first.close();
    const second = await startInstance({ dataDir });
    try {
      const client = new Client(second.url);
      assert.deepEqual((await client.api('GET', '/rights')).json.pages.map((p: { slug: string }) => p.slug), ['arrested', 'police-harassment']);
      assert.deepEqual((await client.api('GET', '/resources')).json.resources, []);
    } finally {
      await second.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
