/**
 * The evidence export on an instance that does not federate: signed with the instance's own signing key, made once
 * and kept with its secrets (the same after a restart), whose public key the instance publishes as a file, a page
 * with its fingerprint, and an API answer; the lawyer's openssl commands of docs/evidence.md verify it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, type Person } from '../helpers/people.js';
import { testDatabaseFor } from '../helpers/test-database.js';
import { verifyEvidenceManifest, type EvidenceManifest } from '../../server/media/evidence-export.js';
import { apiWithPhotos } from './helpers.js';
import { noisyPixels } from './fixtures.js';
import { has, readZip } from './zip.js';

describe('evidence exports signed with the instance’s own key, federation off', function () {
  this.timeout(90_000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-evidence-key-'));
  let inst: TestInstance;
  let alice: Person;
  let incidentId = '';
  let zip: Buffer;
  let publicKeyPem = '';

  before(async () => {
    inst = await startInstance({ dataDir, env: { FEDERATION: 'false' } });
    await admin(inst);
    alice = await member(inst, 'alice');
    const photo = { bytes: await (await noisyPixels(160, 120, 4)).jpeg().toBuffer() };
    const reported = await apiWithPhotos(alice.client, '/incidents', { kind: 'violence', description: 'He took my phone; photo of the car.' }, [photo, photo], { alt: 'Car' });
    assert.equal(reported.status, 201, reported.text);
    incidentId = reported.json.incident.id;
  });
  after(async () => {
    await inst.close();
    await (await testDatabaseFor(dataDir))?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('exports without federation, the manifest naming the address of the instance’s key', async () => {
    assert.equal(inst.parasol.ctx.config.federation.enabled, false, 'this instance does not federate');
    const res = await fetch(`${inst.url}/safety/incidents/${incidentId}/evidence.zip`, { headers: { cookie: [...alice.client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    assert.equal(res.status, 200, await res.clone().text());
    zip = Buffer.from(await res.arrayBuffer());
    const [manifest, signature] = readZip(zip);
    const parsed = JSON.parse(manifest!.data.toString('utf8')) as EvidenceManifest;
    assert.equal(parsed.incidentId, incidentId);
    assert.equal(parsed.files.length, 2);
    assert.equal(parsed.signature.keyId, `${inst.parasol.ctx.config.publicUrl}/evidence-key.pem`);

    const key = await fetch(`${inst.url}/evidence-key.pem`);
    assert.equal(key.status, 200);
    assert.match(key.headers.get('content-type') ?? '', /^application\/x-pem-file\b/);
    publicKeyPem = await key.text();
    assert.match(publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(crypto.createPublicKey(publicKeyPem).asymmetricKeyType, 'rsa');
    assert.equal(verifyEvidenceManifest(manifest!.data, signature!.data.toString('utf8'), publicKeyPem), true);
  });

  it('publishes the key on a page with its fingerprint and in the API, to visitors too', async () => {
    const der = crypto.createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
    const fingerprint = crypto.createHash('sha256').update(der).digest('hex');
    const visitor = new Client(inst.url);
    const page = await visitor.get('/evidence-key');
    assert.equal(page.status, 200);
    assert.ok(page.text.includes(`<code dir="ltr">${fingerprint}</code>`), 'the fingerprint');
    assert.ok(page.text.includes('<a href="/evidence-key.pem" download>'), 'the key to download');
    assert.ok(page.text.includes(`curl -s ${inst.parasol.ctx.config.publicUrl}/evidence-key.pem &gt; instance-key.pem`), 'the commands, with this site’s address');
    const api = await visitor.api('GET', '/evidence-key');
    assert.equal(api.status, 200, api.text);
    assert.deepEqual([api.json.publicKeyPem, api.json.fingerprint, api.json.keyId], [publicKeyPem, fingerprint, `${inst.parasol.ctx.config.publicUrl}/evidence-key.pem`]);
    const incident = await alice.client.get(`/safety/incidents/${incidentId}`);
    assert.match(incident.text, /<a href="\/evidence-key">How a lawyer checks this file \(the signing key\)<\/a>/);
  });

  it('checks out with the commands docs/evidence.md gives a lawyer, the fingerprint included', function () {
    const missing = ['openssl', 'unzip', 'sha256sum'].filter((command) => !has(command));
    if (missing.length > 0) {
      console.log(`    the lawyer's commands skipped: ${missing.join(', ')} not installed on this machine`);
      this.skip();
    }
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-lawyer-'));
    try {
      fs.writeFileSync(path.join(tmp, 'evidence.zip'), zip);
      fs.writeFileSync(path.join(tmp, 'instance-key.pem'), publicKeyPem);
      execFileSync('unzip', ['-q', 'evidence.zip', '-d', 'evidence'], { cwd: tmp });
      const out = path.join(tmp, 'evidence');
      execFileSync('openssl', ['base64', '-d', '-A', '-in', 'manifest.sig', '-out', 'manifest.sig.bin'], { cwd: out });
      const verified = execFileSync('openssl', ['dgst', '-sha256', '-verify', '../instance-key.pem', '-signature', 'manifest.sig.bin', 'manifest.json'], { cwd: out, encoding: 'utf8' });
      assert.match(verified, /Verified OK/);
      const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as EvidenceManifest;
      const sums = execFileSync('sha256sum', manifest.files.map((f) => f.name), { cwd: out, encoding: 'utf8' });
      assert.equal(sums, manifest.files.map((f) => `${f.sha256}  ${f.name}\n`).join(''));
      const der = execFileSync('openssl', ['pkey', '-pubin', '-in', '../instance-key.pem', '-outform', 'DER'], { cwd: out });
      const printed = crypto.createHash('sha256').update(der).digest('hex');
      assert.equal(printed, crypto.createHash('sha256').update(crypto.createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' })).digest('hex'));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('keeps the same key across a restart: exports made before still verify', async () => {
    await inst.close();
    inst = await startInstance({ dataDir, env: { FEDERATION: 'false' } });
    assert.equal(await (await fetch(`${inst.url}/evidence-key.pem`)).text(), publicKeyPem);
  });
});
