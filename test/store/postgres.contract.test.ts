import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { defineCollection, type Store } from '../../server/store/port.js';
import { openStore } from '../../server/store/open-store.js';
import { openPostgresStore } from '../../server/store/postgres.adapter.js';
import { SEARCH_TEXT_ICU } from '../../server/store/query.js';
import { contractSpecs, posts, runStoreContract } from './contract.js';

/**
 * Runs the contract against a real PostgreSQL when POSTGRES_URL names one
 * (CI installs and starts Debian's postgresql package). Each store gets its
 * own schema, dropped at the end, so runs never see each other's tables.
 */
const url = process.env.POSTGRES_URL;
const schemas: string[] = [];

function schemaUrl(schema: string): string {
  if (url === undefined) throw new Error('POSTGRES_URL is unset');
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

async function admin<R>(work: (client: pg.Client) => Promise<R>): Promise<R> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function freshStore(): Promise<Store> {
  const schema = `parasol_contract_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE SCHEMA ${schema}`));
  schemas.push(schema);
  return openPostgresStore({ url: schemaUrl(schema) });
}

describe('postgres adapter', function () {
  before(function () {
    if (url === undefined) {
      console.log('    PostgreSQL contract suite skipped: POSTGRES_URL is unset (e.g. postgres://parasol:parasol@127.0.0.1:5432/parasol_test)');
      this.skip();
    }
  });

  after(async function () {
    if (url === undefined || schemas.length === 0) return;
    await admin(async (client) => {
      for (const schema of schemas.splice(0)) await client.query(`DROP SCHEMA ${schema} CASCADE`);
    });
  });

  runStoreContract('postgres', freshStore);

  describe('PostgreSQL specifics', function () {
    let store: Store;

    beforeEach(async function () {
      store = await freshStore();
      await store.declare(contractSpecs);
    });

    afterEach(async function () {
      await store.close();
    });

    it('is what DATABASE_URL=postgres://… opens', async function () {
      const opened = await openStore(schemaUrl(`parasol_contract_unused`));
      try {
        assert.equal(opened.kind, 'postgres');
      } finally {
        await opened.close();
      }
    });

    it('does not repeat the password of a URL it cannot connect with', async function () {
      const wrong = new URL(url as string);
      wrong.password = 'hunter2-not-the-password';
      await assert.rejects(openPostgresStore({ url: wrong.toString() }), (error: Error) => {
        assert.match(error.message, /could not connect to PostgreSQL/);
        assert.ok(!error.message.includes('hunter2'), `the message names no password: ${error.message}`);
        return true;
      });
    });

    it('rebuilds the text index from the stored documents when the text fields change', async function () {
      await store.collection(posts).insert({ id: 'p1', topicId: 't', title: 'fox', body: '我们在学习中文' });
      const titleOnly = defineCollection({ ...posts, textFields: ['title'] });
      await store.declare([titleOnly]);
      assert.equal((await store.collection(titleOnly).search('中文')).items.length, 0, 'the body is no longer indexed');
      assert.equal((await store.collection(titleOnly).search('fox')).items.length, 1, 'the title still is');
      await store.declare([posts]);
      assert.deepEqual((await store.collection(posts).search('学习 fox')).items.map((d) => d.id), ['p1']);
    });

    it('records the ICU version its words were split with, and splits them again under another', async function () {
      await store.collection(posts).insert({ id: 'p1', topicId: 't', title: 'fox', body: 'ภาษาไทยง่ายนิดเดียว' });
      const schema = schemas[schemas.length - 1]!;
      const layout = async () => admin(async (client) => (await client.query(`SELECT layout FROM ${schema}.parasol_text_layout WHERE collection = 'posts'`)).rows[0]?.layout as string);
      assert.ok((await layout()).includes(SEARCH_TEXT_ICU), `the layout names ICU ${process.versions.icu}: ${await layout()}`);
      // As a process of an older Node would have left them: other words, under another ICU.
      await admin(async (client) => {
        await client.query(`UPDATE ${schema}.parasol_text_layout SET layout = replace(layout, $1, 'icu0_0') WHERE collection = 'posts'`, [SEARCH_TEXT_ICU]);
        await client.query(`UPDATE ${schema}."c_posts" SET "t_body" = ARRAY['ภาษาไทยง่ายนิดเดียว']`);
      });
      assert.equal((await store.collection(posts).search('ภาษา')).items.length, 0, 'the stale words do not find it');
      await store.declare([posts]);
      assert.ok((await layout()).includes(SEARCH_TEXT_ICU), 'the layout names this ICU again');
      assert.deepEqual((await store.collection(posts).search('ภาษา')).items.map((d) => d.id), ['p1'], 'the words were split again');
    });

    it('stores a NUL character as U+FFFD instead of failing the write', async function () {
      const coll = store.collection(posts);
      const inserted = await coll.insert({ id: 'p1', topicId: 't', title: 'a\u0000b', body: 'literal \\u0000 stays' });
      assert.equal(inserted.title, 'a\ufffdb');
      assert.equal(inserted.body, 'literal \\u0000 stays');
      assert.deepEqual(await coll.get('p1'), inserted);
      assert.equal((await coll.patch('p1', { body: '\u0000' }))?.body, '\ufffd');
    });

    it('names a unique index longer than PostgreSQL identifiers in its DuplicateKeyError', async function () {
      const long = defineCollection<{ id: string; aVeryLongFieldNameForTheIndexName?: string; anotherQuiteLongFieldName?: string }>({
        name: 'long_names_for_a_collection_that_makes_index_names_long',
        fields: { aVeryLongFieldNameForTheIndexName: 'string', anotherQuiteLongFieldName: 'string' },
        indexes: [{ fields: ['aVeryLongFieldNameForTheIndexName', 'anotherQuiteLongFieldName'], unique: true }],
      });
      await store.declare([long]);
      const doc = { aVeryLongFieldNameForTheIndexName: 'a', anotherQuiteLongFieldName: 'b' };
      await store.collection(long).insert({ id: 'x', ...doc });
      await assert.rejects(store.collection(long).insert({ id: 'y', ...doc }), (error: Error) => {
        assert.deepEqual((error as Error & { fields?: string[] }).fields, ['aVeryLongFieldNameForTheIndexName', 'anotherQuiteLongFieldName']);
        return true;
      });
    });
  });
});
