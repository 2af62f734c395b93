import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { Client, handle, PASS } from '../helpers/client.js';
import { freePort, runEntry, withCheapHashing, type Running } from '../helpers/process.js';
import { testDatabaseFor } from '../helpers/test-database.js';

/** Long enough for a loaded 2-core machine; nothing waits for it unless something is wrong. */
export const WAIT_MS = 20_000;

export interface Answer {
  readonly status: number;
  readonly text: string;
}

/**
 * One request on a connection of its own (no keep-alive). node:cluster hands new connections to the workers in
 * turn, so consecutive ones reach both processes.
 */
export function fresh(port: number, method: string, url: string, cookie: string, body?: unknown, timeoutMs = WAIT_MS): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method, path: url, agent: false, headers: {
      cookie,
      connection: 'close',
      ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
    } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer to ${method} ${url} in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Polls `check` every 100 ms until it holds; fails naming `what` when `ms` pass first. */
export async function until(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const listening = (run: Running): number => (run.output().match(/Parasol is listening/g) ?? []).length;

/** The process ids that took the lease of `job`, in the order they did. */
export function leaseHolders(run: Running, job: string): number[] {
  const pattern = new RegExp(`"job":"${job}","pid":(\\d+),"msg":"job lease taken`, 'g');
  return [...run.output().matchAll(pattern)].map((m) => Number(m[1]));
}

export interface Member {
  readonly client: Client;
  readonly handle: string;
  readonly id: string;
  readonly cookie: string;
}

export const cookieOf = (client: Client): string => [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

export async function signUp(base: string, prefix: string): Promise<Member> {
  const client = new Client(base);
  const h = handle(prefix);
  const reply = await client.api('POST', '/accounts', { handle: h, passphrase: PASS });
  assert.equal(reply.status, 201, reply.text);
  return { client, handle: h, id: reply.json.account.id, cookie: cookieOf(client) };
}

/** Every event a socket receives, in order. */
export interface Recorded {
  readonly socket: ClientSocket;
  readonly events: { readonly event: string; readonly payload: Record<string, unknown> }[];
}

/**
 * A websocket to `nsp` with `cookie`, on a connection of its own, once connected. Opened one after another with
 * nothing in between, two of them reach the two workers.
 */
export function openSocket(base: string, nsp: string, cookie: string, opened: ClientSocket[]): Promise<Recorded> {
  const socket = connectClient(`${base}${nsp}`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie } });
  opened.push(socket);
  const recorded: Recorded = { socket, events: [] };
  socket.onAny((event: string, payload: Record<string, unknown>) => recorded.events.push({ event, payload }));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connection to ${nsp}`)), WAIT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(recorded);
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export async function subscribe(recorded: Recorded, channel: string): Promise<void> {
  assert.deepEqual(await recorded.socket.timeout(WAIT_MS).emitWithAck('subscribe', { channel }), { ok: true });
}

/** How many `event`s the socket got whose payload's `field` is `value`. */
export const countOf = (recorded: Recorded, event: string, field: string, value: unknown): number =>
  recorded.events.filter((e) => e.event === event && e.payload[field] === value).length;

/** How long a cluster may take to start on a loaded 2-core machine (a primary and two workers, each loading the server). */
export const START_MS = 180_000;

/** PARASOL_WORKERS=2 on one database (a SQLite file, or with TEST_DATABASE_URL a PostgreSQL schema), with a first admin. */
export interface Workers {
  readonly run: Running;
  readonly port: number;
  readonly base: string;
  readonly dataDir: string;
  readonly admin: Client;
  /** The admin's cookie, for `fresh` requests. */
  readonly cookie: string;
  /** Kills what is still running, drops the database and the data directory. */
  cleanUp(): Promise<void>;
}

export async function startWorkers(env: Record<string, string> = {}): Promise<Workers> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-cluster-'));
  const database = await testDatabaseFor(dataDir);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const run = runEntry('server/main.ts', [], withCheapHashing({
    ...(database ? { DATABASE_URL: database.url } : {}),
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: base,
    DATA_DIR: dataDir,
    NODE_ENV: 'test',
    PARASOL_WORKERS: '2',
    ALLOW_PRIVATE_NETWORK: 'true',
    ...env,
  }));
  const cleanUp = async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGKILL');
      await run.exited();
    }
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const [, token] = await run.waitFor(/\/setup\/([A-Za-z0-9_-]+)/, START_MS);
    await until('two workers listening', START_MS, () => listening(run) >= 2);
    const admin = new Client(base);
    const made = await admin.api('POST', `/setup/${token}`, { handle: 'first_admin', passphrase: PASS });
    assert.equal(made.status, 201, made.text);
    return { run, port, base, dataDir, admin, cookie: cookieOf(admin), cleanUp };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** A signed ActivityPub POST (test/federation/receiver.ts) on a connection of its own, like `fresh`. */
export function freshSigned(post: { readonly url: string; readonly body: string; readonly headers: Record<string, string> }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(post.url);
    const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path: url.pathname, agent: false, headers: {
      ...post.headers,
      connection: 'close',
      'content-length': String(Buffer.byteLength(post.body)),
    } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.setTimeout(WAIT_MS, () => req.destroy(new Error(`no answer to POST ${post.url} in ${WAIT_MS} ms`)));
    req.on('error', reject);
    req.end(post.body);
  });
}
