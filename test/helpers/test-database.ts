import { createHash } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';

/**
 * TEST_DATABASE_URL=postgres://… runs test instances on that PostgreSQL
 * server instead of a SQLite file: each data directory gets a schema of its
 * own, so tests never see each other's documents, and an instance started
 * again on the same data directory finds its documents again, as on SQLite.
 */
const url = process.env.TEST_DATABASE_URL;

/** Whether test instances run on PostgreSQL (TEST_DATABASE_URL names one). */
export const onPostgres = url !== undefined && /^postgres(ql)?:\/\//.test(url);

export interface TestDatabase {
  /** DATABASE_URL for the instance: the server's URL with the schema as its search path. */
  readonly url: string;
  drop(): Promise<void>;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The schema of a data directory on the TEST_DATABASE_URL server, made if missing; null when tests run on SQLite. */
export async function testDatabaseFor(dataDir: string): Promise<TestDatabase | null> {
  if (!onPostgres || url === undefined) return null;
  const schema = `parasol_test_${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16)}`;
  await admin(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  const withSchema = new URL(url);
  withSchema.searchParams.set('options', `-c search_path=${schema}`);
  return { url: withSchema.toString(), drop: () => admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`) };
}

/**
 * `it` for tests that read the SQLite file itself (what a seizure of the
 * server would show, encryption at rest): on PostgreSQL there is no such
 * file, so they are pending there, and their title says why.
 */
export function itReadsSqliteFile(title: string, fn: Mocha.AsyncFunc): Mocha.Test {
  return onPostgres ? it(`${title} (skipped on PostgreSQL: reads the SQLite file)`) : it(title, fn);
}
