/**
 * Job leases and the background jobs run under them, on a real store: a SQLite file, or with TEST_DATABASE_URL a
 * PostgreSQL schema, where concurrent holders go through separate connections. Several JobLeases or
 * BackgroundJobs on one store stand for several processes on one database.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { openStore } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/port.js';
import { jobLeasesCollection, jobsCollections } from '../../server/jobs/jobs.collections.js';
import { JobLeases } from '../../server/jobs/leases.js';
import { BackgroundJobs, type ExclusiveJob } from '../../server/jobs/background-jobs.js';
import { testDatabaseFor, type TestDatabase } from '../helpers/test-database.js';
import { eventually } from '../federation/instances.js';
import { ManualClock } from '../safety/manual-clock.js';

const quiet = pino({ level: 'silent' });
const MINUTE = 60_000;

describe('job leases', function () {
  let dir: string;
  let database: TestDatabase | null;
  let store: Store;
  const running: BackgroundJobs[] = [];

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-leases-'));
    database = await testDatabaseFor(dir);
    store = await openStore(database?.url ?? `sqlite:${path.join(dir, 'parasol.sqlite')}`, { sweepIntervalMs: null });
    await store.declare(jobsCollections);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((jobs) => jobs.stop()));
    await store.close();
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const jobsOf = (holder: string, ttlMs: number): BackgroundJobs => {
    const jobs = new BackgroundJobs(new JobLeases(store, holder, ttlMs), quiet);
    running.push(jobs);
    return jobs;
  };

  describe('JobLeases', () => {
    it('gives a lease to one holder at a time, renews it for that holder, and hands it on once released', async () => {
      const a = new JobLeases(store, 'a', MINUTE);
      const b = new JobLeases(store, 'b', MINUTE);
      assert.deepEqual([...(await a.hold(['scan'])).keys()], ['scan']);
      assert.equal((await b.hold(['scan'])).size, 0, 'held by a');
      assert.deepEqual([...(await a.hold(['scan', 'sweep'])).keys()].sort(), ['scan', 'sweep'], 'a renews one and takes the other');
      await b.release(['scan']);
      assert.equal((await b.hold(['scan'])).size, 0, 'releasing what b does not hold changes nothing');
      await a.release(['scan']);
      assert.deepEqual([...(await b.hold(['scan'])).keys()], ['scan'], 'b takes it once a released it');
      assert.equal((await a.hold(['scan'])).size, 0);
    });

    it('lets exactly one of many holders racing for free leases win each', async () => {
      const holders = Array.from({ length: 8 }, (_, i) => new JobLeases(store, `h${i}`, MINUTE));
      const results = await Promise.all(holders.map((h) => h.hold(['scan', 'sweep'])));
      for (const job of ['scan', 'sweep']) assert.equal(results.filter((held) => held.has(job)).length, 1, `one holder of ${job}`);
    });

    it('judges lapse by the database clock, and hands a lapsed lease to the next holder', async () => {
      const short = new JobLeases(store, 'short', 3000);
      const asked = performance.now();
      const held = await short.hold(['scan']);
      const answered = performance.now();
      const dbNow = await store.now();
      const doc = await store.collection(jobLeasesCollection).get('scan');
      assert.ok(doc && doc.holder === 'short' && doc.until > dbNow && doc.until <= dbNow + 3000, JSON.stringify(doc));
      const until = held.get('scan')!;
      assert.ok(until >= asked + 3000 && until <= answered + 3000, 'held locally for as long as the lease lasts, counted from when the database was asked');
      const other = new JobLeases(store, 'other', MINUTE);
      await eventually(async () => assert.ok((await other.hold(['scan'])).has('scan'), 'taken once lapsed'), 30_000);
      assert.equal((await short.hold(['scan'])).size, 0, 'the old holder lost it');
    });
  });

  describe('BackgroundJobs', () => {
    it('runs a periodic job in one of two processes on the database', async () => {
      const clock = new ManualClock();
      const runs: string[] = [];
      for (const name of ['a', 'b']) jobsOf(name, MINUTE).every('scan', { everyMs: 1000, clock, run: async () => runs.push(name) });
      for (const jobs of running) await jobs.start();
      await clock.advance(3000);
      assert.deepEqual(runs, ['a', 'a', 'a'], 'three scans, all by the process that took the lease first');
    });

    it('runs a job at start when asked to, and never overlaps a run with the next', async () => {
      let runs = 0;
      let active = 0;
      let most = 0;
      let release = (): void => undefined;
      const jobs = jobsOf('a', MINUTE);
      jobs.every('scan', {
        everyMs: 10,
        atStart: true,
        run: async () => {
          runs += 1;
          active += 1;
          most = Math.max(most, active);
          // The second run is slow: ten intervals pass while it goes on.
          if (runs === 2) {
            await new Promise<void>((resolve) => {
              release = resolve;
            });
          }
          active -= 1;
        },
      });
      await jobs.start();
      assert.equal(runs, 1, 'the run at start is done when start() resolves');
      await eventually(async () => assert.equal(runs, 2));
      const slowSince = Date.now();
      await eventually(async () => assert.ok(Date.now() - slowSince >= 100, 'ten intervals passed'));
      assert.equal(runs, 2, 'no run started while the slow one went on');
      release();
      await eventually(async () => assert.ok(runs >= 3, 'runs go on once the slow one ended'));
      assert.equal(most, 1);
    });

    it('moves an exclusive job to another process when its holder stops, and wakes it from any process', async () => {
      const log: string[] = [];
      const job = (name: string): ExclusiveJob => ({
        start: () => log.push(`${name} start`),
        stop: async () => {
          log.push(`${name} stop`);
        },
        wake: () => log.push(`${name} wake`),
      });
      // A lease of 3 s: a loaded machine's pauses do not make it lapse by themselves.
      const a = jobsOf('a', 3000);
      const b = jobsOf('b', 3000);
      a.exclusive('deliver', job('a'));
      b.exclusive('deliver', job('b'));
      // What the app does through socket.io's adapter: b tells the others, and a hears it.
      b.relayWakes((name) => a.woken(name));
      await a.start();
      await b.start();
      assert.ok(a.runs('deliver') && !b.runs('deliver'), 'a, which started first, runs it');
      b.wake('deliver');
      assert.deepEqual(log, ['a start', 'a wake'], 'queued in b, woken in a');
      await a.stop();
      await eventually(async () => assert.ok(b.runs('deliver'), 'b took it over at its next heartbeat'));
      assert.deepEqual(log, ['a start', 'a wake', 'a stop', 'b start']);
    });

    it('takes an exclusive job over from a process that stopped renewing its lease', async () => {
      const crashed = new JobLeases(store, 'crashed', 5000);
      assert.ok((await crashed.hold(['deliver'])).has('deliver'), 'the crashed process held it');
      const started: string[] = [];
      const b = jobsOf('b', 900);
      b.exclusive('deliver', { start: () => started.push('b'), stop: async () => undefined, wake: () => undefined });
      await b.start();
      assert.equal(b.runs('deliver'), false, 'not while the lease has not lapsed');
      await eventually(async () => assert.ok(b.runs('deliver'), 'b took it over'), 30_000);
      assert.deepEqual(started, ['b']);
    });
  });
});
