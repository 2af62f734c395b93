import assert from 'node:assert/strict';
import { Client, handle, PASS } from '../helpers/client.js';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers */

const DAY = 86_400_000;

describe('admin console: members, roles, suspensions and approvals', function () {
  this.timeout(60_000);
  let inst: TestInstance;
  let boss: Person;
  let mod: Person;
  let ana: Person;
  let bo: Person;

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    mod = await moderator(inst, boss);
    ana = await member(inst, 'ana');
    bo = await member(inst, 'bo');
  });
  after(async () => inst.close());

  it('lists members in handle order and finds them by the start of their handle, any case', async () => {
    const all = await boss.client.api('GET', '/admin/members');
    assert.equal(all.status, 200);
    const handles = (all.json.members as any[]).map((m) => m.handle);
    assert.deepEqual(handles, [...handles].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    for (const p of [boss, mod, ana, bo]) assert.ok(handles.includes(p.handle), p.handle);
    const found = await boss.client.api('GET', `/admin/members?q=${ana.handle.slice(0, 5).toUpperCase()}`);
    assert.deepEqual((found.json.members as any[]).map((m) => m.handle), [ana.handle]);
    const page = await boss.client.get(`/admin/members?q=${encodeURIComponent(ana.handle)}`);
    assert.equal(page.status, 200);
    assert.match(page.text, new RegExp(`<strong><bdi>${ana.handle}</bdi></strong>`));
    assert.doesNotMatch(page.text, new RegExp(bo.handle));
    assert.equal((await boss.client.api('GET', '/admin/members?q=%3Cscript%3E')).status, 422);
    assert.equal((await boss.client.get('/admin/members?q=a%20b')).status, 422);
  });

  it('gives no activity time finer than a day', async () => {
    const until = Date.now() + 3 * DAY + 5 * 3_600_000;
    await inst.parasol.ctx.accounts.suspend((await inst.parasol.ctx.accounts.byHandle(boss.handle))!, bo.handle, { days: 3, reason: 'spam links' });
    const listed = (await boss.client.api('GET', `/admin/members?q=${bo.handle}`)).json.members[0];
    assert.match(listed.joinedDay, /^\d{4}-\d{2}-\d{2}$/);
    assert.match(listed.suspendedUntilDay, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(Date.parse(listed.suspendedUntilDay) >= until - DAY - 5 * 3_600_000, 'the day is rounded up, never early');
    const json = JSON.stringify((await boss.client.api('GET', '/admin/members')).json);
    assert.doesNotMatch(json, /\d{2}:\d{2}/, 'no clock time in the list');
    assert.doesNotMatch(json, /At":\d/, 'no raw timestamps in the list');
    const page = (await boss.client.get('/admin/members')).text;
    assert.doesNotMatch(page.replace(/<script[\s\S]*?<\/script>/g, ''), /\b\d{1,2}:\d{2}\b/, 'no clock time on the page');
    await boss.client.api('DELETE', `/admin/members/${bo.handle}/suspension`);
  });

  it('sets roles from the list, never by a typed handle, and keeps the last admin', async () => {
    const page = await boss.client.get(`/admin/members?q=${ana.handle}`);
    assert.doesNotMatch(page.text, /Your made-up name/, 'no handle field to type into');
    const reset = await boss.client.get('/admin/reset-passphrase');
    assert.match(reset.text, /<label for="f-handle">The member’s handle<\/label>/, 'the admin names a member, not their own made-up name');
    assert.match(page.text, new RegExp(`action="/admin/members/${ana.handle}/role"`));
    const set = await boss.client.submit('/admin/members', `/admin/members/${ana.handle}/role`, { role: 'moderator' });
    assert.equal(set.status, 200);
    assert.match(set.text, new RegExp(`${ana.handle} is now: Moderator`));
    assert.equal((await inst.parasol.ctx.accounts.byHandle(ana.handle))!.role, 'moderator');

    const unknown = await boss.client.submit('/admin/members', `/admin/members/${ana.handle}/role`, { role: 'king' });
    assert.equal(unknown.status, 422);
    assert.match(unknown.text, /role="alert"/);
    assert.equal((await boss.client.api('PUT', `/admin/members/${ana.handle}/role`, { role: 'king' })).status, 422);
    assert.equal((await inst.parasol.ctx.accounts.byHandle(ana.handle))!.role, 'moderator', 'unchanged');
    assert.equal((await boss.client.api('PUT', '/admin/members/nobody_at_all/role', { role: 'admin' })).status, 404);

    const self = await boss.client.api('PUT', `/admin/members/${boss.handle}/role`, { role: 'member' });
    assert.equal(self.status, 409);
    assert.equal(self.json.error.code, 'last_admin');
    const selfForm = await boss.client.submit('/admin/members', `/admin/members/${boss.handle}/role`, { role: 'member' });
    assert.equal(selfForm.status, 409);
    assert.match(selfForm.text, /The instance needs at least one admin/);
    assert.equal((await inst.parasol.ctx.accounts.byHandle(boss.handle))!.role, 'admin');

    const back = await boss.client.api('PUT', `/admin/members/${ana.handle}/role`, { role: 'member' });
    assert.equal(back.status, 200);
    assert.equal(back.json.member.role, 'member');
  });

  it('marks members trusted and responders, an unticked box clearing the mark', async () => {
    const saved = await boss.client.submit('/admin/members', `/admin/members/${ana.handle}/flags`, { trusted: 'true', responder: 'true' });
    assert.equal(saved.status, 200);
    let doc = (await inst.parasol.ctx.accounts.byHandle(ana.handle))!;
    assert.deepEqual([doc.trusted, doc.responder], [true, true]);
    await boss.client.submit('/admin/members', `/admin/members/${ana.handle}/flags`, { trusted: 'true' });
    doc = (await inst.parasol.ctx.accounts.byHandle(ana.handle))!;
    assert.deepEqual([doc.trusted, doc.responder], [true, false]);
    assert.equal((await boss.client.api('PUT', `/admin/members/${ana.handle}/flags`, { trusted: 'yes' })).status, 422);
  });

  it('suspends and lifts, refusing oneself, staff and the last admin with clear errors', async () => {
    const form = await boss.client.submit('/admin/members', `/admin/members/${bo.handle}/suspend`, { days: '7', reason: 'threats in replies' });
    assert.equal(form.status, 200, form.text);
    assert.match(form.text, new RegExp(`${bo.handle} is suspended`));
    assert.match(form.text, /Suspended until/);
    assert.ok(((await inst.parasol.ctx.accounts.byHandle(bo.handle))!.suspendedUntil ?? 0) > Date.now() + 6 * DAY, 'suspended for a week');
    const lifted = await boss.client.submit('/admin/members', `/admin/members/${bo.handle}/unsuspend`, {});
    assert.equal(lifted.status, 200);
    assert.equal((await inst.parasol.ctx.accounts.byHandle(bo.handle))!.suspendedUntil, null);

    const noReason = await boss.client.submit('/admin/members', `/admin/members/${bo.handle}/suspend`, { days: '7', reason: '' });
    assert.equal(noReason.status, 422);
    const badDays = await boss.client.api('PUT', `/admin/members/${bo.handle}/suspension`, { days: -2, reason: 'threats' });
    assert.equal(badDays.status, 422);

    // The only admin: suspending them would leave the instance without one.
    const last = await boss.client.api('PUT', `/admin/members/${boss.handle}/suspension`, { reason: 'testing myself' });
    assert.equal(last.status, 409);
    assert.equal(last.json.error.code, 'last_admin');
    const lastForm = await boss.client.submit('/admin/members', `/admin/members/${boss.handle}/suspend`, { reason: 'testing myself' });
    assert.equal(lastForm.status, 409);
    assert.match(lastForm.text, /The instance needs at least one admin/);

    // With a second admin: nobody suspends themselves, and admins do not suspend each other.
    const second = await member(inst, 'second');
    assert.equal((await boss.client.api('PUT', `/admin/members/${second.handle}/role`, { role: 'admin' })).status, 200);
    const self = await boss.client.api('PUT', `/admin/members/${boss.handle}/suspension`, { reason: 'testing myself' });
    assert.equal(self.status, 409);
    assert.equal(self.json.error.message, 'You cannot suspend yourself.');
    const selfForm = await boss.client.submit('/admin/members', `/admin/members/${boss.handle}/suspend`, { reason: 'testing myself' });
    assert.equal(selfForm.status, 409);
    assert.match(selfForm.text, /You cannot suspend yourself/);
    const staff = await second.client.api('PUT', `/admin/members/${boss.handle}/suspension`, { reason: 'power grab' });
    assert.equal(staff.status, 403);
    assert.equal(staff.json.error.code, 'cannot_suspend_staff');
    assert.equal((await second.client.api('PUT', `/admin/members/${mod.handle}/suspension`, { reason: 'power grab' })).status, 403);
    assert.equal((await boss.client.api('PUT', `/admin/members/${second.handle}/role`, { role: 'member' })).status, 200);
    assert.equal((await inst.parasol.ctx.accounts.byHandle(boss.handle))!.suspendedUntil ?? null, null, 'no admin was suspended');
    assert.equal((await boss.client.api('PUT', '/admin/members/nobody_at_all/suspension', { reason: 'anything' })).status, 404);
    for (const p of [mod, ana]) assert.equal((await p.client.api('PUT', `/admin/members/${bo.handle}/suspension`, { reason: 'not mine to do' })).status, 403);
    assert.equal((await new Client(inst.url).api('PUT', `/admin/members/${bo.handle}/suspension`, { reason: 'not mine to do' })).status, 401);
    assert.equal((await inst.parasol.ctx.accounts.byHandle(bo.handle))!.suspendedUntil, null, 'nothing changed');
  });

  it('approves and refuses sign-ups waiting for approval from the members page', async () => {
    await boss.client.api('PATCH', '/admin/settings', { registrationMode: 'approval' });
    const waiting = new Client(inst.url);
    const h = handle('waiting');
    assert.equal((await waiting.api('POST', '/accounts', { handle: h, passphrase: PASS, answer: 'The outreach van' })).status, 201);
    const page = await boss.client.get('/admin/members');
    assert.match(page.text, /The outreach van/);
    const id = /action="\/admin\/approvals\/([^/]+)\/approve"/.exec(page.text)![1]!;
    const approved = await boss.client.submit('/admin/members', `/admin/approvals/${id}/approve`, {});
    assert.equal(approved.status, 200);
    assert.match(approved.text, /Approved\./);
    assert.equal((await inst.parasol.ctx.accounts.byHandle(h))!.status, 'active');
    assert.equal((await boss.client.submit('/admin/members', `/admin/approvals/${id}/approve`, {})).status, 404, 'already decided');
    const other = handle('refused');
    assert.equal((await new Client(inst.url).api('POST', '/accounts', { handle: other, passphrase: PASS, answer: 'Saw a flyer' })).status, 201);
    const next = /action="\/admin\/approvals\/([^/]+)\/refuse"/.exec((await boss.client.get('/admin/members')).text)![1]!;
    assert.equal((await mod.client.submit('/settings', `/admin/approvals/${next}/refuse`, {})).status, 403);
    assert.equal((await inst.parasol.ctx.accounts.byHandle(other))!.status, 'pending', 'a moderator changed nothing');
    const refused = await boss.client.submit('/admin/members', `/admin/approvals/${next}/refuse`, {});
    assert.equal(refused.status, 200);
    assert.match(refused.text, /Refused\. The account was removed\./);
    assert.equal(await inst.parasol.ctx.accounts.byHandle(other), null);
    await boss.client.api('PATCH', '/admin/settings', { registrationMode: 'open' });
  });

  it('lets the instance’s moderators approve and refuse sign-ups on their own page, and no one else', async () => {
    await boss.client.api('PATCH', '/admin/settings', { registrationMode: 'approval' });
    const h = handle('modok');
    assert.equal((await new Client(inst.url).api('POST', '/accounts', { handle: h, passphrase: PASS, answer: 'A friend at the drop-in' })).status, 201);
    const page = await mod.client.get('/mod/approvals');
    assert.equal(page.status, 200);
    assert.match(page.text, /A friend at the drop-in/);
    const id = /action="\/mod\/approvals\/([^/]+)\/approve"/.exec(page.text)![1]!;
    assert.equal((await ana.client.get('/mod/approvals')).status, 403);
    assert.equal((await ana.client.submit('/settings', `/mod/approvals/${id}/approve`, {})).status, 403);
    assert.equal((await inst.parasol.ctx.accounts.byHandle(h))!.status, 'pending', 'a member changed nothing');
    const approved = await mod.client.submit('/mod/approvals', `/mod/approvals/${id}/approve`, {});
    assert.equal(approved.status, 200);
    assert.match(approved.text, /Approved\./);
    assert.equal((await inst.parasol.ctx.accounts.byHandle(h))!.status, 'active');
    assert.equal((await mod.client.submit('/mod/approvals', `/mod/approvals/${id}/refuse`, {})).status, 404, 'already decided');
    await boss.client.api('PATCH', '/admin/settings', { registrationMode: 'open' });
  });
});
