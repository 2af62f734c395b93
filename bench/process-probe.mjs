/**
 * Loaded into each server process a benchmark starts (`node --import bench/process-probe.mjs`; node:cluster
 * passes it on to the workers): reports the process's event-loop delay to the benchmark through files in
 * BENCH_PROBE_DIR, so that the server's code carries nothing for it.
 *
 * `<pid>.json` says what the process is (the primary of several workers, a worker, or a single process) and
 * whether it listens yet; each SIGUSR2 adds the event-loop delay since the previous one (p50, p99 and max in
 * ms, over samples every RESOLUTION_MS) and starts counting again. Plain JavaScript: the server runs compiled.
 */
import cluster from 'node:cluster';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import process from 'node:process';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 1;
const dir = process.env.BENCH_PROBE_DIR;

if (dir) {
  const role = cluster.isWorker ? 'worker' : Number(process.env.PARASOL_WORKERS ?? 1) > 1 ? 'primary' : 'single';
  const state = { pid: process.pid, role, listening: false, reports: 0, delay: null };
  const file = path.join(dir, `${process.pid}.json`);
  const write = () => {
    // Renamed into place, so that the benchmark never reads half a file.
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(state));
    fs.renameSync(`${file}.tmp`, file);
  };
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  // The histogram records the time between samples, which is at least the resolution: the delay is the excess.
  const delayMs = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  process.on('SIGUSR2', () => {
    state.reports += 1;
    state.delay = { p50: delayMs(histogram.percentile(50)), p99: delayMs(histogram.percentile(99)), max: delayMs(histogram.max), samples: histogram.count };
    histogram.reset();
    write();
  });
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function listenAndTell(...args) {
    this.once('listening', () => {
      state.listening = true;
      write();
    });
    return listen.apply(this, args);
  };
  write();
}
