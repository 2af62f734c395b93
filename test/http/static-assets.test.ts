import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { repoRoot } from '../helpers/process.js';

interface Raw {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A GET with exactly these headers, the body as it came over the wire (not decoded). */
function rawGet(base: string, url: string, headers: Record<string, string>): Promise<Raw> {
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${url}`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

describe('the files pages load, compressed once at the highest quality', function () {
  this.timeout(60_000);
  let inst: TestInstance;
  before(async () => {
    inst = await startInstance();
  });
  after(async () => inst.close());

  it('gives the neutral icon at /favicon.ico to any origin, for views that name none (a photo opened on its own is sandboxed)', async () => {
    const res = await rawGet(inst.url, '/favicon.ico', {});
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^image\/svg\+xml/);
    assert.equal(res.headers['cross-origin-resource-policy'], 'cross-origin');
    assert.deepEqual(res.body, fs.readFileSync(path.join(repoRoot, 'client', 'notes.svg')));
  });

  for (const [url, file] of [
    ['/assets/parasol.css', path.join(repoRoot, 'client', 'parasol.css')],
    ['/assets/offline.js', path.join(repoRoot, 'client', 'offline.js')],
    ['/assets/vendor/socket.io.min.js', path.join(repoRoot, 'node_modules', 'socket.io', 'client-dist', 'socket.io.min.js')],
  ] as const) {
    it(`sends ${url} as Brotli smaller than per-request compression would, the same bytes decoded, and 304 to its ETag`, async () => {
      const bytes = fs.readFileSync(file);
      const got = await rawGet(inst.url, url, { 'accept-encoding': 'gzip, deflate, br' });
      assert.equal(got.status, 200);
      assert.equal(got.headers['content-encoding'], 'br');
      assert.match(String(got.headers.vary), /Accept-Encoding/i);
      assert.equal(got.headers['cache-control'], 'public, max-age=604800');
      assert.equal(got.headers['x-content-type-options'], 'nosniff', 'the security headers are set as on every answer');
      assert.ok(zlib.brotliDecompressSync(got.body).equals(bytes), 'decodes to the file');
      const perRequest = zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4, [zlib.constants.BROTLI_PARAM_LGWIN]: 18 } });
      assert.ok(got.body.length < perRequest.length, `${got.body.length} B against ${perRequest.length} B at quality 4`);
      const again = await rawGet(inst.url, url, { 'accept-encoding': 'br', 'if-none-match': String(got.headers.etag) });
      assert.equal(again.status, 304);
      assert.equal(again.body.length, 0);
      const plain = await rawGet(inst.url, url, {});
      assert.equal(plain.status, 200);
      assert.equal(plain.headers['content-encoding'], undefined, 'a client without Brotli gets the file as it is');
      assert.ok(plain.body.equals(bytes), 'the file as it is');
    });
  }

  it('answers 404 for a name that is not a file of client/, and never reaches outside it', async () => {
    for (const url of ['/assets/nothing.js', '/assets/..%2fpackage.json', '/assets/%2e%2e%2fpackage.json']) {
      const got = await rawGet(inst.url, url, { 'accept-encoding': 'br' });
      assert.notEqual(got.status, 200, url);
      assert.ok(!got.body.toString().includes('"dependencies"'), url);
    }
  });
});
