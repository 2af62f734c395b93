/**
 * The inbox's memory of accepted signatures (federation/inbound/replay-cache.ts), over two stores on one database
 * as two processes have them: a SQLite file opened twice, or with TEST_DATABASE_URL one PostgreSQL schema. Over
 * real worker processes and signed HTTP requests: test/cluster/shared-state.test.ts.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReplayCache } from '../../federation/inbound/replay-cache.js';
import { apSeenSignaturesCollection } from '../../federation/federation.collections.js';
import { hmac } from '../../server/crypto.js';
import { openStore } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/port.js';
import { itReadsSqliteFile, testDatabaseFor, type TestDatabase } from '../helpers/test-database.js';

const MINUTE = 60_000;
const keyedHash = (purpose: string, text: string): string => hmac('the instance key', `${purpose}\u0000${text}`);
const signature = (): string => crypto.randomBytes(256).toString('base64');

describe('the inbox replay cache, over two processes on one database', function () {
  this.timeout(60_000);
  let dir: string;
  let database: TestDatabase | null;
  let one: Store;
  let two: Store;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-replays-'));
    database = await testDatabaseFor(dir);
    one = await openStore(database?.url, { dataDir: dir, sweepIntervalMs: null });
    two = await openStore(database?.url, { dataDir: dir, sweepIntervalMs: null });
    await one.declare([apSeenSignaturesCollection]);
    await two.declare([apSeenSignaturesCollection]);
  });

  afterEach(async () => {
    await one.close();
    await two.close();
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lets one process accept a signature, and refuses it in every process after', async () => {
    const here = new ReplayCache({ store: one, keyedHash });
    const there = new ReplayCache({ store: two, keyedHash });
    const s = signature();
    assert.equal(here.seenHere(s), false);
    assert.equal(await here.claim(s), true, 'the first acceptance');
    assert.equal(here.seenHere(s), true, 'turned away here before anything is verified');
    assert.equal(there.seenHere(s), false, 'the other process has not seen it itself');
    assert.equal(await there.claim(s), false, 'but the database refuses it there');
    assert.equal(there.seenHere(s), true, 'and from then on it is turned away there at once');
    assert.equal(await here.claim(s), false);
  });

  it('accepts one of two processes claiming the same signature at once', async () => {
    const caches = [new ReplayCache({ store: one, keyedHash }), new ReplayCache({ store: two, keyedHash })];
    for (let i = 0; i < 5; i++) {
      const s = signature();
      const taken = await Promise.all([...caches, ...caches].map((cache) => cache.claim(s)));
      assert.equal(taken.filter(Boolean).length, 1, `one acceptance of ${taken.join(' ')}`);
    }
  });

  it('forgets a signature once its Date can no longer be valid, and bounds what each process keeps', async () => {
    const here = new ReplayCache({ store: one, keyedHash, maxLocal: 3 });
    const there = new ReplayCache({ store: two, keyedHash });
    const now = Date.now();
    const old = signature();
    assert.equal(await here.claim(old, now - 11 * MINUTE), true);
    assert.equal(here.seenHere(old, now), false, 'ten minutes after it came, its Date is out of the window');
    assert.equal(await there.claim(old, now), true, 'and the database has let it go');

    const first = signature();
    await here.claim(first, now);
    for (let i = 0; i < 3; i++) await here.claim(signature(), now);
    assert.equal(here.seenHere(first, now), false, 'the oldest goes first from the process’s own memory');
    assert.equal(await here.claim(first, now), false, 'the database still refuses it');
  });

  it('stores a keyed hash of the signature and its expiry, nothing else', async () => {
    const s = signature();
    await new ReplayCache({ store: one, keyedHash }).claim(s);
    const id = keyedHash('inbox-signature', s);
    const doc = await one.collection(apSeenSignaturesCollection).get(id);
    assert.ok(doc, 'the hash is stored');
    assert.deepEqual(Object.keys(doc).sort(), ['expiresAt', 'id']);
    assert.notEqual(doc.id, s);
  });

  itReadsSqliteFile('leaves no signature in the bytes of the database', async () => {
    const signatures = [signature(), signature()];
    for (const s of signatures) await new ReplayCache({ store: one, keyedHash }).claim(s);
    await one.close();
    await two.close();
    const bytes = Buffer.concat(fs.readdirSync(dir).map((name) => fs.readFileSync(path.join(dir, name))));
    for (const s of signatures) {
      assert.equal(bytes.indexOf(s), -1, 'the signature itself');
      assert.equal(bytes.indexOf(Buffer.from(s, 'base64')), -1, 'its bytes');
    }
    one = await openStore(database?.url, { dataDir: dir, sweepIntervalMs: null });
    two = await openStore(database?.url, { dataDir: dir, sweepIntervalMs: null });
  });
});
