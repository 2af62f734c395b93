import type { Store } from '../store/port.js';
import { backupsCollection } from './backup.collections.js';

export interface BackupStatus {
  /** The day (YYYY-MM-DD, UTC) of the last backup made with the CLI, or null. */
  readonly lastBackupDay: string | null;
}

/** Remembers when the last backup was made, for the admin pages. */
export class BackupService {
  constructor(private readonly store: Store) {}

  async recordBackup(now: number = Date.now()): Promise<void> {
    await this.store.collection(backupsCollection).upsert({ id: 'last', day: new Date(now).toISOString().slice(0, 10) });
  }

  async status(): Promise<BackupStatus> {
    const doc = await this.store.collection(backupsCollection).get('last');
    return { lastBackupDay: doc?.day ?? null };
  }
}
