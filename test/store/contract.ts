/**
 * The storage port's contract, run against every adapter. Each test gets a
 * fresh, empty store from makeStore and closes it afterwards.
 */
import assert from 'node:assert/strict';
import {
  defineCollection,
  DuplicateKeyError,
  InvalidCursorError,
  StoreError,
  UnindexedQueryError,
  type Doc,
  type FindQuery,
  type Store,
} from '../../server/store/port.js';

export interface Post extends Doc {
  topicId: string;
  title: string;
  body?: string;
  score?: number | null;
  pinned?: boolean;
  views?: number;
  likes?: number;
}
export const posts = defineCollection<Post>({
  name: 'posts',
  fields: { topicId: 'string', score: 'number', pinned: 'boolean', views: 'number' },
  indexes: [{ fields: ['topicId', 'score'] }, { fields: ['pinned', 'topicId'] }],
  textFields: ['title', 'body'],
});

interface User extends Doc {
  handle?: string | null;
  server?: string;
  name?: string;
  age?: number;
}
const users = defineCollection<User>({
  name: 'users',
  fields: { handle: 'string', server: 'string', name: 'string', age: 'number' },
  indexes: [{ fields: ['handle'], unique: true }, { fields: ['server', 'name'], unique: true }, { fields: ['age'] }],
});

interface Session extends Doc {
  userId: string;
  expiresAt?: number;
  note?: string;
}
export const sessions = defineCollection<Session>({
  name: 'sessions',
  fields: { userId: 'string', expiresAt: 'number' },
  indexes: [{ fields: ['userId'] }],
  ttlField: 'expiresAt',
  textFields: ['note'],
});

interface Counter extends Doc {
  n?: number;
  m?: number;
}
const counters = defineCollection<Counter>({ name: 'counters', fields: {}, indexes: [] });

interface Board extends Doc {
  group: string;
  name: string;
  count?: number;
}
/** Read through documents kept in memory; three, so that the tests also read past what is kept. */
export const boards = defineCollection<Board>({ name: 'boards', fields: { group: 'string' }, indexes: [{ fields: ['group'] }], memoryCache: 3 });

export const contractSpecs = [posts, users, sessions, counters, boards];

const HOUR = 3_600_000;

async function rejectsWith(promise: Promise<unknown>, type: new (...args: never[]) => Error, message?: RegExp): Promise<Error> {
  let caught: unknown = null;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof type, `expected ${type.name}, got ${caught === null ? 'no error' : String(caught)}`);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Every page of a query, following the cursors. */
async function allPages<T extends Doc>(
  next: (after: string | null) => Promise<{ items: T[]; next: string | null }>,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const page = await next(after);
    pages += 1;
    assert.ok(pages < 100, 'pagination does not end');
    ids.push(...page.items.map((item) => item.id));
    after = page.next;
  } while (after !== null);
  return { ids, pages };
}

const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function runStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`store contract: ${name}`, function () {
    let store: Store;

    beforeEach(async function () {
      store = await makeStore();
      await store.declare(contractSpecs);
    });

    afterEach(async function () {
      await store.close();
    });

    describe('documents', function () {
      it('inserts and gets a document; a missing id is null', async function () {
        const doc = { id: 'p1', topicId: 't1', title: 'Hello', score: 3, pinned: false };
        assert.deepEqual(await store.collection(posts).insert(doc), doc);
        assert.deepEqual(await store.collection(posts).get('p1'), doc);
        assert.equal(await store.collection(posts).get('nope'), null);
      });

      it('returns fresh objects that callers may mutate', async function () {
        const coll = store.collection(posts);
        const inserted = await coll.insert({ id: 'p1', topicId: 't1', title: 'Hello' });
        inserted.title = 'changed by caller';
        const first = await coll.get('p1');
        assert.ok(first, 'the inserted document is read back');
        first.title = 'changed again';
        const page = await coll.find({ where: { topicId: 't1' }, orderBy: { field: 'score' } });
        assert.equal(page.items[0]?.title, 'Hello');
        assert.equal((await coll.get('p1'))?.title, 'Hello');
      });

      it('getMany returns the existing documents in the order of the ids', async function () {
        const coll = store.collection(posts);
        for (const id of ['a', 'b', 'c']) await coll.insert({ id, topicId: 't', title: id });
        assert.deepEqual((await coll.getMany(['c', 'missing', 'a', 'b'])).map((d) => d.id), ['c', 'a', 'b']);
        assert.deepEqual(await coll.getMany([]), []);
      });

      it('refuses a duplicate id and changes nothing', async function () {
        const coll = store.collection(posts);
        await coll.insert({ id: 'p1', topicId: 't1', title: 'first' });
        const error = await rejectsWith(coll.insert({ id: 'p1', topicId: 't2', title: 'second' }), DuplicateKeyError);
        assert.deepEqual((error as DuplicateKeyError).fields, ['id']);
        assert.equal((error as DuplicateKeyError).collection, 'posts');
        assert.equal((await coll.get('p1'))?.title, 'first');
        assert.equal(await coll.count({ topicId: 't2' }), 0);
      });

      it('refuses a taken unique value and inserts nothing', async function () {
        const coll = store.collection(users);
        await coll.insert({ id: 'u1', handle: 'ada' });
        const error = await rejectsWith(coll.insert({ id: 'u2', handle: 'ada' }), DuplicateKeyError);
        assert.deepEqual((error as DuplicateKeyError).fields, ['handle']);
        assert.equal(await coll.get('u2'), null);
        assert.equal(await coll.count(), 1);
      });

      it('compares unique compound values only where every field holds a value', async function () {
        const coll = store.collection(users);
        await coll.insert({ id: 'u1', handle: null, server: 's', name: 'x' });
        await coll.insert({ id: 'u2', handle: null, server: 's' });
        await coll.insert({ id: 'u3', server: 's' });
        await coll.insert({ id: 'u4', name: 'x' });
        const error = await rejectsWith(coll.insert({ id: 'u5', server: 's', name: 'x' }), DuplicateKeyError);
        assert.deepEqual((error as DuplicateKeyError).fields, ['server', 'name']);
        assert.equal(await coll.count(), 4);
      });

      it('upserts: inserts, then replaces the whole document', async function () {
        const coll = store.collection(posts);
        await coll.upsert({ id: 'p1', topicId: 't1', title: 'one', score: 1 });
        const replaced = await coll.upsert({ id: 'p1', topicId: 't2', title: 'two' });
        assert.deepEqual(replaced, { id: 'p1', topicId: 't2', title: 'two' });
        assert.deepEqual(await coll.get('p1'), { id: 'p1', topicId: 't2', title: 'two' });
        assert.equal(await coll.count({ topicId: 't1' }), 0);
      });

      it('upsert refuses a unique clash and keeps the old document', async function () {
        const coll = store.collection(users);
        await coll.insert({ id: 'u1', handle: 'ada' });
        await coll.insert({ id: 'u2', handle: 'bob' });
        await rejectsWith(coll.upsert({ id: 'u2', handle: 'ada' }), DuplicateKeyError);
        assert.equal((await coll.get('u2'))?.handle, 'bob');
      });

      it('patches fields: undefined removes, null sets null; missing id is null', async function () {
        const coll = store.collection(posts);
        await coll.insert({ id: 'p1', topicId: 't1', title: 'one', score: 5, body: 'text' });
        const patched = await coll.patch('p1', { title: 'uno', body: undefined, score: null, views: 7 });
        assert.deepEqual(patched, { id: 'p1', topicId: 't1', title: 'uno', score: null, views: 7 });
        assert.deepEqual(await coll.get('p1'), patched);
        assert.equal(await coll.patch('missing', { title: 'x' }), null);
        assert.equal(await coll.get('missing'), null);
        assert.equal(await coll.count({ topicId: 't1' }), 1);
      });

      it('patch refuses a unique clash and changes nothing', async function () {
        const coll = store.collection(users);
        await coll.insert({ id: 'u1', handle: 'ada' });
        await coll.insert({ id: 'u2', handle: 'bob', age: 3 });
        await rejectsWith(coll.patch('u2', { handle: 'ada', age: 4 }), DuplicateKeyError);
        assert.deepEqual(await coll.get('u2'), { id: 'u2', handle: 'bob', age: 3 });
      });

      it('increments atomically, a missing field counting as 0', async function () {
        const coll = store.collection(counters);
        await coll.insert({ id: 'c', m: 10 });
        assert.deepEqual(await coll.increment('c', { n: 2, m: -3 }), { id: 'c', n: 2, m: 7 });
        await Promise.all(Array.from({ length: 50 }, () => coll.increment('c', { n: 1 })));
        assert.deepEqual(await coll.get('c'), { id: 'c', n: 52, m: 7 });
        assert.equal(await coll.increment('missing', { n: 1 }), null);
        assert.equal(await coll.get('missing'), null);
      });

      it('deletes by id', async function () {
        const coll = store.collection(posts);
        await coll.insert({ id: 'p1', topicId: 't', title: 'x' });
        assert.equal(await coll.delete('p1'), true);
        assert.equal(await coll.delete('p1'), false);
        assert.equal(await coll.get('p1'), null);
      });

      it('deleteWhere deletes the documents matching an index prefix', async function () {
        const coll = store.collection(posts);
        for (let i = 0; i < 5; i++) await coll.insert({ id: `a${i}`, topicId: 'a', title: 'x', score: i });
        for (let i = 0; i < 3; i++) await coll.insert({ id: `b${i}`, topicId: 'b', title: 'x', score: i });
        assert.equal(await coll.deleteWhere({ topicId: 'a' }), 5);
        assert.equal(await coll.count({ topicId: 'a' }), 0);
        assert.equal(await coll.count({ topicId: 'b' }), 3);
        assert.equal(await coll.deleteWhere({ topicId: 'b', score: 1 }), 1);
        assert.equal(await coll.count(), 2);
      });

      it('refuses a where that would silently widen: empty deleteWhere and undefined values', async function () {
        const coll = store.collection(posts);
        await coll.insert({ id: 'p1', topicId: 't', title: 'x' });
        await rejectsWith(coll.deleteWhere({}), StoreError);
        await rejectsWith(coll.deleteWhere({ topicId: undefined }), StoreError);
        await rejectsWith(coll.find({ where: { topicId: undefined }, orderBy: { field: 'score' } }), StoreError);
        assert.equal(await coll.count(), 1);
      });
    });

    describe("the database's clock", function () {
      it('tells the time in ms since the epoch, near this machine\'s, never going back', async function () {
        const before = Date.now();
        const first = await store.now();
        const second = await store.now();
        assert.ok(Number.isInteger(first), `an integer: ${first}`);
        // The database runs on this machine in the tests; a minute covers any load.
        assert.ok(Math.abs(first - before) < 60_000, `${first} is near ${before}`);
        assert.ok(second >= first, 'later calls tell a later time');
      });
    });

    describe('conditional patch (patchIf)', function () {
      it('patches only when the expected fields match, and says which happened', async function () {
        const coll = store.collection(posts);
        await coll.insert({ id: 'p1', topicId: 't1', title: 'open', score: 3 });
        assert.deepEqual(await coll.patchIf('p1', { title: 'open', score: 3 }, { title: 'alerted' }), { id: 'p1', topicId: 't1', title: 'alerted', score: 3 });
        assert.equal(await coll.patchIf('p1', { title: 'open' }, { title: 'again' }), null);
        assert.equal((await coll.get('p1'))?.title, 'alerted');
        assert.equal(await coll.patchIf('missing', {}, { title: 'x' }), null);
        assert.equal(await coll.get('missing'), null);
      });

      it('compares by type: null matches null and missing, true is not 1, "3" is not 3', async function () {
        const coll = store.collection(posts);
        await coll.insert({ id: 'p1', topicId: 't1', title: 'x', score: null, pinned: true, views: 3 });
        assert.ok(await coll.patchIf('p1', { score: null, body: null }, { likes: 1 }), 'null matches a null and a missing field');
        assert.equal(await coll.patchIf('p1', { pinned: 1 as unknown as boolean }, { likes: 2 }), null);
        assert.equal(await coll.patchIf('p1', { views: '3' as unknown as number }, { likes: 2 }), null);
        assert.equal(await coll.patchIf('p1', { pinned: null }, { likes: 2 }), null);
        assert.ok(await coll.patchIf('p1', { pinned: true, views: 3, id: 'p1' }, { likes: 2 }), 'equal values of the same type match');
        assert.equal((await coll.get('p1'))?.likes, 2);
      });

      it('lets exactly one of many concurrent callers win the same change', async function () {
        const coll = store.collection(posts);
        await coll.insert({ id: 'p1', topicId: 't1', title: 'open' });
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => coll.patchIf('p1', { title: 'open' }, { title: 'alerted', views: i })));
        assert.equal(results.filter((r) => r !== null).length, 1, 'one caller won');
        const winner = results.find((r) => r !== null);
        assert.deepEqual(await coll.get('p1'), winner);
      });

      it('removes fields given as undefined, and refuses an undefined expected value', async function () {
        const coll = store.collection(posts);
        await coll.insert({ id: 'p1', topicId: 't1', title: 'x', body: 'gone soon' });
        assert.deepEqual(await coll.patchIf('p1', { title: 'x' }, { body: undefined }), { id: 'p1', topicId: 't1', title: 'x' });
        await rejectsWith(coll.patchIf('p1', { title: undefined }, { title: 'y' }), StoreError);
        assert.equal((await coll.get('p1'))?.title, 'x');
      });

      it('does not see an expired document', async function () {
        const coll = store.collection(sessions);
        await coll.insert({ id: 's1', userId: 'u', expiresAt: Date.now() - HOUR });
        assert.equal(await coll.patchIf('s1', { userId: 'u' }, { note: 'x' }), null);
      });

      it('rolls back with its transaction', async function () {
        const coll = store.collection(posts);
        await coll.insert({ id: 'p1', topicId: 't1', title: 'open' });
        await assert.rejects(store.transaction(async (tx) => {
          assert.ok(await tx.collection(posts).patchIf('p1', { title: 'open' }, { title: 'alerted' }), 'matched inside the transaction');
          throw new Error('abort');
        }), /abort/);
        assert.equal((await coll.get('p1'))?.title, 'open');
      });
    });

    describe('find', function () {
      async function seedTopic(): Promise<void> {
        const coll = store.collection(posts);
        const scores = [3, 1, 2, 3, null, 1, 3, undefined, 2, 1, 3, null];
        for (const [i, score] of scores.entries()) {
          const id = `p${String(i).padStart(2, '0')}`;
          await coll.insert(score === undefined ? { id, topicId: 't', title: id } : { id, topicId: 't', title: id, score });
        }
        await coll.insert({ id: 'other', topicId: 'u', title: 'other', score: 2 });
      }

      /** The expected order: nulls/missing first ascending, last descending; ties by id in the same direction. */
      async function expectedOrder(direction: 'asc' | 'desc', keep: (score: number | null) => boolean = () => true): Promise<string[]> {
        const docs = (await store.collection(posts).find({ where: { topicId: 't' }, orderBy: { field: 'score' }, limit: 1000 })).items;
        const sorted = docs
          .filter((doc) => keep(doc.score ?? null))
          .sort((a, b) => {
            const sa = a.score ?? null;
            const sb = b.score ?? null;
            if (sa !== sb) return sa === null ? -1 : sb === null ? 1 : sa - sb;
            return byId(a, b);
          })
          .map((doc) => doc.id);
        return direction === 'asc' ? sorted : sorted.reverse();
      }

      it('without where or orderBy, pages through every document in id order', async function () {
        const coll = store.collection(posts);
        const ids = ['e', 'a', 'd', 'c', 'b', 'f', 'g'];
        for (const id of ids) await coll.insert({ id, topicId: 't', title: id });
        const { ids: seen, pages } = await allPages((after) => coll.find({ limit: 3, after }));
        assert.deepEqual(seen, [...ids].sort());
        assert.equal(pages, 3);
      });

      it('orders by the next index field, ascending and descending, ties by id', async function () {
        await seedTopic();
        const coll = store.collection(posts);
        const asc = await coll.find({ where: { topicId: 't' }, orderBy: { field: 'score' }, limit: 1000 });
        const scores = asc.items.map((d) => d.score ?? null);
        assert.deepEqual(scores, [null, null, null, 1, 1, 1, 2, 2, 3, 3, 3, 3]);
        assert.deepEqual(asc.items.map((d) => d.id), await expectedOrder('asc'));
        assert.equal(asc.next, null);
        const desc = await coll.find({ where: { topicId: 't' }, orderBy: { field: 'score', direction: 'desc' }, limit: 1000 });
        assert.deepEqual(desc.items.map((d) => d.id), await expectedOrder('desc'));
      });

      it('limits a page and says whether there is a next one', async function () {
        await seedTopic();
        const coll = store.collection(posts);
        const page = await coll.find({ where: { topicId: 't' }, orderBy: { field: 'score' }, limit: 5 });
        assert.equal(page.items.length, 5);
        assert.equal(typeof page.next, 'string');
        const all = await coll.find({ where: { topicId: 't' }, orderBy: { field: 'score' }, limit: 12 });
        assert.equal(all.items.length, 12);
        assert.equal(all.next, null);
        const defaultLimit = await coll.find({ where: { topicId: 't' }, orderBy: { field: 'score' } });
        assert.equal(defaultLimit.items.length, 12);
      });

      for (const direction of ['asc', 'desc'] as const) {
        for (const limit of [1, 2, 3, 5]) {
          it(`paginates over ties and nulls without duplicates or gaps (${direction}, limit ${limit})`, async function () {
            await seedTopic();
            const coll = store.collection(posts);
            const { ids } = await allPages((after) =>
              coll.find({ where: { topicId: 't' }, orderBy: { field: 'score', direction }, limit, after }),
            );
            assert.deepEqual(ids, await expectedOrder(direction));
          });
        }
      }

      it('bounds the order field with a range, also across pages', async function () {
        await seedTopic();
        const coll = store.collection(posts);
        const base = { where: { topicId: 't' }, orderBy: { field: 'score' } } as const;
        const ge2 = await coll.find({ ...base, range: { gte: 2 }, limit: 100 });
        assert.deepEqual(ge2.items.map((d) => d.id), await expectedOrder('asc', (s) => s !== null && s >= 2));
        const between = await coll.find({ ...base, range: { gt: 1, lte: 2 }, limit: 100 });
        assert.deepEqual(between.items.map((d) => d.score), [2, 2]);
        const lt3 = await coll.find({ ...base, range: { lt: 3 }, limit: 100 });
        assert.deepEqual(lt3.items.map((d) => d.score), [1, 1, 1, 2, 2]);
        for (const direction of ['asc', 'desc'] as const) {
          const { ids } = await allPages((after) =>
            coll.find({ where: { topicId: 't' }, orderBy: { field: 'score', direction }, range: { gte: 1, lt: 3 }, limit: 2, after }),
          );
          assert.deepEqual(ids, await expectedOrder(direction, (s) => s !== null && s >= 1 && s < 3));
        }
      });

      it('matches booleans and a where covering a whole index orders by id', async function () {
        const coll = store.collection(posts);
        await coll.insert({ id: 'c', topicId: 't', title: 'x', pinned: true });
        await coll.insert({ id: 'a', topicId: 't', title: 'x', pinned: true });
        await coll.insert({ id: 'b', topicId: 't', title: 'x', pinned: false });
        await coll.insert({ id: 'd', topicId: 'u', title: 'x', pinned: true });
        const page = await coll.find({ where: { topicId: 't', pinned: true } });
        assert.deepEqual(page.items.map((d) => d.id), ['a', 'c']);
        const byPinned = await coll.find({ where: { pinned: false }, orderBy: { field: 'topicId' } });
        assert.deepEqual(byPinned.items.map((d) => d.id), ['b']);
      });

      it('a null in where matches null and missing values', async function () {
        await seedTopic();
        const page = await store.collection(posts).find({ where: { topicId: 't', score: null }, limit: 100 });
        assert.deepEqual(page.items.map((d) => d.id), ['p04', 'p07', 'p11']);
      });

      it('refuses queries that no index serves', async function () {
        const coll = store.collection(posts);
        await coll.insert({ id: 'p1', topicId: 't', title: 'x', score: 1, views: 2 });
        const refused: FindQuery<Post>[] = [
          { where: { views: 2 } },
          { where: { title: 'x' } },
          { where: { score: 1 } },
          { where: { topicId: 't' } },
          { where: { topicId: 't' }, orderBy: { field: 'views' } },
          { where: { topicId: 't' }, orderBy: { field: 'pinned' } },
          { orderBy: { field: 'score' } },
          { where: { topicId: 't', score: 1 }, orderBy: { field: 'score' } },
        ];
        for (const query of refused) await rejectsWith(coll.find(query), UnindexedQueryError);
        await rejectsWith(coll.findOne({ views: 2 }), UnindexedQueryError);
        await rejectsWith(coll.count({ score: 1 }), UnindexedQueryError);
        await rejectsWith(coll.deleteWhere({ views: 2 }), UnindexedQueryError);
        assert.equal(await coll.count(), 1);
      });

      it('accepts a where in any field order and orderBy topicId after pinned', async function () {
        const coll = store.collection(posts);
        await coll.insert({ id: 'p1', topicId: 't', title: 'x', score: 1, pinned: true });
        assert.equal((await coll.find({ where: { score: 1, topicId: 't' } })).items.length, 1);
        assert.equal((await coll.find({ orderBy: { field: 'pinned' } })).items.length, 1);
        assert.equal((await coll.find({ where: { id: 'p1' } })).items.length, 1);
      });

      it('refuses invalid cursors and limits', async function () {
        const coll = store.collection(posts);
        const query = { where: { topicId: 't' }, orderBy: { field: 'score' } } as const;
        const garbage = ['!!!', 'not a cursor', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1]').toString('base64url'),
          Buffer.from('["x","id"]').toString('base64url'), 'x'.repeat(10_000), ''];
        for (const after of garbage) await rejectsWith(coll.find({ ...query, after }), InvalidCursorError);
        for (const limit of [0, -1, 1001, 1.5, Number.NaN]) await rejectsWith(coll.find({ ...query, limit }), StoreError);
      });

      it('findOne returns the first match in index order, or null', async function () {
        await seedTopic();
        const coll = store.collection(posts);
        assert.equal((await coll.findOne({ topicId: 't' }))?.id, 'p04');
        assert.equal((await coll.findOne({ topicId: 't', score: 3 }))?.id, 'p00');
        assert.equal(await coll.findOne({ topicId: 'none' }), null);
        assert.equal((await store.collection(users).insert({ id: 'u1', handle: 'ada' })).id, 'u1');
        assert.equal((await store.collection(users).findOne({ handle: 'ada' }))?.id, 'u1');
      });

      it('counts all documents or those matching an index prefix', async function () {
        await seedTopic();
        const coll = store.collection(posts);
        assert.equal(await coll.count(), 13);
        assert.equal(await coll.count({}), 13);
        assert.equal(await coll.count({ topicId: 't' }), 12);
        assert.equal(await coll.count({ topicId: 't', score: 3 }), 4);
        assert.equal(await coll.count({ topicId: 'none' }), 0);
      });
    });

    describe('search', function () {
      async function seed(): Promise<void> {
        const coll = store.collection(posts);
        await coll.insert({ id: 's1', topicId: 'a', title: 'The quick brown fox', body: 'jumps over', score: 1 });
        await coll.insert({ id: 's2', topicId: 'a', title: 'Quick red fox', body: 'sleeps', score: 2 });
        await coll.insert({ id: 's3', topicId: 'b', title: 'Lazy dog', body: 'a quick nap by the fox', score: 3 });
        await coll.insert({ id: 's4', topicId: 'b', title: 'Café crème', body: 'Über naïve', score: 4 });
      }
      const ids = (page: { items: Doc[] }): string[] => page.items.map((d) => d.id).sort();

      it('requires every word (AND), across text fields, ignoring case', async function () {
        await seed();
        const coll = store.collection(posts);
        assert.deepEqual(ids(await coll.search('quick fox')), ['s1', 's2', 's3']);
        assert.deepEqual(ids(await coll.search('QUICK brown')), ['s1']);
        assert.deepEqual(ids(await coll.search('fox sleeps')), ['s2']);
        assert.deepEqual(ids(await coll.search('fox unicorn')), []);
        assert.deepEqual(ids(await coll.search('  quick,  "fox"! ')), ['s1', 's2', 's3']);
      });

      it('ignores diacritics', async function () {
        await seed();
        const coll = store.collection(posts);
        assert.deepEqual(ids(await coll.search('cafe creme')), ['s4']);
        assert.deepEqual(ids(await coll.search('uber NAIVE')), ['s4']);
        assert.deepEqual(ids(await coll.search('café')), ['s4']);
      });

      it('filters with where, orders newest first by default, and paginates', async function () {
        await seed();
        const coll = store.collection(posts);
        assert.deepEqual(ids(await coll.search('fox', { where: { topicId: 'a' } })), ['s1', 's2']);
        const byScore = await coll.search('fox', { orderBy: { field: 'score' } });
        assert.deepEqual(byScore.items.map((d) => d.id), ['s3', 's2', 's1']);
        const defaultOrder = await coll.search('fox');
        assert.deepEqual(defaultOrder.items.map((d) => d.id), ['s3', 's2', 's1']);
        const asc = await coll.search('fox', { orderBy: { field: 'score', direction: 'asc' } });
        assert.deepEqual(asc.items.map((d) => d.id), ['s1', 's2', 's3']);
        const { ids: paged } = await allPages((after) => coll.search('fox', { orderBy: { field: 'score' }, limit: 1, after }));
        assert.deepEqual(paged, ['s3', 's2', 's1']);
        await rejectsWith(coll.search('fox', { orderBy: { field: 'views' } }), UnindexedQueryError);
        await rejectsWith(coll.search('fox', { after: 'garbage!' }), InvalidCursorError);
      });

      it('follows patches and deletes', async function () {
        await seed();
        const coll = store.collection(posts);
        await coll.patch('s1', { title: 'A slow turtle' });
        await coll.increment('s2', { views: 1 });
        await coll.delete('s3');
        assert.deepEqual(ids(await coll.search('fox')), ['s2']);
        assert.deepEqual(ids(await coll.search('turtle')), ['s1']);
        await coll.upsert({ id: 's2', topicId: 'a', title: 'Now about otters' });
        assert.deepEqual(ids(await coll.search('fox')), []);
        assert.deepEqual(ids(await coll.search('otters')), ['s2']);
      });

      describe('scripts written without spaces', function () {
        async function seedUnspaced(): Promise<void> {
          const coll = store.collection(posts);
          await coll.insert({ id: 'zh', topicId: 'a', title: '我们在学习中文', score: 1 });
          await coll.insert({ id: 'th', topicId: 'a', title: 'ภาษาไทยเป็นภาษาที่สวยงาม', score: 2 });
          await coll.insert({ id: 'my', topicId: 'a', title: 'ကျွန်တော်မြန်မာစာဖတ်နေတယ်', score: 3 });
          await coll.insert({ id: 'ja', topicId: 'b', title: '東京で寿司を食べました', body: '私は日本語を勉強しています', score: 4 });
          await coll.insert({ id: 'mix', topicId: 'b', title: 'Parasol论坛', body: 'Support小组 meets on 星期五。Café!', score: 5 });
        }

        it('finds a word inside a Chinese, Thai, Burmese or Japanese sentence', async function () {
          await seedUnspaced();
          const coll = store.collection(posts);
          assert.deepEqual(ids(await coll.search('中文')), ['zh']);
          assert.deepEqual(ids(await coll.search('学习')), ['zh']);
          assert.deepEqual(ids(await coll.search('ภาษาไทย')), ['th']);
          assert.deepEqual(ids(await coll.search('สวยงาม')), ['th']);
          assert.deepEqual(ids(await coll.search('မြန်မာ')), ['my']);
          assert.deepEqual(ids(await coll.search('ဖတ်')), ['my']);
          assert.deepEqual(ids(await coll.search('寿司')), ['ja']);
          assert.deepEqual(ids(await coll.search('日本語')), ['ja']);
          assert.deepEqual(ids(await coll.search('東京 勉強')), ['ja']);
        });

        it('finds words of mixed Latin and CJK text, with the query spaced or not', async function () {
          await seedUnspaced();
          const coll = store.collection(posts);
          assert.deepEqual(ids(await coll.search('论坛')), ['mix']);
          assert.deepEqual(ids(await coll.search('parasol')), ['mix']);
          assert.deepEqual(ids(await coll.search('Parasol论坛')), ['mix']);
          assert.deepEqual(ids(await coll.search('support 小组 星期五')), ['mix']);
          assert.deepEqual(ids(await coll.search('cafe')), ['mix']);
          assert.deepEqual(ids(await coll.search('学习中文')), ['zh']);
        });

        it('still requires every word (AND)', async function () {
          await seedUnspaced();
          const coll = store.collection(posts);
          assert.deepEqual(ids(await coll.search('英文')), []);
          assert.deepEqual(ids(await coll.search('学习 英文')), []);
          assert.deepEqual(ids(await coll.search('学习英文')), []);
          assert.deepEqual(ids(await coll.search('中文 日本語')), []);
          assert.deepEqual(ids(await coll.search('ภาษาอังกฤษ')), []);
          assert.deepEqual(ids(await coll.search('parasol 中文')), []);
        });

        it('re-indexes on patch and upsert, and forgets deleted documents', async function () {
          await seedUnspaced();
          const coll = store.collection(posts);
          await coll.patch('zh', { title: '我们在学习日语' });
          assert.deepEqual(ids(await coll.search('中文')), []);
          assert.deepEqual(ids(await coll.search('日语')), ['zh']);
          await coll.increment('zh', { views: 1 });
          assert.deepEqual(ids(await coll.search('日语')), ['zh']);
          await coll.patch('th', { body: 'ขอบคุณสำหรับความช่วยเหลือ' });
          assert.deepEqual(ids(await coll.search('ขอบคุณ ภาษาไทย')), ['th']);
          await coll.patch('th', { body: undefined });
          assert.deepEqual(ids(await coll.search('ขอบคุณ')), []);
          assert.deepEqual(ids(await coll.search('ภาษาไทย')), ['th']);
          await coll.patch('mix', { title: 'Parasol forum' });
          assert.deepEqual(ids(await coll.search('论坛')), []);
          assert.deepEqual(ids(await coll.search('parasol forum 小组')), ['mix']);
          await coll.upsert({ id: 'ja', topicId: 'b', title: 'ラーメンが好きです' });
          assert.deepEqual(ids(await coll.search('寿司')), []);
          assert.deepEqual(ids(await coll.search('ラーメン')), ['ja']);
          assert.equal(await coll.delete('my'), true);
          assert.deepEqual(ids(await coll.search('မြန်မာ')), []);
          assert.equal(await coll.deleteWhere({ topicId: 'a' }), 2);
          assert.deepEqual(ids(await coll.search('日语')), []);
          assert.deepEqual(ids(await coll.search('ภาษาไทย')), []);
          assert.deepEqual(ids(await coll.search('ラーメン')), ['ja']);
        });

        it('indexes within transactions and forgets rolled-back writes', async function () {
          await seedUnspaced();
          await store.transaction(async (tx) => {
            await tx.collection(posts).insert({ id: 'zh2', topicId: 'c', title: '欢迎来到论坛' });
            await tx.collection(posts).patch('zh', { title: '我们在学习英文' });
          });
          const coll = store.collection(posts);
          assert.deepEqual(ids(await coll.search('欢迎')), ['zh2']);
          assert.deepEqual(ids(await coll.search('英文')), ['zh']);
          await assert.rejects(
            store.transaction(async (tx) => {
              await tx.collection(posts).insert({ id: 'zh3', topicId: 'c', title: '今天天气很好' });
              await tx.collection(posts).patch('zh', { title: '我们在学习法语' });
              await tx.collection(posts).delete('zh2');
              throw new Error('boom');
            }),
            /boom/,
          );
          assert.deepEqual(ids(await coll.search('天气')), []);
          assert.deepEqual(ids(await coll.search('法语')), []);
          assert.deepEqual(ids(await coll.search('英文')), ['zh']);
          assert.deepEqual(ids(await coll.search('欢迎')), ['zh2']);
        });

        it('never returns the indexed form of the text', async function () {
          await seedUnspaced();
          const coll = store.collection(posts);
          const expected = { id: 'zh', topicId: 'a', title: '我们在学习中文', score: 1 };
          assert.deepEqual(await coll.get('zh'), expected);
          assert.deepEqual((await coll.search('中文')).items, [expected]);
          assert.deepEqual((await coll.find({ where: { topicId: 'a' }, orderBy: { field: 'score' } })).items[0], expected);
          assert.deepEqual(await coll.patch('zh', { views: 2 }), { ...expected, views: 2 });
          assert.deepEqual(await coll.increment('zh', { views: 1 }), { ...expected, views: 3 });
        });
      });

      it('refuses collections without textFields; finds nothing for text without words', async function () {
        await seed();
        await rejectsWith(store.collection(users).search('ada'), StoreError, /textFields/);
        assert.deepEqual(await store.collection(posts).search(' ,.;!? '), { items: [], next: null });
      });
    });

    describe('expiry', function () {
      async function seed(): Promise<number> {
        const now = Date.now();
        const coll = store.collection(sessions);
        await coll.insert({ id: 'gone', userId: 'u', expiresAt: now - HOUR, note: 'secret words' });
        await coll.insert({ id: 'live', userId: 'u', expiresAt: now + HOUR, note: 'secret words' });
        await coll.insert({ id: 'forever', userId: 'u', note: 'secret words' });
        return now;
      }

      it('hides expired documents from every read at once', async function () {
        await seed();
        const coll = store.collection(sessions);
        assert.equal(await coll.get('gone'), null);
        assert.deepEqual((await coll.getMany(['gone', 'live'])).map((d) => d.id), ['live']);
        assert.deepEqual((await coll.find({ where: { userId: 'u' } })).items.map((d) => d.id), ['forever', 'live']);
        assert.deepEqual((await coll.find({})).items.map((d) => d.id), ['forever', 'live']);
        assert.equal((await coll.findOne({ id: 'gone' })), null);
        assert.equal(await coll.count({ userId: 'u' }), 2);
        assert.equal(await coll.count(), 2);
        assert.deepEqual((await coll.search('secret')).items.map((d) => d.id).sort(), ['forever', 'live']);
        assert.equal(await coll.patch('gone', { note: 'x' }), null);
        assert.equal(await coll.increment('gone', { expiresAt: 2 * HOUR }), null);
        assert.equal(await coll.delete('gone'), false);
      });

      it('sweepExpired deletes expired documents and returns how many', async function () {
        const now = await seed();
        assert.equal(await store.sweepExpired(), 1);
        assert.equal(await store.sweepExpired(), 0);
        assert.equal(await store.sweepExpired(now + 2 * HOUR), 1);
        assert.deepEqual((await store.collection(sessions).find({})).items.map((d) => d.id), ['forever']);
      });

      it('an expired document does not block a new one with its id', async function () {
        await seed();
        const coll = store.collection(sessions);
        const fresh = { id: 'gone', userId: 'v', expiresAt: Date.now() + HOUR };
        assert.deepEqual(await coll.insert(fresh), fresh);
        assert.deepEqual(await coll.get('gone'), fresh);
        await rejectsWith(coll.insert({ id: 'live', userId: 'w' }), DuplicateKeyError);
      });
    });

    describe('transactions', function () {
      it('commits every write together', async function () {
        const result = await store.transaction(async (tx) => {
          await tx.collection(posts).insert({ id: 'p1', topicId: 't', title: 'x' });
          await tx.collection(counters).insert({ id: 'c', n: 1 });
          await tx.collection(counters).increment('c', { n: 1 });
          assert.equal((await tx.collection(counters).get('c'))?.n, 2);
          return 'done';
        });
        assert.equal(result, 'done');
        assert.equal((await store.collection(posts).get('p1'))?.title, 'x');
        assert.equal((await store.collection(counters).get('c'))?.n, 2);
      });

      it('rolls back every write when fn throws, and rethrows', async function () {
        await store.collection(counters).insert({ id: 'c', n: 1 });
        await store.collection(posts).insert({ id: 'keep', topicId: 't', title: 'x' });
        const failure = new Error('boom');
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.collection(counters).increment('c', { n: 5 });
            await tx.collection(posts).insert({ id: 'p1', topicId: 't', title: 'x' });
            await tx.collection(posts).delete('keep');
            await tx.collection(users).insert({ id: 'u1', handle: 'ada' });
            throw failure;
          }),
          (error) => error === failure,
        );
        assert.equal((await store.collection(counters).get('c'))?.n, 1);
        assert.equal(await store.collection(posts).get('p1'), null);
        assert.ok(await store.collection(posts).get('keep'), 'a rolled-back transaction keeps the deleted document');
        assert.equal(await store.collection(users).count(), 0);
      });

      it('rolls back when a write inside fails with DuplicateKeyError', async function () {
        await store.collection(users).insert({ id: 'u1', handle: 'ada' });
        await rejectsWith(
          store.transaction(async (tx) => {
            await tx.collection(users).insert({ id: 'u2', handle: 'bob' });
            await tx.collection(users).insert({ id: 'u3', handle: 'ada' });
          }),
          DuplicateKeyError,
        );
        assert.equal(await store.collection(users).get('u2'), null);
      });

      it('a concurrent write outside the transaction waits and is not lost', async function () {
        await store.collection(counters).insert({ id: 'c', n: 0 });
        let release!: () => void;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        let entered!: () => void;
        const inside = new Promise<void>((resolve) => {
          entered = resolve;
        });
        const transaction = store.transaction(async (tx) => {
          await tx.collection(counters).increment('c', { n: 1 });
          entered();
          await gate;
          await tx.collection(counters).increment('c', { n: 1 });
        });
        await inside;
        const outside = store.collection(counters).increment('c', { n: 10 });
        release();
        await Promise.all([transaction, outside]);
        assert.equal((await store.collection(counters).get('c'))?.n, 12);
      });

      it('refuses a nested transaction and outer-store calls inside fn', async function () {
        await rejectsWith(
          store.transaction(async () => store.transaction(async () => 'inner')),
          StoreError,
          /nested/,
        );
        await rejectsWith(
          store.transaction(async () => store.collection(posts).get('p1')),
          StoreError,
          /tx scope/,
        );
        assert.equal(await store.transaction(async () => 'ok'), 'ok');
      });

      it('a tx scope cannot be used once its transaction has finished', async function () {
        let leaked: ReturnType<typeof store.collection<Post>> | null = null;
        await store.transaction(async (tx) => {
          leaked = tx.collection(posts);
        });
        assert.ok(leaked, 'the transaction ran and handed out its scope');
        await rejectsWith((leaked as ReturnType<typeof store.collection<Post>>).get('p1'), StoreError);
      });
    });

    describe('documents kept in memory', function () {
      it('gives each read its own copy and shows every kind of write at once', async function () {
        const coll = store.collection(boards);
        for (let i = 1; i <= 5; i++) await coll.insert({ id: `b${i}`, group: i % 2 ? 'odd' : 'even', name: `board ${i}` });
        for (let i = 1; i <= 5; i++) assert.equal((await coll.get(`b${i}`))?.name, `board ${i}`);
        const copy = (await coll.get('b1'))!;
        copy.name = 'changed by a reader';
        assert.equal((await coll.get('b1'))?.name, 'board 1');
        await coll.patch('b1', { name: 'patched' });
        assert.deepEqual((await coll.getMany(['b5', 'b1', 'none', 'b3', 'b5'])).map((b) => b.name), ['board 5', 'patched', 'board 3', 'board 5']);
        assert.equal((await coll.get('b1'))?.name, 'patched');
        await coll.increment('b1', { count: 2 });
        assert.equal((await coll.get('b1'))?.count, 2);
        await coll.upsert({ id: 'b1', group: 'odd', name: 'replaced' });
        assert.deepEqual(await coll.get('b1'), { id: 'b1', group: 'odd', name: 'replaced' });
        assert.equal(await coll.delete('b1'), true);
        assert.equal(await coll.get('b1'), null);
        await coll.insert({ id: 'b1', group: 'odd', name: 'again' });
        assert.equal((await coll.get('b1'))?.name, 'again');
        assert.equal(await coll.deleteWhere({ group: 'even' }), 2);
        assert.equal(await coll.get('b2'), null);
        assert.deepEqual((await coll.getMany(['b2', 'b3', 'b4'])).map((b) => b.id), ['b3']);
        assert.equal(await coll.get('b4'), null);
        assert.equal((await coll.get('b5'))?.name, 'board 5');
      });

      it('never keeps what a transaction wrote and rolled back', async function () {
        const coll = store.collection(boards);
        await coll.insert({ id: 'b1', group: 'g', name: 'before' });
        assert.equal((await coll.get('b1'))?.name, 'before');
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.collection(boards).patch('b1', { name: 'inside' });
            assert.equal((await tx.collection(boards).get('b1'))?.name, 'inside');
            await tx.collection(boards).insert({ id: 'b2', group: 'g', name: 'new' });
            assert.ok(await tx.collection(boards).get('b2'), 'the transaction reads its own insert');
            throw new Error('roll back');
          }),
          /roll back/,
        );
        assert.equal((await coll.get('b1'))?.name, 'before');
        assert.equal(await coll.get('b2'), null);
        await store.transaction(async (tx) => {
          await tx.collection(boards).patch('b1', { name: 'committed' });
        });
        assert.equal((await coll.get('b1'))?.name, 'committed');
      });
    });

    describe('declare', function () {
      it('is idempotent and keeps the data', async function () {
        await store.collection(posts).insert({ id: 'p1', topicId: 't', title: 'fox' });
        await store.declare(contractSpecs);
        await store.declare([posts]);
        assert.equal((await store.collection(posts).get('p1'))?.title, 'fox');
        assert.equal((await store.collection(posts).search('fox')).items.length, 1);
      });

      it('refuses collections that were not declared and invalid specs', async function () {
        const undeclared = defineCollection<Doc>({ name: 'undeclared', fields: {}, indexes: [] });
        assert.throws(() => store.collection(undeclared), StoreError);
        const badName = defineCollection<Doc>({ name: 'Bad-Name', fields: {}, indexes: [] });
        await rejectsWith(store.declare([badName]), StoreError);
        const undeclaredField = defineCollection<Post>({ name: 'bad', fields: {}, indexes: [{ fields: ['topicId'] }] });
        await rejectsWith(store.declare([undeclaredField]), StoreError);
        const keptButExpiring = defineCollection<Session>({ name: 'kept_sessions', fields: { expiresAt: 'number' }, indexes: [], ttlField: 'expiresAt', memoryCache: 10 });
        await rejectsWith(store.declare([keptButExpiring]), StoreError, /TTL/);
      });
    });
  });
}
