import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { pino } from 'pino';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { member, type Person } from '../helpers/people.js';
import { itReadsSqliteFile } from '../helpers/test-database.js';
import { isStorageFull } from '../../server/http/error-handler.js';

/** A full disk is the organisation's to fix: people are asked to come back, and the log says it once a minute. */
describe('a full disk', () => {
  let inst: TestInstance;
  let ana: Person;
  const logged: string[] = [];

  before(async () => {
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
    inst = await startInstance({ logger });
    ana = await member(inst, 'ana');
  });
  after(async () => inst?.close());

  it('is recognised from SQLite, the file system and PostgreSQL, also when wrapped', () => {
    assert.ok(isStorageFull(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })), 'SQLite');
    assert.ok(isStorageFull(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })), 'the file system');
    assert.ok(isStorageFull(Object.assign(new Error('could not extend file'), { code: '53100' })), 'PostgreSQL');
    assert.ok(isStorageFull(new Error('transaction failed', { cause: Object.assign(new Error('full'), { code: 'SQLITE_FULL' }) })), 'wrapped');
    assert.ok(!isStorageFull(Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT' })), 'another SQLite error');
    assert.ok(!isStorageFull(null), 'nothing');
  });

  itReadsSqliteFile('answers 503 with Retry-After and a message, logs it once a minute, and works again once there is room', async () => {
    // SQLite refuses to grow the file past max_page_count with SQLITE_FULL, exactly as when the disk is full.
    const db = (inst.parasol.ctx.store as unknown as { db: Database.Database }).db;
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
    const post = () => ana.client.api('POST', '/boards/general/threads', { title: 'Filling up', body: crypto.randomBytes(9000).toString('hex') });
    let refused = await post();
    for (let i = 0; i < 50 && refused.status === 201; i++) refused = await post();
    try {
      assert.equal(refused.status, 503, refused.text);
      assert.equal(refused.headers.get('retry-after'), '300');
      assert.equal(refused.json.error.code, 'storage_full');
      assert.match(refused.json.error.message, /storage is full.*The organisation has been told/);

      const page = await ana.client.submit('/b/general', '/b/general/threads', { title: 'By form', body: crypto.randomBytes(9000).toString('hex'), anonymous: 'false' });
      assert.equal(page.status, 503);
      assert.equal(page.headers.get('retry-after'), '300');
      assert.match(page.text, /The organisation has been told/);
      assert.equal((await ana.client.get('/b/general')).status, 200, 'reading still works');
      assert.equal(logged.filter((line) => line.includes('storage is full')).length, 1, `once for several refused requests: ${logged.join('')}`);
      assert.ok(!logged.some((line) => /unhandled error/.test(line)), 'not logged as our bug');
    } finally {
      db.pragma('max_page_count = 1073741823');
    }
    assert.equal((await post()).status, 201, 'room again: writes succeed');
  });
});
