/**
 * Cache invalidation between the processes (and machines) on one MongoDB database, through a change stream on
 * the database, feeding the same hook as SQLite's data_version and PostgreSQL's change feed (core/foreign-writes.ts).
 *
 * Never run in this project's CI: no MongoDB server can be installed on its machines (README). Change streams
 * need a replica set (a single-node one is enough), as the adapter's transactions do.
 *
 * What it does: every change the stream reports drops what this process keeps in memory. The stream is asked
 * for each event's resume token only (`$project`), so no field of a document reaches this process that way. A
 * change cannot be told from this process's own, so its own writes drop its caches too: correct, and slower than
 * the other adapters. No bound is stated: the stream reports a commit when the server sends it. While the stream
 * is not open (at start, after an error, until it is opened again) every look counts as a foreign write, so
 * nothing is answered from memory meanwhile.
 */
import type { ChangeStream, Db } from 'mongodb';
import { foreignWriteSeen, registerLook } from '../../core/foreign-writes.js';
import type { ForeignWriteHook } from '../postgres/change-feed.js';

const REOPEN_MIN_MS = 100;
const REOPEN_MAX_MS = 5_000;

export interface MongoChangeStreamOptions {
  readonly hook?: ForeignWriteHook;
  /** A broken stream: logged by the owner, never thrown. */
  readonly onError?: (error: unknown) => void;
}

export class MongoChangeStream {
  private readonly hook: ForeignWriteHook;
  private stream: ChangeStream | null = null;
  /** The stream is open and reporting: only then may a process answer from memory. */
  private open = false;
  private closed = false;
  private reopenDelay = REOPEN_MIN_MS;
  private reopenTimer: NodeJS.Timeout | null = null;
  private readonly unregisterLook: () => void;

  constructor(
    private readonly db: Db,
    private readonly options: MongoChangeStreamOptions = {},
  ) {
    this.hook = options.hook ?? { seen: foreignWriteSeen, register: registerLook };
    this.unregisterLook = this.hook.register(() => {
      if (!this.open) this.hook.seen();
    });
  }

  /** Opens the stream and waits until the server has it (the first open must succeed, later ones are retried). */
  start(): Promise<void> {
    return this.connect();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.unregisterLook();
    const stream = this.stream;
    this.stream = null;
    await stream?.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const stream = this.db.watch([{ $project: { _id: 1 } }]);
    this.stream = stream;
    try {
      // Opens the cursor on the server (null: no change yet); the driver resumes it by itself after resumable errors.
      await stream.tryNext();
    } catch (error) {
      this.lost(stream);
      throw error;
    }
    if (this.closed) return;
    this.open = true;
    this.reopenDelay = REOPEN_MIN_MS;
    // Changes made before the stream opened were not reported.
    this.hook.seen();
    void this.follow(stream);
  }

  private async follow(stream: ChangeStream): Promise<void> {
    try {
      while (this.stream === stream) {
        await stream.next();
        this.hook.seen();
      }
    } catch (error) {
      // Closed on purpose, or replaced already.
      if (this.closed || this.stream !== stream) return;
      this.lost(stream);
      this.options.onError?.(error);
      this.scheduleReopen();
    }
  }

  private lost(stream: ChangeStream): void {
    if (this.stream !== stream) return;
    this.stream = null;
    this.open = false;
    this.hook.seen();
    void stream.close().catch(() => undefined);
  }

  private scheduleReopen(): void {
    if (this.closed || this.reopenTimer) return;
    const delay = this.reopenDelay;
    this.reopenDelay = Math.min(REOPEN_MAX_MS, this.reopenDelay * 2);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = null;
      if (this.closed) return;
      this.connect().catch((error: unknown) => {
        this.options.onError?.(error);
        this.scheduleReopen();
      });
    }, delay);
    this.reopenTimer.unref();
  }
}
