import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../server/config.js';

describe('configuration', () => {
  it('has documented defaults: port 8080, SQLite under ./data', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.databaseUrl, `sqlite:${path.resolve('data', 'parasol.sqlite')}`);
    assert.equal(config.publicUrl, 'http://localhost:8080');
    assert.equal(config.env, 'production');
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL: must be sqlite:PATH/],
    [{ PUBLIC_URL: 'ftp://x' }, /PUBLIC_URL/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV/],
    [{ ARGON2_MEMORY_KIB: '1024' }, /ARGON2_MEMORY_KIB/],
    [{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY/],
  ];
  for (const [env, message] of bad) {
    it(`stops with a message naming the variable for ${JSON.stringify(env)}`, () => {
      assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && message.test(error.message));
    });
  }

  it('accepts PostgreSQL and MongoDB URLs and explicit SQLite paths', () => {
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://parasol@db:5432/parasol' }).databaseUrl, 'postgres://parasol@db:5432/parasol');
    assert.equal(loadConfig({ DATABASE_URL: 'mongodb://db:27017/parasol?replicaSet=rs0' }).databaseUrl, 'mongodb://db:27017/parasol?replicaSet=rs0');
    assert.equal(loadConfig({ DATABASE_URL: 'sqlite:/var/lib/parasol/db.sqlite' }).databaseUrl, 'sqlite:/var/lib/parasol/db.sqlite');
  });
});
