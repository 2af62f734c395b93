import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AnswerReader, BAD, httpLoad, MORE } from '../../bench/http-load.js';

const SECONDS = 0.5;
const BODY = crypto.randomBytes(7_000);

async function listen(server: net.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: net.Server): Promise<void> {
  (server as http.Server).closeAllConnections?.();
  await new Promise((resolve) => server.close(resolve));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Feeds the pieces to one reader; returns each answer's status and body bytes, and what is left unread. */
function readAll(pieces: readonly Buffer[]): { answers: [number, number][]; pending: boolean } {
  const reader = new AnswerReader();
  const answers: [number, number][] = [];
  let pending = false;
  for (const piece of pieces) {
    let at = 0;
    while (at < piece.length) {
      at = reader.read(piece, at);
      assert.notEqual(at, BAD, 'a well-formed answer');
      pending = at === MORE;
      if (pending) break;
      answers.push([reader.status, reader.received]);
    }
  }
  return { answers, pending };
}

const chunkedAnswer = (body: Buffer, sizes: readonly number[]): Buffer => {
  const parts: Buffer[] = [Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\n\r\n')];
  let from = 0;
  for (const size of sizes) {
    parts.push(Buffer.from(`${size.toString(16)};ext=1\r\n`), body.subarray(from, from + size), Buffer.from('\r\n'));
    from += size;
  }
  parts.push(Buffer.from('0\r\nX-Trailer: yes\r\n\r\n'));
  return Buffer.concat(parts);
};

describe('bench load generator: reading answers (bench/http-load.ts)', () => {
  const body = crypto.randomBytes(300);
  const chunked = chunkedAnswer(body, [100, 1, 199]);
  const sized = Buffer.concat([Buffer.from(`HTTP/1.1 404 Not Found\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
  const bodyless = Buffer.from('HTTP/1.1 204 No Content\r\n\r\n');
  const stream = Buffer.concat([chunked, sized, bodyless, chunked]);
  const expected: [number, number][] = [
    [200, 300],
    [404, 300],
    [204, 0],
    [200, 300],
  ];

  it('reads answers back to back, cut in two at every byte', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      assert.deepEqual(readAll([stream.subarray(0, cut), stream.subarray(cut)]), { answers: expected, pending: false }, `cut at ${cut}`);
    }
  });

  it('reads answers that come a byte at a time', () => {
    const bytes = [...stream].map((b) => Buffer.from([b]));
    assert.deepEqual(readAll(bytes), { answers: expected, pending: false });
  });

  it('waits for the rest of an answer cut short, and refuses what is not an HTTP answer', () => {
    assert.deepEqual(readAll([chunked.subarray(0, chunked.length - 1)]), { answers: [], pending: true });
    assert.equal(new AnswerReader().read(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'), 0), BAD);
    assert.equal(new AnswerReader().read(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'), 0), BAD);
  });
});

describe('bench load generator (bench/http-load.ts)', () => {
  let server: net.Server | null = null;
  afterEach(async () => {
    if (server) await close(server);
    server = null;
  });

  it('asks for every path in turn with the given headers, and counts answers, status codes and body bytes without decoding them', async () => {
    const asked = new Map<string, number>();
    const headersSeen = new Set<string>();
    let sent = 0;
    server = http.createServer((req, res) => {
      asked.set(req.url!, (asked.get(req.url!) ?? 0) + 1);
      headersSeen.add(`${req.headers['accept-encoding']}|${req.headers.accept}`);
      sent += 1;
      if (req.url === '/missing') {
        res.writeHead(404, { 'content-type': 'text/plain', 'content-length': '9' }).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'br', 'content-length': String(BODY.length) }).end(BODY);
    });
    const url = await listen(server);
    const result = await httpLoad({ url, paths: ['/a', '/b', '/c', '/missing'], headers: { accept: 'text/html', 'accept-encoding': 'gzip, br' }, connections: 5, seconds: SECONDS });

    assert.ok(result.requests.total > 20, `${result.requests.total} answers`);
    assert.deepEqual([...headersSeen], ['gzip, br|text/html']);
    assert.deepEqual([...asked.keys()].sort(), ['/a', '/b', '/c', '/missing']);
    const counts = [...asked.values()];
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `each path in turn: ${counts.join(', ')}`);
    const ok = result.statusCodes[200] ?? 0;
    const missing = result.statusCodes[404] ?? 0;
    assert.equal(ok + missing, result.requests.total);
    assert.equal(result.non2xx, missing);
    assert.ok(missing > 0, 'the 404s are counted');
    assert.equal(result.bytes, ok * BODY.length + missing * 9);
    assert.equal(result.errors, 0);
    assert.equal(result.timeouts, 0);
    assert.ok(sent - result.requests.total >= 0 && sent - result.requests.total <= 5, 'only answers in flight at the end go uncounted');
    assert.ok(result.latency.p50 > 0 && result.latency.p50 <= result.latency.p99 && result.latency.p99 <= result.latency.max, 'latency percentiles in order');
    assert.ok(Math.abs(result.requests.average - result.requests.total / result.seconds) < 1e-6, 'the rate is answers per second of the run');
  });

  it('reads chunked answers with trailers, in pieces split anywhere, and bodyless answers', async () => {
    // A raw server, so that the answer arrives in pieces cut through the head, the size lines and the trailers.
    const chunks = [BODY.subarray(0, 1_000), BODY.subarray(1_000, 1_001), BODY.subarray(1_001)];
    const chunked = Buffer.concat([
      Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n'),
      ...chunks.flatMap((c) => [Buffer.from(`${c.length.toString(16)};ext=1\r\n`), c, Buffer.from('\r\n')]),
      Buffer.from('0\r\nX-Trailer: yes\r\n\r\n'),
    ]);
    const noContent = Buffer.from('HTTP/1.1 204 No Content\r\n\r\n');
    const cuts = [5, 40, 70, 73, 1_080, 1_083, 1_090, chunked.length - 12, chunked.length - 1];
    server = net.createServer((socket) => {
      let pending = '';
      socket.on('data', async (data: Buffer) => {
        pending += data.toString('latin1');
        while (pending.includes('\r\n\r\n')) {
          const request = pending.slice(0, pending.indexOf('\r\n\r\n'));
          pending = pending.slice(request.length + 4);
          if (request.startsWith('GET /empty ')) {
            socket.write(noContent);
            continue;
          }
          let from = 0;
          for (const cut of cuts) {
            socket.write(chunked.subarray(from, cut));
            from = cut;
            await sleep(1);
          }
          socket.write(chunked.subarray(from));
        }
      });
      socket.on('error', () => undefined);
    });
    const url = await listen(server);
    const result = await httpLoad({ url, paths: ['/chunked', '/empty'], headers: {}, connections: 2, seconds: SECONDS });

    const ok = result.statusCodes[200] ?? 0;
    assert.ok(ok > 0, 'chunked answers counted');
    assert.ok((result.statusCodes[204] ?? 0) > 0, 'bodyless answers counted');
    assert.equal(result.bytes, ok * BODY.length, 'the chunks\u2019 data, without sizes or trailers');
    assert.equal(result.errors, 0);
    assert.equal(result.non2xx, 0);
  });

  it('opens a connection again after an answer with Connection: close, and after one framed by the close alone', async () => {
    let n = 0;
    server = net.createServer((socket) => {
      socket.once('data', () => {
        n += 1;
        if (n % 2 === 0) socket.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 7000\r\n\r\n'), BODY]));
        else socket.end(Buffer.concat([Buffer.from('HTTP/1.0 200 OK\r\n\r\n'), BODY]));
      });
      socket.on('error', () => undefined);
    });
    const url = await listen(server);
    const result = await httpLoad({ url, paths: ['/'], headers: {}, connections: 3, seconds: SECONDS });

    assert.ok(result.requests.total > 4, `${result.requests.total} answers`);
    assert.equal(result.statusCodes[200], result.requests.total);
    assert.equal(result.bytes, result.requests.total * BODY.length);
    assert.equal(result.errors, 0);
  });

  it('counts a connection reset before the answer ends as an error and carries on', async () => {
    let served = 0;
    let resets = 0;
    server = http.createServer((req, res) => {
      if (req.url === '/reset') {
        resets += 1;
        req.socket.destroy();
        return;
      }
      if (req.url === '/half') {
        // Half of the promised body, then a reset.
        resets += 1;
        res.writeHead(200, { 'content-length': String(BODY.length) });
        res.write(BODY.subarray(0, 100), () => req.socket.destroy());
        return;
      }
      served += 1;
      res.writeHead(200, { 'content-length': String(BODY.length) }).end(BODY);
    });
    const url = await listen(server);
    const result = await httpLoad({ url, paths: ['/ok', '/reset', '/ok', '/half'], headers: {}, connections: 4, seconds: SECONDS });

    assert.ok(result.errors > 0, 'resets counted as errors');
    assert.ok(result.errors <= resets, `${result.errors} errors, ${resets} resets`);
    assert.equal(result.statusCodes[200], result.requests.total, 'a half answer is not counted as an answer');
    assert.ok(result.requests.total > 0 && result.requests.total <= served, `${result.requests.total} answers of ${served} served`);
    assert.ok(served + resets - (result.requests.total + result.errors) <= 4, 'only requests in flight at the end go uncounted');
  });

  it('counts an answer that never comes as a timeout, once, and opens the connection again', async () => {
    let never = 0;
    server = http.createServer((req, res) => {
      if (req.url === '/never') {
        never += 1;
        return;
      }
      res.writeHead(200, { 'content-length': '2' }).end('ok');
    });
    const url = await listen(server);
    const result = await httpLoad({ url, paths: ['/never', '/ok'], headers: {}, connections: 1, seconds: SECONDS, timeoutMs: 100 });

    assert.ok(result.timeouts >= 1, 'a timeout counted');
    assert.ok(result.timeouts <= never, `${result.timeouts} timeouts of ${never} requests left unanswered`);
    assert.ok(result.requests.total >= 1, 'the connection opened again answers the next path');
    assert.equal(result.errors, 0);
  });

  it('counts a refused connection as an error', async () => {
    const probe = net.createServer();
    const url = await listen(probe);
    await close(probe);
    const result = await httpLoad({ url, paths: ['/'], headers: {}, connections: 2, seconds: 0.2 });
    assert.equal(result.requests.total, 0);
    assert.ok(result.errors >= 2, 'each connection\u2019s refusal counted');
    assert.ok(Number.isNaN(result.latency.p50), 'no latency without answers');
  });

  it('refuses what it cannot load', async () => {
    await assert.rejects(httpLoad({ url: 'https://127.0.0.1:1', paths: ['/'], headers: {}, connections: 1, seconds: 0.1 }), /plain http only/);
    await assert.rejects(httpLoad({ url: 'http://127.0.0.1:1', paths: [], headers: {}, connections: 1, seconds: 0.1 }), /at least one path/);
  });
});
