import argon2 from 'argon2';
import { dictionary } from '@zxcvbn-ts/language-common';

export interface PassphraseHasher {
  hash(passphrase: string): Promise<string>;
  /** Verifies; returns whether it matched and whether the stored hash should be replaced (parameters changed). */
  verify(hash: string, passphrase: string): Promise<{ ok: boolean; rehash: boolean }>;
  /** Spends the same time as a real verification, for handles that do not exist. */
  verifyNothing(passphrase: string): Promise<void>;
}

export interface HashCost {
  readonly memoryKiB: number;
  readonly iterations: number;
}

/** The cost recorded in a PHC string ($argon2id$v=19$m=…,t=…,p=…$…), or null when it is not one. */
function costOf(hash: string): HashCost | null {
  const m = /^\$argon2(?:id|i|d)\$v=\d+\$m=(\d+),t=(\d+),p=\d+\$/.exec(hash);
  return m ? { memoryKiB: Number(m[1]), iterations: Number(m[2]) } : null;
}

/**
 * argon2id with OWASP's minimum (19 MiB, 2 iterations) or stronger, as configured.
 * A stored hash cheaper than `floor` is refused even when it matches: such a hash
 * comes from a test database or a tampered row, and would be cheap to crack.
 */
export async function createPassphraseHasher(params: HashCost & { floor: HashCost }): Promise<PassphraseHasher> {
  const options = { type: argon2.argon2id, memoryCost: params.memoryKiB, timeCost: params.iterations, parallelism: 1 };
  const dummy = await argon2.hash('parasol-timing-equaliser', options);
  const belowFloor = (hash: string) => {
    const cost = costOf(hash);
    return !cost || cost.memoryKiB < params.floor.memoryKiB || cost.iterations < params.floor.iterations;
  };
  return {
    hash: (passphrase) => argon2.hash(passphrase, options),
    async verify(hash, passphrase) {
      if (belowFloor(hash)) {
        await argon2.verify(dummy, passphrase).catch(() => false);
        return { ok: false, rehash: false };
      }
      const ok = await argon2.verify(hash, passphrase).catch(() => false);
      return { ok, rehash: ok && argon2.needsRehash(hash, options) };
    },
    async verifyNothing(passphrase) {
      await argon2.verify(dummy, passphrase).catch(() => false);
    },
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
