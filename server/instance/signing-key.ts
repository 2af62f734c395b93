import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { Store } from '../store/port.js';
import { storeOnce } from '../store/store-once.js';
import { instanceCollection, type InstanceSigningKeyDoc } from './instance.collections.js';

const generateKeyPair = promisify(crypto.generateKeyPair);

export interface SigningKeyPair {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  /** Hex SHA-256 of the public key's DER (SPKI): what `openssl pkey -pubin -outform DER | sha256sum` prints. */
  readonly fingerprint: string;
}

/** Where the public key is published, under the instance's public address. */
export const SIGNING_KEY_PATH = '/evidence-key.pem';

/**
 * The instance's own signing key: a 2048-bit RSA key pair made once, on first use, and kept in the instance's
 * secrets document, so that it exists whether or not the instance federates (the federation actor's key does not
 * when federation is off) and travels with the backups. It signs evidence exports (media/evidence-export.ts); its
 * public key is published at SIGNING_KEY_PATH for whoever checks one (docs/evidence.md). RSA with SHA-256, because
 * `openssl dgst -sha256 -verify`, which every openssl has, checks it.
 */
export class InstanceSigningKey {
  private pair: Promise<SigningKeyPair> | null = null;

  constructor(private readonly store: Store) {}

  keyPair(): Promise<SigningKeyPair> {
    this.pair ??= this.loadOrMake().catch((error: unknown) => {
      this.pair = null;
      throw error;
    });
    return this.pair;
  }

  private async loadOrMake(): Promise<SigningKeyPair> {
    const col = this.store.collection(instanceCollection);
    // Another process may make one first: every process signs with the one stored.
    const doc = await storeOnce(col, 'signing-key', async (): Promise<InstanceSigningKeyDoc> => {
      const made = await generateKeyPair('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      return { id: 'signing-key', privateKeyPem: made.privateKey, publicKeyPem: made.publicKey, createdAt: Date.now() };
    });
    return withFingerprint(doc as InstanceSigningKeyDoc);
  }
}

function withFingerprint(doc: InstanceSigningKeyDoc): SigningKeyPair {
  const der = crypto.createPublicKey(doc.publicKeyPem).export({ type: 'spki', format: 'der' });
  return { privateKeyPem: doc.privateKeyPem, publicKeyPem: doc.publicKeyPem, fingerprint: crypto.createHash('sha256').update(der).digest('hex') };
}
