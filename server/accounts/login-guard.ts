import crypto from 'node:crypto';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { RateLimitConfig } from '../config.js';
import { AppError } from '../core/errors.js';
import { localCounters, type LimitCounters } from '../core/rate-limit.js';
import { randomToken } from '../crypto.js';

/** A challenge lives two minutes and is spent by its first use. */
export const CHALLENGE_MS = 120_000;
/**
 * A device cookie that failed the per-handle number of times stays untrusted
 * for a day, not one window: a taken phone keeping its cookie gets a few free
 * guesses a day, not a few every ten minutes.
 */
const DEVICE_LOCKOUT_SECONDS = 86_400;

export interface LoginChallengeConfig {
  /** Leading zero bits the proof of work must reach. */
  readonly bits: number;
  /** What a browser without JavaScript waits instead of solving. */
  readonly waitSeconds: number;
}

/** What a client gets to solve: find `solution` with SHA-256(nonce ":" handle ":" solution) starting with `difficulty` zero bits. */
export interface Challenge {
  readonly nonce: string;
  /** The handle as the server binds it (lower case). */
  readonly handle: string;
  readonly difficulty: number;
  readonly expiresAt: number;
  /** Without a solution, the nonce is accepted from this time on (the no-JavaScript fallback). */
  readonly waitUntil: number;
}

/** `<issued at, base 36>.<16 random characters>.<MAC>`: what the server needs to check it travels in the nonce itself. */
const NONCE = /^([0-9a-z]{1,11})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

export const challengeAnswer = z.strictObject({
  nonce: z.string().regex(NONCE, 'validation.bad_format'),
  solution: z.string().regex(/^[0-9]{0,16}$/, 'validation.bad_format').optional(),
});
export type ChallengeAnswer = z.output<typeof challengeAnswer>;

/** 429 for a stranger past the limits: the answer carries a fresh challenge. */
export class ChallengeRequired extends AppError {
  constructor(readonly challenge: Challenge, waitSeconds: number) {
    super(429, 'challenge_required', 'error.challenge_required', { seconds: waitSeconds }, {}, waitSeconds);
  }
}

/**
 * Slows down guessing without letting strangers lock members out, and
 * without any IP address: only failed log-ins count; a browser with a device
 * cookie for the account is exempt from the per-handle and overall limits
 * (unless that device itself failed too often); everyone else, past those
 * limits, pays for each attempt with a proof of work or a wait.
 *
 * Every process of the instance shares this state, so a guesser gains nothing by reaching several: the counts
 * go where the rate limits' do (core/rate-limit.ts: the cluster primary's memory, or PostgreSQL's UNLOGGED
 * table), under the same HMAC keys of the day. A challenge is checked by whichever process gets its answer:
 * the nonce carries when it was issued and a MAC under the shared key of the day over that, the handle and a
 * random part; that it is spent once, and that a handle lets in one waited challenge per wait, are counts too.
 * Nothing of it is written to the database's documents.
 */
export class LoginGuard {
  private readonly perHandle: RateLimiterAbstract;
  private readonly perDevice: RateLimiterAbstract;
  private readonly overall: RateLimiterAbstract;
  /** A nonce's first use wins; the count outlives the challenge. */
  private readonly spentNonces: RateLimiterAbstract;
  /** One waited (unsolved) challenge per handle and wait period, so that waiting in parallel buys nothing. */
  private readonly waited: RateLimiterAbstract;

  constructor(
    private readonly limits: RateLimitConfig,
    private readonly config: LoginChallengeConfig,
    private readonly now: () => number = Date.now,
    private readonly counters: LimitCounters = localCounters,
  ) {
    this.perHandle = counters.counter('login-handle', limits.perKey, limits.windowSeconds);
    this.perDevice = counters.counter('login-device', limits.perKey, DEVICE_LOCKOUT_SECONDS);
    this.overall = counters.counter('login-overall', limits.overall, limits.windowSeconds);
    this.spentNonces = counters.counter('login-nonce', 1, Math.ceil(CHALLENGE_MS / 1000) + 1);
    // Two periods: a period's count must outlive the period.
    this.waited = counters.counter('login-waited', 1, Math.max(1, config.waitSeconds) * 2);
  }

  /** Whether a device cookie's nonce may still be trusted: one that failed too often is treated as a stranger. */
  async deviceTrusted(nonce: string | null): Promise<boolean> {
    if (!nonce) return false;
    return !(await spent(this.perDevice, this.counters.keyOf(`device ${nonce}`), this.limits.perKey));
  }

  /** Lets a stranger try, or throws ChallengeRequired; a valid answer to a challenge is spent here. */
  async admitStranger(handle: string, answer: ChallengeAnswer | undefined): Promise<void> {
    const key = handle.toLowerCase();
    const limited = (await spent(this.perHandle, this.handleKey(key), this.limits.perKey)) || (await spent(this.overall, '*', this.limits.overall));
    if (!limited) return;
    if (!answer || !(await this.accept(key, answer))) throw new ChallengeRequired(this.issue(key), this.config.waitSeconds);
  }

  /** Counts a failed log-in: against the device when it had a trusted cookie, else against the handle; always overall. */
  async failed(handle: string, device: string | null): Promise<void> {
    if (device) await this.perDevice.penalty(this.counters.keyOf(`device ${device}`), 1);
    else await this.perHandle.penalty(this.handleKey(handle.toLowerCase()), 1);
    await this.overall.penalty('*', 1);
  }

  /** A new challenge bound to the handle. */
  issue(handle: string): Challenge {
    const now = this.now();
    const bound = handle.toLowerCase();
    const issued = now.toString(36);
    const random = randomToken(12);
    return {
      nonce: `${issued}.${random}.${this.mac(bound, issued, random)}`,
      handle: bound,
      difficulty: this.config.bits,
      expiresAt: now + CHALLENGE_MS,
      waitUntil: now + this.config.waitSeconds * 1000,
    };
  }

  private handleKey(handle: string): string {
    return this.counters.keyOf(`handle ${handle}`);
  }

  /** Under the shared key of the day: a challenge issued just before midnight is answered by a fresh one after it. */
  private mac(handle: string, issued: string, random: string): string {
    return this.counters.keyOf(`login challenge ${handle} ${issued} ${random}`);
  }

  private async accept(handle: string, answer: ChallengeAnswer): Promise<boolean> {
    const [, issued, random, mac] = NONCE.exec(answer.nonce) ?? [];
    if (issued === undefined || random === undefined || mac === undefined || !sameText(mac, this.mac(handle, issued, random))) return false;
    const issuedAt = parseInt(issued, 36);
    const now = this.now();
    if (issuedAt + CHALLENGE_MS <= now || issuedAt > now) return false;
    const waitMs = this.config.waitSeconds * 1000;
    if (answer.solution) {
      if (!solves({ nonce: answer.nonce, handle, difficulty: this.config.bits }, answer.solution)) return false;
    } else if (now < issuedAt + waitMs) {
      return false;
    }
    if (!answer.solution) {
      // The handle's waited challenge of this period is taken first: a refused one stays unspent for the next period.
      const period = Math.floor(now / waitMs);
      if (!(await once(this.waited, this.counters.keyOf(`waited ${handle} ${period}`)))) return false;
    }
    return once(this.spentNonces, this.counters.keyOf(`nonce ${answer.nonce}`));
  }
}

/** Whether this was the key's first count in its window (a counter of one point). */
async function once(counter: RateLimiterAbstract, key: string): Promise<boolean> {
  try {
    await counter.consume(key);
    return true;
  } catch (error) {
    if (error instanceof RateLimiterRes) return false;
    throw error;
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

async function spent(limiter: RateLimiterAbstract, key: string, points: number): Promise<boolean> {
  const res = await limiter.get(key);
  return !!res && res.consumedPoints >= points;
}

/** Whether SHA-256(nonce ":" handle ":" solution) starts with the challenge's number of zero bits. */
export function solves(challenge: Pick<Challenge, 'nonce' | 'handle' | 'difficulty'>, solution: string): boolean {
  const digest = crypto.createHash('sha256').update(`${challenge.nonce}:${challenge.handle}:${solution}`).digest();
  return leadingZeroBits(digest) >= challenge.difficulty;
}

export function leadingZeroBits(bytes: Uint8Array): number {
  let bits = 0;
  for (const byte of bytes) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}
