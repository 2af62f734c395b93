import cluster from 'node:cluster';
import crypto from 'node:crypto';
import { RateLimiterCluster, RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitConfig } from '../config.js';
import { tooManyRequests } from './errors.js';

/**
 * Counts attempts per key (a handle or an account, never an IP address) and
 * overall. Counts reach their counter only as HMACs under a key of the day,
 * held in memory only, so nothing written down shows who tried what. A lone
 * process counts in its memory under a key it draws afresh each day; the
 * workers of one machine count in the primary's memory (server/cluster/),
 * under a key of the day derived from one the primary draws at start; the
 * processes on PostgreSQL count in an UNLOGGED table, under a key of the day
 * derived from the instance secret (server/cluster/postgres-limits.ts).
 */
export interface Limiter {
  /** Throws a 429 AppError when either the key's or the overall budget is spent. */
  consume(key: string): Promise<void>;
}

/** Where counts are kept, and the key they are kept under. */
export interface LimitCounters {
  /** A counter named alike in every process (so that they share it): `points` per `duration` seconds. */
  counter(name: string, points: number, duration: number): RateLimiterAbstract;
  /** The name a key is counted under. */
  keyOf(key: string): string;
}

/** Set by the primary for its workers (hex). */
export const LIMIT_KEY_ENV = 'PARASOL_LIMIT_KEY';

const DAY_MS = 86_400_000;

/** HMACs under a key that changes at each UTC midnight: `keyFor(day)` makes it. Counts started before midnight start again. */
export function dailyHmac(keyFor: (day: number) => Buffer, now: () => number = Date.now): (key: string) => string {
  let day = Number.NaN;
  let dayKey: Buffer = Buffer.alloc(0);
  return (key) => {
    const today = Math.floor(now() / DAY_MS);
    if (today !== day) {
      day = today;
      dayKey = keyFor(today);
    }
    return crypto.createHmac('sha256', dayKey).update(key).digest('base64url');
  };
}

/** The key of a day derived from a base key; each purpose has its own label. */
export const derivedDayKey = (base: Buffer, label: string) => (day: number): Buffer =>
  crypto.createHmac('sha256', base).update(`${label} ${day}`).digest();

function localKeys(): (key: string) => string {
  const shared = process.env[LIMIT_KEY_ENV];
  // No other process needs a lone process's key: a fresh one each day, yesterday's forgotten.
  if (!cluster.isWorker || !shared) return dailyHmac(() => crypto.randomBytes(32));
  return dailyHmac(derivedDayKey(Buffer.from(shared, 'hex'), 'parasol rate-limit key'));
}

let localKeyOf: ((key: string) => string) | null = null;

/** Counters in this process's memory, or in the primary's for the workers of one machine. */
export const localCounters: LimitCounters = {
  counter(name, points, duration) {
    if (!cluster.isWorker) return new RateLimiterMemory({ points, duration });
    return new RateLimiterCluster({ points, duration, keyPrefix: name, timeoutMs: 3000 });
  },
  keyOf(key) {
    localKeyOf ??= localKeys();
    return localKeyOf(key);
  },
};

/** `name` is the same in every process and unique within one (e.g. 'signup'). */
export function createLimiter(config: RateLimitConfig, name: string, counters: LimitCounters = localCounters): Limiter {
  const perKey = counters.counter(`k:${name}`, config.perKey, config.windowSeconds);
  const overall = counters.counter(`o:${name}`, config.overall, config.windowSeconds);
  return {
    async consume(key) {
      try {
        await overall.consume('*');
        await perKey.consume(counters.keyOf(key.toLowerCase()));
      } catch (error) {
        if (error instanceof RateLimiterRes) throw tooManyRequests(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
        throw error;
      }
    },
  };
}
