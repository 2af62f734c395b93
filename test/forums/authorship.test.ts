import assert from 'node:assert/strict';
import type { AccountDoc } from '../../server/accounts/accounts.collections.js';
import { MemberKey } from '../../server/core/member-key.js';
import { authorOf, blindOnBoard, isAuthor, shownAuthorIds } from '../../server/forums/authorship.js';

const names = new Map([['m1', { handle: 'robin', displayName: 'Robin' }]]);
const remote = { actor: 'https://far.example/u/kim', name: 'Kim', address: 'kim@far.example', url: null };

describe('the authorship rule', () => {
  it('hides an anonymous author, whoever they are and from wherever they wrote', () => {
    assert.deepEqual(authorOf({ authorId: 'm1', anonymous: true }, names), { kind: 'anonymous' });
    assert.deepEqual(authorOf({ authorId: null, anonymous: true, remote }, names), { kind: 'anonymous' });
    assert.deepEqual(shownAuthorIds([{ authorId: 'm1', anonymous: true }]), [], 'an anonymous author’s name is never even looked up');
  });

  it('names a member, a remote author by address, and a deleted member as such', () => {
    assert.deepEqual(authorOf({ authorId: 'm1', anonymous: false }, names), { kind: 'member', handle: 'robin', displayName: 'Robin' });
    assert.deepEqual(authorOf({ authorId: null, anonymous: false, remote }, names), { kind: 'remote', name: 'Kim', address: 'kim@far.example', url: null });
    assert.deepEqual(authorOf({ authorId: 'gone', anonymous: false }, names), { kind: 'deleted' });
    assert.deepEqual(authorOf({ authorId: null, anonymous: false }, names), { kind: 'deleted' });
    assert.deepEqual(shownAuthorIds([{ authorId: 'm1', anonymous: false }, { authorId: null, anonymous: false }]), ['m1']);
  });

  it('counts the member who wrote a named post as its author by account', () => {
    const viewer = { id: 'm1' } as AccountDoc;
    assert.equal(isAuthor(viewer, null, { authorId: 'm1', boardId: 'b1' }), true);
    assert.equal(isAuthor(viewer, null, { authorId: 'm2', boardId: 'b1' }), false);
    assert.equal(isAuthor(null, null, { authorId: null, boardId: 'b1' }), false);
  });

  it('counts the author of an anonymous post only by the key that recomputes its blinded id', () => {
    const viewer = { id: 'm1' } as AccountDoc;
    const key = MemberKey.generate();
    const other = MemberKey.generate();
    const post = { authorId: null, boardId: 'b1', blindAuthor: blindOnBoard(key, 'b1'), blindBoardId: 'b1' };
    assert.equal(isAuthor(viewer, key, post), true);
    assert.equal(isAuthor(viewer, other, post), false, 'another member’s key does not prove it');
    assert.equal(isAuthor(viewer, null, post), false, 'without the key nothing proves it');
    assert.equal(isAuthor(null, key, post), false, 'a key without a signed-in member proves nothing');
    assert.equal(isAuthor(viewer, key, { ...post, boardId: 'b2' }), true, 'a moved post keeps the board its id was made for');
    assert.equal(isAuthor(viewer, key, { authorId: null, boardId: 'b2', blindAuthor: post.blindAuthor }), false, 'the id of one board proves nothing on another');
  });
});
