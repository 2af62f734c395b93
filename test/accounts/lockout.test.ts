import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, handle, PASS } from '../helpers/client.js';
import { DEVICE_COOKIE } from '../../server/accounts/device-cookie.js';
import { leadingZeroBits } from '../../server/accounts/login-guard.js';

interface WireChallenge {
  nonce: string;
  handle: string;
  difficulty: number;
  expiresAt: number;
  waitUntil: number;
}

/** What pow.js does in the browser, with node's SHA-256. */
function solve(c: WireChallenge): string {
  for (let x = 0; ; x++) {
    const digest = crypto.createHash('sha256').update(`${c.nonce}:${c.handle}:${x}`).digest();
    if (leadingZeroBits(digest) >= c.difficulty) return String(x);
  }
}

/** A candidate that does not solve the challenge. */
function unsolved(c: WireChallenge): string {
  for (let x = 0; ; x++) {
    const digest = crypto.createHash('sha256').update(`${c.nonce}:${c.handle}:${x}`).digest();
    if (leadingZeroBits(digest) < c.difficulty) return String(x);
  }
}

const PER_HANDLE = 3;
/** Above what the tests before the overall one fail in total, so that only that test reaches it. */
const OVERALL = 60;

describe('no lock-out by strangers', () => {
  let inst: TestInstance;
  before(async () => {
    inst = await startInstance({
      env: { LOGIN_POW_BITS: '6', LOGIN_WAIT_SECONDS: '60' },
      config: (c) => ({ ...c, rateLimits: { ...c.rateLimits, login: { perKey: PER_HANDLE, overall: OVERALL, windowSeconds: 600 } } }),
    });
  });
  after(async () => inst.close());

  const login = (client: Client, h: string, passphrase: string, challenge?: { nonce: string; solution?: string }) =>
    client.api('POST', '/sessions', { handle: h, passphrase, ...(challenge ? { challenge } : {}) });

  async function member(): Promise<{ handle: string; owner: Client }> {
    const h = handle('owner');
    const owner = new Client(inst.url);
    assert.equal((await owner.api('POST', '/accounts', { handle: h, passphrase: PASS })).status, 201);
    return { handle: h, owner };
  }

  async function hammer(h: string, times: number): Promise<void> {
    for (let i = 0; i < times; i++) await login(new Client(inst.url), h, `wrong guess number ${i}`);
  }

  it('counts only failed attempts: many successful log-ins do not limit the handle', async () => {
    const { handle: h } = await member();
    for (let i = 0; i < PER_HANDLE * 2; i++) {
      const reply = await login(new Client(inst.url), h, PASS);
      assert.equal(reply.status, 201, `success ${i + 1}: ${reply.text}`);
    }
  });

  it('gives the browser a device cookie that names no account', async () => {
    const { handle: h, owner } = await member();
    const reply = await login(owner, h, PASS);
    const cookie = reply.headers.getSetCookie().find((c) => c.startsWith(`${DEVICE_COOKIE}=`));
    assert.ok(cookie, 'a device cookie is set');
    assert.match(cookie, /HttpOnly/i);
    const account = await inst.parasol.ctx.accounts.byHandle(h);
    assert.ok(!cookie.includes(account!.id), 'the cookie does not carry the account id');
    assert.ok(!cookie.toLowerCase().includes(h.toLowerCase()), 'nor the handle');
  });

  it('a stranger hammering a public handle does not lock out its owner’s browser', async () => {
    const { handle: h, owner } = await member();
    await owner.api('DELETE', '/sessions/current');
    assert.ok(owner.cookies.has(DEVICE_COOKIE), 'logging out keeps the device cookie');
    await hammer(h, PER_HANDLE + 5);
    const stranger = await login(new Client(inst.url), h, PASS);
    assert.equal(stranger.status, 429, 'a stranger, even with the right passphrase, must answer a challenge');
    assert.equal(stranger.json.error.code, 'challenge_required');
    assert.ok(Number(stranger.headers.get('retry-after')) > 0, 'Retry-After says how long to wait');
    const ok = await login(owner, h, PASS);
    assert.equal(ok.status, 201, `the owner logs in: ${ok.text}`);
    const otherDevice = new Client(inst.url);
    otherDevice.cookies.set(DEVICE_COOKIE, owner.cookies.get(DEVICE_COOKIE)!);
    const { handle: other } = await member();
    await hammer(other, PER_HANDLE);
    assert.equal((await login(otherDevice, other, PASS)).status, 429, 'a device cookie for one account does not exempt another');
  });

  it('a device cookie that fails too often is treated as a stranger (a taken phone gains nothing from it)', async () => {
    const { handle: h, owner } = await member();
    await hammer(h, PER_HANDLE);
    assert.equal((await login(owner, h, PASS)).status, 201, 'trusted while it has not failed');
    for (let i = 0; i < PER_HANDLE; i++) assert.equal((await login(owner, h, `not it ${i} at all`)).status, 401);
    const reply = await login(owner, h, PASS);
    assert.equal(reply.status, 429, 'now a stranger on a limited handle');
    assert.equal(reply.json.error.code, 'challenge_required');
  });

  it('a compromise voids every device cookie of the account but the acting browser’s fresh one', async () => {
    const { handle: h, owner } = await member();
    const phone = new Client(inst.url);
    assert.equal((await login(phone, h, PASS)).status, 201, 'the phone had logged in, so it holds a device cookie');
    const newPass = 'after the phone was taken';
    assert.equal((await owner.api('POST', '/me/passphrase', { current: PASS, passphrase: newPass })).status, 204);
    await hammer(h, PER_HANDLE);
    const thief = await login(phone, h, newPass);
    assert.equal(thief.status, 429, 'the taken phone’s device cookie no longer exempts it');
    assert.equal(thief.json.error.code, 'challenge_required');
    await owner.api('DELETE', '/sessions/current');
    assert.equal((await login(owner, h, newPass)).status, 201, 'the member’s own browser got a new device cookie with the change');
    const everywhere = await owner.api('DELETE', '/sessions');
    assert.equal(everywhere.status, 200);
    assert.equal((await login(owner, h, newPass)).status, 201, 'and again with log-out everywhere');
  });

  it('past the per-handle limit a stranger solves a proof of work bound to the handle and a single-use nonce', async () => {
    const { handle: h } = await member();
    const { handle: other } = await member();
    await hammer(h, PER_HANDLE);
    const stranger = new Client(inst.url);
    const asked = await login(stranger, h, PASS);
    assert.equal(asked.status, 429);
    const challenge = asked.json.error.challenge as WireChallenge;
    assert.equal(challenge.handle, h.toLowerCase());
    assert.equal(challenge.difficulty, 6);
    assert.ok(challenge.expiresAt - Date.now() <= 120_000 && challenge.expiresAt > Date.now(), 'the nonce expires within two minutes');

    const wrong = await login(stranger, h, PASS, { nonce: challenge.nonce, solution: unsolved(challenge) });
    assert.equal(wrong.status, 429, 'a wrong solution is refused');
    assert.equal(wrong.json.error.code, 'challenge_required');
    const solution = solve(challenge);
    const other1 = await login(stranger, other, PASS, { nonce: challenge.nonce, solution });
    assert.equal(other1.status, 201, 'another handle is not limited: the challenge is ignored there');
    const fresh = (await login(new Client(inst.url), h, PASS)).json.error.challenge as WireChallenge;
    const ok = await login(stranger, h, PASS, { nonce: fresh.nonce, solution: solve(fresh) });
    assert.equal(ok.status, 201, `a solved challenge lets the stranger try: ${ok.text}`);
    const again = await login(new Client(inst.url), h, PASS, { nonce: fresh.nonce, solution: solve(fresh) });
    assert.equal(again.status, 429, 'the nonce is single use');
  });

  it('a challenge issued for one handle does not open another', async () => {
    const { handle: a } = await member();
    const { handle: b } = await member();
    await hammer(a, PER_HANDLE);
    await hammer(b, PER_HANDLE);
    const forA = (await login(new Client(inst.url), a, PASS)).json.error.challenge as WireChallenge;
    const onB = await login(new Client(inst.url), b, PASS, { nonce: forA.nonce, solution: solve(forA) });
    assert.equal(onB.status, 429, 'bound to its handle');
  });

  it('the log-in page carries the challenge for pow.js and tells a browser without JavaScript how long to wait', async () => {
    const { handle: h } = await member();
    await hammer(h, PER_HANDLE);
    const browser = new Client(inst.url);
    const page = await browser.submit('/login', '/login', { handle: h, passphrase: PASS, next: '/' });
    assert.equal(page.status, 429);
    assert.match(page.text, /<script src="\/assets\/pow\.js" defer><\/script>/);
    assert.match(page.text, /wait 60 seconds/);
    const nonce = /name="challenge_nonce" value="([^"]+)"/.exec(page.text)?.[1];
    const bits = /data-pow-bits="(\d+)"/.exec(page.text)?.[1];
    const powHandle = /data-pow-handle="([^"]+)"/.exec(page.text)?.[1];
    assert.ok(nonce && bits && powHandle, 'the form carries nonce, difficulty and handle');
    const solution = solve({ nonce, handle: powHandle, difficulty: Number(bits), expiresAt: 0, waitUntil: 0 });
    const early = await browser.submit('/login', '/login', { handle: h, passphrase: PASS, challenge_nonce: nonce, challenge_solution: '' });
    assert.equal(early.status, 429, 'without a solution, the wait must be over first');
    const done = await browser.submit('/login', '/login', { handle: h, passphrase: PASS, challenge_nonce: nonce, challenge_solution: solution, next: '/' });
    assert.equal(done.status, 303, done.text);
    assert.ok(browser.cookies.has('psl_session'), 'signed in');
    const script = await browser.get('/assets/pow.js');
    assert.equal(script.status, 200);
  });

  it('the overall limit asks strangers for a challenge but never refuses a browser with a device cookie', async () => {
    const { handle: h, owner } = await member();
    await owner.api('DELETE', '/sessions/current');
    for (let i = 0; i < OVERALL; i++) await login(new Client(inst.url), `made_up_${i}_${process.pid}`, 'some guess here');
    const { handle: fresh } = await member();
    const stranger = await login(new Client(inst.url), fresh, PASS);
    assert.equal(stranger.status, 429, 'strangers answer a challenge on any handle');
    assert.equal(stranger.json.error.code, 'challenge_required');
    assert.equal((await login(owner, h, PASS)).status, 201, 'the member with a device cookie logs in');
  });
});

describe('bounded argon2 queue', () => {
  let inst: TestInstance;
  before(async () => {
    // Production cost here, unlike other tests: the line must still be busy when the next log-ins arrive, on any engine.
    inst = await startInstance({ env: { PASSPHRASE_CHECKS_AT_ONCE: '1', PASSPHRASE_CHECKS_WAITING: '1', ARGON2_MEMORY_KIB: '19456', ARGON2_ITERATIONS: '2' } });
  });
  after(async () => inst.close());

  it('answers 429 with Retry-After when the line of passphrase checks is full', async () => {
    const h = handle('busy');
    assert.equal((await new Client(inst.url).api('POST', '/accounts', { handle: h, passphrase: PASS })).status, 201);
    const replies = await Promise.all(Array.from({ length: 12 }, () => new Client(inst.url).api('POST', '/sessions', { handle: h, passphrase: PASS })));
    const busy = replies.filter((r) => r.status === 429);
    assert.ok(busy.length > 0, `some are refused: ${replies.map((r) => r.status).join(',')}`);
    assert.ok(replies.some((r) => r.status === 201), 'the first ones get through');
    assert.equal(busy[0]!.json.error.code, 'busy');
    assert.ok(Number(busy[0]!.headers.get('retry-after')) > 0, 'Retry-After is set');
    assert.equal(replies.filter((r) => r.status !== 201 && r.status !== 429).length, 0, 'nothing else');
  });
});
