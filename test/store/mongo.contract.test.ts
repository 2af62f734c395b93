import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import type { Store } from '../../server/store/port.js';
import { openMongoStore } from '../../server/store/mongo.adapter.js';
import { runStoreContract } from './contract.js';

/**
 * Runs the contract against a real MongoDB when MONGODB_URL is set (a replica
 * set: the transaction tests need one). Development machines have no MongoDB
 * server, so without the variable the suite is skipped, and says so.
 */
const url = process.env.MONGODB_URL;
const databases: string[] = [];

async function freshStore(): Promise<Store> {
  if (url === undefined) throw new Error('MONGODB_URL is unset');
  const dbName = `parasol_contract_${randomBytes(6).toString('hex')}`;
  databases.push(dbName);
  return openMongoStore({ url, dbName });
}

describe('mongodb adapter', function () {
  before(function () {
    if (url === undefined) {
      // MongoDB cannot be installed on the development and CI machines (README); the same suite runs
      // against a replica set whenever MONGODB_URL names one.
      console.log('    MongoDB contract suite skipped: MONGODB_URL is unset');
      this.skip();
    }
  });

  after(async function () {
    if (url === undefined || databases.length === 0) return;
    const client = await MongoClient.connect(url);
    try {
      for (const name of databases) await client.db(name).dropDatabase();
    } finally {
      await client.close();
    }
  });

  runStoreContract('mongodb', freshStore);
});
