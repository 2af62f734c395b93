import { foreignWritesTo } from './foreign-writes.js';

/**
 * What a service keeps in memory of a few small collections it reads on most requests (the word filters, the
 * areas, the push keys), read again when another process (another worker, another machine) wrote one of them.
 *
 * `current()` costs nothing while no other process wrote those collections (core/foreign-writes.ts: SQLite's
 * marks, PostgreSQL's change feed); after such a write it reads them again, and every caller until that read is
 * done waits for it. So a change made through another process holds here from the first request after the writer's
 * answer on SQLite, and within the change feed's bound on PostgreSQL. Reads run one after another, so an older
 * read can never finish last and put back what a newer one replaced.
 */
export class KeptCopy {
  /** The count of foreign writes the copy is as new as; nothing read yet, the first look reads. */
  private seen = Number.NaN;
  private latest: Promise<void> = Promise.resolve();

  constructor(
    private readonly collections: readonly string[],
    private readonly read: () => Promise<void>,
  ) {}

  /** Resolves once the copy holds every write of another process seen before the call. */
  current(): Promise<void> {
    const count = foreignWritesTo(this.collections);
    if (count !== this.seen) {
      this.seen = count;
      this.latest = this.queued();
    }
    return this.latest;
  }

  /** Reads now, after any read on its way: at start, and after this process wrote the collections itself. */
  reread(): Promise<void> {
    this.seen = foreignWritesTo(this.collections);
    this.latest = this.queued();
    return this.latest;
  }

  private queued(): Promise<void> {
    const next = this.latest.catch(() => undefined).then(() => this.read());
    // A failed read is tried again at the next look, not kept as the answer until the next foreign write.
    next.catch(() => {
      if (this.latest === next) this.seen = Number.NaN;
    });
    return next;
  }
}
