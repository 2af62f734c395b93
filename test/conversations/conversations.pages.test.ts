import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { conversationMessagesCollection } from '../../server/conversations/conversations.collections.js';
import { acceptOnly, inbox, openToEveryone, start } from './helpers.js';

/** Conversations work without JavaScript: forms and links only, a page that refreshes itself, errors shown in the form. */
describe('conversation pages without JavaScript', () => {
  let inst: TestInstance;
  let ana: Person;
  let bea: Person;
  let mod: Person;

  before(async () => {
    inst = await startInstance();
    mod = await moderator(inst, await admin(inst));
    ana = await member(inst, 'ana');
    bea = await member(inst, 'bea');
  });
  after(async () => inst.close());

  const location = (reply: { headers: Headers }) => reply.headers.get('location') ?? '';

  it('sends visitors to the log-in page', async () => {
    const reply = await new Client(inst.url).get('/conversations');
    assert.equal(reply.status, 303);
    assert.match(location(reply), /^\/login\?next=%2Fconversations/);
  });

  it('takes a member from a request to a conversation with forms alone', async () => {
    // The setting, refused request and its neutral message, then a request that goes through.
    const refused = await ana.client.submit('/conversations', '/conversations', { to: bea.handle, body: 'hello there', retentionDays: '7' });
    assert.equal(refused.status, 403);
    assert.match(refused.text, /This member is not taking new conversations right now\./);
    assert.match(refused.text, /hello there/, 'what was typed is kept');
    assert.equal((await bea.client.submit('/conversations', '/conversations/settings', { accept: 'everyone' })).status, 303);
    const sent = await ana.client.submit('/conversations', '/conversations', { to: bea.handle, body: 'hello there', retentionDays: '1' });
    assert.equal(sent.status, 303);
    const path = location(sent);
    assert.match(path, /^\/conversations\/[A-Za-z0-9_-]+$/);

    const list = await bea.client.get('/conversations');
    assert.equal(list.headers.get('cache-control'), 'no-store');
    assert.match(list.text, new RegExp(`<strong>${ana.handle}</strong>`));
    assert.match(list.text, /hello there/);
    const requestId = /action="\/conversations\/requests\/([^/]+)\/accept"/.exec(list.text)?.[1];
    assert.ok(requestId, 'the request has an accept form');
    assert.match(list.text, new RegExp(`action="/conversations/requests/${requestId}/decline"`));
    assert.match(list.text, new RegExp(`action="/conversations/requests/${requestId}/block"`));
    const accepted = await bea.client.submit('/conversations', `/conversations/requests/${requestId}/accept`, {});
    assert.equal(accepted.status, 303);
    assert.equal(location(accepted), path);

    const page = await bea.client.get(path);
    assert.equal(page.status, 200);
    assert.match(page.text, /<head>[\s\S]*<noscript><meta http-equiv="refresh" content="30"><\/noscript>[\s\S]*<\/head>/);
    assert.match(page.text, /<script src="\/assets\/socket.js" defer><\/script>\s*<script src="\/assets\/message-list.js" defer><\/script>\s*<script src="\/assets\/conversation.js" defer><\/script>/, 'the shared message list loads before the page\'s own script');
    assert.match(page.text, /Messages are deleted after 24 hours\./);
    assert.ok(!(await bea.client.get(`${path}?write=1`)).text.includes('http-equiv="refresh"'), 'no reload while writing');

    const reply = await bea.client.submit(path, `${path}/messages`, { body: 'see you <b>soon</b>', clientId: 'form-1' });
    assert.equal(reply.status, 303);
    assert.match(location(reply), new RegExp(`^${path}#m-`));
    const after = await ana.client.get(path);
    assert.match(after.text, /see you &lt;b&gt;soon&lt;\/b&gt;/, 'text, never HTML');
    assert.match((await ana.client.get('/')).text, /<a href="\/conversations">/);
  });

  it('counts new conversations in the header; notifications name nobody and quote nothing', async () => {
    const cat = await member(inst, 'cat');
    await bea.client.api('PUT', '/conversations/settings', { accept: 'everyone' });
    const sent = await cat.client.submit('/conversations', '/conversations', { to: bea.handle, body: 'private words', retentionDays: '7' });
    assert.equal(sent.status, 303);
    const home = await bea.client.get('/');
    assert.match(home.text, /<span>Messages <span class="tag">1<\/span><\/span>/);
    const notes = await bea.client.get('/notifications');
    assert.match(notes.text, /Someone asks to talk with you privately/);
    assert.ok(!notes.text.includes(cat.handle) && !notes.text.includes('private words'), 'a notification names nobody and quotes nothing');
    const { requests } = await inbox(bea);
    const id = (await bea.client.api('POST', `/conversations/requests/${requests[0]!.id}/accept`)).json.conversation.id as string;
    await cat.client.api('POST', `/conversations/${id}/messages`, { body: 'more private words' });
    const later = await bea.client.get('/notifications');
    assert.match(later.text, /You have a new message/);
    assert.ok(!later.text.includes(cat.handle) && !later.text.includes('private words'), 'nor does a message notice');
    assert.match((await bea.client.get('/')).text, /<span>Messages <span class="tag">1<\/span><\/span>/);
    await bea.client.get(`/conversations/${id}`);
    assert.ok(!(await bea.client.get('/')).text.includes('Messages <span class="tag">'), 'read once the conversation is opened');
  });

  it('shows a form error, keeps the text, and stores nothing for a message too long', async () => {
    const { conversations } = await inbox(ana);
    const id = conversations[0]!.id;
    const before = await inst.parasol.ctx.store.collection(conversationMessagesCollection).count({ conversationId: id });
    const reply = await ana.client.submit(`/conversations/${id}`, `/conversations/${id}/messages`, { body: 'y'.repeat(4001) });
    assert.equal(reply.status, 422);
    assert.match(reply.text, /class="error" role="alert"/);
    assert.match(reply.text, /y{4001}/);
    assert.equal(await inst.parasol.ctx.store.collection(conversationMessagesCollection).count({ conversationId: id }), before);
  });

  it('reports, deletes, shortens, blocks and leaves through forms; moderators resolve the report on their page', async () => {
    const { conversations } = await inbox(bea);
    const id = conversations.find((c) => c.people.some((p) => p.handle === ana.handle))!.id;
    const theirs = (await bea.client.api('GET', `/conversations/${id}/messages`)).json.messages.find((m: { place: number }) => m.place === 0);
    const report = await bea.client.submit(`/conversations/${id}/m/${theirs.id}/report`, `/conversations/${id}/m/${theirs.id}/report`, { reason: 'harassment', note: '' });
    assert.equal(report.status, 303);
    const queue = await mod.client.get('/mod/conversation-reports');
    assert.equal(queue.status, 200);
    assert.match(queue.text, /hello there/);
    assert.ok(!queue.text.includes('see you'), 'only the reported message');
    const reportId = /action="\/mod\/conversation-reports\/([^/]+)\/resolve"/.exec(queue.text)?.[1];
    assert.ok(reportId, 'the report has a resolve form');
    assert.equal((await mod.client.submit('/mod/conversation-reports', `/mod/conversation-reports/${reportId}/resolve`, {})).status, 303);
    assert.equal((await bea.client.get('/mod/conversation-reports')).status, 403);

    const mine = (await bea.client.api('GET', `/conversations/${id}/messages`)).json.messages.find((m: { place: number }) => m.place === 1);
    assert.equal((await bea.client.submit(`/conversations/${id}`, `/conversations/${id}/m/${mine.id}/delete`, {})).status, 303);
    assert.ok(!(await ana.client.get(`/conversations/${id}`)).text.includes('see you'), 'deleted for the other member');
    const longer = await bea.client.submit(`/conversations/${id}`, `/conversations/${id}/retention`, { retentionDays: '30' });
    assert.equal(longer.status, 409);
    assert.match(longer.text, /Messages can only be kept for a shorter time, not a longer one\./);
    assert.equal((await bea.client.submit(`/conversations/${id}`, `/conversations/${id}/block`, { place: '0' })).status, 303);
    assert.match((await ana.client.get(`/conversations/${id}`)).text, new RegExp(`<span>${bea.handle}</span> <small class="tag">left</small>`));
    assert.match((await bea.client.get('/conversations')).text, new RegExp(`action="/conversations/blocked/${ana.handle}/unblock"`));
    assert.equal((await ana.client.submit(`/conversations/${id}`, `/conversations/${id}/leave`, {})).status, 303);
    assert.equal((await ana.client.get(`/conversations/${id}`)).status, 404);
  });

  it('shows on reload who joined or left and a shorter retention', async () => {
    const cat = await member(inst, 'cat');
    const dan = await member(inst, 'dan');
    for (const p of [cat, dan]) await openToEveryone(p);
    const id = await start(ana, [cat, dan], 'a small group', { retentionDays: 30 });
    const tag = (page: string, who: Person) => new RegExp(`<span>${who.handle}</span> <small class="tag"([^>]*)>([^<]*)</small>`).exec(page)?.slice(1);
    let page = (await ana.client.get(`/conversations/${id}`)).text;
    assert.deepEqual(tag(page, cat), ['', 'not answered yet']);
    assert.match(page, /Messages are deleted after 30 days\./);

    await acceptOnly(cat);
    assert.equal((await cat.client.submit(`/conversations/${id}`, `/conversations/${id}/retention`, { retentionDays: '7' })).status, 303);
    assert.equal((await inbox(dan)).requests.length, 1);
    assert.equal((await dan.client.api('POST', `/conversations/requests/${(await inbox(dan)).requests[0]!.id}/decline`)).status, 204);
    page = (await ana.client.get(`/conversations/${id}`)).text;
    assert.deepEqual(tag(page, cat), [' hidden', ''], 'here: no tag');
    assert.deepEqual(tag(page, dan), ['', 'left']);
    assert.match(page, /Messages are deleted after 7 days\./);
    const notes = JSON.parse(/id="conversation-retention" data-notes="([^"]+)"/.exec(page)![1]!.replaceAll('&quot;', '"')) as Record<string, string>;
    assert.equal(notes['1'], 'Messages are deleted after 24 hours. Anyone here can make this shorter.', 'the page carries the texts a live change shows');
  });
});
