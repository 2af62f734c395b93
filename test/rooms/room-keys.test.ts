import assert from 'node:assert/strict';
import { MemberKey } from '../../server/core/member-key.js';
import { memberBox, newRoomKeys, open, roomPrivateKey, seal } from '../../server/rooms/room-keys.js';

describe('room keys: sealed boxes to a room and to its facilitators', () => {
  it('opens a sealed handle only with the room’s private key, and refuses an altered box', () => {
    const room = newRoomKeys();
    const sealed = seal(room.publicKey, Buffer.from('alice', 'utf8'));
    assert.equal(open(roomPrivateKey(room.privateBytes), sealed)?.toString('utf8'), 'alice');
    assert.equal(open(roomPrivateKey(newRoomKeys().privateBytes), sealed), null, 'another room’s key opens nothing');
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[bytes.length - 1]! ^= 1;
    assert.equal(open(roomPrivateKey(room.privateBytes), bytes.toString('base64url')), null, 'an altered box is refused');
    assert.notEqual(seal(room.publicKey, Buffer.from('alice', 'utf8')), sealed, 'sealing twice gives unrelated boxes');
  });

  it('derives a member’s key pair per room from their key: stable for the room, unrelated across rooms and members', () => {
    const key = MemberKey.generate();
    assert.equal(memberBox(key, 'room-a').publicKey, memberBox(MemberKey.fromBytes(key.exportBytes()), 'room-a').publicKey);
    assert.notEqual(memberBox(key, 'room-a').publicKey, memberBox(key, 'room-b').publicKey);
    assert.notEqual(memberBox(key, 'room-a').publicKey, memberBox(MemberKey.generate(), 'room-a').publicKey);
    const room = newRoomKeys();
    const handedOver = seal(memberBox(key, 'room-a').publicKey, room.privateBytes);
    assert.deepEqual(open(memberBox(key, 'room-a'), handedOver), room.privateBytes, 'a facilitator opens the room key sealed to them');
    assert.equal(open(memberBox(key, 'room-b'), handedOver), null, 'not with their key pair of another room');
  });
});
