import assert from 'node:assert/strict';
import { Client } from '../helpers/client.js';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { onPostgres } from '../helpers/test-database.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers */

const PAGES = ['/admin', '/admin/members', '/admin/boards', '/admin/rooms', '/admin/rights', '/admin/areas', '/admin/network', '/admin/storage', '/admin/health'];
const APIS = ['/admin/checklist', '/admin/members', '/admin/boards', '/admin/rooms', '/admin/rights', '/admin/network', '/admin/storage', '/admin/health'];
const DAY = 86_400_000;

describe('admin console: first steps, boards, rooms, rights, areas, federation, storage, health', function () {
  this.timeout(60_000);
  let inst: TestInstance;
  let boss: Person;
  let mod: Person;
  let someone: Person;

  const steps = async (): Promise<Record<string, boolean>> => {
    const reply = await boss.client.api('GET', '/admin/checklist');
    assert.equal(reply.status, 200, reply.text);
    return Object.fromEntries((reply.json.steps as { id: string; done: boolean }[]).map((s) => [s.id, s.done]));
  };

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    mod = await moderator(inst, boss);
    someone = await member(inst);
  });
  after(async () => inst.close());

  it('is for admins alone: 401 for visitors, 403 for members and moderators, pages and API alike', async () => {
    const visitor = new Client(inst.url);
    for (const path of PAGES) assert.equal((await visitor.get(path)).status, 401, path);
    for (const path of APIS) assert.equal((await visitor.api('GET', path)).status, 401, path);
    for (const person of [someone, mod]) {
      for (const path of PAGES) {
        const page = await person.client.get(path);
        assert.equal(page.status, 403, `${person.handle} ${path}`);
        assert.match(page.text, /Only admins can do this/);
      }
      for (const path of APIS) assert.equal((await person.client.api('GET', path)).status, 403, `${person.handle} ${path}`);
      const post = await person.client.submit('/settings', '/admin/areas', { name: 'Harbour' });
      assert.equal(post.status, 403);
    }
    assert.equal(inst.parasol.ctx.areas.list().some((a) => a.name === 'Harbour'), false, 'nothing changed');
    for (const path of PAGES) {
      const page = await boss.client.get(path);
      assert.equal(page.status, 200, path);
      assert.equal(page.headers.get('cache-control'), 'no-store', path);
      for (const section of PAGES) assert.match(page.text, new RegExp(`href="${section}"`), `${path} links to ${section}`);
      assert.doesNotMatch(page.text, /\b\d{1,3}(?:\.\d{1,3}){3}\b/, `${path} shows no IP address`);
      assert.doesNotMatch(page.text, /[\w.+-]+@[\w-]+\.[\w.]+/, `${path} shows no e-mail address`);
      assert.doesNotMatch(page.text, /\+\d[\d ()-]{7,}/, `${path} shows no phone number`);
    }
  });

  it('ticks each first step as the instance is set up, and no sooner', async () => {
    const fresh = await steps();
    assert.deepEqual(Object.keys(fresh), ['name', 'languages', 'country', 'registration', 'boards', 'rooms', 'rights', 'partners', 'backups']);
    assert.deepEqual(Object.values(fresh), Array(9).fill(false), 'nothing is done on a fresh instance');
    const home = await boss.client.get('/admin');
    assert.match(home.text, /9 steps left/);
    assert.match(home.text, /data-step="rooms" data-done="false"><span class="tag">To do<\/span>\s*<a href="\/admin\/rooms">Start a room<\/a>/);

    assert.equal((await boss.client.api('PATCH', '/admin/settings', { name: 'Red Umbrella', registrationMode: 'approval' })).status, 200);
    assert.deepEqual(await steps(), { ...fresh, name: true, registration: true });
    assert.equal((await boss.client.api('PATCH', '/admin/settings', { offeredLocales: ['en', 'ar'], defaultCountry: 'EG' })).status, 200);
    assert.deepEqual(await steps(), { ...fresh, name: true, registration: true, languages: true, country: true });

    const board = await boss.client.api('POST', '/boards', { slug: 'outreach', name: 'Outreach nights' });
    assert.equal(board.status, 201, board.text);
    const room = await boss.client.api('POST', '/rooms', { name: 'Thursday circle', joinPolicy: 'request', retentionDays: 7 });
    assert.equal(room.status, 201, room.text);
    const page = await boss.client.api('PUT', '/rights/arrested', { locale: 'en', title: 'If you are arrested', body: 'You may stay silent. Ask for the legal aid number.' });
    assert.equal(page.status < 300, true, page.text);
    const now = await steps();
    assert.equal(now.boards, true);
    assert.equal(now.rooms, true);
    assert.equal(now.rights, true);
    assert.equal(now.partners, false, 'no partner instance yet (the federation tests add one)');

    await inst.parasol.ctx.backups.recordBackup(Date.now() - 30 * DAY);
    assert.equal((await steps()).backups, false, 'a month-old backup does not count');
    await inst.parasol.ctx.backups.recordBackup();
    assert.equal((await steps()).backups, true);
    const done = await boss.client.get('/admin');
    assert.match(done.text, /1 step left/);
    assert.match(done.text, /data-step="backups" data-done="true"/);

    await boss.client.api('PATCH', '/admin/settings', { registrationMode: 'open' });
    assert.equal((await steps()).registration, false, 'back to open registration: the step is open again');
  });

  it('lists boards with their settings and review boards, and keeps a partner board’s secret on a no-store page', async () => {
    const boards = await boss.client.api('GET', '/admin/boards');
    assert.equal(boards.status, 200);
    assert.ok((boards.json.boards as any[]).some((b) => b.slug === 'general' && Array.isArray(b.moderators) && b.visibility), 'the general board with its settings');
    const screening = (boards.json.reviewBoards as any[]).find((b) => b.slug === 'client-screening');
    assert.equal(screening.partner, false);
    const refused = await boss.client.api('GET', '/admin/review-boards/client-screening/secret');
    assert.equal(refused.status, 409);
    assert.equal(refused.json.error.message, 'Only a partner board has a shared secret.');
    assert.equal((await boss.client.get('/admin/review-boards/client-screening/secret')).status, 409);
    assert.equal((await boss.client.api('GET', '/admin/review-boards/no-such-board/secret')).status, 404);

    const secret = 'c2hhcmVkIGJ5IHRoZSBuZXR3b3JrIG9mIHBhcnRuZXJz';
    const bad = await boss.client.submit('/admin/boards', '/admin/review-boards/client-screening', { name: 'Screening', description: '', visibility: 'network', secret: 'too short' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /role="alert"/);
    assert.equal((await boss.client.api('GET', '/admin/boards')).json.reviewBoards[0].visibility, 'members', 'nothing changed');
    const saved = await boss.client.submit('/admin/boards', '/admin/review-boards/client-screening', { name: 'Screening', description: '', visibility: 'network', secret });
    assert.equal(saved.status, 200, saved.text);
    assert.equal(saved.headers.get('cache-control'), 'no-store');
    assert.doesNotMatch(saved.text, new RegExp(secret), 'the secret is not shown back on the boards page');
    assert.match(saved.text, /href="\/admin\/review-boards\/client-screening\/secret"/);

    const page = await boss.client.get('/admin/review-boards/client-screening/secret');
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.match(page.text, new RegExp(`<code class="token" dir="ltr">${Buffer.from(secret, 'base64').toString('base64')}</code>`));
    const api = await boss.client.api('GET', '/admin/review-boards/client-screening/secret');
    assert.equal(api.headers.get('cache-control'), 'no-store');
    assert.equal(api.json.secret, Buffer.from(secret, 'base64').toString('base64'));
    for (const person of [someone, mod]) assert.equal((await person.client.get('/admin/review-boards/client-screening/secret')).status, 403);
  });

  it('counts rooms but names only listed ones, and lists the rights pages and resources', async () => {
    await boss.client.api('POST', '/rooms', { name: 'Open door', joinPolicy: 'request', retentionDays: 7, listed: true });
    const rooms = (await boss.client.api('GET', '/admin/rooms')).json;
    assert.equal(rooms.total >= 2, true);
    assert.deepEqual((rooms.listed as any[]).map((r) => r.name), ['Open door']);
    const page = await boss.client.get('/admin/rooms');
    assert.match(page.text, /Open door/);
    assert.doesNotMatch(page.text, /Thursday circle/, 'an unlisted room is not named');
    const rights = (await boss.client.api('GET', '/admin/rights')).json;
    assert.ok((rights.pages as any[]).some((p) => p.slug === 'arrested' && p.placeholder === false), 'the written page is no placeholder');
    assert.equal(typeof rights.resources, 'number');
    assert.match((await boss.client.get('/admin/rights')).text, /href="\/rights\/arrested\/edit"/);
  });

  it('adds and deletes areas, the button saying what it does, with a clear error for a bad name', async () => {
    const added = await boss.client.submit('/admin/areas', '/admin/areas', { name: 'Old town' });
    assert.equal(added.status, 200);
    const area = inst.parasol.ctx.areas.list().find((a) => a.name === 'Old town')!;
    assert.match(added.text, /Delete the area and its alert subscriptions/);
    assert.doesNotMatch(added.text, />\s*Revoke\s*</);
    const empty = await boss.client.submit('/admin/areas', '/admin/areas', { name: '' });
    assert.equal(empty.status, 422);
    assert.match(empty.text, /role="alert"/);
    const gone = await boss.client.submit('/admin/areas', `/admin/areas/${area.id}/delete`, {});
    assert.equal(gone.status, 200);
    assert.match(gone.text, /Area deleted/);
    assert.equal(inst.parasol.ctx.areas.list().some((a) => a.id === area.id), false);
    assert.equal((await boss.client.submit('/admin/areas', `/admin/areas/${area.id}/delete`, {})).status, 404);
  });

  it('shows federation at a glance, pointing to the federation page and its API', async () => {
    const network = (await boss.client.api('GET', '/admin/network')).json.federation;
    assert.deepEqual({ ...network, partners: [] }, { mode: 'open', denyRules: 0, allowRules: 0, partners: [], follows: 0, pendingDeliveries: 0 });
    assert.equal((await boss.client.api('POST', '/federation/policy/rules', { target: 'spam.example', policy: 'deny' })).status, 201);
    assert.equal((await boss.client.api('GET', '/admin/network')).json.federation.denyRules, 1);
    const page = await boss.client.get('/admin/network');
    assert.match(page.text, /1 server or account denied/);
    assert.match(page.text, /href="\/admin\/federation"/);
    assert.match(page.text, /\/api\/v1\/federation\/policy/);
  });

  it('reports storage and backups: sizes measured on disk, the last backup day and the command', async () => {
    const storage = (await boss.client.api('GET', '/admin/storage')).json;
    assert.equal(typeof storage.databaseBytes, 'number');
    assert.ok(storage.databaseBytes > 0, 'the database has a size');
    // On PostgreSQL the data directory holds no database: it may be empty.
    assert.ok(onPostgres ? storage.dataDirectory.bytes >= 0 : storage.dataDirectory.bytes >= storage.databaseBytes, 'the data directory holds the database');
    assert.equal(storage.dataDirectory.complete, true);
    assert.match(storage.lastBackupDay, /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(storage.engine, inst.parasol.ctx.store.kind);
    const page = await boss.client.get('/admin/storage');
    assert.match(page.text, /Last backup: /);
    assert.match(page.text, new RegExp(storage.backupCommand.replace(/[|.*+?^${}()[\]\\]/g, '\\$&').replace(/>/g, '&gt;')));
  });

  it('reports health: version from package.json, engine, jobs, queues and free disk space', async () => {
    const health = (await boss.client.api('GET', '/admin/health')).json;
    assert.equal(health.version, '0.1.0');
    assert.equal(health.engine, inst.parasol.ctx.store.kind);
    assert.ok((health.jobs as any[]).some((j) => j.name === 'store-sweep'), 'the sweep job is listed');
    assert.deepEqual(health.queues.passphraseChecks, { running: 0, waiting: 0 });
    assert.equal(health.queues.pendingDeliveries, 0);
    assert.ok(health.disk.freeBytes > 0 && health.disk.totalBytes >= health.disk.freeBytes, 'free space is measured');
    const page = await boss.client.get('/admin/health');
    assert.match(page.text, /store-sweep/);
    assert.match(page.text, /Free disk space: [^<]*free of/);
  });
});
