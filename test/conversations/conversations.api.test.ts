import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { PASS } from '../helpers/client.js';
import { ManualClock } from '../safety/manual-clock.js';
import { sessionsCollection } from '../../server/accounts/accounts.collections.js';
import {
  conversationMessagesCollection,
  conversationReportsCollection,
  conversationRequestsCollection,
  conversationsCollection,
  participantsCollection,
} from '../../server/conversations/conversations.collections.js';
import { acceptOnly, becomeBuddies, inbox, messages, openToEveryone, say, start } from './helpers.js';

const DAY = 86_400_000;

describe('private conversations: requests, acceptance, blocking, retention, reports', () => {
  let inst: TestInstance;
  const clock = new ManualClock();
  let mod: Person;
  before(async () => {
    inst = await startInstance({ clock });
    mod = await moderator(inst, await admin(inst));
  });
  after(async () => inst.close());

  const store = () => inst.parasol.ctx.store;
  const count = {
    messages: (conversationId: string) => store().collection(conversationMessagesCollection).count({ conversationId }),
    participants: (conversationId: string) => store().collection(participantsCollection).count({ conversationId }),
    requests: (recipientId: string) => store().collection(conversationRequestsCollection).count({ recipientId }),
    conversation: async (id: string) => ((await store().collection(conversationsCollection).get(id)) ? 1 : 0),
  };

  async function pair(): Promise<[Person, Person]> {
    const a = await member(inst, 'ana');
    const b = await member(inst, 'bea');
    await openToEveryone(b);
    return [a, b];
  }

  it('shows the recipient only the sender’s name and first message until they accept, then the conversation', async () => {
    const [ana, bea] = await pair();
    const id = await start(ana, [bea], 'are you at the usual place?');
    const { requests, conversations } = await inbox(bea);
    assert.equal(conversations.length, 0);
    assert.deepEqual(Object.keys(requests[0]!).sort(), ['body', 'createdAt', 'from', 'id']);
    assert.equal(requests[0]!.from, ana.handle);
    assert.equal(requests[0]!.body, 'are you at the usual place?');
    await say(ana, id, 'second message, not in the request');
    // Nothing else reaches the recipient before they accept.
    assert.equal((await bea.client.api('GET', `/conversations/${id}/messages`)).status, 404);
    assert.equal((await bea.client.api('POST', `/conversations/${id}/messages`, { body: 'hi' })).status, 404);

    assert.equal(await acceptOnly(bea), id);
    assert.deepEqual((await messages(bea, id)).map((m) => m.body), ['are you at the usual place?', 'second message, not in the request']);
    await say(bea, id, 'yes, come over');
    const seen = (await inbox(ana)).conversations.find((c) => c.id === id)!;
    assert.deepEqual(seen.people.map((p) => [p.handle, p.state, p.me]), [[ana.handle, 'here', true], [bea.handle, 'here', false]]);
    assert.equal(seen.unread, 1);
    assert.equal(await count.requests(bea.id), 0, 'an answered request is erased');
  });

  it('declining erases the request and the sender sees the member did not join', async () => {
    const [ana, bea] = await pair();
    const id = await start(ana, [bea]);
    const { requests } = await inbox(bea);
    assert.equal((await bea.client.api('POST', `/conversations/requests/${requests[0]!.id}/decline`)).status, 204);
    assert.equal(await count.requests(bea.id), 0);
    assert.equal((await inbox(bea)).conversations.length, 0);
    const view = (await ana.client.api('GET', `/conversations/${id}`)).json.conversation;
    assert.equal(view.people.find((p: { handle: string }) => p.handle === bea.handle).state, 'left');
  });

  it('a blocked sender cannot tell: their requests look unanswered and never reach the blocker', async () => {
    const [ana, bea] = await pair();
    const first = await start(ana, [bea], 'first try');
    const { requests } = await inbox(bea);
    assert.equal((await bea.client.api('POST', `/conversations/requests/${requests[0]!.id}/block`)).status, 204);
    const again = await start(ana, [bea], 'second try');
    assert.deepEqual((await inbox(bea)).requests, [], 'the blocker never sees it');
    assert.equal(await count.requests(bea.id), 0, 'and it is erased when the blocker’s key opens it');
    for (const id of [first, again]) {
      const view = (await ana.client.api('GET', `/conversations/${id}`)).json.conversation;
      assert.equal(view.people.find((p: { handle: string }) => p.handle === bea.handle).state, 'waiting', 'to the sender it looks unanswered');
    }
    // The blocker is told plainly why they cannot write, and may unblock.
    const refused = await bea.client.api('POST', '/conversations', { to: [ana.handle], body: 'hi' });
    assert.equal(refused.status, 409);
    assert.equal(refused.json.error.code, 'you_blocked');
    assert.equal((await bea.client.api('DELETE', `/conversations/blocked/${ana.handle}`)).status, 204);
  });

  it('blocking inside a conversation looks to the blocked member as if the other left', async () => {
    const [ana, bea] = await pair();
    await openToEveryone(ana);
    const id = await start(ana, [bea]);
    await acceptOnly(bea);
    await say(ana, id, 'hello');
    const before = await count.messages(id);
    assert.equal((await bea.client.api('POST', `/conversations/${id}/block`, { place: 0 })).status, 204);
    const view = (await ana.client.api('GET', `/conversations/${id}`)).json.conversation;
    assert.equal(view.people.find((p: { handle: string }) => p.handle === bea.handle).state, 'left');
    assert.equal(await count.messages(id), before, 'the blocked member keeps their conversation, as after a leave');
    assert.equal((await bea.client.api('GET', `/conversations/${id}`)).status, 404);
    await start(ana, [bea], 'please answer');
    assert.deepEqual((await inbox(bea)).requests, []);
    const refused = await bea.client.api('POST', `/conversations/${id}/block`, { place: 0 });
    assert.equal(refused.status, 404);
  });

  it('buddies need no request: a buddy’s conversation is accepted at once, also under the default setting', async () => {
    const ana = await member(inst, 'ana');
    const bea = await member(inst, 'bea');
    const refused = await ana.client.api('POST', '/conversations', { to: [bea.handle], body: 'hi' });
    assert.equal(refused.status, 403, 'buddies only, by default');
    assert.equal(refused.json.error.code, 'not_accepting');
    assert.equal(refused.json.error.message, 'This member is not taking new conversations right now.');
    await becomeBuddies(ana, bea);
    const id = await start(ana, [bea], 'call me');
    const { requests, conversations } = await inbox(bea);
    assert.deepEqual(requests, []);
    assert.deepEqual(conversations.map((c) => c.id), [id]);
    assert.equal(conversations[0]!.unread, 1);
  });

  it('a group of up to eight shows each member who is here, waiting or gone', async () => {
    const ana = await member(inst, 'ana');
    const others = [];
    for (let i = 0; i < 7; i++) {
      const p = await member(inst, 'grp');
      await openToEveryone(p);
      others.push(p);
    }
    const id = await start(ana, others);
    await acceptOnly(others[0]!);
    const view = (await others[0]!.client.api('GET', `/conversations/${id}`)).json.conversation;
    assert.deepEqual(view.people.map((p: { state: string }) => p.state), ['here', 'here', 'waiting', 'waiting', 'waiting', 'waiting', 'waiting', 'waiting']);
  });

  describe('bad input: a clear error and nothing stored', () => {
    let ana: Person;
    let bea: Person;
    let id: string;
    before(async () => {
      [ana, bea] = await pair();
      id = await start(ana, [bea]);
      await acceptOnly(bea);
    });

    const refusal = async (reply: { status: number; json: { error: { code: string; message: string } } }, status: number, code: string) => {
      assert.equal(reply.status, status, JSON.stringify(reply.json));
      assert.equal(reply.json.error.code, code);
      assert.ok(reply.json.error.message.length > 0, 'the error has a message to show');
    };

    it('refuses a request to oneself, to nobody there, to a deleted member, to too many, or too long', async () => {
      const requestsBefore = await store().collection(conversationRequestsCollection).count();
      const conversationsBefore = await store().collection(conversationsCollection).count();
      await refusal(await ana.client.api('POST', '/conversations', { to: [ana.handle], body: 'me' }), 422, 'self');
      await refusal(await ana.client.api('POST', '/conversations', { to: ['nobody_here_at_all'], body: 'hi' }), 404, 'member_not_found');
      const gone = await member(inst, 'gone');
      await openToEveryone(gone);
      assert.equal((await gone.client.api('DELETE', '/me', { passphrase: PASS, content: 'delete' })).status, 204);
      await refusal(await ana.client.api('POST', '/conversations', { to: [gone.handle], body: 'hi' }), 404, 'member_not_found');
      const eight = Array.from({ length: 8 }, (_, i) => `someone_${i}`);
      await refusal(await ana.client.api('POST', '/conversations', { to: eight, body: 'hi' }), 422, 'validation_failed');
      await refusal(await ana.client.api('POST', '/conversations', { to: [bea.handle], body: 'x'.repeat(301) }), 422, 'validation_failed');
      await refusal(await ana.client.api('POST', '/conversations', { to: [bea.handle], body: 'hi', retentionDays: 90 }), 422, 'validation_failed');
      const closed = await member(inst, 'closed');
      assert.equal((await closed.client.api('PUT', '/conversations/settings', { accept: 'nobody' })).status, 200);
      await refusal(await ana.client.api('POST', '/conversations', { to: [closed.handle], body: 'hi' }), 403, 'not_accepting');
      assert.equal(await store().collection(conversationRequestsCollection).count(), requestsBefore);
      assert.equal(await store().collection(conversationsCollection).count(), conversationsBefore);
    });

    it('refuses a message over 4,000 characters, an empty one, and one to a conversation one left', async () => {
      const before = await count.messages(id);
      await refusal(await ana.client.api('POST', `/conversations/${id}/messages`, { body: 'x'.repeat(4001) }), 422, 'validation_failed');
      await refusal(await ana.client.api('POST', `/conversations/${id}/messages`, { body: '   ' }), 422, 'validation_failed');
      await refusal(await ana.client.api('POST', `/conversations/${id}/messages`, { body: 'hi', extra: 1 }), 422, 'validation_failed');
      const other = await start(ana, [bea]);
      assert.equal((await ana.client.api('POST', `/conversations/${other}/leave`)).status, 204);
      await refusal(await ana.client.api('POST', `/conversations/${other}/messages`, { body: 'hi' }), 404, 'not_found');
      await refusal(await ana.client.api('GET', '/conversations/not..an..id'), 404, 'not_found');
      assert.equal(await count.messages(id), before);
    });

    it('refuses a retention longer than the one in force, deleting someone else’s message, and reporting one’s own', async () => {
      await refusal(await bea.client.api('PUT', `/conversations/${id}/retention`, { retentionDays: 30 }), 409, 'retention_longer');
      const mine = await say(ana, id, 'mine');
      await refusal(await bea.client.api('DELETE', `/conversations/${id}/messages/${mine.id}`), 403, 'not_author');
      await refusal(await ana.client.api('POST', `/conversations/${id}/reports`, { messageIds: [mine.id], reason: 'spam' }), 422, 'report_own');
      assert.equal(await store().collection(conversationReportsCollection).count(), 0);
    });

    it('answers 401 member_key_locked to a session without a key, and stores nothing', async () => {
      const locked = await member(inst, 'locked');
      const sessions = store().collection(sessionsCollection);
      const session = await sessions.findOne({ accountId: locked.id });
      assert.ok(session?.keyWrap, 'the session stores a wrapped key');
      // A session made before member keys has no wrap.
      await sessions.patch(session.id, { keyWrap: undefined });
      const before = await count.messages(id);
      const requestsBefore = await count.requests(bea.id);
      for (const [method, url, body] of [
        ['GET', '/conversations', undefined],
        ['POST', '/conversations', { to: [bea.handle], body: 'hi' }],
        ['POST', `/conversations/${id}/messages`, { body: 'hi' }],
        ['PUT', '/conversations/settings', { accept: 'everyone' }],
      ] as const) {
        await refusal(await locked.client.api(method, url, body), 401, 'member_key_locked');
      }
      assert.equal(await count.messages(id), before);
      assert.equal(await count.requests(bea.id), requestsBefore);
    });

    it('answers 401 without a session and 429 when a member floods', async () => {
      const anonymous = await fetch(`${inst.url}/api/v1/conversations`);
      assert.equal(anonymous.status, 401);
      const flood = await startInstance({ config: (c) => ({ ...c, rateLimits: { ...c.rateLimits, conversationMessages: { perKey: 5, overall: 1000, windowSeconds: 60 } } }) });
      try {
        const x = await member(flood, 'x');
        const y = await member(flood, 'y');
        await openToEveryone(y);
        const conv = await start(x, [y]);
        const statuses: number[] = [];
        for (let i = 0; i < 7; i++) statuses.push((await x.client.api('POST', `/conversations/${conv}/messages`, { body: `n${i}` })).status);
        assert.deepEqual(statuses.slice(0, 5), [201, 201, 201, 201, 201]);
        assert.deepEqual(statuses.slice(5), [429, 429]);
        assert.equal(await flood.parasol.ctx.store.collection(conversationMessagesCollection).count({ conversationId: conv }), 6);
      } finally {
        await flood.close();
      }
    });
  });

  it('deletes messages from the database when the retention passes, and sooner once shortened', async () => {
    const [ana, bea] = await pair();
    const short = await start(ana, [bea], 'one day', { retentionDays: 1 });
    await acceptOnly(bea);
    const long = await start(ana, [bea], 'a week', { retentionDays: 7 });
    await acceptOnly(bea);
    await say(bea, short, 'also one day');
    await say(bea, long, 'also a week');
    assert.equal(await count.messages(short), 2);

    await store().sweepExpired(clock.now() + 2 * DAY);
    assert.equal(await count.messages(short), 0, 'a one-day conversation is emptied after two days');
    assert.equal(await count.messages(long), 2, 'a week-long one is not');

    const shortened = await bea.client.api('PUT', `/conversations/${long}/retention`, { retentionDays: 1 });
    assert.equal(shortened.status, 200, shortened.text);
    assert.equal((await ana.client.api('GET', `/conversations/${long}`)).json.conversation.retentionDays, 1, 'shown to all');
    await store().sweepExpired(clock.now() + 2 * DAY);
    assert.equal(await count.messages(long), 0, 'messages already sent expire sooner too');
  });

  it('deleting one’s message deletes it for everyone; the conversation goes when everyone left', async () => {
    const [ana, bea] = await pair();
    const id = await start(ana, [bea]);
    await acceptOnly(bea);
    const oops = await say(ana, id, 'sent to the wrong person');
    assert.equal((await ana.client.api('DELETE', `/conversations/${id}/messages/${oops.id}`)).status, 204);
    assert.equal(await store().collection(conversationMessagesCollection).get(oops.id), null);
    assert.ok(!(await messages(bea, id)).some((m) => m.id === oops.id), 'gone for the other member too');

    assert.equal((await ana.client.api('POST', `/conversations/${id}/leave`)).status, 204);
    assert.equal(await count.conversation(id), 1);
    assert.equal((await bea.client.api('POST', `/conversations/${id}/leave`)).status, 204);
    assert.equal(await count.conversation(id), 0);
    assert.equal(await count.messages(id), 0);
    assert.equal(await count.participants(id), 0);
  });

  it('a report reaches the moderators with the reported messages and nothing else', async () => {
    const [ana, bea] = await pair();
    const id = await start(ana, [bea], 'an ordinary hello');
    await acceptOnly(bea);
    const bad = await say(ana, id, 'a threat the moderators must see');
    await say(ana, id, 'an unrelated private detail');
    await say(bea, id, 'my own reply');
    const filed = await bea.client.api('POST', `/conversations/${id}/reports`, { messageIds: [bad.id], reason: 'threat', note: 'scared' });
    assert.equal(filed.status, 201, filed.text);

    assert.equal((await bea.client.api('GET', '/mod/conversation-reports')).status, 403);
    const queue = await mod.client.api('GET', '/mod/conversation-reports');
    assert.equal(queue.status, 200, queue.text);
    const report = queue.json.reports.find((r: { id: string }) => r.id === filed.json.report.id);
    assert.deepEqual(report.messages.map((m: { body: string }) => m.body), ['a threat the moderators must see']);
    assert.equal(report.author, ana.handle);
    const stored = JSON.stringify(await store().collection(conversationReportsCollection).get(report.id));
    for (const absent of ['an ordinary hello', 'an unrelated private detail', 'my own reply', id, bea.id, bea.handle]) assert.ok(!stored.includes(absent), absent);

    assert.equal((await mod.client.api('POST', `/mod/conversation-reports/${report.id}/resolve`)).status, 204);
    assert.equal(await store().collection(conversationReportsCollection).get(report.id), null);
  });

  it('the export holds one’s own messages only; deleting the account deletes them and the others see them leave', async () => {
    const [ana, bea] = await pair();
    const id = await start(ana, [bea], 'from ana');
    await acceptOnly(bea);
    await say(bea, id, 'from bea');
    const exported = await bea.client.api('GET', '/me/export');
    assert.equal(exported.status, 200);
    assert.deepEqual(exported.json.conversations, [{ conversationId: id, messages: [{ body: 'from bea', createdAt: exported.json.conversations[0].messages[0].createdAt }] }]);
    assert.ok(!JSON.stringify(exported.json).includes('from ana'), 'nothing the other member wrote');

    assert.equal((await bea.client.api('DELETE', '/me', { passphrase: PASS, content: 'delete' })).status, 204);
    assert.deepEqual((await messages(ana, id)).map((m) => m.body), ['from ana']);
    const view = (await ana.client.api('GET', `/conversations/${id}`)).json.conversation;
    assert.equal(view.people.find((p: { handle: string }) => p.handle === bea.handle).state, 'left');
  });

  it('is never public: no route without a session, nothing in the search index or NodeInfo', async () => {
    const [ana, bea] = await pair();
    await start(ana, [bea], 'zebracorn secret');
    const search = await ana.client.api('GET', `/search?q=zebracorn`);
    assert.equal(search.status, 200, search.text);
    assert.ok(!search.text.includes('zebracorn secret'), 'not in the search index');
    const nodeinfo = await fetch(`${inst.url}/nodeinfo/2.1`).then((r) => r.text());
    assert.ok(!/conversation/i.test(nodeinfo), 'not counted in NodeInfo');
  });
});
