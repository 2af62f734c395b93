import cluster from 'node:cluster';
import type { Parasol } from './app.js';
import { FIRST_WORKER_ENV, runPrimary, STOP_GRACE_MS, workerCount } from './cluster/primary.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';

/**
 * A stopping process closes a keep-alive connection once it has been idle this long: a client that still uses it
 * sends its next request sooner, which is answered with `Connection: close` (http/draining.ts). Well inside
 * STOP_GRACE_MS.
 */
const IDLE_CLOSE_MS = 1_500;

/**
 * Starts an instance from the environment: a single process, or PARASOL_WORKERS processes under a primary.
 * Each process stops cleanly on SIGTERM or SIGINT.
 */
async function main(): Promise<void> {
  let config;
  let workers;
  try {
    config = loadConfig();
    workers = workerCount(process.env.PARASOL_WORKERS);
  } catch (error) {
    if (error instanceof ConfigError || (error instanceof Error && error.message.startsWith('PARASOL_WORKERS'))) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  if (cluster.isPrimary && workers > 1) {
    runPrimary(workers, logger);
    return;
  }
  let parasol: Parasol | null = null;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Stopped while starting (a primary stopping its workers): nothing is served or kept open yet.
    if (parasol === null) process.exit(0);
    const force = setTimeout(() => {
      logger.error({ graceMs: STOP_GRACE_MS }, 'forced exit: still stopping when the grace period ended');
      process.exit(1);
    }, STOP_GRACE_MS);
    force.unref();
    parasol.close({ idleMs: IDLE_CLOSE_MS }).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Loaded only now (loading the whole server is most of a start): a bad setting is refused, and a primary runs its
  // workers, without it.
  const { createParasol } = await import('./app.js');
  parasol = await createParasol(config, { logger });

  const printsSetup = !cluster.isWorker || process.env[FIRST_WORKER_ENV] === '1';
  const setupToken = printsSetup && (await parasol.ctx.accounts.adminCount()) === 0 ? await parasol.ctx.instance.issueSetupToken() : null;
  const port = await parasol.listen();
  const url = config.publicUrl;
  logger.info({ port, database: parasol.ctx.store.kind, worker: cluster.worker?.id ?? null, pid: process.pid }, `Parasol is listening on ${url}`);
  if (setupToken) {
    // Printed, not logged as data: the link is for the person starting the instance, once.
    process.stdout.write(`\nNo admin account yet. Open this one-time link to create it:\n  ${url}/setup/${setupToken}\n\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Parasol failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
