/**
 * The delivery queue's state changes from several processes on one database (here several queues on one store:
 * a SQLite file, or with TEST_DATABASE_URL a PostgreSQL schema, where each runs on its own connection): an inbox
 * due is claimed by one of them, and completions and failures by one never undo another's.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apDeliveriesCollection, apexCollections } from '../../federation/apex.collections.js';
import { DeliveryQueue, type ClaimedDelivery } from '../../federation/outbound/delivery-queue.js';
import { openStore } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/port.js';
import { testDatabaseFor, type TestDatabase } from '../helpers/test-database.js';

const options = { deliveryMaxAgeMs: 48 * 3_600_000, retryBaseMs: 30_000 };
const LEASE_MS = 600_000;

describe('delivery queue shared by several processes', function () {
  let dir: string;
  let database: TestDatabase | null;
  let store: Store;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-claims-'));
    database = await testDatabaseFor(dir);
    store = await openStore(database?.url ?? `sqlite:${path.join(dir, 'parasol.sqlite')}`, { sweepIntervalMs: null });
    await store.declare(apexCollections);
  });

  afterEach(async () => {
    await store.close();
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const key = (d: Pick<ClaimedDelivery, 'id' | 'address'>) => `${d.id} ${d.address}`;

  it('claims every due inbox once when workers claim at the same time', async () => {
    const queues = Array.from({ length: 4 }, () => new DeliveryQueue(store, options));
    for (let i = 0; i < 30; i++) {
      assert.ok(await queues[0]!.enqueue({ actorId: 'https://here.example/ap/b/general', body: `{"n":${i}}`, addresses: ['https://a.example/inbox', 'https://b.example/inbox', `https://c${i % 3}.example/inbox`] }), 'queued');
    }
    const claimed: ClaimedDelivery[] = [];
    for (;;) {
      const rounds = await Promise.all(queues.map((q) => q.claimDue(7, LEASE_MS)));
      if (rounds.every((r) => r.length === 0)) break;
      claimed.push(...rounds.flat());
    }
    const keys = claimed.map(key);
    assert.equal(new Set(keys).size, keys.length, 'no inbox claimed twice');
    assert.equal(keys.length, 90, 'every inbox claimed');
  });

  it('keeps one worker’s completion and another’s failure of two inboxes of one activity', async () => {
    const [one, two] = [new DeliveryQueue(store, options), new DeliveryQueue(store, options)];
    await one.enqueue({ actorId: 'https://here.example/ap/b/general', body: '{}', addresses: ['https://a.example/inbox', 'https://b.example/inbox', 'https://c.example/inbox'] });
    const [first, second, third] = await one.claimDue(3, LEASE_MS);
    assert.ok(first && second && third, 'three inboxes claimed');
    await Promise.all([one.completeDeliveries([first]), two.failDelivery(second, false), one.completeDeliveries([third])]);
    const [doc] = (await store.collection(apDeliveriesCollection).find({ orderBy: { field: 'nextAt' } })).items;
    assert.deepEqual(doc?.targets.map((t) => [t.address, t.attempt]), [[second.address, 1]], 'the failed inbox waits for its retry, the others are done');
    await two.failDelivery({ ...second, attempt: 1 }, true);
    assert.equal(await one.pendingDeliveries(), 0);
  });
});
