import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { MemberKey, blindScope } from '../../server/core/member-key.js';

describe('member key', () => {
  it('gives a member one blinded id per scope, unlinkable across scopes and members', () => {
    const key = MemberKey.generate();
    const again = MemberKey.fromBytes(key.exportBytes());
    assert.equal(key.blind(blindScope.board('b1')), again.blind(blindScope.board('b1')));
    assert.notEqual(key.blind(blindScope.board('b1')), key.blind(blindScope.board('b2')));
    assert.notEqual(key.blind(blindScope.board('b1')), key.blind(blindScope.room('b1')));
    assert.notEqual(key.blind(blindScope.board('b1')), MemberKey.generate().blind(blindScope.board('b1')));
    assert.match(key.blind('inbox'), /^[A-Za-z0-9_-]{43}$/);
  });

  it('never prints or serialises its bytes', () => {
    const key = MemberKey.generate();
    const hex = key.exportBytes().toString('hex');
    const b64 = key.exportBytes().toString('base64');
    for (const shown of [JSON.stringify({ key }), inspect({ key }), String(key), `${key}`]) {
      assert.ok(!shown.includes(hex) && !shown.includes(b64), `shown as ${shown}`);
    }
  });

  it('derives purpose keys that differ from each other and from the blinding', () => {
    const key = MemberKey.generate();
    assert.notDeepEqual(key.derive('room-key'), key.derive('export'));
    assert.equal(key.derive('room-key').length, 32);
    assert.throws(() => MemberKey.fromBytes(new Uint8Array(16)), /32 bytes/);
  });
});
