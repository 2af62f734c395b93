import crypto from 'node:crypto';
import { blindScope, type MemberKey } from '../core/member-key.js';

/**
 * The keys that let a room's facilitators, and nobody else, read who asks to
 * join: a join request seals the applicant's handle to the room's X25519 public
 * key; the room's private key is stored only sealed to each facilitator's own
 * key pair for the room, which is derived from their member key whenever they
 * make a request and never stored. A copy of the database and the instance's
 * secrets therefore opens no request.
 */

const SEAL_INFO = 'parasol-sealed-box-v1';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** The fixed PKCS#8 header of an X25519 private key, followed by its 32 raw bytes (RFC 8410). */
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

export interface BoxKeys {
  readonly privateKey: crypto.KeyObject;
  /** Raw, base64url: what is stored. */
  readonly publicKey: string;
}

/** The key pair a 32-byte seed gives: the same seed, the same pair. */
export function fromSeed(seed: Buffer): BoxKeys {
  const privateKey = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_X25519, seed]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: rawPublic(crypto.createPublicKey(privateKey)) };
}

function rawPublic(key: crypto.KeyObject): string {
  const { x } = key.export({ format: 'jwk' });
  if (!x) throw new Error('not an X25519 public key');
  return x;
}

function publicFromRaw(raw: string): crypto.KeyObject {
  return crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw }, format: 'jwk' });
}

function boxKey(shared: Buffer, ephemeral: string, recipient: string): Buffer {
  const salt = Buffer.concat([Buffer.from(ephemeral, 'base64url'), Buffer.from(recipient, 'base64url')]);
  return Buffer.from(crypto.hkdfSync('sha256', shared, salt, SEAL_INFO, KEY_BYTES));
}

/** A member's key pair in one room: the same every time for the same member and room, unrelated across rooms. */
export function memberBox(key: MemberKey, roomId: string): BoxKeys {
  const seed = Buffer.from(crypto.hkdfSync('sha256', key.derive('room-key'), Buffer.alloc(0), blindScope.room(roomId), KEY_BYTES));
  return fromSeed(seed);
}

/** A new room key pair; the private key leaves as raw bytes, to be sealed to facilitators at once. */
export function newRoomKeys(): { publicKey: string; privateBytes: Buffer } {
  const seed = crypto.randomBytes(KEY_BYTES);
  return { publicKey: fromSeed(seed).publicKey, privateBytes: seed };
}

export function roomPrivateKey(privateBytes: Buffer): crypto.KeyObject {
  return fromSeed(privateBytes).privateKey;
}

/** Sealed box: an ephemeral X25519 key agreement, HKDF-SHA-256 and AES-256-GCM. Only the holder of the recipient's private key opens it. */
export function seal(recipientPublicKey: string, plaintext: Buffer): string {
  const ephemeral = crypto.generateKeyPairSync('x25519');
  const ephemeralPublic = rawPublic(ephemeral.publicKey);
  const shared = crypto.diffieHellman({ privateKey: ephemeral.privateKey, publicKey: publicFromRaw(recipientPublicKey) });
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', boxKey(shared, ephemeralPublic, recipientPublicKey), nonce);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from(ephemeralPublic, 'base64url'), nonce, cipher.getAuthTag(), body]).toString('base64url');
}

/** Opens a sealed box; null when it was not sealed to this key or was altered. */
export function open(recipient: BoxKeys | crypto.KeyObject, sealed: string): Buffer | null {
  const privateKey = recipient instanceof crypto.KeyObject ? recipient : recipient.privateKey;
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length < KEY_BYTES + NONCE_BYTES + TAG_BYTES) return null;
  const ephemeralPublic = bytes.subarray(0, KEY_BYTES).toString('base64url');
  const nonce = bytes.subarray(KEY_BYTES, KEY_BYTES + NONCE_BYTES);
  const tag = bytes.subarray(KEY_BYTES + NONCE_BYTES, KEY_BYTES + NONCE_BYTES + TAG_BYTES);
  try {
    const recipientPublic = rawPublic(crypto.createPublicKey(privateKey));
    const shared = crypto.diffieHellman({ privateKey, publicKey: publicFromRaw(ephemeralPublic) });
    const decipher = crypto.createDecipheriv('aes-256-gcm', boxKey(shared, ephemeralPublic, recipientPublic), nonce);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(bytes.subarray(KEY_BYTES + NONCE_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
}
