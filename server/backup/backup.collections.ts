import { defineCollection } from '../store/port.js';

/** When the last backup was made: a day, not a time, so the record says no more than the admin page needs. */
export interface BackupRecordDoc {
  id: 'last';
  /** YYYY-MM-DD (UTC). */
  day: string;
}

export const backupsCollection = defineCollection<BackupRecordDoc>({
  name: 'backups',
  fields: {},
  indexes: [],
});
