import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { compiledServer } from './compiled.js';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/**
 * argon2 at its minimum cost for passphrases and review digests: production's
 * (19 MiB and 64 MiB) made sign-ups and screening look-ups most of the suite's
 * time. And scrypt at its minimum for backups encrypted with a passphrase
 * (age's cost took seconds of CPU for each backup and each restore). The server
 * accepts these only under NODE_ENV=test.
 */
export const cheapHashing: Readonly<Record<string, string>> = {
  ARGON2_MEMORY_KIB: '8',
  ARGON2_ITERATIONS: '1',
  REVIEW_HASH_MEMORY_KIB: '8',
  REVIEW_HASH_ITERATIONS: '1',
  BACKUP_SCRYPT_LOG_N: '1',
};

/** The environment with cheap hashing underneath it, when it runs under NODE_ENV=test (other modes refuse those values). */
export function withCheapHashing(env: Record<string, string>): Record<string, string> {
  return env.NODE_ENV === 'test' ? { ...cheapHashing, ...env } : env;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Running {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves when the output matches, rejects when the process exits first or the wait times out. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exited(): Promise<number | null>;
}

/**
 * Runs an entry point of ours (server/main.ts, server/cli.ts) in its own Node process from the compiled copy of the
 * server (test/helpers/compiled.ts), as `npm start` runs it: a real process, without compiling TypeScript again.
 */
export function runEntry(entry: string, args: string[], env: Record<string, string>): Running {
  return runNode([path.join(compiledServer(repoRoot), entry.replace(/\.ts$/, '.js')), ...args], env);
}

/** Runs a TypeScript entry point of ours through tsx, as `npm run cli` does. */
export function runTs(entry: string, args: string[], env: Record<string, string>, nodeArgs: readonly string[] = []): Running {
  return runNode([...nodeArgs, '--import', 'tsx', path.join(repoRoot, entry), ...args], env);
}

/** Runs Node with these arguments in the repository, with a clean environment plus `env`; its output is collected. */
export function runNode(args: readonly string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    // NODE_V8_COVERAGE lets c8 count the child's code too.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...(process.env.NODE_V8_COVERAGE ? { NODE_V8_COVERAGE: process.env.NODE_V8_COVERAGE } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited: () => exit,
    waitFor(pattern, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            cleanup();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}; output:\n${out}`));
        }, ms);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        void exit.then((code) => {
          if (listeners.has(check)) {
            cleanup();
            reject(new Error(`exited (${code}) before ${pattern}; output:\n${out}`));
          }
        });
        check();
      });
    },
  };
}
