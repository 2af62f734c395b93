import { AppError } from '../core/errors.js';
import type { PassphraseHasher } from './passphrase.js';

/** Seconds a caller refused by a full queue is told to wait: a few argon2 runs' worth. */
const RETRY_AFTER_SECONDS = 2;

/**
 * Runs argon2 work a few at a time and refuses work beyond a short waiting
 * line. Each verification holds about 19 MiB and a thread for tens of
 * milliseconds, so guessing at speed must meet a 429, not exhaust memory.
 */
export class VerifyQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  /** Passphrase checks running now and waiting for a slot (for the admins' health page). */
  load(): { readonly running: number; readonly waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Runs `task` when a slot is free; throws a 429 AppError (with Retry-After) when the line is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) {
        throw new AppError(429, 'busy', 'error.busy', { seconds: RETRY_AFTER_SECONDS }, {}, RETRY_AFTER_SECONDS);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next in line, so `running` stays counted.
      if (next) next();
      else this.running -= 1;
    }
  }
}

/** The hasher with every argon2 call going through the queue. */
export function queuedHasher(hasher: PassphraseHasher, queue: VerifyQueue): PassphraseHasher {
  return {
    hash: (passphrase) => queue.run(() => hasher.hash(passphrase)),
    verify: (hash, passphrase) => queue.run(() => hasher.verify(hash, passphrase)),
    verifyNothing: (passphrase) => queue.run(() => hasher.verifyNothing(passphrase)),
  };
}
