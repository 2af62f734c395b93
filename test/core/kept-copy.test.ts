/**
 * What services keep in memory of a few collections (word filters, areas, push keys), over two stores on one
 * database as two processes have them: a SQLite file opened twice, or with TEST_DATABASE_URL one PostgreSQL schema
 * with a change feed per store. Over real worker processes and HTTP: test/cluster/shared-state.test.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AccountHooks } from '../../server/accounts/account-hooks.js';
import type { AccountDoc } from '../../server/accounts/accounts.collections.js';
import { areasCollection, areasCollections } from '../../server/areas/areas.collections.js';
import { AreasService } from '../../server/areas/areas.service.js';
import { KeptCopy } from '../../server/core/kept-copy.js';
import { createLogger } from '../../server/logger.js';
import { moderationCollections } from '../../server/moderation/moderation.collections.js';
import { ModerationService } from '../../server/moderation/moderation.service.js';
import { PushService, vapidCollection } from '../../server/safety/push.service.js';
import { pushSubscriptionsCollection } from '../../server/safety/safety.collections.js';
import { openStore } from '../../server/store/open-store.js';
import { defineCollection, type Store } from '../../server/store/port.js';
import { BOUND_MS } from '../../server/store/postgres/change-feed.js';
import { onPostgres, testDatabaseFor, type TestDatabase } from '../helpers/test-database.js';

const admin: AccountDoc = {
  id: 'admin',
  handle: 'admin',
  handleLower: 'admin',
  displayName: 'admin',
  passHash: '',
  role: 'admin',
  status: 'active',
  locale: null,
  recoveryCodes: [],
  createdAt: 0,
  updatedAt: 0,
};

const noSuspensions = {
  suspend: async () => assert.fail('not used here'),
  unsuspend: async () => assert.fail('not used here'),
};

interface NoteDoc {
  id: string;
  text: string;
}
const notes = defineCollection<NoteDoc>({ name: 'kept_notes', fields: {}, indexes: [] });

/** What this file promises: on SQLite nothing (the writer's answer comes after its commit), on PostgreSQL the change feed's bound. */
const afterTheBound = (): Promise<void> => (onPostgres ? new Promise((resolve) => setTimeout(resolve, BOUND_MS)) : Promise.resolve());

describe('copies kept in memory, over two processes on one database', function () {
  this.timeout(60_000);
  let dir: string;
  let database: TestDatabase | null;
  let one: Store;
  let two: Store;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-kept-'));
    database = await testDatabaseFor(dir);
    // Each store as a process of its own opens it: a connection (and on PostgreSQL a change feed) of its own.
    one = await openStore(database?.url, { dataDir: dir, sweepIntervalMs: null });
    two = await openStore(database?.url, { dataDir: dir, sweepIntervalMs: null });
    const specs = [...moderationCollections, ...areasCollections, vapidCollection, pushSubscriptionsCollection, notes];
    await one.declare(specs);
    await two.declare(specs);
  });

  afterEach(async () => {
    await one.close();
    await two.close();
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('applies a word filter added or removed through one process in the other', async () => {
    const here = new ModerationService(one, noSuspensions);
    const there = new ModerationService(two, noSuspensions);
    await here.reloadFilters();
    await there.reloadFilters();
    assert.equal(await there.checkText('a forbidden word here'), null);
    const filter = await here.addFilter(admin, { phrase: 'forbidden word', action: 'block' });
    await afterTheBound();
    assert.equal(await there.checkText('a forbidden word here'), 'block', 'the other process blocks it');
    assert.equal(await here.checkText('a forbidden word here'), 'block');
    await here.removeFilter(admin, filter.id);
    await afterTheBound();
    assert.equal(await there.checkText('a forbidden word here'), null, 'and lets it through once removed');
  });

  it('lists an area added, renamed or removed through one process in the other', async () => {
    const here = await new AreasService(one, new AccountHooks()).load();
    const there = await new AreasService(two, new AccountHooks()).load();
    const area = await here.create(admin, { name: 'Harbour district' });
    await afterTheBound();
    await there.refresh();
    assert.deepEqual(there.list().map((a) => a.name), ['Harbour district']);
    assert.equal(there.mustExist(area.id).name, 'Harbour district');
    await here.rename(admin, area.id, { name: 'Old harbour' });
    await afterTheBound();
    await there.refresh();
    assert.equal(there.get(area.id)?.name, 'Old harbour');
    await here.remove(admin, area.id);
    await afterTheBound();
    await there.refresh();
    assert.deepEqual(there.list(), []);
    assert.throws(() => there.mustExist(area.id), /unknown_area/);
  });

  it('gives processes that start together on a new database one push key pair, the one stored first', async () => {
    const options = { publicUrl: 'http://127.0.0.1', allowPrivateNetwork: true };
    const [here, there] = await Promise.all([
      new PushService(one, new AccountHooks(), createLogger('silent'), options).load(),
      new PushService(two, new AccountHooks(), createLogger('silent'), options).load(),
    ]);
    const stored = await one.collection(vapidCollection).get('vapid');
    assert.ok(stored, 'a key pair is stored');
    assert.equal(await here.publicKey(), stored.publicKey);
    assert.equal(await there.publicKey(), stored.publicKey);
  });

  it('reads again only after another process wrote its collections, in order, and retries a read that failed', async () => {
    const theirs = one.collection(notes);
    const mine = two.collection(notes);
    const reads: string[] = [];
    let failNext = false;
    const kept = new KeptCopy([notes.name], async () => {
      const doc = await mine.get('n');
      if (failNext) {
        failNext = false;
        throw new Error('the database did not answer');
      }
      reads.push(doc?.text ?? 'none');
    });
    await kept.reread();
    await kept.current();
    await one.collection(areasCollection).insert({ id: 'elsewhere', name: 'x', position: 1, createdAt: 0 });
    await afterTheBound();
    await kept.current();
    // On PostgreSQL a process also reads again whenever it cannot vouch that it heard everything (a feed just opened).
    if (!onPostgres) assert.deepEqual(reads, ['none'], 'nothing read again while another process wrote only other collections');

    await theirs.insert({ id: 'n', text: 'first' });
    await afterTheBound();
    failNext = true;
    await assert.rejects(kept.current(), /did not answer/);
    await kept.current();
    assert.equal(reads.at(-1), 'first', 'the failed read is tried again at the next look');

    await theirs.patch('n', { text: 'second' });
    await afterTheBound();
    // Callers arriving while the read is on its way wait for it, and see what it read.
    await Promise.all([kept.current(), kept.current(), kept.current()]);
    assert.equal(reads.at(-1), 'second');
    const count = reads.length;
    await Promise.all([kept.reread(), kept.reread()]);
    assert.equal(reads.length, count + 2, 'rereads run one after another, each to its end');
  });
});
