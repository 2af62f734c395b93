import argon2 from 'argon2';
import type { CountryCode } from 'libphonenumber-js';
import { fieldError } from '../core/errors.js';
import { phoneNumbers } from '../instance/countries.js';
import type { IdentifierHint, IdentifierType } from './reviews.collections.js';

export interface RawIdentifier {
  readonly type: IdentifierType;
  readonly value: string;
  /** For handles: the platform (whatsapp, telegram, signal, a website…). */
  readonly platform?: string | null;
}

export interface NormalisedIdentifier {
  /** The canonical form: what is hashed. Never stored, never logged. */
  readonly canonical: string;
  readonly hint: IdentifierHint;
}


/**
 * Brings the many ways people type one identifier to one form, so that
 * "+1 (555) 010-2030", "555 010 2030" (in the US) and "+15550102030" match.
 */
export function normaliseIdentifier(id: RawIdentifier, defaultCountry: string, field = 'identifier'): NormalisedIdentifier {
  const value = id.value.normalize('NFKC').trim();
  switch (id.type) {
    case 'phone': {
      const phone = phoneNumbers().parsePhoneNumberFromString(value, defaultCountry as CountryCode);
      // "Possible" (right length for the country) rather than "valid": fictional and new number ranges must still match.
      if (!phone || !phone.isPossible()) throw fieldError(field, 'validation.phone_format', { country: defaultCountry });
      const e164 = phone.number;
      return { canonical: `phone:${e164}`, hint: { type: 'phone', platform: null, hint: `…${e164.slice(-2)}` } };
    }
    case 'email': {
      const email = value.toLowerCase();
      const at = email.lastIndexOf('@');
      if (at < 1 || at === email.length - 1 || /\s/.test(email) || email.length > 254) throw fieldError(field, 'validation.email_format');
      return { canonical: `email:${email}`, hint: { type: 'email', platform: null, hint: `${email[0]}…@${email[at + 1]}…` } };
    }
    case 'handle': {
      const platform = (id.platform ?? '').normalize('NFKC').trim().toLowerCase();
      if (!/^[\p{L}\p{N} ._-]{2,40}$/u.test(platform)) throw fieldError(field, 'validation.platform_needed');
      const handle = value.replace(/^@+/, '').toLowerCase();
      if (handle.length < 2 || handle.length > 100 || /\s/.test(handle)) throw fieldError(field, 'validation.handle_format');
      return { canonical: `handle:${platform}:${handle}`, hint: { type: 'handle', platform, hint: `${handle[0]}…${handle.at(-1)}` } };
    }
  }
}

export interface DigestParams {
  readonly memoryKiB: number;
  readonly iterations: number;
}

/**
 * The keyed, slow hash of a canonical identifier: argon2id with the board's
 * key as salt (see BoardKeys). Without the key a seized database cannot be
 * searched for a known number; with it, each guess costs one argon2id run
 * (tens of milliseconds to a second). The key is not in the database when
 * PARASOL_SECRET_FILE is set; otherwise it derives from a secret that is,
 * and only DATABASE_KEY keeps a seized copy from confirming a number.
 */
export async function identifierDigest(canonical: string, secret: string, params: DigestParams): Promise<string> {
  const raw = await argon2.hash(canonical, {
    type: argon2.argon2id,
    salt: Buffer.from(secret, 'base64'),
    memoryCost: params.memoryKiB,
    timeCost: params.iterations,
    parallelism: 1,
    hashLength: 32,
    raw: true,
  });
  return raw.toString('base64url');
}
