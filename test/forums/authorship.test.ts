import assert from 'node:assert/strict';
import type { AccountDoc } from '../../server/accounts/accounts.collections.js';
import { authorOf, isAuthor, shownAuthorIds } from '../../server/forums/authorship.js';

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

  it('counts the member who wrote a post as its author, also when it is anonymous', () => {
    const viewer = { id: 'm1' } as AccountDoc;
    assert.equal(isAuthor(viewer, { authorId: 'm1' }), true);
    assert.equal(isAuthor(viewer, { authorId: 'm2' }), false);
    assert.equal(isAuthor(null, { authorId: null }), false);
  });
});
