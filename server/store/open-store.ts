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
    return openMongoStore({ url: target.url });
  }
  if (target.path !== ':memory:') mkdirSync(path.dirname(path.resolve(target.path)), { recursive: true });
  return openSqliteStore({
    path: target.path,
    key: target.path === ':memory:' ? null : options.databaseKey,
    sweepIntervalMs: options.sweepIntervalMs,
    onSweepError: options.onSweepError,
  });
}
