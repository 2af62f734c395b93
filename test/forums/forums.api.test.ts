import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { postsCollection, threadsCollection } from '../../server/forums/forums.collections.js';

describe('forums API', () => {
  let inst: TestInstance;
  let boss: Person;
  let mod: Person;
  let alice: Person;
  let bob: Person;
  let visitor: Client;

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    mod = await moderator(inst, boss);
    alice = await member(inst, 'alice');
    bob = await member(inst, 'bob');
    visitor = new Client(inst.url);
  });
  after(async () => inst.close());

  const postCount = () => inst.parasol.ctx.store.collection(postsCollection).count();
  const threadCount = () => inst.parasol.ctx.store.collection(threadsCollection).count();

  async function newThread(who: Person, body: Record<string, unknown> = {}, board = 'general') {
    const reply = await who.client.api('POST', `/boards/${board}/threads`, { title: 'A question', body: 'Hello **peers**', ...body });
    assert.equal(reply.status, 201, reply.text);
    return reply.json as { thread: { id: string }; post: { id: string } };
  }

  async function newBoard(slug: string, extra: Record<string, unknown> = {}) {
    const reply = await boss.client.api('POST', '/boards', { slug, name: `Board ${slug}`, ...extra });
    assert.equal(reply.status, 201, reply.text);
    return reply.json.board;
  }

  describe('boards', () => {
    it('seeds starter boards that visitors can read', async () => {
      const reply = await visitor.api('GET', '/boards');
      assert.equal(reply.status, 200);
      const slugs = reply.json.boards.map((b: { slug: string }) => b.slug);
      assert.deepEqual(slugs.slice(0, 3), ['general', 'health', 'rights-and-safety']);
    });

    it('lets moderators create boards; members cannot; bad input changes nothing', async () => {
      const board = await newBoard('newcomers', { description: 'Start here', language: 'es' });
      assert.equal(board.language, 'es');
      assert.equal((await alice.client.api('POST', '/boards', { slug: 'mine', name: 'Mine' })).status, 403);
      assert.equal((await visitor.api('POST', '/boards', { slug: 'mine', name: 'Mine' })).status, 401);
      const before = (await visitor.api('GET', '/boards')).json.boards.length;
      for (const body of [{ slug: 'Bad Slug', name: 'x' }, { slug: 'ok-slug', name: '' }, { slug: 'ok-slug', name: 'x', visibility: 'secret' }]) {
        assert.equal((await boss.client.api('POST', '/boards', body)).status, 422, JSON.stringify(body));
      }
      assert.equal((await boss.client.api('POST', '/boards', { slug: 'newcomers', name: 'Again' })).status, 409);
      assert.equal((await visitor.api('GET', '/boards')).json.boards.length, before);
    });

    it('hides members-only boards from visitors', async () => {
      await newBoard('members-lounge', { visibility: 'members' });
      const { thread } = await newThread(alice, {}, 'members-lounge');
      assert.ok(!(await visitor.api('GET', '/boards')).json.boards.some((b: { slug: string }) => b.slug === 'members-lounge'), 'visitors do not see the members-only board');
      assert.equal((await visitor.api('GET', '/boards/members-lounge/threads')).status, 401);
      assert.equal((await visitor.api('GET', `/threads/${thread.id}`)).status, 401);
      assert.equal((await bob.client.api('GET', `/threads/${thread.id}`)).status, 200);
    });

    it('renames, reorders and archives a board; archived boards refuse posts with 409', async () => {
      await newBoard('old-news');
      const changed = await boss.client.api('PATCH', '/boards/old-news', { name: 'Old news', position: 1 });
      assert.equal(changed.json.board.name, 'Old news');
      assert.equal((await visitor.api('GET', '/boards')).json.boards[0].slug, 'old-news');
      assert.equal((await alice.client.api('PATCH', '/boards/old-news', { name: 'Mine now' })).status, 403);
      await boss.client.api('PATCH', '/boards/old-news', { archived: true, position: 999 });
      const refused = await alice.client.api('POST', '/boards/old-news/threads', { title: 't', body: 'b' });
      assert.equal(refused.status, 409);
      assert.equal(refused.json.error.code, 'board_archived');
      assert.ok(!(await visitor.api('GET', '/boards')).json.boards.some((b: { slug: string }) => b.slug === 'old-news'), 'the archived board is not listed');
    });

    it('lets an admin delete a board with its threads', async () => {
      await newBoard('doomed');
      const { thread } = await newThread(alice, {}, 'doomed');
      assert.equal((await mod.client.api('DELETE', '/boards/doomed')).status, 403);
      assert.equal((await boss.client.api('DELETE', '/boards/doomed')).status, 204);
      assert.equal((await visitor.api('GET', `/threads/${thread.id}`)).status, 404);
      assert.equal(await inst.parasol.ctx.store.collection(threadsCollection).get(thread.id), null);
      assert.equal((await visitor.api('GET', '/boards/doomed')).status, 404);
      // A new board may take the slug: it is the one found by it, not the one that had it before.
      assert.equal((await boss.client.api('POST', '/boards', { slug: 'doomed', name: 'Reborn' })).status, 201);
      assert.equal((await visitor.api('GET', '/boards/doomed')).json.board.name, 'Reborn');
      assert.deepEqual((await visitor.api('GET', '/boards/doomed/threads')).json.threads, []);
    });
  });

  describe('threads and posts', () => {
    it('starts a thread and replies; posts come oldest first; the board lists newest activity first', async () => {
      const first = await newThread(alice, { title: 'First thread' });
      const second = await newThread(bob, { title: 'Second thread' });
      const reply = await bob.client.api('POST', `/threads/${first.thread.id}/posts`, { body: 'A reply' });
      assert.equal(reply.status, 201);
      const listing = await visitor.api('GET', '/boards/general/threads');
      const ids = listing.json.threads.map((t: { id: string }) => t.id);
      assert.ok(ids.indexOf(first.thread.id) < ids.indexOf(second.thread.id), 'bumped by the reply');
      const thread = await visitor.api('GET', `/threads/${first.thread.id}`);
      assert.equal(thread.json.posts.length, 2);
      assert.match(thread.json.posts[0].html, /<strong>peers<\/strong>/);
      assert.equal(thread.json.posts[1].html.trim(), '<p>A reply</p>');
      assert.equal(thread.json.thread.replyCount, 1);
    });

    it('paginates a thread with cursors, without gaps or duplicates', async () => {
      const { thread } = await newThread(alice, { title: 'Long thread' });
      for (let i = 0; i < 6; i++) await bob.client.api('POST', `/threads/${thread.id}/posts`, { body: `reply ${i}` });
      const seen: string[] = [];
      let after: string | null = null;
      do {
        const path: string = `/threads/${thread.id}?limit=3${after ? `&after=${encodeURIComponent(after)}` : ''}`;
        const page = await visitor.api('GET', path);
        assert.equal(page.status, 200);
        seen.push(...page.json.posts.map((p: { id: string }) => p.id));
        after = page.json.next;
      } while (after);
      assert.equal(seen.length, 7);
      assert.equal(new Set(seen).size, 7);
      assert.equal((await visitor.api('GET', `/threads/${thread.id}?after=not-a-cursor`)).status, 400);
    });

    it('pins threads above newer ones and locks them against replies', async () => {
      const pinned = await newThread(alice, { title: 'Read me first' });
      await newThread(bob, { title: 'Newer' });
      assert.equal((await alice.client.api('PATCH', `/threads/${pinned.thread.id}`, { action: 'pin' })).status, 403);
      assert.equal((await mod.client.api('PATCH', `/threads/${pinned.thread.id}`, { action: 'pin' })).status, 200);
      const listing = await visitor.api('GET', '/boards/general/threads');
      assert.equal(listing.json.threads[0].id, pinned.thread.id);
      await mod.client.api('PATCH', `/threads/${pinned.thread.id}`, { action: 'lock' });
      const refused = await bob.client.api('POST', `/threads/${pinned.thread.id}/posts`, { body: 'hello?' });
      assert.equal(refused.status, 409);
      assert.equal(refused.json.error.code, 'thread_locked');
      assert.equal((await mod.client.api('PATCH', `/threads/${pinned.thread.id}`, { action: 'fly' })).status, 422);
    });

    it('moves a thread to another board', async () => {
      const { thread } = await newThread(alice, { title: 'Wrong place' });
      const moved = await mod.client.api('PATCH', `/threads/${thread.id}`, { action: 'move', board: 'health' });
      assert.equal(moved.status, 200, moved.text);
      const health = await visitor.api('GET', '/boards/health/threads');
      assert.ok(health.json.threads.some((t: { id: string }) => t.id === thread.id), 'the moved thread is listed on its new board');
      assert.equal((await mod.client.api('PATCH', `/threads/${thread.id}`, { action: 'move', board: 'nowhere' })).status, 404);
    });

    it('quotes a post of the same thread only', async () => {
      const one = await newThread(alice, { title: 'Quote me' });
      const other = await newThread(bob, { title: 'Elsewhere' });
      const quoted = await bob.client.api('POST', `/threads/${one.thread.id}/posts`, { body: 'Agreed', quoteOf: one.post.id });
      assert.equal(quoted.status, 201);
      assert.equal(quoted.json.post.quote.id, one.post.id);
      assert.match(quoted.json.post.quote.excerpt, /Hello peers/);
      const wrong = await bob.client.api('POST', `/threads/${one.thread.id}/posts`, { body: 'x', quoteOf: other.post.id });
      assert.equal(wrong.status, 422);
    });

    it('shows a quote as the quoted post reads now: edited, then gone once it is deleted', async () => {
      const one = await newThread(alice, { title: 'Quote me and I will change' });
      const reply = await bob.client.api('POST', `/threads/${one.thread.id}/posts`, { body: 'Agreed', quoteOf: one.post.id });
      assert.equal(reply.status, 201, reply.text);
      const quoteIn = async () => (await visitor.api('GET', `/threads/${one.thread.id}`)).json.posts.find((p: { id: string }) => p.id === reply.json.post.id).quote;
      assert.equal((await quoteIn()).excerpt, 'Hello peers');
      assert.equal((await alice.client.api('PATCH', `/posts/${one.post.id}`, { body: 'My _street name_ was here, now it is not' })).status, 200);
      assert.equal((await quoteIn()).excerpt, 'My street name was here, now it is not');
      assert.equal((await alice.client.api('DELETE', `/posts/${one.post.id}`)).status, 204);
      assert.equal(await quoteIn(), null);
      // Nothing of the deleted words stays in the store, the excerpt included.
      const stored = await inst.parasol.ctx.store.collection(postsCollection).get(one.post.id);
      assert.equal(stored?.body, '');
      assert.equal(stored?.excerpt, '');
    });

    it('keeps a post from another server only together with its caller’s record of it', async () => {
      const before = await postCount();
      const remote = { actor: 'https://far.example/u/kim', name: 'kim', address: 'kim@far.example', url: null };
      const input = { threadId: null, quoteOf: null, title: 'From afar', html: '<p>Hello from afar</p>', contentWarning: null, remote };
      await assert.rejects(
        inst.parasol.ctx.forums.remote.receiveRemotePost('general', input, async () => {
          throw new Error('the record could not be written');
        }),
        /could not be written/,
      );
      assert.equal(await postCount(), before, 'no post without its record');
      const recorded: string[] = [];
      const kept = await inst.parasol.ctx.forums.remote.receiveRemotePost('general', input, async (_tx, post) => recorded.push(post.id));
      assert.deepEqual(recorded, [kept.id]);
      assert.equal(await postCount(), before + 1);
    });

    it('edits your own post (history for moderators only) and refuses others', async () => {
      const { post } = await newThread(alice, { title: 'Typo' });
      assert.equal((await bob.client.api('PATCH', `/posts/${post.id}`, { body: 'hijack' })).status, 403);
      const edited = await alice.client.api('PATCH', `/posts/${post.id}`, { body: 'Fixed text', title: 'No typo' });
      assert.equal(edited.status, 200);
      assert.equal(edited.json.post.html.trim(), '<p>Fixed text</p>');
      assert.ok(edited.json.post.editedAt, 'the edited post is marked as edited');
      assert.equal((await alice.client.api('GET', `/posts/${post.id}/revisions`)).status, 403);
      const history = await mod.client.api('GET', `/posts/${post.id}/revisions`);
      assert.equal(history.json.revisions[0].body, 'Hello **peers**');
      const thread = await visitor.api('GET', `/threads/${edited.json.post.threadId}`);
      assert.equal(thread.json.thread.title, 'No typo');
    });

    it('deletes your own post, leaving a placeholder; refuses others', async () => {
      const { thread } = await newThread(alice, { title: 'Deleting' });
      const reply = await bob.client.api('POST', `/threads/${thread.id}/posts`, { body: 'I regret this' });
      assert.equal((await alice.client.api('DELETE', `/posts/${reply.json.post.id}`)).status, 403);
      assert.equal((await bob.client.api('DELETE', `/posts/${reply.json.post.id}`)).status, 204);
      const view = await visitor.api('GET', `/threads/${thread.id}`);
      const gone = view.json.posts.find((p: { id: string }) => p.id === reply.json.post.id);
      assert.equal(gone.state, 'deleted');
      assert.equal(gone.html, '');
      assert.doesNotMatch(view.text, /I regret this/);
      const stored = await inst.parasol.ctx.store.collection(postsCollection).get(reply.json.post.id);
      assert.equal(stored!.body, '', 'the words are gone from the database');
    });

    it('keeps a content warning with the post', async () => {
      const { post } = await newThread(alice, { title: 'Hard day', contentWarning: 'violence' });
      const got = await visitor.api('GET', `/posts/${post.id}`);
      assert.equal(got.json.post.contentWarning, 'violence');
    });

    it('toggles supportive reactions and shows counts only', async function () {
      const { thread, post } = await newThread(alice, { title: 'Good news' });
      const first = await bob.client.api('POST', `/posts/${post.id}/reactions`, { kind: 'hug' });
      assert.equal(first.status, 200);
      assert.equal(first.json.reactions.hug, 1);
      assert.equal(first.json.mine, true);
      await mod.client.api('POST', `/posts/${post.id}/reactions`, { kind: 'hug' });
      const undo = await bob.client.api('POST', `/posts/${post.id}/reactions`, { kind: 'hug' });
      assert.equal(undo.json.reactions.hug, 1);
      assert.equal(undo.json.mine, false);
      assert.equal((await bob.client.api('POST', `/posts/${post.id}/reactions`, { kind: 'dislike' })).status, 422);
      assert.equal((await visitor.api('POST', `/posts/${post.id}/reactions`, { kind: 'hug' })).status, 401);
      const seen = await visitor.api('GET', `/posts/${post.id}`);
      assert.equal(seen.json.post.reactions.hug, 1);
      assert.doesNotMatch(seen.text, new RegExp(mod.handle), 'reactors are not listed');
      const asMod = await mod.client.api('GET', `/threads/${thread.id}`);
      assert.deepEqual(asMod.json.posts[0].myReactions, ['hug'], 'a reactor sees their own reaction');
      const asBob = await bob.client.api('GET', `/threads/${thread.id}`);
      assert.deepEqual(asBob.json.posts[0].myReactions, [], 'and nobody else sees it as theirs');
    });
  });

  describe('answers shared between readers', () => {
    type Seen = { id: string; state: string; mine: boolean; canEdit: boolean; canModerate: boolean; myReactions: string[] };
    const posts = (reply: { json: { posts: Seen[] } }) => reply.json.posts;

    it('gives readers with nothing of their own on the page the same answer, shows a change at once, and answers 304 to its ETag', async () => {
      const { thread } = await newThread(alice, { title: 'Shared answer' });
      const carol = await member(inst, 'carol');
      const dave = await member(inst, 'dave');
      const one = await carol.client.api('GET', `/threads/${thread.id}`);
      const two = await dave.client.api('GET', `/threads/${thread.id}`);
      assert.equal(one.status, 200);
      assert.equal(one.text, two.text);
      const etag = two.headers.get('etag');
      assert.ok(etag && etag === one.headers.get('etag'), 'the same answer has the same ETag');
      assert.equal(two.headers.get('cache-control'), 'private, no-cache');
      // fetch() adds `Cache-Control: no-cache` (a forced reload) to conditional requests unless told otherwise, as a browser's revalidation is.
      const revalidate = { 'if-none-match': etag, 'cache-control': 'max-age=0' };
      assert.equal((await dave.client.request('GET', `/api/v1/threads/${thread.id}`, { headers: revalidate })).status, 304);
      await bob.client.api('POST', `/threads/${thread.id}/posts`, { body: 'A fresh reply' });
      const after = await carol.client.api('GET', `/threads/${thread.id}`);
      assert.equal(posts(after).length, 2);
      assert.notEqual(after.headers.get('etag'), etag);
      assert.equal((await dave.client.request('GET', `/api/v1/threads/${thread.id}`, { headers: revalidate })).status, 200);
      const page = await dave.client.api('GET', `/threads/${thread.id}?limit=1`);
      assert.equal(posts(page).length, 1, 'each page is its own answer');
    });

    it('never shows one reader what is theirs alone (held posts, own posts, reactions, moderation, suspension) to another', async function () {
      await newBoard('careful-too', { approveFirstPosts: true });
      const { thread, post } = await newThread(alice, { title: 'Mixed readers' }, 'careful-too');
      const reader = await member(inst, 'reader');
      const other = await member(inst, 'other');
      const newcomer = await member(inst, 'newcomer');
      await mod.client.api('POST', `/posts/${post.id}/moderation`, { action: 'approve' });
      assert.equal((await reader.client.api('GET', `/threads/${thread.id}`)).status, 200, 'the answer is cached before anyone has their own on the page');
      const held = await newcomer.client.api('POST', `/threads/${thread.id}/posts`, { body: 'My first words here' });
      assert.equal(held.status, 201);
      assert.equal(held.json.post.state, 'pending');

      assert.deepEqual(posts(await newcomer.client.api('GET', `/threads/${thread.id}`)).map((p) => [p.state, p.mine, p.canEdit]), [['visible', false, false], ['pending', true, true]]);
      assert.ok(posts(await mod.client.api('GET', `/threads/${thread.id}`)).every((p) => p.canModerate), 'the moderator can moderate every post, the held one too');
      assert.deepEqual(posts(await alice.client.api('GET', `/threads/${thread.id}`)).map((p) => p.mine), [true]);
      const seen = posts(await reader.client.api('GET', `/threads/${thread.id}`));
      assert.deepEqual(seen.map((p) => [p.state, p.mine, p.canEdit, p.canModerate]), [['visible', false, false, false]]);

      assert.equal((await reader.client.api('POST', `/posts/${post.id}/reactions`, { kind: 'hug' })).status, 200);
      assert.deepEqual(posts(await reader.client.api('GET', `/threads/${thread.id}`))[0]!.myReactions, ['hug']);
      assert.deepEqual(posts(await other.client.api('GET', `/threads/${thread.id}`))[0]!.myReactions, []);
      assert.deepEqual(posts(await reader.client.api('GET', `/threads/${thread.id}`))[0]!.myReactions, ['hug']);

      await mod.client.api('PUT', `/moderation/accounts/${other.handle}/suspension`, { days: 3, reason: 'spamming' });
      const suspended = await other.client.api('GET', `/threads/${thread.id}`);
      assert.deepEqual([suspended.json.canReply, suspended.json.replyBlocked, suspended.json.board.canPost], [false, 'suspended', false]);
      const fine = await newcomer.client.api('GET', `/threads/${thread.id}`);
      assert.deepEqual([fine.json.canReply, fine.json.replyBlocked], [true, null]);
      const visitorView = await visitor.api('GET', `/threads/${thread.id}`);
      assert.deepEqual([visitorView.json.canReply, visitorView.json.replyBlocked], [false, 'login_required']);
      assert.equal(visitorView.json.posts.length, 1);
    });

    it('keeps a reader\'s own answer for them alone, revalidates it, and drops it when their part or their rights change', async () => {
      await newBoard('own-answers');
      const { thread } = await newThread(alice, { title: 'Own answers' }, 'own-answers');
      const helper = await member(inst, 'helper');
      const passer = await member(inst, 'passer');
      const reply = await helper.client.api('POST', `/threads/${thread.id}/posts`, { body: 'My reply' });
      assert.equal(reply.status, 201);

      const first = await helper.client.api('GET', `/threads/${thread.id}`);
      const again = await helper.client.api('GET', `/threads/${thread.id}`);
      assert.equal(again.text, first.text);
      const etag = again.headers.get('etag');
      assert.ok(etag && etag === first.headers.get('etag'), 'the same answer has the same ETag');
      const revalidate = { 'if-none-match': etag, 'cache-control': 'max-age=0' };
      assert.equal((await helper.client.request('GET', `/api/v1/threads/${thread.id}`, { headers: revalidate })).status, 304);
      assert.deepEqual(posts(again).map((p) => p.mine), [false, true]);
      const other = await passer.client.api('GET', `/threads/${thread.id}`);
      assert.notEqual(other.headers.get('etag'), etag);
      assert.deepEqual(posts(other).map((p) => p.mine), [false, false], 'another reader never gets that answer');
      assert.equal((await passer.client.request('GET', `/api/v1/threads/${thread.id}`, { headers: revalidate })).status, 200);

      await helper.client.api('DELETE', `/posts/${reply.json.post.id}`);
      assert.deepEqual(posts(await helper.client.api('GET', `/threads/${thread.id}`)).map((p) => [p.mine, p.state]), [[false, 'visible'], [true, 'deleted']]);

      assert.equal((await boss.client.api('PATCH', '/boards/own-answers', { moderators: [passer.handle] })).status, 200);
      assert.ok(posts(await passer.client.api('GET', `/threads/${thread.id}`)).every((p) => p.canModerate), 'a newly named moderator can moderate every post');
      assert.ok(posts(await passer.client.api('GET', `/threads/${thread.id}`)).every((p) => p.canModerate), 'and still can when reading the thread again');
      assert.equal((await boss.client.api('PATCH', '/boards/own-answers', { moderators: [] })).status, 200);
      assert.ok(posts(await passer.client.api('GET', `/threads/${thread.id}`)).every((p) => !p.canModerate), 'a moderator who steps down loses the view at once');
    });

    it('checks who may read before answering from the cache', async () => {
      await newBoard('members-corner', { visibility: 'members' });
      const { thread } = await newThread(alice, {}, 'members-corner');
      assert.equal((await bob.client.api('GET', `/threads/${thread.id}`)).status, 200);
      assert.equal((await bob.client.api('GET', `/threads/${thread.id}`)).status, 200);
      const refused = await visitor.api('GET', `/threads/${thread.id}`);
      assert.equal(refused.status, 401);
      assert.doesNotMatch(refused.text, /Hello/);
    });
  });

  describe('anonymity', () => {
    it('shows "anonymous" everywhere but to the author, and to moderators as a number of the board only', async function () {
      const { thread, post } = await newThread(alice, { title: 'Asking anonymously', body: 'sensitive question zebracorn', anonymous: true });
      const reply = await bob.client.api('POST', `/threads/${thread.id}/posts`, { body: 'anonymous reply zebracorn', anonymous: true });
      for (const viewer of [visitor, mod.client, bob.client]) {
        const page = await viewer.api('GET', `/threads/${thread.id}`);
        assert.equal(page.json.posts[0].author.kind, 'anonymous');
        assert.doesNotMatch(page.text, new RegExp(`${alice.handle}|${alice.id}`));
        assert.equal(page.json.thread.author.kind, 'anonymous');
      }
      const own = await alice.client.api('GET', `/posts/${post.id}`);
      assert.equal(own.json.post.mine, true);
      assert.equal(own.json.post.author.kind, 'anonymous');
      const found = await visitor.api('GET', '/search?q=zebracorn');
      assert.equal(found.json.hits.length, 2);
      assert.doesNotMatch(found.text, new RegExp(`${alice.handle}|${bob.handle}|${alice.id}|${bob.id}`));
      const listing = await visitor.api('GET', '/boards/general/threads');
      assert.deepEqual(listing.json.threads.find((t: { id: string }) => t.id === thread.id).author, { kind: 'anonymous' });
      const bobExport = await bob.client.api('GET', '/me/export');
      assert.doesNotMatch(bobExport.text, new RegExp(alice.handle));
      assert.ok(bobExport.json.posts.some((p: { id: string; anonymous: boolean }) => p.id === reply.json.post.id && p.anonymous), 'bob’s export holds his anonymous reply');

      await bob.client.api('POST', `/posts/${post.id}/reports`, { reason: 'outing', note: 'check this' });
      const queue = await mod.client.api('GET', '/moderation/reports');
      const item = queue.json.reports.find((r: { post: { id: string } }) => r.post.id === post.id);
      assert.equal(item.author, null, 'a moderator acting on a report does not see the account');
      assert.equal(item.post.anonymous, true);
      assert.equal(typeof item.post.anonymousNumber, 'number', 'the moderator sees the anonymous member’s number on the board');
      assert.doesNotMatch(queue.text, new RegExp(`${alice.handle}|${alice.id}`));
    });

    it('lets the anonymous author edit and delete their post', async function () {
      const { thread } = await newThread(bob, { title: 'Anon edit' });
      const reply = await alice.client.api('POST', `/threads/${thread.id}/posts`, { body: 'first words', anonymous: true });
      assert.equal((await alice.client.api('PATCH', `/posts/${reply.json.post.id}`, { body: 'better words' })).status, 200);
      assert.equal((await bob.client.api('PATCH', `/posts/${reply.json.post.id}`, { body: 'not mine' })).status, 403);
      assert.equal((await alice.client.api('DELETE', `/posts/${reply.json.post.id}`)).status, 204);
    });
  });

  describe('reports and moderation', () => {
    it('files a report, refuses reporting your own post and bad reasons', async () => {
      const { post } = await newThread(alice, { title: 'Report me' });
      assert.equal((await alice.client.api('POST', `/posts/${post.id}/reports`, { reason: 'spam' })).status, 422);
      assert.equal((await bob.client.api('POST', `/posts/${post.id}/reports`, { reason: 'because' })).status, 422);
      assert.equal((await visitor.api('POST', `/posts/${post.id}/reports`, { reason: 'spam' })).status, 401);
      const ok = await bob.client.api('POST', `/posts/${post.id}/reports`, { reason: 'spam', note: 'ads' });
      assert.equal(ok.status, 201);
      assert.equal((await alice.client.api('GET', '/moderation/reports')).status, 403, 'members do not see the queue');
    });

    it('removes a post with a reason the author sees; others no longer see it; the log and the public summary record it', async () => {
      const { thread } = await newThread(alice, { title: 'Moderated thread' });
      const reply = await bob.client.api('POST', `/threads/${thread.id}/posts`, { body: 'rude words' });
      const postId = reply.json.post.id;
      await alice.client.api('POST', `/posts/${postId}/reports`, { reason: 'harassment' });
      const before = (await visitor.api('GET', '/moderation/summary')).json.boards.find((b: { slug: string }) => b.slug === 'general').removed;
      assert.equal((await alice.client.api('POST', `/posts/${postId}/moderation`, { action: 'remove', reason: 'rude' })).status, 403);
      assert.equal((await mod.client.api('POST', `/posts/${postId}/moderation`, { action: 'remove' })).status, 422, 'a reason is needed');
      const removed = await mod.client.api('POST', `/posts/${postId}/moderation`, { action: 'remove', reason: 'Be kind to each other' });
      assert.equal(removed.status, 200);
      const seenByVisitor = await visitor.api('GET', `/threads/${thread.id}`);
      assert.ok(!seenByVisitor.json.posts.some((p: { id: string }) => p.id === postId), 'visitors do not see the removed post');
      const seenByAuthor = await bob.client.api('GET', `/threads/${thread.id}`);
      const own = seenByAuthor.json.posts.find((p: { id: string }) => p.id === postId);
      assert.equal(own.state, 'removed');
      assert.equal(own.removedReason, 'Be kind to each other');
      const queue = await mod.client.api('GET', '/moderation/reports');
      assert.ok(!queue.json.reports.some((r: { post: { id: string } }) => r.post.id === postId), 'its report is resolved');
      const log = await mod.client.api('GET', '/moderation/log');
      const entry = log.json.items.find((e: { targetId: string }) => e.targetId === postId);
      assert.equal(entry.action, 'post_remove');
      assert.equal(entry.actor, mod.handle);
      assert.equal(entry.reason, 'Be kind to each other');
      assert.equal((await alice.client.api('GET', '/moderation/log')).status, 403);
      const after = (await visitor.api('GET', '/moderation/summary')).json.boards.find((b: { slug: string }) => b.slug === 'general').removed;
      assert.equal(after, before + 1);
      assert.equal((await mod.client.api('POST', `/posts/${postId}/moderation`, { action: 'remove', reason: 'again' })).status, 409);
    });

    it('dismisses a report', async () => {
      const { post } = await newThread(alice, { title: 'Fine post' });
      await bob.client.api('POST', `/posts/${post.id}/reports`, { reason: 'other' });
      const queue = await mod.client.api('GET', '/moderation/reports');
      const report = queue.json.reports.find((r: { post: { id: string } }) => r.post.id === post.id);
      assert.equal((await alice.client.api('POST', `/moderation/reports/${report.id}/dismiss`)).status, 403);
      assert.equal((await mod.client.api('POST', `/moderation/reports/${report.id}/dismiss`)).status, 204);
      assert.equal((await mod.client.api('POST', `/moderation/reports/${report.id}/dismiss`)).status, 409);
    });

    it('suspends an account (posting refused with the date) and lifts it', async () => {
      const carol = await member(inst, 'carol');
      const { thread } = await newThread(alice, { title: 'Suspension test' });
      assert.equal((await alice.client.api('PUT', `/moderation/accounts/${carol.handle}/suspension`, { days: 3, reason: 'spam' })).status, 403);
      assert.equal((await mod.client.api('PUT', `/moderation/accounts/${carol.handle}/suspension`, { days: 3 })).status, 422);
      assert.equal((await mod.client.api('PUT', `/moderation/accounts/${boss.handle}/suspension`, { days: 3, reason: 'coup' })).status, 403);
      const done = await mod.client.api('PUT', `/moderation/accounts/${carol.handle}/suspension`, { days: 3, reason: 'spamming' });
      assert.equal(done.status, 200);
      const refused = await carol.client.api('POST', `/threads/${thread.id}/posts`, { body: 'let me in' });
      assert.equal(refused.status, 403);
      assert.equal(refused.json.error.code, 'suspended');
      assert.match(refused.json.error.message, /\d{4}-\d{2}-\d{2}/);
      assert.equal((await carol.client.api('GET', `/threads/${thread.id}`)).status, 200, 'reading still works');
      await mod.client.api('DELETE', `/moderation/accounts/${carol.handle}/suspension`);
      assert.equal((await carol.client.api('POST', `/threads/${thread.id}/posts`, { body: 'thanks' })).status, 201);
      const ban = await mod.client.api('PUT', `/moderation/accounts/${carol.handle}/suspension`, { days: null, reason: 'ban' });
      assert.ok(ban.json.suspendedUntil > Date.now() + 1000 * 86_400_000, 'a ban lasts more than a thousand days');
    });

    it('word filters block or hold posts; held posts wait for approval', async () => {
      assert.equal((await alice.client.api('POST', '/moderation/filters', { phrase: 'x', action: 'block' })).status, 403);
      const block = await mod.client.api('POST', '/moderation/filters', { phrase: 'Buy Followers', action: 'block' });
      assert.equal(block.status, 201);
      await mod.client.api('POST', '/moderation/filters', { phrase: 'telegram', action: 'hold' });
      assert.equal((await mod.client.api('POST', '/moderation/filters', { phrase: 'telegram', action: 'hold' })).status, 409);
      const { thread } = await newThread(alice, { title: 'Filtered' });
      const posts = await postCount();
      const blocked = await bob.client.api('POST', `/threads/${thread.id}/posts`, { body: 'buy   FOLLOWERS here' });
      assert.equal(blocked.status, 422);
      assert.equal(blocked.json.error.code, 'filtered');
      assert.equal(await postCount(), posts);
      assert.equal((await bob.client.api('POST', `/threads/${thread.id}/posts`, { body: 'a classic telegraph' })).status, 201, 'whole words only');
      const held = await bob.client.api('POST', `/threads/${thread.id}/posts`, { body: 'add me on Telegram' });
      assert.equal(held.status, 201);
      assert.equal(held.json.post.state, 'pending');
      assert.ok(!(await visitor.api('GET', `/threads/${thread.id}`)).json.posts.some((p: { id: string }) => p.id === held.json.post.id), 'visitors do not see the held post');
      const pending = await mod.client.api('GET', '/moderation/pending');
      assert.ok(pending.json.pending.some((p: { id: string; author: string }) => p.id === held.json.post.id && p.author === bob.handle), 'the held post is queued with its author');
      await mod.client.api('POST', `/posts/${held.json.post.id}/moderation`, { action: 'approve' });
      assert.ok((await visitor.api('GET', `/threads/${thread.id}`)).json.posts.some((p: { id: string }) => p.id === held.json.post.id), 'visitors see the approved post');
      const filters = (await mod.client.api('GET', '/moderation/filters')).json.filters as { id: string }[];
      for (const f of filters) assert.equal((await mod.client.api('DELETE', `/moderation/filters/${f.id}`)).status, 204);
    });

    it('slow mode spaces a member’s posts on a board', async () => {
      await newBoard('slow', { slowModeSeconds: 3600 });
      const { thread } = await newThread(alice, { title: 'Slowly' }, 'slow');
      const refused = await alice.client.api('POST', `/threads/${thread.id}/posts`, { body: 'too soon' });
      assert.equal(refused.status, 429);
      assert.equal(refused.json.error.code, 'slow_mode');
      assert.ok(Number(refused.headers.get('retry-after')) > 3000, `retry-after ${refused.headers.get('retry-after')}`);
      assert.equal((await mod.client.api('POST', `/threads/${thread.id}/posts`, { body: 'moderators are exempt' })).status, 201);
    });

    it('holds a new member’s first post on boards that ask for it', async () => {
      await newBoard('careful', { approveFirstPosts: true });
      const newbie = await member(inst, 'newbie');
      const { thread, post } = await newThread(newbie, { title: 'My first post' }, 'careful');
      const own = await newbie.client.api('GET', `/threads/${thread.id}`);
      assert.equal(own.json.posts[0].state, 'pending');
      assert.equal((await visitor.api('GET', `/threads/${thread.id}`)).status, 404);
      await mod.client.api('POST', `/posts/${post.id}/moderation`, { action: 'approve' });
      assert.equal((await visitor.api('GET', `/threads/${thread.id}`)).status, 200);
      const listing = await visitor.api('GET', '/boards/careful/threads');
      assert.equal(listing.json.threads.length, 1);
    });
  });

  describe('search', () => {
    it('finds posts by every word, in titles too, only where the reader may read', async () => {
      await newThread(alice, { title: 'Clinic hours quokka', body: 'The clinic opens early on Mondays' });
      await newThread(alice, { title: 'Members quokka', body: 'secret lounge talk' }, 'members-lounge');
      const both = await alice.client.api('GET', '/search?q=quokka');
      assert.equal(both.json.hits.length, 2);
      const forVisitor = await visitor.api('GET', '/search?q=quokka');
      assert.equal(forVisitor.json.hits.length, 1);
      assert.equal((await visitor.api('GET', '/search?q=clinic%20mondays')).json.hits.length, 1);
      assert.equal((await visitor.api('GET', '/search?q=clinic%20tuesdays')).json.hits.length, 0);
      assert.equal((await visitor.api('GET', '/search?q=')).status, 422);
      assert.equal((await visitor.api('GET', `/search?q=${'a'.repeat(201)}`)).status, 422);
    });

    it('finds Chinese words inside sentences', async () => {
      await newThread(alice, { title: '健康问题', body: '我们在学习保护自己的方法' });
      const hits = await visitor.api('GET', `/search?q=${encodeURIComponent('保护')}`);
      assert.equal(hits.json.hits.length, 1);
    });
  });

  describe('bad input', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['an empty title', { title: '   ', body: 'x' }],
      ['a title over 150 characters', { title: 't'.repeat(151), body: 'x' }],
      ['an empty body', { title: 't', body: '   ' }],
      ['a body over 20,000 characters', { title: 't', body: 'b'.repeat(20_001) }],
      ['a body that is not text', { title: 't', body: { $gt: '' } }],
      ['an unknown field', { title: 't', body: 'b', pinned: true }],
      ['a content warning over 100 characters', { title: 't', body: 'b', contentWarning: 'c'.repeat(101) }],
    ];
    for (const [label, body] of cases) {
      it(`refuses a thread with ${label} and creates nothing`, async () => {
        const [threads, posts] = [await threadCount(), await postCount()];
        const reply = await alice.client.api('POST', '/boards/general/threads', body);
        assert.ok(reply.status === 422 || reply.status === 413, `${reply.status} ${reply.text}`);
        assert.ok(reply.json.error.message.length > 0, 'the refusal carries a message');
        assert.equal(await threadCount(), threads);
        assert.equal(await postCount(), posts);
      });
    }

    it('answers unknown boards, threads and posts with 404', async () => {
      assert.equal((await visitor.api('GET', '/boards/nope/threads')).status, 404);
      assert.equal((await visitor.api('GET', '/threads/nope')).status, 404);
      assert.equal((await alice.client.api('POST', '/threads/nope/posts', { body: 'x' })).status, 404);
      assert.equal((await alice.client.api('PATCH', '/posts/nope', { body: 'x' })).status, 404);
      assert.equal((await alice.client.api('POST', '/posts/nope/reactions', { kind: 'hug' })).status, 404);
    });

    it('shows raw HTML as text and never executable markup', async () => {
      const { post } = await newThread(alice, { title: '<script>alert(1)</script>', body: '<img src=x onerror=alert(1)> [x](javascript:alert(1))' });
      const got = await visitor.api('GET', `/posts/${post.id}`);
      assert.doesNotMatch(got.json.post.html, /<img|<script|href="javascript/i);
      assert.match(got.json.post.html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    });
  });

  describe('account deletion', () => {
    it('keeps posts as "deleted member" or deletes their words, as the member chose', async () => {
      const keeper = await member(inst, 'keeper');
      const leaver = await member(inst, 'leaver');
      const kept = await newThread(keeper, { title: 'Kept thread', body: 'kept words' });
      const gone = await newThread(leaver, { title: 'Gone thread', body: 'gone words' });
      const { PASS } = await import('../helpers/client.js');
      assert.equal((await keeper.client.api('DELETE', '/me', { passphrase: PASS, content: 'keep_anonymous' })).status, 204);
      assert.equal((await leaver.client.api('DELETE', '/me', { passphrase: PASS, content: 'delete' })).status, 204);
      const keptView = await visitor.api('GET', `/threads/${kept.thread.id}`);
      assert.equal(keptView.json.posts[0].author.kind, 'deleted');
      assert.match(keptView.json.posts[0].html, /kept words/);
      const goneView = await visitor.api('GET', `/threads/${gone.thread.id}`);
      assert.equal(goneView.json.posts[0].state, 'deleted');
      assert.doesNotMatch(goneView.text, /gone words|Gone thread/);
      const stored = await inst.parasol.ctx.store.collection(postsCollection).get(gone.post.id);
      assert.equal(stored!.body, '');
      assert.equal(stored!.authorId, null);
    });
  });
});
