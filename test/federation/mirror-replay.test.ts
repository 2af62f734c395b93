import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apFollowsCollection, apRemoteTombstonesCollection, federationCollections } from '../../federation/federation.collections.js';
import { RemoteMirror } from '../../federation/remote-boards/mirror.js';
import { createLogger } from '../../server/logger.js';
import type { Store } from '../../server/store/port.js';
import { openSqliteStore } from '../../server/store/sqlite.adapter.js';

const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';
const group = 'https://a.example/ap/b/general';
const author = 'https://a.example/ap/u/ana';
const thread = 'https://a.example/ap/o/thread';
const reply = 'https://a.example/ap/o/reply';

const page = (html: string, updated?: string) => ({
  id: thread,
  type: 'Page',
  name: 'A thread',
  content: html,
  attributedTo: author,
  audience: group,
  to: [PUBLIC],
  published: '2026-12-01T10:00:00Z',
  ...(updated ? { updated } : {}),
});
const note = (html: string) => ({ id: reply, type: 'Note', content: html, inReplyTo: thread, context: thread, attributedTo: author, audience: group, to: [PUBLIC], published: '2026-12-01T10:05:00Z' });
let n = 0;
const announced = (inner: Record<string, unknown>) => ({ id: `${group}/announce/${++n}`, type: 'Announce', actor: group, to: [PUBLIC], object: inner });
const create = (object: Record<string, unknown>) => announced({ id: `${object.id as string}/create`, type: 'Create', actor: author, audience: group, to: [PUBLIC], object });
const update = (object: Record<string, unknown>) => announced({ id: `${object.id as string}/update/${++n}`, type: 'Update', actor: author, audience: group, to: [PUBLIC], object });
const remove = (iri: string) => announced({ id: `${iri}/delete/${++n}`, type: 'Delete', actor: group, audience: group, to: [PUBLIC], object: iri });

/**
 * A catch-up replays a followed board's outbox oldest first, and deliveries
 * can arrive in any order: the mirror must end where the board is, never
 * bring back what was removed or an older text over an edit.
 */
describe('a mirrored board replayed or delivered out of order', () => {
  let dir: string;
  let store: Store;
  let mirror: RemoteMirror;

  const kept = async () => (await mirror.threads(group)).threads.map((t) => ({ html: t.html, replies: t.replies.map((r) => r.html) }));

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'parasol-mirror-'));
    store = await openSqliteStore({ path: path.join(dir, 'mirror.sqlite') });
    await store.declare(federationCollections);
    const now = Date.now();
    await store.collection(apFollowsCollection).insert({ id: 'f1', localActor: 'https://b.example/ap/instance', remoteActor: group, followId: 'https://b.example/ap/f1', state: 'accepted', createdAt: now, updatedAt: now });
    mirror = new RemoteMirror({ store, logger: createLogger('silent'), fetchObject: async () => null, followingActors: ['https://b.example/ap/instance'], proofKeys: async () => null });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps an edit when the first Create is replayed, and applies only a newer Update', async () => {
    await mirror.receive(create(page('<p>first</p>')));
    await mirror.receive(update(page('<p>edited</p>', '2026-12-01T11:00:00Z')));
    await mirror.receive(create(page('<p>first</p>')));
    assert.deepEqual(await kept(), [{ html: '<p>edited</p>', replies: [] }]);
    await mirror.receive(update(page('<p>an older edit</p>', '2026-12-01T10:30:00Z')));
    assert.deepEqual(await kept(), [{ html: '<p>edited</p>', replies: [] }]);
    await mirror.receive(update(page('<p>edited again</p>', '2026-12-01T12:00:00Z')));
    assert.deepEqual(await kept(), [{ html: '<p>edited again</p>', replies: [] }]);
  });

  it('does not bring back a removed reply or thread, nor the replies of a removed thread', async () => {
    await mirror.receive(create(page('<p>first</p>')));
    await mirror.receive(create(note('<p>a reply</p>')));
    assert.deepEqual(await kept(), [{ html: '<p>first</p>', replies: ['<p>a reply</p>'] }]);
    await mirror.receive(remove(reply));
    await mirror.receive(create(note('<p>a reply</p>')));
    assert.deepEqual(await kept(), [{ html: '<p>first</p>', replies: [] }]);
    await mirror.receive(remove(thread));
    await mirror.receive(create(page('<p>first</p>')));
    await mirror.receive(update(page('<p>edited</p>', '2026-12-02T10:00:00Z')));
    await mirror.receive(create({ ...note('<p>another reply</p>'), id: `${reply}-2` }));
    assert.deepEqual(await kept(), []);
  });

  it('drops a Create whose Delete came first', async () => {
    await mirror.receive(remove(reply));
    await mirror.receive(create(page('<p>first</p>')));
    await mirror.receive(create(note('<p>late reply</p>')));
    assert.deepEqual(await kept(), [{ html: '<p>first</p>', replies: [] }]);
  });

  it('keeps only the removed IRI, for a bounded time', async () => {
    await mirror.receive(create(page('<p>private words</p>')));
    await mirror.receive(remove(thread));
    const rows = await store.collection(apRemoteTombstonesCollection).find({ limit: 10 });
    assert.equal(rows.items.length, 1);
    const [tombstone] = rows.items;
    assert.equal(tombstone!.id, thread);
    assert.ok(!JSON.stringify(tombstone).includes('private words'), 'no text of the post is kept');
    assert.ok(tombstone!.expiresAt > Date.now() && tombstone!.expiresAt < Date.now() + 400 * 24 * 3_600_000, 'it expires within about a year');
  });
});
