import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { BackupError, encryptDatabase, restoreBackup, writeBackup } from '../../server/backup/archive.js';
import { postsCollection, threadsCollection } from '../../server/forums/forums.collections.js';
import { openSqliteFile } from '../../server/store/sqlite-key.js';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member } from '../helpers/people.js';
import { runEntry, withCheapHashing } from '../helpers/process.js';
import { onPostgres } from '../helpers/test-database.js';

const marker = () => `zq${crypto.randomBytes(12).toString('hex').replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]!)}`;
const newKey = () => crypto.randomBytes(24).toString('base64');

/** Every file under dir with its bytes, to prove a refused command changed nothing. */
function snapshotDir(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  if (!fs.existsSync(dir)) return files;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.set(path.join(entry.parentPath, entry.name), fs.readFileSync(path.join(entry.parentPath, entry.name)));
  }
  return files;
}

function integrity(file: string, key: string | null): string {
  const db = openSqliteFile(file, key, { readonly: true, mustExist: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

describe('encrypted backups and restore', function () {
  this.timeout(120_000);
  const sourceKey = newKey();
  let root: string;
  let identity: string;
  let recipient: string;
  let backupFile: string;
  let threadIds: string[];
  let markers: string[];
  let sourceCounts: { threads: number; posts: number };

  /** A fresh, missing data directory under the test's root. */
  const freshDir = () => path.join(root, `restored-${crypto.randomBytes(4).toString('hex')}`);

  before(async function () {
    // Backups and restores are of the SQLite file; on PostgreSQL they are pg_dump's (docs/deployment.md).
    if (onPostgres) this.skip();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-backup-'));
    identity = await generateIdentity();
    recipient = await identityToRecipient(identity);
    const inst: TestInstance = await startInstance({ dataDir: path.join(root, 'source'), env: { DATABASE_KEY: sourceKey } });
    try {
      const boss = await admin(inst);
      const ana = await member(inst, 'anabak');
      assert.equal((await boss.client.api('POST', '/boards', { slug: 'bak', name: 'Backups' })).status, 201);
      markers = [];
      threadIds = [];
      for (let i = 0; i < 5; i++) {
        const word = marker();
        const reply = await ana.client.api('POST', '/boards/bak/threads', { title: `Thread ${i}`, body: `Body ${word}` });
        assert.equal(reply.status, 201, reply.text);
        markers.push(word);
        threadIds.push(reply.json.thread.id);
      }
      // Taken while the instance runs: the online case.
      backupFile = path.join(root, 'parasol.age');
      await writeBackup(inst.dbFile, sourceKey, backupFile, { recipients: [recipient] });
      const store = inst.parasol.ctx.store;
      sourceCounts = { threads: await store.collection(threadsCollection).count(), posts: await store.collection(postsCollection).count() };
    } finally {
      await inst.parasol.close();
    }
  });

  after(function () {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('writes only ciphertext: no post is readable in the backup file', function () {
    const bytes = fs.readFileSync(backupFile);
    assert.ok(bytes.subarray(0, 21).toString().startsWith('age-encryption.org/v1'), 'an age file');
    for (const word of markers) assert.ok(!bytes.includes(word), `${word} is readable in the backup`);
  });

  it('restores into a fresh directory, under a new key, with every acknowledged post and a clean integrity_check', async function () {
    const dataDir = freshDir();
    const key = newKey();
    await restoreBackup(backupFile, { identities: [identity] }, { dataDir, dbFile: path.join(dataDir, 'parasol.sqlite'), key });
    assert.equal(integrity(path.join(dataDir, 'parasol.sqlite'), key), 'ok');
    const raw = fs.readFileSync(path.join(dataDir, 'parasol.sqlite'));
    for (const word of markers) assert.ok(!raw.includes(word), `${word} is readable in the restored file`);
    const inst = await startInstance({ dataDir, env: { DATABASE_KEY: key } });
    try {
      const store = inst.parasol.ctx.store;
      for (const id of threadIds) assert.ok(await store.collection(threadsCollection).get(id), `thread ${id} is missing`);
      assert.equal(await store.collection(threadsCollection).count(), sourceCounts.threads);
      assert.equal(await store.collection(postsCollection).count(), sourceCounts.posts);
      const found = await store.collection(postsCollection).search(markers[0]!, { limit: 5 });
      assert.equal(found.items.length, 1, 'the full-text index came through the restore');
    } finally {
      await inst.parasol.close();
    }
  });

  describe('bad input stops with a clear message and changes nothing', function () {
    async function refused(file: string, keys: Parameters<typeof restoreBackup>[1], dataDir: string, pattern: RegExp): Promise<void> {
      const before = snapshotDir(dataDir);
      const existed = fs.existsSync(dataDir);
      await assert.rejects(restoreBackup(file, keys, { dataDir, dbFile: path.join(dataDir, 'parasol.sqlite'), key: newKey() }), (error: Error) => {
        assert.ok(error instanceof BackupError, `expected a BackupError, got ${error.name}: ${error.message}`);
        assert.match(error.message, pattern);
        return true;
      });
      assert.equal(fs.existsSync(dataDir), existed, 'the target directory was created or removed');
      assert.deepEqual(snapshotDir(dataDir), before, 'the target directory changed');
    }

    it('a wrong identity or passphrase', async function () {
      await refused(backupFile, { identities: [await generateIdentity()] }, freshDir(), /cannot be decrypted: wrong key/);
      await refused(backupFile, { passphrase: 'not the one' }, freshDir(), /cannot be decrypted/);
    });

    it('a damaged or truncated backup', async function () {
      const bytes = fs.readFileSync(backupFile);
      const damaged = Buffer.from(bytes);
      damaged[Math.floor(bytes.length / 2)]! ^= 0xff;
      fs.writeFileSync(path.join(root, 'damaged.age'), damaged);
      fs.writeFileSync(path.join(root, 'truncated.age'), bytes.subarray(0, bytes.length - 100));
      await refused(path.join(root, 'damaged.age'), { identities: [identity] }, freshDir(), /cannot be decrypted: .*damaged/);
      await refused(path.join(root, 'truncated.age'), { identities: [identity] }, freshDir(), /cannot be decrypted: .*damaged/);
    });

    it('a backup that decrypts to something other than a Parasol database', async function () {
      const { Encrypter } = await import('age-encryption');
      const e = new Encrypter();
      e.addRecipient(recipient);
      fs.writeFileSync(path.join(root, 'junk.age'), await e.encrypt(crypto.randomBytes(8192)));
      await refused(path.join(root, 'junk.age'), { identities: [identity] }, freshDir(), /does not hold a SQLite database|is damaged/);
    });

    it('a non-empty target directory', async function () {
      const dataDir = freshDir();
      fs.mkdirSync(dataDir);
      fs.writeFileSync(path.join(dataDir, 'notes.txt'), 'keep me');
      await refused(backupFile, { identities: [identity] }, dataDir, /is not empty/);
    });

    it('a backup asked for with both a recipient and a passphrase, or with neither', async function () {
      const source = path.join(root, 'source', 'parasol.sqlite');
      const out = path.join(root, 'never.age');
      await assert.rejects(writeBackup(source, sourceKey, out, { recipients: [recipient], passphrase: 'a passphrase' }), /not both/);
      await assert.rejects(writeBackup(source, sourceKey, out, {}), /give --recipient/);
      assert.ok(!fs.existsSync(out), 'a refused backup left a file');
    });

    it('a backup file that exists already is not overwritten', async function () {
      const before = fs.readFileSync(backupFile);
      await assert.rejects(writeBackup(path.join(root, 'source', 'parasol.sqlite'), sourceKey, backupFile, { recipients: [recipient] }), /exists already/);
      assert.deepEqual(fs.readFileSync(backupFile), before, 'the existing backup changed');
    });
  });

  it('backs up and restores through the CLI with a passphrase, and the admin page learns the day', async function () {
    const passFile = path.join(root, 'backup.pass');
    fs.writeFileSync(passFile, 'a long backup passphrase for the test\n');
    const out = path.join(root, 'cli.age');
    const env = withCheapHashing({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: path.join(root, 'source'), DATABASE_KEY: sourceKey });
    const backup = runEntry('server/cli.ts', ['backup', out, '--passphrase-file', passFile], env);
    assert.equal(await backup.exited(), 0, backup.output());
    assert.match(backup.output(), /encrypted with the passphrase/);
    assert.match(fs.readFileSync(out).subarray(0, 200).toString('latin1'), new RegExp(`\n-> scrypt \\S+ ${env.BACKUP_SCRYPT_LOG_N}\n`), 'the passphrase is stretched at the configured cost');

    const dataDir = freshDir();
    const key = newKey();
    const restore = runEntry('server/cli.ts', ['restore', out, '--passphrase-file', passFile], { ...env, DATA_DIR: dataDir, DATABASE_KEY: key });
    assert.equal(await restore.exited(), 0, restore.output());
    assert.equal(integrity(path.join(dataDir, 'parasol.sqlite'), key), 'ok');

    const again = runEntry('server/cli.ts', ['restore', out, '--passphrase-file', passFile], { ...env, DATA_DIR: dataDir, DATABASE_KEY: key });
    assert.equal(await again.exited(), 1, again.output());
    assert.match(again.output(), /^Error: .* is not empty/m);

    // The day is recorded in the backed-up instance once its backup is written, so the copy itself does not carry it.
    const inst = await startInstance({ dataDir: path.join(root, 'source'), env: { DATABASE_KEY: sourceKey } });
    try {
      const { lastBackupDay } = await inst.parasol.ctx.backups.status();
      assert.equal(lastBackupDay, new Date().toISOString().slice(0, 10));
    } finally {
      await inst.parasol.close();
    }
  });

  it('encrypts an existing plain database in place, leaving no plain bytes under its name', async function () {
    const dataDir = path.join(root, 'plain');
    const inst = await startInstance({ dataDir });
    const word = marker();
    let threadId: string;
    try {
      const boss = await admin(inst);
      assert.equal((await boss.client.api('POST', '/boards', { slug: 'plain', name: 'Plain' })).status, 201);
      const reply = await boss.client.api('POST', '/boards/plain/threads', { title: 'Plain', body: `Body ${word}` });
      assert.equal(reply.status, 201, reply.text);
      threadId = reply.json.thread.id;
    } finally {
      await inst.parasol.close();
    }
    const file = path.join(dataDir, 'parasol.sqlite');
    assert.ok(fs.readFileSync(file).includes(word), 'the plain database holds the marker (so the check below can fail)');
    const key = newKey();
    encryptDatabase(file, key);
    assert.deepEqual(fs.readdirSync(dataDir).sort(), ['parasol.sqlite'], 'no copy, -wal or -shm is left');
    assert.ok(!fs.readFileSync(file).includes(word), 'the marker is readable after encryption');
    assert.equal(integrity(file, key), 'ok');
    assert.throws(() => encryptDatabase(file, key), /encrypted already/);
    const reopened = await startInstance({ dataDir, env: { DATABASE_KEY: key } });
    try {
      assert.ok(await reopened.parasol.ctx.store.collection(threadsCollection).get(threadId), 'the thread survives encryption');
    } finally {
      await reopened.parasol.close();
    }
  });
});
