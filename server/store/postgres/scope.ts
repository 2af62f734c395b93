import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * A short name for the database and schema a connection works in. PostgreSQL's notification channels are shared
 * by every session of a database, whatever its schema; channels named with this scope keep instances that share a
 * server apart (the test suite gives each instance a schema of its own).
 */
export async function databaseScope(db: pg.Pool | pg.ClientBase): Promise<string> {
  const { rows } = await db.query<{ db: string; schema: string | null }>('SELECT current_database() AS db, current_schema() AS schema');
  const row = rows[0];
  return createHash('sha256').update(`${row?.db ?? ''}\0${row?.schema ?? ''}`).digest('hex').slice(0, 16);
}
