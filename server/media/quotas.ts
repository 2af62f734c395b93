/**
 * How many photos a member, and the whole instance, may upload in a day, only ever under an HMAC with the day's
 * key, never written against the account. A named upload counts under the account, where the rate limits count
 * (core/rate-limit.ts: in memory, or on PostgreSQL with a secret file an UNLOGGED table). An anonymous post or
 * warning and a room message count under the member's blinded id in that board or room (see media.routes.ts
 * preparePhotos), which only the member's own key computes, and in memory only (this process's, or the primary's
 * for the workers of one machine): nothing written anywhere holds them, and whoever holds the database and the
 * instance's secrets cannot recompute them from an account id. Each such board or room has its own day's budget
 * (per machine, where several share a database); the instance's budget bounds them all.
 */
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AppError } from '../core/errors.js';
import { mediaError } from './errors.js';
import { localCounters, type LimitCounters } from '../core/rate-limit.js';

const DAY_SECONDS = 86_400;

export interface PhotoQuotaConfig {
  readonly perMemberPerDay: number;
  readonly perInstancePerDay: number;
}

export class PhotoQuotas {
  private readonly perMember: RateLimiterAbstract | null;
  private readonly perBlinded: RateLimiterAbstract | null;
  private readonly overall: RateLimiterAbstract | null;

  constructor(
    private readonly counters: LimitCounters,
    config: PhotoQuotaConfig,
    private readonly memory: LimitCounters = localCounters,
  ) {
    // rate-limiter-flexible needs at least one point: a quota of 0 refuses every photo without a counter.
    this.perMember = config.perMemberPerDay > 0 ? counters.counter('k:photos', config.perMemberPerDay, DAY_SECONDS) : null;
    this.perBlinded = config.perMemberPerDay > 0 ? memory.counter('k:photos-blinded', config.perMemberPerDay, DAY_SECONDS) : null;
    this.overall = config.perInstancePerDay > 0 ? counters.counter('o:photos', config.perInstancePerDay, DAY_SECONDS) : null;
  }

  /**
   * Takes `count` photos from the member's and the instance's budgets of the day, or refuses with a 429. `memberKey`
   * is the account id, or with `blinded` the member's blinded id in the upload's context.
   */
  async take(memberKey: string, count: number, blinded = false): Promise<void> {
    if (count === 0) return;
    if (this.perMember === null || this.perBlinded === null || this.overall === null) throw quotaError(DAY_SECONDS);
    try {
      if (blinded) await this.perBlinded.consume(this.memory.keyOf(`photos ${memberKey}`), count);
      else await this.perMember.consume(this.counters.keyOf(`photos ${memberKey}`), count);
      await this.overall.consume('*', count);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw quotaError(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
      throw error;
    }
  }
}

const quotaError = (retryAfter: number): AppError =>
  mediaError(429, 'photo_quota', { hours: Math.max(1, Math.ceil(retryAfter / 3600)) }, retryAfter);
