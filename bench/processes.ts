import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { repoRoot } from '../test/helpers/process.js';
import type { Figure } from './lib.js';

/**
 * What a benchmark reads of the server's processes, from /proc (a fork per sample, as `ps` would take, would block
 * the load generator's event loop): the process tree of a server with several workers, its CPU time and memory,
 * and each process's event-loop delay through bench/process-probe.mjs.
 */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** The process and every process under it (a primary's workers). */
export function processTree(pid: number): number[] {
  const children: number[] = [];
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  for (const task of tasks) {
    try {
      const list = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (list) children.push(...list.split(/\s+/).map(Number));
    } catch {
      // The task ended while being read.
    }
  }
  return [pid, ...children.flatMap(processTree)];
}

/** Resident memory of these processes together, in MB. */
export function rssMb(pids: readonly number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // Gone: a worker that stopped.
    }
  }
  return kb / 1024;
}

/** CPU seconds (user + system) these processes have used together. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone.
    }
  }
  return ticks / CLOCK_TICKS;
}

/** Share of the whole machine's CPU left idle over `ms`: other processes on it skew every figure. */
export async function machineIdle(ms: number): Promise<number> {
  const read = () => {
    const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const n = fields.map(Number);
    return { idle: n[3]! + n[4]!, total: n.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = read();
  return ((b.idle - a.idle) / Math.max(1, b.total - a.total)) * 100;
}

export type ProcessRole = 'single' | 'primary' | 'worker';

export interface LoopDelay {
  readonly pid: number;
  readonly role: ProcessRole;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

interface ProbeState {
  readonly pid: number;
  readonly role: ProcessRole;
  readonly listening: boolean;
  readonly reports: number;
  readonly delay: { readonly p50: number; readonly p99: number; readonly max: number } | null;
}

/** Each process's event-loop delay p99 as figures: the serving processes first, then the primary (which serves none). */
export function loopDelayFigures(label: string, delays: readonly LoopDelay[]): Figure[] {
  const order = { single: 0, worker: 1, primary: 2 } as const;
  return [...delays]
    .sort((a, b) => order[a.role] - order[b.role] || a.pid - b.pid)
    .map((d, i) => ({
      name: `${label}: event-loop delay p99, ${d.role === 'worker' ? `worker ${i + 1}` : d.role === 'single' ? 'the process' : 'primary'}`,
      value: d.p99,
      unit: 'ms',
    }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The directory bench/process-probe.mjs reports to, for one server (one process or a primary and its workers). */
export class Probe {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-bench-probe-'));
  /** Node's arguments that load the probe into the server's processes. */
  readonly nodeArgs = ['--import', path.join(repoRoot, 'bench', 'process-probe.mjs')];
  readonly env = { BENCH_PROBE_DIR: this.dir };

  private states(): ProbeState[] {
    const states: ProbeState[] = [];
    for (const name of fs.readdirSync(this.dir).filter((f) => f.endsWith('.json'))) {
      const state = JSON.parse(fs.readFileSync(path.join(this.dir, name), 'utf8')) as ProbeState;
      if (alive(state.pid)) states.push(state);
    }
    return states;
  }

  /** Waits until `count` serving processes (workers, or the single process) listen. */
  async listening(count: number, ms = 180_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (this.states().filter((s) => s.role !== 'primary' && s.listening).length >= count) return;
      await sleep(100);
    }
    throw new Error(`${count} server processes did not listen within ${ms / 1000} s`);
  }

  /** Each live process's event-loop delay since the previous call (or its start), and a new count from now. */
  async loopDelays(ms = 10_000): Promise<LoopDelay[]> {
    const before = this.states();
    for (const s of before) process.kill(s.pid, 'SIGUSR2');
    const end = Date.now() + ms;
    for (;;) {
      const now = new Map(this.states().map((s) => [s.pid, s]));
      const done = before.every((s) => !now.has(s.pid) || now.get(s.pid)!.reports > s.reports);
      if (done) {
        return before
          .map((s) => now.get(s.pid))
          .filter((s): s is ProbeState => s !== undefined && s.delay !== null)
          .map((s) => ({ pid: s.pid, role: s.role, ...s.delay! }));
      }
      if (Date.now() > end) throw new Error('the server processes did not report their event-loop delay');
      await sleep(20);
    }
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
