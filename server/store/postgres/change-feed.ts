/**
 * Cache invalidation between the processes (and machines) on one PostgreSQL database, through PostgreSQL itself
 * (LISTEN/NOTIFY), feeding the same hook as SQLite's data_version (core/foreign-writes.ts).
 *
 * Every committed write is announced on the database's changes channel with the collection and the ids written,
 * never a field of a document. A write inside a transaction is announced by a NOTIFY on the transaction's own
 * connection, which PostgreSQL delivers with the commit or not at all; a write outside one is announced right
 * after it commits, before the write's promise resolves, so before the writer's response.
 *
 * The bound, BOUND_MS: a process answers from what it keeps in memory only while it can vouch that it has heard
 * every announcement committed up to BOUND_MS ago. It sends itself a ping on a channel of its own every
 * PING_EVERY_MS; PostgreSQL delivers notifications in commit order, so once a ping sent at time T comes back,
 * every announcement committed before T has been heard. When the newest ping heard was sent more than BOUND_MS ago
 * (a slow or broken connection, a blocked event loop), the process treats it as a foreign write and drops what it
 * keeps, and keeps nothing, until a ping comes back in time. A change committed more than BOUND_MS before a
 * request therefore shows in its answer, whatever the load.
 *
 * The listening connection is a dedicated one, outside the pool; when it breaks it is opened again (backing off
 * up to RECONNECT_MAX_MS), and whatever may have been missed meanwhile is treated as a foreign write.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { foreignWriteSeen, registerLook } from '../../core/foreign-writes.js';

/** The stated bound (see above). */
export const BOUND_MS = 100;
const PING_EVERY_MS = 30;
/** Pings stop when nothing has asked for this long: every kept answer has expired by then (their lifetime is 60 s). */
const IDLE_AFTER_MS = 60_000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;
/** NOTIFY refuses payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7_900;

/** Collection name to the ids written (null: not known, e.g. a deleteWhere). */
export type Changes = Map<string, Set<string> | null>;

export function addChange(changes: Changes, collection: string, id: string | null): void {
  if (!changes.has(collection)) {
    changes.set(collection, id === null ? null : new Set([id]));
    return;
  }
  const ids = changes.get(collection);
  if (id === null) changes.set(collection, null);
  else ids?.add(id);
}

/** Where what is heard goes: the process's foreign-writes hook (core/foreign-writes.ts) unless given. */
export interface ForeignWriteHook {
  /** Another process wrote to these collections (null: any, or this one cannot vouch that none did). */
  seen(collections?: readonly string[] | null): void;
  /** How caches ask this feed before they answer; returns how to stop. */
  register(look: () => void): () => void;
}

export interface ChangeFeedOptions {
  readonly url: string;
  /** From databaseScope(): names the channels. */
  readonly scope: string;
  readonly boundMs?: number;
  readonly now?: () => number;
  readonly hook?: ForeignWriteHook;
  /** A broken listening connection or a failed announcement: logged by the owner, never thrown. */
  readonly onError?: (error: unknown) => void;
}

export class ChangeFeed {
  /** Tells this feed's own announcements from others' (ids of a random draw, per store, never written down). */
  private readonly origin = crypto.randomBytes(9).toString('base64url');
  readonly channel: string;
  private readonly pingChannel: string;
  private readonly boundMs: number;
  private readonly now: () => number;
  private readonly hook: ForeignWriteHook;
  private client: pg.Client | null = null;
  private closed = false;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly pingTimer: NodeJS.Timeout;
  /** When the newest ping heard back was sent. */
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private pingInFlight = false;
  /** Pings start with the feed: by the time caches first ask, it can usually vouch already. */
  private lastLookAt: number;
  private readonly unregisterLook: () => void;
  private queued: Changes = new Map();
  private waiting: (() => void)[] = [];
  private sending = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: ChangeFeedOptions,
  ) {
    this.channel = `parasol_changes_${options.scope}`;
    this.pingChannel = `parasol_ping_${options.scope}_${crypto.randomBytes(6).toString('hex')}`;
    this.boundMs = options.boundMs ?? BOUND_MS;
    this.now = options.now ?? Date.now;
    this.hook = options.hook ?? { seen: foreignWriteSeen, register: registerLook };
    this.lastLookAt = this.now();
    this.pingTimer = setInterval(() => {
      if (this.now() - this.lastLookAt <= IDLE_AFTER_MS) this.ping();
    }, Math.max(1, Math.min(PING_EVERY_MS, Math.floor(this.boundMs / 3))));
    this.pingTimer.unref();
    this.unregisterLook = this.hook.register(() => this.look());
  }

  /** Opens the listening connection; the first one must succeed, later ones are retried. */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Whether this process can vouch now for what it keeps (see the bound above). */
  vouches(): boolean {
    return this.client !== null && this.now() - this.confirmedAt <= this.boundMs;
  }

  /** Every announcement committed before this time has been heard (the send time of the newest ping heard back). */
  heardUpTo(): number {
    return this.confirmedAt;
  }

  /** Announces an autocommitted write; writes made while one announcement is on its way share the next. */
  announce(collection: string, id: string | null): Promise<void> {
    addChange(this.queued, collection, id);
    const done = new Promise<void>((resolve) => this.waiting.push(resolve));
    if (!this.sending) void this.send();
    return done;
  }

  /** Announces a transaction's writes on its own connection: delivered with its commit, or never. */
  async announceIn(client: pg.PoolClient, changes: Changes): Promise<void> {
    if (changes.size === 0) return;
    await client.query('SELECT pg_notify($1, $2)', [this.channel, this.payload(changes)]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.unregisterLook();
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private look(): void {
    this.lastLookAt = this.now();
    if (this.vouches()) return;
    this.hook.seen();
    this.ping();
  }

  private async send(): Promise<void> {
    this.sending = true;
    while (this.waiting.length > 0) {
      const changes = this.queued;
      const waiting = this.waiting;
      this.queued = new Map();
      this.waiting = [];
      try {
        await this.pool.query('SELECT pg_notify($1, $2)', [this.channel, this.payload(changes)]);
      } catch (error) {
        // The write itself is committed and must not be reported as failed; other processes may keep an older
        // answer until their pings fail or the answer expires.
        this.options.onError?.(error);
      }
      for (const resolve of waiting) resolve();
    }
    this.sending = false;
  }

  /** Ids only; when they would not fit, the collections alone (a receiver drops everything either way). */
  private payload(changes: Changes): string {
    const written = Object.fromEntries([...changes].map(([collection, ids]) => [collection, ids ? [...ids] : []]));
    const full = JSON.stringify({ o: this.origin, w: written });
    if (Buffer.byteLength(full) <= MAX_PAYLOAD_BYTES) return full;
    const names = JSON.stringify({ o: this.origin, w: Object.fromEntries([...changes.keys()].map((name) => [name, []])) });
    return Buffer.byteLength(names) <= MAX_PAYLOAD_BYTES ? names : JSON.stringify({ o: this.origin, w: {} });
  }

  private ping(): void {
    const client = this.client;
    if (client === null || this.pingInFlight) return;
    this.pingInFlight = true;
    client.query('SELECT pg_notify($1, $2)', [this.pingChannel, String(this.now())]).then(
      () => {
        this.pingInFlight = false;
      },
      () => {
        // The connection's 'error' or 'end' handler reconnects.
        this.pingInFlight = false;
      },
    );
  }

  private onNotification(message: pg.Notification): void {
    if (message.channel === this.pingChannel) {
      const sentAt = Number(message.payload);
      if (Number.isFinite(sentAt) && sentAt > this.confirmedAt) this.confirmedAt = sentAt;
      return;
    }
    if (message.channel !== this.channel) return;
    let written: string[] | null = null;
    try {
      const parsed = JSON.parse(message.payload ?? '') as { o?: unknown; w?: unknown };
      if (parsed.o === this.origin) return;
      // Collections named with no ids were too many to list ids (see payload()): still those collections.
      if (parsed.w && typeof parsed.w === 'object' && Object.keys(parsed.w).length > 0) written = Object.keys(parsed.w);
    } catch {
      // Not ours to read: dropping what is kept is always safe.
    }
    this.hook.seen(written);
  }

  private async connect(): Promise<void> {
    // Named, so that an operator can tell these long-lived idle connections from the pool's.
    const client = new pg.Client({ connectionString: this.options.url, application_name: `parasol-changes-${this.options.scope}` });
    client.on('notification', (message) => this.onNotification(message));
    client.on('error', (error) => {
      this.options.onError?.(error);
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      await client.query(`LISTEN "${this.pingChannel}"`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
    // Announcements sent while no connection listened are lost.
    this.hook.seen();
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.confirmedAt = Number.NEGATIVE_INFINITY;
    this.pingInFlight = false;
    this.hook.seen();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(RECONNECT_MAX_MS, this.reconnectDelay * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect().catch((error: unknown) => {
        this.options.onError?.(error);
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }
}
