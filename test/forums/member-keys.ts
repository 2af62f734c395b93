import assert from 'node:assert/strict';
import type { Person } from '../helpers/people.js';

/**
 * Anonymous posts and reactions need the member key a session unwraps (req.memberKey). Until sessions carry one,
 * the server refuses them with 401 member_key_locked, and the tests that need one are skipped rather than faked.
 */
export async function sessionsCarryKeys(who: Person, board = 'general'): Promise<boolean> {
  const made = await who.client.api('POST', `/boards/${board}/threads`, { title: 'Key probe', body: 'probe' });
  assert.equal(made.status, 201, made.text);
  const postId = made.json.post.id as string;
  const probe = await who.client.api('POST', `/posts/${postId}/reactions`, { kind: 'heart' });
  if (probe.status === 401) {
    assert.match(probe.text, /member_key_locked/, 'a refused reaction says the key is missing');
    await who.client.api('DELETE', `/posts/${postId}`);
    return false;
  }
  assert.equal(probe.status, 200, probe.text);
  await who.client.api('DELETE', `/posts/${postId}`);
  return true;
}
