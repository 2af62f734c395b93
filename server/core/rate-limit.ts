import cluster from 'node:cluster';
import crypto from 'node:crypto';
import { RateLimiterCluster, RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitConfig } from '../config.js';
import { tooManyRequests } from './errors.js';

/**
 * Counts attempts per key (a handle or an account, never an IP address) and
 * overall, in memory only: nothing about who tried what is ever written down.
 * Under several processes (see server/cluster/) the counts live in the
 * primary's memory, so a budget holds across all of them; keys reach it only
 * as HMACs, under a key the primary draws at start and never writes down.
 */
export interface Limiter {
  /** Throws a 429 AppError when either the key's or the overall budget is spent. */
  consume(key: string): Promise<void>;
}

/** Set by the primary for its workers (hex); a lone process draws its own. */
export const LIMIT_KEY_ENV = 'PARASOL_LIMIT_KEY';

let hmacKey: Buffer | null = null;
function keyHash(key: string): string {
  hmacKey ??= process.env[LIMIT_KEY_ENV] ? Buffer.from(process.env[LIMIT_KEY_ENV], 'hex') : crypto.randomBytes(32);
  return crypto.createHmac('sha256', hmacKey).update(key).digest('base64url');
}

/**
 * The primary matches a worker's limiter by its prefix: every worker builds its limiters in the same order
 * (createParasol), so the n-th limiter of each worker is the same shared budget.
 */
let limiters = 0;

function counter(points: number, duration: number, prefix: string): RateLimiterAbstract {
  if (!cluster.isWorker) return new RateLimiterMemory({ points, duration });
  return new RateLimiterCluster({ points, duration, keyPrefix: prefix, timeoutMs: 3000 });
}

export function createLimiter(config: RateLimitConfig): Limiter {
  const n = limiters++;
  const perKey = counter(config.perKey, config.windowSeconds, `k${n}`);
  const overall = counter(config.overall, config.windowSeconds, `o${n}`);
  return {
    async consume(key) {
      try {
        await overall.consume('*');
        await perKey.consume(keyHash(key.toLowerCase()));
      } catch (error) {
        if (error instanceof RateLimiterRes) throw tooManyRequests(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
        throw error;
      }
    },
  };
}
