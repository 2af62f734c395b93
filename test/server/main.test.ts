import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, PASS } from '../helpers/client.js';
import { freePort, runEntry, runTs, withCheapHashing, type Running } from '../helpers/process.js';

describe('starting and stopping an instance (npm start)', function () {
  // Each test starts fresh Node processes (the server compiled as `npm start` compiles it): seconds apiece on a loaded machine.
  this.timeout(120_000);
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-main-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('starts on SQLite under DATA_DIR, prints a one-time setup link, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const run = runEntry('server/main.ts', [], withCheapHashing({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, NODE_ENV: 'test' }));
    const [, token] = await run.waitFor(/\/setup\/([A-Za-z0-9_-]+)/);
    assert.ok(fs.existsSync(path.join(dataDir, 'parasol.sqlite')), 'the SQLite database is created in the data directory');
    const admin = new Client(`http://127.0.0.1:${port}`);
    const made = await admin.api('POST', `/setup/${token}`, { handle: 'first_admin', passphrase: PASS });
    assert.equal(made.status, 201);
    assert.equal(made.json.account.role, 'admin');
    run.child.kill('SIGTERM');
    assert.equal(await run.exited(), 0);
    assert.doesNotMatch(run.output(), /127\.0\.0\.1|user-agent|correct horse/i, 'no IP, user agent or passphrase in the logs');
  });

  it('does not print a setup link once an admin exists', async () => {
    const port = await freePort();
    const env = withCheapHashing({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, NODE_ENV: 'test' });
    const created = runEntry('server/cli.ts', ['create-admin', 'cli_admin'], env);
    assert.equal(await created.exited(), 0, created.output());
    const run = runEntry('server/main.ts', [], env);
    await run.waitFor(/listening/);
    run.child.kill('SIGTERM');
    assert.equal(await run.exited(), 0);
    assert.doesNotMatch(run.output(), /\/setup\//);
  });

  it('refuses to start with a bad setting, naming the variable', async () => {
    const run = runEntry('server/main.ts', [], { PORT: 'eighty', DATA_DIR: dataDir });
    assert.equal(await run.exited(), 78);
    assert.match(run.output(), /PORT/);
  });

  it('refuses PORT= (empty) instead of listening on a random port', async () => {
    const run = runEntry('server/main.ts', [], withCheapHashing({ PORT: '', HOST: '127.0.0.1', DATA_DIR: dataDir, NODE_ENV: 'test' }));
    assert.equal(await run.exited(), 78);
    assert.match(run.output(), /PORT: must be a port number from 0 to 65535/);
    assert.doesNotMatch(run.output(), /listening|\/setup\//);
  });

  it('refuses a SQLite file in a directory that does not exist, naming the variable and the directory, and makes no instance', async () => {
    const missing = path.join(dataDir, 'typo', 'dir');
    const run = runEntry('server/main.ts', [], withCheapHashing({ PORT: String(await freePort()), HOST: '127.0.0.1', DATABASE_URL: `sqlite:${missing}/x.db`, NODE_ENV: 'test' }));
    assert.equal(await run.exited(), 78);
    assert.ok(run.output().includes(`DATABASE_URL: the directory ${missing} does not exist`), run.output());
    assert.equal(fs.existsSync(path.join(dataDir, 'typo')), false, 'no directory was made');
  });

  it('fails on a read-only data directory with a message naming the directory and the settings', async function () {
    // Root writes anywhere, whatever the mode: as root the directory is mounted read-only over itself instead
    // (an unprivileged user, as root would have to switch to, cannot always read a checkout made by root).
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      const mounted = spawnSync('sh', ['-c', 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1"', 'sh', dataDir]);
      if (mounted.status !== 0) {
        console.log(`    read-only data directory test skipped: running as root, and mount refused a read-only bind mount (${String(mounted.stderr).trim()})`);
        this.skip();
      }
    } else {
      fs.chmodSync(dataDir, 0o555);
    }
    try {
      const run = runEntry('server/main.ts', [], withCheapHashing({ PORT: String(await freePort()), HOST: '127.0.0.1', DATA_DIR: dataDir, NODE_ENV: 'test' }));
      assert.equal(await run.exited(), 1);
      assert.ok(run.output().includes(`Parasol failed to start: cannot write the SQLite database ${path.join(dataDir, 'parasol.sqlite')}: the directory ${dataDir} is read-only`), run.output());
      assert.match(run.output(), /DATA_DIR/);
    } finally {
      if (asRoot) spawnSync('umount', [dataDir]);
      else fs.chmodSync(dataDir, 0o700);
    }
  });
});

describe('command-line tool (npm run cli)', function () {
  // Each call is a fresh Node process: seconds apiece on a loaded machine.
  this.timeout(120_000);
  let dataDir: string;
  before(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-cli-'));
  });
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const answer = async (run: Running) => {
    const code = await run.exited();
    return { code, out: run.output() };
  };
  const cli = (...args: string[]) => answer(runEntry('server/cli.ts', args, withCheapHashing({ DATA_DIR: dataDir, NODE_ENV: 'test' })));
  /** As `npm run cli` runs it, from the TypeScript sources through tsx. */
  const npmRunCli = (...args: string[]) => answer(runTs('server/cli.ts', args, withCheapHashing({ DATA_DIR: dataDir, NODE_ENV: 'test' })));

  it('creates an admin with a generated passphrase that then logs in', async () => {
    const { code, out } = await cli('create-admin', 'night_admin');
    assert.equal(code, 0, out);
    const passphrase = /Passphrase: (\S+)/.exec(out)![1]!;
    const { createParasol } = await import('../../server/app.js');
    const { loadConfig } = await import('../../server/config.js');
    const parasol = await createParasol(loadConfig(withCheapHashing({ DATA_DIR: dataDir, NODE_ENV: 'test', LOG_LEVEL: 'silent' })));
    try {
      const signedIn = await parasol.ctx.accounts.login({ handle: 'night_admin', passphrase });
      assert.equal(signedIn.account.role, 'admin');
    } finally {
      await parasol.close();
    }
  });

  it('resets a passphrase, prints a setup link, runs retention', async () => {
    const warned = await cli('reset-passphrase', 'night_admin');
    assert.equal(warned.code, 2, warned.out);
    assert.match(warned.out, /new one[\s\S]*Nothing changed/);
    const reset = await cli('reset-passphrase', 'night_admin', '--yes');
    assert.equal(reset.code, 0, reset.out);
    assert.match(reset.out, /New passphrase for night_admin: \S+/);
    const link = await cli('setup-link');
    assert.match(link.out, /\/setup\/[A-Za-z0-9_-]{20,}/);
    const boards = await cli('list-boards');
    assert.equal(boards.code, 0);
    assert.match(boards.out, /^general\s+public\s+open\s+0 threads\s+General$/m);
    const retention = await cli('retention');
    assert.equal(retention.code, 0);
    assert.match(retention.out, /Deleted \d+ expired records/);
  });

  it('explains unknown commands and missing arguments', async () => {
    const unknown = await npmRunCli('explode');
    assert.equal(unknown.code, 2);
    assert.match(unknown.out, /Unknown command: explode/);
    const missing = await cli('reset-passphrase');
    assert.equal(missing.code, 1);
    assert.match(missing.out, /needs a handle/);
    const nobody = await cli('reset-passphrase', 'nobody_like_that');
    assert.equal(nobody.code, 1);
    assert.match(nobody.out, /no such account/);
  });
});
