import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, handle, PASS } from '../helpers/client.js';

/** The server-rendered pages, used the way a browser without JavaScript uses them: GET a form, POST it. */
describe('account pages without JavaScript', () => {
  let inst: TestInstance;
  before(async () => {
    inst = await startInstance();
  });
  after(async () => inst.close());

  async function joinByForm(client: Client, h = handle()) {
    const reply = await client.submit('/signup', '/signup', { handle: h, passphrase: PASS });
    assert.equal(reply.status, 201, reply.text.slice(0, 500));
    return { reply, handle: h };
  }

  it('signs up through the form and shows the recovery codes once', async () => {
    const client = new Client(inst.url);
    const { reply, handle: h } = await joinByForm(client);
    const codes = [...reply.text.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]);
    assert.equal(codes.length, 10);
    assert.equal(reply.headers.get('cache-control'), 'no-store');
    const settings = await client.get('/settings');
    assert.equal(settings.status, 200);
    assert.match(settings.text, new RegExp(h));
    assert.doesNotMatch(settings.text, new RegExp(codes[0]!), 'codes are not shown again');
  });

  it('shows a form error next to the field, keeps what was typed, and never echoes the passphrase', async () => {
    const client = new Client(inst.url);
    const reply = await client.submit('/signup', '/signup', { handle: 'no spaces allowed', passphrase: 'hunter2hunter2' });
    assert.equal(reply.status, 422);
    assert.match(reply.text, /class="error" role="alert"/);
    assert.match(reply.text, /Only Latin letters a-z, digits and _/);
    assert.match(reply.text, /value="no spaces allowed"/);
    assert.doesNotMatch(reply.text, /hunter2hunter2/);
  });

  it('escapes what a visitor typed (no markup injection through a form)', async () => {
    const client = new Client(inst.url);
    const reply = await client.submit('/signup', '/signup', { handle: '"><script>alert(1)</script>', passphrase: PASS });
    assert.equal(reply.status, 422);
    assert.doesNotMatch(reply.text, /<script>alert/);
    assert.match(reply.text, /&quot;&gt;&lt;script&gt;/);
  });

  it('refuses a form post without a valid CSRF token and changes nothing', async () => {
    const client = new Client(inst.url);
    const h = handle();
    const forged = await client.post('/signup', { handle: h, passphrase: PASS });
    assert.equal(forged.status, 403);
    assert.match(forged.text, /form has expired/);
    const wrongToken = await client.post('/signup', { handle: h, passphrase: PASS, _csrf: 'x'.repeat(43) });
    assert.equal(wrongToken.status, 403);
    assert.equal(await inst.parasol.ctx.accounts.byHandle(h), null);
  });

  it('refuses a JSON post from another site (foreign Origin)', async () => {
    const reply = await new Client(inst.url).api('POST', '/accounts', { handle: handle(), passphrase: PASS }, { origin: 'https://evil.example' });
    assert.equal(reply.status, 403);
    assert.equal(reply.json.error.code, 'csrf_failed');
  });

  it('logs in (back to the page asked for), logs out, and refuses off-site redirects', async () => {
    const client = new Client(inst.url);
    const { handle: h } = await joinByForm(client);
    await client.submit('/', '/logout', {});
    assert.equal((await client.get('/settings')).status, 303);
    const bad = await client.submit('/login', '/login', { handle: h, passphrase: 'wrong wrong wrong', next: '/settings' });
    assert.equal(bad.status, 401);
    assert.match(bad.text, /do not match/);
    const ok = await client.submit('/login', '/login', { handle: h, passphrase: PASS, next: '/settings' });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/settings');
    const offsite = await client.submit('/login', '/login', { handle: h, passphrase: PASS, next: '//evil.example/' });
    assert.equal(offsite.headers.get('location'), '/');
  });

  it('recovers a forgotten passphrase through the form', async () => {
    const client = new Client(inst.url);
    const { reply, handle: h } = await joinByForm(client);
    const code = /<li><code>([a-z0-9-]+)<\/code><\/li>/.exec(reply.text)![1]!;
    const other = new Client(inst.url);
    const done = await other.submit('/recover', '/recover', { handle: h, code, passphrase: 'a fresh passphrase here' });
    assert.equal(done.status, 200);
    assert.match(done.text, /9 recovery codes left/);
  });

  it('changes display name and language from settings; the page then speaks that language', async () => {
    const client = new Client(inst.url);
    await joinByForm(client);
    const saved = await client.submit('/settings', '/settings/profile', { displayName: 'Rosa', locale: 'zh-Hans' });
    assert.equal(saved.status, 200);
    assert.match(saved.text, /lang="zh-Hans"/);
    assert.match(saved.text, /value="Rosa"/);
    const bad = await client.submit('/settings', '/settings/profile', { displayName: '', locale: '' });
    assert.equal(bad.status, 422);
  });

  it('creates and revokes an API token, ends other sessions, downloads the export', async () => {
    const client = new Client(inst.url);
    const { handle: h } = await joinByForm(client);
    const withToken = await client.submit('/settings', '/settings/tokens', { name: 'phone app' });
    assert.match(withToken.text, /psl_[A-Za-z0-9_-]{43}/);
    const laptop = new Client(inst.url);
    await laptop.submit('/login', '/login', { handle: h, passphrase: PASS });
    const settings = await client.get('/settings');
    const otherId = /action="\/settings\/sessions\/([^/]+)\/end"/.exec(settings.text)![1];
    const ended = await client.submit('/settings', `/settings/sessions/${otherId}/end`, {});
    assert.equal(ended.status, 303);
    assert.equal((await laptop.get('/settings')).status, 303, 'the laptop was logged out');
    const exported = await client.get('/settings/export');
    assert.match(exported.headers.get('content-disposition') ?? '', /attachment/);
    assert.equal(JSON.parse(exported.text).account.handle, h);
  });

  it('deletes the account from settings only with the passphrase', async () => {
    const client = new Client(inst.url);
    const { handle: h } = await joinByForm(client);
    const wrong = await client.submit('/settings', '/settings/delete', { passphrase: 'nope nope nope', content: 'delete' });
    assert.equal(wrong.status, 403);
    assert.match(wrong.text, /current passphrase is not right/);
    const ok = await client.submit('/settings', '/settings/delete', { passphrase: PASS, content: 'delete' });
    assert.equal(ok.status, 200);
    assert.match(ok.text, /Account deleted/);
    assert.equal(await inst.parasol.ctx.accounts.byHandle(h), null);
  });

  it('sends members away from the admin pages with 403, and visitors with 401', async () => {
    assert.equal((await new Client(inst.url).get('/admin')).status, 401);
    const member = new Client(inst.url);
    await joinByForm(member);
    const reply = await member.get('/admin');
    assert.equal(reply.status, 403);
    assert.match(reply.text, /Only admins/);
  });

  it('lets an admin switch to approval mode and make invite codes from the admin page', async () => {
    const token = await inst.parasol.ctx.instance.issueSetupToken();
    const admin = new Client(inst.url);
    const made = await admin.submit(`/setup/${token}`, `/setup/${token}`, { handle: handle('boss'), passphrase: PASS });
    assert.equal(made.status, 201);
    const page = await admin.get('/admin');
    assert.match(page.text, /For real use, choose approval or invite codes/);
    const set = await admin.submit('/admin', '/admin/settings', { name: 'Red Umbrella', registrationMode: 'approval', approvalQuestion: 'How did you find us?' });
    assert.equal(set.status, 200);
    assert.match(set.text, /Red Umbrella/);
    const signup = await new Client(inst.url).get('/signup');
    assert.match(signup.text, /How did you find us\?/);
    const invite = await admin.submit('/admin', '/admin/invites', { days: '5' });
    assert.match(invite.text, /<code class="token">[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}<\/code>/);
    const badDays = await admin.submit('/admin', '/admin/invites', { days: 'many' });
    assert.equal(badDays.status, 422);
    await admin.submit('/admin', '/admin/settings', { name: 'Parasol', registrationMode: 'open' });
  });

  it('picks the language from Accept-Language, and the language switch works without an account', async () => {
    const visitor = new Client(inst.url);
    const zh = await visitor.get('/login', { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' });
    assert.match(zh.text, /<html lang="zh-Hans"/);
    const switched = await visitor.get('/language?l=en&back=/login');
    assert.equal(switched.status, 303);
    assert.equal(switched.headers.get('location'), '/login');
    const en = await visitor.get('/login', { 'accept-language': 'zh-CN' });
    assert.match(en.text, /<html lang="en"/);
    const offsite = await visitor.get('/language?l=en&back=https://evil.example');
    assert.equal(offsite.headers.get('location'), '/');
  });

  it('sends strict security headers and loads nothing from other hosts', async () => {
    const reply = await new Client(inst.url).get('/signup');
    const csp = reply.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|https?:\/\//);
    assert.equal(reply.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(reply.headers.get('x-powered-by'), null);
    // Links may lead elsewhere (the quick-exit link does); nothing may be loaded from elsewhere.
    assert.doesNotMatch(reply.text, /(src|<link[^>]*href)="(https?:)?\/\//, 'no third-party resources');
    assert.doesNotMatch(reply.text, /<script>|style="/, 'no inline script or style');
    const cookie = reply.headers.getSetCookie().join('\n');
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
  });

  it('answers an unknown page with a 404 page in the visitor’s language', async () => {
    const reply = await new Client(inst.url).get('/no/such/page', { 'accept-language': 'zh-Hans' });
    assert.equal(reply.status, 404);
    assert.match(reply.text, /<html lang="zh-Hans"/);
  });
});
