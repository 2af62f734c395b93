/**
 * At most `concurrency` image jobs run at once; the rest wait their turn, up to `maxWaiting`, after which an
 * upload is answered 503 with a wait, never queued without bound. Image work shares libuv's thread pool with
 * argon2 (log-ins) and the file system: two jobs at a time leave it room.
 */
import { mediaError } from './errors.js';

export class ImageQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency = 2,
    private readonly maxWaiting = 32,
  ) {}

  async run<R>(job: () => Promise<R>): Promise<R> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw mediaError(503, 'photo_queue_full', {}, 10);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next job, so `running` never dips while others wait.
      if (next) next();
      else this.running--;
    }
  }

  /** Jobs running and waiting, for tests and the bench. */
  get load(): { readonly running: number; readonly waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
