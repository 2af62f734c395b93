/**
 * Two workers on one SQLite file, started with the real entry point (PARASOL_WORKERS=2) and reached over real
 * HTTP. Reads go over a new connection each, which node:cluster hands to the workers in turn, so a run of
 * them reaches both processes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, PASS } from '../helpers/client.js';
import { freePort, runTs, type Running } from '../helpers/process.js';

const START_MS = 180_000;

interface Answer {
  readonly status: number;
  readonly text: string;
}

/** One request on a connection of its own (no keep-alive), so that consecutive requests reach both workers. */
function fresh(port: number, method: string, url: string, cookie: string, body?: unknown): Promise<Answer> {
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
    req.setTimeout(20_000, () => req.destroy(new Error(`no answer to ${method} ${url} in 20 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

const listening = (run: Running): number => (run.output().match(/Parasol is listening/g) ?? []).length;

async function until(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('two workers on one SQLite file (PARASOL_WORKERS=2)', function () {
  this.timeout(600_000);
  let dataDir: string;
  let port: number;
  let run: Running;
  let admin: Client;
  let cookie: string;
  let threadId: string;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-cluster-'));
    port = await freePort();
    run = runTs('server/main.ts', [], { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, NODE_ENV: 'test', PARASOL_WORKERS: '2' });
    const [, token] = await run.waitFor(/\/setup\/([A-Za-z0-9_-]+)/, START_MS);
    await until('two workers listening', START_MS, () => listening(run) >= 2);
    admin = new Client(`http://127.0.0.1:${port}`);
    assert.equal((await admin.api('POST', `/setup/${token}`, { handle: 'first_admin', passphrase: PASS })).status, 201);
    cookie = [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const thread = await fresh(port, 'POST', '/api/v1/boards/general/threads', cookie, { title: 'Shared thread', body: 'first words' });
    assert.equal(thread.status, 201, thread.text);
    threadId = (JSON.parse(thread.text) as { thread: { id: string } }).thread.id;
  });

  after(async () => {
    if (run.child.exitCode === null) {
      run.child.kill('SIGKILL');
      await run.exited();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows a reply made through one worker on the thread page and API answer of both, once the reply is acknowledged', async () => {
    // Both workers keep the visitor's page and the thread's JSON first, so a stale kept answer would show.
    for (let i = 0; i < 4; i++) assert.equal((await fresh(port, 'GET', `/t/${threadId}`, '')).status, 200);
    for (let i = 0; i < 4; i++) assert.equal((await fresh(port, 'GET', `/api/v1/threads/${threadId}`, '')).status, 200);
    const reply = await fresh(port, 'POST', `/api/v1/threads/${threadId}/posts`, cookie, { body: 'a reply seen everywhere' });
    assert.equal(reply.status, 201, reply.text);
    // Consecutive reads of one kind alternate between the workers (interleaved, each kind would stay on one).
    for (let i = 0; i < 4; i++) assert.match((await fresh(port, 'GET', `/t/${threadId}`, '')).text, /a reply seen everywhere/, `page read ${i}`);
    for (let i = 0; i < 4; i++) assert.match((await fresh(port, 'GET', `/api/v1/threads/${threadId}`, '')).text, /a reply seen everywhere/, `API read ${i}`);
  });

  it("drops both workers' kept answers the moment a moderator removes a post through one of them", async () => {
    const reply = await fresh(port, 'POST', `/api/v1/threads/${threadId}/posts`, cookie, { body: 'a reply about to be removed' });
    assert.equal(reply.status, 201, reply.text);
    const postId = (JSON.parse(reply.text) as { post: { id: string } }).post.id;
    // Kept by both workers and answered there before the middleware (visitors, no session cookie).
    for (let i = 0; i < 4; i++) assert.match((await fresh(port, 'GET', `/t/${threadId}`, '')).text, /a reply about to be removed/, `page read ${i}`);
    for (let i = 0; i < 4; i++) assert.match((await fresh(port, 'GET', `/api/v1/threads/${threadId}`, '')).text, /a reply about to be removed/, `API read ${i}`);
    const removed = await fresh(port, 'POST', `/api/v1/posts/${postId}/moderation`, cookie, { action: 'remove', reason: 'removed in the cluster test' });
    assert.equal(removed.status, 200, removed.text);
    for (let i = 0; i < 4; i++) assert.doesNotMatch((await fresh(port, 'GET', `/t/${threadId}`, '')).text, /a reply about to be removed/, `page read ${i} after the removal`);
    for (let i = 0; i < 4; i++) assert.doesNotMatch((await fresh(port, 'GET', `/api/v1/threads/${threadId}`, '')).text, /a reply about to be removed/, `API read ${i} after the removal`);
  });

  it('holds a rate limit across both workers', async () => {
    // Sign-up allows 5 attempts per handle in its window; alternating workers would each allow 5 if counts were per process.
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await fresh(port, 'POST', '/api/v1/accounts', '', { handle: 'limited_handle', passphrase: PASS })).status);
    assert.ok(statuses.slice(0, 5).every((s) => s !== 429), `the first 5 attempts are counted, not refused: ${statuses.join(' ')}`);
    assert.deepEqual(statuses.slice(5), [429, 429], `refused after the shared budget: ${statuses.join(' ')}`);
  });

  it('keeps serving when a worker is killed, and the primary starts another', async () => {
    const victim = Number(/"worker":1,"pid":(\d+)/.exec(run.output())?.[1]);
    assert.ok(victim > 0, 'the first worker logged its process id');
    const before = listening(run);
    process.kill(victim, 'SIGKILL');
    // A connection the primary hands over before it has seen the worker die is lost with it; from then on, none is.
    await run.waitFor(/worker stopped; starting another/, START_MS);
    for (let i = 0; i < 6; i++) assert.equal((await fresh(port, 'GET', `/t/${threadId}`, '')).status, 200, `read ${i} after the kill`);
    await until('a new worker', START_MS, () => listening(run) > before);
    const page = await fresh(port, 'GET', `/t/${threadId}`, '');
    assert.match(page.text, /a reply seen everywhere/, 'nothing acknowledged was lost');
  });

  it('stops every process with exit code 0 within 5 s of SIGTERM', async () => {
    const started = Date.now();
    run.child.kill('SIGTERM');
    const code = await run.exited();
    assert.equal(code, 0, run.output().slice(-2000));
    assert.ok(Date.now() - started < 5000, `stopped in ${Date.now() - started} ms`);
  });
});
