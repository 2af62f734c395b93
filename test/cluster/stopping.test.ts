/**
 * SIGTERM to an instance of two workers (a SQLite file, or with TEST_DATABASE_URL a PostgreSQL schema) while
 * clients keep it busy over keep-alive connections and websockets: what systemd does at every restart.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Socket as ClientSocket } from 'socket.io-client';
import { onPostgres } from '../helpers/test-database.js';
import { fresh, openSocket, signUp, startWorkers, subscribe, until, WAIT_MS, type Workers } from './cluster-helpers.js';

interface Outcome {
  readonly status: number;
  /** The Connection header of the answer. */
  readonly connection: string | undefined;
  /** Whether the whole body arrived. */
  readonly complete: boolean;
}

/** A request that got no answer: its socket's error, and whether it went on a connection kept from before. */
class Unanswered extends Error {
  constructor(readonly code: string, readonly reused: boolean) {
    super(`${code}${reused ? ' on a kept-alive connection' : ' on a new connection'}`);
  }
}

/** One request on the agent's keep-alive connection; rejects with Unanswered when no answer began. */
function request(agent: http.Agent, port: number, method: string, url: string, cookie: string, body?: unknown): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method, path: url, agent, headers: {
      cookie,
      ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
    } }, (res) => {
      let complete = false;
      res.on('data', () => undefined);
      // A cut answer shows as incomplete below.
      res.on('error', () => undefined);
      res.on('end', () => {
        complete = true;
      });
      res.on('close', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, complete: complete && !res.errored }));
    });
    req.setTimeout(WAIT_MS, () => req.destroy(new Error(`no answer to ${method} ${url} in ${WAIT_MS} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => reject(new Unanswered(error.code ?? error.message, req.reusedSocket)));
    req.end(payload);
  });
}

/**
 * What a client may meet on a new connection once the instance stops: refused, or reset by the primary when no
 * worker is left to take it. Never on a connection it kept from an answer: that would be a request cut.
 */
const REFUSED = new Set(['ECONNREFUSED', 'ECONNRESET']);

describe('stopping two workers (PARASOL_WORKERS=2) under steady keep-alive traffic', function () {
  this.timeout(600_000);
  let w: Workers | null = null;
  const sockets: ClientSocket[] = [];

  after(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await w?.cleanUp();
  });

  it('finishes what is in flight, closes keep-alive connections and websockets with a reconnect hint, checkpoints and exits 0 with no forced exit', async () => {
    w = await startWorkers();
    const { port } = w;
    const thread = await fresh(port, 'POST', '/api/v1/boards/general/threads', w.cookie, { title: 'Busy thread', body: 'first words' });
    assert.equal(thread.status, 201, thread.text);
    const threadId = (JSON.parse(thread.text) as { thread: { id: string } }).thread.id;
    const member = await signUp(w.base, 'steady');

    // A page left open on each worker; each must be told to reconnect (a transport close), not sent away.
    const live = [await openSocket(w.base, '/live', member.cookie, sockets), await openSocket(w.base, '/live', member.cookie, sockets)];
    for (const s of live) await subscribe(s, `thread:${threadId}`);
    const reasons = live.map((s) => new Promise<string>((resolve) => s.socket.once('disconnect', (reason) => resolve(reason))));

    // Four clients, each with one keep-alive connection, asking back to back: visitors' pages and JSON, a member's replies.
    const outcomes: Outcome[] = [];
    const failures: { readonly when: string; readonly error: Unanswered }[] = [];
    let terminated = false;
    const agents = Array.from({ length: 4 }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    let posted = 0;
    const loops = agents.map(async (agent, i) => {
      for (;;) {
        const call = i === 3
          // Under the posting limit (10 a minute): a reply every few requests.
          ? () => request(agent, port, 'POST', `/api/v1/threads/${threadId}/posts`, member.cookie, { body: `steady reply ${posted++}` })
          : i === 2 ? () => request(agent, port, 'GET', `/api/v1/threads/${threadId}`, '') : () => request(agent, port, 'GET', `/t/${threadId}`, '');
        try {
          outcomes.push(await call());
        } catch (error) {
          if (!(error instanceof Unanswered)) throw error;
          failures.push({ when: terminated ? 'after SIGTERM' : 'before SIGTERM', error });
          // The instance no longer takes connections: the loop ends with it.
          if (terminated) return;
        }
        if (i === 3) await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    });
    await until('steady traffic over kept-alive connections', WAIT_MS, () => outcomes.filter((o) => o.status === 200).length >= 40);
    assert.ok(outcomes.some((o) => o.connection === 'keep-alive'), 'the connections are kept alive');

    const started = Date.now();
    terminated = true;
    w.run.child.kill('SIGTERM');
    const code = await w.run.exited();
    const elapsed = Date.now() - started;
    await Promise.all(loops);
    for (const agent of agents) agent.destroy();

    const output = w.run.output();
    assert.doesNotMatch(output, /forced exit/, `no process was killed at the end of the grace period (stopped in ${elapsed} ms)`);
    assert.equal(code, 0, output.slice(-2000));
    const told = failures.map((f) => `${f.when}: ${f.error.message}`);
    assert.ok(failures.every((f) => f.when === 'after SIGTERM'), `nothing failed before the stop: ${told.join(', ')}`);
    assert.ok(failures.every((f) => !f.error.reused && REFUSED.has(f.error.code)), `only new connections refused, no request cut: ${told.join(', ')}`);
    assert.deepEqual(outcomes.filter((o) => !o.complete), [], 'every answer begun was sent whole');
    assert.deepEqual(outcomes.filter((o) => o.status >= 500), [], 'no answer was a server error');
    assert.ok(outcomes.some((o) => o.connection === 'close'), `answers made while stopping told their clients to close the connection: ${JSON.stringify({ last: outcomes.slice(-8), told })}`);
    assert.deepEqual(await Promise.all(reasons), ['transport close', 'transport close'], 'each page was dropped to reconnect, not disconnected for good');
    if (!onPostgres) {
      const wal = path.join(w.dataDir, 'parasol.sqlite-wal');
      assert.ok(!fs.existsSync(wal) || fs.statSync(wal).size === 0, 'the WAL was checkpointed into the database');
    }
  });
});
