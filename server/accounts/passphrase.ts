import argon2 from 'argon2';
import crypto from 'node:crypto';
import { dictionary } from '@zxcvbn-ts/language-common';
import { deriveKey } from './key-wraps.js';

/** What a new passphrase yields: the verifier to store, and the key that wraps the member key (never stored). */
export interface PassphraseSecret {
  readonly stored: string;
  readonly wrapKey: Buffer;
}

export interface PassphraseCheck {
  readonly ok: boolean;
  /** Null when the passphrase is wrong or the stored hash predates member keys (an argon2 PHC string). */
  readonly wrapKey: Buffer | null;
  /** The stored form should be replaced: an older format or older parameters. */
  readonly rehash: boolean;
}

export interface PassphraseHasher {
  hash(passphrase: string): Promise<PassphraseSecret>;
  verify(stored: string, passphrase: string): Promise<PassphraseCheck>;
  /** Spends the same time as a real verification, for handles that do not exist. */
  verifyNothing(passphrase: string): Promise<void>;
}

const FORMAT = 'pk1';
const SALT_BYTES = 16;

interface Params {
  readonly memoryKiB: number;
  readonly iterations: number;
}

/**
 * argon2id with OWASP's minimum (19 MiB, 2 iterations) or stronger, as configured.
 * One run gives raw bytes from which HKDF draws, under distinct labels, the
 * stored verifier and the key that wraps the member key: the verifier cannot
 * yield the wrapping key, so a copy of the database must guess the passphrase
 * at argon2id cost to open a member key. The stored form is
 * `$pk1$m=<KiB>,t=<iterations>$<salt>$<verifier>`; argon2 PHC strings from
 * before member keys still verify and are replaced at that log-in.
 */
export async function createPassphraseHasher(params: Params): Promise<PassphraseHasher> {
  const run = (passphrase: string, salt: Buffer, p: Params) =>
    argon2.hash(passphrase, { type: argon2.argon2id, memoryCost: p.memoryKiB, timeCost: p.iterations, parallelism: 1, hashLength: 32, salt, raw: true });
  const secret = (raw: Buffer) => ({ verifier: deriveKey(raw, 'passphrase-verifier'), wrapKey: deriveKey(raw, 'passphrase-wrap') });

  async function hash(passphrase: string): Promise<PassphraseSecret> {
    const salt = crypto.randomBytes(SALT_BYTES);
    const { verifier, wrapKey } = secret(await run(passphrase, salt, params));
    const stored = `$${FORMAT}$m=${params.memoryKiB},t=${params.iterations}$${salt.toString('base64url')}$${verifier.toString('base64url')}`;
    return { stored, wrapKey };
  }

  async function verify(stored: string, passphrase: string): Promise<PassphraseCheck> {
    const parsed = parse(stored);
    if (!parsed) {
      const ok = stored.startsWith('$argon2') && (await argon2.verify(stored, passphrase).catch(() => false));
      return { ok, wrapKey: null, rehash: ok };
    }
    const { verifier, wrapKey } = secret(await run(passphrase, parsed.salt, parsed.params));
    const ok = verifier.length === parsed.verifier.length && crypto.timingSafeEqual(verifier, parsed.verifier);
    const rehash = parsed.params.memoryKiB !== params.memoryKiB || parsed.params.iterations !== params.iterations;
    return ok ? { ok, wrapKey, rehash } : { ok, wrapKey: null, rehash: false };
  }

  const dummy = (await hash('parasol-timing-equaliser')).stored;
  return {
    hash,
    verify,
    async verifyNothing(passphrase) {
      await verify(dummy, passphrase);
    },
  };
}

function parse(stored: string): { params: Params; salt: Buffer; verifier: Buffer } | null {
  const match = /^\$pk1\$m=(\d+),t=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
  if (!match) return null;
  return {
    params: { memoryKiB: Number(match[1]), iterations: Number(match[2]) },
    salt: Buffer.from(match[3]!, 'base64url'),
    verifier: Buffer.from(match[4]!, 'base64url'),
  };
}

export const PASSPHRASE_MIN = 10;
export const PASSPHRASE_MAX = 256;

const common = new Set<string>((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

/** A catalogue key naming why the passphrase is refused, or null when it is acceptable. */
export function passphraseProblem(passphrase: string, handle: string): string | null {
  const lower = passphrase.toLowerCase();
  if (common.has(lower)) return 'validation.passphrase_common';
  if (lower.includes(handle.toLowerCase())) return 'validation.passphrase_has_handle';
  if (new Set(lower).size < 4) return 'validation.passphrase_repetitive';
  return null;
}

const diceware = dictionary['diceware-common'] as string[];

/** Six diceware words: about 77 bits, and easy to type on a phone. */
export function generatePassphrase(): string {
  return Array.from({ length: 6 }, () => diceware[crypto.randomInt(diceware.length)]).join('-');
}
