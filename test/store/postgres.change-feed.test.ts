/**
 * The change feed between processes on one PostgreSQL (server/store/postgres/change-feed.ts), on a real server
 * named by POSTGRES_URL, in a schema of its own. What several processes see through it over HTTP is in
 * test/cluster/three-processes.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { defineCollection, type Store } from '../../server/store/port.js';
import { openPostgresStore } from '../../server/store/postgres.adapter.js';
import { ChangeFeed, type ForeignWriteHook } from '../../server/store/postgres/change-feed.js';
import { databaseScope } from '../../server/store/postgres/scope.js';

const url = process.env.POSTGRES_URL;
/** Long enough for a loaded 2-core machine; nothing waits for it unless something is wrong. */
const WAIT_MS = 10_000;

interface NoteDoc {
  id: string;
  kind: string;
  text: string;
}
const notes = defineCollection<NoteDoc>({ name: 'feed_notes', fields: { kind: 'string' }, indexes: [{ fields: ['kind'] }] });

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A hook that counts what a feed reports, and lets the test look as a cache would. */
function countingHook(): ForeignWriteHook & { count: number; named: (readonly string[] | null)[]; look(): void } {
  let looks: (() => void)[] = [];
  const hook = {
    count: 0,
    /** The collections each report named (null: any). */
    named: [] as (readonly string[] | null)[],
    seen: (collections?: readonly string[] | null) => {
      hook.count++;
      hook.named.push(collections ?? null);
    },
    register: (look: () => void) => {
      looks.push(look);
      return () => {
        looks = looks.filter((l) => l !== look);
      };
    },
    look: () => looks.forEach((l) => l()),
  };
  return hook;
}

describe('PostgreSQL change feed', function () {
  this.timeout(60_000);
  let schema: string;
  let schemaUrl: string;
  let scope: string;
  const pools: pg.Pool[] = [];
  const feeds: ChangeFeed[] = [];
  const clients: pg.Client[] = [];
  let store: Store;

  before(async function () {
    if (url === undefined) {
      console.log('    PostgreSQL change feed skipped: POSTGRES_URL is unset (e.g. postgres://parasol:parasol@127.0.0.1:5432/parasol_test)');
      this.skip();
    }
    schema = `parasol_feed_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const parsed = new URL(url);
    parsed.searchParams.set('options', `-c search_path=${schema}`);
    schemaUrl = parsed.toString();
    store = await openPostgresStore({ url: schemaUrl });
    await store.declare([notes]);
    scope = await databaseScope(openPool());
  });

  after(async function () {
    if (url === undefined) return;
    for (const feed of feeds.splice(0)) await feed.close();
    for (const client of clients.splice(0)) await client.end().catch(() => undefined);
    for (const pool of pools.splice(0)) await pool.end();
    await store.close();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  });

  function openPool(): pg.Pool {
    const pool = new pg.Pool({ connectionString: schemaUrl, max: 2 });
    pools.push(pool);
    return pool;
  }

  /** Every notification on the database's changes channel, as a raw listener (another process) gets it. */
  async function listen(): Promise<string[]> {
    const client = new pg.Client({ connectionString: schemaUrl });
    clients.push(client);
    await client.connect();
    const heard: string[] = [];
    client.on('notification', (message) => heard.push(message.payload ?? ''));
    await client.query(`LISTEN "parasol_changes_${scope}"`);
    return heard;
  }

  async function startFeed(hook: ForeignWriteHook, extra: { boundMs?: number; now?: () => number } = {}): Promise<ChangeFeed> {
    const feed = new ChangeFeed(openPool(), { url: schemaUrl, scope, hook, boundMs: extra.boundMs ?? 1e9, ...(extra.now ? { now: extra.now } : {}) });
    feeds.push(feed);
    await feed.start();
    return feed;
  }

  /** Waits until the feed has heard everything committed before now. */
  async function settled(feed: ChangeFeed): Promise<void> {
    const now = Date.now();
    await until('a ping sent after now to come back', () => feed.heardUpTo() >= now);
  }

  it('announces every committed write with its collection and ids, never a field, and a rolled-back transaction not at all', async () => {
    const heard = await listen();
    const col = store.collection(notes);
    await col.insert({ id: 'n1', kind: 'secret', text: 'words a member wrote' });
    await col.patch('n1', { text: 'other words a member wrote' });
    await col.patch('missing', { text: 'nothing to patch' });
    await store.transaction(async (tx) => {
      await tx.collection(notes).insert({ id: 'n2', kind: 'secret', text: 'in a transaction' });
      await tx.collection(notes).insert({ id: 'n3', kind: 'secret', text: 'in a transaction' });
    });
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.collection(notes).insert({ id: 'n4', kind: 'secret', text: 'rolled back' });
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    await col.deleteWhere({ kind: 'secret' });
    // Notifications arrive in commit order: once the last write's is here, any earlier one would be too.
    await until('the last write to be announced', () => heard.some((p) => p.includes('"feed_notes":[]')));
    const written = heard.map((p) => (JSON.parse(p) as { w: Record<string, string[]> }).w);
    assert.deepEqual(written, [{ feed_notes: ['n1'] }, { feed_notes: ['n1'] }, { feed_notes: ['n2', 'n3'] }, { feed_notes: [] }]);
    for (const payload of heard) {
      assert.doesNotMatch(payload, /wrote|transaction|rolled|secret|text|kind/, `only ids: ${payload}`);
      assert.deepEqual(Object.keys(JSON.parse(payload) as object).sort(), ['o', 'w']);
    }
  });

  it('tells a process of another process’s writes and the collections they were to, and never of its own', async () => {
    const mine = countingHook();
    const theirs = countingHook();
    const feed = await startFeed(mine);
    const other = await startFeed(theirs);
    mine.look();
    theirs.look();
    await settled(feed);
    await settled(other);
    const [before, otherBefore] = [mine.count, theirs.count];
    await other.announce('feed_notes', 'x1');
    await settled(feed);
    assert.equal(mine.count, before + 1, 'the other process’s write was heard');
    assert.deepEqual(mine.named.at(-1), ['feed_notes'], 'with the collection it wrote');
    await feed.announce('feed_notes', 'x2');
    await settled(feed);
    await settled(other);
    assert.equal(mine.count, before + 1, 'its own write is not news to a process');
    assert.equal(theirs.count, otherBefore + 1);
  });

  it('cannot vouch past the bound without a ping back, and vouches again once one returns', async () => {
    let now = 1_000_000;
    const hook = countingHook();
    const feed = await startFeed(hook, { boundMs: 100, now: () => now });
    hook.look();
    await until('a first ping to come back', () => feed.vouches());
    const before = hook.count;
    hook.look();
    assert.equal(hook.count, before, 'within the bound, what is kept stays');
    now += 101;
    hook.look();
    assert.equal(hook.count, before + 1, 'past the bound, everything kept is dropped');
    await until('a ping sent at the new time to come back', () => feed.vouches());
    hook.look();
    assert.equal(hook.count, before + 1);
  });

  it('listens again after its connection is cut, dropping what it keeps for what it may have missed', async () => {
    const mine = countingHook();
    const theirs = countingHook();
    const feed = await startFeed(mine);
    const other = await startFeed(theirs);
    mine.look();
    await settled(feed);
    const before = mine.count;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    // Only this test's feeds carry this schema's scope in their name.
    const cut = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`parasol-changes-${scope}`]);
    await admin.end();
    assert.ok((cut.rowCount ?? 0) >= 2, 'both listening connections were cut');
    await until('the loss to be noticed', () => mine.count > before);
    assert.equal(feed.vouches(), false, 'no vouching without a connection');
    mine.look();
    await until('the feed to listen and vouch again', () => feed.vouches());
    const reconnected = mine.count;
    await until('the other feed to listen again', () => {
      theirs.look();
      return other.vouches();
    });
    await other.announce('feed_notes', 'x3');
    await settled(feed);
    assert.equal(mine.count, reconnected + 1, 'a write after the reconnection is heard');
  });
});
