import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, hashingFloor, loadConfig } from '../../server/config.js';
import { cheapHashing } from '../helpers/process.js';

describe('configuration', () => {
  it('has documented defaults: port 8080, SQLite under ./data', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.databaseUrl, `sqlite:${path.resolve('data', 'parasol.sqlite')}`);
    assert.equal(config.publicUrl, 'http://localhost:8080');
    assert.equal(config.env, 'production');
    assert.equal(config.jobLeaseMs, 30_000);
    assert.equal(config.scrubCheckpointMs, 2_000);
    assert.equal(loadConfig({ SCRUB_CHECKPOINT_MS: '0' }).scrubCheckpointMs, 0);
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ PORT: '' }, /PORT: must be a port number/],
    [{ PORT: ' 80' }, /PORT: must be a port number/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL: must be sqlite:PATH/],
    [{ PUBLIC_URL: 'ftp://x' }, /PUBLIC_URL/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV/],
    [{ ARGON2_MEMORY_KIB: '1024' }, /ARGON2_MEMORY_KIB/],
    [{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY/],
    [{ JOB_LEASE_SECONDS: '1' }, /JOB_LEASE_SECONDS/],
    [{ SCRUB_CHECKPOINT_MS: '-1' }, /SCRUB_CHECKPOINT_MS/],
    [{ SCRUB_CHECKPOINT_MS: '61000' }, /SCRUB_CHECKPOINT_MS/],
  ];
  for (const [env, message] of bad) {
    it(`stops with a message naming the variable for ${JSON.stringify(env)}`, () => {
      assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && message.test(error.message));
    });
  }

  it('accepts PostgreSQL and MongoDB URLs and explicit SQLite paths', () => {
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://parasol@db:5432/parasol' }).databaseUrl, 'postgres://parasol@db:5432/parasol');
    assert.equal(loadConfig({ DATABASE_URL: 'mongodb://db:27017/parasol?replicaSet=rs0' }).databaseUrl, 'mongodb://db:27017/parasol?replicaSet=rs0');
    const file = path.join(os.tmpdir(), 'db.sqlite');
    assert.equal(loadConfig({ DATABASE_URL: `sqlite:${file}` }).databaseUrl, `sqlite:${file}`);
    assert.equal(loadConfig({ PORT: '0' }).port, 0, 'PORT=0 (any free port) when asked for explicitly');
  });

  it('refuses a SQLite file in a directory that does not exist, naming the variable and the directory, and creates nothing', () => {
    const missing = path.join(os.tmpdir(), `parasol-typo-${process.pid}`, 'dir');
    assert.throws(
      () => loadConfig({ DATABASE_URL: `sqlite:${path.join(missing, 'x.db')}` }),
      (error: unknown) => error instanceof ConfigError && error.message.includes('DATABASE_URL') && error.message.includes(missing) && /does not exist/.test(error.message),
    );
    assert.equal(fs.existsSync(path.dirname(missing)), false, 'no directory was made');
  });

  describe('hashing cost', () => {
    it('defaults to the production floor: 19 MiB and 2 passes for passphrases, 64 MiB and 3 for review digests', () => {
      const config = loadConfig({});
      assert.deepEqual({ memoryKiB: config.argon2.memoryKiB, iterations: config.argon2.iterations }, hashingFloor.passphrase);
      assert.deepEqual(config.argon2.floor, hashingFloor.passphrase);
      assert.deepEqual(config.reviews.digest, hashingFloor.reviewDigest);
    });

    for (const name of Object.keys(cheapHashing)) {
      for (const mode of ['production', 'development']) {
        it(`refuses to start in ${mode} with ${name} below the floor, naming the variable`, () => {
          assert.throws(
            () => loadConfig({ NODE_ENV: mode, [name]: cheapHashing[name]! }),
            (error: unknown) => error instanceof ConfigError && new RegExp(`${name}: below the production floor`).test(error.message),
          );
        });
      }
    }

    it('accepts the cheap test settings only under NODE_ENV=test, and lowers the verification floor with them', () => {
      const config = loadConfig({ NODE_ENV: 'test', ...cheapHashing });
      assert.deepEqual(config.reviews.digest, { memoryKiB: 8, iterations: 1 });
      assert.equal(config.argon2.memoryKiB, 8);
      assert.ok(config.argon2.floor.memoryKiB <= 8 && config.argon2.floor.iterations <= 1, 'the test floor admits the test settings');
    });
  });
});
