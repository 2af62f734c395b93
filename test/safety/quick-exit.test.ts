import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, type Person } from '../helpers/people.js';

const DEFAULT_EXIT = 'https://www.bbc.com/weather';

/** The quick-exit link as the server renders it, with the address it leads to. */
function exitLinks(text: string): string[] {
  return [...text.matchAll(/<a id="quick-exit" class="quick-exit" href="([^"]*)" rel="noreferrer" data-exit-url="([^"]*)"[^>]*>(.*?)<\/a>/g)].map((m) => {
    assert.equal(m[1], m[2], 'the link and the script lead to the same place');
    assert.match(m[3]!, /<use href="\/assets\/icons.svg#door"\/><\/svg><span>Exit<\/span>/, 'an icon and a short word');
    return m[1]!;
  });
}

/** Quick exit, server side: on every page, to the admin's neutral site; the browser side is in test/e2e/quick-exit.e2e.test.ts. */
describe('quick exit', () => {
  let inst: TestInstance;
  let boss: Person;
  let alice: Person;
  let threadPath: string;

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    alice = await member(inst, 'alice');
    const thread = await alice.client.api('POST', '/boards/general/threads', { title: 'Hello', body: 'First post' });
    threadPath = `/t/${thread.json.thread.id}`;
  });
  after(async () => inst.close());
  afterEach(async () => {
    await boss.client.api('PATCH', '/admin/settings', { quickExitUrl: DEFAULT_EXIT });
  });

  /** The main pages of each kind of visitor, error pages included. */
  function mainPages(): [Client, string][] {
    const visitor = new Client(inst.url);
    return [
      ...['/', '/b/general', threadPath, '/search', '/login', '/signup', '/recover', '/transparency', '/rights', '/rights/arrested', '/resources', '/no-such-page'].map(
        (p): [Client, string] => [visitor, p],
      ),
      ...['/', threadPath, '/settings', '/safety', '/rooms', '/reviews', '/rights'].map((p): [Client, string] => [alice.client, p]),
      ...['/admin', '/mod', '/resources/manage', '/rights/arrested/edit'].map((p): [Client, string] => [boss.client, p]),
    ];
  }

  async function assertEveryPageLeadsTo(url: string): Promise<void> {
    for (const [client, path] of mainPages()) {
      const reply = await client.get(path);
      assert.ok(reply.status === 200 || (path === '/no-such-page' && reply.status === 404), `${path}: ${reply.status}`);
      assert.deepEqual(exitLinks(reply.text), [url], `one quick-exit link on ${path}`);
      assert.match(reply.text, /<script src="\/assets\/safety.js" defer><\/script>/, `safety.js on ${path}`);
      // Before the header: the first thing on the page, reachable with one Tab.
      assert.ok(reply.text.indexOf('id="quick-exit"') < reply.text.indexOf('<header'), path);
    }
  }

  it('is on every main page, leading to the default neutral site, with safety.js', async () => {
    await assertEveryPageLeadsTo(DEFAULT_EXIT);
  });

  it('serves safety.js: small, and it replaces the page rather than adding to history', async () => {
    const reply = await new Client(inst.url).get('/assets/safety.js');
    assert.equal(reply.status, 200);
    assert.match(reply.headers.get('content-type')!, /javascript/);
    assert.ok(zlib.gzipSync(reply.text).length < 1536, 'under 1.5 KB gzipped');
    assert.match(reply.text, /location\.replace\(url\)/);
    assert.match(reply.text, /data-exit-url/);
    assert.match(reply.text, /'Escape'/);
  });

  it('answers the exit’s clean-up with Clear-Site-Data for the cache and storage, never from another site', async () => {
    // No token: a visitor's page may be a copy kept for everyone, and the answer changes nothing on the server.
    for (const client of [new Client(inst.url), alice.client]) {
      const reply = await client.request('POST', '/exit');
      assert.equal(reply.status, 204);
      assert.equal(reply.headers.get('clear-site-data'), '"cache", "storage"');
      assert.equal(reply.headers.get('cache-control'), 'no-store');
    }
    for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
      const forged = await alice.client.request('POST', '/exit', { headers });
      assert.equal(forged.status, 403);
      assert.equal(forged.headers.get('clear-site-data'), null, 'another site cannot wipe a member’s browser');
    }
    assert.equal((await alice.client.api('GET', '/me')).status, 200, 'the exit does not log out');
  });

  it('lets the admin choose the address through the API; every page follows', async () => {
    const reply = await boss.client.api('PATCH', '/admin/settings', { quickExitUrl: 'https://news.example.org/today' });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.settings.quickExitUrl, 'https://news.example.org/today');
    assert.equal((await boss.client.api('GET', '/admin/settings')).json.settings.quickExitUrl, 'https://news.example.org/today');
    await assertEveryPageLeadsTo('https://news.example.org/today');
  });

  it('lets the admin choose the address through the settings form', async () => {
    const form = await boss.client.get('/admin');
    assert.match(form.text, /name="quickExitUrl" type="url" value="https:\/\/www.bbc.com\/weather"/);
    const saved = await boss.client.submit('/admin', '/admin/settings', { quickExitUrl: 'https://weather.example.net/' });
    assert.equal(saved.status, 200);
    assert.match(saved.text, /Saved\./);
    assert.deepEqual(exitLinks((await new Client(inst.url).get('/')).text), ['https://weather.example.net/']);
  });

  it('stores the address in its canonical form and escapes it in pages', async () => {
    const reply = await boss.client.api('PATCH', '/admin/settings', { quickExitUrl: '  HTTPS://Example.ORG/a b?q="><script>x</script>  ' });
    assert.equal(reply.status, 200, reply.text);
    const stored = reply.json.settings.quickExitUrl as string;
    assert.equal(stored, 'https://example.org/a%20b?q=%22%3E%3Cscript%3Ex%3C/script%3E');
    const page = (await new Client(inst.url).get('/')).text;
    assert.deepEqual(exitLinks(page), [stored]);
    assert.doesNotMatch(page, /<script>x/);
  });

  it('refuses an address that is not an absolute https URL, with a clear 422, changing nothing', async () => {
    for (const bad of [
      'http://weather.example.org/',
      'javascript:alert(1)',
      'data:text/html,hi',
      '/weather',
      '//weather.example.org/',
      'weather.example.org',
      'https:weather.example.org',
      'https://',
      'https:///path',
      'https://user:secret@weather.example.org/',
      'ftp://weather.example.org/',
      '',
      `https://example.org/${'x'.repeat(500)}`,
      42,
      null,
    ]) {
      const reply = await boss.client.api('PATCH', '/admin/settings', { quickExitUrl: bad });
      assert.equal(reply.status, 422, `${String(bad).slice(0, 40)}: ${reply.text}`);
      assert.equal(reply.json.error.code, 'validation_failed');
      assert.ok(reply.json.error.fields.quickExitUrl, reply.text);
    }
    const message = await boss.client.api('PATCH', '/admin/settings', { quickExitUrl: 'http://x.example' });
    assert.equal(message.json.error.fields.quickExitUrl, 'Give a full address starting with https://');
    const form = await boss.client.submit('/admin', '/admin/settings', { quickExitUrl: 'javascript:alert(1)', name: 'Renamed' });
    assert.equal(form.status, 422);
    assert.match(form.text, /class="error" role="alert"/);
    assert.match(form.text, /value="javascript:alert\(1\)"/, 'what was typed is kept');
    const settings = (await boss.client.api('GET', '/admin/settings')).json.settings;
    assert.equal(settings.quickExitUrl, DEFAULT_EXIT);
    assert.equal(settings.name, 'Parasol', 'nothing from the refused form was saved');
    await assertEveryPageLeadsTo(DEFAULT_EXIT);
  });

  it('lets only admins change it', async () => {
    assert.equal((await alice.client.api('PATCH', '/admin/settings', { quickExitUrl: 'https://evil.example/' })).status, 403);
    assert.equal((await new Client(inst.url).api('PATCH', '/admin/settings', { quickExitUrl: 'https://evil.example/' })).status, 401);
    assert.equal((await boss.client.api('GET', '/admin/settings')).json.settings.quickExitUrl, DEFAULT_EXIT);
  });
});
