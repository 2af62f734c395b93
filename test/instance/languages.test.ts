import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, type Person } from '../helpers/people.js';

/** The picker's options on a page, by their language tags. */
const offeredOn = (html: string) => [...html.matchAll(/<select name="l">([\s\S]*?)<\/select>/g)].flatMap((m) => [...m[1]!.matchAll(/value="([^"]+)"/g)].map((v) => v[1]!));

describe('languages an instance offers', () => {
  let inst: TestInstance;
  let boss: Person;
  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
  });
  after(async () => inst.close());
  afterEach(async () => {
    await boss.client.api('PATCH', '/admin/settings', { offeredLocales: [], defaultLocale: null });
  });

  it('offers every catalogue until the admin chooses, and the choice sticks without an account', async () => {
    const visitor = new Client(inst.url);
    assert.equal(offeredOn((await visitor.get('/')).text).length, 12);
    const chosen = await visitor.get('/language?l=sw&back=/rights');
    assert.equal(chosen.status, 303);
    assert.equal(chosen.headers.get('location'), '/rights');
    const page = await visitor.get('/', { 'accept-language': 'fr' });
    assert.match(page.text, /<html lang="sw" dir="ltr">/, 'the chosen language wins over the browser’s');
  });

  it('lets an admin offer some languages and pick the default; pages follow at once', async () => {
    const set = await boss.client.api('PATCH', '/admin/settings', { offeredLocales: ['en', 'ar', 'my'], defaultLocale: 'ar' });
    assert.equal(set.status, 200, set.text);
    assert.deepEqual(set.json.settings.offeredLocales, ['en', 'ar', 'my']);
    const visitor = new Client(inst.url);
    const home = await visitor.get('/', { 'accept-language': 'fr-FR, fr;q=0.9' });
    assert.match(home.text, /<html lang="ar" dir="rtl">/, 'a browser asking only for languages not offered gets the default, right to left');
    assert.deepEqual(offeredOn(home.text).sort(), ['ar', 'en', 'my']);
    assert.match((await visitor.get('/', { 'accept-language': 'my' })).text, /<html lang="my"/);
    await visitor.get('/language?l=fr&back=/');
    assert.match((await visitor.get('/')).text, /<html lang="ar"/, 'a language not offered cannot be chosen');
  });

  it('shows the choice on the admin page and saves it from the form', async () => {
    const form = await boss.client.submit('/admin', '/admin/settings', { offeredLocales: 'th', defaultLocale: '' });
    assert.equal(form.status, 200, form.text.slice(0, 300));
    const settings = await boss.client.api('GET', '/admin/settings');
    assert.deepEqual(settings.json.settings.offeredLocales, ['th']);
    assert.equal(settings.json.settings.defaultLocale, null);
    assert.match((await new Client(inst.url).get('/')).text, /<html lang="th"/, 'the only language offered is everyone’s');
  });

  it('refuses a language without a catalogue and a default that is not offered, changing nothing', async () => {
    const unknown = await boss.client.api('PATCH', '/admin/settings', { offeredLocales: ['en', 'xx'] });
    assert.equal(unknown.status, 422);
    assert.ok(unknown.json.error.fields.offeredLocales, 'the language without a catalogue is flagged');
    const notOffered = await boss.client.api('PATCH', '/admin/settings', { offeredLocales: ['en', 'es'], defaultLocale: 'ar' });
    assert.equal(notOffered.status, 422);
    assert.ok(notOffered.json.error.fields.defaultLocale, 'the default that is not offered is flagged');
    const bad = await boss.client.api('PATCH', '/admin/settings', { offeredLocales: 'en' });
    assert.equal(bad.status, 200, 'one language as a string, as the form sends it, is fine');
    const settings = await boss.client.api('GET', '/admin/settings');
    assert.deepEqual(settings.json.settings.offeredLocales, ['en']);
    const someone: Person = await member(inst, 'lang');
    assert.equal((await someone.client.api('PATCH', '/admin/settings', { offeredLocales: ['en'] })).status, 403);
  });
});

describe('starter content', () => {
  it('names the starter boards and the screening board in the instance’s default language', async () => {
    const inst = await startInstance({ env: { DEFAULT_LOCALE: 'es' } });
    try {
      const boards = await new Client(inst.url).api('GET', '/boards');
      const names = (boards.json as { boards: { slug: string; name: string; language: string }[] }).boards.map((b) => [b.slug, b.name, b.language]);
      assert.deepEqual(names, [
        ['general', 'General', 'es'],
        ['health', 'Salud', 'es'],
        ['rights-and-safety', 'Derechos y seguridad', 'es'],
      ]);
      const boss = await admin(inst);
      const screening = await boss.client.api('GET', '/review-boards');
      assert.equal((screening.json as { boards: { name: string }[] }).boards[0]!.name, 'Verificar clientes');
    } finally {
      await inst.close();
    }
  });
});

describe('installable web app', () => {
  let inst: TestInstance;
  before(async () => {
    inst = await startInstance();
  });
  after(async () => inst.close());

  it('describes the app in a manifest, with the neutral name and icon in discreet mode', async () => {
    const boss = await admin(inst);
    const visitor = new Client(inst.url);
    const home = await visitor.get('/');
    assert.match(home.text, /<link rel="manifest" href="\/manifest.webmanifest" crossorigin="use-credentials">/);
    const plain = await visitor.get('/manifest.webmanifest');
    assert.equal(plain.status, 200);
    assert.match(plain.headers.get('content-type') ?? '', /application\/manifest\+json/);
    assert.equal(plain.json && (plain.json as { display: string }).display, 'standalone');
    assert.equal((plain.json as { start_url: string }).start_url, '/');
    assert.equal((plain.json as { icons: { src: string }[] }).icons[0]!.src, '/assets/umbrella.svg');
    await boss.client.api('PATCH', '/admin/settings', { discreetByDefault: true, discreetName: 'Recipes' });
    const discreet = (await visitor.get('/manifest.webmanifest')).json as { name: string; icons: { src: string }[]; description?: string };
    assert.equal(discreet.name, 'Recipes');
    assert.equal(discreet.icons[0]!.src, '/assets/notes.svg');
    assert.equal(discreet.description, undefined, 'nothing in it says what the site is');
    await boss.client.api('PATCH', '/admin/settings', { discreetByDefault: false });
  });

  it('serves the service worker at the root and an offline page in the reader’s language', async () => {
    const visitor = new Client(inst.url);
    const sw = await visitor.get('/sw.js');
    assert.equal(sw.status, 200);
    assert.match(sw.text, /parasol-pages/);
    const offline = await visitor.get('/offline', { 'accept-language': 'es' });
    assert.equal(offline.status, 200);
    assert.match(offline.text, /Sin conexión/);
  });
});
