import assert from 'node:assert/strict';
import http from 'node:http';
import { Agent, fetch } from 'undici';
import { addressCheckingLookup, isBlockedAddress, outboundFetch, refusedAddress } from '../../server/http/outbound.js';
import { fetchJson, FetchError } from '../../federation/fetch.js';

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
