import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { freePort, repoRoot, runNode, type Running } from '../test/helpers/process.js';

export interface BenchInstance {
  readonly url: string;
  readonly run: Running;
  readonly dataDir: string;
  /** Resident memory of the server process in MB. */
  rssMb(): number;
  stop(): Promise<void>;
}

let built = false;

/**
 * Starts a real instance (its own process, SQLite in a temp dir) the way `npm start` does: compiled, then run by Node.
 * With `options.dataDir` it runs on that directory instead, which the caller owns: stop() leaves it in place.
 */
export async function startServer(env: Record<string, string> = {}, options: { dataDir?: string; nodeArgs?: readonly string[] } = {}): Promise<BenchInstance> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-bench-'));
  const port = await freePort();
  if (!built) {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'inherit' });
    built = true;
  }
  // As `npm start` runs it: a heap limit (PARASOL_HEAP_MB, default 256), with which V8 grows the heap far less
  // eagerly under load, two malloc arenas (MALLOC_ARENA_MAX) instead of one per thread of the pool, and blocks of
  // 1 MiB and more always mapped on their own (MALLOC_MMAP_THRESHOLD_), so that they go back to the system when freed.
  // One process unless `env` asks for more: the figures are one process's, and the default would start one per core.
  const run = runNode([...(options.nodeArgs ?? []), `--max-old-space-size=${process.env.PARASOL_HEAP_MB ?? '256'}`, path.join(repoRoot, 'dist', 'server', 'main.js')], { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, NODE_ENV: 'production', LOG_LEVEL: 'warn', MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '1048576', PARASOL_WORKERS: '1', ...env });
  await run.waitFor(/listening|\/setup\//);
  return {
    url: `http://127.0.0.1:${port}`,
    run,
    dataDir,
    rssMb: () => Number(execFileSync('ps', ['-o', 'rss=', '-p', String(run.child.pid)]).toString().trim()) / 1024,
    async stop() {
      run.child.kill('SIGTERM');
      await run.exited();
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The target, and whether higher or lower is better; absent for figures that are only reported. */
  readonly target?: { readonly value: number; readonly better: 'higher' | 'lower' };
}

/** Prints the figures as a table with each target and whether it is met; returns whether all are. */
export function report(title: string, figures: readonly Figure[]): boolean {
  process.stdout.write(`\n${title}\n${'-'.repeat(title.length)}\n`);
  let allMet = true;
  for (const f of figures) {
    const value = `${f.value.toFixed(f.value < 10 ? 2 : 0)} ${f.unit}`;
    let verdict = '(reported)';
    if (f.target) {
      const met = f.target.better === 'higher' ? f.value >= f.target.value : f.value <= f.target.value;
      allMet &&= met;
      verdict = `${met ? 'MET' : 'MISSED'}  target ${f.target.better === 'higher' ? '>=' : '<='} ${f.target.value} ${f.unit}`;
    }
    process.stdout.write(`${f.name.padEnd(44)} ${value.padStart(14)}  ${verdict}\n`);
  }
  return allMet;
}

export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return [result, Number(process.hrtime.bigint() - start) / 1e6];
}
