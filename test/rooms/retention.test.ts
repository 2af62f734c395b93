import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { messagesCollection } from '../../server/rooms/rooms.collections.js';
import { invite, newRoom, say } from './helpers.js';
import { itReadsSqliteFile } from '../helpers/test-database.js';

const DAY = 86_400_000;

/** Retention and closing are enforced in the database file itself: rows are gone, not flagged. */
describe('room retention and closing', () => {
  let inst: TestInstance;
  let fac: Person;
  let alice: Person;
  before(async () => {
    inst = await startInstance();
    fac = await moderator(inst, await admin(inst));
    alice = await member(inst, 'alice');
  });
  after(async () => inst.close());

  /** Counts rows straight from the SQLite file, as someone who seized the server would see them. */
  function rows(table: string, where = ''): number {
    const db = new Database(inst.dbFile, { readonly: true });
    try {
      return (db.prepare(`SELECT count(*) AS n FROM ${table} ${where}`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  }
  const inRoom = (roomId: string) => `WHERE json_extract(doc, '$.roomId') = '${roomId}'`;

  itReadsSqliteFile('deletes messages, with their reactions and pins, once the room’s retention has passed', async () => {
    const short = await newRoom(fac, { retentionDays: 1 });
    const long = await newRoom(fac, { retentionDays: 30 });
    await invite(fac, short.id, alice);
    const doomed = await say(alice, short.id, 'gone tomorrow');
    await say(fac, short.id, 'me too');
    const kept = await say(fac, long.id, 'here for a month');
    await fac.client.api('POST', `/rooms/${short.id}/messages/${doomed.id}/reactions`, { kind: 'heart' });
    await fac.client.api('POST', `/rooms/${short.id}/pins`, { messageId: doomed.id });
    await alice.client.api('POST', `/rooms/${short.id}/messages/${(await say(fac, short.id, 'report me')).id}/reports`, { reason: 'spam' });
    assert.equal(rows('c_room_messages', inRoom(short.id)), 3);
    assert.equal(rows('c_room_reactions', inRoom(short.id)), 1);
    assert.equal(rows('c_room_pins', inRoom(short.id)), 1);
    assert.equal(rows('c_room_reports', inRoom(short.id)), 1);

    // Two days later: the sweep deletes what a one-day room keeps, and nothing of a thirty-day room.
    const swept = await inst.parasol.ctx.store.sweepExpired(Date.now() + 2 * DAY);
    assert.ok(swept >= 6, `swept ${swept}`);
    assert.equal(rows('c_room_messages', inRoom(short.id)), 0);
    assert.equal(rows('c_room_reactions', inRoom(short.id)), 0);
    assert.equal(rows('c_room_pins', inRoom(short.id)), 0);
    assert.equal(rows('c_room_reports', inRoom(short.id)), 0);
    assert.equal(rows('c_room_messages', inRoom(long.id)), 1);
    assert.equal(rows('c_room_members', inRoom(short.id)), 2, 'memberships stay: only messages expire');
    const db = new Database(inst.dbFile, { readonly: true });
    try {
      const text = JSON.stringify(db.prepare('SELECT doc FROM c_room_messages').all());
      assert.ok(!text.includes('gone tomorrow'), 'the expired message is gone from the database');
      assert.ok(text.includes(kept.id), 'the message of the long-lived room is kept');
    } finally {
      db.close();
    }
  });

  it('hides expired messages at once, before any sweep', async () => {
    const room = await newRoom(fac, { retentionDays: 1 });
    const m = await say(fac, room.id, 'short lived');
    const { store } = inst.parasol.ctx;
    await store.collection(messagesCollection).patch(m.id, { expiresAt: Date.now() - 1 });
    const history = await fac.client.api('GET', `/rooms/${room.id}/messages`);
    assert.deepEqual(history.json.messages, []);
  });

  itReadsSqliteFile('deletes everything of a closed room from the database in one go', async () => {
    const room = await newRoom(fac, { listed: true });
    await invite(fac, room.id, alice);
    const bob = await member(inst, 'bob');
    await bob.client.api('POST', `/rooms/${room.id}/requests`, { note: 'me too' });
    await fac.client.api('POST', `/rooms/${room.id}/invites`, {});
    for (let i = 0; i < 5; i++) await say(i % 2 ? alice : fac, room.id, `message ${i}`);
    const m = await say(alice, room.id, 'pinned and reacted');
    await fac.client.api('POST', `/rooms/${room.id}/pins`, { messageId: m.id });
    await fac.client.api('POST', `/rooms/${room.id}/pins`, { title: 'Clinics', body: 'A list' });
    await fac.client.api('POST', `/rooms/${room.id}/messages/${m.id}/reactions`, { kind: 'strong' });
    await fac.client.api('POST', `/rooms/${room.id}/messages/${m.id}/reports`, { reason: 'other' });
    const tables = ['c_room_messages', 'c_room_members', 'c_room_requests', 'c_room_invites', 'c_room_pins', 'c_room_reactions', 'c_room_reports'];
    for (const table of tables) assert.ok(rows(table, inRoom(room.id)) > 0, table);

    assert.equal((await alice.client.api('DELETE', `/rooms/${room.id}`)).status, 403);
    assert.equal((await fac.client.api('DELETE', `/rooms/${room.id}`)).status, 204);
    for (const table of tables) assert.equal(rows(table, inRoom(room.id)), 0, table);
    assert.equal(rows('c_rooms', `WHERE id = '${room.id}'`), 0);
    assert.equal((await fac.client.api('GET', `/rooms/${room.id}`)).status, 404);
  });
});
