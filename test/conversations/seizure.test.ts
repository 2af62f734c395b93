/**
 * A seized copy of the data directory (the database with its -wal and -shm, the log) must not list who talks
 * to whom: no conversation row, live or left in the raw bytes, names an account or sits beside one, and a
 * waiting request shows its recipient only, never its sender. A control plants a link in a copy of the rows and
 * shows the check finds it.
 */
import assert from 'node:assert/strict';
import { itReadsSqliteFile } from '../helpers/test-database.js';
import { member, type Person } from '../helpers/people.js';
import { accountSideValues, accountsIn, blindedBesideAccount, blindedValues, describeFindings, namesInAnonymousRows, needlesOf } from '../privacy/attacker.js';
import { documentsInBytes, toRow, type SeizedRow } from '../privacy/seized-rows.js';
import { makeDirs, removeDirs, seizeStopped, startSeizable } from '../privacy/scenario.js';
import type { Seized } from '../privacy/seizure.js';
import { acceptOnly, becomeBuddies, inbox, openToEveryone, say, start } from './helpers.js';
import { apiWithPhotos } from '../media/helpers.js';
import { noisyPixels } from '../media/fixtures.js';

const CONVERSATION_TABLES = ['conversations', 'conversation_participants', 'conversation_messages', 'conversation_vaults'];

describe('a seized server does not list who talks to whom', function () {
  this.timeout(120_000);
  let dirs: ReturnType<typeof makeDirs>;
  let rows: SeizedRow[];
  let seized: Seized;
  let people: Record<'ana' | 'bea' | 'cat' | 'dan', Person>;

  before(async function () {
    dirs = makeDirs();
    const inst = await startSeizable(dirs.dataDir, dirs.secretFile);
    try {
      people = { ana: await member(inst, 'ana'), bea: await member(inst, 'bea'), cat: await member(inst, 'cat'), dan: await member(inst, 'dan') };
      const { ana, bea, cat, dan } = people;
      for (const p of [ana, bea, cat, dan]) await openToEveryone(p);
      const pairId = await start(ana, [bea], 'first words in private');
      await acceptOnly(bea);
      await say(bea, pairId, 'a reply in private');
      const photo = { bytes: await (await noisyPixels(64, 48, 8)).jpeg().toBuffer() };
      const sent = await apiWithPhotos(ana.client, `/conversations/${pairId}/messages`, { body: 'a photo in private' }, [photo], { alt: 'a private picture' });
      assert.equal(sent.status, 201, sent.text);
      const groupId = await start(cat, [ana, bea], 'a small group');
      for (const p of [ana, bea]) await acceptOnly(p);
      await say(ana, groupId, 'group talk');
      const gone = await say(bea, groupId, 'deleted soon');
      assert.equal((await bea.client.api('DELETE', `/conversations/${groupId}/messages/${gone.id}`)).status, 204);
      assert.equal((await cat.client.api('POST', `/conversations/${groupId}/leave`)).status, 204);
      // A request left waiting: only its recipient (dan) may be in the clear.
      await start(ana, [dan], 'waiting for an answer');
      await becomeBuddies(cat, dan);
      await start(dan, [cat], 'buddies talk');
      assert.equal((await inbox(cat)).conversations.length, 1);
    } finally {
      await inst.close();
    }
    ({ rows, seized } = await seizeStopped(dirs.dataDir));
  });
  after(async () => {
    if (dirs) await removeDirs(dirs);
  });

  const needles = () => [...needlesOf(accountsIn(rows)), ...accountSideValues(rows)];
  const links = (from: readonly SeizedRow[]) => [...namesInAnonymousRows(from, needles(), new Set()), ...blindedBesideAccount(from, needles(), blindedValues(rows))];
  const inTables = (tables: readonly string[]) => rows.filter((r) => tables.includes(r.table));

  it('left in the data what the checks look at', () => {
    const count = (table: string) => rows.filter((r) => r.table === table).length;
    assert.equal(count('conversations'), 4);
    assert.equal(count('conversation_participants'), 7);
    assert.ok(count('conversation_messages') >= 6, 'messages');
    assert.equal(count('conversation_vaults'), 4);
    assert.equal(count('conversation_requests'), 1);
  });

  it('no conversation, seat, message or vault names an account or sits beside one', () => {
    const findings = links(inTables(CONVERSATION_TABLES));
    assert.deepEqual(findings, [], describeFindings(findings));
  });

  it('a message’s photo is stored under the message’s id only: neither its record nor its file rows name an account or sit beside one', () => {
    const photos = inTables(['media_photos']).filter((r) => r.doc.contextKind === 'conversation_message');
    assert.equal(photos.length, 1);
    const messageIds = new Set(inTables(['conversation_messages']).map((r) => r.id));
    assert.ok(messageIds.has(String(photos[0]!.doc.contextId)), 'its context is the message');
    const files = rows.filter((r) => r.table.includes('media_blobs') && r.text.includes(String(photos[0]!.doc.contextId)));
    assert.ok(files.length >= 2, `the file rows of both variants (${files.length} found)`);
    const findings = links([...photos, ...files]);
    assert.deepEqual(findings, [], describeFindings(findings));
  });

  it('a waiting request names its recipient only: the sender and the conversation are sealed', () => {
    const { ana, dan } = people;
    const [request] = inTables(['conversation_requests']);
    assert.equal(request!.doc.recipientId, dan.id);
    for (const absent of [ana.id, ana.handle, 'waiting for an answer', ...inTables(['conversations']).map((r) => r.id)]) {
      assert.ok(!request!.text.includes(absent), `the request shows ${absent}`);
    }
    assert.deepEqual(Object.keys(request!.doc).filter((k) => !k.startsWith('x_')).sort(), ['createdAt', 'expiresAt', 'id', 'recipientId', 'sealed'], 'besides the index columns');
    assert.equal(Number(request!.doc.createdAt) % 86_400_000, 0, 'kept to the UTC day');
    assert.equal(Number(request!.doc.expiresAt) % 86_400_000, 0, 'its lapse too');
    // No instant of the request (to the millisecond) is found in a conversation, seat or message.
    const instants = new Set(request!.numbers.map(([, n]) => n).filter((n) => n % 86_400_000 !== 0));
    const shared = inTables(CONVERSATION_TABLES).flatMap((r) => r.numbers.filter(([, n]) => instants.has(n)).map(([p]) => `${r.table}.${p}`));
    assert.deepEqual(shared, []);
  });

  itReadsSqliteFile('nothing in the raw bytes of the database, its -wal and -shm, or the log ties an account to a conversation', async () => {
    const tables = new Map(rows.map((r) => [r.id, r.table]));
    const inBytes = documentsInBytes(seized, (id) => tables.get(id));
    const conversationDocs = inBytes.filter((r) => CONVERSATION_TABLES.includes(r.table) || 'conversationId' in r.doc || 'box' in r.doc);
    assert.ok(conversationDocs.length >= 10, `found ${conversationDocs.length} conversation documents in the bytes`);
    const findings = links(conversationDocs);
    assert.deepEqual(findings, [], describeFindings(findings));
    const { ana } = people;
    const requestDocs = inBytes.filter((r) => 'recipientId' in r.doc);
    assert.ok(requestDocs.length >= 1, 'the waiting request is in the bytes');
    for (const doc of requestDocs) assert.ok(!doc.text.includes(ana.id) && !doc.text.includes(ana.handle), `${doc.file}: a request shows its sender`);
    assert.ok(![...seized.files.values()].some((bytes) => bytes.includes('deleted soon')), 'a deleted message is gone from the bytes');
  });

  it('control: the check finds a handle planted beside a participant', () => {
    const seat = inTables(['conversation_participants'])[0]!;
    const planted = toRow('conversation_participants', { ...seat.doc, note: people.bea.handle });
    assert.ok(links([planted]).length > 0, 'the planted link is found');
  });
});
