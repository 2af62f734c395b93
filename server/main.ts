import { createParasol } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';

/** Starts an instance from the environment and stops it cleanly on SIGTERM or SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const parasol = await createParasol(config, { logger });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    parasol.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const setupToken = (await parasol.ctx.accounts.adminCount()) === 0 ? await parasol.ctx.instance.issueSetupToken() : null;
  const port = await parasol.listen();
  const url = config.publicUrl;
  logger.info({ port, database: parasol.ctx.store.kind }, `Parasol is listening on ${url}`);
  if (setupToken) {
    // Printed, not logged as data: the link is for the person starting the instance, once.
    process.stdout.write(`\nNo admin account yet. Open this one-time link to create it:\n  ${url}/setup/${setupToken}\n\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Parasol failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
