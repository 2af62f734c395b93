import assert from 'node:assert/strict';
import { eventually, startPeer, type Peer } from './instances.js';
import { followActivity, Receiver, send, signedPost } from './receiver.js';

describe('remote servers are rate-limited (separate process, real HTTP)', function () {
  this.timeout(120_000);
  let a: Peer;
  const receiver = new Receiver();
  const group = () => `${a.url}/ap/b/general`;

  before(async () => {
    await receiver.start();
    a = await startPeer('rl', { env: { FEDERATION_INBOX_PER_HOST_PER_MINUTE: '10' } });
  });
  after(async () => {
    await a?.dispose();
    await receiver.stop();
  });

  it('requests signed with a key that is not theirs do not spend a server’s budget', async () => {
    const honest = receiver.actor('honest');
    const forger = receiver.actor('forger');
    // Signed with the forger's key but naming the honest actor's key: refused, and not counted against the receiver's host.
    for (let i = 0; i < 8; i++) {
      const forged = signedPost(`${group()}/inbox`, { keyId: honest.keyId, privateKeyPem: forger.privateKeyPem }, followActivity(honest, group()));
      assert.equal((await send(forged)).status, 403);
    }
    const real = await send(signedPost(`${group()}/inbox`, honest, followActivity(honest, group())));
    assert.equal(real.status, 200, real.text);
  });

  it('a server over its budget gets 429 with Retry-After, and nothing it sends is stored', async () => {
    const answers: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 11; i++) {
      const actor = receiver.actor(`flood${i}`);
      const post = signedPost(`${group()}/inbox`, actor, followActivity(actor, group()));
      const res = await fetch(post.url, { method: 'POST', headers: post.headers, body: post.body });
      await res.arrayBuffer();
      answers.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    // One was spent by the test above; nine more pass, then the host is over its ten a minute.
    assert.deepEqual(answers.slice(0, 9), Array(9).fill(200), answers.join());
    assert.ok(answers.slice(9).every((s) => s === 429), answers.join());
    assert.equal(retryAfter, '60');
    await eventually(async () => {
      const followers = await a.admin.client.api('GET', '/federation/boards/general/followers');
      assert.equal(followers.json.followers.length, 10);
    });
  });
});
