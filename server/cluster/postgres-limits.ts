import pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres } from 'rate-limiter-flexible';
import { dailyHmac, derivedDayKey, type LimitCounters } from '../core/rate-limit.js';

/**
 * Rate-limit counts shared by every process on one PostgreSQL database (core/rate-limit.ts).
 *
 * The counts live in an UNLOGGED table: never in the write-ahead log, so not in replicas, archived WAL or a base
 * backup, and emptied by a crash. Each row's key is an HMAC of the handle or account under a key of the day
 * derived from the instance secret (PARASOL_SECRET_FILE, the same file on every machine and never inside the
 * data), held in memory only: a copy of the database does not show which handles were counted. Should the
 * database not answer, each process counts alone in its memory until it does (the limiter's insurance).
 */
export interface PostgresLimitCounters extends LimitCounters {
  close(): Promise<void>;
}

const TABLE = 'parasol_rate_limits';
const CONNECTIONS = 4;

export async function postgresLimitCounters(url: string, secret: Buffer, onError: (error: unknown) => void): Promise<PostgresLimitCounters> {
  const pool = new pg.Pool({ connectionString: url, max: CONNECTIONS });
  pool.on('error', onError);
  try {
    await pool.query(`CREATE UNLOGGED TABLE IF NOT EXISTS ${TABLE} (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`).catch((error: unknown) => {
      // Processes starting together race to create it: another one did.
      if (!(error instanceof pg.DatabaseError && (error.code === '23505' || error.code === '42P07'))) throw error;
    });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  const keyOf = dailyHmac(derivedDayKey(secret, 'parasol shared rate-limit key'));
  return {
    counter(name, points, duration) {
      return new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: TABLE,
        tableCreated: true,
        keyPrefix: name,
        points,
        duration,
        insuranceLimiter: new RateLimiterMemory({ points, duration }),
      });
    },
    keyOf,
    close: () => pool.end(),
  };
}
