import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';

/** Know-your-rights and resource pages, used without JavaScript. */
describe('rights and resources pages', () => {
  let inst: TestInstance;
  let boss: Person;
  let mod: Person;
  let alice: Person;
  let visitor: Client;
  let area: string;

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    mod = await moderator(inst, boss);
    alice = await member(inst, 'alice');
    visitor = new Client(inst.url);
    area = (await boss.client.api('POST', '/areas', { name: 'Harbour' })).json.area.id;
  });
  after(async () => inst.close());

  const page = async (slug: string, locale = 'en') => (await visitor.api('GET', `/rights/${slug}?locale=${locale}`)).json.page;
  const resources = async () => (await visitor.api('GET', '/resources')).json.resources as { id: string; name: string; hours: string }[];

  it('shows the pages and the directory to a visitor, small and with Rights in the navigation', async () => {
    const index = await visitor.get('/rights');
    assert.equal(index.status, 200);
    assert.match(index.text, /<a href="\/rights"><svg[^>]*><use href="\/assets\/icons.svg#scales"\/><\/svg><span>Rights<\/span><\/a>/);
    assert.match(index.text, /href="\/rights\/arrested"><strong><bdi lang="en">What to do if you are arrested<\/bdi><\/strong><\/a> <span class="tag">Placeholder<\/span>/);
    assert.match(index.text, /href="\/resources"/);
    assert.doesNotMatch(index.text, /New page/, 'no editing form for visitors');

    const one = await visitor.get('/rights/arrested');
    assert.equal(one.status, 200);
    assert.match(one.text, /<title>Parasol<\/title>/, 'a new instance titles its pages with its name alone: the history shows no more');
    assert.match(one.text, /<h1 dir="auto">[^<]*What to do if you are arrested/);
    assert.match(one.text, /The organisation has not written this page yet/);
    assert.match(one.text, /<li>Your right to stay silent/);
    assert.doesNotMatch(one.text, /Edit this page/);
    assert.ok(zlib.gzipSync(one.text).length < 4_000, 'a small page');

    const directory = await visitor.get('/resources');
    assert.equal(directory.status, 200);
    assert.match(directory.text, /Example clinic \(placeholder\)/);
    assert.match(directory.text, /<form method="get" action="\/resources"/);
    assert.doesNotMatch(directory.text, /Manage resources/);
    assert.equal((await visitor.get('/rights/no-such-page')).status, 404);
  });

  it('keeps members and visitors out of the editing pages and forms', async () => {
    const before = await page('arrested');
    for (const path of ['/rights/arrested/edit', '/resources/manage']) {
      const anonymous = await visitor.get(path);
      assert.equal(anonymous.status, 303, path);
      assert.match(anonymous.headers.get('location')!, /^\/login\?next=/);
      assert.equal((await alice.client.get(path)).status, 403, path);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec((await alice.client.get('/settings')).text)![1]!;
    const edit = await alice.client.post('/rights/arrested/edit', { _csrf: token, locale: 'en', title: 'Hacked', body: 'x' });
    assert.equal(edit.status, 403);
    const create = await alice.client.post('/rights', { _csrf: token, slug: 'fake', locale: 'en', title: 'Fake', body: 'x' });
    assert.equal(create.status, 403);
    const del = await alice.client.post('/rights/arrested/delete', { _csrf: token, locale: 'en' });
    assert.equal(del.status, 403);
    const res = await alice.client.post('/resources/manage', { _csrf: token, name: 'Fake', kind: 'other' });
    assert.equal(res.status, 403);
    assert.deepEqual(await page('arrested'), before);
    assert.equal((await visitor.api('GET', '/rights/fake')).status, 404);
    assert.equal((await resources()).length, 1);
  });

  it('lets a moderator rewrite a placeholder through the form', async () => {
    const form = await mod.client.get('/rights/arrested/edit?locale=en');
    assert.equal(form.status, 200);
    assert.match(form.text, /Placeholder: this page has not been written yet/, 'the form starts from the current text');
    const saved = await mod.client.submit('/rights/arrested/edit', '/rights/arrested/edit', { locale: 'en', title: 'If you are arrested', body: 'Say: **I want a lawyer.**' });
    assert.equal(saved.status, 303);
    assert.equal(saved.headers.get('location'), '/rights/arrested?locale=en');
    const shown = await visitor.get('/rights/arrested');
    assert.match(shown.text, /<strong>I want a lawyer.<\/strong>/);
    assert.doesNotMatch(shown.text, /has not written this page yet/);
    assert.match((await mod.client.get('/rights/arrested')).text, /Edit this page/);
  });

  it('keeps what was typed and shows the error when a form is refused, changing nothing', async () => {
    const before = await page('police-harassment');
    const bad = await mod.client.submit('/rights/police-harassment/edit', '/rights/police-harassment/edit', { locale: 'en', title: '', body: 'Kept text' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /class="error" role="alert"/);
    assert.match(bad.text, />Kept text<\/textarea>/);
    const badLocale = await mod.client.submit('/rights/police-harassment/edit', '/rights/police-harassment/edit', { locale: 'xx', title: 'T', body: 'B' });
    assert.equal(badLocale.status, 422);
    assert.deepEqual(await page('police-harassment'), before);
    assert.equal((await mod.client.get('/rights/police-harassment/edit?locale=xx')).status, 422);
    assert.equal((await mod.client.get('/rights/Bad%20Slug/edit')).status, 404);
  });

  it('creates a new page from the index; a taken address or a bad slug is refused', async () => {
    const created = await mod.client.submit('/rights', '/rights', { slug: 'sex-work-and-the-law', locale: 'en', title: 'Sex work and the law', body: 'What the law says.' });
    assert.equal(created.status, 303);
    assert.equal(created.headers.get('location'), '/rights/sex-work-and-the-law?locale=en');
    assert.match((await visitor.get('/rights')).text, /Sex work and the law/);

    const taken = await mod.client.submit('/rights', '/rights', { slug: 'sex-work-and-the-law', locale: 'en', title: 'Other', body: 'Would overwrite.' });
    assert.equal(taken.status, 409);
    assert.match(taken.text, /This page exists already in this language/);
    assert.match(taken.text, /<details id="new-page" class="card" open>/);
    assert.equal((await page('sex-work-and-the-law')).title, 'Sex work and the law');

    const badSlug = await mod.client.submit('/rights', '/rights', { slug: 'Not OK!', locale: 'en', title: 'T', body: 'B' });
    assert.equal(badSlug.status, 422);
    assert.match(badSlug.text, /Only lower-case letters, digits and dashes/);
    assert.match(badSlug.text, /value="Not OK!"/);
  });

  it('adds a translation; each reader gets their language and can switch', async () => {
    const form = await mod.client.get('/rights/sex-work-and-the-law/edit?locale=zh-Hans');
    assert.equal(form.status, 200);
    assert.match(form.text, /<option value="zh-Hans" selected>/);
    const saved = await mod.client.submit('/rights/sex-work-and-the-law/edit?locale=zh-Hans', '/rights/sex-work-and-the-law/edit', { locale: 'zh-Hans', title: '性工作与法律', body: '法律怎么说。' });
    assert.equal(saved.status, 303);
    const chineseReader = new Client(inst.url);
    chineseReader.cookies.set('psl_lang', 'zh-Hans');
    assert.match((await chineseReader.get('/rights/sex-work-and-the-law')).text, /<h1 dir="auto">性工作与法律<\/h1>/);
    const english = await visitor.get('/rights/sex-work-and-the-law');
    assert.match(english.text, /<h1 dir="auto">Sex work and the law<\/h1>/);
    assert.match(english.text, /href="\/rights\/sex-work-and-the-law\?locale=zh-Hans" lang="zh-Hans">Simplified Chinese<\/a>/);
    assert.match((await visitor.get('/rights/sex-work-and-the-law?locale=zh-Hans')).text, /not written in your language yet/);
  });

  it('deletes one language version through the form', async () => {
    const deleted = await mod.client.submit('/rights/sex-work-and-the-law/edit?locale=zh-Hans', '/rights/sex-work-and-the-law/delete', { locale: 'zh-Hans' });
    assert.equal(deleted.status, 303);
    assert.deepEqual((await page('sex-work-and-the-law')).locales, ['en']);
    const again = await mod.client.submit('/rights/sex-work-and-the-law/edit?locale=zh-Hans', '/rights/sex-work-and-the-law/delete', { locale: 'zh-Hans' });
    assert.equal(again.status, 404);
  });

  it('lets a moderator manage the directory through forms; bad input is shown and changes nothing', async () => {
    const added = await mod.client.submit('/resources/manage', '/resources/manage', {
      name: 'Harbour clinic', kind: 'clinic', area, hours: 'Tue 10–14', contact: 'Dock road', description: 'Friendly nurses.', language: '',
    });
    assert.equal(added.status, 303);
    const id = (await resources()).find((r) => r.name === 'Harbour clinic')!.id;
    assert.equal(added.headers.get('location'), `/resources/manage#r-${id}`);
    const shown = await visitor.get(`/resources?kind=clinic&area=${area}`);
    assert.match(shown.text, /Harbour clinic/);
    assert.match(shown.text, /<span class="tag">Harbour<\/span>/);
    assert.match(shown.text, /Tue 10–14/);
    assert.match(shown.text, new RegExp(`<option value="${area}" selected>Harbour</option>`));
    assert.doesNotMatch((await visitor.get('/resources?kind=shelter')).text, /Harbour clinic/);

    const edited = await mod.client.submit('/resources/manage', `/resources/manage/${id}`, {
      name: 'Harbour clinic', kind: 'clinic', area, hours: 'Tue and Thu 10–14', contact: 'Dock road', description: '', language: 'en',
    });
    assert.equal(edited.status, 303);
    assert.equal((await resources()).find((r) => r.id === id)!.hours, 'Tue and Thu 10–14');

    const before = await resources();
    const badNew = await mod.client.submit('/resources/manage', '/resources/manage', { name: '', kind: 'clinic', area: '', hours: 'kept', contact: '', description: '', language: '' });
    assert.equal(badNew.status, 422);
    assert.match(badNew.text, /class="error" role="alert"/);
    assert.match(badNew.text, /id="new-hours" name="hours" value="kept"/);
    const badEdit = await mod.client.submit('/resources/manage', `/resources/manage/${id}`, { name: 'Harbour clinic', kind: 'spa', area: '', hours: '', contact: '', description: '', language: '' });
    assert.equal(badEdit.status, 422);
    assert.match(badEdit.text, new RegExp(`<details id="r-${id}" class="card" open>`));
    const badArea = await mod.client.submit('/resources/manage', '/resources/manage', { name: 'X', kind: 'clinic', area: 'nowhere', hours: '', contact: '', description: '', language: '' });
    assert.equal(badArea.status, 422);
    assert.match(badArea.text, /Choose one of the areas in the list/);
    assert.deepEqual(await resources(), before);

    const removed = await mod.client.submit('/resources/manage', `/resources/manage/${id}/delete`, {});
    assert.equal(removed.status, 303);
    assert.equal((await resources()).some((r) => r.id === id), false);
    assert.equal((await mod.client.submit('/resources/manage', `/resources/manage/${id}/delete`, {})).status, 404);
  });

  it('answers a bad directory filter with the page and a clear error', async () => {
    const bad = await visitor.get('/resources?kind=spa');
    assert.equal(bad.status, 422);
    assert.match(bad.text, /class="error" role="alert"/);
    assert.match(bad.text, /<form method="get" action="\/resources"/);
    assert.equal((await visitor.get('/resources?area=nowhere')).status, 422);
  });
});
