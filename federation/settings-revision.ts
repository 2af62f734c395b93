import { foreignWrites } from '../server/core/foreign-writes.js';
import { randomToken } from '../server/crypto.js';
import type { Store } from '../server/store/port.js';
import { apSettingsCollection } from './federation.collections.js';

const REVISION = 'revision';

/**
 * Keeps what every process holds in memory of the federation settings (the deny list or allow-list and its mode,
 * the regional network's partners: read on every request) the same as the database, whichever process changed it.
 *
 * Every change writes a new revision (a random value) beside the settings. Before it answers from memory, a
 * process asks whether another process has written anything since it last looked (core/foreign-writes.ts: SQLite's
 * data_version, PostgreSQL's change feed); only then does it read the revision, and only when that differs does it
 * load the settings again. So a change shows in another process as a kept page does: on SQLite from the first
 * request after the writer's answer, on PostgreSQL within the change feed's bound.
 */
export class SettingsRevision {
  private readonly settings;
  private loaded: string | null = null;
  private foreignSeen = foreignWrites();
  private readonly reloaders: (() => Promise<void>)[] = [];
  private checking: Promise<void> | null = null;

  constructor(store: Store) {
    this.settings = store.collection(apSettingsCollection);
  }

  /** What to load again when another process changed the settings. */
  onChange(reload: () => Promise<void>): void {
    this.reloaders.push(reload);
  }

  /** Takes note of the revision the settings were first loaded at. */
  async start(): Promise<void> {
    this.foreignSeen = foreignWrites();
    this.loaded = (await this.settings.get(REVISION))?.value ?? null;
  }

  /**
   * After a change is written here and before it is loaded here: the other processes load it on their next look.
   * In that order, whichever of two changes made at once by two processes writes its revision last, each process
   * either loads after both or finds a revision that is not its own.
   */
  async changed(): Promise<void> {
    const value = randomToken(12);
    await this.settings.upsert({ id: REVISION, value, updatedAt: Date.now() });
    this.loaded = value;
  }

  /** Loads the settings again when another process changed them; costs nothing while no other process wrote. */
  current(): Promise<void> {
    const seen = foreignWrites();
    if (seen === this.foreignSeen) return this.checking ?? Promise.resolve();
    this.checking ??= this.check(seen).finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async check(seen: number): Promise<void> {
    const value = (await this.settings.get(REVISION))?.value ?? null;
    if (value !== this.loaded) {
      for (const reload of this.reloaders) await reload();
      this.loaded = value;
    }
    // Noted only once loaded: a failed read or load is tried again at the next look.
    this.foreignSeen = seen;
  }
}
