import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Store } from './port.js';
import { openPostgresStore } from './postgres.adapter.js';
import { openSqliteStore } from './sqlite.adapter.js';

export interface OpenStoreOptions {
  /**
   * How often the SQLite and PostgreSQL adapters delete expired documents (MongoDB uses its TTL monitor); null
   * for no timer, when the caller runs sweepExpired() itself (the app, under a job lease).
   */
  readonly sweepIntervalMs?: number | null;
  /** Where the SQLite file goes when no DATABASE_URL is set; default ./data. */
  readonly dataDir?: string;
  /** Called when a timed sweep fails (SQLite, PostgreSQL) or an idle PostgreSQL connection breaks. */
  readonly onSweepError?: (error: unknown) => void;
  /** DATABASE_KEY: encrypts a SQLite file; refused with any other database. */
  readonly databaseKey?: string | null;
  /** SQLite: the WAL checkpoint's delay after a removing write (SqliteStoreOptions.checkpointDelayMs). */
  readonly checkpointDelayMs?: number;
}

export type DatabaseTarget =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string }
  | { readonly kind: 'mongodb'; readonly url: string };

const ACCEPTED = 'sqlite:PATH, sqlite::memory:, postgres://…, postgresql://…, mongodb://… or mongodb+srv://…';

/** Parses DATABASE_URL. The error names only the scheme: the URL may carry a password. */
export function parseDatabaseUrl(databaseUrl: string | undefined, dataDir = './data'): DatabaseTarget {
  if (databaseUrl === undefined || databaseUrl === '') {
    return { kind: 'sqlite', path: path.join(dataDir, 'parasol.sqlite') };
  }
  if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length);
    if (file !== '') return { kind: 'sqlite', path: file };
  } else if (/^postgres(ql)?:\/\/[^/?#]+/.test(databaseUrl)) {
    return { kind: 'postgres', url: databaseUrl };
  } else if (/^mongodb(\+srv)?:\/\/[^/?#]+/.test(databaseUrl)) {
    return { kind: 'mongodb', url: databaseUrl };
  }
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(databaseUrl)?.[0] ?? 'a value without a scheme';
  throw new Error(`DATABASE_URL must be ${ACCEPTED}; got ${scheme}`);
}

export async function openStore(databaseUrl: string | undefined, options: OpenStoreOptions = {}): Promise<Store> {
  const target = parseDatabaseUrl(databaseUrl, options.dataDir);
  if (target.kind === 'postgres') {
    if (options.databaseKey) throw new Error('DATABASE_KEY encrypts only SQLite; for PostgreSQL use encrypted volumes for its data, WAL and replicas');
    // Imported statically, unlike MongoDB's: where the test runner loads the server as CommonJS, a dynamic
    // import loads the port a second time, and its errors (DuplicateKeyError...) fail instanceof checks.
    return openPostgresStore({ url: target.url, sweepIntervalMs: options.sweepIntervalMs, onBackgroundError: options.onSweepError });
  }
  if (target.kind === 'mongodb') {
    if (options.databaseKey) throw new Error('DATABASE_KEY encrypts only SQLite; for MongoDB use its encryption at rest or full-disk encryption');
    // Loaded on demand so SQLite deployments never load the MongoDB driver.
    const { openMongoStore } = await import('./mongo.adapter.js');
    return openMongoStore({ url: target.url, onBackgroundError: options.onSweepError });
  }
  try {
    if (target.path !== ':memory:') mkdirSync(path.dirname(path.resolve(target.path)), { recursive: true });
    return openSqliteStore({
      path: target.path,
      key: target.path === ':memory:' ? null : options.databaseKey,
      sweepIntervalMs: options.sweepIntervalMs,
      checkpointDelayMs: options.checkpointDelayMs,
      onSweepError: options.onSweepError,
    });
  } catch (error) {
    throw unwritable(error, target.path) ?? error;
  }
}

/** Error codes of a database file or directory the server may not write (SQLite's own, or the file system's). */
const NOT_WRITABLE = /^(SQLITE_CANTOPEN|SQLITE_READONLY|SQLITE_PERM|SQLITE_AUTH|EACCES|EROFS|EPERM)/;

/**
 * "unable to open database file" names neither the file nor what to change: the error says which directory the
 * server could not write, and which settings choose it.
 */
function unwritable(error: unknown, file: string): Error | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !NOT_WRITABLE.test(code)) return null;
  const dir = path.dirname(path.resolve(file));
  return new Error(
    `cannot write the SQLite database ${path.resolve(file)}: the directory ${dir} is read-only or not writable by this user (${code}). ` +
      'Make it writable, or set DATA_DIR (or DATABASE_URL=sqlite:PATH) to a directory the server may write.',
    { cause: error },
  );
}
