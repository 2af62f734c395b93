import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin } from '../helpers/people.js';
import { onPostgres } from '../helpers/test-database.js';

describe('admin console, storage page: backups and encryption', function () {
  this.timeout(60_000);
  let inst: TestInstance | null = null;
  let keyDir: string;

  beforeEach(function () {
    keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-admin-keys-'));
  });

  afterEach(async function () {
    await inst?.close();
    inst = null;
    fs.rmSync(keyDir, { recursive: true, force: true });
  });

  it('says no backup was made and that nothing protects the data at rest, then shows the day of the last backup', async function () {
    inst = await startInstance();
    const boss = await admin(inst);
    const before = (await boss.client.get('/admin/storage')).text;
    assert.match(before, /No backup has been made/);
    // The CLI backs up the SQLite file; on PostgreSQL the page gives pg_dump, encrypted the same way.
    assert.match(before, onPostgres ? /pg_dump -Fc parasol \| age -r AGE_PUBLIC_KEY &gt; FILE/ : /npm run cli -- backup FILE --recipient AGE_PUBLIC_KEY/);
    assert.match(before, /The database is not encrypted on disk/);
    assert.match(before, /keys come from a secret kept in the database/);

    await inst.parasol.ctx.backups.recordBackup(Date.UTC(2026, 2, 14, 23, 30));
    const after = (await boss.client.get('/admin/storage')).text;
    assert.doesNotMatch(after, /No backup has been made/);
    assert.match(after, /Last backup: [^<]*14[^<]*2026/);
  });

  it('says what protects the data when DATABASE_KEY and PARASOL_SECRET_FILE are set', async function () {
    // DATABASE_KEY is for the SQLite file; with PostgreSQL it is refused at start.
    if (onPostgres) this.skip();
    const secretFile = path.join(keyDir, 'parasol.secret');
    fs.writeFileSync(secretFile, crypto.randomBytes(48).toString('base64'));
    inst = await startInstance({ env: { DATABASE_KEY: crypto.randomBytes(24).toString('base64'), PARASOL_SECRET_FILE: secretFile } });
    const page = (await (await admin(inst)).client.get('/admin/storage')).text;
    assert.match(page, /The database is encrypted on disk \(DATABASE_KEY\)/);
    assert.match(page, /keys come from PARASOL_SECRET_FILE, outside the database/);
  });
});
