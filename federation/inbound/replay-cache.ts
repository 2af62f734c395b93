import { DATE_WINDOW_MS } from './request.js';

/** Remembers the signatures of accepted requests for as long as their Date is valid, so none is accepted twice. */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  has(signature: string, now = Date.now()): boolean {
    const until = this.seen.get(signature);
    return until !== undefined && until > now;
  }

  add(signature: string, now = Date.now()): void {
    if (this.seen.size >= this.maxEntries) this.prune(now);
    // Past the size bound the oldest go first: Map keeps insertion order.
    while (this.seen.size >= this.maxEntries) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(signature, now + 2 * DATE_WINDOW_MS);
  }

  private prune(now: number): void {
    for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key);
  }
}
