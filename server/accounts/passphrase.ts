import argon2 from 'argon2';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import type * as LanguageCommon from '@zxcvbn-ts/language-common';
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

export interface HashCost {
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
 * A stored hash cheaper than `floor` is refused even when it matches: such a hash
 * comes from a test database or a tampered row, and would be cheap to crack.
 */
export async function createPassphraseHasher(params: HashCost & { floor: HashCost }): Promise<PassphraseHasher> {
  const run = (passphrase: string, salt: Buffer, p: HashCost) =>
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
    const cost = parsed?.params ?? phcCost(stored);
    if (!cost || cost.memoryKiB < params.floor.memoryKiB || cost.iterations < params.floor.iterations) {
      await verifyNothing(passphrase);
      return { ok: false, wrapKey: null, rehash: false };
    }
    if (!parsed) {
      const ok = stored.startsWith('$argon2') && (await argon2.verify(stored, passphrase).catch(() => false));
      return { ok, wrapKey: null, rehash: ok };
    }
    const { verifier, wrapKey } = secret(await run(passphrase, parsed.salt, parsed.params));
    const ok = verifier.length === parsed.verifier.length && crypto.timingSafeEqual(verifier, parsed.verifier);
    const rehash = parsed.params.memoryKiB !== params.memoryKiB || parsed.params.iterations !== params.iterations;
    return ok ? { ok, wrapKey, rehash } : { ok, wrapKey: null, rehash: false };
  }

  const dummySalt = crypto.randomBytes(SALT_BYTES);
  async function verifyNothing(passphrase: string): Promise<void> {
    await run(passphrase, dummySalt, params);
  }

  return { hash, verify, verifyNothing };
}

/** The cost recorded in an argon2 PHC string ($argon2id$v=19$m=…,t=…,p=…$…), or null when it is not one. */
function phcCost(stored: string): HashCost | null {
  const m = /^\$argon2(?:id|i|d)\$v=\d+\$m=(\d+),t=(\d+),p=\d+\$/.exec(stored);
  return m ? { memoryKiB: Number(m[1]), iterations: Number(m[2]) } : null;
}

function parse(stored: string): { params: HashCost; salt: Buffer; verifier: Buffer } | null {
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

const require = createRequire(import.meta.url);

interface WordLists {
  /** Common passwords, lower-cased. */
  readonly common: ReadonlySet<string>;
  readonly diceware: readonly string[];
}
let lists: WordLists | null = null;

/**
 * zxcvbn's word lists are read when a passphrase is first checked or made, not at start: they are megabytes a
 * process that serves no sign-up does not need.
 */
function wordLists(): WordLists {
  if (lists === null) {
    const { dictionary } = require('@zxcvbn-ts/language-common') as typeof LanguageCommon;
    lists = {
      common: new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase())),
      diceware: dictionary['diceware-common'] as string[],
    };
  }
  return lists;
}

/** A catalogue key naming why the passphrase is refused, or null when it is acceptable. */
export function passphraseProblem(passphrase: string, handle: string): string | null {
  const lower = passphrase.toLowerCase();
  if (wordLists().common.has(lower)) return 'validation.passphrase_common';
  if (lower.includes(handle.toLowerCase())) return 'validation.passphrase_has_handle';
  if (new Set(lower).size < 4) return 'validation.passphrase_repetitive';
  return null;
}

/** Six diceware words: about 77 bits, and easy to type on a phone. */
export function generatePassphrase(): string {
  const { diceware } = wordLists();
  return Array.from({ length: 6 }, () => diceware[crypto.randomInt(diceware.length)]).join('-');
}
