import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../logger.js';
import type { JobLeases } from './leases.js';

/** A job run on a schedule (a scan, a sweep), in the one process that holds its lease. */
export interface PeriodicJob {
  readonly everyMs: number;
  run(): Promise<unknown>;
  /** Also runs at start, when this process gets the lease: for what fell due while no process was running. */
  readonly atStart?: boolean;
  /** Also runs this long after start (on the system clock), for what can wait until the process has settled. */
  readonly firstAfterMs?: number;
  /** Whose timers schedule the runs: the system clock, or a test's. */
  readonly clock?: Clock;
}

/** A job that waits for work on its own (the delivery worker): started when its lease is taken, stopped when it is lost. */
export interface ExclusiveJob {
  start(): void;
  /** Resolves once the work in hand is finished. */
  stop(): Promise<void>;
  /** There is new work. */
  wake(): void;
}

interface Entry {
  readonly name: string;
  readonly periodic: PeriodicJob | null;
  readonly exclusive: ExclusiveJob | null;
  /** Until when this process holds the lease, in performance.now() time (0: not held). */
  heldUntil: number;
  /** The exclusive job runs in this process. */
  active: boolean;
  /** The periodic run in flight. */
  running: Promise<void> | null;
  cancel: (() => void) | null;
}

/**
 * The background jobs of an instance, each under a lease in the store (JobLeases) so that each runs in one
 * process however many share the database. A heartbeat every third of the lease's length renews the leases this
 * process holds and takes those that lapsed (their process died or hangs), in one write, and starts or stops the
 * exclusive jobs accordingly. A periodic run starts only while the lease is held, and a run still going when the
 * next is due makes that one skip, so a scan that outlasts its interval never overlaps itself. Holding a lease is
 * not what makes a state change happen once (a process that hung past its lease may still finish a run): such
 * changes are conditional writes of their own.
 */
export class BackgroundJobs {
  private readonly entries = new Map<string, Entry>();
  private heartbeat: (() => void) | null = null;
  private beating: Promise<void> | null = null;
  private started = false;
  private stopped = false;
  private relay: (job: string) => void = () => undefined;

  constructor(
    private readonly leases: JobLeases,
    private readonly logger: Logger,
  ) {}

  /** Runs `job` every `everyMs` while this process holds its lease. */
  every(name: string, job: PeriodicJob): void {
    this.add({ name, periodic: job, exclusive: null, heldUntil: 0, active: false, running: null, cancel: null });
  }

  /** Runs `job` while this process holds its lease. */
  exclusive(name: string, job: ExclusiveJob): void {
    this.add({ name, periodic: null, exclusive: job, heldUntil: 0, active: false, running: null, cancel: null });
  }

  /** How another process is told of new work for a job whose lease it may hold (see wake). */
  relayWakes(send: (job: string) => void): void {
    this.relay = send;
  }

  /** New work for an exclusive job: woken here when this process runs it, else the other processes are told. */
  wake(name: string): void {
    const entry = this.entries.get(name);
    if (entry?.active) entry.exclusive!.wake();
    else if (!this.stopped) this.relay(name);
  }

  /** Another process had new work for `name`: woken when this process runs it. */
  woken(name: string): void {
    const entry = this.entries.get(name);
    if (entry?.active) entry.exclusive!.wake();
  }

  /** Whether this process runs the exclusive job `name` now. */
  runs(name: string): boolean {
    return this.entries.get(name)?.active === true;
  }

  /** Each job, whether this process holds its lease now, and whether a run of it is in progress here (for the admins' health page). */
  status(): { readonly name: string; readonly kind: 'periodic' | 'exclusive'; readonly heldHere: boolean; readonly running: boolean }[] {
    const now = performance.now();
    return [...this.entries.values()].map((e) => ({
      name: e.name,
      kind: e.periodic ? 'periodic' : 'exclusive',
      heldHere: e.heldUntil > now,
      running: e.running !== null || e.active,
    }));
  }

  /** Takes the free leases, runs the jobs due at start, then keeps the leases and the schedules going. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.beat();
    for (const entry of this.entries.values()) if (entry.periodic?.atStart) await this.tick(entry);
    if (this.stopped) return;
    this.heartbeat = systemClock.every(Math.max(1, Math.floor(this.leases.ttlMs / 3)), () => this.beat());
    for (const entry of this.entries.values()) {
      const job = entry.periodic;
      if (!job) continue;
      const cancelEvery = (job.clock ?? systemClock).every(job.everyMs, () => this.tick(entry));
      const first = job.firstAfterMs === undefined ? null : setTimeout(() => void this.tick(entry), job.firstAfterMs);
      first?.unref();
      entry.cancel = () => {
        cancelEvery();
        if (first) clearTimeout(first);
      };
    }
  }

  /** Stops the schedules, lets the runs in hand finish, and releases the leases so another process takes over at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.heartbeat?.();
    for (const entry of this.entries.values()) entry.cancel?.();
    await this.beating;
    await Promise.all(
      [...this.entries.values()].map(async (entry) => {
        await entry.running;
        if (entry.active) {
          entry.active = false;
          await entry.exclusive!.stop().catch((error: unknown) => this.logger.error({ err: error, job: entry.name }, 'background job failed to stop'));
        }
      }),
    );
    if (!this.started) return;
    await this.leases.release([...this.entries.keys()]).catch((error: unknown) => this.logger.warn({ err: error }, 'job leases not released; they lapse'));
  }

  private add(entry: Entry): void {
    if (this.started || this.entries.has(entry.name)) throw new Error(`background job ${entry.name} added twice or after start`);
    this.entries.set(entry.name, entry);
  }

  private beat(): Promise<void> {
    this.beating ??= this.renew()
      .catch((error: unknown) => this.logger.error({ err: error }, 'job heartbeat failed'))
      .finally(() => {
        this.beating = null;
      });
    return this.beating;
  }

  private async renew(): Promise<void> {
    let held: Map<string, number>;
    try {
      held = await this.leases.hold([...this.entries.keys()]);
    } catch (error) {
      // Not knowing is not holding: the jobs wait for the next heartbeat rather than risk running twice.
      this.logger.warn({ err: error }, 'job lease check failed');
      held = new Map();
    }
    await Promise.all([...this.entries.values()].map((entry) => this.keep(entry, held.get(entry.name) ?? 0)));
  }

  /** Records the lease of one job, and starts or stops it when it is exclusive. */
  private async keep(entry: Entry, heldUntil: number): Promise<void> {
    entry.heldUntil = heldUntil;
    const job = entry.exclusive;
    if (job === null || this.stopped) return;
    const held = heldUntil > 0;
    if (held && !entry.active) {
      entry.active = true;
      this.logger.info({ job: entry.name, pid: process.pid }, 'job lease taken; running it here');
      job.start();
    } else if (!held && entry.active) {
      entry.active = false;
      this.logger.info({ job: entry.name, pid: process.pid }, 'job lease lost; stopping it here');
      await job.stop().catch((error: unknown) => this.logger.error({ err: error, job: entry.name }, 'background job failed to stop'));
    }
  }

  private tick(entry: Entry): Promise<void> {
    const job = entry.periodic;
    if (entry.running) return entry.running;
    if (job === null || this.stopped || performance.now() >= entry.heldUntil) return Promise.resolve();
    entry.running = job
      .run()
      .then(
        () => undefined,
        (error: unknown) => this.logger.error({ err: error, job: entry.name }, 'background job failed'),
      )
      .finally(() => {
        entry.running = null;
      });
    return entry.running;
  }
}
