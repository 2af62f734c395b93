import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import argon2 from 'argon2';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, handle, PASS } from '../helpers/client.js';
import { admin, type Person } from '../helpers/people.js';
import { accountsCollection, sessionsCollection, tokensCollection, type AccountDoc } from '../../server/accounts/accounts.collections.js';
import { blindScope, type MemberKey } from '../../server/core/member-key.js';
import { newId, normaliseCode } from '../../server/crypto.js';

const DAY = 86_400_000;
const SCOPE = blindScope.board('key-test-board');
const OLD_CODE = 'k7xq2-mfp9a';

describe('member keys', () => {
  let dataDir: string;
  let inst: TestInstance;
  let boss: Person;

  before(async () => {
    // A directory of our own, so that the instance can be restarted on it.
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-keys-'));
    inst = await startInstance({ dataDir });
    boss = await admin(inst);
  });
  after(async () => {
    await inst.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** The key the server unwraps for this browser's session, as a request would get it. */
  async function keyOf(client: Client): Promise<MemberKey | null> {
    const auth = await inst.parasol.ctx.sessions.fromCookie(client.cookies.get('psl_session'));
    assert.ok(auth, 'the browser has a live session');
    return auth.memberKey;
  }

  async function blindedId(client: Client): Promise<string> {
    const key = await keyOf(client);
    assert.ok(key, 'the session carries a member key');
    return key.blind(SCOPE);
  }

  async function signup(): Promise<{ client: Client; handle: string; codes: string[]; id: string }> {
    const client = new Client(inst.url);
    const h = handle('keyed');
    const reply = await client.api('POST', '/accounts', { handle: h, passphrase: PASS });
    assert.equal(reply.status, 201, reply.text);
    return { client, handle: h, codes: reply.json.recoveryCodes as string[], id: reply.json.account.id as string };
  }

  async function login(h: string, passphrase = PASS): Promise<Client> {
    const client = new Client(inst.url);
    const reply = await client.api('POST', '/sessions', { handle: h, passphrase });
    assert.equal(reply.status, 201, reply.text);
    return client;
  }

  const accountDoc = async (id: string): Promise<AccountDoc> => {
    const doc = await inst.parasol.ctx.store.collection(accountsCollection).get(id);
    assert.ok(doc, 'the account exists');
    return doc;
  };

  it('gives a key at sign-up, and the same blinded id after log-in and after a restart', async () => {
    const m = await signup();
    const first = await blindedId(m.client);
    assert.equal(await blindedId(await login(m.handle)), first);
    await inst.close();
    inst = await startInstance({ dataDir });
    assert.equal(await blindedId(await login(m.handle)), first, 'the key survives a restart');
    boss = { ...boss, client: await login(boss.handle) };
  });

  it('keeps the key through a passphrase change: the kept session and the new passphrase both open it', async () => {
    const m = await signup();
    const before = await blindedId(m.client);
    const changed = await m.client.api('POST', '/me/passphrase', { current: PASS, passphrase: 'a brand new passphrase' });
    assert.equal(changed.status, 204, changed.text);
    assert.equal(await blindedId(m.client), before, 'the session that made the change keeps its key');
    assert.equal(await blindedId(await login(m.handle, 'a brand new passphrase')), before);
  });

  it('keeps the key through recovery with a code, and new codes wrap the same key', async () => {
    const m = await signup();
    const before = await blindedId(m.client);
    assert.match(m.codes[0]!, /^([a-z2-9]{5}-){5}[a-z2-9]{5}$/, 'a code is six groups of five (about 148 bits)');
    const helper = new Client(inst.url);
    const reply = await helper.api('POST', '/recovery', { handle: m.handle, code: m.codes[2]!.toUpperCase(), passphrase: 'recovered passphrase here' });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.recoveryCodesLeft, 9);
    assert.equal(await blindedId(helper), before, 'the recovering browser has the same key');
    const fresh = await helper.api('POST', '/me/recovery-codes', { passphrase: 'recovered passphrase here' });
    assert.equal(fresh.status, 201, fresh.text);
    const again = new Client(inst.url);
    const second = await again.api('POST', '/recovery', { handle: m.handle, code: fresh.json.recoveryCodes[0], passphrase: 'third passphrase here' });
    assert.equal(second.status, 200, second.text);
    assert.equal(await blindedId(again), before, 'a code from the new set opens the same key');
    const old = await new Client(inst.url).api('POST', '/recovery', { handle: m.handle, code: m.codes[3], passphrase: 'fourth passphrase here' });
    assert.equal(old.status, 401, 'codes of the replaced set no longer work');
  });

  it("gives a NEW key on an admin's reset; a recovery code still brings the old one back", async () => {
    const m = await signup();
    const before = await blindedId(m.client);
    const page = await boss.client.get('/admin/reset-passphrase');
    assert.match(page.text, /cannot bring back their anonymous identity/, 'the admin is told before the reset');
    const reset = await boss.client.api('POST', `/admin/accounts/${m.handle}/passphrase-reset`);
    assert.equal(reset.status, 201, reset.text);
    const after = await blindedId(await login(m.handle, reset.json.passphrase as string));
    assert.notEqual(after, before, 'nobody but the member could carry the key over');
    const helper = new Client(inst.url);
    const recovered = await helper.api('POST', '/recovery', { handle: m.handle, code: m.codes[0], passphrase: 'recovered after reset' });
    assert.equal(recovered.status, 200, recovered.text);
    assert.equal(await blindedId(helper), before);
  });

  it('carries the key over when a change of role rotates the session', async () => {
    const m = await signup();
    const before = await blindedId(m.client);
    const cookie = m.client.cookies.get('psl_session');
    assert.equal((await boss.client.api('PUT', `/admin/accounts/${m.handle}/role`, { role: 'moderator' })).status, 200);
    assert.equal((await m.client.api('GET', '/me')).status, 200);
    assert.notEqual(m.client.cookies.get('psl_session'), cookie, 'the session was rotated');
    assert.equal(await blindedId(m.client), before);
  });

  it('answers member_key_locked where a key is needed and the session has none; a bearer token carries the key', async () => {
    const m = await signup();
    const before = await blindedId(m.client);
    const made = await m.client.api('POST', '/tokens', { name: 'script' });
    assert.equal(made.status, 201, made.text);
    const bearer = await inst.parasol.ctx.sessions.fromBearer(`Bearer ${made.json.token as string}`);
    assert.equal(bearer.memberKey?.blind(SCOPE), before, 'the token unwraps the same key');
    const sessions = inst.parasol.ctx.store.collection(sessionsCollection);
    const session = await sessions.findOne({ accountId: m.id });
    assert.ok(session?.keyWrap, 'the session stores a wrapped key');
    // A session made before member keys has no wrap.
    await sessions.patch(session.id, { keyWrap: undefined });
    assert.equal(await keyOf(m.client), null);
    const locked = await m.client.api('POST', '/tokens', { name: 'another' });
    assert.equal(locked.status, 401, locked.text);
    assert.equal(locked.json.error.code, 'member_key_locked');
    assert.match(locked.json.error.message, /Log in again/);
    assert.equal((await m.client.api('GET', '/me')).status, 200, 'the session still works for everything else');
    assert.equal(await blindedId(await login(m.handle)), before, 'logging in again unlocks the same key');
  });

  it('opens an account from before member keys: the old hash verifies, is replaced, a key is made once, and old codes restore the account only', async () => {
    const id = newId();
    const h = handle('legacy');
    const day = Math.floor(Date.now() / DAY) * DAY;
    const passHash = await argon2.hash(PASS, { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    await inst.parasol.ctx.store.collection(accountsCollection).insert({
      id, handle: h, handleLower: h.toLowerCase(), displayName: h, passHash, role: 'member', status: 'active',
      locale: null, recoveryCodes: [inst.parasol.ctx.instance.keyedHash('recovery', `${id}:${normaliseCode(OLD_CODE)}`)], createdAt: day, updatedAt: day,
    });
    const client = await login(h);
    const first = await blindedId(client);
    assert.match((await client.get('/settings')).text, /made before anonymous identities were protected/, 'the member is told to make new codes');
    const upgraded = await accountDoc(id);
    assert.match(upgraded.passHash, /^\$pk1\$m=\d+,t=\d+\$/, 'the PHC string is replaced by the new form');
    assert.ok(upgraded.keyWrap, 'the key is stored wrapped');
    assert.equal(await blindedId(await login(h)), first, 'the next log-in opens the same key');
    const wrong = await new Client(inst.url).api('POST', '/sessions', { handle: h, passphrase: 'not the passphrase' });
    assert.equal(wrong.status, 401);
    const helper = new Client(inst.url);
    const recovered = await helper.api('POST', '/recovery', { handle: h, code: OLD_CODE, passphrase: 'after the old code' });
    assert.equal(recovered.status, 200, recovered.text);
    assert.notEqual(await blindedId(helper), first, 'an old code restores the account, with a new key');
    assert.doesNotMatch((await helper.get('/settings')).text, /made before anonymous identities/);
  });

  it('runs the blinded deletion hooks with the key, before the account is deleted and outside its transaction', async () => {
    const m = await signup();
    const before = await blindedId(m.client);
    const seen: { blinded: string; content: string; accountStillThere: boolean }[] = [];
    inst.parasol.ctx.hooks.onBlindedDeleted(async (key, content) => {
      const row = await inst.parasol.ctx.store.collection(accountsCollection).get(m.id);
      seen.push({ blinded: key.blind(SCOPE), content, accountStillThere: row?.status === 'active' });
    });
    const wrong = await m.client.api('DELETE', '/me', { passphrase: 'not the passphrase', content: 'delete' });
    assert.equal(wrong.status, 403);
    assert.equal(seen.length, 0, 'a wrong passphrase runs nothing');
    const deleted = await m.client.api('DELETE', '/me', { passphrase: PASS, content: 'keep_anonymous' });
    assert.equal(deleted.status, 204, deleted.text);
    assert.deepEqual(seen, [{ blinded: before, content: 'keep_anonymous', accountStillThere: true }]);
    assert.equal((await accountDoc(m.id)).status, 'deleted');
  });

  it('keeps account, session and token timestamps to the UTC day', async () => {
    const m = await signup();
    await m.client.api('POST', '/tokens', { name: 'dated' });
    const account = await accountDoc(m.id);
    const session = await inst.parasol.ctx.store.collection(sessionsCollection).findOne({ accountId: m.id });
    const token = await inst.parasol.ctx.store.collection(tokensCollection).findOne({ accountId: m.id });
    assert.ok(session && token, 'a session and a token exist');
    for (const [name, value] of Object.entries({ accountCreated: account.createdAt, accountUpdated: account.updatedAt, sessionCreated: session.createdAt, lastSeen: session.lastSeenAt, expires: session.expiresAt, tokenCreated: token.createdAt })) {
      assert.equal(value % DAY, 0, `${name} is a UTC midnight`);
    }
    assert.ok(session.expiresAt >= Date.now() + inst.parasol.ctx.config.sessionMs, 'no session ends earlier than configured');
  });

  it("leaves neither the member key's bytes nor the session cookie's secret anywhere in the data directory", async () => {
    const m = await signup();
    const later = await login(m.handle);
    const keys = [await keyOf(m.client), await keyOf(later)];
    const cookies = [m.client.cookies.get('psl_session')!, later.cookies.get('psl_session')!];
    const raw = keys.map((k) => {
      assert.ok(k, 'both sessions carry the key');
      return k.exportBytes();
    });
    assert.ok(raw[0]!.equals(raw[1]!), 'one key behind both sessions');
    const disk = Buffer.concat(walk(dataDir).map((f) => fs.readFileSync(f)));
    const needles = [
      raw[0]!,
      Buffer.from(raw[0]!.toString('base64')),
      Buffer.from(raw[0]!.toString('base64url')),
      Buffer.from(raw[0]!.toString('hex')),
      ...cookies.flatMap((c) => [Buffer.from(c), Buffer.from(c, 'base64url')]),
    ];
    for (const needle of needles) assert.equal(disk.indexOf(needle), -1, 'a secret is on disk');
  });
});

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
