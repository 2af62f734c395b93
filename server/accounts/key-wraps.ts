import crypto from 'node:crypto';
import { MemberKey, MEMBER_KEY_BYTES } from '../core/member-key.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const WRAP_VERSION = 'w1';

/**
 * A key for one purpose from a high-entropy secret (argon2id output, a session
 * cookie, an API token, a recovery code). Distinct labels give unrelated keys,
 * so the verifier stored for a secret says nothing about the key it wraps with.
 */
export function deriveKey(secret: Uint8Array | string, label: string, salt: string = ''): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secret, salt, `parasol-${label}-v1`, 32));
}

/**
 * AES-256-GCM of the member key under `wrapKey`; `context` (the account id, the
 * session id...) is bound as associated data so a wrap copied onto another row
 * does not open.
 */
export function wrapMemberKey(key: MemberKey, wrapKey: Buffer, context: string): string {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', wrapKey, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(key.exportBytes()), cipher.final()]);
  return `${WRAP_VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
}

/** The member key, or null when the wrap is absent, malformed or does not open with this key and context. */
export function unwrapMemberKey(wrapped: string | null | undefined, wrapKey: Buffer, context: string): MemberKey | null {
  if (!wrapped?.startsWith(`${WRAP_VERSION}.`)) return null;
  const raw = Buffer.from(wrapped.slice(WRAP_VERSION.length + 1), 'base64url');
  if (raw.length !== IV_BYTES + TAG_BYTES + MEMBER_KEY_BYTES) return null;
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', wrapKey, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const bytes = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    return MemberKey.fromBytes(bytes);
  } catch {
    return null;
  }
}

/** The member key wrapped under a session cookie's or API token's secret, which only the browser or script holds. */
export function wrapForSecret(key: MemberKey, secret: string, rowId: string): string {
  return wrapMemberKey(key, deriveKey(secret, 'secret-wrap'), rowId);
}

export function unwrapWithSecret(wrapped: string | null | undefined, secret: string, rowId: string): MemberKey | null {
  return unwrapMemberKey(wrapped, deriveKey(secret, 'secret-wrap'), rowId);
}
