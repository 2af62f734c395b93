import assert from 'node:assert/strict';
import { MemberKey } from '../../server/core/member-key.js';
import { wrapForSecret } from '../../server/accounts/key-wraps.js';
import { UnwrappedKeys } from '../../server/accounts/unwrapped-keys.js';

describe('unwrapped member keys kept for a session’s next requests', () => {
  const key = MemberKey.generate();
  const secret = 'a'.repeat(43);
  const wrap = wrapForSecret(key, secret, 'row-1');

  it('answers the same key for the same row, wrap and secret, and the blinded ids agree', () => {
    const keys = new UnwrappedKeys();
    const first = keys.unwrap(wrap, secret, 'hash-a', 'row-1');
    assert.ok(first, 'the key unwraps');
    assert.equal(keys.unwrap(wrap, secret, 'hash-a', 'row-1'), first);
    assert.equal(first.blind('board:b1'), key.blind('board:b1'));
    assert.equal(first.blind('board:b1'), first.blind('board:b1'));
    assert.notEqual(first.blind('board:b1'), first.blind('board:b2'));
  });

  it('unwraps afresh when the wrap or the secret differ, and refuses a wrong secret', () => {
    const keys = new UnwrappedKeys();
    const first = keys.unwrap(wrap, secret, 'hash-a', 'row-1');
    assert.ok(first, 'the key unwraps');
    assert.equal(keys.unwrap(wrap, 'b'.repeat(43), 'hash-b', 'row-1'), null);
    const other = MemberKey.generate();
    const rewrapped = wrapForSecret(other, secret, 'row-1');
    const second = keys.unwrap(rewrapped, secret, 'hash-a', 'row-1');
    assert.ok(second, 'the new wrap unwraps');
    assert.equal(second.blind('room:r'), other.blind('room:r'));
    assert.equal(keys.unwrap(null, secret, 'hash-a', 'row-1'), null);
  });

  it('forgets ended rows and entries past their lifetime, and holds at most its bound', () => {
    let now = 1_000;
    const keys = new UnwrappedKeys(2, 60_000, () => now);
    const first = keys.unwrap(wrap, secret, 'hash-a', 'row-1');
    keys.forget(['row-1']);
    const again = keys.unwrap(wrap, secret, 'hash-a', 'row-1');
    assert.ok(again, 'unwrapped again');
    assert.notEqual(again, first);
    now += 60_001;
    assert.notEqual(keys.unwrap(wrap, secret, 'hash-a', 'row-1'), again);
    const w2 = wrapForSecret(key, secret, 'row-2');
    const w3 = wrapForSecret(key, secret, 'row-3');
    const kept = keys.unwrap(w2, secret, 'h', 'row-2');
    keys.unwrap(w3, secret, 'h', 'row-3');
    keys.unwrap(wrap, secret, 'hash-a', 'row-1');
    assert.notEqual(keys.unwrap(w2, secret, 'h', 'row-2'), kept);
  });
});
