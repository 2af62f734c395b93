import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitConfig } from '../config.js';
import { tooManyRequests } from './errors.js';

/**
 * Counts attempts per key (a handle or an account, never an IP address) and
 * overall, in memory only: nothing about who tried what is ever written down.
 */
export interface Limiter {
  /** Throws a 429 AppError when either the key's or the overall budget is spent. */
  consume(key: string): Promise<void>;
}

export function createLimiter(config: RateLimitConfig): Limiter {
  const perKey = new RateLimiterMemory({ points: config.perKey, duration: config.windowSeconds });
  const overall = new RateLimiterMemory({ points: config.overall, duration: config.windowSeconds });
  return {
    async consume(key) {
      try {
        await overall.consume('*');
        await perKey.consume(key.toLowerCase());
      } catch (error) {
        if (error instanceof RateLimiterRes) throw tooManyRequests(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
        throw error;
      }
    },
  };
}
