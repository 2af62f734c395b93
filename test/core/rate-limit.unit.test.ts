import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { dailyHmac, derivedDayKey } from '../../server/core/rate-limit.js';

const DAY_MS = 86_400_000;

describe('rate-limit keys', () => {
  it('count a handle under one HMAC all day, and under another from UTC midnight on', () => {
    let now = Date.UTC(2026, 11, 7, 0, 0, 0);
    const keyOf = dailyHmac(derivedDayKey(crypto.randomBytes(32), 'test'), () => now);
    const morning = keyOf('alice');
    now += DAY_MS - 1;
    assert.equal(keyOf('alice'), morning, 'the same key all day');
    assert.notEqual(keyOf('bob'), morning, 'another handle, another key');
    now += 1;
    assert.notEqual(keyOf('alice'), morning, 'a new key from midnight');
    assert.doesNotMatch(morning, /alice/i);
    assert.match(morning, /^[A-Za-z0-9_-]{43}$/, 'an HMAC-SHA256 in base64url');
  });

  it('agree between processes that share the base key, and with nobody else', () => {
    const now = () => Date.UTC(2026, 11, 7, 12);
    const base = crypto.randomBytes(32);
    const one = dailyHmac(derivedDayKey(base, 'shared'), now);
    const two = dailyHmac(derivedDayKey(Buffer.from(base), 'shared'), now);
    assert.equal(one('alice'), two('alice'));
    assert.notEqual(dailyHmac(derivedDayKey(base, 'another purpose'), now)('alice'), one('alice'), 'each purpose has its own keys');
    assert.notEqual(dailyHmac(derivedDayKey(crypto.randomBytes(32), 'shared'), now)('alice'), one('alice'));
  });
});
