import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createParasol } from '../../server/app.js';
import { ConfigError, loadConfig } from '../../server/config.js';
import { BoardKeyError, BoardKeys } from '../../server/reviews/board-keys.js';
import { reviewBoardsCollection } from '../../server/reviews/reviews.collections.js';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member, type Person } from '../helpers/people.js';
import { testDatabaseFor } from '../helpers/test-database.js';

const BOARD = '/review-boards/client-screening';
const PHONE = '+1 (555) 010-4477';
const quiet = { PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'silent' } as const;

const warning = {
  kind: 'warning',
  categories: ['violence'],
  severity: 'high',
  incidentMonth: '2026-10',
  body: 'Became violent when asked to pay.',
  identifiers: [{ type: 'phone', value: PHONE }],
};

describe('review board keys (PARASOL_SECRET_FILE)', function () {
  this.timeout(90_000);
  let root: string;
  let dataDir: string;
  let secretFile: string;
  let inst: TestInstance | null = null;

  beforeEach(function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-keys-'));
    dataDir = path.join(root, 'data');
    fs.mkdirSync(path.join(root, 'keys'));
    secretFile = path.join(root, 'keys', 'parasol.secret');
    fs.writeFileSync(secretFile, `${crypto.randomBytes(48).toString('base64')}\n`);
  });

  afterEach(async function () {
    await inst?.parasol.close();
    inst = null;
    fs.rmSync(root, { recursive: true, force: true });
  });

  const boardDocs = async () => (await inst!.parasol.ctx.store.collection(reviewBoardsCollection).find({ orderBy: { field: 'createdAt' }, limit: 10 })).items;
  const lookup = async (who: Person) => (await who.client.api('POST', `${BOARD}/lookups`, { identifier: { type: 'phone', value: PHONE } })).json.warnings as number;

  async function postWarning(): Promise<void> {
    const boss = await admin(inst!);
    const posted = await boss.client.api('POST', `${BOARD}/reviews`, warning);
    assert.equal(posted.status, 201, posted.text);
    assert.equal(posted.json.review.status, 'published', 'an admin’s review is published at once');
  }

  it('keeps no board key in the database, and refuses to start without the secret file that made them', async function () {
    inst = await startInstance({ dataDir, env: { PARASOL_SECRET_FILE: secretFile } });
    await postWarning();
    for (const board of await boardDocs()) {
      assert.equal(board.secret, undefined, 'a board key is stored in clear');
      assert.equal(board.wrappedSecret, undefined, 'a derived key needs nothing stored');
    }
    await inst.parasol.close();
    inst = null;

    // Started by hand, without the helper: on the same database as the test instance, whichever engine that is.
    const database = await testDatabaseFor(dataDir);
    const same = { ...quiet, DATA_DIR: dataDir, ...(database ? { DATABASE_URL: database.url } : {}) };
    await assert.rejects(createParasol(loadConfig(same)), (error: Error) => {
      assert.ok(error instanceof BoardKeyError, `expected a BoardKeyError, got ${error.name}`);
      assert.match(error.message, /PARASOL_SECRET_FILE is missing or changed/, 'says what is wrong');
      return true;
    });
    const other = path.join(root, 'keys', 'other.secret');
    fs.writeFileSync(other, crypto.randomBytes(48).toString('base64'));
    await assert.rejects(createParasol(loadConfig({ ...same, PARASOL_SECRET_FILE: other })), BoardKeyError);

    inst = await startInstance({ dataDir, env: { PARASOL_SECRET_FILE: secretFile } });
    assert.equal(await lookup(await member(inst, 'keys')), 1, 'with the secret back, screening finds the warning');
  });

  it('moves boards keyed by the in-database secret to PARASOL_SECRET_FILE when it is set', async function () {
    inst = await startInstance({ dataDir });
    await postWarning();
    await inst.parasol.close();
    inst = null;
    inst = await startInstance({ dataDir, env: { PARASOL_SECRET_FILE: secretFile } });
    const [board] = await boardDocs();
    assert.ok(board?.wrappedSecret, 'the old key is kept, wrapped under the new secret');
    assert.equal(await lookup(await member(inst, 'keys')), 1, 'screening still finds the warning');
  });

  it('wraps a key stored in clear by an earlier version, keeping the key itself', async function () {
    const oldKey = crypto.randomBytes(32).toString('base64');
    inst = await startInstance({ dataDir, env: { PARASOL_SECRET_FILE: secretFile } });
    const boards = inst.parasol.ctx.store.collection(reviewBoardsCollection);
    const [board] = await boardDocs();
    const { keyCheck: _made, ...legacy } = board!;
    await boards.upsert({ ...legacy, secret: oldKey });
    await inst.parasol.close();
    inst = null;

    inst = await startInstance({ dataDir, env: { PARASOL_SECRET_FILE: secretFile } });
    const [migrated] = await boardDocs();
    assert.equal(migrated!.secret, undefined, 'the clear key is gone');
    assert.ok(!JSON.stringify(migrated).includes(oldKey), 'the clear key is still in the document');
    const boss = await admin(inst);
    assert.equal(await inst.parasol.ctx.reviews.boardSecret((await inst.parasol.ctx.accounts.byHandle(boss.handle))!, 'client-screening'), oldKey);
  });

  it('stores a partner network’s shared secret only wrapped, and gives it back to the admin', async function () {
    inst = await startInstance({ dataDir, env: { PARASOL_SECRET_FILE: secretFile } });
    const boss = await admin(inst);
    const shared = crypto.randomBytes(32).toString('base64');
    const reply = await boss.client.api('PATCH', BOARD, { secret: shared });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.board.secret, shared);
    const [board] = await boardDocs();
    assert.ok(board!.wrappedSecret && !JSON.stringify(board).includes(shared), 'the shared secret is stored in clear');
  });

  it('binds a wrapped key to its board and derives a distinct key per board', function () {
    const keys = new BoardKeys(crypto.randomBytes(32), null);
    const key = crypto.randomBytes(32);
    const wrapped = keys.wrap('board-a', key);
    assert.equal(keys.keyFor({ id: 'board-a', wrappedSecret: wrapped }), key.toString('base64'));
    assert.throws(() => keys.keyFor({ id: 'board-b', wrappedSecret: wrapped }), /unable to authenticate|Unsupported state/);
    assert.notEqual(keys.keyFor({ id: 'board-a' }), keys.keyFor({ id: 'board-b' }));
    assert.equal(keys.keyFor({ id: 'board-a' }), keys.keyFor({ id: 'board-a' }));
  });

  it('refuses a PARASOL_SECRET_FILE inside DATA_DIR, or one too short', function () {
    fs.mkdirSync(dataDir);
    const inside = path.join(dataDir, 'parasol.secret');
    fs.copyFileSync(secretFile, inside);
    assert.throws(() => loadConfig({ ...quiet, DATA_DIR: dataDir, PARASOL_SECRET_FILE: inside }), (error: Error) => error instanceof ConfigError && /PARASOL_SECRET_FILE: .* is inside/.test(error.message));
    fs.writeFileSync(secretFile, 'short');
    assert.throws(() => loadConfig({ ...quiet, DATA_DIR: dataDir, PARASOL_SECRET_FILE: secretFile }), /at least 32 bytes/);
  });
});
