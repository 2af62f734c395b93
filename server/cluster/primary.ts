import cluster, { type Worker } from 'node:cluster';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import type * as ClusterAdapter from '@socket.io/cluster-adapter';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import { LIMIT_KEY_ENV } from '../core/rate-limit.js';
import type { Logger } from '../logger.js';

/** Set for the one worker that may print the first-admin link, so it is printed once. */
export const FIRST_WORKER_ENV = 'PARASOL_FIRST_WORKER';

/** How long the primary gives its workers to stop after SIGTERM before it kills them (and exits 1). */
export const STOP_GRACE_MS = 5_000;

/** More restarts than this within RESTART_WINDOW_MS means workers die at start: the primary gives up. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 10_000;

/**
 * The number of processes PARASOL_WORKERS asks for: by default one per core the process may use
 * (os.availableParallelism, which counts a container's or an affinity mask's limit), and 1 means a single
 * process without a primary. Background jobs run under leases in the store (server/jobs), so each runs in one
 * process however many there are. Anything else than a positive integer is refused.
 */
export function workerCount(value: string | undefined, cores = os.availableParallelism()): number {
  if (value === undefined || value.trim() === '') return Math.max(1, cores);
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new Error(`PARASOL_WORKERS must be a positive integer, not "${value}"`);
  return Number(value);
}

/**
 * Runs `count` workers of this entry point on one port (node:cluster hands each new connection to a worker).
 * The primary serves no request: it relays socket.io broadcasts between workers, keeps the shared rate-limit
 * counts, restarts a worker that dies, and stops them all on SIGTERM or SIGINT.
 *
 * The first worker is started alone and the others once it listens, so that one process at a time creates
 * or upgrades the database's tables.
 */
export function runPrimary(count: number, logger: Logger): void {
  // Required here, not imported with this module: main.ts imports it in every process, and only a primary relays.
  const { setupPrimary: setupSocketIoPrimary } = createRequire(import.meta.url)('@socket.io/cluster-adapter') as typeof ClusterAdapter;
  setupSocketIoPrimary();
  new RateLimiterClusterMaster();
  // Never written down: a copy of the machine's disk shows no key under which the counted handles could be tested.
  const env = { [LIMIT_KEY_ENV]: crypto.randomBytes(32).toString('hex') };
  let stopping = false;
  const restarts: number[] = [];

  const fork = (first: boolean): Worker => cluster.fork({ ...env, ...(first ? { [FIRST_WORKER_ENV]: '1' } : {}) });

  const first = fork(true);
  let started = false;
  first.once('listening', () => {
    started = true;
    if (stopping) return;
    for (let i = 1; i < count; i++) fork(false);
  });

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    // A first worker that dies before it listens met what every worker would (a setting, the data directory):
    // starting it again cannot help, and the operator must see the reason it printed, not a loop.
    if (!started) {
      logger.error({ code, signal }, 'the first worker could not start; stopping');
      stop('start failed', 1);
      return;
    }
    logger.warn({ worker: worker.id, code, signal }, 'worker stopped; starting another');
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
    if (restarts.length > MAX_RESTARTS) {
      logger.error({ restarts: restarts.length }, 'workers keep dying at start; stopping');
      stop('restarts', 1);
      return;
    }
    fork(false);
  });

  function stop(reason: string, failed: 0 | 1 = 0): void {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: reason }, 'shutting down');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    let code: number = failed;
    const exits = workers.map((worker) => new Promise<void>((resolve) => {
      worker.once('exit', (exitCode, signal) => {
        // Killed by the SIGTERM itself: the worker was still loading, before it listens for SIGTERM or serves.
        if (exitCode !== 0 && signal !== 'SIGTERM') code = 1;
        resolve();
      });
      worker.process.kill('SIGTERM');
    }));
    const force = setTimeout(() => {
      logger.error({ graceMs: STOP_GRACE_MS }, 'forced exit: workers still running when the grace period ended; killing them');
      for (const worker of workers) worker.process.kill('SIGKILL');
      process.exit(1);
    }, STOP_GRACE_MS);
    force.unref();
    void Promise.all(exits).then(() => process.exit(code));
  }

  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
