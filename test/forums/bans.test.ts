import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, PASS } from '../helpers/client.js';
import { admin, member, type Person } from '../helpers/people.js';
import { boardBansCollection } from '../../server/forums/forums.collections.js';

/** Banning an anonymous identity from a board, and lifting the ban, by form (no JavaScript) and by the API. */
describe('anonymous bans: the form on a post and the board’s list', () => {
  let inst: TestInstance;
  let boss: Person;
  let keeper: Person;
  let alice: Person;
  let bob: Person;

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    keeper = await member(inst, 'keeper');
    alice = await member(inst, 'alice');
    bob = await member(inst, 'bob');
    // keeper moderates the general board only.
    const made = await boss.client.api('PATCH', '/boards/general', { moderators: [keeper.handle] });
    assert.equal(made.status, 200, made.text);
  });
  after(async () => inst.close());

  const bans = () => inst.parasol.ctx.store.collection(boardBansCollection);
  const anonymousThread = async (who: Person, title: string, board = 'general') => {
    const made = await who.client.api('POST', `/boards/${board}/threads`, { title, body: `${title} body`, anonymous: true });
    assert.equal(made.status, 201, made.text);
    return made.json as { thread: { id: string }; post: { id: string } };
  };
  const signIn = async (who: Person): Promise<Person> => {
    const client = new Client(inst.url);
    assert.equal((await client.api('POST', '/sessions', { handle: who.handle, passphrase: PASS })).status, 201);
    return { ...who, client };
  };

  it('shows the board’s moderators a ban form naming the anonymous member by number, and nobody else', async () => {
    const { thread, post } = await anonymousThread(alice, 'Loud one');
    const named = await bob.client.api('POST', `/threads/${thread.id}/posts`, { body: 'by name' });
    const page = await keeper.client.get(`/t/${thread.id}`);
    assert.match(page.text, new RegExp(`action="/p/${post.id}/ban"`));
    assert.match(page.text, /Ban anonymous member #\d+ of this board/);
    assert.doesNotMatch(page.text, new RegExp(`action="/p/${named.json.post.id}/ban"`), 'no ban form on a named post');
    assert.doesNotMatch(page.text, new RegExp(alice.handle), 'the page never names the anonymous author');
    for (const viewer of [bob, alice]) assert.doesNotMatch((await viewer.client.get(`/t/${thread.id}`)).text, /\/ban"/);
    const api = await keeper.client.api('GET', `/threads/${thread.id}`);
    assert.equal(typeof api.json.posts[0].anonymousNumber, 'number');
    assert.equal((await bob.client.api('GET', `/threads/${thread.id}`)).json.posts[0].anonymousNumber, undefined, 'members do not get the number');
  });

  it('bans by form, shows the number in the confirmation, and the banned identity cannot post anonymously on any session', async () => {
    const { thread, post } = await anonymousThread(alice, 'Trouble again');
    const missing = await keeper.client.submit(`/p/${post.id}/ban`, `/p/${post.id}/ban`, { reason: '' });
    assert.equal(missing.status, 422, missing.text.slice(0, 300));
    assert.match(missing.text, /role="alert"/);
    assert.equal(await bans().count({}), 0, 'a ban without a reason changes nothing');

    const done = await keeper.client.submit(`/t/${thread.id}`, `/p/${post.id}/ban`, { reason: 'harassing members' });
    assert.equal(done.status, 303, done.text.slice(0, 300));
    const location = done.headers.get('location')!;
    assert.match(location, /^\/mod\/boards\/general\/bans\?banned=\d+$/);
    const number = Number(/banned=(\d+)/.exec(location)![1]);
    const confirmation = await keeper.client.get(location);
    assert.match(confirmation.text, new RegExp(`Anonymous member #${number} of this board can no longer post anonymously here\\.`));
    assert.match(confirmation.text, /harassing members/);
    assert.doesNotMatch(confirmation.text, new RegExp(alice.handle));

    const fresh = await signIn(alice);
    const again = await fresh.client.api('POST', '/boards/general/threads', { title: 'Back', body: 'hello', anonymous: true });
    assert.equal(again.status, 403);
    assert.equal(again.json.error.code, 'anonymous_banned');
    alice = fresh;
  });

  it('refuses a ban from a non-moderator, on another board, on a named post or without a reason, and changes nothing', async () => {
    const { post } = await anonymousThread(bob, 'Not to be banned by members');
    const count = await bans().count({});
    assert.equal((await alice.client.api('POST', `/posts/${post.id}/ban`, { reason: 'I do not like it' })).status, 403);
    const byForm = await alice.client.submit('/', `/p/${post.id}/ban`, { reason: 'I do not like it' });
    assert.equal(byForm.status, 403, byForm.text.slice(0, 200));
    assert.equal((await alice.client.get(`/p/${post.id}/ban`)).status, 403);
    const elsewhere = await anonymousThread(bob, 'On health', 'health');
    assert.equal((await keeper.client.api('POST', `/posts/${elsewhere.post.id}/ban`, { reason: 'not my board' })).status, 403, 'a board moderator bans on their boards only');
    const named = await bob.client.api('POST', '/boards/general/threads', { title: 'Named', body: 'by name' });
    const namedBan = await keeper.client.api('POST', `/posts/${named.json.post.id}/ban`, { reason: 'testing a ban' });
    assert.equal(namedBan.status, 422);
    assert.equal(namedBan.json.error.code, 'not_anonymous');
    const noReason = await keeper.client.api('POST', `/posts/${post.id}/ban`, {});
    assert.equal(noReason.status, 422);
    assert.ok(noReason.json.error.fields.reason, noReason.text);
    assert.equal((await keeper.client.api('POST', `/posts/${post.id}/ban`, { reason: 'x' })).status, 422, 'a reason of one letter is no reason');
    assert.equal((await keeper.client.api('POST', `/posts/${post.id}/ban`, { reason: 'fine', blindId: 'forged' })).status, 422, 'no identity from the client');
    assert.equal(await bans().count({}), count);
  });

  it('lists the board’s bans to its moderators only, and lifts one by form with a log entry', async () => {
    const listed = await keeper.client.api('GET', '/boards/general/bans');
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.json.bans.length, 1);
    const [ban] = listed.json.bans as { id: string; anonymousNumber: number; reason: string }[];
    assert.deepEqual(Object.keys(ban!).sort(), ['anonymousNumber', 'id', 'reason']);
    assert.equal(ban!.reason, 'harassing members');
    assert.equal((await bob.client.api('GET', '/boards/general/bans')).status, 403);
    assert.equal((await bob.client.get('/mod/boards/general/bans')).status, 403);
    assert.equal((await bob.client.api('DELETE', `/boards/general/bans/${ban!.id}`)).status, 403);
    assert.equal((await keeper.client.api('DELETE', `/boards/health/bans/${ban!.id}`)).status, 403, 'not from another board’s page');
    assert.equal((await boss.client.api('DELETE', `/boards/health/bans/${ban!.id}`)).status, 404, 'the ban is not on that board');
    assert.equal((await keeper.client.api('DELETE', '/boards/general/bans/no-such-ban')).status, 404);
    assert.equal(await bans().count({}), 1);

    const page = await keeper.client.get('/mod/boards');
    assert.match(page.text, /href="\/mod\/boards\/general\/bans"/);
    const lifted = await keeper.client.submit('/mod/boards/general/bans', `/mod/boards/general/bans/${ban!.id}/lift`, { reason: 'apologised' });
    assert.equal(lifted.status, 303, lifted.text.slice(0, 300));
    const after = await keeper.client.get(lifted.headers.get('location')!);
    assert.match(after.text, new RegExp(`Anonymous member #${ban!.anonymousNumber} of this board may post anonymously here again\\.`));
    assert.match(after.text, /No anonymous member is banned from this board\./);
    assert.equal(await bans().count({}), 0);
    const log = await boss.client.api('GET', '/moderation/log');
    assert.match(JSON.stringify(log.json), /anonymous_unban/);
    assert.match(JSON.stringify(log.json), new RegExp(`#${ban!.anonymousNumber}: apologised`));
    assert.equal((await alice.client.api('POST', '/boards/general/threads', { title: 'Back', body: 'hello again', anonymous: true })).status, 201);

    const gone = await keeper.client.submit('/mod/boards/general/bans', `/mod/boards/general/bans/${ban!.id}/lift`, {});
    assert.equal(gone.status, 404, 'lifting it twice finds nothing');
  });
});
