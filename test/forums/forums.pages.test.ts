import assert from 'node:assert/strict';
import http from 'node:http';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';

/** Bytes on the wire for one GET with compression, as a browser's first visit would pull it. */
function compressedSize(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { 'accept-encoding': 'gzip, deflate, br' } }, (res) => {
        let size = 0;
        res.on('data', (chunk: Buffer) => (size += chunk.length));
        res.on('end', () => resolve(size + Object.entries(res.headers).reduce((n, [k, v]) => n + k.length + String(v).length + 4, 0)));
      })
      .on('error', reject);
  });
}

/** The status of a conditional GET as a browser revalidates (fetch would add Cache-Control: no-cache and defeat it). */
function revalidate(url: string, etag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { 'if-none-match': etag } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

/** The forum pages used without JavaScript: every action is a link or a form. */
describe('forum pages without JavaScript', () => {
  let inst: TestInstance;
  let boss: Person;
  let mod: Person;
  let alice: Person;
  let bob: Person;

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    mod = await moderator(inst, boss);
    alice = await member(inst, 'alice');
    bob = await member(inst, 'bob');
  });
  after(async () => inst.close());

  async function threadByForm(who: Person, fields: Record<string, string>, board = 'general'): Promise<string> {
    const reply = await who.client.submit(`/b/${board}`, `/b/${board}/threads`, { title: 'Form thread', body: 'Posted **without** JavaScript', ...fields });
    assert.equal(reply.status, 303, reply.text.slice(0, 300));
    return reply.headers.get('location')!;
  }

  it('shows the boards on the home page and a board with its threads', async () => {
    const home = await new Client(inst.url).get('/');
    assert.match(home.text, /href="\/b\/general"/);
    const location = await threadByForm(alice, { title: 'Hello from a form' });
    const board = await new Client(inst.url).get('/b/general');
    assert.match(board.text, /Hello from a form/);
    assert.match(board.text, new RegExp(`href="${location}"`));
    assert.match(board.text, /Log in to post/);
  });

  it('posts a thread and an anonymous reply with a content warning through forms', async function () {
    const location = await threadByForm(alice, {});
    const threadId = location.split('/').pop()!;
    const reply = await bob.client.submit(location, `/t/${threadId}/posts`, { body: 'Quietly answering', anonymous: 'on', contentWarning: 'sad story' });
    assert.equal(reply.status, 303);
    const page = await new Client(inst.url).get(location);
    assert.match(page.text, /<strong>without<\/strong>/);
    assert.match(page.text, /Anonymous member/);
    assert.doesNotMatch(page.text, new RegExp(bob.handle));
    assert.match(page.text, /<details class="cw"><summary>⚠️ sad story<\/summary>/);
  });

  it('defaults a reply in one’s own anonymous thread to anonymous, and elsewhere to named; either can be chosen', async () => {
    const made = await alice.client.submit('/b/general', '/b/general/threads', { title: 'Asked anonymously', body: 'A question', anonymous: 'on' });
    assert.equal(made.status, 303, made.text.slice(0, 300));
    const location = made.headers.get('location')!;
    const threadId = location.split('/').pop()!;
    const checked = (page: string, value: string) => new RegExp(`<input type="radio" name="anonymous" value="${value}" checked>`).test(page);
    const own = (await alice.client.get(location)).text;
    assert.ok(checked(own, 'on') && !checked(own, 'false'), 'the author of an anonymous thread replies anonymously unless they choose');
    const others = (await bob.client.get(location)).text;
    assert.ok(checked(others, 'false') && !checked(others, 'on'), 'someone else replies under their name unless they choose');

    // Without the field (an API client, or a form from before): the same defaults, decided by the server.
    const quiet = await alice.client.api('POST', `/threads/${threadId}/posts`, { body: 'Following up on my own question' });
    assert.equal(quiet.status, 201, quiet.text);
    assert.deepEqual(quiet.json.post.author, { kind: 'anonymous' });
    const named = await bob.client.api('POST', `/threads/${threadId}/posts`, { body: 'An answer with my name' });
    assert.equal(named.json.post.author.kind, 'member');
    const signed = await alice.client.submit(location, `/t/${threadId}/posts`, { body: 'Now with my name', anonymous: 'false' });
    assert.equal(signed.status, 303);
    const page = await new Client(inst.url).get(location);
    assert.match(page.text, new RegExp(`${alice.handle}[\\s\\S]*Now with my name`), 'she chose to sign this one');
    const sent = await alice.client.submit(location, `/t/${threadId}/posts`, { body: '   ', anonymous: 'false' });
    assert.equal(sent.status, 422);
    assert.ok(checked(sent.text, 'false'), 'a refused form keeps the choice made');
  });

  it('keeps what was typed and shows the error when a reply is refused', async () => {
    const location = await threadByForm(alice, {});
    const threadId = location.split('/').pop()!;
    const reply = await bob.client.submit(location, `/t/${threadId}/posts`, { body: '   ', contentWarning: 'x'.repeat(101) });
    assert.equal(reply.status, 422);
    assert.match(reply.text, /class="error" role="alert"/);
    assert.match(reply.text, /At most 100 characters|Write something first/);
  });

  it('quotes, reacts, reports and edits through links and forms', async function () {
    const location = await threadByForm(alice, { title: 'Interact' });
    const threadId = location.split('/').pop()!;
    const page = await bob.client.get(location);
    const postId = /id="p-([^"]+)"/.exec(page.text)![1]!;
    const quoteForm = await bob.client.get(`/t/${threadId}?quote=${postId}`);
    assert.match(quoteForm.text, new RegExp(`name="quoteOf" value="${postId}"`));
    const quoted = await bob.client.submit(`/t/${threadId}?quote=${postId}`, `/t/${threadId}/posts`, { body: 'Yes!', quoteOf: postId });
    assert.equal(quoted.status, 303);
    const reacted = await bob.client.submit(location, `/p/${postId}/react`, { kind: 'strong' });
    assert.equal(reacted.status, 303);
    assert.match((await new Client(inst.url).get(location)).text, /💪<\/span><span class="visually-hidden">Strength<\/span> 1/);
    const reported = await bob.client.submit(`/p/${postId}/report`, `/p/${postId}/report`, { reason: 'spam', note: 'selling things' });
    assert.equal(reported.status, 303);
    const confirmed = await bob.client.get(reported.headers.get('location')!);
    assert.match(confirmed.text, /<p class="success" role="status">.*Your report was sent to the moderators\. The person you reported will not see that it was you\.<\/p>/);
    assert.doesNotMatch((await bob.client.get(location)).text, /Your report was sent/, 'only right after reporting');
    const edited = await alice.client.submit(`/p/${postId}/edit`, `/p/${postId}/edit`, { title: 'Interact (edited)', body: 'New words', contentWarning: '' });
    assert.equal(edited.status, 303);
    assert.match((await new Client(inst.url).get(location)).text, /New words/);
    assert.equal((await bob.client.get(`/p/${postId}/edit`)).status, 403);
  });

  it('lets a moderator remove a reported post from the queue page, with the reason shown to the author', async function () {
    const location = await threadByForm(alice, { title: 'To be removed' });
    const threadId = location.split('/').pop()!;
    await bob.client.submit(location, `/t/${threadId}/posts`, { body: 'spammy spam', anonymous: 'on' });
    const page = await alice.client.get(location);
    const ids = [...page.text.matchAll(/id="p-([^"]+)"/g)].map((m) => m[1]!);
    const spamId = ids[1]!;
    await alice.client.submit(`/p/${spamId}/report`, `/p/${spamId}/report`, { reason: 'spam' });
    const queue = await mod.client.get('/mod');
    assert.equal(queue.status, 200);
    const item = queue.text.split('<li class="report">').find((li) => li.includes('spammy spam'));
    assert.ok(item, 'the report is in the queue');
    assert.doesNotMatch(item, new RegExp(`${bob.handle}|${bob.id}`), 'the moderator does not see who wrote the anonymous post');
    assert.match(item, /Anonymous member #\d+ of this board/);
    const removed = await mod.client.submit('/mod', `/mod/posts/${spamId}`, { action: 'remove', reason: 'No spam please' });
    assert.equal(removed.status, 303);
    assert.doesNotMatch((await new Client(inst.url).get(location)).text, /spammy spam/);
    assert.match((await bob.client.get(location)).text, /Reason: No spam please/);
    assert.equal((await alice.client.get('/mod')).status, 403);
  });

  it('locks a thread from its page; the reply form is replaced by a notice', async () => {
    const location = await threadByForm(alice, { title: 'Lock me' });
    const threadId = location.split('/').pop()!;
    const locked = await mod.client.submit(location, `/t/${threadId}/moderate`, { action: 'lock', reason: '', board: '' });
    assert.equal(locked.status, 303);
    const page = await bob.client.get(location);
    assert.match(page.text, /This thread is locked/);
    assert.doesNotMatch(page.text, /id="reply"/);
  });

  it('searches from a page', async () => {
    await threadByForm(alice, { title: 'Wombat meeting', body: 'The wombat meets on Friday' });
    const result = await new Client(inst.url).get('/search?q=wombat');
    assert.match(result.text, /Wombat meeting/);
    const empty = await new Client(inst.url).get('/search?q=' + 'x'.repeat(300));
    assert.equal(empty.status, 422);
  });

  it('manages boards, filters and suspensions from the moderation pages', async () => {
    const created = await boss.client.submit('/mod/boards', '/mod/boards', { slug: 'peer-tips', name: 'Peer tips', description: 'Tips', language: 'en', visibility: 'public' });
    assert.equal(created.status, 303);
    const saved = await boss.client.submit('/mod/boards', '/mod/boards/peer-tips', {
      name: 'Peer tips',
      description: 'Tips and tricks',
      language: 'en',
      position: '5',
      visibility: 'members',
      slowModeSeconds: '0',
      moderators: alice.handle,
      approveFirstPosts: 'false',
      archived: 'false',
    });
    assert.equal(saved.status, 303, saved.text.slice(0, 400));
    const board = await alice.client.api('GET', '/boards/peer-tips');
    assert.equal(board.json.board.visibility, 'members');
    assert.equal(board.json.board.canModerate, true, 'alice moderates this board');
    const filter = await mod.client.submit('/mod/filters', '/mod/filters', { phrase: 'casino', action: 'block' });
    assert.equal(filter.status, 303);
    assert.match((await mod.client.get('/mod/filters')).text, /<code>casino<\/code>/);
    const suspended = await mod.client.submit('/mod/accounts', '/mod/accounts/suspend', { handle: bob.handle, days: '2', reason: 'cooling off' });
    assert.equal(suspended.status, 200);
    assert.match((await bob.client.get('/')).text, /suspended your account until/);
    await mod.client.submit('/mod/accounts', '/mod/accounts/unsuspend', { handle: bob.handle });
    const log = await mod.client.get('/mod/log');
    assert.match(log.text, /account_suspended/);
    assert.match((await new Client(inst.url).get('/transparency')).text, /What moderators removed/);
  });

  it('shows visitors a thread page from the page cache, and every change to it at once', async () => {
    const visitor = new Client(inst.url);
    const board = await boss.client.api('POST', '/boards', { slug: 'cached-tips', name: 'Cached tips', description: 'x', visibility: 'public', language: 'en' });
    assert.equal(board.status, 201, board.text);
    const created = await alice.client.api('POST', '/boards/cached-tips/threads', { title: 'Cached thread', body: 'first words' });
    const path = `/t/${created.json.thread.id}`;
    const first = await visitor.get(path);
    assert.equal(first.status, 200);
    const etag = first.headers.get('etag')!;
    assert.ok(etag, 'a cached page has an ETag');
    assert.equal(await revalidate(inst.url + path, etag), 304, 'a repeat visit costs no body');

    const reply = await bob.client.api('POST', `/threads/${created.json.thread.id}/posts`, { body: 'a reply zebrafish' });
    assert.match((await visitor.get(path)).text, /zebrafish/, 'a new reply shows at once');
    assert.equal(await revalidate(inst.url + path, etag), 200, 'and the old ETag no longer matches');

    await mod.client.api('POST', `/posts/${reply.json.post.id}/moderation`, { action: 'remove', reason: 'off topic' });
    assert.doesNotMatch((await visitor.get(path)).text, /zebrafish/, 'a removed post goes at once');

    const asMember = await alice.client.get(path);
    assert.match(asMember.text, /name="_csrf"/, 'members get their own page, never the visitors\' copy');
    assert.doesNotMatch((await visitor.get(path)).text, /name="_csrf"|data-account/, 'and visitors never get a member\'s');

    await boss.client.api('PATCH', '/boards/cached-tips', { visibility: 'members' });
    const closed = await visitor.get(path);
    assert.notEqual(closed.status, 200, 'a board closed to visitors is closed at once');
    assert.doesNotMatch(closed.text, /first words/);
  });

  it('serves one post as a fragment for live updates, with the same visibility rules', async () => {
    const location = await threadByForm(alice, { title: 'Fragments' });
    const page = await alice.client.get(location);
    const postId = /id="p-([^"]+)"/.exec(page.text)![1]!;
    const fragment = await new Client(inst.url).get(`/p/${postId}/fragment`);
    assert.equal(fragment.status, 200);
    assert.match(fragment.text, new RegExp(`^<li id="p-${postId}" class="post">`));
    assert.doesNotMatch(fragment.text, /<html/);
    assert.equal((await new Client(inst.url).get('/p/nothing/fragment')).status, 404);
  });

  it('keeps the first visit of a 30-post thread page under 50 KB over the wire', async () => {
    const location = await threadByForm(alice, { title: 'Busy thread' });
    const threadId = location.split('/').pop()!;
    const text = 'This is a typical reply with a few sentences of peer advice. Stay safe, check in with your buddy, and trust your instincts. '.repeat(2);
    for (let i = 0; i < 29; i++) {
      const who = i % 2 ? alice : bob;
      const reply = await who.client.api('POST', `/threads/${threadId}/posts`, { body: `${text} (${i})`, anonymous: i % 3 === 0 });
      assert.equal(reply.status, 201);
    }
    const page = await new Client(inst.url).get(location);
    assert.equal([...page.text.matchAll(/class="post"/g)].length, 30);
    const assets = [...page.text.matchAll(/(?:src|href)="(\/assets\/[^"#]+)/g)].map((m) => m[1]!);
    let total = await compressedSize(inst.url + location);
    for (const asset of new Set(assets)) total += await compressedSize(inst.url + asset);
    assert.ok(total < 50 * 1024, `first visit is ${total} bytes`);
  });
});
