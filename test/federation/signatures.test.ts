import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import {
  digestHeader,
  digestMatches,
  parseSignatureHeader,
  signatureHeaderOf,
  signingString,
  signRequest,
  signRequestOffThread,
  verifySignature,
} from '../../federation/signatures.js';
import { Iris } from '../../federation/iris.js';
import { loadConfig } from '../../server/config.js';

const httpSignature = createRequire(import.meta.url)('http-signature') as {
  parseRequest(req: { method: string; url: string; headers: Record<string, unknown> }, options?: unknown): { keyId: string };
  verifySignature(parsed: unknown, publicKeyPem: string): boolean;
};

const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

describe('HTTP signatures and digests', () => {
  const url = new URL('https://b.example/ap/b/general/inbox?x=1');
  const body = '{"type":"Follow"}';

  it('signs POSTs over (request-target), host, date and digest, verifiable by the registry’s http-signature', () => {
    const headers = signRequest({ method: 'POST', url, keyId: 'https://a.example/ap/instance#main-key', privateKeyPem: privateKey, body });
    assert.equal(headers.digest, digestHeader(body));
    const parsed = httpSignature.parseRequest(
      { method: 'POST', url: '/ap/b/general/inbox?x=1', headers: { ...headers, host: url.host } },
      { headers: ['(request-target)', 'host', 'date', 'digest'] },
    );
    assert.equal(parsed.keyId, 'https://a.example/ap/instance#main-key');
    assert.ok(httpSignature.verifySignature(parsed, publicKey), 'http-signature verifies the signature');
  });

  it('signs the same way off the main thread, for GETs (no digest) and POSTs', async () => {
    const date = new Date('2026-12-01T10:00:00Z');
    for (const request of [
      { method: 'GET' as const, url, keyId: 'k', privateKeyPem: privateKey, date },
      { method: 'POST' as const, url, keyId: 'k', privateKeyPem: privateKey, body, date },
    ]) {
      const off = await signRequestOffThread(request);
      // RSA PKCS#1 v1.5 signatures are deterministic: the same input gives the same header.
      assert.deepEqual(off, signRequest(request));
      const parsed = httpSignature.parseRequest({ method: request.method, url: '/ap/b/general/inbox?x=1', headers: { ...off, host: url.host } }, { clockSkew: 1e9 });
      assert.ok(httpSignature.verifySignature(parsed, publicKey), `${request.method} signed off the main thread verifies`);
    }
  });

  it('verifies what it signs and nothing else', () => {
    const headers = signRequest({ method: 'POST', url, keyId: 'k', privateKeyPem: privateKey, body });
    const params = parseSignatureHeader(headers.signature)!;
    assert.deepEqual(params.headers, ['(request-target)', 'host', 'date', 'digest']);
    const all = { ...headers, host: url.host };
    const data = signingString(params.headers, 'POST', '/ap/b/general/inbox?x=1', all)!;
    assert.ok(verifySignature(params, data, publicKey), 'the signature verifies');
    assert.ok(!verifySignature(params, data.replace('general', 'other'), publicKey), 'another path');
    assert.ok(!verifySignature(params, data, crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString()), 'another key');
    assert.equal(signingString(params.headers, 'POST', '/x', { host: 'h' }), null, 'a signed header that is missing');
  });

  it('parses signature headers strictly', () => {
    assert.equal(parseSignatureHeader(undefined), null);
    assert.equal(parseSignatureHeader('garbage'), null);
    assert.equal(parseSignatureHeader('keyId="a",keyId="b",signature="x"'), null, 'repeated parameters');
    assert.equal(parseSignatureHeader('algorithm="rsa-sha256",signature="x"'), null, 'no keyId');
    assert.deepEqual(parseSignatureHeader('keyId="k",signature="s"'), { keyId: 'k', algorithm: 'hs2019', headers: ['date'], signature: 's' });
    assert.equal(signatureHeaderOf({ authorization: 'Signature keyId="k",signature="s"' }), 'keyId="k",signature="s"');
    assert.equal(signatureHeaderOf({ authorization: 'Bearer abc' }), undefined);
  });

  it('matches a Digest only to its own body, with SHA-256 or SHA-512', () => {
    const raw = Buffer.from(body);
    assert.ok(digestMatches(digestHeader(body), raw), 'a SHA-256 digest of the body matches');
    assert.ok(digestMatches(`SHA-512=${crypto.createHash('sha512').update(raw).digest('base64')}`, raw), 'a SHA-512 digest of the body matches');
    assert.ok(!digestMatches(digestHeader('{"type":"Undo"}'), raw), 'another body’s digest does not match');
    assert.ok(!digestMatches('MD5=abc', raw), 'no known algorithm');
    assert.ok(!digestMatches(undefined, raw), 'a missing Digest does not match');
    assert.ok(!digestMatches(`${digestHeader(body)},SHA-512=AAAA`, raw), 'every listed digest must match');
  });
});

describe('federation IRIs and configuration', () => {
  const iris = new Iris('https://parasol.example/');

  it('names actors and their collections, and reads them back', () => {
    assert.equal(iris.actor({ kind: 'board', slug: 'general' }), 'https://parasol.example/ap/b/general');
    assert.equal(iris.actor({ kind: 'member', handle: 'Alice_1' }), 'https://parasol.example/ap/u/alice_1');
    assert.equal(iris.stream({ kind: 'instance' }, 'inbox'), 'https://parasol.example/ap/instance/inbox');
    assert.deepEqual(iris.parseActor('https://parasol.example/ap/b/general'), { kind: 'board', slug: 'general' });
    assert.deepEqual(iris.parseActor('https://parasol.example/ap/instance'), { kind: 'instance' });
    assert.equal(iris.parseActor('https://elsewhere.example/ap/b/general'), null);
    assert.equal(iris.parseActor('https://parasol.example/ap/b/general/inbox'), null);
    assert.deepEqual(iris.collectionInfo('https://parasol.example/ap/b/general/followers'), { name: 'followers', actor: 'b/general' });
    assert.deepEqual(iris.collectionInfo('https://parasol.example/ap/instance/following'), { name: 'following', actor: 'instance' });
    assert.deepEqual(iris.collectionInfo('https://parasol.example/ap/s/abc/likes'), { name: 'likes', activity: 'abc' });
    assert.equal(iris.collectionInfo('https://elsewhere.example/ap/b/general/followers'), undefined);
  });

  it('is on by default, with 48-hour deliveries, and every setting can be changed', () => {
    const defaults = loadConfig({}).federation;
    assert.equal(defaults.enabled, true);
    assert.equal(defaults.userCounts, true);
    assert.equal(defaults.deliveryMaxAgeMs, 48 * 3_600_000);
    const off = loadConfig({ FEDERATION: 'false', FEDERATION_USER_COUNTS: '0', FEDERATION_RETRY_BASE_SECONDS: '5' }).federation;
    assert.equal(off.enabled, false);
    assert.equal(off.userCounts, false);
    assert.equal(off.retryBaseMs, 5000);
    assert.throws(() => loadConfig({ FEDERATION: 'maybe' }), /FEDERATION/);
    assert.equal(loadConfig({ ALLOW_PRIVATE_NETWORK: 'true', NODE_ENV: 'production' }).allowPrivateNetwork, false, 'loopback peers only under NODE_ENV=test');
  });
});
