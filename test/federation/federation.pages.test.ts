import assert from 'node:assert/strict';
import { Client } from '../helpers/client.js';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin as makeAdmin, member as makeMember } from '../helpers/people.js';

describe('the admin federation page (no JavaScript)', () => {
  let inst: TestInstance;
  let admin: Client;
  before(async () => {
    inst = await startInstance();
    admin = (await makeAdmin(inst)).client;
  });
  after(async () => inst.close());

  it('is for admins only, and linked from the admin console', async () => {
    assert.equal((await new Client(inst.url).get('/admin/federation')).status, 303);
    const member = (await makeMember(inst)).client;
    assert.equal((await member.get('/admin/federation')).status, 403);
    assert.equal((await member.post('/admin/federation/rules', { target: 'evil.example', policy: 'deny' })).status, 403);
    assert.match((await admin.get('/admin/network')).text, /href="\/admin\/federation"/);
    const page = await admin.get('/admin/federation');
    assert.equal(page.status, 200);
    assert.match(page.text, /<h1[^>]*>.*Federation/s);
    assert.equal(page.headers.get('cache-control'), 'no-store');
  });

  it('adds a deny rule with its reason, shows it, and removes it', async () => {
    const added = await admin.submit('/admin/federation', '/admin/federation/rules', { target: 'Spam.Example', policy: 'deny', reason: 'doxxing' });
    assert.equal(added.status, 200, added.text);
    assert.match(added.text, /role="status"/);
    assert.match(added.text, /<strong>spam\.example<\/strong>/);
    assert.match(added.text, /doxxing/);
    const api = await admin.api('GET', '/federation/policy');
    assert.equal(api.json.rules[0].id, 'spam.example');
    const removed = await admin.submit('/admin/federation', '/admin/federation/rules/remove', { target: 'spam.example' });
    assert.equal(removed.status, 200, removed.text);
    assert.deepEqual((await admin.api('GET', '/federation/policy')).json.rules, []);
  });

  it('shows bad input on the form, keeps what was typed, and changes nothing', async () => {
    const bad = await admin.submit('/admin/federation', '/admin/federation/rules', { target: 'no spaces allowed.example', policy: 'deny', reason: 'kept' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /Enter a server like example\.org/);
    assert.match(bad.text, /value="no spaces allowed\.example"/);
    assert.match(bad.text, /value="kept"/);
    const follow = await admin.submit('/admin/federation', '/admin/federation/follows', { target: 'not an address' });
    assert.equal(follow.status, 422);
    assert.match(follow.text, /board@example\.org/);
    const partner = await admin.submit('/admin/federation', '/admin/federation/partners', { domain: 'not a domain' });
    assert.equal(partner.status, 422);
    assert.match(partner.text, /value="not a domain"/);
    assert.match(partner.text, /id="partners"/);
    const unknown = await admin.submit('/admin/federation', '/admin/federation/partners/remove', { domain: 'nobody.example' });
    assert.equal(unknown.status, 404);
    assert.match(unknown.text, /There is no such partner/);
    const mode = await admin.submit('/admin/federation', '/admin/federation/mode', { mode: 'sideways' });
    assert.equal(mode.status, 422);
    assert.equal((await admin.api('GET', '/federation/policy')).json.mode, 'open');
  });

  it('switches to allow-list mode and back', async () => {
    const on = await admin.submit('/admin/federation', '/admin/federation/mode', { mode: 'allowlist' });
    assert.equal(on.status, 200, on.text);
    assert.match(on.text, /value="allowlist" checked/);
    assert.equal((await admin.api('GET', '/federation/policy')).json.mode, 'allowlist');
    const off = await admin.submit('/admin/federation', '/admin/federation/mode', { mode: 'open' });
    assert.equal(off.status, 200);
    assert.equal((await admin.api('GET', '/federation/policy')).json.mode, 'open');
  });
});
