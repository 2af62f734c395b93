import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, PASS } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import {
  joinRequestsCollection,
  membershipsCollection,
  messagesCollection,
  roomInvitesCollection,
  roomReportsCollection,
  roomsCollection,
} from '../../server/rooms/rooms.collections.js';
import { reportsCollection } from '../../server/moderation/moderation.collections.js';
import { invite, newRoom, say } from './helpers.js';

describe('rooms API', () => {
  let inst: TestInstance;
  let boss: Person;
  let fac: Person;
  let alice: Person;
  let bob: Person;
  let visitor: Client;

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    fac = await moderator(inst, boss);
    alice = await member(inst, 'alice');
    bob = await member(inst, 'bob');
    visitor = new Client(inst.url);
  });
  after(async () => inst.close());

  const store = () => inst.parasol.ctx.store;
  const messageCount = (roomId: string) => store().collection(messagesCollection).count({ roomId });

  describe('creating and finding rooms', () => {
    it('lets instance moderators and admins create rooms, making them facilitators; members cannot; bad input changes nothing', async () => {
      const room = await newRoom(fac, { joinPolicy: 'invite', retentionDays: 7 });
      assert.equal(room.membership?.role, 'facilitator');
      assert.match(room.membership!.alias, /^Member \d{4}$/);
      assert.equal((await newRoom(boss)).membership?.role, 'facilitator');
      const before = await store().collection(roomsCollection).count();
      assert.equal((await alice.client.api('POST', '/rooms', { name: 'Mine' })).status, 403);
      assert.equal((await visitor.api('POST', '/rooms', { name: 'Mine' })).status, 401);
      for (const body of [
        { name: '' },
        { name: 'x', retentionDays: 5 },
        { name: 'x', joinPolicy: 'open' },
        { name: 'x', alias: '@someone' },
        { name: 'x', surprise: true },
      ]) {
        const reply = await fac.client.api('POST', '/rooms', body);
        assert.equal(reply.status, 422, JSON.stringify(body));
        assert.ok(reply.json.error.message, 'the refusal carries a message');
      }
      assert.equal(await store().collection(roomsCollection).count(), before);
    });

    it('answers 404 about an unlisted room to everyone outside it, instance admins included, exactly as for no room at all', async () => {
      const room = await newRoom(fac);
      await say(fac, room.id, 'hello');
      const unknown = await alice.client.api('GET', '/rooms/AAAAAAAAAAAAAAAA');
      assert.equal(unknown.status, 404);
      for (const who of [alice, boss]) {
        for (const [method, path, body] of [
          ['GET', `/rooms/${room.id}`],
          ['GET', `/rooms/${room.id}/messages`],
          ['POST', `/rooms/${room.id}/messages`, { body: 'hi' }],
          ['GET', `/rooms/${room.id}/members`],
          ['GET', `/rooms/${room.id}/pins`],
          ['POST', `/rooms/${room.id}/requests`, {}],
          ['PATCH', `/rooms/${room.id}`, { readOnly: true }],
          ['DELETE', `/rooms/${room.id}`],
        ] as const) {
          const reply = await who.client.api(method, path, body);
          assert.equal(reply.status, 404, `${method} ${path}`);
          assert.deepEqual(reply.json, unknown.json, `${method} ${path} says what an unknown room says`);
        }
      }
      assert.equal((await visitor.api('GET', `/rooms/${room.id}`)).status, 401);
      assert.equal(await messageCount(room.id), 1);
    });

    it('lists listed rooms in the directory with name, description, language and policy only', async () => {
      const listed = await newRoom(fac, { name: 'Newcomers', listed: true, language: 'es' });
      const hidden = await newRoom(fac, { name: 'Hidden one' });
      const reply = await alice.client.api('GET', '/rooms/directory');
      assert.equal(reply.status, 200);
      const entry = reply.json.rooms.find((r: { id: string }) => r.id === listed.id);
      assert.deepEqual(Object.keys(entry).sort(), ['description', 'id', 'joinPolicy', 'language', 'name']);
      assert.ok(!reply.json.rooms.some((r: { id: string }) => r.id === hidden.id), 'the unlisted room is not listed');
      assert.equal((await visitor.api('GET', '/rooms/directory')).status, 401);
      const preview = await alice.client.api('GET', `/rooms/${listed.id}`);
      assert.equal(preview.status, 200);
      assert.equal(preview.json.room.membership, null);
      assert.equal(preview.json.room.purpose, undefined);
      const closed = await alice.client.api('GET', `/rooms/${listed.id}/messages`);
      assert.equal(closed.status, 403);
      assert.equal(closed.json.error.code, 'room_members_only');
    });
  });

  describe('joining', () => {
    it('takes join requests with a note; facilitators approve or refuse; invite-only rooms refuse requests', async () => {
      const room = await newRoom(fac, { listed: true });
      const asked = await alice.client.api('POST', `/rooms/${room.id}/requests`, { note: 'I was told about this group', alias: 'Sunflower' });
      assert.equal(asked.status, 201, asked.text);
      assert.equal((await alice.client.api('POST', `/rooms/${room.id}/requests`, {})).status, 409);
      assert.equal((await alice.client.api('GET', `/rooms/${room.id}`)).json.room.requested, true);
      assert.equal((await bob.client.api('POST', `/rooms/${room.id}/requests`, { note: 'x'.repeat(301) })).status, 422);
      await bob.client.api('POST', `/rooms/${room.id}/requests`, {});

      assert.equal((await alice.client.api('GET', `/rooms/${room.id}/requests`)).status, 403);
      const waiting = await fac.client.api('GET', `/rooms/${room.id}/requests`);
      assert.equal(waiting.status, 200);
      const fromAlice = waiting.json.requests.find((r: { handle: string }) => r.handle === alice.handle);
      assert.equal(fromAlice.note, 'I was told about this group');
      const fromBob = waiting.json.requests.find((r: { handle: string }) => r.handle === bob.handle);

      const approved = await fac.client.api('POST', `/rooms/${room.id}/requests/${fromAlice.id}/approve`);
      assert.equal(approved.status, 200, approved.text);
      assert.equal(approved.json.member.alias, 'Sunflower');
      assert.equal((await fac.client.api('POST', `/rooms/${room.id}/requests/${fromBob.id}/refuse`)).status, 204);
      assert.equal((await fac.client.api('POST', `/rooms/${room.id}/requests/${fromBob.id}/approve`)).status, 404);
      assert.equal((await alice.client.api('GET', `/rooms/${room.id}/messages`)).status, 200);
      assert.equal((await bob.client.api('GET', `/rooms/${room.id}/messages`)).status, 403);
      assert.equal(await store().collection(joinRequestsCollection).count({ roomId: room.id }), 0);
      const mine = await alice.client.api('GET', '/rooms');
      assert.ok(mine.json.rooms.some((r: { id: string }) => r.id === room.id), 'the approved member’s room list holds the room');

      const inviteOnly = await newRoom(fac, { listed: true, joinPolicy: 'invite' });
      const refused = await bob.client.api('POST', `/rooms/${inviteOnly.id}/requests`, {});
      assert.equal(refused.status, 409);
      assert.equal(refused.json.error.code, 'invite_only');
    });

    it('lets a holder of the request link ask to join an unlisted room; without the key it does not exist', async () => {
      const room = await newRoom(fac);
      assert.ok(room.requestKey, 'an unlisted room has a request key');
      assert.equal((await bob.client.api('POST', `/rooms/${room.id}/requests`, {})).status, 404);
      assert.equal((await bob.client.api('POST', `/rooms/${room.id}/requests`, { key: 'wrong' })).status, 404);
      assert.equal((await bob.client.api('GET', `/rooms/${room.id}?key=${room.requestKey}`)).json.room.name, 'HIV+ peer support');
      assert.equal((await bob.client.api('POST', `/rooms/${room.id}/requests`, { key: room.requestKey })).status, 201);
    });

    it('uses single-use invite codes stored only as keyed hashes; spent, unknown and expired codes are refused alike', async () => {
      const room = await newRoom(fac, { joinPolicy: 'invite' });
      const made = await fac.client.api('POST', `/rooms/${room.id}/invites`, { days: 2 });
      assert.equal(made.status, 201);
      const code = made.json.code as string;
      const stored = await store().collection(roomInvitesCollection).get(made.json.invite.id);
      assert.ok(stored && !JSON.stringify(stored).includes(code.replace(/-/g, '')) && !JSON.stringify(stored).includes(code), 'the invite code is not stored in the clear');
      assert.equal((await alice.client.api('POST', `/rooms/${room.id}/invites`, {})).status, 404);

      const joined = await alice.client.api('POST', '/rooms/join', { code: code.toUpperCase(), alias: 'Rain' });
      assert.equal(joined.status, 201, joined.text);
      assert.equal(joined.json.room.membership.alias, 'Rain');
      for (const c of [code, 'aaaa-bbbb-cccc']) {
        const again = await bob.client.api('POST', '/rooms/join', { code: c });
        assert.equal(again.status, 422);
        assert.equal(again.json.error.code, 'invite_invalid');
      }
      const expiring = await fac.client.api('POST', `/rooms/${room.id}/invites`, {});
      await store().collection(roomInvitesCollection).patch(expiring.json.invite.id, { expiresAt: Date.now() - 1000 });
      assert.equal((await bob.client.api('POST', '/rooms/join', { code: expiring.json.code })).status, 422);

      const fresh = await fac.client.api('POST', `/rooms/${room.id}/invites`, {});
      const clash = await bob.client.api('POST', '/rooms/join', { code: fresh.json.code, alias: 'rain' });
      assert.equal(clash.status, 409);
      assert.equal(clash.json.error.code, 'alias_taken');
      assert.equal((await bob.client.api('POST', '/rooms/join', { code: fresh.json.code })).status, 201, 'a refused join leaves the code unspent');
      assert.equal((await bob.client.api('POST', '/rooms/join', { code: fresh.json.code })).status, 422);
    });
  });

  describe('messages', () => {
    let room: { id: string };
    before(async () => {
      room = await newRoom(fac);
      await invite(fac, room.id, alice, { alias: 'Moonlight' });
      await invite(fac, room.id, bob, { displayMode: 'pseudonym' });
    });

    it('stores cleaned Markdown and shows each author as they chose: alias or pseudonym, never both', async () => {
      const fromAlice = await say(alice, room.id, 'Hello **peers** <script>alert(1)</script>');
      assert.match(fromAlice.html, /<strong>peers<\/strong>/);
      assert.ok(!fromAlice.html.includes('<script'), 'no script tag in the rendered message');
      assert.deepEqual(fromAlice.author, { kind: 'alias', label: 'Moonlight' });
      const fromBob = await say(bob, room.id, 'hi');
      assert.deepEqual(fromBob.author, { kind: 'pseudonym', label: bob.handle });
      const history = await bob.client.api('GET', `/rooms/${room.id}/messages`);
      assert.ok(!history.text.includes(alice.handle), 'nothing links the alias to the pseudonym');
      assert.ok(!history.text.includes(alice.id), 'the history does not link the alias to the account');
    });

    it('pages history backwards from the newest page, and catches up forwards, without gaps or duplicates', async () => {
      const own = await newRoom(fac);
      await invite(fac, own.id, alice);
      const sent: string[] = [];
      for (let i = 0; i < 7; i++) sent.push((await say(i % 2 ? fac : alice, own.id, `message ${i}`)).id);
      const first = await alice.client.api('GET', `/rooms/${own.id}/messages?limit=3`);
      assert.deepEqual(first.json.messages.map((m: { id: string }) => m.id), sent.slice(4));
      const seen: string[] = [...first.json.messages.map((m: { id: string }) => m.id)];
      let older: string | null = first.json.older;
      while (older) {
        const page = await alice.client.api('GET', `/rooms/${own.id}/messages?limit=3&before=${older}`);
        assert.equal(page.status, 200);
        seen.unshift(...page.json.messages.map((m: { id: string }) => m.id));
        older = page.json.older;
      }
      assert.deepEqual(seen, sent);

      const cursor = first.json.messages[0].cursor;
      const caught: string[] = [];
      let after: string | null = cursor;
      while (after) {
        const page = await alice.client.api('GET', `/rooms/${own.id}/messages?limit=2&after=${after}`);
        caught.push(...page.json.messages.map((m: { id: string }) => m.id));
        after = page.json.newer;
      }
      assert.deepEqual(caught, sent.slice(5));
      assert.equal((await alice.client.api('GET', `/rooms/${own.id}/messages?before=2&after=1`)).status, 422);
      assert.equal((await alice.client.api('GET', `/rooms/${own.id}/messages?before=abc`)).status, 422);
    });

    it('refuses bad messages with a clear error and stores nothing: empty, oversize, reply elsewhere, non-member, read-only, muted', async () => {
      const other = await newRoom(fac);
      const elsewhere = await say(fac, other.id, 'in another room');
      const before = await messageCount(room.id);
      const cases: [Person, Record<string, unknown>, number, string][] = [
        [alice, { body: '' }, 422, 'validation_failed'],
        [alice, { body: '   \n ' }, 422, 'validation_failed'],
        [alice, { body: 'x'.repeat(4001) }, 422, 'validation_failed'],
        [alice, { body: 42 }, 422, 'validation_failed'],
        [alice, { body: 'hi', replyTo: elsewhere.id }, 422, 'reply_invalid'],
        [alice, { body: 'hi', replyTo: '../../x' }, 422, 'validation_failed'],
        [alice, { body: 'hi', roomId: other.id }, 422, 'validation_failed'],
      ];
      for (const [who, body, status, code] of cases) {
        const reply = await who.client.api('POST', `/rooms/${room.id}/messages`, body);
        assert.equal(reply.status, status, JSON.stringify(body));
        assert.equal(reply.json.error.code, code);
        assert.ok(reply.json.error.message.length > 5, 'the refusal carries a message');
      }
      const outsider = await member(inst, 'outsider');
      assert.equal((await outsider.client.api('POST', `/rooms/${room.id}/messages`, { body: 'hi' })).status, 404);
      assert.equal((await visitor.api('POST', `/rooms/${room.id}/messages`, { body: 'hi' })).status, 401);

      await fac.client.api('PATCH', `/rooms/${room.id}`, { readOnly: true });
      const readOnly = await alice.client.api('POST', `/rooms/${room.id}/messages`, { body: 'hi' });
      assert.equal(readOnly.status, 409);
      assert.equal(readOnly.json.error.code, 'room_read_only');
      assert.equal(await messageCount(room.id), before);
      await say(fac, room.id, 'facilitators still write in a read-only room');
      await fac.client.api('PATCH', `/rooms/${room.id}`, { readOnly: false });

      const aliceId = (await alice.client.api('GET', `/rooms/${room.id}`)).json.room.membership.id;
      assert.equal((await fac.client.api('POST', `/rooms/${room.id}/members/${aliceId}/mute`, { minutes: 30 })).status, 200);
      const muted = await alice.client.api('POST', `/rooms/${room.id}/messages`, { body: 'hi' });
      assert.equal(muted.status, 403);
      assert.equal(muted.json.error.code, 'room_muted');
      assert.match(muted.json.error.message, /muted you in this group until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
      assert.equal((await fac.client.api('POST', `/rooms/${room.id}/members/${aliceId}/mute`, { minutes: 0 })).status, 200);
      assert.equal(await messageCount(room.id), before + 1);
      await say(alice, room.id, 'unmuted');
    });

    it('stores a retried message once (same clientId)', async () => {
      const before = await messageCount(room.id);
      const first = await say(alice, room.id, 'only once', { clientId: 'c-123' });
      const again = await say(alice, room.id, 'only once', { clientId: 'c-123' });
      assert.equal(again.id, first.id);
      assert.equal(await messageCount(room.id), before + 1);
    });

    it('lets authors edit and delete their messages, facilitators delete any, nobody else', async () => {
      const m = await say(alice, room.id, 'first version');
      assert.equal((await bob.client.api('PATCH', `/rooms/${room.id}/messages/${m.id}`, { body: 'hacked' })).status, 403);
      const edited = await alice.client.api('PATCH', `/rooms/${room.id}/messages/${m.id}`, { body: 'second _version_' });
      assert.equal(edited.status, 200);
      assert.match(edited.json.message.html, /<em>version<\/em>/);
      assert.ok(edited.json.message.editedAt, 'the edited message is marked as edited');
      assert.equal((await bob.client.api('DELETE', `/rooms/${room.id}/messages/${m.id}`)).status, 403);
      assert.equal((await alice.client.api('DELETE', `/rooms/${room.id}/messages/${m.id}`)).status, 204);
      assert.equal(await store().collection(messagesCollection).get(m.id), null, 'gone from the database');
      const other = await say(bob, room.id, 'to be removed');
      assert.equal((await fac.client.api('DELETE', `/rooms/${room.id}/messages/${other.id}`)).status, 204);
      assert.equal((await fac.client.api('DELETE', `/rooms/${room.id}/messages/${other.id}`)).status, 404);
    });

    it('toggles reactions and sends reports to the room’s facilitators only, never to the instance queue', async () => {
      const m = await say(bob, room.id, 'a message');
      const reacted = await alice.client.api('POST', `/rooms/${room.id}/messages/${m.id}/reactions`, { kind: 'hug' });
      assert.equal(reacted.json.reactions.hug, 1);
      assert.equal(reacted.json.mine, true);
      assert.equal((await alice.client.api('POST', `/rooms/${room.id}/messages/${m.id}/reactions`, { kind: 'hug' })).json.reactions.hug, 0);
      assert.equal((await alice.client.api('POST', `/rooms/${room.id}/messages/${m.id}/reactions`, { kind: 'dislike' })).status, 422);

      const instanceReports = await store().collection(reportsCollection).count();
      const reported = await alice.client.api('POST', `/rooms/${room.id}/messages/${m.id}/reports`, { reason: 'harassment', note: 'not kind' });
      assert.equal(reported.status, 201);
      assert.equal((await bob.client.api('POST', `/rooms/${room.id}/messages/${m.id}/reports`, { reason: 'spam' })).status, 422, 'not one’s own');
      assert.equal(await store().collection(reportsCollection).count(), instanceReports);
      const queue = await boss.client.api('GET', '/moderation/reports');
      assert.ok(!queue.text.includes(m.id), 'the room report stays out of the instance moderation queue');
      assert.equal((await alice.client.api('GET', `/rooms/${room.id}/reports`)).status, 403);
      const list = await fac.client.api('GET', `/rooms/${room.id}/reports`);
      const report = list.json.reports.find((r: { message: { id: string } | null }) => r.message?.id === m.id);
      assert.equal(report.note, 'not kind');
      assert.ok(!list.text.includes(alice.handle), 'facilitators are not told who reported');
      assert.equal((await fac.client.api('DELETE', `/rooms/${room.id}/reports/${report.id}`)).status, 204);
      assert.equal(await store().collection(roomReportsCollection).count({ roomId: room.id }), 0);
    });

    it('counts unread messages by others until the member reads the room', async () => {
      const own = await newRoom(fac);
      await invite(fac, own.id, alice);
      await say(alice, own.id, 'mine does not count');
      for (let i = 0; i < 3; i++) await say(fac, own.id, `news ${i}`);
      const unread = (await alice.client.api('GET', '/rooms')).json.rooms.find((r: { id: string }) => r.id === own.id);
      assert.equal(unread.unread, 3);
      await alice.client.api('GET', `/rooms/${own.id}/messages`);
      assert.equal((await alice.client.api('GET', '/rooms')).json.rooms.find((r: { id: string }) => r.id === own.id).unread, 0);
    });
  });

  describe('members', () => {
    it('shows the member list to the room’s facilitators only: not to members, instance admins or visitors', async () => {
      const room = await newRoom(fac);
      await invite(fac, room.id, alice, { alias: 'Quiet' });
      const list = await fac.client.api('GET', `/rooms/${room.id}/members`);
      assert.equal(list.status, 200);
      assert.equal(list.json.members.length, 2);
      assert.ok(list.json.members.some((m: { alias: string }) => m.alias === 'Quiet'), 'facilitators see members by alias');
      assert.ok(!list.text.includes(alice.handle) && !list.text.includes(fac.handle), 'the member list names no account');
      const forMember = await alice.client.api('GET', `/rooms/${room.id}/members`);
      assert.equal(forMember.status, 403);
      assert.ok(!forMember.text.includes(fac.handle), 'a member is not shown the facilitator’s handle');
      assert.equal((await boss.client.api('GET', `/rooms/${room.id}/members`)).status, 404);
      assert.equal((await visitor.api('GET', `/rooms/${room.id}/members`)).status, 401);
      await invite(fac, room.id, boss);
      assert.equal((await boss.client.api('GET', `/rooms/${room.id}/members`)).status, 403, 'an admin who is a plain member');
      const roomJson = await alice.client.api('GET', `/rooms/${room.id}`);
      assert.ok(!roomJson.text.includes(fac.handle) && roomJson.json.room.requestKey === null, 'a member sees neither the facilitator’s handle nor the request key');
    });

    it('mutes, removes and promotes members; protects facilitators; the last facilitator cannot leave', async () => {
      const room = await newRoom(fac);
      await invite(fac, room.id, alice);
      await invite(fac, room.id, bob);
      const ids = new Map<Person, string>();
      for (const p of [fac, alice, bob]) ids.set(p, (await p.client.api('GET', `/rooms/${room.id}`)).json.room.membership.id);
      const idOf = (p: Person) => ids.get(p)!;
      assert.equal((await fac.client.api('POST', `/rooms/${room.id}/members/${idOf(alice)}/mute`, { minutes: -1 })).status, 422);
      assert.equal((await alice.client.api('POST', `/rooms/${room.id}/members/${idOf(bob)}/mute`, { minutes: 5 })).status, 403);
      assert.equal((await fac.client.api('POST', `/rooms/${room.id}/members/${idOf(fac)}/mute`, { minutes: 5 })).status, 409);
      assert.equal((await fac.client.api('DELETE', `/rooms/${room.id}/members/${idOf(fac)}`)).status, 409);
      const last = await fac.client.api('POST', `/rooms/${room.id}/leave`);
      assert.equal(last.status, 409);
      assert.equal(last.json.error.code, 'last_facilitator');

      assert.equal((await fac.client.api('DELETE', `/rooms/${room.id}/members/${idOf(bob)}`)).status, 204);
      assert.equal((await bob.client.api('GET', `/rooms/${room.id}/messages`)).status, 404);
      assert.equal((await fac.client.api('POST', `/rooms/${room.id}/members/${idOf(alice)}/facilitator`)).status, 200);
      assert.equal((await alice.client.api('GET', `/rooms/${room.id}/members`)).status, 200);
      assert.equal((await fac.client.api('POST', `/rooms/${room.id}/leave`)).status, 204);
      assert.equal((await fac.client.api('GET', `/rooms/${room.id}`)).status, 404);
      assert.equal(await store().collection(membershipsCollection).count({ roomId: room.id }), 1);
    });

    it('lets a member change how they appear and whether they see the room’s name; aliases are unique per room', async () => {
      const room = await newRoom(fac);
      await invite(fac, room.id, alice, { alias: 'Star' });
      await invite(fac, room.id, bob, { alias: 'Cloud' });
      const clash = await bob.client.api('PATCH', `/rooms/${room.id}/membership`, { alias: 'STAR' });
      assert.equal(clash.status, 409);
      assert.equal((await bob.client.api('PATCH', `/rooms/${room.id}/membership`, { alias: 'x@y' })).status, 422);
      const before = await say(alice, room.id, 'as Star');
      const changed = await alice.client.api('PATCH', `/rooms/${room.id}/membership`, { displayMode: 'pseudonym', showName: true });
      assert.equal(changed.status, 200);
      assert.equal(changed.json.membership.showName, true);
      const afterwards = await say(alice, room.id, 'as myself');
      assert.deepEqual(afterwards.author, { kind: 'pseudonym', label: alice.handle });
      const history = (await bob.client.api('GET', `/rooms/${room.id}/messages`)).json.messages as { id: string; author: { label: string } }[];
      assert.equal(history.find((m) => m.id === before.id)!.author.label, 'Star', 'old messages keep the alias they were sent with');
    });
  });

  describe('pins and settings', () => {
    it('lets facilitators pin messages and resources; members read them; others cannot pin', async () => {
      const room = await newRoom(fac);
      await invite(fac, room.id, alice);
      const m = await say(alice, room.id, 'Clinic on Main Street is friendly');
      assert.equal((await alice.client.api('POST', `/rooms/${room.id}/pins`, { messageId: m.id })).status, 403);
      assert.equal((await fac.client.api('POST', `/rooms/${room.id}/pins`, { messageId: m.id })).status, 201);
      assert.equal((await fac.client.api('POST', `/rooms/${room.id}/pins`, { messageId: m.id })).status, 409);
      const resource = await fac.client.api('POST', `/rooms/${room.id}/pins`, { title: 'PrEP and ART', body: '- [Clinic list](https://example.org/clinics)' });
      assert.equal(resource.status, 201);
      assert.match(resource.json.pin.html, /href="https:\/\/example.org\/clinics"/);
      assert.equal((await fac.client.api('POST', `/rooms/${room.id}/pins`, { title: '', body: 'x' })).status, 422);
      const pins = await alice.client.api('GET', `/rooms/${room.id}/pins`);
      assert.equal(pins.json.pins.length, 2);
      assert.equal((await fac.client.api('DELETE', `/rooms/${room.id}/pins/${resource.json.pin.id}`)).status, 204);
      await alice.client.api('DELETE', `/rooms/${room.id}/messages/${m.id}`);
      assert.equal((await alice.client.api('GET', `/rooms/${room.id}/pins`)).json.pins.length, 0, 'a pin goes with its message');
    });

    it('applies a new retention to new messages only', async () => {
      const room = await newRoom(fac, { retentionDays: 30 });
      const old = await say(fac, room.id, 'thirty days');
      const changed = await fac.client.api('PATCH', `/rooms/${room.id}`, { retentionDays: 1 });
      assert.equal(changed.json.room.retentionDays, 1);
      const fresh = await say(fac, room.id, 'one day');
      const col = store().collection(messagesCollection);
      const [a, b] = [await col.get(old.id), await col.get(fresh.id)];
      assert.equal(a!.expiresAt - a!.createdAt, 30 * 86_400_000);
      assert.equal(b!.expiresAt - b!.createdAt, 86_400_000);
      assert.equal((await fac.client.api('PATCH', `/rooms/${room.id}`, { retentionDays: 3 })).status, 422);
    });
  });

  describe('account deletion and export', () => {
    it('exports only the member’s own memberships and messages', async () => {
      const room = await newRoom(fac);
      await invite(fac, room.id, alice, { alias: 'Exported' });
      await say(alice, room.id, 'my words');
      await say(fac, room.id, 'someone else’s words');
      const data = await alice.client.api('GET', '/me/export');
      assert.equal(data.status, 200);
      const rooms = data.json.rooms;
      assert.ok(rooms.memberships.some((m: { roomId: string; alias: string }) => m.roomId === room.id && m.alias === 'Exported'), 'the export holds the membership with its alias');
      assert.ok(rooms.messages.some((m: { body: string }) => m.body === 'my words'), 'the export holds my message');
      assert.ok(!data.text.includes('someone else’s words'), 'the export holds no one else’s message');
      assert.ok(!data.text.includes(fac.handle), 'the export does not name the facilitator');
    });

    it('removes memberships and requests; deletes messages or keeps them as from a deleted member', async () => {
      const room = await newRoom(fac, { listed: true });
      const other = await newRoom(fac, { listed: true });
      const leaver = await member(inst, 'leaver');
      const keeper = await member(inst, 'keeper');
      await invite(fac, room.id, leaver);
      await invite(fac, room.id, keeper);
      await leaver.client.api('POST', `/rooms/${other.id}/requests`, {});
      const gone = await say(leaver, room.id, 'delete me with my account');
      const kept = await say(keeper, room.id, 'keep me');
      assert.equal((await leaver.client.api('DELETE', '/me', { passphrase: PASS, content: 'delete' })).status, 204);
      assert.equal((await keeper.client.api('DELETE', '/me', { passphrase: PASS, content: 'keep_anonymous' })).status, 204);
      assert.equal(await store().collection(messagesCollection).get(gone.id), null);
      const anonymous = await store().collection(messagesCollection).get(kept.id);
      assert.equal(anonymous!.authorId, null);
      assert.equal(anonymous!.authorLabel, null);
      assert.equal(await store().collection(membershipsCollection).count({ roomId: room.id }), 1);
      assert.equal(await store().collection(joinRequestsCollection).count({ roomId: other.id }), 0);
      const shown = (await fac.client.api('GET', `/rooms/${room.id}/messages`)).json.messages.find((m: { id: string }) => m.id === kept.id);
      assert.deepEqual(shown.author, { kind: 'deleted', label: null });
    });
  });
});
