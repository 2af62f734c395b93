import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { Agent, fetch } from 'undici';
import { addressCheckingLookup, assertCallable, isBlockedAddress, outboundFetch, outboundRequest, refusedAddress } from '../../server/http/outbound.js';
import { fetchJson, FetchError, MAX_DOCUMENT_BYTES, postActivity } from '../../federation/fetch.js';
import { AppError } from '../../server/core/errors.js';

/** A server on loopback that counts the requests it gets. */
async function countingServer(): Promise<{ port: number; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.setHeader('content-type', 'application/activity+json');
    res.end('{"id":"x"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('outbound requests (SSRF and DNS rebinding)', () => {
  let target: Awaited<ReturnType<typeof countingServer>>;
  before(async () => {
    target = await countingServer();
  });
  after(() => target.close());

  it('refuses at connect time a name that resolves to loopback, even when nothing checked it before', async () => {
    // outboundFetch is called directly, without assertCallable's check beforehand: what a rebinding name gets past.
    const refused = await outboundFetch(`http://localhost:${target.port}/`, {}, false).then(
      () => null,
      (error: unknown) => error,
    );
    assert.ok(refused, 'the request failed');
    assert.ok(refusedAddress(refused), 'for its address');
    const viaRequest = await outboundRequest(new URL(`http://localhost:${target.port}/`), { method: 'GET', headers: {}, signal: AbortSignal.timeout(2_000) }, false).then(
      () => null,
      (error: unknown) => error,
    );
    assert.ok(viaRequest && refusedAddress(viaRequest), 'federation’s requests are refused the same way');
    assert.equal(target.requests(), 0, 'nothing reached the server');
  });

  it('connects to the checked addresses when they are allowed (the lookup answers as connections expect)', async () => {
    const allowAll = new Agent({ connect: { lookup: addressCheckingLookup(() => false) } });
    const blockLoopback = new Agent({ connect: { lookup: addressCheckingLookup(isBlockedAddress) } });
    try {
      const ok = await fetch(`http://localhost:${target.port}/`, { dispatcher: allowAll });
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), '{"id":"x"}');
      await assert.rejects(fetch(`http://localhost:${target.port}/`, { dispatcher: blockLoopback }), (error) => refusedAddress(error));
    } finally {
      await allowAll.close();
      await blockLoopback.close();
    }
  });

  it('tells federation the address was refused (no retry), and tests may still allow loopback', async () => {
    const base = { timeoutMs: 2_000, userAgent: 'test' };
    await assert.rejects(fetchJson(`http://localhost:${target.port}/`, { ...base, allowPrivateNetwork: false }), (error) => error instanceof FetchError && !error.transient);
    const before = target.requests();
    const { json } = await fetchJson(`http://localhost:${target.port}/`, { ...base, allowPrivateNetwork: true });
    assert.deepEqual(json, { id: 'x' });
    assert.equal(target.requests(), before + 1);
  });
});

describe('addresses a server may call (public unicast only)', () => {
  const refused: [string, string][] = [
    ['64:ff9b::7f00:1', 'NAT64 (64:ff9b::/96) to 127.0.0.1'],
    ['64:ff9b::a00:1', 'NAT64 (64:ff9b::/96) to 10.0.0.1'],
    ['2002:7f00:1::1', '6to4 (2002::/16) of 127.0.0.1'],
    ['2002:c0a8:101::1', '6to4 (2002::/16) of 192.168.1.1'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hexadecimal'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['100.64.0.1', 'CGNAT (100.64/10), first'],
    ['100.127.255.254', 'CGNAT (100.64/10), last'],
    ['fc00::1', 'unique local (fc00::/7)'],
    ['fdff:ffff::1', 'unique local (fc00::/7), fd half'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'IPv6 loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'IPv6 unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['fe80::1', 'IPv6 link-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'IPv6 multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'documentation'],
    ['2001:db8::1', 'IPv6 documentation'],
    ['not-an-address', 'unreadable'],
  ];

  it('refuses every address that is not public unicast, including NAT64, 6to4 and IPv4-mapped ones', () => {
    for (const [address, what] of refused) assert.equal(isBlockedAddress(address), true, `${address} (${what}) is refused`);
  });

  it('allows public unicast addresses', () => {
    for (const address of ['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e']) {
      assert.equal(isBlockedAddress(address), false, `${address} is allowed`);
    }
  });

  it('checks a URL naming an address before any connection: refused ranges are 422, a public address passes', async () => {
    for (const host of ['[64:ff9b::7f00:1]', '[2002:7f00:1::1]', '[::ffff:127.0.0.1]', '100.64.0.1', '[fc00::1]']) {
      await assert.rejects(assertCallable(`https://${host}/inbox`, false), (error) => error instanceof AppError && error.status === 422 && error.code === 'bad_url');
    }
    // Only checked, never connected to: assertCallable makes no request.
    const url = await assertCallable('https://[2606:4700:4700::1111]/inbox', false);
    assert.equal(url.hostname, '[2606:4700:4700::1111]');
    assert.equal((await assertCallable('https://93.184.216.34/inbox', false)).hostname, '93.184.216.34');
  });

  it('lets tests reach loopback when they allow the private network', async () => {
    assert.equal((await assertCallable('http://127.0.0.1:8080/inbox', true)).port, '8080');
    await assert.rejects(assertCallable('http://127.0.0.1:8080/inbox', false), (error) => error instanceof AppError && error.status === 422);
  });
});

describe('federation’s requests read answers within bounds', () => {
  let server: http.Server;
  let base = '';
  const posted: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const options = { timeoutMs: 2_000, userAgent: 'test', allowPrivateNetwork: true };
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const json = { 'content-type': 'application/activity+json' };
        switch (req.url) {
          case '/doc': res.writeHead(200, json).end('{"id":"doc"}'); return;
          case '/moved': res.writeHead(301, { location: '/doc' }).end(); return;
          case '/loop': res.writeHead(302, { location: '/loop' }).end(); return;
          case '/html': res.writeHead(200, { 'content-type': 'text/html' }).end('<p>no</p>'); return;
          case '/declared-big': res.writeHead(200, { ...json, 'content-length': String(MAX_DOCUMENT_BYTES + 1) }).end(); return;
          case '/streamed-big': {
            // No length given: the reader must stop at the limit by counting.
            res.writeHead(200, json);
            const chunk = Buffer.alloc(64 * 1024, 0x20);
            for (let i = 0; i <= MAX_DOCUMENT_BYTES / chunk.length; i++) res.write(chunk);
            res.end();
            return;
          }
          case '/stall': res.writeHead(200, json).write('{"id":'); return;
          case '/broken': res.writeHead(200, json).end('{"id":'); return;
          case '/gone': res.writeHead(404).end('not here'); return;
          case '/busy': res.writeHead(503).end(); return;
          case '/inbox': posted.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }); res.writeHead(202).end('accepted, with a body to drop'); return;
          case '/slow-down': res.writeHead(429, { 'retry-after': '120' }).end(); return;
          default: res.writeHead(500).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));

  const fails = (path: string, check: (e: FetchError) => boolean) =>
    assert.rejects(fetchJson(`${base}${path}`, options), (error) => error instanceof FetchError && check(error));

  it('follows a few redirects, and refuses what is not a JSON document of at most 1 MB', async () => {
    const moved = await fetchJson(`${base}/moved`, options);
    assert.deepEqual(moved.json, { id: 'doc' });
    assert.equal(moved.url.pathname, '/doc', 'the final URL is the one after the redirect');
    await fails('/loop', (e) => /too many redirects/.test(e.message));
    await fails('/html', (e) => /not a JSON document/.test(e.message));
    await fails('/declared-big', (e) => /too large/.test(e.message));
    await fails('/streamed-big', (e) => /too large/.test(e.message));
    await fails('/broken', (e) => /malformed/.test(e.message));
    await fails('/gone', (e) => e.status === 404 && !e.transient);
    await fails('/busy', (e) => e.status === 503 && e.transient);
    // A server that stops half-way is given up on when the time is out, as one worth trying again later.
    await assert.rejects(fetchJson(`${base}/stall`, { ...options, timeoutMs: 300 }), (error) => error instanceof FetchError && error.transient);
    // The connection is still good for the next request after all of those.
    assert.deepEqual((await fetchJson(`${base}/doc`, options)).json, { id: 'doc' });
  });

  it('posts a signed activity and reads the status and Retry-After of the answer', async () => {
    const signer = { keyId: `${base}/actor#main-key`, privateKeyPem: privateKey };
    const sent = await postActivity(`${base}/inbox`, '{"type":"Accept"}', signer, options);
    assert.deepEqual(sent, { status: 202, retryAfterMs: 0 });
    assert.equal(posted[0]?.body, '{"type":"Accept"}');
    assert.match(String(posted[0]?.headers.signature), /keyId=".*#main-key",algorithm="rsa-sha256",headers="\(request-target\) host date digest"/);
    assert.deepEqual(await postActivity(`${base}/slow-down`, '{}', signer, options), { status: 429, retryAfterMs: 120_000 });
  });
});
