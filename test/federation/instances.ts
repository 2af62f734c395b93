import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, handle, PASS } from '../helpers/client.js';
import { freePort, runEntry, withCheapHashing, type Running } from '../helpers/process.js';
import { testDatabaseFor } from '../helpers/test-database.js';

/**
 * Parasol instances for federation tests, each in its own Node process (apex
 * keeps module-wide state, and a real deployment is one instance per
 * process), on its own loopback port, SQLite file and PUBLIC_URL, with an
 * admin and a member made through the API.
 */
export interface Account {
  readonly client: Client;
  readonly handle: string;
}

export interface Peer {
  readonly name: string;
  readonly port: number;
  /** http://127.0.0.1:PORT, also its PUBLIC_URL. */
  readonly url: string;
  /** 127.0.0.1:PORT: the domain part of its acct: addresses. */
  readonly host: string;
  readonly dataDir: string;
  readonly admin: Account;
  readonly member: Account;
  /** The process's output so far. */
  output(): string;
  stop(): Promise<void>;
  /** Starts it again on the same port and data (after stop). */
  restart(): Promise<void>;
  /** Stops it if running and deletes its data. */
  dispose(): Promise<void>;
}

export interface PeerOptions {
  readonly env?: Record<string, string>;
}

/** Starts the process; a fresh instance prints its setup link once it listens. */
async function start(env: Record<string, string>): Promise<{ run: Running; setupToken: string }> {
  const run = runEntry('server/main.ts', [], env);
  const [, token] = await run.waitFor(/\/setup\/([A-Za-z0-9_-]+)/, 90_000);
  return { run, setupToken: token! };
}

/** Starts an instance that has its admin already, and waits until it answers. */
async function restart(env: Record<string, string>): Promise<Running> {
  const run = runEntry('server/main.ts', [], env);
  const exited = run.exited().then((code) => {
    throw new Error(`exited (${code}) while starting:\n${run.output()}`);
  });
  await Promise.race([
    exited,
    eventually(async () => {
      const res = await fetch(`${env.PUBLIC_URL}/.well-known/nodeinfo`);
      assert.equal(res.status, 200);
    }, 90_000, 200),
  ]);
  void exited.catch(() => undefined);
  return run;
}

export async function startPeer(name: string, options: PeerOptions = {}): Promise<Peer> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `parasol-fed-${name}-`));
  const url = `http://127.0.0.1:${port}`;
  const database = await testDatabaseFor(dataDir);
  const env: Record<string, string> = withCheapHashing({
    ...(database ? { DATABASE_URL: database.url } : {}),
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    PUBLIC_URL: url,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    ALLOW_PRIVATE_NETWORK: 'true',
    FEDERATION_RETRY_BASE_SECONDS: '1',
    // One process per peer: several peers of one process per core each would crowd the machine, and the
    // processes of one instance have tests of their own (test/cluster).
    PARASOL_WORKERS: '1',
    ...options.env,
  });
  const started = await start(env);
  let run = started.run;
  const setupToken = started.setupToken;

  const adminClient = new Client(url);
  const adminHandle = handle(`${name}_admin`);
  const made = await adminClient.api('POST', `/setup/${setupToken}`, { handle: adminHandle, passphrase: PASS });
  assert.equal(made.status, 201, made.text);
  const memberClient = new Client(url);
  const memberHandle = handle(`${name}_member`);
  const joined = await memberClient.api('POST', '/accounts', { handle: memberHandle, passphrase: PASS });
  assert.equal(joined.status, 201, joined.text);

  let running = true;
  const peer: Peer = {
    name,
    port,
    url,
    host: `127.0.0.1:${port}`,
    dataDir,
    admin: { client: adminClient, handle: adminHandle },
    member: { client: memberClient, handle: memberHandle },
    output: () => run.output(),
    async stop() {
      if (!running) return;
      running = false;
      run.child.kill('SIGTERM');
      assert.equal(await run.exited(), 0, `${name} did not stop cleanly:\n${run.output()}`);
    },
    async restart() {
      assert.ok(!running, 'stop it first');
      run = await restart(env);
      running = true;
    },
    async dispose() {
      if (running) {
        running = false;
        run.child.kill('SIGTERM');
        await run.exited();
      }
      await database?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return peer;
}

/** Starts several peers side by side. */
export async function startPeers(names: readonly string[], options: Record<string, PeerOptions> = {}): Promise<Peer[]> {
  return Promise.all(names.map((n) => startPeer(n, options[n])));
}

/** Retries `check` until it stops throwing or `ms` pass; the last failure is what the test reports. */
export async function eventually<T>(check: () => Promise<T>, ms = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}

/** Waits until the peer's delivery queue is empty. */
export async function settled(peer: Peer, ms = 30_000): Promise<void> {
  await eventually(async () => {
    const status = await peer.admin.client.api('GET', '/federation/status');
    assert.equal(status.status, 200, status.text);
    assert.equal(status.json.pendingDeliveries, 0, 'deliveries still queued');
  }, ms);
}

export const AP = { accept: 'application/activity+json' };

/** GETs a document (ActivityPub unless `accept` says otherwise), without following redirects; json is undefined when the body is not JSON. */
export async function getJson(url: string, accept = AP.accept): Promise<{ status: number; json: any; type: string | null; text: string }> { // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary documents
  const res = await fetch(url, { headers: { accept }, redirect: 'manual' });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, type: res.headers.get('content-type'), text };
}
