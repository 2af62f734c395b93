import crypto from 'node:crypto';
import type { Channels } from '../realtime/realtime.js';
import { randomToken } from '../crypto.js';

/**
 * How many members have a room open, over every process of the instance (the count a room shows).
 *
 * Each process knows only its own sockets. So each tells the others, through socket.io's adapter (the cluster
 * primary, or PostgreSQL's notifications), its own count per room whenever that count changes: the room's id and a
 * number, never who. A room's count is this process's own plus the latest count each other process told.
 *
 * A process that stops (or is killed) stops telling: every process says it is alive every ALIVE_EVERY_MS, with a
 * digest of the counts it has told, and one not heard from for FORGET_AFTER_MS is forgotten with its counts. A
 * process that finds its view of another's counts differs from that digest (it started late, or a notification
 * was lost while a connection was broken) asks for them again, and that process sends them all afresh.
 *
 * A member with a room open on two processes counts on each (telling which sockets are the same member would need
 * an identifier to pass between the processes).
 */
export const ALIVE_EVERY_MS = 5_000;
export const FORGET_AFTER_MS = 3 * ALIVE_EVERY_MS;

const COUNT = 'presence-count';
const ALIVE = 'presence-alive';
const ASK = 'presence-ask';
const RESET = 'presence-reset';

export interface PresenceDeps {
  readonly channels: Pick<Channels, 'onOthers' | 'tellOthers' | 'onClose' | 'shared'>;
  /** This process's own count for the room. */
  readonly localCount: (roomId: string) => number;
  /** The room's count may have changed through another process. */
  readonly changed: (roomId: string) => void;
  readonly now?: () => number;
}

interface Other {
  heardAt: number;
  readonly rooms: Map<string, number>;
}

export class RoomPresence {
  private readonly self = randomToken(9);
  /** What this process last told the others, per room (rooms at 0 are left out). */
  private readonly told = new Map<string, number>();
  private readonly others = new Map<string, Other>();
  private readonly now: () => number;

  constructor(private readonly deps: PresenceDeps) {
    this.now = deps.now ?? Date.now;
    const { channels } = deps;
    if (!channels.shared) return;
    channels.onOthers(COUNT, (process, roomId, count) => this.heard(process, roomId, count));
    channels.onOthers(ALIVE, (process, digest) => {
      const other = this.other(process);
      if (other !== null && digestOf(other.rooms) !== digest) channels.tellOthers(ASK, process);
    });
    channels.onOthers(ASK, (process) => {
      if (process !== this.self) return;
      channels.tellOthers(RESET, this.self);
      for (const [roomId, count] of this.told) channels.tellOthers(COUNT, this.self, roomId, String(count));
    });
    channels.onOthers(RESET, (process) => {
      const other = this.other(process);
      if (other === null) return;
      const rooms = [...other.rooms.keys()];
      other.rooms.clear();
      for (const roomId of rooms) deps.changed(roomId);
    });
    const timer = setInterval(() => this.beat(), ALIVE_EVERY_MS);
    timer.unref();
    channels.onClose(() => clearInterval(timer));
    this.beat();
  }

  /** The room's count over every process. */
  online(roomId: string): number {
    this.forgetSilent();
    let total = this.deps.localCount(roomId);
    for (const other of this.others.values()) total += other.rooms.get(roomId) ?? 0;
    return total;
  }

  /** This process's count for the room may have changed: the others hear of it when it did. */
  localChanged(roomId: string): void {
    if (!this.deps.channels.shared) return;
    const count = this.deps.localCount(roomId);
    if ((this.told.get(roomId) ?? 0) === count) return;
    if (count === 0) this.told.delete(roomId);
    else this.told.set(roomId, count);
    this.deps.channels.tellOthers(COUNT, this.self, roomId, String(count));
  }

  private beat(): void {
    this.forgetSilent();
    this.deps.channels.tellOthers(ALIVE, this.self, digestOf(this.told));
  }

  /** The other process's record, made on first hearing; null for this process's own messages. */
  private other(process: string): Other | null {
    if (process === this.self) return null;
    let other = this.others.get(process);
    if (!other) this.others.set(process, (other = { heardAt: 0, rooms: new Map() }));
    other.heardAt = this.now();
    return other;
  }

  private heard(process: string, roomId: string, count: string): void {
    const other = this.other(process);
    const n = Number(count);
    if (other === null || !Number.isSafeInteger(n) || n < 0) return;
    if ((other.rooms.get(roomId) ?? 0) === n) return;
    if (n === 0) other.rooms.delete(roomId);
    else other.rooms.set(roomId, n);
    this.deps.changed(roomId);
  }

  private forgetSilent(): void {
    const cutoff = this.now() - FORGET_AFTER_MS;
    for (const [process, other] of this.others) {
      if (other.heardAt >= cutoff) continue;
      this.others.delete(process);
      for (const roomId of other.rooms.keys()) this.deps.changed(roomId);
    }
  }
}

/** Names the counts told (an order-independent digest), so that another process can check it holds the same. */
function digestOf(rooms: ReadonlyMap<string, number>): string {
  const entries = [...rooms].map(([roomId, count]) => `${roomId}=${count}`).sort();
  return crypto.createHash('sha256').update(entries.join(';')).digest('base64url').slice(0, 22);
}
