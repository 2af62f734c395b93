import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * RSA-2048 key pairs for the test servers' actors, each one different from every other this process has handed
 * out. Making them took about 13 s of the suite's CPU (a key each for some 130 actors): the n-th key is made once
 * per machine and kept in the temporary directory, where the next test file, and the next run, read it.
 */
export interface TestKeyPair {
  readonly publicKey: string;
  readonly privateKey: string;
}

const DIR = path.join(os.tmpdir(), 'parasol-test-rsa-keys-v1');
let handedOut = 0;

export function nextRsaKeyPair(): TestKeyPair {
  const file = path.join(DIR, `${handedOut++}.json`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as TestKeyPair;
  } catch {
    const pair = crypto.generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    // Written aside and renamed: another test process may be reading or writing the same key.
    fs.mkdirSync(DIR, { recursive: true });
    const aside = `${file}.${process.pid}`;
    fs.writeFileSync(aside, JSON.stringify(pair), { mode: 0o600 });
    fs.renameSync(aside, file);
    return pair;
  }
}
