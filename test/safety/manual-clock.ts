import type { Clock } from '../../server/core/clock.js';

interface Timer {
  at: number;
  readonly ms: number;
  readonly tick: () => Promise<void>;
}

/** A clock that moves only when the test says so; the ticks that fall due run, in order, and are waited for. */
export class ManualClock implements Clock {
  private timers: Timer[] = [];

  constructor(private current = Date.now()) {}

  now(): number {
    return this.current;
  }

  every(ms: number, tick: () => Promise<void>): () => void {
    const timer: Timer = { at: this.current + ms, ms, tick };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.current = next.at;
      next.at += next.ms;
      await next.tick();
    }
    this.current = until;
  }
}
