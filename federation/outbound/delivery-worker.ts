import type { Logger } from '../../server/logger.js';
import type { ClaimedDelivery, DeliveryQueue } from './delivery-queue.js';
import { FetchError, postActivity, type OutboundOptions, type Signer } from '../fetch.js';
import { hostOf } from '../as.js';

export interface DeliveryOptions extends OutboundOptions {
  /** Deliveries in flight at once. */
  readonly concurrency: number;
  /** Longest wait before the queue is looked at again (new work also wakes the worker at once). */
  readonly idlePollMs?: number;
}

export interface DeliveryDeps {
  readonly queue: DeliveryQueue;
  readonly signer: (actorId: string) => Promise<Signer | null>;
  readonly logger: Logger;
  /** Told when the receiving server refused a delivery for good (a 4xx answer retrying cannot mend). */
  readonly onRefused?: (delivery: ClaimedDelivery, status: number) => Promise<void>;
}

/**
 * Sends queued activities. It replaces apex's delivery loop, which is one
 * module-wide loop sending one request at a time, retrying with apex's own
 * schedule and calling any address, loopback included, in production.
 *
 * Deliveries live in the queue (apex enqueues them through the store's
 * deliveryEnqueue; apex already de-duplicates shared inboxes when it
 * addresses an activity). The worker claims due ones for a lease, sends up to
 * `concurrency` at once, each signed with its actor's key and only to an
 * address the SSRF rules allow, and then deletes it (2xx, or a 4xx that
 * retrying cannot mend) or schedules the next try with exponential back-off
 * until the delivery is 48 hours old. A crash or restart loses nothing: an
 * unfinished claim simply becomes due again when its lease runs out.
 * Deliveries that went through are removed together, a batch per turn of the
 * event loop rather than a write each: a crash in between sends them once
 * more, which receivers take as the same activity (its id).
 *
 * It runs in one process of an instance at a time, the one holding its job
 * lease, which starts and stops it (server/jobs); until started it sends
 * nothing. Claims are conditional writes all the same, so a process that
 * hung past its lease and another that took the lease over never claim one
 * delivery both.
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private readonly leaseMs: number;
  private delivered: ClaimedDelivery[] = [];
  private removing: Promise<void> | null = null;

  constructor(
    private readonly deps: DeliveryDeps,
    private readonly options: DeliveryOptions,
  ) {
    this.leaseMs = options.timeoutMs * 2 + 30_000;
  }

  /** Starts sending, beginning with what is due in the queue (deliveries left from before a restart, or from another process). */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Looks at the queue now (called whenever apex queues something). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.running = this.run()
      .catch((error: unknown) => this.deps.logger.error({ err: error }, 'delivery worker failed'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        } else {
          void this.scheduleNext();
        }
      });
  }

  /** Stops sending, once the deliveries in flight are done; start() resumes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.again = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private async run(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    for (;;) {
      if (this.stopped) break;
      const free = this.options.concurrency - inFlight.size;
      if (free > 0) {
        const batch = await this.deps.queue.claimDue(free, this.leaseMs);
        for (const delivery of batch) {
          const task: Promise<void> = this.send(delivery).finally(() => inFlight.delete(task));
          inFlight.add(task);
        }
        if (batch.length === 0 && inFlight.size === 0) break;
        if (batch.length === free) continue;
      }
      if (inFlight.size > 0) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    await this.removing;
  }

  /** Removes `delivery` from the queue with the others delivered in this turn of the event loop. */
  private done(delivery: ClaimedDelivery): Promise<void> {
    this.delivered.push(delivery);
    this.removing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      const batch = this.delivered;
      this.delivered = [];
      this.removing = null;
      await this.deps.queue.completeDeliveries(batch);
    });
    return this.removing;
  }

  private async scheduleNext(): Promise<void> {
    if (this.stopped) return;
    const next = await this.deps.queue.nextDueAt().catch(() => null);
    if (this.stopped || this.running) return;
    const idle = this.options.idlePollMs ?? 60_000;
    const wait = next === null ? idle : Math.max(0, Math.min(next - Date.now(), idle));
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, wait);
    this.timer.unref();
  }

  private async send(delivery: ClaimedDelivery): Promise<void> {
    const { queue, logger } = this.deps;
    const host = hostOf(delivery.address) ?? 'invalid';
    const signer = await this.deps.signer(delivery.actorId);
    if (!signer) {
      // The actor is gone (or is not ours): nothing can sign this any more.
      await queue.failDelivery(delivery, true);
      logger.warn({ host }, 'delivery dropped: no key for its actor');
      return;
    }
    try {
      const result = await postActivity(delivery.address, delivery.body, signer, this.options);
      if (result.status >= 200 && result.status < 300) {
        await this.done(delivery);
        logger.debug({ host, status: result.status }, 'delivered');
        return;
      }
      const transient = result.status >= 500 || result.status === 429 || result.status === 408;
      const retried = await queue.failDelivery(delivery, !transient, result.retryAfterMs);
      logger.info({ host, status: result.status, attempt: delivery.attempt + 1, retried }, 'delivery refused');
      if (!transient) {
        await this.deps.onRefused?.(delivery, result.status).catch((error: unknown) => logger.error({ err: error }, 'telling of a refused delivery failed'));
      }
    } catch (error) {
      const transient = error instanceof FetchError ? error.transient : true;
      const retried = await queue.failDelivery(delivery, !transient);
      logger.info({ host, reason: error instanceof Error ? error.message : 'error', attempt: delivery.attempt + 1, retried }, 'delivery failed');
    }
  }
}
