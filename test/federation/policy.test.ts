import assert from 'node:assert/strict';
import { eventually, settled, startPeers, type Peer } from './instances.js';
import { followActivity, Receiver, send, signedPost } from './receiver.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers */

describe('deny list and allow-list mode (separate processes, real HTTP)', function () {
  this.timeout(120_000);
  let a: Peer;
  let b: Peer;
  const receiver = new Receiver();
  const group = () => `${a.url}/ap/b/general`;

  const followersOfGeneral = async () => {
    const list = await a.admin.client.api('GET', '/federation/boards/general/followers');
    assert.equal(list.status, 200, list.text);
    return list.json.followers as string[];
  };
  const mirroredOnB = async () => {
    const reply = await b.member.client.api('GET', `/federation/remote?group=${encodeURIComponent(group())}`);
    assert.equal(reply.status, 200, reply.text);
    return reply.json.threads as any[];
  };

  before(async () => {
    await receiver.start();
    [a, b] = (await startPeers(['da', 'db'])) as [Peer, Peer];
    const made = await b.admin.client.api('POST', '/federation/follows', { target: `general@${a.host}` });
    assert.equal(made.status, 201, made.text);
    await eventually(async () => assert.equal((await followersOfGeneral()).length, 1));
    const thread = await a.member.client.api('POST', '/boards/general/threads', { title: 'Before the rule', body: 'shared' });
    assert.equal(thread.status, 201, thread.text);
    await eventually(async () => assert.equal((await mirroredOnB()).length, 1));
  });
  after(async () => {
    await Promise.all([a?.dispose(), b?.dispose()]);
    await receiver.stop();
  });

  it('refuses bad rules with clear errors and changes nothing', async () => {
    const cases: [unknown, number, string][] = [
      [{ target: 'not a domain', policy: 'deny' }, 422, 'rule_target_invalid'],
      [{ target: 'evil.example/path', policy: 'deny' }, 422, 'rule_target_invalid'],
      [{ target: a.host, policy: 'deny' }, 422, 'rule_target_local'],
      [{ target: `${a.url}/ap/u/someone`, policy: 'deny' }, 422, 'rule_target_local'],
      [{ target: 'https://evil.example/users/x', policy: 'allow' }, 422, 'allow_is_for_domains'],
      [{ target: 'evil.example', policy: 'maybe' }, 422, 'validation_failed'],
      [{ target: 'evil.example', policy: 'deny', extra: 1 }, 422, 'validation_failed'],
    ];
    for (const [body, status, code] of cases) {
      const res = await a.admin.client.api('POST', '/federation/policy/rules', body);
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.json.error.code ?? res.json.error, code, res.text);
    }
    assert.equal((await a.member.client.api('POST', '/federation/policy/rules', { target: 'evil.example', policy: 'deny' })).status, 403);
    assert.equal((await a.member.client.api('GET', '/federation/policy')).status, 403);
    assert.equal((await a.admin.client.api('PUT', '/federation/policy/mode', { mode: 'closed' })).status, 422);
    assert.equal((await a.admin.client.api('DELETE', `/federation/policy/rules/${encodeURIComponent('nobody.example')}`)).status, 404);
    const policy = await a.admin.client.api('GET', '/federation/policy');
    assert.deepEqual(policy.json, { mode: 'open', rules: [] });
  });

  it('denying a server drops its follow and mirror, refuses its requests, and is never called again', async () => {
    const denied = await a.admin.client.api('POST', '/federation/policy/rules', { target: b.host, policy: 'deny', reason: 'harassment campaign' });
    assert.equal(denied.status, 201, denied.text);
    assert.equal((await a.admin.client.api('POST', '/federation/policy/rules', { target: b.host, policy: 'deny' })).status, 409);
    assert.deepEqual(await followersOfGeneral(), []);

    // A's new posts no longer reach B.
    const after = await a.member.client.api('POST', '/boards/general/threads', { title: 'After the rule', body: 'not for B' });
    assert.equal(after.status, 201, after.text);
    await settled(a);
    assert.equal((await mirroredOnB()).length, 1);

    // A will not reach out to B.
    const out = await a.admin.client.api('POST', '/federation/follows', { target: `general@${b.host}` });
    assert.equal(out.status, 403, out.text);
    assert.equal(out.json.error.code ?? out.json.error, 'server_refused');

    // B can deny A in turn: its follow of A's board and the mirrored posts go.
    assert.equal((await b.admin.client.api('POST', '/federation/policy/rules', { target: a.host, policy: 'deny' })).status, 201);
    const gone = await b.member.client.api('GET', `/federation/remote?group=${encodeURIComponent(group())}`);
    assert.equal(gone.status, 404, gone.text);
    const follows = await b.admin.client.api('GET', '/federation/follows');
    assert.deepEqual(follows.json.follows, []);

    const policy = await a.admin.client.api('GET', '/federation/policy');
    assert.equal(policy.json.rules[0].id, b.host);
    assert.equal(policy.json.rules[0].reason, 'harassment campaign');
    assert.equal((await a.admin.client.api('DELETE', `/federation/policy/rules/${encodeURIComponent(b.host)}`)).status, 204);
    assert.equal((await b.admin.client.api('DELETE', `/federation/policy/rules/${encodeURIComponent(a.host)}`)).status, 204);
  });

  it('refuses a denied server’s signed requests, and blocks one remote actor without refusing its server', async () => {
    const blocked = receiver.actor('blocked');
    const other = receiver.actor('other');
    const receiverHost = new URL(receiver.url).host;
    assert.equal((await a.admin.client.api('POST', '/federation/policy/rules', { target: receiverHost, policy: 'deny' })).status, 201);
    const wholeServer = await send(signedPost(`${group()}/inbox`, other, followActivity(other, group())));
    assert.equal(wholeServer.status, 403, wholeServer.text);
    // Refused before its key was fetched: the receiver saw no request from A.
    assert.equal(receiver.received.filter((r) => r.method === 'GET' && r.path.includes('/users/other')).length, 0);
    assert.equal((await a.admin.client.api('DELETE', `/federation/policy/rules/${encodeURIComponent(receiverHost)}`)).status, 204);

    assert.equal((await a.admin.client.api('POST', '/federation/policy/rules', { target: blocked.id, policy: 'deny' })).status, 201);
    const refused = await send(signedPost(`${group()}/inbox`, blocked, followActivity(blocked, group())));
    assert.equal(refused.status, 403, refused.text);
    const accepted = await send(signedPost(`${group()}/inbox`, other, followActivity(other, group())));
    assert.equal(accepted.status, 200, accepted.text);
    await eventually(async () => assert.deepEqual(await followersOfGeneral(), [other.id]));
    assert.equal((await a.admin.client.api('DELETE', `/federation/policy/rules/${encodeURIComponent(blocked.id)}`)).status, 204);
  });

  it('in allow-list mode only listed servers reach or are reached', async () => {
    const switched = await a.admin.client.api('PUT', '/federation/policy/mode', { mode: 'allowlist' });
    assert.equal(switched.status, 200, switched.text);
    assert.equal(switched.json.mode, 'allowlist');
    // Switching drops the followers of servers not on the list.
    assert.deepEqual(await followersOfGeneral(), []);
    const stranger = receiver.actor('stranger');
    const refused = await send(signedPost(`${group()}/inbox`, stranger, followActivity(stranger, group())));
    assert.equal(refused.status, 403, refused.text);

    assert.equal((await a.admin.client.api('POST', '/federation/policy/rules', { target: new URL(receiver.url).host, policy: 'allow' })).status, 201);
    const welcome = await send(signedPost(`${group()}/inbox`, stranger, followActivity(stranger, group())));
    assert.equal(welcome.status, 200, welcome.text);
    await eventually(async () => assert.deepEqual(await followersOfGeneral(), [stranger.id]));
    // B is not on the list: A neither follows it nor answers it.
    assert.equal((await a.admin.client.api('POST', '/federation/follows', { target: `general@${b.host}` })).status, 403);
    assert.equal((await a.admin.client.api('PUT', '/federation/policy/mode', { mode: 'open' })).status, 200);
  });
});
