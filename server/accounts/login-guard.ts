import crypto from 'node:crypto';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { RateLimitConfig } from '../config.js';
import { AppError } from '../core/errors.js';
import { randomToken } from '../crypto.js';

/** A challenge lives two minutes and is spent by its first use. */
export const CHALLENGE_MS = 120_000;
/**
 * A device cookie that failed the per-handle number of times stays untrusted
 * for a day, not one window: a taken phone keeping its cookie gets a few free
 * guesses a day, not a few every ten minutes.
 */
const DEVICE_LOCKOUT_SECONDS = 86_400;
/** Live challenges kept at most; past this the oldest are forgotten, so a flood cannot grow memory. */
const MAX_CHALLENGES = 10_000;

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

export const challengeAnswer = z.strictObject({
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'validation.bad_format'),
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
 */
export class LoginGuard {
  private readonly perHandle: RateLimiterMemory;
  private readonly perDevice: RateLimiterMemory;
  private readonly overall: RateLimiterMemory;
  private readonly challenges = new Map<string, Challenge>();
  /** When each handle last let in a waited (unsolved) challenge: one per wait, so waiting in parallel buys nothing. */
  private readonly lastWaited = new Map<string, number>();

  constructor(
    private readonly limits: RateLimitConfig,
    private readonly config: LoginChallengeConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.perHandle = new RateLimiterMemory({ points: limits.perKey, duration: limits.windowSeconds });
    this.perDevice = new RateLimiterMemory({ points: limits.perKey, duration: DEVICE_LOCKOUT_SECONDS });
    this.overall = new RateLimiterMemory({ points: limits.overall, duration: limits.windowSeconds });
  }

  /** Whether a device cookie's nonce may still be trusted: one that failed too often is treated as a stranger. */
  async deviceTrusted(nonce: string | null): Promise<boolean> {
    if (!nonce) return false;
    return !(await spent(this.perDevice, nonce, this.limits.perKey));
  }

  /** Lets a stranger try, or throws ChallengeRequired; a valid answer to a challenge is spent here. */
  async admitStranger(handle: string, answer: ChallengeAnswer | undefined): Promise<void> {
    const key = handle.toLowerCase();
    const limited = (await spent(this.perHandle, key, this.limits.perKey)) || (await spent(this.overall, '*', this.limits.overall));
    if (!limited) return;
    if (!answer || !this.accept(key, answer)) throw new ChallengeRequired(this.issue(key), this.config.waitSeconds);
  }

  /** Counts a failed log-in: against the device when it had a trusted cookie, else against the handle; always overall. */
  async failed(handle: string, device: string | null): Promise<void> {
    if (device) await this.perDevice.penalty(device, 1);
    else await this.perHandle.penalty(handle.toLowerCase(), 1);
    await this.overall.penalty('*', 1);
  }

  /** A new challenge bound to the handle. */
  issue(handle: string): Challenge {
    const now = this.now();
    for (const [nonce, c] of this.challenges) {
      if (c.expiresAt > now && this.challenges.size < MAX_CHALLENGES) break;
      this.challenges.delete(nonce);
    }
    const challenge: Challenge = {
      nonce: randomToken(16),
      handle: handle.toLowerCase(),
      difficulty: this.config.bits,
      expiresAt: now + CHALLENGE_MS,
      waitUntil: now + this.config.waitSeconds * 1000,
    };
    this.challenges.set(challenge.nonce, challenge);
    return challenge;
  }

  private accept(handle: string, answer: ChallengeAnswer): boolean {
    const challenge = this.challenges.get(answer.nonce);
    const now = this.now();
    if (!challenge || challenge.handle !== handle || challenge.expiresAt <= now) return false;
    if (answer.solution) {
      if (!solves(challenge, answer.solution)) return false;
    } else {
      if (now < challenge.waitUntil || now - (this.lastWaited.get(handle) ?? 0) < this.config.waitSeconds * 1000) return false;
      this.lastWaited.set(handle, now);
      if (this.lastWaited.size > MAX_CHALLENGES) this.lastWaited.delete(this.lastWaited.keys().next().value!);
    }
    this.challenges.delete(answer.nonce);
    return true;
  }
}

async function spent(limiter: RateLimiterMemory, key: string, points: number): Promise<boolean> {
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
