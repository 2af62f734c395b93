import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, handle, PASS } from '../helpers/client.js';

/** Makes the first admin through the one-time setup link, as the person who started the instance would. */
export async function setupAdmin(inst: TestInstance): Promise<Client> {
  const token = await inst.parasol.ctx.instance.issueSetupToken();
  const admin = new Client(inst.url);
  const reply = await admin.api('POST', `/setup/${token}`, { handle: handle('admin'), passphrase: PASS });
  assert.equal(reply.status, 201, reply.text);
  return admin;
}

describe('registration modes, setup link and roles', () => {
  let inst: TestInstance;
  let admin: Client;
  before(async () => {
    inst = await startInstance();
    admin = await setupAdmin(inst);
  });
  after(async () => inst.close());
  afterEach(async () => {
    await admin.api('PATCH', '/admin/settings', { registrationMode: 'open' });
  });

  it('uses the setup link once; afterwards it is refused', async () => {
    const token = await inst.parasol.ctx.instance.issueSetupToken();
    const first = await new Client(inst.url).api('POST', `/setup/${token}`, { handle: handle('boss'), passphrase: PASS });
    assert.equal(first.status, 201);
    assert.equal(first.json.account.role, 'admin');
    const second = await new Client(inst.url).api('POST', `/setup/${token}`, { handle: handle('boss'), passphrase: PASS });
    assert.equal(second.status, 404);
    assert.equal(second.json.error.code, 'setup_invalid');
    const page = await new Client(inst.url).get(`/setup/${token}`);
    assert.equal(page.status, 404);
  });

  it('never makes an admin through sign-up, and a member cannot change roles or settings', async () => {
    const member = new Client(inst.url);
    const h = handle();
    await member.api('POST', '/accounts', { handle: h, passphrase: PASS });
    assert.equal((await member.api('GET', '/me')).json.account.role, 'member');
    const grab = await member.api('PUT', `/admin/accounts/${h}/role`, { role: 'admin' });
    assert.equal(grab.status, 403);
    assert.equal(grab.json.error.code, 'admin_only');
    assert.equal((await member.api('PATCH', '/admin/settings', { registrationMode: 'open' })).status, 403);
    assert.equal((await member.api('GET', '/me')).json.account.role, 'member');
    assert.equal((await new Client(inst.url).api('GET', '/admin/settings')).status, 401);
  });

  it('grants and removes the moderator role; the session rotates on the change', async () => {
    const mod = new Client(inst.url);
    const h = handle('mod');
    await mod.api('POST', '/accounts', { handle: h, passphrase: PASS });
    const before = mod.cookies.get('psl_session');
    const granted = await admin.api('PUT', `/admin/accounts/${h}/role`, { role: 'moderator' });
    assert.equal(granted.status, 200);
    assert.equal(granted.json.account.role, 'moderator');
    assert.equal((await mod.api('GET', '/admin/approvals')).status, 200);
    assert.notEqual(mod.cookies.get('psl_session'), before, 'a new session cookie after the privilege change');
    const stale = new Client(inst.url);
    stale.cookies.set('psl_session', before!);
    assert.equal((await stale.api('GET', '/me')).status, 401);
    assert.equal((await mod.api('PATCH', '/admin/settings', { registrationMode: 'invite' })).status, 403, 'moderators are not admins');
    await admin.api('PUT', `/admin/accounts/${h}/role`, { role: 'member' });
    assert.equal((await mod.api('GET', '/admin/approvals')).status, 403);
    assert.equal((await admin.api('PUT', `/admin/accounts/${h}/role`, { role: 'king' })).status, 422);
    assert.equal((await admin.api('PUT', '/admin/accounts/nobody_like_this/role', { role: 'moderator' })).status, 404);
  });

  it('keeps at least one admin', async () => {
    const solo = await startInstance();
    try {
      const only = await setupAdmin(solo);
      const me = (await only.api('GET', '/me')).json.account;
      const reply = await only.api('PUT', `/admin/accounts/${me.handle}/role`, { role: 'member' });
      assert.equal(reply.status, 409);
      assert.equal(reply.json.error.code, 'last_admin');
      assert.equal((await only.api('GET', '/me')).json.account.role, 'admin');
    } finally {
      await solo.close();
    }
  });

  it('approval mode: the newcomer answers the question, waits, and a moderator approves', async () => {
    const set = await admin.api('PATCH', '/admin/settings', { registrationMode: 'approval', approvalQuestion: 'Who told you about us?' });
    assert.equal(set.status, 200);
    const newcomer = new Client(inst.url);
    const h = handle('new');
    const noAnswer = await newcomer.api('POST', '/accounts', { handle: h, passphrase: PASS });
    assert.equal(noAnswer.status, 422);
    assert.ok(noAnswer.json.error.fields.answer, 'a missing answer is flagged on the answer field');
    const joined = await newcomer.api('POST', '/accounts', { handle: h, passphrase: PASS, answer: 'The drop-in centre' });
    assert.equal(joined.status, 201);
    assert.equal(joined.json.account.status, 'pending');
    const pending = (await admin.api('GET', '/admin/approvals')).json.pending as { id: string; handle: string; answer: string }[];
    const mine = pending.find((p) => p.handle === h)!;
    assert.equal(mine.answer, 'The drop-in centre');
    assert.equal((await newcomer.api('POST', `/admin/approvals/${mine.id}/approve`)).status, 403, 'cannot approve oneself');
    assert.equal((await admin.api('POST', `/admin/approvals/${mine.id}/approve`)).status, 204);
    assert.equal((await newcomer.api('GET', '/me')).json.account.status, 'active');
    assert.equal((await admin.api('POST', `/admin/approvals/${mine.id}/approve`)).status, 404, 'already decided');
  });

  it('approval mode: a refused sign-up is removed entirely', async () => {
    await admin.api('PATCH', '/admin/settings', { registrationMode: 'approval' });
    const h = handle('spam');
    const newcomer = new Client(inst.url);
    await newcomer.api('POST', '/accounts', { handle: h, passphrase: PASS, answer: 'buy cheap watches' });
    const pending = (await admin.api('GET', '/admin/approvals')).json.pending as { id: string; handle: string }[];
    const id = pending.find((p) => p.handle === h)!.id;
    assert.equal((await admin.api('POST', `/admin/approvals/${id}/refuse`)).status, 204);
    assert.equal((await newcomer.api('GET', '/me')).status, 401);
    assert.equal(await inst.parasol.ctx.accounts.byHandle(h), null);
  });

  it('invite mode: a code is required, works once, and can be revoked', async () => {
    await admin.api('PATCH', '/admin/settings', { registrationMode: 'invite' });
    const none = await new Client(inst.url).api('POST', '/accounts', { handle: handle(), passphrase: PASS });
    assert.equal(none.status, 403);
    assert.equal(none.json.error.code, 'invite_required');
    const wrong = await new Client(inst.url).api('POST', '/accounts', { handle: handle(), passphrase: PASS, invite: 'aaaa-bbbb-cccc' });
    assert.equal(wrong.status, 422);
    assert.equal(wrong.json.error.code, 'invite_invalid');

    const created = await admin.api('POST', '/admin/invites', { days: 3 });
    assert.equal(created.status, 201);
    const code = created.json.code as string;
    const used = await new Client(inst.url).api('POST', '/accounts', { handle: handle(), passphrase: PASS, invite: code.toUpperCase() });
    assert.equal(used.status, 201, used.text);
    const reused = await new Client(inst.url).api('POST', '/accounts', { handle: handle(), passphrase: PASS, invite: code });
    assert.equal(reused.status, 422);

    const another = await admin.api('POST', '/admin/invites', { days: 1 });
    assert.equal((await admin.api('DELETE', `/admin/invites/${another.json.id}`)).status, 204);
    const revoked = await new Client(inst.url).api('POST', '/accounts', { handle: handle(), passphrase: PASS, invite: another.json.code });
    assert.equal(revoked.status, 422);
    assert.equal((await admin.api('POST', '/admin/invites', { days: 400 })).status, 422);
  });

  it('invite mode: an expired code is refused', async () => {
    await admin.api('PATCH', '/admin/settings', { registrationMode: 'invite' });
    const { code, invite } = await inst.parasol.ctx.invites.create('test', 1);
    const { invitesCollection } = await import('../../server/accounts/accounts.collections.js');
    await inst.parasol.ctx.store.collection(invitesCollection).patch(invite.id, { expiresAt: Date.now() - 1000 });
    const reply = await new Client(inst.url).api('POST', '/accounts', { handle: handle(), passphrase: PASS, invite: code });
    assert.equal(reply.status, 422);
  });

  it('a handle taken during a failed invite sign-up is not consumed, nor the invite', async () => {
    await admin.api('PATCH', '/admin/settings', { registrationMode: 'invite' });
    const taken = handle();
    const { code } = await inst.parasol.ctx.invites.create('test', 1);
    const first = await new Client(inst.url).api('POST', '/accounts', { handle: taken, passphrase: PASS, invite: code });
    assert.equal(first.status, 201);
    const { code: code2 } = await inst.parasol.ctx.invites.create('test', 1);
    const clash = await new Client(inst.url).api('POST', '/accounts', { handle: taken, passphrase: PASS, invite: code2 });
    assert.equal(clash.status, 409);
    const retry = await new Client(inst.url).api('POST', '/accounts', { handle: handle(), passphrase: PASS, invite: code2 });
    assert.equal(retry.status, 201, 'the invite survived the failed attempt');
  });

  it('refuses bad settings and changes nothing', async () => {
    const before = (await admin.api('GET', '/admin/settings')).json.settings;
    for (const body of [{ registrationMode: 'everyone' }, { approvalQuestion: '' }, { name: 'x'.repeat(61) }, { colour: 'red' }]) {
      const reply = await admin.api('PATCH', '/admin/settings', body);
      assert.equal(reply.status, 422, JSON.stringify(body));
    }
    assert.deepEqual((await admin.api('GET', '/admin/settings')).json.settings, before);
  });
});
