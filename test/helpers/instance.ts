import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createParasol, type Parasol } from '../../server/app.js';
import { loadConfig, type Config } from '../../server/config.js';
import type { Clock } from '../../server/core/clock.js';
import type { Logger } from '../../server/logger.js';
import { testDatabaseFor } from './test-database.js';
import { withCheapHashing } from './process.js';

export interface TestInstance {
  readonly url: string;
  readonly parasol: Parasol;
  readonly dataDir: string;
  readonly dbFile: string;
  close(): Promise<void>;
}

/** Generous limits so ordinary tests never trip them; rate-limit tests pass their own. */
const relaxed = { perKey: 1000, overall: 10_000, windowSeconds: 60 };

/**
 * A real instance on a real SQLite file in a temp dir (or, with
 * TEST_DATABASE_URL=postgres://…, a PostgreSQL schema of the data dir's own), listening on a free loopback port.
 */
export async function startInstance(
  options: { env?: Record<string, string>; config?: (c: Config) => Config; dataDir?: string; clock?: Clock; logger?: Logger } = {},
): Promise<TestInstance> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-test-'));
  const database = options.env?.DATABASE_URL === undefined ? await testDatabaseFor(dataDir) : null;
  const databaseEnv: Record<string, string> = database ? { DATABASE_URL: database.url } : {};
  const base = loadConfig(withCheapHashing({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, NODE_ENV: 'test', LOG_LEVEL: 'silent', ...databaseEnv, ...options.env }));
  let config: Config = { ...base, rateLimits: { signup: relaxed, login: relaxed, recovery: relaxed, posting: relaxed, lookup: relaxed, roomMessages: relaxed, roomEvents: relaxed, conversationMessages: relaxed, conversationStarts: relaxed } };
  if (options.config) config = options.config(config);
  const parasol = await createParasol(config, { clock: options.clock, logger: options.logger });
  const port = await parasol.listen();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    parasol,
    dataDir,
    dbFile: path.join(dataDir, 'parasol.sqlite'),
    async close() {
      await parasol.close();
      // Like the data dir, the schema stays when the caller brought the data dir (to start again on it).
      if (!options.dataDir) {
        await database?.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
