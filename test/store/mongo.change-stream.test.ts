/**
 * The change stream between processes on one MongoDB (server/store/mongo/change-stream.ts), on a real replica set
 * named by MONGODB_URL, in a database of its own. No MongoDB server can be installed on the development and CI
 * machines (README): without the variable the suite is skipped, and says so.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { MongoChangeStream } from '../../server/store/mongo/change-stream.js';
import { openMongoStore } from '../../server/store/mongo.adapter.js';
import { defineCollection, type Store } from '../../server/store/port.js';
import type { ForeignWriteHook } from '../../server/store/postgres/change-feed.js';

const url = process.env.MONGODB_URL;
/** Long enough for a loaded machine; nothing waits for it unless something is wrong. */
const WAIT_MS = 10_000;

interface NoteDoc {
  id: string;
  kind: string;
}
const notes = defineCollection<NoteDoc>({ name: 'stream_notes', fields: { kind: 'string' }, indexes: [{ fields: ['kind'] }] });

async function until(what: string, check: () => boolean): Promise<void> {
  const end = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function countingHook(): ForeignWriteHook & { count: number; look(): void } {
  let looks: (() => void)[] = [];
  const hook = {
    count: 0,
    seen: () => {
      hook.count++;
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

describe('MongoDB change stream', function () {
  this.timeout(60_000);
  const dbName = `parasol_stream_${randomBytes(6).toString('hex')}`;
  let client: MongoClient;
  let writer: Store;
  const streams: MongoChangeStream[] = [];

  before(async function () {
    if (url === undefined) {
      console.log('    MongoDB change stream skipped: MONGODB_URL is unset (a replica set, e.g. mongodb://127.0.0.1:27017/?replicaSet=rs0)');
      this.skip();
    }
    client = await MongoClient.connect(url);
    writer = await openMongoStore({ url, dbName, changeStream: false });
    await writer.declare([notes]);
  });

  after(async function () {
    if (url === undefined) return;
    for (const stream of streams) await stream.close();
    await writer.close();
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  it('tells a process of another process’s writes, and stops taking part once closed', async () => {
    const hook = countingHook();
    const stream = new MongoChangeStream(client.db(dbName), { hook });
    streams.push(stream);
    await stream.start();
    const opened = hook.count;
    hook.look();
    assert.equal(hook.count, opened, 'an open stream vouches for what is kept');
    await writer.collection(notes).insert({ id: 'n1', kind: 'a' });
    await until('the write to be reported', () => hook.count > opened);
    await stream.close();
    const closed = hook.count;
    hook.look();
    assert.equal(hook.count, closed, 'a closed stream no longer takes part');
  });
});
