import type { Config } from '../config.js';
import { localCounters, type LimitCounters } from '../core/rate-limit.js';
import type { Logger } from '../logger.js';
import { realtimeAdapter, type RealtimeAdapter } from '../realtime/adapters.js';
import { parseDatabaseUrl } from '../store/open-store.js';
import type { Store } from '../store/port.js';
import { postgresLimitCounters } from './postgres-limits.js';

/**
 * What the processes of one instance share besides the database's documents: rate-limit counts and live events.
 * On SQLite they stay on one machine (the cluster primary's memory and relay, or a lone process's memory); on
 * PostgreSQL they go through PostgreSQL itself, so a deployment of several machines is Parasol processes and one
 * PostgreSQL. (Cache invalidation goes with the store: see store/postgres/change-feed.ts.)
 */
export interface Coordination {
  readonly limits: LimitCounters;
  readonly realtime: RealtimeAdapter | null;
  /** Closes the rate-limit counts' connections (the live-event adapter closes with the real-time layer). */
  close(): Promise<void>;
}

export async function openCoordination(config: Config, store: Pick<Store, 'kind'>, logger: Logger): Promise<Coordination> {
  const target = parseDatabaseUrl(config.databaseUrl, config.dataDir);
  // A store handed in by a caller decides, whatever DATABASE_URL says.
  if (store.kind !== 'postgres' || target.kind !== 'postgres') {
    return { limits: localCounters, realtime: await realtimeAdapter({ kind: store.kind }, logger), close: async () => undefined };
  }

  const secret = config.secrets.instanceSecret;
  if (secret === null) {
    // A key kept in the database would let a copy of it test handles against the counts.
    logger.warn('PARASOL_SECRET_FILE is not set: rate limits are counted by each process alone, not across processes (see docs/deployment.md)');
  }
  const limits = secret === null
    ? null
    : await postgresLimitCounters(target.url, secret, (error) => logger.warn({ err: error }, 'an idle connection of the rate-limit counts failed'));
  try {
    return { limits: limits ?? localCounters, realtime: await realtimeAdapter(target, logger), close: async () => limits?.close() };
  } catch (error) {
    await limits?.close();
    throw error;
  }
}
