import crypto from 'node:crypto';

/**
 * FEP-8b32 object integrity proofs: W3C Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite (JSON
 * Canonicalization Scheme, RFC 8785, and an Ed25519 signature), whose keys are published as `Multikey`s in an
 * actor's `assertionMethod` (FEP-521a). A proof lets a copy of an activity be believed wherever it is read from:
 * a Group may pass on a third server's post only when the author signed it.
 */

export const CRYPTOSUITE = 'eddsa-jcs-2022';
/** The JSON-LD context that defines `proof` and its terms (Fedify, for one, reads no proof without it). */
export const DATA_INTEGRITY_CONTEXT = 'https://w3id.org/security/data-integrity/v1';
const ED25519_PUB = Buffer.from([0xed, 0x01]);
const ED25519_PRIV = Buffer.from([0x80, 0x26]);
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

/** RFC 8785: object keys in UTF-16 code unit order, no whitespace, strings and numbers as ECMAScript writes them. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('not a JSON number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError('not JSON');
}

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString('hex') || '0'}`);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)]! + out;
    n /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = `1${out}`;
  }
  return out;
}

function unbase58(text: string): Buffer | null {
  let n = 0n;
  for (const c of text) {
    const digit = ALPHABET.indexOf(c);
    if (digit < 0) return null;
    n = n * 58n + BigInt(digit);
  }
  const hex = n === 0n ? '' : n.toString(16);
  const body = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  const zeros = /^1*/.exec(text)![0].length;
  return Buffer.concat([Buffer.alloc(zeros), body]);
}

/** The bytes of a multibase string: base58btc (`z`) or base64url (`u`), the two FEP-521a allows. */
export function fromMultibase(text: unknown): Buffer | null {
  if (typeof text !== 'string' || text.length < 2 || text.length > 200) return null;
  if (text[0] === 'z') return unbase58(text.slice(1));
  if (text[0] === 'u' && /^[A-Za-z0-9_-]+$/.test(text.slice(1))) return Buffer.from(text.slice(1), 'base64url');
  return null;
}

/** An Ed25519 public key written as a Multikey (`publicKeyMultibase`), or null. */
export function publicKeyOfMultikey(multibase: unknown): crypto.KeyObject | null {
  const bytes = fromMultibase(multibase);
  if (!bytes || bytes.length !== 34 || !bytes.subarray(0, 2).equals(ED25519_PUB)) return null;
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_ED25519, bytes.subarray(2)]), format: 'der', type: 'spki' });
}

/** An Ed25519 private key written as a multibase secret key (`secretKeyMultibase`), or null. */
export function privateKeyOfMultibase(multibase: unknown): crypto.KeyObject | null {
  const bytes = fromMultibase(multibase);
  if (!bytes || bytes.length !== 34 || !bytes.subarray(0, 2).equals(ED25519_PRIV)) return null;
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, bytes.subarray(2)]), format: 'der', type: 'pkcs8' });
}

/** An Ed25519 public key as the Multikey `publicKeyMultibase` that publishes it. */
export function multikeyOf(publicKey: crypto.KeyObject): string {
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length);
  return `z${base58(Buffer.concat([ED25519_PUB, raw]))}`;
}

/** What is signed: the hash of the proof's options (with the document's @context) and the hash of the document. */
function hashData(document: Record<string, unknown>, options: Record<string, unknown>): Buffer {
  const { proof: _proof, ...unsecured } = document;
  const config = { ...options, ...(unsecured['@context'] !== undefined ? { '@context': unsecured['@context'] } : {}) };
  const sha = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest();
  return Buffer.concat([sha(canonicalJson(config)), sha(canonicalJson(unsecured))]);
}

/** The document with an `eddsa-jcs-2022` proof by `verificationMethod`'s key (a proof it had is replaced). */
export function withProof(document: Record<string, unknown>, key: { readonly verificationMethod: string; readonly privateKey: crypto.KeyObject }, created = new Date()): Record<string, unknown> {
  const options = {
    type: 'DataIntegrityProof',
    cryptosuite: CRYPTOSUITE,
    verificationMethod: key.verificationMethod,
    proofPurpose: 'assertionMethod',
    created: created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  const signature = crypto.sign(null, hashData(document, options), key.privateKey);
  return { ...document, proof: { ...options, proofValue: `z${base58(signature)}` } };
}

/** The key a proof names, as its controller publishes it; null when it cannot be read or is not an Ed25519 Multikey. */
export type KeyLookup = (verificationMethod: string) => Promise<{ readonly controller: string; readonly publicKey: crypto.KeyObject } | null>;

/**
 * The actor whose `eddsa-jcs-2022` proof on the document verifies (its key's controller), or null: no proof, another
 * cryptosuite or purpose, a key that cannot be read, or a signature that does not match.
 */
export async function provenBy(document: Record<string, unknown>, keyOf: KeyLookup): Promise<string | null> {
  const proof = document.proof;
  if (!proof || typeof proof !== 'object' || Array.isArray(proof)) return null;
  const { proofValue, ...options } = proof as Record<string, unknown>;
  if (options.type !== 'DataIntegrityProof' || options.cryptosuite !== CRYPTOSUITE || options.proofPurpose !== 'assertionMethod') return null;
  if (typeof options.verificationMethod !== 'string') return null;
  const signature = fromMultibase(proofValue);
  if (!signature || signature.length !== 64 || typeof proofValue !== 'string' || proofValue[0] !== 'z') return null;
  const key = await keyOf(options.verificationMethod);
  if (!key) return null;
  try {
    return crypto.verify(null, hashData(document, options), key.publicKey, signature) ? key.controller : null;
  } catch {
    return null;
  }
}

/**
 * Reads a verification method from its controller's actor document (fetched with `fetchDoc`): a `Multikey` listed
 * in its `assertionMethod`, whose controller is that actor and whose id is the method asked for.
 */
export function keyLookup(fetchDoc: (iri: string) => Promise<Record<string, unknown> | null>): KeyLookup {
  return async (verificationMethod) => {
    let actorIri: string;
    try {
      const url = new URL(verificationMethod);
      url.hash = '';
      actorIri = url.href;
    } catch {
      return null;
    }
    const actor = await fetchDoc(actorIri).catch(() => null);
    if (!actor || actor.id !== actorIri) return null;
    const methods = Array.isArray(actor.assertionMethod) ? actor.assertionMethod : [actor.assertionMethod];
    for (const method of methods) {
      if (!method || typeof method !== 'object') continue;
      const m = method as Record<string, unknown>;
      if (m.id !== verificationMethod || m.type !== 'Multikey' || m.controller !== actorIri) continue;
      const publicKey = publicKeyOfMultikey(m.publicKeyMultibase);
      if (publicKey) return { controller: actorIri, publicKey };
    }
    return null;
  };
}
