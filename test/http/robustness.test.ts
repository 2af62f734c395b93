import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, handle, PASS } from '../helpers/client.js';
import { admin, member, type Person } from '../helpers/people.js';

describe('bad input from outside: text, numbers and cross-site requests', () => {
  let inst: TestInstance;
  let boss: Person;
  let ana: Person;
  let bea: Person;
  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    ana = await member(inst, 'ana');
    bea = await member(inst, 'bea');
    assert.equal((await ana.client.api('POST', '/buddies', { handle: bea.handle })).status, 201);
    assert.equal((await bea.client.api('POST', '/buddies', { handle: ana.handle })).status, 201);
  });
  after(() => inst?.close());

  const threadCount = async () => (await ana.client.api('GET', '/boards/general/threads')).json.threads.length as number;

  it('refuses NUL bytes and lone surrogates in titles, posts and names, and stores nothing', async () => {
    const before = await threadCount();
    for (const input of [
      { title: 'police\u0000 checks', body: 'hello' },
      { title: 'fine', body: 'half an emoji \uD83D' },
      { title: 'lone low \uDC00', body: 'hello' },
    ]) {
      const reply = await ana.client.api('POST', '/boards/general/threads', input);
      assert.equal(reply.status, 422, reply.text);
      assert.equal(reply.json.error.code, 'validation_failed');
      assert.ok(Object.values(reply.json.error.fields as Record<string, string>).some((m) => /cannot be kept/.test(m)), reply.text);
    }
    assert.equal(await threadCount(), before);
    const name = await ana.client.api('PATCH', '/me', { displayName: 'Ana\u0000' });
    assert.equal(name.status, 422, name.text);
    const signup = await new Client(inst.url).api('POST', '/accounts', { handle: handle('nul'), passphrase: `${PASS}\uDFFF` });
    assert.equal(signup.status, 422, signup.text);
    // Real characters in every script, emoji included, are kept as they were sent.
    const ok = await ana.client.api('POST', '/boards/general/threads', { title: 'سلام 👋🏽 မင်္ဂလာပါ', body: 'hello' });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.thread.title, 'سلام 👋🏽 မင်္ဂလာပါ');
  });

  it('refuses numbers sent as strings in JSON, while the same form field still works', async () => {
    const checkin = await ana.client.api('POST', '/checkins', { minutes: 60, buddies: [bea.handle] });
    assert.equal(checkin.status, 201, checkin.text);
    const id = checkin.json.checkin.id as string;
    const asText = await ana.client.api('POST', `/checkins/${id}/extend`, { minutes: '30' });
    assert.equal(asText.status, 422, asText.text);
    assert.ok(asText.json.error.fields.minutes, asText.text);
    const asNumber = await ana.client.api('POST', `/checkins/${id}/extend`, { minutes: 30 });
    assert.equal(asNumber.status, 200, asNumber.text);
    assert.equal((await ana.client.api('POST', '/checkins', { minutes: '60', buddies: [bea.handle] })).status, 422);
    // A browser's form sends every value as text: the page decodes it.
    await ana.client.get('/safety');
    const form = await ana.client.submit(`/safety/checkins/${id}`, `/safety/checkins/${id}/extend`, { minutes: '15' });
    assert.equal(form.status, 303, form.text);
    const invite = await boss.client.submit('/admin', '/admin/invites', { days: '3' });
    assert.ok(invite.status < 400, invite.text);
  });

  it('names the field by its label in the member’s language, on pages and in the API', async () => {
    const page = await new Client(inst.url).submit('/signup', '/signup', { handle: 'ab', passphrase: PASS });
    assert.equal(page.status, 422);
    assert.match(page.text, /Please check your made-up name\./);
    const fr = new Client(inst.url);
    const reply = await fr.api('POST', '/accounts', { handle: 'no spaces', passphrase: PASS }, { 'accept-language': 'fr' });
    assert.equal(reply.json.error.message, 'Vérifiez votre nom inventé.');
    assert.equal(reply.json.error.fields.handle, 'Seulement des lettres latines a-z, des chiffres et _.');
  });

  it('checks the Origin of every unsafe method sent with a cookie session', async () => {
    const person = await member(inst, 'csrf');
    const crossSite: Record<string, string>[] = [
      { origin: 'null', 'sec-fetch-site': 'same-site' },
      { origin: 'null', 'sec-fetch-site': 'cross-site' },
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of crossSite) {
      for (const [method, path, body] of [
        ['POST', '/boards/general/threads', { title: 'x', body: 'y' }],
        ['PATCH', '/me', { displayName: 'Evil' }],
        ['PUT', '/buddies/nobody', undefined],
        ['DELETE', '/sessions/current', undefined],
      ] as const) {
        const reply = await person.client.api(method, path, body, headers);
        assert.equal(reply.status, 403, `${method} ${path} ${JSON.stringify(headers)}: ${reply.text}`);
        assert.equal(reply.json.error.code, 'csrf_failed');
      }
    }
    // Still signed in: none of those went through.
    assert.equal((await person.client.api('GET', '/me')).status, 200);
    // The browser's own requests: from this origin, or a form of this site sent without a referrer (Origin: null).
    assert.equal((await person.client.api('PATCH', '/me', { displayName: 'Own' }, { origin: inst.url, 'sec-fetch-site': 'same-origin' })).status, 200);
    assert.equal((await person.client.api('PATCH', '/me', { displayName: 'Own' }, { origin: 'null', 'sec-fetch-site': 'same-origin' })).status, 200);
    const out = await person.client.api('DELETE', '/sessions/current', undefined, { 'sec-fetch-site': 'same-origin' });
    assert.ok(out.status < 300, out.text);
    // A form post of a page of another site with Origin: null is refused even with a valid token.
    const browser = new Client(inst.url);
    const form = await browser.get('/login');
    const token = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const refused = await browser.request('POST', '/login', {
      body: new URLSearchParams({ _csrf: token, handle: person.handle, passphrase: PASS }).toString(),
      type: 'application/x-www-form-urlencoded',
      headers: { origin: 'null', 'sec-fetch-site': 'same-site' },
    });
    assert.equal(refused.status, 403);
  });

  it('refuses a quick exit to anything but a public https address', async () => {
    for (const bad of ['https://127.0.0.1/', 'https://192.168.0.1/', 'https://[::1]/', 'https://router.local/', 'https://169.254.169.254/']) {
      const reply = await boss.client.api('PATCH', '/admin/settings', { quickExitUrl: bad });
      assert.equal(reply.status, 422, `${bad}: ${reply.text}`);
      assert.match(reply.json.error.fields.quickExitUrl, /public address/);
    }
    assert.equal((await boss.client.api('GET', '/admin/settings')).json.settings.quickExitUrl, 'https://www.bbc.com/weather');
  });
});
