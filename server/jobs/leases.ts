import { performance } from 'node:perf_hooks';
import { DuplicateKeyError, type Store } from '../store/port.js';
import { jobLeasesCollection } from './jobs.collections.js';

/**
 * Leases on background jobs, kept in the store so that every process on the database (one machine's workers
 * or several machines') sees the same ones. Taking and renewing a lease is a patchIf on the holder and the lapse
 * time just read, which only one of two racing processes wins; all of a process's leases are renewed in one
 * transaction, one write. Lapse times are the database's (Store.now()), never a process's own clock, so
 * machines whose clocks disagree still agree on whether a lease has lapsed.
 */
export class JobLeases {
  private readonly leases;
  private readonly known = new Set<string>();

  constructor(
    private readonly store: Store,
    /** This process's random id. */
    readonly holder: string,
    /** How long a lease lasts from its last renewal. */
    readonly ttlMs: number,
  ) {
    this.leases = store.collection(jobLeasesCollection);
  }

  /**
   * Takes the leases of `jobs` that are free or lapsed and renews those this process holds. Returns, for each job
   * held now, until when it is held in this process's monotonic time (performance.now()): measured from before
   * the database's time was read, so it never outlasts the lease as the other processes see it.
   */
  async hold(jobs: readonly string[]): Promise<Map<string, number>> {
    await this.ensure(jobs);
    const asked = performance.now();
    const now = await this.store.now();
    const until = now + this.ttlMs;
    const held = await this.store.transaction(async (tx) => {
      const col = tx.collection(jobLeasesCollection);
      const got: string[] = [];
      for (const lease of await col.getMany(jobs)) {
        if (lease.holder !== this.holder && lease.holder !== null && lease.until > now) continue;
        if (await col.patchIf(lease.id, { holder: lease.holder, until: lease.until }, { holder: this.holder, until })) got.push(lease.id);
      }
      return got;
    });
    return new Map(held.map((job) => [job, asked + this.ttlMs]));
  }

  /** Gives up the leases this process holds, so that another process takes the jobs over at once rather than when they lapse. */
  async release(jobs: readonly string[]): Promise<void> {
    await this.store.transaction(async (tx) => {
      const col = tx.collection(jobLeasesCollection);
      for (const lease of await col.getMany(jobs)) {
        if (lease.holder === this.holder) await col.patchIf(lease.id, { holder: this.holder, until: lease.until }, { holder: null, until: 0 });
      }
    });
  }

  /** Makes the lease documents that do not exist yet, free; another process making one at the same time is as good. */
  private async ensure(jobs: readonly string[]): Promise<void> {
    for (const job of jobs) {
      if (this.known.has(job)) continue;
      try {
        await this.leases.insert({ id: job, holder: null, until: 0 });
      } catch (error) {
        if (!(error instanceof DuplicateKeyError)) throw error;
      }
      this.known.add(job);
    }
  }
}
