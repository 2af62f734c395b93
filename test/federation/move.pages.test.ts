import assert from 'node:assert/strict';
import { startPeers, type Peer } from './instances.js';
import { Client, handle, PASS } from '../helpers/client.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers */

const MOVE_PASS = 'a passphrase for moving house';

/**
 * Moving an account with the forms alone: the member downloads the signed export on A and pastes it on B, a
 * partner; the admin console counts the partner as a first step done.
 */
describe('moving an account between partners with the pages (no JavaScript)', function () {
  this.timeout(180_000);
  let a: Peer;
  let b: Peer;
  let file: any;

  before(async () => {
    [a, b] = (await startPeers(['pa', 'pb'])) as [Peer, Peer];
  });
  after(async () => Promise.all([a?.dispose(), b?.dispose()]));

  const partnersStep = async (peer: Peer) =>
    ((await peer.admin.client.api('GET', '/admin/checklist')).json.steps as any[]).find((s) => s.id === 'partners').done as boolean;

  it('ticks the partners step of the admin console once a partner is added', async () => {
    assert.equal(await partnersStep(a), false);
    for (const [x, y] of [[a, b], [b, a]] as const) {
      const added = await x.admin.client.api('POST', '/federation/partners', { domain: y.host });
      assert.equal(added.status, 201, added.text);
    }
    assert.equal(await partnersStep(a), true);
    const overview = await a.admin.client.get('/admin/network');
    assert.match(overview.text, new RegExp(`<bdi dir="ltr">${b.host.replace(/\./g, '\\.')}</bdi>`));
  });

  it('downloads the signed export from the form, with the member key sealed when a passphrase is given', async () => {
    const visitor = await new Client(a.url).get('/settings/move');
    assert.equal(visitor.status, 303);
    const page = await a.member.client.get('/settings/move');
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.match((await a.member.client.get('/settings')).text, /href="\/settings\/move"/);

    const short = await a.member.client.submit('/settings/move', '/settings/move/export', { keyPassphrase: 'short' });
    assert.equal(short.status, 422);
    assert.match(short.text, /role="alert"/);
    const exported = await a.member.client.submit('/settings/move', '/settings/move/export', { keyPassphrase: MOVE_PASS });
    assert.equal(exported.status, 200, exported.text);
    assert.match(exported.headers.get('content-disposition') ?? '', /attachment/);
    file = exported.json;
    assert.equal(file.export.actor, `${a.url}/ap/u/${a.member.handle.toLowerCase()}`);
    assert.equal(file.memberKey.format, 'parasol-member-key');
  });

  it('refuses a pasted file that is not an export, or not signed by a partner, keeping what was pasted', async () => {
    const newcomer = new Client(b.url);
    assert.equal((await newcomer.api('POST', '/accounts', { handle: handle('moved'), passphrase: PASS })).status, 201);
    const garbage = await newcomer.submit('/settings/move', '/settings/move/import', { file: 'my old account please' });
    assert.equal(garbage.status, 422);
    assert.match(garbage.text, /This is not a file from a Parasol instance/);
    const forged = JSON.stringify({ ...file, export: { ...file.export, handle: 'someone_else' } });
    const refused = await newcomer.submit('/settings/move', '/settings/move/import', { file: forged });
    assert.equal(refused.status, 422);
    assert.match(refused.text, /someone_else/, 'the pasted file is kept in the form');
    assert.doesNotMatch(refused.text, new RegExp(MOVE_PASS));
    const ownExport = (await b.member.client.api('POST', '/federation/me/export', {})).json;
    const notPartner = await newcomer.submit('/settings/move', '/settings/move/import', { file: JSON.stringify(ownExport) });
    assert.equal(notPartner.status, 422, 'an export of this very instance is not from a partner');
    const wrongKey = await newcomer.submit('/settings/move', '/settings/move/import', { file: JSON.stringify(file), keyPassphrase: 'not the one used', passphrase: PASS });
    assert.equal(wrongKey.status, 422);
    const me = await newcomer.api('GET', '/federation/me');
    assert.equal(me.status, 200, 'still signed in: nothing was taken up');
  });

  it('moves in with the pasted file and takes up the sealed member key, answering new recovery codes', async () => {
    const newcomer = new Client(b.url);
    const h = handle('moved');
    assert.equal((await newcomer.api('POST', '/accounts', { handle: h, passphrase: PASS })).status, 201);
    const moved = await newcomer.submit('/settings/move', '/settings/move/import', { file: JSON.stringify(file), keyPassphrase: MOVE_PASS, passphrase: PASS });
    assert.equal(moved.status, 200, moved.text);
    assert.match(moved.text, /Moved in/);
    assert.match(moved.text, /write down these new recovery codes/);
    assert.equal((moved.text.match(/<li><code class="token" dir="ltr">/g) ?? []).length >= 8, true);
    const actor = await (await fetch(`${b.url}/ap/u/${h.toLowerCase()}`, { headers: { accept: 'application/activity+json' } })).json();
    assert.deepEqual([actor.alsoKnownAs].flat(), [file.export.actor]);
    assert.equal((await newcomer.api('GET', '/federation/me')).status, 401, 'every session ended with the old key');
  });
});
