import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, type Person } from '../helpers/people.js';
import { siteIdentity } from '../../server/instance/discreet.js';

/** What a glance at the tab, the history or the header gives away. */
function identity(text: string): { title: string; brand: string; icon: string } {
  return {
    title: /<title>([^<]*)<\/title>/.exec(text)?.[1] ?? '',
    brand: /<a class="brand" href="\/">.*?<bdi>([^<]*)<\/bdi><\/a>/.exec(text)?.[1] ?? '',
    icon: /<link rel="icon" href="([^"]+)" type="image\/svg\+xml">/.exec(text)?.[1] ?? '',
  };
}

/** Words that out a reader if someone sees the tab or the history. */
const SENSITIVE = /sex work|HIV|Safe Harbour|arrest|clinic|health|rights/i;

describe('discreet mode', () => {
  let inst: TestInstance;
  let boss: Person;
  let alice: Person;
  let pages: string[];

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    alice = await member(inst, 'alice');
    // An instance name that itself says too much.
    await boss.client.api('PATCH', '/admin/settings', { name: 'Safe Harbour sex work HIV support' });
    const thread = await alice.client.api('POST', '/boards/health/threads', { title: 'HIV meds and sex work', body: 'Where do you get PrEP?' });
    pages = ['/', '/b/health', `/t/${thread.json.thread.id}`, '/rights', '/rights/arrested', '/resources?kind=hiv_testing', '/search?q=HIV', '/no-such-page'];
  });
  after(async () => inst.close());
  afterEach(async () => {
    await boss.client.api('PATCH', '/admin/settings', { discreetByDefault: false, discreetName: 'Notes', discreetTitlesByDefault: false });
    await alice.client.api('PATCH', '/me', { discreet: null, discreetTitles: null });
  });

  async function seen(client: Client, path: string) {
    const reply = await client.get(path);
    assert.ok(reply.status < 500, `${path}: ${reply.status}`);
    return identity(reply.text);
  }

  it('titles every page of a new instance with its name alone (the history keeps titles), with the umbrella icon', async () => {
    assert.equal((await boss.client.api('GET', '/admin/settings')).json.settings.discreetTitlesByDefault, true, 'on for a new instance');
    for (const [client, path] of [[alice.client, pages[2]!], [new Client(inst.url), '/rights'], [alice.client, '/safety']] as const) {
      assert.deepEqual(await seen(client, path), { title: 'Safe Harbour sex work HIV support', brand: 'Safe Harbour sex work HIV support', icon: '/assets/umbrella.svg' }, path);
    }
  });

  it('shows the instance name, page titles and the umbrella icon once discreet titles are off', async () => {
    await boss.client.api('PATCH', '/admin/settings', { discreetTitlesByDefault: false });
    const thread = await seen(alice.client, pages[2]!);
    assert.deepEqual(thread, { title: 'HIV meds and sex work · Safe Harbour sex work HIV support', brand: 'Safe Harbour sex work HIV support', icon: '/assets/umbrella.svg' });
    assert.equal((await seen(new Client(inst.url), '/rights')).title, 'Know your rights · Safe Harbour sex work HIV support');
  });

  it('gives a member who turns it on only the neutral name and icon, on every page', async () => {
    const turnedOn = await alice.client.api('PATCH', '/me', { discreet: true });
    assert.equal(turnedOn.status, 200, turnedOn.text);
    assert.equal(turnedOn.json.account.discreet, true);
    assert.equal((await alice.client.api('GET', '/me')).json.account.discreet, true);
    for (const path of [...pages, '/settings', '/safety']) {
      const id = await seen(alice.client, path);
      assert.deepEqual(id, { title: 'Notes', brand: 'Notes', icon: '/assets/notes.svg' }, path);
      assert.doesNotMatch(id.title, SENSITIVE, path);
    }
    // Only her: a visitor and the admin still see the real name.
    assert.equal((await seen(new Client(inst.url), '/')).brand, 'Safe Harbour sex work HIV support');
    assert.equal((await seen(boss.client, '/')).icon, '/assets/umbrella.svg');
  });

  it('applies the instance default to visitors and to members who have not chosen; a member can opt out', async () => {
    const reply = await boss.client.api('PATCH', '/admin/settings', { discreetByDefault: true, discreetName: 'Recipes' });
    assert.equal(reply.status, 200, reply.text);
    const visitor = new Client(inst.url);
    for (const path of pages) {
      const id = await seen(visitor, path);
      assert.deepEqual(id, { title: 'Recipes', brand: 'Recipes', icon: '/assets/notes.svg' }, path);
      assert.doesNotMatch(id.title, SENSITIVE, path);
    }
    assert.equal((await seen(alice.client, '/b/health')).title, 'Recipes', 'no choice of her own: the default');
    await alice.client.api('PATCH', '/me', { discreet: false });
    assert.deepEqual(await seen(alice.client, '/b/health'), { title: 'Health · Safe Harbour sex work HIV support', brand: 'Safe Harbour sex work HIV support', icon: '/assets/umbrella.svg' });
    await alice.client.api('PATCH', '/me', { discreet: null });
    assert.equal((await seen(alice.client, '/b/health')).title, 'Recipes', 'back to the default');
  });

  it('lets a member choose discreet titles apart from discreet mode; the settings say what the history keeps', async () => {
    const threadTitle = 'HIV meds and sex work · Safe Harbour sex work HIV support';
    assert.equal((await seen(alice.client, pages[2]!)).title, threadTitle, 'the instance default is off here');
    const on = await alice.client.api('PATCH', '/me', { discreetTitles: true });
    assert.equal(on.status, 200, on.text);
    assert.equal(on.json.account.discreetTitles, true);
    for (const path of [...pages, '/settings', '/safety', '/notifications']) {
      assert.deepEqual(await seen(alice.client, path), { title: 'Safe Harbour sex work HIV support', brand: 'Safe Harbour sex work HIV support', icon: '/assets/umbrella.svg' }, path);
    }
    assert.equal((await seen(new Client(inst.url), pages[2]!)).title, threadTitle, 'only her choice');
    await boss.client.api('PATCH', '/admin/settings', { discreetTitlesByDefault: true });
    await alice.client.api('PATCH', '/me', { discreetTitles: false });
    assert.equal((await seen(alice.client, pages[2]!)).title, threadTitle, 'she may opt out of the default');

    const form = await alice.client.get('/settings');
    assert.match(form.text, /<select id="f-discreetTitles" name="discreetTitles"[^>]*><option value="default" >[^<]*<\/option><option value="on" >[^<]*<\/option><option value="off" selected>/);
    assert.match(form.text, /history keeps the title and the address of every page you open/);
    const chosen = await alice.client.submit('/settings', '/settings/profile', { displayName: alice.handle, locale: '', discreet: 'default', discreetTitles: 'default' });
    assert.equal(chosen.status, 200);
    assert.equal(identity(chosen.text).title, 'Safe Harbour sex work HIV support', 'the default (on) applies at once');
    assert.equal((await alice.client.api('GET', '/me')).json.account.discreetTitles, null);
    for (const bad of ['yes', 1, {}]) assert.equal((await alice.client.api('PATCH', '/me', { discreetTitles: bad })).status, 422);
    assert.equal((await alice.client.submit('/settings', '/settings/profile', { displayName: alice.handle, locale: '', discreetTitles: 'maybe' })).status, 422);
    assert.equal((await alice.client.api('PATCH', '/admin/settings', { discreetTitlesByDefault: false })).status, 403);
    assert.equal((await boss.client.api('PATCH', '/admin/settings', { discreetTitlesByDefault: 'maybe' })).status, 422);
  });

  it('uses the neutral words of push notifications for live banners and notifications in discreet mode', async () => {
    const { notifications } = inst.parasol.ctx;
    await notifications.notify([alice.id], 'buddy_sos', '/safety/checkins/x1');
    await notifications.notify([alice.id], 'incident_new', '/safety/incidents');
    const plain = (await alice.client.get('/notifications')).text;
    assert.match(plain, /SOS from a buddy/);
    assert.match(plain, /data-alert-sos="SOS from a buddy"/);
    await alice.client.api('PATCH', '/me', { discreet: true });
    const discreet = (await alice.client.get('/notifications')).text;
    for (const explicit of [/SOS from a buddy/, /has not checked in/, /New incident report/, /safety alert/]) assert.doesNotMatch(discreet, explicit);
    assert.match(discreet, /data-alert-sos="You have 1 new notification\." data-alert-overdue="You have 1 new notification\."/);
    const listed = (await alice.client.api('GET', '/notifications')).json.notifications.length as number;
    assert.ok(listed >= 2, 'both notifications are listed');
    assert.equal((discreet.match(/New notification ·/g) ?? []).length, listed, 'each notification only says it is there');
  });

  it('is chosen on the settings page, without JavaScript', async () => {
    const form = await alice.client.get('/settings');
    assert.match(form.text, /<select id="f-discreet" name="discreet"[^>]*><option value="default" selected>/);
    const on = await alice.client.submit('/settings', '/settings/profile', { displayName: alice.handle, locale: '', discreet: 'on' });
    assert.equal(on.status, 200);
    assert.equal(identity(on.text).title, 'Notes', 'the answer page is discreet at once');
    assert.match(on.text, /<option value="on" selected>/);
    assert.equal((await alice.client.api('GET', '/me')).json.account.discreet, true);
    await alice.client.submit('/settings', '/settings/profile', { displayName: alice.handle, locale: '', discreet: 'off' });
    assert.equal((await alice.client.api('GET', '/me')).json.account.discreet, false);
    await alice.client.submit('/settings', '/settings/profile', { displayName: alice.handle, locale: '', discreet: 'default' });
    assert.equal((await alice.client.api('GET', '/me')).json.account.discreet, null);
  });

  it('lets the admin set the default and the neutral name through the settings form', async () => {
    const form = await boss.client.get('/admin');
    assert.match(form.text, /name="discreetByDefault" value="false" checked/);
    assert.match(form.text, /name="discreetName" type="text" value="Notes"/);
    const saved = await boss.client.submit('/admin', '/admin/settings', { discreetByDefault: 'true', discreetName: 'Weather diary' });
    assert.equal(saved.status, 200);
    assert.equal(identity((await new Client(inst.url).get('/')).text).title, 'Weather diary');
    await boss.client.submit('/admin', '/admin/settings', { discreetByDefault: 'false' });
    assert.equal(identity((await new Client(inst.url).get('/')).text).brand, 'Safe Harbour sex work HIV support');
  });

  it('refuses bad choices with a clear 422, changing nothing', async () => {
    for (const bad of ['yes', 1, 'on', {}]) {
      const reply = await alice.client.api('PATCH', '/me', { discreet: bad });
      assert.equal(reply.status, 422, `${JSON.stringify(bad)}: ${reply.text}`);
      assert.ok(reply.json.error.fields.discreet, 'the bad value is flagged on the discreet field');
    }
    const form = await alice.client.submit('/settings', '/settings/profile', { displayName: alice.handle, locale: '', discreet: 'maybe' });
    assert.equal(form.status, 422);
    assert.match(form.text, /class="error" role="alert"/);
    assert.equal((await alice.client.api('GET', '/me')).json.account.discreet, null);

    for (const [body, field] of [
      [{ discreetByDefault: 'maybe' }, 'discreetByDefault'],
      [{ discreetByDefault: 1 }, 'discreetByDefault'],
      [{ discreetName: '' }, 'discreetName'],
      [{ discreetName: '   ' }, 'discreetName'],
      [{ discreetName: 'x'.repeat(41) }, 'discreetName'],
      [{ discreetName: 'Notes\u202E' }, 'discreetName'],
    ] as const) {
      const reply = await boss.client.api('PATCH', '/admin/settings', body);
      assert.equal(reply.status, 422, `${JSON.stringify(body)}: ${reply.text}`);
      assert.ok(reply.json.error.fields[field], reply.text);
    }
    assert.equal((await alice.client.api('PATCH', '/admin/settings', { discreetByDefault: true })).status, 403);
    const settings = (await boss.client.api('GET', '/admin/settings')).json.settings;
    assert.equal(settings.discreetByDefault, false);
    assert.equal(settings.discreetName, 'Notes');
  });

  it('serves both favicons from this host, as plain SVG', async () => {
    const client = new Client(inst.url);
    for (const icon of ['/assets/umbrella.svg', '/assets/notes.svg']) {
      const reply = await client.get(icon);
      assert.equal(reply.status, 200, icon);
      assert.match(reply.headers.get('content-type')!, /^image\/svg\+xml/);
      assert.match(reply.text, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 32 32">/);
      assert.doesNotMatch(reply.text.replace('http://www.w3.org/2000/svg', ''), /https?:|<script|href/i, 'nothing from elsewhere, no script');
      assert.ok(reply.text.length < 600, 'tiny');
    }
  });

  it('names the site for other surfaces (the web-app manifest) through one helper', () => {
    const settings = { name: 'Safe Harbour', discreetByDefault: false, discreetName: 'Notes' };
    assert.deepEqual(siteIdentity(settings, null), { discreet: false, name: 'Safe Harbour', icon: '/assets/umbrella.svg' });
    assert.deepEqual(siteIdentity(settings, { discreet: true }), { discreet: true, name: 'Notes', icon: '/assets/notes.svg' });
    assert.deepEqual(siteIdentity({ ...settings, discreetByDefault: true }, { discreet: null }).name, 'Notes');
    assert.deepEqual(siteIdentity({ ...settings, discreetByDefault: true }, { discreet: false }).name, 'Safe Harbour');
  });
});
