import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, handle, PASS } from '../helpers/client.js';
import { accountsCollection } from '../../server/accounts/accounts.collections.js';

describe('accounts API', () => {
  let inst: TestInstance;
  before(async () => {
    inst = await startInstance();
  });
  after(async () => inst.close());

  async function signup(client = new Client(inst.url), h = handle()) {
    const reply = await client.api('POST', '/accounts', { handle: h, passphrase: PASS });
    assert.equal(reply.status, 201, reply.text);
    return { client, handle: h, codes: reply.json.recoveryCodes as string[], account: reply.json.account };
  }

  const accountCount = () => inst.parasol.ctx.store.collection(accountsCollection).count();

  describe('sign-up', () => {
    it('needs only a handle and a passphrase, signs in and shows ten one-time recovery codes', async () => {
      const { client, handle: h, codes, account } = await signup();
      assert.equal(codes.length, 10);
      assert.equal(new Set(codes).size, 10);
      assert.equal(account.handle, h);
      assert.equal(account.role, 'member');
      const me = await client.api('GET', '/me');
      assert.equal(me.status, 200);
      assert.equal(me.json.account.handle, h);
      assert.equal(me.json.account.recoveryCodesLeft, 10);
      assert.equal(me.json.account.passHash, undefined);
    });

    it('refuses anything more than handle and passphrase (no e-mail, no phone)', async () => {
      const before = await accountCount();
      const reply = await new Client(inst.url).api('POST', '/accounts', { handle: handle(), passphrase: PASS, email: 'a@b.c' });
      assert.equal(reply.status, 422);
      assert.equal(reply.json.error.code, 'validation_failed');
      assert.match(reply.json.error.fields._, /Unknown fields: email/);
      assert.equal(await accountCount(), before);
    });

    const badHandles: [string, unknown, RegExp][] = [
      ['too short', 'ab', /3 to 30/],
      ['too long', 'a'.repeat(31), /3 to 30/],
      ['spaces and symbols', 'bad name!', /Only Latin letters a-z/],
      ['non-ASCII', 'имя_пользователя', /Only Latin letters a-z/],
      ['leading underscore', '_hidden', /Start with/],
      ['reserved', 'Admin', /reserved/],
      ['a number instead of text', 12345, /should be a string/],
      ['missing', undefined, /This is needed/],
    ];
    for (const [label, value, message] of badHandles) {
      it(`refuses a handle that is ${label}, with a clear message, and creates nothing`, async () => {
        const before = await accountCount();
        const reply = await new Client(inst.url).api('POST', '/accounts', { handle: value, passphrase: PASS });
        assert.equal(reply.status, 422, reply.text);
        assert.match(reply.json.error.fields.handle, message);
        assert.match(reply.json.error.message, /Please check your made-up name/);
        assert.equal(await accountCount(), before);
      });
    }

    it('keeps handles unique regardless of case', async () => {
      const h = handle('Case');
      await signup(new Client(inst.url), h);
      const before = await accountCount();
      const reply = await new Client(inst.url).api('POST', '/accounts', { handle: h.toUpperCase(), passphrase: PASS });
      assert.equal(reply.status, 409);
      assert.equal(reply.json.error.code, 'handle_taken');
      assert.equal(await accountCount(), before);
    });

    const badPassphrases: [string, (h: string) => string, RegExp][] = [
      ['too short', () => 'short', /10 to 256/],
      ['too long', () => 'x'.repeat(257), /10 to 256/],
      ['on the common list', () => 'password123', /too common/],
      ['containing the handle', (h) => `${h}-secret-words`, /handle/],
      ['repetitive', () => 'aaaaaaaaaaaa', /too common|different characters/],
    ];
    for (const [label, make, message] of badPassphrases) {
      it(`refuses a passphrase that is ${label}`, async () => {
        const h = handle();
        const before = await accountCount();
        const reply = await new Client(inst.url).api('POST', '/accounts', { handle: h, passphrase: make(h) });
        assert.equal(reply.status, 422, reply.text);
        assert.match(reply.json.error.fields.passphrase, message);
        assert.equal(await accountCount(), before);
      });
    }
  });

  describe('log-in and sessions', () => {
    it('logs in, lists sessions, logs out this session', async () => {
      const { handle: h } = await signup();
      const phone = new Client(inst.url);
      const login = await phone.api('POST', '/sessions', { handle: h.toUpperCase(), passphrase: PASS });
      assert.equal(login.status, 201);
      const list = await phone.api('GET', '/sessions');
      assert.equal(list.json.sessions.length, 2);
      assert.equal(list.json.sessions.filter((s: { current: boolean }) => s.current).length, 1);
      assert.equal((await phone.api('DELETE', '/sessions/current')).status, 204);
      assert.equal((await phone.api('GET', '/me')).status, 401);
    });

    it('answers a wrong passphrase and an unknown handle with the same 401 and message', async () => {
      const { handle: h } = await signup();
      const wrong = await new Client(inst.url).api('POST', '/sessions', { handle: h, passphrase: 'not the passphrase' });
      const unknown = await new Client(inst.url).api('POST', '/sessions', { handle: 'nobody_here_xyz', passphrase: 'not the passphrase' });
      assert.equal(wrong.status, 401);
      assert.equal(unknown.status, 401);
      assert.deepEqual(wrong.json, unknown.json);
    });

    it('rotates the session on log-in: the old cookie stops working', async () => {
      const { client, handle: h } = await signup();
      const oldCookie = client.cookies.get('psl_session');
      await client.api('POST', '/sessions', { handle: h, passphrase: PASS });
      const newCookie = client.cookies.get('psl_session');
      assert.notEqual(oldCookie, newCookie);
      const stale = new Client(inst.url);
      stale.cookies.set('psl_session', oldCookie!);
      assert.equal((await stale.api('GET', '/me')).status, 401);
    });

    it('ends one other session, and logs out everywhere', async () => {
      const { client, handle: h } = await signup();
      const laptop = new Client(inst.url);
      await laptop.api('POST', '/sessions', { handle: h, passphrase: PASS });
      const sessions = (await client.api('GET', '/sessions')).json.sessions as { id: string; current: boolean }[];
      const other = sessions.find((s) => !s.current)!;
      assert.equal((await client.api('DELETE', `/sessions/${other.id}`)).status, 204);
      assert.equal((await laptop.api('GET', '/me')).status, 401);
      const stranger = (await signup()).client;
      const mine = sessions.find((s) => s.current)!;
      assert.equal((await stranger.api('DELETE', `/sessions/${mine.id}`)).status, 404, 'cannot end another member’s session');
      assert.equal((await client.api('GET', '/me')).status, 200);
      await laptop.api('POST', '/sessions', { handle: h, passphrase: PASS });
      const everywhere = await client.api('DELETE', '/sessions');
      assert.equal(everywhere.json.ended, 2);
      assert.equal((await laptop.api('GET', '/me')).status, 401);
      assert.equal((await client.api('GET', '/me')).status, 401);
    });

    it('ignores a malformed session cookie and treats the visitor as logged out', async () => {
      const visitor = new Client(inst.url);
      visitor.cookies.set('psl_session', 'garbage%%%');
      const me = await visitor.api('GET', '/me');
      assert.equal(me.status, 401);
      assert.equal(me.json.error.code, 'login_required');
    });
  });

  describe('recovery', () => {
    it('sets a new passphrase with a recovery code, which is then spent; other sessions end', async () => {
      const { client, handle: h, codes } = await signup();
      const helper = new Client(inst.url);
      const newPass = 'a brand new passphrase';
      const typed = codes[3]!.toUpperCase().replace('-', ' ');
      const reply = await helper.api('POST', '/recovery', { handle: h, code: typed, passphrase: newPass });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json.recoveryCodesLeft, 9);
      assert.equal((await client.api('GET', '/me')).status, 401, 'old session ended');
      assert.equal((await helper.api('GET', '/me')).status, 200);
      const again = await new Client(inst.url).api('POST', '/recovery', { handle: h, code: codes[3], passphrase: 'yet another passphrase' });
      assert.equal(again.status, 401);
      assert.equal(again.json.error.code, 'recovery_failed');
      assert.equal((await new Client(inst.url).api('POST', '/sessions', { handle: h, passphrase: newPass })).status, 201);
      assert.equal((await new Client(inst.url).api('POST', '/sessions', { handle: h, passphrase: PASS })).status, 401);
    });

    it('answers an unknown handle like a wrong code', async () => {
      const a = await new Client(inst.url).api('POST', '/recovery', { handle: 'ghost_member_1', code: 'aaaaa-bbbbb', passphrase: 'some new passphrase' });
      const { handle: h } = await signup();
      const b = await new Client(inst.url).api('POST', '/recovery', { handle: h, code: 'aaaaa-bbbbb', passphrase: 'some new passphrase' });
      assert.equal(a.status, 401);
      assert.deepEqual(a.json, b.json);
    });

    it('replaces the recovery codes on request (with the passphrase)', async () => {
      const { client, handle: h, codes } = await signup();
      assert.equal((await client.api('POST', '/me/recovery-codes', { passphrase: 'wrong passphrase' })).status, 403);
      const fresh = await client.api('POST', '/me/recovery-codes', { passphrase: PASS });
      assert.equal(fresh.status, 201);
      assert.equal(fresh.json.recoveryCodes.length, 10);
      const old = await new Client(inst.url).api('POST', '/recovery', { handle: h, code: codes[0], passphrase: 'some new passphrase' });
      assert.equal(old.status, 401, 'old codes no longer work');
    });
  });

  describe('profile, passphrase, deletion, export', () => {
    it('changes the display name (any script) and language', async () => {
      const { client } = await signup();
      const reply = await client.api('PATCH', '/me', { displayName: '  雨伞 ☂ Ana  ', locale: 'zh-Hans' });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json.account.displayName, '雨伞 ☂ Ana');
      assert.equal(reply.json.account.locale, 'zh-Hans');
      const bad = await client.api('PATCH', '/me', { locale: 'xx-Nope' });
      assert.equal(bad.status, 422);
      const control = await client.api('PATCH', '/me', { displayName: 'evil\u202Eeman' });
      assert.equal(control.status, 422);
      assert.equal((await client.api('GET', '/me')).json.account.displayName, '雨伞 ☂ Ana');
    });

    it('changes the passphrase only with the current one, and ends other sessions', async () => {
      const { client, handle: h } = await signup();
      const other = new Client(inst.url);
      await other.api('POST', '/sessions', { handle: h, passphrase: PASS });
      const wrong = await client.api('POST', '/me/passphrase', { current: 'not it at all', passphrase: 'my second passphrase' });
      assert.equal(wrong.status, 403);
      assert.equal((await other.api('GET', '/me')).status, 200, 'nothing changed');
      const ok = await client.api('POST', '/me/passphrase', { current: PASS, passphrase: 'my second passphrase' });
      assert.equal(ok.status, 204);
      assert.equal((await client.api('GET', '/me')).status, 200, 'this session stays');
      assert.equal((await other.api('GET', '/me')).status, 401, 'other sessions end');
      assert.equal((await new Client(inst.url).api('POST', '/sessions', { handle: h, passphrase: 'my second passphrase' })).status, 201);
    });

    it('exports everything about the member as JSON without secrets', async () => {
      const { client, handle: h } = await signup();
      await client.api('POST', '/tokens', { name: 'my script' });
      const reply = await client.api('GET', '/me/export');
      assert.equal(reply.status, 200);
      assert.equal(reply.json.format, 'parasol-export');
      assert.equal(reply.json.account.handle, h);
      assert.equal(reply.json.tokens[0].name, 'my script');
      assert.doesNotMatch(reply.text, /argon2|passHash|"hash"/);
    });

    it('deletes the account with the passphrase; the handle stays reserved', async () => {
      const { client, handle: h } = await signup();
      const wrong = await client.api('DELETE', '/me', { passphrase: 'not my passphrase', content: 'delete' });
      assert.equal(wrong.status, 403);
      assert.equal((await client.api('GET', '/me')).status, 200);
      const badChoice = await client.api('DELETE', '/me', { passphrase: PASS, content: 'everything' });
      assert.equal(badChoice.status, 422);
      const ok = await client.api('DELETE', '/me', { passphrase: PASS, content: 'keep_anonymous' });
      assert.equal(ok.status, 204);
      assert.equal((await client.api('GET', '/me')).status, 401);
      assert.equal((await new Client(inst.url).api('POST', '/sessions', { handle: h, passphrase: PASS })).status, 401);
      assert.equal((await new Client(inst.url).api('POST', '/accounts', { handle: h, passphrase: PASS })).status, 409);
      const row = await inst.parasol.ctx.accounts.byHandle(h);
      assert.equal(row, null);
    });
  });

  describe('API tokens', () => {
    it('creates a bearer token that authenticates, lists and revokes it', async () => {
      const { client, handle: h } = await signup();
      const created = await client.api('POST', '/tokens', { name: 'bot' });
      assert.equal(created.status, 201);
      assert.match(created.json.token, /^psl_/);
      const bot = new Client(inst.url);
      bot.bearer = created.json.token;
      const me = await bot.api('GET', '/me');
      assert.equal(me.status, 200);
      assert.equal(me.json.account.handle, h);
      const list = await client.api('GET', '/tokens');
      assert.equal(list.json.tokens.length, 1);
      assert.equal(list.json.tokens[0].token, undefined, 'the token is shown only once');
      assert.equal((await client.api('DELETE', `/tokens/${created.json.id}`)).status, 204);
      assert.equal((await bot.api('GET', '/me')).status, 401);
    });

    it('answers a malformed or unknown bearer token with 401 and a message', async () => {
      for (const header of ['Bearer', 'Bearer psl_short', 'Basic dXNlcjpwYXNz', `Bearer psl_${'A'.repeat(43)}`]) {
        const reply = await new Client(inst.url).api('GET', '/me', undefined, { authorization: header });
        assert.equal(reply.status, 401, header);
        assert.equal(reply.json.error.code, 'bad_token');
        assert.ok(reply.json.error.message.length > 0, 'a bad token error carries a message');
      }
    });
  });

  describe('bad input', () => {
    it('answers malformed JSON with 400', async () => {
      const reply = await new Client(inst.url).request('POST', '/api/v1/accounts', { body: '{"handle": ', type: 'application/json' });
      assert.equal(reply.status, 400);
      assert.equal(reply.json.error.code, 'bad_json');
    });

    it('answers a body that is not JSON with 415', async () => {
      const reply = await new Client(inst.url).request('POST', '/api/v1/accounts', { body: 'handle=x', type: 'application/x-www-form-urlencoded' });
      assert.equal(reply.status, 415);
    });

    it('answers an oversize body with 413 and creates nothing', async () => {
      const before = await accountCount();
      const reply = await new Client(inst.url).api('POST', '/accounts', { handle: handle(), passphrase: 'x'.repeat(100_000) });
      assert.equal(reply.status, 413);
      assert.equal(reply.json.error.code, 'body_too_large');
      assert.equal(await accountCount(), before);
    });

    it('answers a JSON array or a string body with 422', async () => {
      for (const body of [[1, 2], 'text', null]) {
        const reply = await new Client(inst.url).api('POST', '/accounts', body);
        assert.ok(reply.status === 422 || reply.status === 400, `${JSON.stringify(body)} → ${reply.status}`);
      }
    });

    it('answers unknown API routes with a JSON 404 and a malformed path with 400', async () => {
      const reply = await new Client(inst.url).api('GET', '/nothing-here');
      assert.equal(reply.status, 404);
      assert.equal(reply.json.error.code, 'not_found');
      const bad = await new Client(inst.url).api('DELETE', '/tokens/%E0%A4%A');
      assert.ok(bad.status === 400 || bad.status === 401, String(bad.status));
    });

    it('speaks the language of Accept-Language in API errors', async () => {
      const reply = await new Client(inst.url).api('POST', '/sessions', { handle: 'nobody_at_all', passphrase: 'whatever it is' }, { 'accept-language': 'zh-CN,zh;q=0.9' });
      assert.equal(reply.status, 401);
      assert.match(reply.json.error.message, /[\u4e00-\u9fff]/);
    });
  });

  describe('privacy on disk', () => {
    it('stores no passphrase, recovery code, session cookie or token in the database file', async () => {
      const { client, codes } = await signup();
      const token = (await client.api('POST', '/tokens', { name: 'disk check' })).json.token as string;
      const cookie = client.cookies.get('psl_session')!;
      const files = fs.readdirSync(inst.dataDir).map((f) => fs.readFileSync(`${inst.dataDir}/${f}`));
      const disk = Buffer.concat(files).toString('latin1');
      for (const secret of [PASS, codes[0]!, codes[0]!.replace('-', ''), cookie, token]) {
        assert.ok(!disk.includes(secret), `found a secret on disk: ${secret.slice(0, 6)}…`);
      }
    });
  });
});
