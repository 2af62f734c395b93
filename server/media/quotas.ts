/**
 * How many photos a member, and the whole instance, may upload in a day. Counted where the rate limits count
 * (core/rate-limit.ts): in memory (or, on PostgreSQL with a secret file, an UNLOGGED table), only under an HMAC
 * with the day's key, never written against the account. A named upload counts under the account; an anonymous
 * post or warning and a room message count under the member's blinded id in that board or room (the caller's
 * `memberKey`, see media.routes.ts preparePhotos), which only the member's own key can compute: whoever holds the
 * counts and the instance's secrets still cannot tell whose they are. Each such context has its own day's budget;
 * the instance's budget bounds them all.
 */
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AppError } from '../core/errors.js';
import { mediaError } from './errors.js';
import type { LimitCounters } from '../core/rate-limit.js';

const DAY_SECONDS = 86_400;

export interface PhotoQuotaConfig {
  readonly perMemberPerDay: number;
  readonly perInstancePerDay: number;
}

export class PhotoQuotas {
  private readonly perMember: RateLimiterAbstract | null;
  private readonly overall: RateLimiterAbstract | null;

  constructor(
    private readonly counters: LimitCounters,
    config: PhotoQuotaConfig,
  ) {
    // rate-limiter-flexible needs at least one point: a quota of 0 refuses every photo without a counter.
    this.perMember = config.perMemberPerDay > 0 ? counters.counter('k:photos', config.perMemberPerDay, DAY_SECONDS) : null;
    this.overall = config.perInstancePerDay > 0 ? counters.counter('o:photos', config.perInstancePerDay, DAY_SECONDS) : null;
  }

  /** Takes `count` photos from the member's and the instance's budgets of the day, or refuses with a 429. */
  async take(memberKey: string, count: number): Promise<void> {
    if (count === 0) return;
    if (this.perMember === null || this.overall === null) throw quotaError(DAY_SECONDS);
    try {
      await this.perMember.consume(this.counters.keyOf(`photos ${memberKey}`), count);
      await this.overall.consume('*', count);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw quotaError(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
      throw error;
    }
  }
}

const quotaError = (retryAfter: number): AppError =>
  mediaError(429, 'photo_quota', { hours: Math.max(1, Math.ceil(retryAfter / 3600)) }, retryAfter);
