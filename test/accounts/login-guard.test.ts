import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { ChallengeRequired, CHALLENGE_MS, leadingZeroBits, LoginGuard, solves, type Challenge } from '../../server/accounts/login-guard.js';
import { VerifyQueue } from '../../server/accounts/verify-queue.js';
import { AppError } from '../../server/core/errors.js';

function solve(c: Challenge): string {
  for (let x = 0; ; x++) if (solves(c, String(x))) return String(x);
}

/** The challenge a refused attempt carries. */
async function refusal(attempt: Promise<void>): Promise<Challenge> {
  try {
    await attempt;
  } catch (error) {
    assert.ok(error instanceof ChallengeRequired, `a challenge, not ${String(error)}`);
    return error.challenge;
  }
  throw new Error('the attempt was let in');
}

describe('log-in guard', () => {
  let clock = 1_000_000;
  const now = () => clock;
  const guard = () => new LoginGuard({ perKey: 2, overall: 100, windowSeconds: 600 }, { bits: 4, waitSeconds: 30 }, now);

  it('counts zero bits from the first byte', () => {
    assert.equal(leadingZeroBits(Uint8Array.from([0, 0x10, 0xff])), 11);
    assert.equal(leadingZeroBits(Uint8Array.from([0x80])), 0);
    assert.equal(leadingZeroBits(Uint8Array.from([0, 0])), 16);
  });

  it('checks SHA-256(nonce:handle:solution) as the browser computes it', () => {
    const c = { nonce: 'n'.repeat(22), handle: 'ana', difficulty: 8 };
    const x = solve({ ...c, expiresAt: 0, waitUntil: 0 });
    const digest = crypto.createHash('sha256').update(`${c.nonce}:ana:${x}`).digest();
    assert.equal(digest[0], 0, 'eight zero bits');
  });

  it('lets strangers in until the handle has failed its limit, then asks for a challenge', async () => {
    const g = guard();
    await g.admitStranger('Ana', undefined);
    await g.failed('ana', null);
    await g.admitStranger('ana', undefined);
    await g.failed('ANA', null);
    const challenge = await refusal(g.admitStranger('ana', undefined));
    assert.equal(challenge.handle, 'ana');
    assert.equal(challenge.expiresAt, clock + CHALLENGE_MS);
    await g.admitStranger('bea', undefined);
  });

  it('refuses an expired nonce and a spent one', async () => {
    const g = guard();
    await g.failed('ana', null);
    await g.failed('ana', null);
    const first = await refusal(g.admitStranger('ana', undefined));
    clock += CHALLENGE_MS;
    await refusal(g.admitStranger('ana', { nonce: first.nonce, solution: solve(first) }));
    const second = await refusal(g.admitStranger('ana', undefined));
    await g.admitStranger('ana', { nonce: second.nonce, solution: solve(second) });
    await refusal(g.admitStranger('ana', { nonce: second.nonce, solution: solve(second) }));
  });

  it('accepts an unsolved nonce once the wait is over, one per wait period and handle', async () => {
    const g = guard();
    await g.failed('ana', null);
    await g.failed('ana', null);
    const a = await refusal(g.admitStranger('ana', undefined));
    const b = await refusal(g.admitStranger('ana', undefined));
    clock += 29_000;
    await refusal(g.admitStranger('ana', { nonce: a.nonce }));
    clock += 1_000;
    await g.admitStranger('ana', { nonce: a.nonce });
    await refusal(g.admitStranger('ana', { nonce: b.nonce }));
    clock += 30_000;
    await g.admitStranger('ana', { nonce: b.nonce });
  });

  it('puts a device that failed too often on the lockout list', async () => {
    const g = guard();
    assert.equal(await g.deviceTrusted('d'.repeat(22)), true);
    await g.failed('ana', 'd'.repeat(22));
    await g.failed('ana', 'd'.repeat(22));
    assert.equal(await g.deviceTrusted('d'.repeat(22)), false);
    assert.equal(await g.deviceTrusted(null), false);
    await g.admitStranger('ana', undefined);
  });
});

describe('verify queue', () => {
  it('runs a few at once, lets a short line wait, and refuses the rest with a 429', async () => {
    const queue = new VerifyQueue(1, 1);
    const gates: (() => void)[] = [];
    const started: number[] = [];
    const task = (n: number) => () =>
      new Promise<number>((resolve) => {
        started.push(n);
        gates.push(() => resolve(n));
      });
    const first = queue.run(task(1));
    const second = queue.run(task(2));
    await assert.rejects(queue.run(task(3)), (error: unknown) => error instanceof AppError && error.status === 429 && error.code === 'busy' && (error.retryAfter ?? 0) > 0);
    assert.deepEqual(started, [1], 'one at a time');
    gates.shift()!();
    assert.equal(await first, 1);
    for (let i = 0; i < 100 && gates.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, [1, 2], 'the waiting one starts when a slot frees');
    const third = queue.run(task(3));
    gates.shift()!();
    assert.equal(await second, 2);
    for (let i = 0; i < 100 && gates.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    gates.shift()!();
    assert.equal(await third, 3);
  });
});
