import fs from 'node:fs';
import type { Config } from '../config.js';
import { openStore, parseDatabaseUrl } from '../store/open-store.js';
import { BackupError, encryptDatabase, restoreBackup, writeBackup, type AgeKeys } from './archive.js';
import { backupsCollection } from './backup.collections.js';
import { BackupService } from './backup.service.js';

export const backupUsage = `  backup FILE (--recipient AGE_PUBLIC_KEY… | --passphrase-file PATH)
                             write an encrypted backup of the running or stopped instance
  restore FILE (--identity-file PATH | --passphrase-file PATH)
                             check a backup and restore it into the empty DATA_DIR
  encrypt-database           encrypt the existing plain database with DATABASE_KEY (instance stopped)
`;

export const backupCommands = new Set(['backup', 'restore', 'encrypt-database']);

/** A file's content without the line end an editor adds. */
const readLine = (file: string) => {
  try {
    return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch {
    throw new BackupError(`cannot read ${file}`);
  }
};

function parseKeys(args: readonly string[]): { readonly file: string | undefined; readonly keys: AgeKeys } {
  let file: string | undefined;
  const recipients: string[] = [];
  const identities: string[] = [];
  let passphrase: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new BackupError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--recipient') recipients.push(value());
    else if (arg === '--passphrase-file') passphrase = readLine(value());
    else if (arg === '--identity-file') identities.push(...readLine(value()).split(/\r?\n/).filter((l) => l.startsWith('AGE-SECRET-KEY-')));
    else if (arg.startsWith('--')) throw new BackupError(`unknown option ${arg}`);
    else if (file === undefined) file = arg;
    else throw new BackupError(`unexpected argument ${arg}`);
  }
  if (passphrase === '') throw new BackupError('the passphrase file is empty');
  return { file, keys: { recipients, identities, passphrase } };
}

function sqlitePath(config: Config): string {
  const target = parseDatabaseUrl(config.databaseUrl, config.dataDir);
  if (target.kind !== 'sqlite' || target.path === ':memory:') {
    throw new BackupError('backup, restore and encrypt-database work on a SQLite file; for MongoDB, see "Data and backups" in the README');
  }
  return target.path;
}

/** Runs backup, restore or encrypt-database; a refusal prints one line and changes nothing. */
export async function runBackupCommand(config: Config, command: string, args: readonly string[]): Promise<number> {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const key = config.secrets.databaseKey;
  try {
    const dbFile = sqlitePath(config);
    if (command === 'encrypt-database') {
      if (!key) throw new BackupError('set DATABASE_KEY or DATABASE_KEY_FILE to the new key first');
      encryptDatabase(dbFile, key);
      out(`Encrypted ${dbFile}. Destroy every older copy and backup of the plain database: they are still readable.`);
      return 0;
    }
    const { file, keys } = parseKeys(args);
    if (!file) throw new BackupError(`${command} needs a FILE`);
    if (command === 'backup') {
      const { bytes } = await writeBackup(dbFile, key, file, keys, config.backupScryptLogN);
      const store = await openStore(config.databaseUrl, { databaseKey: key });
      try {
        await store.declare([backupsCollection]);
        await new BackupService(store).recordBackup();
      } finally {
        await store.close();
      }
      out(`Backup of ${Math.ceil(bytes / 1024)} KiB written to ${file}, encrypted${keys.passphrase !== undefined ? ' with the passphrase' : ' to the recipient key'}.`);
      return 0;
    }
    await restoreBackup(file, keys, { dataDir: config.dataDir, dbFile, key });
    out(`Restored ${file} into ${dbFile}${key ? ', encrypted with DATABASE_KEY' : ''}. Start the instance with the same settings.`);
    return 0;
  } catch (error) {
    if (!(error instanceof BackupError)) throw error;
    process.stderr.write(`Error: ${error.message}\n`);
    return 1;
  }
}
