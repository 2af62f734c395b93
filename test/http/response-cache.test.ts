import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import express from 'express';
import { createResponseCache, type ResponseCache } from '../../server/http/response-cache.js';

/** A tiny app in front of the cache: GET /:key answers from the cache or renders "page <key> #<n>" and stores it under tag "t". */
async function serveWith(cache: ResponseCache): Promise<{ url: string; renders: () => number; close: () => Promise<void> }> {
  let renders = 0;
  const app = express();
  app.get('/:key', (req, res) => {
    const key = req.params.key;
    if (cache.serve(req, res, key)) return;
    const version = cache.version();
    renders++;
    const html = `<p>page ${key} #${renders}</p>`;
    cache.store(key, 't', html, version);
    res.type('html').send(html);
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, renders: () => renders, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

describe('response cache', () => {
  it('answers a repeated page from memory, compressed as the client accepts, with an ETag that gives 304', async () => {
    const app = await serveWith(createResponseCache({ maxEntries: 10, ttlMs: 60_000 }));
    try {
      const first = await get(`${app.url}/a`);
      assert.equal(first.body.toString(), '<p>page a #1</p>');
      const br = await get(`${app.url}/a`, { 'accept-encoding': 'gzip, br' });
      assert.equal(br.headers['content-encoding'], 'br');
      assert.equal(br.headers.vary, 'Accept-Encoding');
      assert.equal(zlib.brotliDecompressSync(br.body).toString(), '<p>page a #1</p>');
      const gz = await get(`${app.url}/a`, { 'accept-encoding': 'gzip' });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.equal(zlib.gunzipSync(gz.body).toString(), '<p>page a #1</p>');
      const plain = await get(`${app.url}/a`);
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(plain.body.toString(), '<p>page a #1</p>');
      const again = await get(`${app.url}/a`, { 'if-none-match': String(plain.headers.etag) });
      assert.equal(again.status, 304);
      assert.equal(again.body.length, 0);
      assert.equal(app.renders(), 1, 'rendered once');
    } finally {
      await app.close();
    }
  });

  it('renders again after its tag or everything was invalidated, and after the lifetime', async () => {
    let now = 1_000;
    const cache = createResponseCache({ maxEntries: 10, ttlMs: 5_000, now: () => now });
    const app = await serveWith(cache);
    try {
      await get(`${app.url}/a`);
      cache.invalidate('other');
      assert.equal((await get(`${app.url}/a`)).body.toString(), '<p>page a #1</p>', 'another tag changes nothing');
      cache.invalidate('t');
      assert.equal((await get(`${app.url}/a`)).body.toString(), '<p>page a #2</p>');
      cache.invalidate(null);
      assert.equal((await get(`${app.url}/a`)).body.toString(), '<p>page a #3</p>');
      now += 5_001;
      assert.equal((await get(`${app.url}/a`)).body.toString(), '<p>page a #4</p>');
    } finally {
      await app.close();
    }
  });

  it('refuses a page rendered while something changed, and keeps at most maxEntries', () => {
    const cache = createResponseCache({ maxEntries: 2, ttlMs: 60_000 });
    const before = cache.version();
    cache.invalidate('t');
    cache.store('stale', 't', 'old', before);
    assert.equal(cache.size, 0);
    for (const key of ['a', 'b', 'c']) cache.store(key, 't', key, cache.version());
    assert.equal(cache.size, 2);
  });
});
