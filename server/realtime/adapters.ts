import cluster from 'node:cluster';
import pg from 'pg';
import type { ServerOptions } from 'socket.io';
import type { Logger } from '../logger.js';
import { databaseScope } from '../store/postgres/scope.js';

/**
 * How socket.io's broadcasts reach the sockets of the other processes: null for a lone process (socket.io's own
 * in-memory adapter); socket.io's cluster adapter for the workers of one machine on SQLite (relayed by the primary,
 * server/cluster/primary.ts); socket.io's PostgreSQL adapter on PostgreSQL, for several machines.
 *
 * The PostgreSQL adapter sends each broadcast as a NOTIFY: every event a broadcast carries passes through the
 * database's notification queue, which is why broadcasts carry ids only and stay far under NOTIFY's 8 KB (see
 * MAX_EVENT_BYTES in realtime.ts); what members wrote is read from the store by each process for its own sockets
 * (rooms.socket.ts).
 */
export interface RealtimeAdapter {
  readonly adapter: NonNullable<ServerOptions['adapter']>;
  close(): Promise<void>;
}

/** Connections of the adapter's own: one listens, the others send. */
const ADAPTER_CONNECTIONS = 3;

/**
 * The adapter would move an event over NOTIFY's limit (or with binary data) into this table. Parasol never sends
 * such an event (realtime.ts refuses them), but the adapter sweeps the table on a timer, so it exists, and UNLOGGED:
 * never in the write-ahead log, the replicas or a base backup.
 */
const ATTACHMENTS_TABLE = 'parasol_socket_io_attachments';

/** Each adapter is imported only when chosen: a lone process loads neither. */
export async function realtimeAdapter(target: { kind: string; url?: string }, logger: Logger): Promise<RealtimeAdapter | null> {
  if (target.kind === 'postgres' && target.url !== undefined) {
    const pool = new pg.Pool({ connectionString: target.url, max: ADAPTER_CONNECTIONS });
    pool.on('error', (error) => logger.warn({ err: error }, 'an idle connection of the live-event adapter failed'));
    try {
      await pool.query(`CREATE UNLOGGED TABLE IF NOT EXISTS ${ATTACHMENTS_TABLE} (id bigserial UNIQUE, created_at timestamptz DEFAULT now(), payload bytea)`).catch((error: unknown) => {
        // Processes starting together race to create it: another one did.
        if (!(error instanceof pg.DatabaseError && (error.code === '23505' || error.code === '42P07'))) throw error;
      });
      const scope = await databaseScope(pool);
      const { createAdapter } = await import('@socket.io/postgres-adapter');
      return {
        adapter: createAdapter(pool, {
          channelPrefix: `parasol_io_${scope}`,
          tableName: ATTACHMENTS_TABLE,
          errorHandler: (error) => logger.warn({ err: error }, 'live-event adapter error'),
        }),
        close: () => pool.end(),
      };
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }
  if (cluster.isWorker) {
    const { createAdapter } = await import('@socket.io/cluster-adapter');
    return { adapter: createAdapter(), close: async () => undefined };
  }
  return null;
}
