import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { membershipsCollection, messagesCollection, roomsCollection } from '../../server/rooms/rooms.collections.js';
import { invite, newRoom, say } from './helpers.js';

/** Room pages work without JavaScript, and never show a room's name where a glance at the screen would catch it. */
describe('room pages', () => {
  let inst: TestInstance;
  let boss: Person;
  let fac: Person;
  let alice: Person;
  let bob: Person;

  before(async () => {
    inst = await startInstance();
    // Page titles are what these tests look at: a new instance's discreet titles would show only its name.
    await inst.parasol.ctx.instance.updateSettings({ discreetTitlesByDefault: false });
    boss = await admin(inst);
    fac = await moderator(inst, boss);
    alice = await member(inst, 'alice');
    bob = await member(inst, 'bob');
  });
  after(async () => inst.close());

  const title = (page: string) => /<title>([^<]*)<\/title>/.exec(page)?.[1] ?? '';
  const store = () => inst.parasol.ctx.store;

  it('sends visitors to the log-in page', async () => {
    const reply = await new Client(inst.url).get('/rooms');
    assert.equal(reply.status, 303);
    assert.match(reply.headers.get('location') ?? '', /^\/login\?next=%2Frooms/);
  });

  it('shows a neutral title, a refresh link and a no-script refresh; the name only in titles after opting in', async () => {
    const room = await newRoom(fac, { name: 'Positive Living', purpose: 'HIV+ peer support' });
    await invite(fac, room.id, alice);
    const page = await alice.client.get(`/rooms/${room.id}`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.match(title(page.text), /^Group chat · /);
    assert.ok(!title(page.text).includes('Positive') && !title(page.text).includes('HIV'), 'the title does not tell what the room is about');
    assert.match(page.text, /<h1>Group chat<\/h1>/);
    assert.match(page.text, /<head>[\s\S]*<noscript><meta http-equiv="refresh" content="30"><\/noscript>[\s\S]*<\/head>/);
    assert.match(page.text, new RegExp(`<a class="button" id="room-refresh" href="/rooms/${room.id}">`));
    assert.match(page.text, /<script src="\/assets\/socket.js" defer><\/script>\s*<script src="\/assets\/message-list.js" defer><\/script>\s*<script src="\/assets\/room.js" defer><\/script>/, 'the shared message list loads before the page\'s own script');
    const list = await alice.client.get('/rooms');
    assert.match(list.text, /Group chat 1/);
    assert.ok(!title(list.text).includes('Positive'), 'the room list title does not tell what the room is about');

    const writing = await alice.client.get(`/rooms/${room.id}?write=1`);
    assert.ok(!writing.text.includes('http-equiv="refresh"'), 'no refresh while writing');

    const opted = await alice.client.submit(`/rooms/${room.id}`, `/rooms/${room.id}/membership`, { displayMode: 'alias', alias: 'Hope', showName: 'on' });
    assert.equal(opted.status, 303);
    assert.match(title((await alice.client.get(`/rooms/${room.id}`)).text), /^Positive Living · /);
    assert.match((await alice.client.get('/rooms')).text, /<strong>Positive Living<\/strong>/);
    assert.match(title((await fac.client.get(`/rooms/${room.id}`)).text), /^Group chat · /, 'the choice is per member');
  });

  it('posts through a plain form and shows the message after the redirect; a bad post keeps the text and says why', async () => {
    const room = await newRoom(fac);
    await invite(fac, room.id, alice, { alias: 'Sparrow' });
    const sent = await alice.client.submit(`/rooms/${room.id}`, `/rooms/${room.id}/messages`, { body: 'Hello from a **basic phone**', clientId: 'form-1' });
    assert.equal(sent.status, 303);
    const target = sent.headers.get('location') ?? '';
    assert.match(target, new RegExp(`^/rooms/${room.id}#m-`));
    const page = await alice.client.get(`/rooms/${room.id}`);
    assert.match(page.text, /<strong>basic phone<\/strong>/);
    assert.match(page.text, /<span class="author">Sparrow<\/span>/);

    const again = await alice.client.submit(`/rooms/${room.id}`, `/rooms/${room.id}/messages`, { body: 'Hello from a **basic phone**', clientId: 'form-1' });
    assert.equal(again.headers.get('location'), target, 'a double-submitted form is stored once');
    assert.equal(await store().collection(messagesCollection).count({ roomId: room.id }), 1);

    const long = 'y'.repeat(4001);
    const refused = await alice.client.submit(`/rooms/${room.id}`, `/rooms/${room.id}/messages`, { body: long });
    assert.equal(refused.status, 422);
    assert.match(refused.text, /class="error" role="alert"/);
    assert.ok(refused.text.includes(long), 'the text is kept');
    assert.equal(await store().collection(messagesCollection).count({ roomId: room.id }), 1);
  });

  it('replies, reacts, edits, reports and deletes with plain forms', async () => {
    const room = await newRoom(fac);
    await invite(fac, room.id, alice);
    await invite(fac, room.id, bob, { displayMode: 'pseudonym' });
    const first = await say(bob, room.id, 'Anyone been to the new clinic?');
    const replyPage = await alice.client.get(`/rooms/${room.id}?reply=${first.id}`);
    assert.match(replyPage.text, new RegExp(`name="replyTo" value="${first.id}"`));
    await alice.client.submit(`/rooms/${room.id}?reply=${first.id}`, `/rooms/${room.id}/messages`, { body: 'Yes, it is good', replyTo: first.id });
    const page = await alice.client.get(`/rooms/${room.id}`);
    assert.match(page.text, /<blockquote class="quote"><a href="#m-[^"]+"><span class="author">@bob_/);

    assert.equal((await alice.client.submit(`/rooms/${room.id}`, `/rooms/${room.id}/m/${first.id}/react`, { kind: 'thanks' })).status, 303);
    assert.equal((await store().collection(messagesCollection).get(first.id))!.reactions.thanks, 1);

    const edit = await bob.client.submit(`/rooms/${room.id}/m/${first.id}/edit`, `/rooms/${room.id}/m/${first.id}/edit`, { body: 'Anyone been to the clinic on Main St?' });
    assert.equal(edit.status, 303);
    assert.equal((await alice.client.get(`/rooms/${room.id}/m/${first.id}/edit`)).status, 403);

    const report = await alice.client.submit(`/rooms/${room.id}/m/${first.id}/report`, `/rooms/${room.id}/m/${first.id}/report`, { reason: 'spam', note: '' });
    assert.equal(report.status, 303);
    const manage = await fac.client.get(`/rooms/${room.id}/manage`);
    assert.match(manage.text, /Anyone been to the clinic on Main St\?/);

    assert.equal((await bob.client.submit(`/rooms/${room.id}`, `/rooms/${room.id}/m/${first.id}/delete`, {})).status, 303);
    assert.equal(await store().collection(messagesCollection).get(first.id), null);
  });

  it('answers 404 to non-members of an unlisted room and offers a join form for a listed one', async () => {
    const hidden = await newRoom(fac, { name: 'Hidden circle' });
    const page = await bob.client.get(`/rooms/${hidden.id}`);
    assert.equal(page.status, 404);
    assert.ok(!page.text.includes('Hidden circle'), 'the hidden room’s name is not shown');
    assert.equal((await boss.client.get(`/rooms/${hidden.id}`)).status, 404, 'instance admins are not let in either');
    assert.equal((await boss.client.get(`/rooms/${hidden.id}/manage`)).status, 404);

    const listed = await newRoom(fac, { name: 'Open circle', listed: true });
    const preview = await bob.client.get(`/rooms/${listed.id}`);
    assert.equal(preview.status, 200);
    assert.match(preview.text, /Ask to join/);
    assert.ok(!title(preview.text).includes('Open circle'), 'the preview’s title does not give the room name');
    const asked = await bob.client.submit(`/rooms/${listed.id}`, `/rooms/${listed.id}/requests`, { note: 'hello', displayMode: 'alias', alias: '' });
    assert.equal(asked.status, 303);
    assert.match((await bob.client.get(`/rooms/${listed.id}`)).text, /You asked to join/);

    const manage = await fac.client.get(`/rooms/${listed.id}/manage`);
    assert.match(manage.text, new RegExp(`@${bob.handle}`));
    const action = new RegExp(`action="(/rooms/${listed.id}/manage/requests/[^"]+/approve)"`).exec(manage.text)![1]!;
    assert.equal((await fac.client.submit(`/rooms/${listed.id}/manage`, action, {})).status, 303);
    assert.equal((await bob.client.get(`/rooms/${listed.id}`)).status, 200);
    assert.match((await bob.client.get(`/rooms/${listed.id}`)).text, /<h1>Group chat<\/h1>/);
    const note = await bob.client.get('/rooms');
    const notice = /<ul class="list notices">([\s\S]*?)<\/ul>/.exec(note.text)?.[1] ?? '';
    assert.match(notice, /You were let into a group/);
    assert.ok(!notice.includes('Open circle'), 'the decision never names the room');
    assert.ok(!(await bob.client.get('/rooms')).text.includes('You were let into a group'), 'a decision is shown once, then erased');
  });

  it('gives facilitators a management page; members and admins who are not facilitators cannot see it', async () => {
    const room = await newRoom(fac, { name: 'Managed' });
    await invite(fac, room.id, alice, { alias: 'Ivy' });
    await invite(fac, room.id, boss);
    const page = await fac.client.get(`/rooms/${room.id}/manage`);
    assert.equal(page.status, 200);
    assert.match(page.text, /Ivy/);
    assert.ok(!page.text.includes(alice.handle), 'facilitators see members by alias, never by handle');
    for (const who of [alice, boss]) {
      const refused = await who.client.get(`/rooms/${room.id}/manage`);
      assert.equal(refused.status, 403);
      assert.ok(!refused.text.includes(fac.handle) && !refused.text.includes('Ivy'), 'the refusal shows neither the facilitator nor an alias');
    }
    assert.ok(!(await alice.client.get(`/rooms/${room.id}`)).text.includes(fac.handle), 'the room page lists nobody');

    const made = await fac.client.submit(`/rooms/${room.id}/manage`, `/rooms/${room.id}/manage/invites`, { days: '7' });
    assert.equal(made.status, 201);
    const code = /<code class="token">([a-z0-9-]{14})<\/code>/.exec(made.text)?.[1];
    assert.ok(code, 'the code is shown once');
    assert.ok(!(await fac.client.get(`/rooms/${room.id}/manage`)).text.includes(code!), 'and never again');
    const joined = await bob.client.submit('/rooms', '/rooms/join', { code: code!, displayMode: 'alias', alias: '' });
    assert.equal(joined.status, 303);
    assert.equal(joined.headers.get('location'), `/rooms/${room.id}`);

    const settings = await fac.client.submit(`/rooms/${room.id}/manage`, `/rooms/${room.id}/manage/settings`, {
      name: 'Managed',
      description: '',
      purpose: '',
      language: 'en',
      joinPolicy: 'invite',
      retentionDays: '7',
      listed: 'false',
      readOnly: 'on',
    });
    assert.equal(settings.status, 303);
    assert.equal((await store().collection(roomsCollection).get(room.id))!.readOnly, true);
    assert.match((await alice.client.get(`/rooms/${room.id}`)).text, /read-only/);

    const unconfirmed = await fac.client.submit(`/rooms/${room.id}/manage`, `/rooms/${room.id}/manage/close`, {});
    assert.equal(unconfirmed.status, 422);
    assert.match(unconfirmed.text, /Tick the box to confirm/);
    const closed = await fac.client.submit(`/rooms/${room.id}/manage`, `/rooms/${room.id}/manage/close`, { confirm: 'on' });
    assert.equal(closed.status, 303);
    assert.equal(await store().collection(membershipsCollection).count({ roomId: room.id }), 0);
    assert.equal((await alice.client.get(`/rooms/${room.id}`)).status, 404);
  });

  it('lets only instance moderators and admins start a room, through a form', async () => {
    assert.equal((await alice.client.get('/rooms/new')).status, 403);
    const created = await fac.client.submit('/rooms/new', '/rooms', {
      name: 'Newcomers',
      description: 'Start here',
      purpose: 'newcomers',
      language: 'en',
      joinPolicy: 'request',
      retentionDays: '1',
      listed: 'false',
      alias: '',
    });
    assert.equal(created.status, 303);
    const id = /^\/rooms\/([^/]+)\/manage$/.exec(created.headers.get('location') ?? '')?.[1];
    assert.ok(id, 'the form redirects to the new room’s manage page');
    assert.equal((await store().collection(roomsCollection).get(id!))!.retentionDays, 1);
    const bad = await fac.client.submit('/rooms/new', '/rooms', { name: '', retentionDays: '1', joinPolicy: 'request' });
    assert.equal(bad.status, 422);
  });
});
