import assert from 'node:assert/strict';
import { Client, handle, PASS } from '../helpers/client.js';
import { eventually, startPeers, type Peer } from './instances.js';

/** The posts of a thread page, in the order shown. */
const postsOf = (page: string): string[] => [...page.matchAll(/<li class="post">([\s\S]*?)<\/li>/g)].map((m) => m[1]!);

describe('pages of a mirrored remote board (separate processes, real HTTP)', function () {
  this.timeout(180_000);
  let a: Peer;
  let b: Peer;
  let followId = '';
  let boardPath = '';
  let threadPath = '';
  let firstThreadId = '';
  const group = () => `${a.url}/ap/b/general`;

  before(async () => {
    const peers = await startPeers(['ma', 'mb']);
    a = peers[0]!;
    b = peers[1]!;
    const made = await b.admin.client.api('POST', '/federation/follows', { target: `general@${a.host}` });
    assert.equal(made.status, 201, made.text);
    await eventually(async () => {
      const list = await b.admin.client.api('GET', '/federation/follows');
      assert.equal(list.json.follows[0].state, 'accepted');
      followId = list.json.follows[0].id;
    });
    boardPath = `/remote/${followId}`;
    // The member lets their Person exist, so their named posts are theirs (not the Group's).
    assert.equal((await a.member.client.api('PUT', '/federation/me', { discoverable: true })).status, 200);
  });
  after(async () => {
    if (process.env.SHOW_PEER_OUTPUT) console.log(a?.output(), b?.output());
    await Promise.all([a?.dispose(), b?.dispose()]);
  });

  it('lists the followed board, with its name and server, before anything is posted', async () => {
    const list = await b.member.client.get('/remote');
    assert.equal(list.status, 200, list.text);
    assert.match(list.text, new RegExp(`href="${boardPath}"`));
    assert.match(list.text, /General/);
    assert.ok(list.text.includes(a.host), 'the server is shown');
    assert.match(list.text, /no threads/);
    assert.match(list.text, /No posts yet/);
  });

  it('shows a thread, a reply and an anonymous reply from A, in order, the anonymous one without a name', async () => {
    const memberHandle = a.member.handle.toLowerCase();
    const thread = await a.member.client.api('POST', '/boards/general/threads', { title: 'Hello <b>from</b> A', body: 'First **post** here' });
    assert.equal(thread.status, 201, thread.text);
    const threadId = thread.json.thread.id as string;
    firstThreadId = threadId;
    const reply = await a.member.client.api('POST', `/threads/${threadId}/posts`, { body: 'A named reply', contentWarning: 'Heavy topic' });
    assert.equal(reply.status, 201, reply.text);
    const anon = await a.member.client.api('POST', `/threads/${threadId}/posts`, { body: 'Nobody knows who wrote this', anonymous: true });
    assert.equal(anon.status, 201, anon.text);
    await eventually(async () => {
      const api = await b.member.client.api('GET', `/federation/remote?group=${encodeURIComponent(group())}`);
      assert.equal(api.status, 200, api.text);
      assert.equal(api.json.threads.length, 1);
      assert.equal(api.json.threads[0].replies.length, 2);
    });

    const list = await b.member.client.get('/remote');
    assert.match(list.text, /1 thread\b/);
    assert.match(list.text, /Latest post: /);

    const board = await b.member.client.get(boardPath);
    assert.equal(board.status, 200, board.text);
    assert.ok(board.text.includes('Hello &lt;b&gt;from&lt;/b&gt; A'), 'the title is escaped');
    assert.match(board.text, /2 replies/);
    assert.ok(board.text.includes(a.host), 'the board page names the instance the thread came from');
    const link = new RegExp(`href="(${boardPath}/t/[A-Za-z0-9_-]+)"`).exec(board.text);
    assert.ok(link, board.text);
    threadPath = link[1]!;

    const page = await b.member.client.get(threadPath);
    assert.equal(page.status, 200, page.text);
    assert.ok(page.text.includes('<h1>Hello &lt;b&gt;from&lt;/b&gt; A</h1>'), page.text);
    const posts = postsOf(page.text);
    assert.equal(posts.length, 3, page.text);
    assert.match(posts[0]!, /First <strong>post<\/strong> here/);
    assert.ok(posts[0]!.toLowerCase().includes(`${memberHandle}@${a.host}`), posts[0]);
    assert.match(posts[1]!, /<details class="cw"><summary>⚠️ Heavy topic<\/summary>[\s\S]*A named reply/);
    assert.ok(posts[1]!.toLowerCase().includes(`${memberHandle}@${a.host}`), posts[1]);
    assert.match(posts[2]!, /Nobody knows who wrote this/);
    assert.match(posts[2]!, /Anonymous member/);
    assert.ok(!posts[2]!.toLowerCase().includes(memberHandle), posts[2]);
    assert.ok(!posts[2]!.includes('/ap/u/'), posts[2]);
    // The original, on A.
    const original = /<a href="([^"]+)" rel="noreferrer noopener nofollow">(?:(?!<\/a>)[\s\S])*View on the original server<\/a>/.exec(page.text);
    assert.ok(original, page.text);
    assert.ok(original[1]!.startsWith(`${a.url}/ap/o/`), original[1]);
    assert.ok(!/<script src="\/assets\/live\.js"/.test(page.text), 'no live script on a mirrored thread');
  });

  it('an anonymous thread names no one anywhere on its pages', async () => {
    const memberHandle = a.member.handle.toLowerCase();
    const made = await a.member.client.api('POST', '/boards/general/threads', { title: 'Asked anonymously', body: 'A question', anonymous: true });
    assert.equal(made.status, 201, made.text);
    const board = await eventually(async () => {
      const got = await b.member.client.get(boardPath);
      assert.match(got.text, /Asked anonymously/);
      return got.text;
    });
    // Newest first.
    assert.ok(board.indexOf('Asked anonymously') < board.indexOf('Hello &lt;b&gt;from'), 'newest thread first');
    const link = new RegExp(`href="(${boardPath}/t/[A-Za-z0-9_-]+)"><strong>Asked anonymously`).exec(board);
    assert.ok(link, board);
    const page = await b.member.client.get(link[1]!);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /Anonymous member/);
    assert.ok(!page.text.toLowerCase().includes(memberHandle), 'the member is not named');
  });

  it('pages the JSON API: threads newest first with a cursor, a thread’s replies with another; bad input is 400 or 404', async () => {
    const m = b.member.client;
    const g = encodeURIComponent(group());
    const first = await m.api('GET', `/federation/remote?group=${g}&limit=1`);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.threads[0].title, 'Asked anonymously');
    assert.ok(first.json.next, 'a next-page link is given');
    const second = await m.api('GET', `/federation/remote?group=${g}&limit=1&after=${encodeURIComponent(first.json.next)}`);
    assert.match(second.json.threads[0].title, /Hello <b>from<\/b> A/);
    assert.equal(second.json.threads[0].moreReplies, null);
    const thread = encodeURIComponent(second.json.threads[0].id);
    const replies = await m.api('GET', `/federation/remote/thread?group=${g}&thread=${thread}&limit=1`);
    assert.equal(replies.status, 200, replies.text);
    assert.equal(replies.json.replies.length, 1);
    const rest = await m.api('GET', `/federation/remote/thread?group=${g}&thread=${thread}&limit=1&after=${encodeURIComponent(replies.json.next)}`);
    assert.equal(rest.json.replies.length, 1);
    assert.notEqual(rest.json.replies[0].id, replies.json.replies[0].id);
    for (const [path, status] of [
      [`/federation/remote?group=${g}&after=not-a-cursor`, 400],
      [`/federation/remote?group=${g}&limit=500`, 422],
      [`/federation/remote/thread?group=${g}&thread=${encodeURIComponent(`${a.url}/ap/o/ffff`)}`, 404],
      [`/federation/remote/thread?group=${encodeURIComponent(`${a.url}/ap/b/nope`)}&thread=${thread}`, 404],
    ] as const) {
      assert.equal((await m.api('GET', path)).status, status, path);
    }
  });

  it('links the pages from the home page and the admin federation page', async () => {
    const home = await b.member.client.get('/');
    assert.match(home.text, /href="\/remote"/);
    const admin = await b.admin.client.get('/admin/federation');
    assert.match(admin.text, /href="\/remote"/);
    // Visitors are not shown the link.
    assert.doesNotMatch((await new Client(b.url).get('/')).text, /href="\/remote"/);
  });

  it('answers bad input with 404 or 400, never 500', async () => {
    const m = b.member.client;
    const key = threadPath.split('/').pop()!;
    const cases: [string, number][] = [
      ['/remote/nosuchfollow', 404],
      ['/remote/' + 'x'.repeat(200), 404],
      [`/remote/${encodeURIComponent('../admin')}`, 404],
      [`${boardPath}/t/${Buffer.from(`${a.url}/ap/o/ffff`).toString('base64url')}`, 404],
      [`${boardPath}/t/${Buffer.from(group()).toString('base64url')}`, 404],
      [`${boardPath}/t/not*a*key`, 404],
      [`/remote/nosuchfollow/t/${key}`, 404],
      [`${boardPath}?after=not-a-cursor`, 400],
      [`${boardPath}?after=${Buffer.from('[1,2,3]').toString('base64url')}`, 400],
      [`${threadPath}?after=%7B%7D`, 400],
    ];
    for (const [path, status] of cases) {
      const got = await m.get(path);
      assert.equal(got.status, status, `${path}: ${got.status}`);
      assert.match(got.headers.get('content-type') ?? '', /text\/html/);
    }
    // Repeated parameters are ignored, not a crash.
    assert.equal((await m.get(`${boardPath}?after=a&after=b`)).status, 200);
  });

  it('is for members only, like the JSON API: visitors are sent to log in, members awaiting approval are refused', async () => {
    const visitor = new Client(b.url);
    for (const path of ['/remote', boardPath, threadPath]) {
      const got = await visitor.get(path);
      assert.equal(got.status, 303, path);
      assert.equal(got.headers.get('location'), `/login?next=${encodeURIComponent(path)}`);
    }
    assert.equal((await visitor.api('GET', `/federation/remote?group=${encodeURIComponent(group())}`)).status, 401);

    assert.equal((await b.admin.client.api('PATCH', '/admin/settings', { registrationMode: 'approval' })).status, 200);
    const newcomer = new Client(b.url);
    const joined = await newcomer.api('POST', '/accounts', { handle: handle('waiting'), passphrase: PASS, answer: 'A friend' });
    assert.equal(joined.status, 201, joined.text);
    assert.equal(joined.json.account.status, 'pending');
    for (const path of ['/remote', boardPath, threadPath]) {
      const got = await newcomer.get(path);
      assert.equal(got.status, 403, path);
      assert.doesNotMatch(got.text, /Hello &lt;b&gt;from/);
    }
    assert.equal((await newcomer.api('GET', `/federation/remote?group=${encodeURIComponent(group())}`)).status, 403);
    assert.equal((await b.admin.client.api('PATCH', '/admin/settings', { registrationMode: 'open' })).status, 200);
  });

  it('a member of B replies from the thread page without JavaScript; the reply comes back through A', async () => {
    const empty = await b.member.client.submit(threadPath, `${threadPath}/reply`, { body: '   ' });
    assert.equal(empty.status, 422, empty.text);
    assert.match(empty.text, /role="alert"|class="problem"|error/);
    const sent = await b.member.client.submit(threadPath, `${threadPath}/reply`, { body: 'Replying from **B**' });
    assert.equal(sent.status, 303, sent.text);
    const landed = await b.member.client.get(`${threadPath}?sent=1`);
    assert.match(landed.text, /role="status"/);
    await eventually(async () => {
      const page = await b.member.client.get(threadPath);
      const posts = postsOf(page.text);
      assert.equal(posts.length, 4);
      assert.match(posts[3]!, /Replying from <strong>B<\/strong>/);
      assert.match(posts[3]!, new RegExp(b.member.handle));
    });
  });

  it('marks a thread A’s moderators locked and pinned, and offers no reply form while it is locked', async () => {
    const moderate = async (action: string) => assert.equal((await a.admin.client.api('PATCH', `/threads/${firstThreadId}`, { action })).status, 200);
    await moderate('lock');
    await moderate('pin');
    // The lock and the pin arrive as two activities: both are waited for.
    const page = await eventually(async () => {
      const found = await b.member.client.get(threadPath);
      assert.ok(found.text.includes('This thread is locked. No new replies.'), 'the locked notice');
      assert.match(found.text, /<h1><svg[^]*?visually-hidden">Pinned<\/span>[^]*?visually-hidden">Locked<\/span>/);
      return found.text;
    });
    assert.ok(!page.includes(`action="${threadPath}/reply"`), 'no reply form');
    const board = await b.member.client.get(boardPath);
    assert.match(board.text, /visually-hidden">Pinned<\/span>[^]*?visually-hidden">Locked<\/span>/);
    const refused = await b.member.client.submit(threadPath, `${threadPath}/reply`, { body: 'Despite the lock' });
    assert.equal(refused.status, 403, refused.text);
    await moderate('unlock');
    await moderate('unpin');
    await eventually(async () => assert.ok((await b.member.client.get(threadPath)).text.includes(`action="${threadPath}/reply"`), 'the form is back'));
  });

  it('still serves the board and the thread when A is down (no single point of seizure)', async () => {
    await a.stop();
    const unreachable = await fetch(`${a.url}/.well-known/nodeinfo`).then(
      () => false,
      () => true,
    );
    assert.ok(unreachable, 'A is down');
    const list = await b.member.client.get('/remote');
    assert.equal(list.status, 200, list.text);
    assert.match(list.text, /General/);
    assert.match(list.text, /2 threads/);
    const board = await b.member.client.get(boardPath);
    assert.equal(board.status, 200, board.text);
    assert.match(board.text, /Hello &lt;b&gt;from&lt;\/b&gt; A/);
    assert.match(board.text, /Asked anonymously/);
    const page = await b.member.client.get(threadPath);
    assert.equal(page.status, 200, page.text);
    const posts = postsOf(page.text);
    assert.equal(posts.length, 4);
    assert.match(posts[0]!, /First <strong>post<\/strong> here/);
    assert.match(posts[1]!, /A named reply/);
    assert.match(posts[2]!, /Nobody knows who wrote this/);
  });
});
