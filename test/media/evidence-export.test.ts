import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  buildEvidenceZip,
  instanceEvidenceSigner,
  verifyEvidenceManifest,
  type EvidenceFile,
  type EvidenceManifest,
} from '../../server/media/evidence-export.js';
import { has, readZip } from './zip.js';

/** Bytes that look like a small JPEG: what the test needs is arbitrary binary content and its hash. */
function photo(seed: number, size: number): Uint8Array {
  const bytes = crypto.createHash('sha512').update(String(seed)).digest();
  return Uint8Array.from({ length: size }, (_, i) => (i < 2 ? [0xff, 0xd8][i]! : bytes[i % bytes.length]! ^ (i & 0xff)));
}

const evidence = (name: string, bytes: Uint8Array, receivedAt: number): EvidenceFile => ({
  name,
  bytes,
  sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
  receivedAt,
  mediaType: 'image/jpeg',
});

describe('evidence export', function () {
  this.timeout(60_000);
  const keys = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const signer = instanceEvidenceSigner({ keyId: 'https://parasol.example/ap/instance#main-key', privateKeyPem: keys.privateKey });
  const now = Date.UTC(2026, 11, 7, 9, 30, 14);
  const files = [evidence('photo-1.jpg', photo(1, 40_000), Date.UTC(2026, 11, 6, 22, 5, 1)), evidence('photo-2.jpg', photo(2, 9_000), Date.UTC(2026, 11, 6, 22, 6, 30))];
  let zip: Uint8Array;
  let tmp: string;

  before(async () => {
    zip = await buildEvidenceZip('inc_4f2a', files, signer, now);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-evidence-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('holds the manifest, its signature and every file byte for byte', () => {
    const entries = readZip(zip);
    assert.deepEqual(entries.map((e) => e.name), ['manifest.json', 'manifest.sig', 'photo-1.jpg', 'photo-2.jpg']);
    for (const f of files) assert.ok(entries.find((e) => e.name === f.name)!.data.equals(Buffer.from(f.bytes)), `${f.name} is unchanged`);
    assert.ok(entries.every((e) => e.mode === 0o100644), 'plain files, readable by everyone who has the archive');
    assert.equal(entries[0]!.dosDate, ((2026 - 1980) << 9) | (12 << 5) | 7, 'dated when it was made (UTC)');
  });

  it('states what the files are, with each file’s SHA-256 and reception time, and the key that signed it', () => {
    const manifest = JSON.parse(readZip(zip)[0]!.data.toString('utf8')) as EvidenceManifest;
    assert.equal(manifest.incidentId, 'inc_4f2a');
    assert.equal(manifest.generatedAt, '2026-12-07T09:30:14.000Z');
    assert.match(manifest.statement, /re-encoded/);
    assert.match(manifest.statement, /no metadata/);
    assert.match(manifest.statement, /not the original/);
    assert.equal(manifest.signature.keyId, 'https://parasol.example/ap/instance#main-key');
    assert.deepEqual(manifest.files, [
      { name: 'photo-1.jpg', mediaType: 'image/jpeg', size: 40_000, sha256: files[0]!.sha256, receivedAt: '2026-12-06T22:05:01.000Z' },
      { name: 'photo-2.jpg', mediaType: 'image/jpeg', size: 9_000, sha256: files[1]!.sha256, receivedAt: '2026-12-06T22:06:30.000Z' },
    ]);
    for (const entry of readZip(zip).slice(2)) {
      assert.equal(crypto.createHash('sha256').update(entry.data).digest('hex'), manifest.files.find((f) => f.name === entry.name)!.sha256);
    }
  });

  it('signs the manifest’s exact bytes with the instance key, so that a changed byte fails the check', () => {
    const [manifest, sig] = readZip(zip);
    assert.equal(verifyEvidenceManifest(manifest!.data, sig!.data.toString('utf8'), keys.publicKey), true);
    const tampered = Buffer.from(manifest!.data);
    tampered[tampered.indexOf('2026-12-06T22:05:01')] = '3'.charCodeAt(0);
    assert.equal(verifyEvidenceManifest(tampered, sig!.data.toString('utf8'), keys.publicKey), false);
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    assert.equal(verifyEvidenceManifest(manifest!.data, sig!.data.toString('utf8'), other), false, 'another key does not verify it');
    assert.equal(verifyEvidenceManifest(manifest!.data, 'not base64 at all!', keys.publicKey), false);
  });

  it('checks out with the commands docs/evidence.md gives a lawyer (unzip, sha256sum, openssl)', function () {
    const missing = ['openssl', 'unzip', 'sha256sum'].filter((command) => !has(command));
    if (missing.length > 0) {
      console.log(`    the lawyer's commands skipped: ${missing.join(', ')} not installed on this machine`);
      this.skip();
    }
    const archive = path.join(tmp, 'evidence.zip');
    fs.writeFileSync(archive, zip);
    execFileSync('unzip', ['-q', archive, '-d', path.join(tmp, 'out')]);
    const out = path.join(tmp, 'out');
    fs.writeFileSync(path.join(tmp, 'instance-key.pem'), keys.publicKey);
    const binary = path.join(tmp, 'manifest.sig.bin');
    fs.writeFileSync(binary, execFileSync('openssl', ['base64', '-d', '-A', '-in', path.join(out, 'manifest.sig')]));
    const verified = execFileSync('openssl', ['dgst', '-sha256', '-verify', path.join(tmp, 'instance-key.pem'), '-signature', binary, path.join(out, 'manifest.json')], { encoding: 'utf8' });
    assert.match(verified, /Verified OK/);
    const sums = execFileSync('sha256sum', ['photo-1.jpg', 'photo-2.jpg'], { cwd: out, encoding: 'utf8' });
    assert.equal(sums, `${files[0]!.sha256}  photo-1.jpg\n${files[1]!.sha256}  photo-2.jpg\n`);
  });

  it('refuses a file whose bytes no longer match the hash recorded when it was stored, and unsafe or repeated names', async () => {
    const changed = { ...files[0]!, bytes: photo(3, 40_000) };
    await assert.rejects(buildEvidenceZip('inc_4f2a', [changed], signer, now), /does not match the SHA-256/);
    for (const name of ['../photo.jpg', 'a/b.jpg', 'manifest.json', 'manifest.sig', '', '.hidden']) {
      await assert.rejects(buildEvidenceZip('inc_4f2a', [{ ...files[0]!, name }], signer, now), /not allowed/, name);
    }
    await assert.rejects(buildEvidenceZip('inc_4f2a', [files[0]!, files[0]!], signer, now), /repeated/);
  });

  it('makes a valid archive for an incident without photos', async () => {
    const empty = readZip(await buildEvidenceZip('inc_none', [], signer, now));
    assert.deepEqual(empty.map((e) => e.name), ['manifest.json', 'manifest.sig']);
    assert.deepEqual((JSON.parse(empty[0]!.data.toString('utf8')) as EvidenceManifest).files, []);
  });
});
