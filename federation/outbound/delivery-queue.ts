import { StoreError, type Store, type TxScope } from '../../server/store/port.js';
import { eachPage } from '../../server/store/paging.js';
import { newId } from '../../server/crypto.js';
import { apDeliveriesCollection, type ApDeliveryDoc, type DeliveryTarget } from '../apex.collections.js';

/** An activity's queued sending: signed by `actorId`'s key, `body` to each of `addresses`. */
export interface Delivery {
  readonly actorId: string;
  readonly body: string;
  readonly addresses: readonly string[];
}

/** One inbox of a queued activity, claimed for sending. */
export interface ClaimedDelivery {
  /** The queued activity's id; with the address, what the queue knows the delivery by. */
  readonly id: string;
  readonly address: string;
  readonly actorId: string;
  readonly body: string;
  readonly attempt: number;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface DeliveryQueueOptions {
  /** A delivery is given up this long after it was queued. */
  readonly deliveryMaxAgeMs: number;
  /** The first retry waits this long; each further one twice as long (see retryDelay). */
  readonly retryBaseMs: number;
  /** Clock, for tests. */
  readonly now?: () => number;
  /** Told when deliveries are queued (wakes the delivery worker), whoever queued them. */
  readonly onEnqueued?: () => void;
}

const PAGE = 500;
/** A row written by other processes this many times while one process tries to change it is a fault, not a race. */
const MAX_WRITE_ATTEMPTS = 5;

/**
 * Ids of queued activities start with the time, so that new rows go to the end of the primary-key index
 * rather than each to a page of its own. They never appear outside the database.
 */
const deliveryId = () => `${Date.now().toString(36).padStart(9, '0')}${newId()}`;

/** The earliest time any of `targets` is due. */
const earliest = (targets: readonly DeliveryTarget[]): number => targets.reduce((min, t) => Math.min(min, t.nextAt), Infinity);

/** Waits between attempts: base·2^n, at most 6 hours, with a tenth of jitter so failed inboxes are not retried in lockstep. */
export function retryDelay(attempt: number, baseMs: number, random = Math.random): number {
  const raw = Math.min(baseMs * 2 ** Math.min(attempt, 30), 6 * 3_600_000);
  return Math.round(raw * (0.9 + random() * 0.2));
}

/**
 * The queue of activities waiting to be sent, one row per activity with one
 * target per inbox, each scheduled on its own. Rows hold no signing key: the
 * worker reads it from the actor when it sends. Activities are queued by apex
 * (the store's deliveryEnqueue), by Parasol's own publishing, in the same
 * transaction as the activity (PortApexStore.publish), and by the partner
 * network; the delivery worker (delivery-worker.ts) claims, completes and
 * fails them.
 */
export class DeliveryQueue {
  private readonly deliveries;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly options: DeliveryQueueOptions,
  ) {
    this.deliveries = store.collection(apDeliveriesCollection);
    this.now = options.now ?? Date.now;
  }

  /** Queues `body` for each of `addresses` (each once); false when there is no address. */
  async enqueue(delivery: Delivery): Promise<boolean> {
    const row = this.row(delivery);
    if (!row) return false;
    await this.deliveries.insert(row);
    this.enqueued();
    return true;
  }

  /**
   * Queues `delivery` within the caller's transaction (which stores the activity with it); the caller calls
   * enqueued() once that has committed. Returns whether anything was queued.
   */
  async enqueueIn(tx: TxScope, delivery: Delivery): Promise<boolean> {
    const row = this.row(delivery);
    if (!row) return false;
    await tx.collection(apDeliveriesCollection).insert(row);
    return true;
  }

  /** The queue's row for a delivery (each address once), or null when there is no address. */
  private row(delivery: Delivery): ApDeliveryDoc | null {
    const list = [...new Set(delivery.addresses.filter((a) => typeof a === 'string' && a !== ''))];
    if (list.length === 0) return null;
    const now = this.now();
    const targets = list.map((address) => ({ address, attempt: 0, nextAt: now }));
    return { id: deliveryId(), actorId: delivery.actorId, body: delivery.body, targets, nextAt: now, createdAt: now, expiresAt: now + this.options.deliveryMaxAgeMs };
  }

  /** Wakes the worker for what was just queued. */
  enqueued(): void {
    this.options.onEnqueued?.();
  }

  /**
   * Claims up to `limit` due deliveries for `leaseMs`: they stay in the store
   * with a later due time, so a crash while sending only delays them.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const now = this.now();
    return this.store.transaction(async (tx) => {
      const col = tx.collection(apDeliveriesCollection);
      // Each due activity has at least one due inbox, so `limit` activities are enough.
      const due = await col.find({ orderBy: { field: 'nextAt' }, range: { lte: now }, limit });
      const claimed: ClaimedDelivery[] = [];
      for (const doc of due.items) {
        const mine: ClaimedDelivery[] = [];
        const targets = doc.targets.map((t) => {
          if (t.nextAt > now || claimed.length + mine.length >= limit) return t;
          mine.push({ id: doc.id, address: t.address, actorId: doc.actorId, body: doc.body, attempt: t.attempt, createdAt: doc.createdAt, expiresAt: doc.expiresAt });
          return { ...t, nextAt: now + leaseMs };
        });
        // Due -> being sent happens once: a row another process wrote since it was read here is left to that process.
        if (mine.length > 0 && (await col.patchIf(doc.id, { rev: doc.rev ?? null }, { targets, nextAt: earliest(targets), rev: (doc.rev ?? 0) + 1 }))) {
          claimed.push(...mine);
        }
        if (claimed.length >= limit) break;
      }
      return claimed;
    });
  }

  /** When the next delivery is due, or null when the queue is empty. */
  async nextDueAt(): Promise<number | null> {
    const next = (await this.deliveries.find({ orderBy: { field: 'nextAt' }, limit: 1 })).items[0];
    return next ? next.nextAt : null;
  }

  /** Removes delivered deliveries, all in one transaction (a worker hands them over in batches). */
  async completeDeliveries(done: readonly Pick<ClaimedDelivery, 'id' | 'address'>[]): Promise<void> {
    if (done.length === 0) return;
    const byActivity = new Map<string, Set<string>>();
    for (const d of done) byActivity.set(d.id, (byActivity.get(d.id) ?? new Set()).add(d.address));
    await this.store.transaction(async (tx) => {
      for (const doc of await tx.collection(apDeliveriesCollection).getMany([...byActivity.keys()])) {
        const addresses = byActivity.get(doc.id)!;
        await this.changeTargets(tx, doc, (targets) => targets.filter((t) => !addresses.has(t.address)));
      }
    });
  }

  /** Schedules the next attempt, or drops the delivery when it is permanent or too old; returns whether it will be retried. */
  async failDelivery(delivery: ClaimedDelivery, permanent: boolean, notBefore = 0): Promise<boolean> {
    const now = this.now();
    const nextAt = Math.max(now + retryDelay(delivery.attempt, this.options.retryBaseMs), now + notBefore);
    const retried = !permanent && nextAt <= delivery.expiresAt;
    return this.store.transaction(async (tx) => {
      const doc = await tx.collection(apDeliveriesCollection).get(delivery.id);
      if (!doc?.targets.some((t) => t.address === delivery.address)) return false;
      await this.changeTargets(tx, doc, (targets) =>
        retried
          ? targets.map((t) => (t.address === delivery.address ? { ...t, attempt: delivery.attempt + 1, nextAt } : t))
          : targets.filter((t) => t.address !== delivery.address),
      );
      return retried;
    });
  }

  /** Deliveries still queued: inboxes not yet reached, over every queued activity. */
  async pendingDeliveries(): Promise<number> {
    let pending = 0;
    await eachPage(
      (after) => this.deliveries.find({ orderBy: { field: 'nextAt' }, limit: PAGE, after }),
      (doc) => {
        pending += doc.targets.length;
      },
    );
    return pending;
  }

  /**
   * Writes what `change` leaves of a queued activity's inboxes, or deletes the row when none is left. The write is
   * conditional on the row as read (its rev); when another process wrote it in between, the row is read again and
   * changed anew.
   */
  private async changeTargets(tx: TxScope, read: ApDeliveryDoc, change: (targets: readonly DeliveryTarget[]) => DeliveryTarget[]): Promise<void> {
    const col = tx.collection(apDeliveriesCollection);
    let doc: ApDeliveryDoc | null = read;
    for (let attempt = 1; doc !== null; attempt++) {
      const current: ApDeliveryDoc = doc;
      const targets = change(current.targets);
      if (targets.length === current.targets.length && targets.every((t, i) => t === current.targets[i])) return;
      // What is left were this process's to finish: nothing another process may still change.
      if (targets.length === 0) {
        await col.delete(current.id);
        return;
      }
      if (await col.patchIf(current.id, { rev: current.rev ?? null }, { targets, nextAt: earliest(targets), rev: (current.rev ?? 0) + 1 })) return;
      if (attempt >= MAX_WRITE_ATTEMPTS) throw new StoreError(`queued delivery ${current.id} kept changing under ${attempt} writes`);
      doc = await col.get(current.id);
    }
  }
}
