import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { apexCollections } from '../../federation/apex.collections.js';
import { PortApexStore } from '../../federation/apex-store.js';
import { DeliveryQueue } from '../../federation/outbound/delivery-queue.js';
import type { Store } from '../../server/store/port.js';
import { openMongoStore } from '../../server/store/mongo.adapter.js';
import { openSqliteStore } from '../../server/store/sqlite.adapter.js';
import { runApexStoreContract } from './apex-store.contract.js';

let dir: string;
let files = 0;

describe('apex store (IApexStore on the storage port)', () => {
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'parasol-apex-store-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  runApexStoreContract('sqlite', async () => {
    files += 1;
    return openSqliteStore({ path: path.join(dir, `apex-${files}.sqlite`) });
  });

  it('keeps queued deliveries across a restart (SQLite file reopened)', async () => {
    const file = path.join(dir, 'restart.sqlite');
    const options = { deliveryMaxAgeMs: 48 * 3_600_000, retryBaseMs: 30_000 };
    let store: Store = await openSqliteStore({ path: file });
    await store.declare(apexCollections);
    let apexStore = new PortApexStore(store, new DeliveryQueue(store, options));
    await apexStore.setup();
    await apexStore.deliveryEnqueue('https://a.example/ap/instance', '{"type":"Follow"}', ['https://b.example/inbox']);
    // A worker took it and the process died mid-request: the lease keeps it in the store.
    assert.equal((await new DeliveryQueue(store, options).claimDue(1, 1)).length, 1);
    await store.close();

    store = await openSqliteStore({ path: file });
    await store.declare(apexCollections);
    const queue = new DeliveryQueue(store, options);
    apexStore = new PortApexStore(store, queue);
    await apexStore.setup();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const [delivery] = await queue.claimDue(1, 60_000);
    assert.equal(delivery?.address, 'https://b.example/inbox');
    assert.equal(delivery?.body, '{"type":"Follow"}');
    await store.close();
  });

  describe('on MongoDB', function () {
    const url = process.env.MONGODB_URL;
    const databases: string[] = [];
    before(function () {
      if (url === undefined) {
        // MongoDB cannot be installed on the development and CI machines (README); the same suite runs
        // against a replica set whenever MONGODB_URL names one.
        console.log('    MongoDB apex store suite skipped: MONGODB_URL is unset');
        this.skip();
      }
    });
    after(async function () {
      if (url === undefined || databases.length === 0) return;
      const client = await MongoClient.connect(url);
      try {
        for (const name of databases) await client.db(name).dropDatabase();
      } finally {
        await client.close();
      }
    });
    runApexStoreContract('mongodb', async () => {
      const dbName = `parasol_apex_${randomBytes(6).toString('hex')}`;
      databases.push(dbName);
      return openMongoStore({ url: url!, dbName });
    });
  });
});
