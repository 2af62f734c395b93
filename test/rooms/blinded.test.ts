import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, PASS } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { seize } from '../privacy/seizure.js';
import { accountsCollection } from '../../server/accounts/accounts.collections.js';
import { newId } from '../../server/crypto.js';
import {
  joinRequestsCollection,
  membershipsCollection,
  messagesCollection,
  roomClaimsCollection,
  roomsCollections,
  type MembershipDoc,
} from '../../server/rooms/rooms.collections.js';
import { invite, newRoom, say } from './helpers.js';
import { itReadsSqliteFile } from '../helpers/test-database.js';

describe('rooms blinded: the database does not say who is in a room', () => {
  let inst: TestInstance;
  let boss: Person;
  let fac: Person;
  let alice: Person;
  let bob: Person;

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    fac = await moderator(inst, boss);
    alice = await member(inst, 'alice');
    bob = await member(inst, 'bob');
  });
  after(async () => inst.close());

  const store = () => inst.parasol.ctx.store;
  const myRef = async (who: Person, roomId: string) => (await who.client.api('GET', `/rooms/${roomId}`)).json.room.membership.id as string;
  const requestsOf = async (who: Person, roomId: string) =>
    (await who.client.api('GET', `/rooms/${roomId}/requests`)).json.requests as { id: string; handle: string | null; alias: string | null }[];

  it('shows a join request’s handle to facilitators only, from a sealed copy; approval seats the applicant under their own blinded id', async () => {
    const room = await newRoom(fac, { listed: true });
    assert.equal((await alice.client.api('POST', `/rooms/${room.id}/requests`, { note: 'hi', alias: 'Willow' })).status, 201);
    const stored = await store().collection(joinRequestsCollection).findOne({ roomId: room.id });
    assert.ok(stored, 'the request is stored');
    assert.ok(!JSON.stringify(stored).includes(alice.handle) && !JSON.stringify(stored).includes(alice.id), 'the stored request names no account');
    const waiting = await requestsOf(fac, room.id);
    assert.deepEqual(
      waiting.map((r) => [r.handle, r.alias]),
      [[alice.handle, 'Willow']],
    );
    assert.equal((await alice.client.api('GET', `/rooms/${room.id}/requests`)).status, 403, 'the applicant does not see the request list');

    assert.equal((await fac.client.api('POST', `/rooms/${room.id}/requests/${waiting[0]!.id}/approve`)).status, 200);
    assert.equal(await store().collection(joinRequestsCollection).count({ roomId: room.id }), 0, 'the request and its sealed handle are erased once decided');
    const list = await fac.client.api('GET', `/rooms/${room.id}/members`);
    assert.ok(list.json.members.some((m: { alias: string }) => m.alias === 'Willow'), 'the facilitator now sees the alias');
    assert.ok(!list.text.includes(alice.handle), 'and never the handle');

    const first = await alice.client.api('GET', '/rooms');
    assert.deepEqual(
      first.json.notices.map((n: { kind: string; roomId: string | null }) => [n.kind, n.roomId]),
      [['room_approved', room.id]],
    );
    assert.ok(first.json.rooms.some((r: { id: string }) => r.id === room.id), 'the room is in the member’s list');
    assert.deepEqual((await alice.client.api('GET', '/rooms')).json.notices, [], 'a decision is pulled once');
  });

  it('lists a member’s rooms with unread counts, and a facilitator’s waiting requests, found only from the member’s key', async () => {
    const one = await newRoom(fac);
    const two = await newRoom(fac, { listed: true });
    await invite(fac, one.id, bob);
    await invite(fac, two.id, bob);
    for (let i = 0; i < 3; i++) await say(fac, one.id, `news ${i}`);
    await say(bob, two.id, 'my own words do not count');
    const carol = await member(inst, 'carol');
    assert.equal((await carol.client.api('POST', `/rooms/${two.id}/requests`, {})).status, 201);
    const mine = (await bob.client.api('GET', '/rooms')).json.rooms as { id: string; unread: number; requests: number }[];
    assert.deepEqual(
      mine.filter((r) => r.id === one.id || r.id === two.id).map((r) => [r.id, r.unread, r.requests]),
      [
        [one.id, 3, 0],
        [two.id, 0, 0],
      ],
    );
    const facilitated = (await fac.client.api('GET', '/rooms')).json.rooms.find((r: { id: string }) => r.id === two.id);
    assert.equal(facilitated.requests, 1);
  });

  it('hands the room’s key to a promoted facilitator, who can then read requests', async () => {
    const room = await newRoom(fac, { listed: true });
    await invite(fac, room.id, alice, { alias: 'Fern' });
    assert.equal((await fac.client.api('POST', `/rooms/${room.id}/members/${await myRef(alice, room.id)}/facilitator`)).status, 200);
    assert.equal((await bob.client.api('POST', `/rooms/${room.id}/requests`, {})).status, 201);
    assert.deepEqual(
      (await requestsOf(alice, room.id)).map((r) => r.handle),
      [bob.handle],
    );
  });

  it('refuses a replayed join, a forged blinded id and actions on non-members, changing nothing', async () => {
    const room = await newRoom(fac, { listed: true });
    const members = () => store().collection(membershipsCollection).count({ roomId: room.id });
    const requests = () => store().collection(joinRequestsCollection).count({ roomId: room.id });

    const forged = await bob.client.api('POST', `/rooms/${room.id}/requests`, { memberId: 'x'.repeat(43) });
    assert.equal(forged.status, 422, 'a blinded id from a client is never accepted');
    assert.equal(await requests(), 0);

    assert.equal((await bob.client.api('POST', `/rooms/${room.id}/requests`, {})).status, 201);
    const again = await bob.client.api('POST', `/rooms/${room.id}/requests`, {});
    assert.equal(again.status, 409);
    assert.equal(again.json.error.code, 'request_exists');
    assert.equal(await requests(), 1);

    const [waiting] = await requestsOf(fac, room.id);
    assert.equal((await fac.client.api('POST', `/rooms/${room.id}/requests/${waiting!.id}/approve`)).status, 200);
    const before = await members();
    const replayed = await fac.client.api('POST', `/rooms/${room.id}/requests/${waiting!.id}/approve`);
    assert.equal(replayed.status, 404, 'a decided request cannot be approved twice');
    const rejoin = await bob.client.api('POST', `/rooms/${room.id}/requests`, {});
    assert.equal(rejoin.status, 409);
    assert.equal(rejoin.json.error.code, 'already_member');
    assert.equal(await members(), before);
    assert.equal(await requests(), 0);

    const stranger = newId();
    const snapshot = JSON.stringify(await store().collection(membershipsCollection).find({ where: { roomId: room.id }, orderBy: { field: 'joinedAt' } }));
    assert.equal((await fac.client.api('POST', `/rooms/${room.id}/members/${stranger}/mute`, { minutes: 5 })).status, 404);
    assert.equal((await fac.client.api('DELETE', `/rooms/${room.id}/members/${stranger}`)).status, 404);
    assert.equal((await fac.client.api('POST', `/rooms/${room.id}/members/${stranger}/facilitator`)).status, 404);
    const other = await newRoom(fac);
    const elsewhere = await invite(fac, other.id, alice);
    assert.equal((await fac.client.api('DELETE', `/rooms/${room.id}/members/${elsewhere.membership!.id}`)).status, 404, 'another room’s member is not found here');
    assert.equal(JSON.stringify(await store().collection(membershipsCollection).find({ where: { roomId: room.id }, orderBy: { field: 'joinedAt' } })), snapshot);
  });

  it('turns memberships from before blinding into claims at start, erasing the account id, and into blinded ids at the next log-in', async () => {
    const room = await newRoom(fac);
    const dana = await member(inst, 'dana');
    const legacyId = newId();
    const legacy = {
      id: legacyId,
      roomId: room.id,
      accountId: dana.id,
      role: 'member',
      displayMode: 'alias',
      alias: 'Old Timer',
      aliasKey: 'old timer',
      showName: false,
      mutedUntil: null,
      lastReadSeq: 0,
      joinedAt: Date.now(),
    } as unknown as MembershipDoc;
    await store().collection(membershipsCollection).insert(legacy);
    const said = await say(fac, room.id, 'before the upgrade');
    await store().collection(messagesCollection).patch(said.id, { authorId: dana.id });

    assert.equal(await inst.parasol.ctx.rooms.claims.migrate(), 1);
    assert.equal(await inst.parasol.ctx.rooms.claims.migrate(), 0, 'a second start changes nothing');
    const migrated = await store().collection(membershipsCollection).get(legacyId);
    assert.ok(migrated && !JSON.stringify(migrated).includes(dana.id), 'the membership keeps no account id');
    assert.equal((await store().collection(messagesCollection).get(said.id))!.authorId, legacyId);
    assert.equal(await store().collection(roomClaimsCollection).count({ accountId: dana.id }), 1);

    const again = new Client(inst.url);
    assert.equal((await again.api('POST', '/sessions', { handle: dana.handle, passphrase: PASS })).status, 201);
    assert.equal(await store().collection(roomClaimsCollection).count({ accountId: dana.id }), 0, 'the claim is taken at log-in');
    assert.equal(await store().collection(membershipsCollection).get(legacyId), null);
    const rooms = (await again.api('GET', '/rooms')).json.rooms as { id: string }[];
    assert.ok(rooms.some((r) => r.id === room.id), 'the member finds the room with their key');
    const history = (await again.api('GET', `/rooms/${room.id}/messages`)).json.messages as { id: string; mine: boolean }[];
    assert.equal(history.find((m) => m.id === said.id)?.mine, true, 'their old message is still theirs');
  });

  itReadsSqliteFile('leaves no account id, handle or display name in any row of any rooms table, in a seized copy', async () => {
    const room = await newRoom(fac, { listed: true });
    const erin = await member(inst, 'erin');
    await invite(fac, room.id, erin, { alias: 'Quiet Brook' });
    await say(erin, room.id, 'hello from an alias');
    assert.equal((await bob.client.api('POST', `/rooms/${room.id}/requests`, { note: 'let me in' })).status, 201);
    const gone = await newRoom(fac);
    await invite(fac, gone.id, erin);
    assert.equal((await erin.client.api('POST', `/rooms/${gone.id}/leave`)).status, 204);

    const accounts = await store().collection(accountsCollection).getMany([boss, fac, alice, bob, erin].map((p) => p.id));
    const needles = accounts.flatMap((a) => [a.id, a.handle, a.displayName]).filter((n) => n.length >= 4);
    const seized = seize(inst.dataDir);
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-rooms-seized-'));
    try {
      for (const [name, bytes] of seized.files) {
        fs.mkdirSync(path.dirname(path.join(copy, name)), { recursive: true });
        fs.writeFileSync(path.join(copy, name), bytes);
      }
      const db = new Database(path.join(copy, 'parasol.sqlite'), { readonly: true });
      try {
        const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all() as string[];
        // The SQLite adapter keeps a collection in c_<name> (its text index, if any, in s_<name>).
        const roomTables = tables.filter((t) => roomsCollections.some((c) => t === `c_${c.name}` || t.startsWith(`s_${c.name}`)));
        assert.ok(roomTables.length >= roomsCollections.length, `every rooms table is scanned (${roomTables.join(', ')})`);
        let rows = 0;
        for (const table of roomTables) {
          for (const row of db.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[]) {
            rows += 1;
            const text = JSON.stringify(row);
            for (const needle of needles) assert.ok(!text.includes(needle), `${table} holds ${needle}`);
          }
        }
        assert.ok(rows > 0, 'the scan read rows');
      } finally {
        db.close();
      }
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});
