import assert from 'node:assert/strict';
import argon2 from 'argon2';
import { hashingFloor, loadConfig } from '../../server/config.js';
import { createPassphraseHasher } from '../../server/accounts/passphrase.js';

const passphrase = 'a lantern by the harbour';
const cheapHash = (memoryKiB: number, iterations: number) => argon2.hash(passphrase, { type: argon2.argon2id, memoryCost: memoryKiB, timeCost: iterations, parallelism: 1 });

describe('passphrase hashes below the production floor', () => {
  it('are refused at verification outside tests, even when the passphrase matches', async () => {
    const hasher = await createPassphraseHasher(loadConfig({ NODE_ENV: 'production' }).argon2);
    for (const stored of [await cheapHash(8, 1), await cheapHash(hashingFloor.passphrase.memoryKiB, 1), await cheapHash(1024, hashingFloor.passphrase.iterations)]) {
      assert.deepEqual(await hasher.verify(stored, passphrase), { ok: false, wrapKey: null, rehash: false }, `refused: ${stored.slice(0, 30)}`);
    }
    const cheap = await createPassphraseHasher(loadConfig({ NODE_ENV: 'test', ARGON2_MEMORY_KIB: '8', ARGON2_ITERATIONS: '1' }).argon2);
    const memberKeyFormat = (await cheap.hash(passphrase)).stored;
    assert.deepEqual(await hasher.verify(memberKeyFormat, passphrase), { ok: false, wrapKey: null, rehash: false }, 'refused in the member-key format too');
  });

  it('are accepted at the floor, and not at all when the passphrase is wrong', async () => {
    const hasher = await createPassphraseHasher(loadConfig({ NODE_ENV: 'production' }).argon2);
    const { stored } = await hasher.hash(passphrase);
    const check = await hasher.verify(stored, passphrase);
    assert.ok(check.ok && !check.rehash && check.wrapKey !== null, 'the right passphrase opens the wrap at the floor');
    assert.equal((await hasher.verify(stored, 'a lantern by the harbouR')).ok, false, 'a wrong passphrase fails');
  });

  it("are accepted under NODE_ENV=test, whose floor is argon2's own minimum", async () => {
    const hasher = await createPassphraseHasher(loadConfig({ NODE_ENV: 'test', ARGON2_MEMORY_KIB: '8', ARGON2_ITERATIONS: '1' }).argon2);
    assert.equal((await hasher.verify(await cheapHash(8, 1), passphrase)).ok, true, 'the cheap test hash verifies in tests');
  });

  it('refuses what is neither a member-key hash nor an argon2 PHC string', async () => {
    const hasher = await createPassphraseHasher(loadConfig({ NODE_ENV: 'test', ARGON2_MEMORY_KIB: '8', ARGON2_ITERATIONS: '1' }).argon2);
    assert.equal((await hasher.verify('', passphrase)).ok, false, 'an empty tombstone hash');
    assert.equal((await hasher.verify('$2b$10$abcdefghijklmnopqrstuv', passphrase)).ok, false, 'a bcrypt string');
  });
});
