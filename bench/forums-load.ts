import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { freePort, repoRoot, runNode } from '../test/helpers/process.js';
import { httpLoad, type HttpLoadResult } from './http-load.js';
import type { Figure } from './lib.js';
import { cpuSeconds, loopDelayFigures, machineIdle, processTree, rssMb, type LoopDelay, type Probe } from './processes.js';

/** What bench/forums.bench.ts sends and how it measures a load. */

/** BENCH_QUICK=1: a short run that shows the benchmark works; its figures are not to be compared. */
export const QUICK = process.env.BENCH_QUICK === '1';
export const CONNECTIONS = 50;
export const LOAD_SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 3 : 20));
/** What browsers (and fetch in Node) accept; compressing is part of what the server pays for every answer. */
export const ACCEPT_ENCODING = 'gzip, br';
export const BROWSER_HEADERS = { accept: 'text/html', 'accept-encoding': ACCEPT_ENCODING, 'accept-language': 'en' };

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** Logs in through the API and makes a personal API token, as a script or app would. */
export async function bearerToken(url: string, handle: string, passphrase: string): Promise<string> {
  const login = await post(`${url}/api/v1/sessions`, { handle, passphrase });
  if (login.status !== 201) throw new Error(`log-in of ${handle} failed: ${login.status} ${await login.text()}`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const res = await post(`${url}/api/v1/tokens`, { name: 'bench' }, { cookie });
  if (res.status !== 201) throw new Error(`token for ${handle} failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** A raw GET that leaves the body compressed, so that its length is what travels over the wire. */
export function wireBytes(url: string, headers: Record<string, string>, agent?: http.Agent | false): Promise<{ status: number; bytes: number; encoding: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, ...(agent === undefined ? {} : { agent }) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, bytes: body.length, encoding: String(res.headers['content-encoding'] ?? 'identity'), body });
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

export function decompress(body: Buffer, encoding: string): Buffer {
  if (encoding === 'br') return zlib.brotliDecompressSync(body);
  if (encoding === 'gzip') return zlib.gunzipSync(body);
  return body;
}

/** The same-origin files a browser fetches for the page: linked stylesheets and icons, scripts, and the icon sprite that <use> points at. */
export function subresources(html: string): string[] {
  const found = new Set<string>();
  for (const m of html.matchAll(/<link\b[^>]*>/g)) {
    const rel = /\brel="([^"]+)"/.exec(m[0])?.[1] ?? '';
    const href = /\bhref="([^"]+)"/.exec(m[0])?.[1];
    if (href && /\b(stylesheet|icon|manifest|preload|modulepreload)\b/.test(rel)) found.add(href);
  }
  for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)) found.add(m[1]!);
  for (const m of html.matchAll(/<use\b[^>]*\bhref="([^"#]+)#/g)) found.add(m[1]!);
  // Only files from this origin count: the page must load nothing from other hosts.
  return [...found].filter((href) => href.startsWith('/') && !href.startsWith('//'));
}

/** A server under load: its address, its first process (a primary or the only one), and its probe when it has one. */
export interface LoadTarget {
  readonly url: string;
  readonly pid: number;
  readonly probe?: Probe;
}

export interface LoadResult {
  readonly result: HttpLoadResult;
  /** Idle share of the machine's CPU just before the run. */
  readonly idleBefore: number;
  /** Average CPU of the server's processes together over the run, in % of one core. */
  readonly cpu: number;
  /** Peak resident memory of the server's processes together. */
  readonly peakRss: number;
  /** CPU this process (the load generator) used, in % of one core: it shares the machine with the server. */
  readonly clientCpu: number;
  /** Each server process's event-loop delay over the run. */
  readonly loop: readonly LoopDelay[];
}

/** Loads the server over many paths in turn (bench/http-load.ts) while sampling the server's processes. */
export async function load(target: LoadTarget, paths: readonly string[], headers: Record<string, string>): Promise<LoadResult> {
  const idleBefore = await machineIdle(1000);
  const pids = processTree(target.pid);
  let peakRss = rssMb(pids);
  // Starts every process's event-loop count afresh.
  await target.probe?.loopDelays();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMb(pids));
  }, 250);
  const cpu0 = cpuSeconds(pids);
  const client0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  try {
    // Each request takes the next thread, so the load is spread over every thread in `paths`.
    const result = await httpLoad({ url: target.url, paths, headers, connections: CONNECTIONS, seconds: LOAD_SECONDS });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const client = process.cpuUsage(client0);
    const cpu = ((cpuSeconds(pids) - cpu0) / seconds) * 100;
    const loop = (await target.probe?.loopDelays()) ?? [];
    return { result, idleBefore, cpu, peakRss: Math.max(peakRss, rssMb(pids)), clientCpu: ((client.user + client.system) / 1e6 / seconds) * 100, loop };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * Has every path made and kept by every process: each is asked for `processes` times in a row, each time on a
 * connection of its own, which node:cluster hands to the workers in turn.
 */
export async function warmUp(url: string, paths: readonly string[], headers: Record<string, string>, processes: number): Promise<void> {
  for (const p of paths) {
    for (let i = 0; i < processes; i++) {
      const res = await wireBytes(`${url}${p}`, { ...headers, connection: 'close' }, false);
      if (res.status !== 200) throw new Error(`warming ${p}: ${res.status}`);
    }
  }
}

/**
 * Runs `measure` against bare Node's http server (bench/bare-http.mjs), in a process of its own, answering every
 * request with `body` (a kept page's bytes as they travel) under its Content-Encoding.
 */
export async function bareServer(body: Buffer, encoding: string, measure: (target: LoadTarget) => Promise<LoadResult>): Promise<LoadResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-bench-bare-'));
  const file = path.join(dir, 'body');
  fs.writeFileSync(file, body);
  const port = await freePort();
  const run = runNode([path.join(repoRoot, 'bench', 'bare-http.mjs'), String(port), file, encoding], {});
  try {
    await run.waitFor(/listening/);
    return await measure({ url: `http://127.0.0.1:${port}`, pid: run.child.pid! });
  } finally {
    run.child.kill('SIGTERM');
    await run.exited();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Each server process's event-loop delay p99 over a load. */
export function delayFigures(label: string, result: LoadResult): Figure[] {
  return loopDelayFigures(label, result.loop);
}
