import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, handle, PASS } from '../helpers/client.js';
import { pushSubscriptionsCollection } from '../../server/safety/safety.collections.js';

const WAIT_MS = 5_000;

/** Everything a member may have open when a phone is taken: two sessions, a token, a push subscription, live sockets. */
interface Footprint {
  readonly handle: string;
  readonly accountId: string;
  /** The member's own browser: the one that acts. */
  readonly actor: Client;
  /** The taken phone. */
  readonly phone: Client;
  readonly bot: Client;
  readonly actorSocket: ClientSocket;
  readonly phoneSocket: ClientSocket;
}

describe('a compromise ends everything', () => {
  let inst: TestInstance;
  const sockets: ClientSocket[] = [];
  before(async () => {
    inst = await startInstance({ env: { ALLOW_PRIVATE_NETWORK: 'true' } });
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  after(async () => inst.close());

  function connect(client: Client): Promise<ClientSocket> {
    const cookie = `psl_session=${client.cookies.get('psl_session')}`;
    const socket = connectClient(`${inst.url}/live`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie } });
    sockets.push(socket);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no connection')), WAIT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once('connect_error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Resolves once the server dropped the socket; rejects after WAIT_MS. */
  function dropped(socket: ClientSocket): Promise<string> {
    if (!socket.connected) return Promise.resolve('already');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the socket stayed open')), WAIT_MS);
      socket.once('disconnect', (reason) => {
        clearTimeout(timer);
        resolve(reason);
      });
    });
  }

  const pushCount = (accountId: string) => inst.parasol.ctx.store.collection(pushSubscriptionsCollection).count({ accountId });

  async function footprint(): Promise<Footprint> {
    const h = handle('taken');
    const actor = new Client(inst.url);
    const signed = await actor.api('POST', '/accounts', { handle: h, passphrase: PASS });
    assert.equal(signed.status, 201, signed.text);
    const phone = new Client(inst.url);
    assert.equal((await phone.api('POST', '/sessions', { handle: h, passphrase: PASS })).status, 201, 'the phone logs in');
    const created = await phone.api('POST', '/tokens', { name: 'thief script' });
    assert.equal(created.status, 201, created.text);
    const bot = new Client(inst.url);
    bot.bearer = created.json.token;
    const subscribed = await phone.api('POST', '/push/subscriptions', {
      endpoint: `http://127.0.0.1:9/push/${crypto.randomUUID()}`,
      keys: { p256dh: 'B'.repeat(87), auth: 'a'.repeat(22) },
    });
    assert.equal(subscribed.status, 201, subscribed.text);
    const accountId = signed.json.account.id as string;
    assert.equal(await pushCount(accountId), 1, 'the phone gets push notifications');
    assert.equal((await bot.api('GET', '/me')).status, 200, 'the token works before');
    const [actorSocket, phoneSocket] = await Promise.all([connect(actor), connect(phone)]);
    return { handle: h, accountId, actor, phone, bot, actorSocket, phoneSocket };
  }

  /** What must hold after any of the four actions. */
  async function assertEnded(f: Footprint, phoneClosed: Promise<string>): Promise<void> {
    assert.equal((await f.bot.api('GET', '/me')).status, 401, 'the API token is revoked');
    assert.equal((await f.phone.api('GET', '/me')).status, 401, 'the phone is logged out');
    assert.equal(await pushCount(f.accountId), 0, 'push subscriptions are deleted');
    await phoneClosed;
    assert.equal(f.phoneSocket.connected, false, 'the phone’s socket is closed');
  }

  it('says on the settings page, before any action, that these actions end the tokens', async () => {
    const f = await footprint();
    const page = await f.actor.get('/settings');
    assert.match(page.text, /ends every token/);
    assert.match(page.text, /every app token/);
  });

  it('log-out everywhere: every session, token, push subscription and socket ends', async () => {
    const f = await footprint();
    const phoneClosed = dropped(f.phoneSocket);
    const actorClosed = dropped(f.actorSocket);
    const reply = await f.actor.api('DELETE', '/sessions');
    assert.equal(reply.status, 200, reply.text);
    await assertEnded(f, phoneClosed);
    // Log-out everywhere includes the device that asks: its own socket closes with its session.
    await actorClosed;
    assert.equal((await f.actor.api('GET', '/me')).status, 401, 'everywhere means this device too');
  });

  it('a passphrase change ends everything but the session that made it', async () => {
    const f = await footprint();
    const phoneClosed = dropped(f.phoneSocket);
    const reply = await f.actor.api('POST', '/me/passphrase', { current: PASS, passphrase: 'a fresh passphrase now' });
    assert.equal(reply.status, 204, reply.text);
    await assertEnded(f, phoneClosed);
    assert.equal((await f.actor.api('GET', '/me')).status, 200, 'the acting session stays');
    assert.equal(f.actorSocket.connected, true, 'the acting session’s socket stays open');
    assert.deepEqual(await f.actorSocket.timeout(WAIT_MS).emitWithAck('subscribe', { channel: `account:${f.accountId}` }), { ok: true });
  });

  it('recovery with a code ends everything, and signs the recovering browser in', async () => {
    const h = handle('recovering');
    const actor = new Client(inst.url);
    const signed = await actor.api('POST', '/accounts', { handle: h, passphrase: PASS });
    const phone = new Client(inst.url);
    await phone.api('POST', '/sessions', { handle: h, passphrase: PASS });
    const token = (await phone.api('POST', '/tokens', { name: 'thief' })).json.token as string;
    await phone.api('POST', '/push/subscriptions', { endpoint: `http://127.0.0.1:9/push/${crypto.randomUUID()}`, keys: { p256dh: 'B'.repeat(87), auth: 'a'.repeat(22) } });
    const bot = new Client(inst.url);
    bot.bearer = token;
    const phoneSocket = await connect(phone);
    const f: Footprint = { handle: h, accountId: signed.json.account.id, actor, phone, bot, actorSocket: await connect(actor), phoneSocket };
    const phoneClosed = dropped(phoneSocket);
    const helper = new Client(inst.url);
    const reply = await helper.api('POST', '/recovery', { handle: h, code: signed.json.recoveryCodes[0], passphrase: 'recovered passphrase here' });
    assert.equal(reply.status, 200, reply.text);
    await assertEnded(f, phoneClosed);
    assert.equal((await helper.api('GET', '/me')).status, 200, 'the recovering browser is signed in');
  });

  it('an admin’s reset (API and web page) ends every session and token of the member, keeping none', async () => {
    const adminHandle = handle('admin');
    const { passphrase } = await inst.parasol.ctx.accounts.createAdmin(adminHandle);
    const admin = new Client(inst.url);
    assert.equal((await admin.api('POST', '/sessions', { handle: adminHandle, passphrase })).status, 201);

    const f = await footprint();
    const closed = [dropped(f.phoneSocket), dropped(f.actorSocket)];
    const notAdmin = await f.phone.api('POST', `/admin/accounts/${f.handle}/passphrase-reset`);
    assert.equal(notAdmin.status, 403, 'members cannot reset passphrases');
    const reply = await admin.api('POST', `/admin/accounts/${f.handle}/passphrase-reset`);
    assert.equal(reply.status, 201, reply.text);
    await assertEnded(f, closed[0]!);
    await closed[1];
    assert.equal((await f.actor.api('GET', '/me')).status, 401, 'none of the member’s sessions is kept');
    assert.equal((await admin.api('GET', '/me')).status, 200, 'the admin stays signed in');
    assert.equal((await new Client(inst.url).api('POST', '/sessions', { handle: f.handle, passphrase: reply.json.passphrase })).status, 201);

    const g = await footprint();
    const gClosed = dropped(g.phoneSocket);
    const page = await admin.submit('/admin/reset-passphrase', '/admin/reset-passphrase', { handle: g.handle });
    assert.equal(page.status, 200, page.text);
    const shown = /<code class="token">([a-z-]+)<\/code>/.exec(page.text)?.[1];
    assert.ok(shown, 'the page shows the new passphrase once');
    await assertEnded(g, gClosed);
    assert.equal((await new Client(inst.url).api('POST', '/sessions', { handle: g.handle, passphrase: shown })).status, 201);
    const refused = await g.actor.get('/admin/reset-passphrase');
    assert.notEqual(refused.status, 200, 'members do not get the reset page');
  });

  it('the command line’s reset ends every session and token of the member', async () => {
    const f = await footprint();
    const closed = [dropped(f.phoneSocket), dropped(f.actorSocket)];
    // `npm run cli -- reset-passphrase` calls exactly this, without an actor.
    const passphrase = await inst.parasol.ctx.accounts.resetPassphrase(f.handle);
    await assertEnded(f, closed[0]!);
    await closed[1];
    assert.equal((await f.actor.api('GET', '/me')).status, 401, 'none of the member’s sessions is kept');
    assert.equal((await new Client(inst.url).api('POST', '/sessions', { handle: f.handle, passphrase })).status, 201);
  });

  it('a token cannot create tokens: a fresh log-in is needed', async () => {
    const f = await footprint();
    const minted = await f.bot.api('POST', '/tokens', { name: 'successor' });
    assert.equal(minted.status, 403, minted.text);
    assert.equal(minted.json.error.code, 'token_needs_session');
    assert.match(minted.json.error.message, /Log in/);
    assert.equal((await f.actor.api('GET', '/tokens')).json.tokens.length, 1, 'no token was made');
  });
});
