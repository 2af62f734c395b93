/**
 * Seizure tests: what members deleted, or what expired, cannot be read back
 * from a copy of the data directory, neither one taken while the instance
 * runs (once its own checkpoint has run, at most 60 s after the deletion)
 * nor one taken after a clean stop. Each kind of deletion puts unique markers
 * in the data, checks that a copy taken before the deletion finds them (in
 * the bytes, and as terms of the text index for forum text), deletes through
 * the HTTP API, and waits for a copy without them. Expiry is reached with the
 * store's sweep run at a later time, an injected clock; the checkpoint that
 * follows is the service's own.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { PASS } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { invite, newRoom, say } from '../rooms/helpers.js';
import { describeTraces, Markers, seize, traces } from './seizure.js';
import { onPostgres } from '../helpers/test-database.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** What the issue allows between a deletion and a seized copy without it. */
const WITHIN_MS = 60_000;
const LOG = 'parasol.log';

/** A real instance whose log (everything, at trace level) goes to a file in its data directory, seized with it. */
async function start(dataDir: string): Promise<TestInstance> {
  const logger = pino({ level: 'trace' }, pino.destination({ dest: path.join(dataDir, LOG), sync: true }));
  // The checkpoint after a deletion comes sooner than the default 2 s, so each case waits less; it is still the service's own.
  return startInstance({ dataDir, env: { LOG_LEVEL: 'trace', SCRUB_CHECKPOINT_MS: '100' }, logger });
}

describe('deleted means gone from the bytes of a seized data directory', function () {
  this.timeout(4 * WITHIN_MS);
  let dataDir: string;
  let inst: TestInstance;
  let running = false;
  let marks: Markers;
  let boss: Person;
  let fac: Person;
  let responder: Person;
  let areaId: string;
  /** Every marker deleted so far, for the copy taken after the clean stop. */
  const deleted: string[] = [];

  before(async function () {
    // What a seizure of a PostgreSQL server yields is its disk's business (docs/threat-model.md): no file of ours to search.
    if (onPostgres) this.skip();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-seizure-'));
    inst = await start(dataDir);
    running = true;
    // Markers must not share a first letter with a term already indexed (see Markers).
    const initials = [...seize(dataDir).terms].map((term) => term[0] ?? '').join('');
    marks = new Markers(initials);
    boss = await admin(inst);
    fac = await moderator(inst, boss);
    responder = await member(inst, 'responder');
    assert.equal((await boss.client.api('PUT', `/admin/accounts/${responder.handle}/responder`, { responder: true })).status, 200);
    areaId = (await boss.client.api('POST', '/areas', { name: 'Station quarter' })).json.area.id;
  });

  after(async function () {
    if (running) await inst.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Asserts that a copy taken now has every marker in its bytes, and `indexed` ones as terms of a text index. */
  function assertSeizable(markers: readonly string[], indexed: readonly string[] = []): void {
    const found = traces(seize(dataDir), markers);
    for (const marker of markers) {
      assert.ok(found.get(marker)?.some((place) => place !== 'index'), `${marker} is in the bytes before its deletion`);
    }
    for (const marker of indexed) assert.ok(found.get(marker)?.includes('index'), `${marker} is indexed before its deletion`);
  }

  /** Seizes the data directory until no marker is left, for at most WITHIN_MS after `since`; fails naming what is left. */
  async function assertGone(markers: readonly string[], since: number, what: string): Promise<void> {
    deleted.push(...markers);
    for (;;) {
      const found = traces(seize(dataDir), markers);
      if (found.size === 0) return;
      assert.ok(Date.now() - since < WITHIN_MS, `${what}: still readable ${WITHIN_MS / 1000} s after the deletion: ${describeTraces(found)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** A thread in the default board; its words besides `title` and `body` are digits, which no marker starts with. */
  async function thread(by: Person, title: string, body: string): Promise<{ threadId: string; postId: string }> {
    const created = await by.client.api('POST', '/boards/general/threads', { title, body });
    assert.equal(created.status, 201, created.text);
    return { threadId: created.json.thread.id, postId: created.json.post.id };
  }

  it('a reply its author deleted', async function () {
    const ana = await member(inst, 'ana');
    const words = marks.next();
    const { threadId } = await thread(fac, '101', '102');
    const reply = await ana.client.api('POST', `/threads/${threadId}/posts`, { body: `103 ${words} 104` });
    assert.equal(reply.status, 201, reply.text);
    assertSeizable([words], [words]);
    const since = Date.now();
    assert.equal((await ana.client.api('DELETE', `/posts/${reply.json.post.id}`)).status, 204);
    await assertGone([words], since, 'deleted reply');
  });

  it('a thread whose author deleted its opening post', async function () {
    const ana = await member(inst, 'ana');
    const [title, body] = [marks.next(), marks.next()];
    const { postId } = await thread(ana, `${title} 201`, `202 ${body}`);
    assertSeizable([title, body], [title, body]);
    const since = Date.now();
    assert.equal((await ana.client.api('DELETE', `/posts/${postId}`)).status, 204);
    await assertGone([title, body], since, 'deleted thread');
  });

  it('a room message its author deleted', async function () {
    const ana = await member(inst, 'ana');
    const room = await newRoom(fac);
    await invite(fac, room.id, ana);
    const words = marks.next();
    const message = await say(ana, room.id, `see you ${words} tonight`);
    assertSeizable([words]);
    const since = Date.now();
    assert.equal((await ana.client.api('DELETE', `/rooms/${room.id}/messages/${message.id}`)).status, 204);
    await assertGone([words], since, 'deleted room message');
  });

  it('a closed room, its name, messages and pins', async function () {
    const ana = await member(inst, 'ana');
    const [name, message, pin] = [marks.next(), marks.next(), marks.next()];
    const room = await newRoom(fac, { name: `Group ${name}` });
    await invite(fac, room.id, ana);
    await say(ana, room.id, `hello ${message}`);
    assert.equal((await fac.client.api('POST', `/rooms/${room.id}/pins`, { title: 'Clinics', body: `open ${pin}` })).status, 201);
    assertSeizable([name, message, pin]);
    const since = Date.now();
    assert.equal((await fac.client.api('DELETE', `/rooms/${room.id}`)).status, 204);
    await assertGone([name, message, pin], since, 'closed room');
  });

  for (const content of ['delete', 'keep_anonymous'] as const) {
    it(`an account deleted with content "${content}"`, async function () {
      const ana = await member(inst, 'ana');
      const name = marks.next();
      assert.equal((await ana.client.api('PATCH', '/me', { displayName: name })).status, 200);
      const words = content === 'delete' ? [marks.next()] : [];
      const { postId } = await thread(ana, '401', `402 ${words.join(' ')}`);
      assertSeizable([name, ...words], words);
      const since = Date.now();
      assert.equal((await ana.client.api('DELETE', '/me', { passphrase: PASS, content })).status, 204);
      await assertGone([name, ...words], since, `account deleted with "${content}"`);
      if (content === 'keep_anonymous') {
        const kept = await fac.client.api('GET', `/posts/${postId}`);
        assert.match(kept.text, /402/, 'the anonymised post keeps its words');
      }
    });
  }

  it('a display name changed to another', async function () {
    const ana = await member(inst, 'ana');
    const name = marks.next();
    assert.equal((await ana.client.api('PATCH', '/me', { displayName: name })).status, 200);
    await thread(ana, '501', '502');
    assertSeizable([name]);
    const since = Date.now();
    assert.equal((await ana.client.api('PATCH', '/me', { displayName: 'Rain 503' })).status, 200);
    await assertGone([name], since, 'former display name');
  });

  it('a review its author retracted', async function () {
    const ana = await member(inst, 'ana');
    const [body, descriptors] = [marks.next(), marks.next()];
    const posted = await ana.client.api('POST', '/review-boards/client-screening/reviews', {
      kind: 'warning',
      categories: ['violence'],
      severity: 'high',
      incidentMonth: '2026-10',
      body: `Became violent when asked to pay ${body}.`,
      descriptors: `Tall, ${descriptors} car`,
      identifiers: [{ type: 'phone', value: '+1 (555) 010-7788' }],
    });
    assert.equal(posted.status, 201, posted.text);
    assert.equal((await fac.client.api('POST', `/reviews/${posted.json.review.id}/moderation`, { action: 'publish' })).status, 200);
    assertSeizable([body, descriptors]);
    const since = Date.now();
    assert.equal((await ana.client.api('DELETE', `/reviews/${posted.json.review.id}`)).status, 204);
    await assertGone([body, descriptors], since, 'retracted review');
  });

  it('an alert at the end of its lifetime', async function () {
    const ana = await member(inst, 'ana');
    const words = marks.next();
    const posted = await ana.client.api('POST', '/alerts', { area: areaId, kind: 'raid', text: `Police ${words} now`, hours: 1 });
    assert.equal(posted.status, 201, posted.text);
    assertSeizable([words]);
    const since = Date.now();
    await inst.parasol.ctx.store.sweepExpired(Date.now() + 2 * HOUR);
    await assertGone([words], since, 'expired alert');
  });

  it('a check-in and its notes once their retention has passed', async function () {
    const ana = await member(inst, 'ana');
    const bea = await member(inst, 'bea');
    assert.equal((await ana.client.api('POST', '/buddies', { handle: bea.handle })).status, 201);
    assert.equal((await bea.client.api('POST', '/buddies', { handle: ana.handle })).status, 201);
    const notes = marks.next();
    const started = await ana.client.api('POST', '/checkins', { minutes: 30, buddies: [bea.handle], notes: `Hotel ${notes}, room 12` });
    assert.equal(started.status, 201, started.text);
    assert.equal((await ana.client.api('POST', `/checkins/${started.json.checkin.id}/safe`)).status, 200);
    assertSeizable([notes]);
    const since = Date.now();
    await inst.parasol.ctx.store.sweepExpired(Date.now() + 73 * HOUR);
    await assertGone([notes], since, 'expired check-in');
  });

  it('room messages past their room’s retention', async function () {
    const room = await newRoom(fac, { retentionDays: 1 });
    const words = marks.next();
    await say(fac, room.id, `short ${words} lived`);
    assertSeizable([words]);
    const since = Date.now();
    await inst.parasol.ctx.store.sweepExpired(Date.now() + 2 * DAY);
    await assertGone([words], since, 'room message swept at the end of its retention');
  });

  it('a closed incident once its retention has passed', async function () {
    const ana = await member(inst, 'ana');
    const [description, message, note] = [marks.next(), marks.next(), marks.next()];
    const reported = await ana.client.api('POST', '/incidents', { kind: 'robbery', description: `Client took ${description}`, help: 'Someone to talk to', contact: 'Evenings' });
    assert.equal(reported.status, 201, reported.text);
    const id = reported.json.incident.id;
    assert.equal((await ana.client.api('POST', `/incidents/${id}/messages`, { body: `it was ${message}` })).status, 201);
    assert.equal((await responder.client.api('POST', `/incidents/${id}/messages`, { body: `known ${note}`, internal: true })).status, 201);
    assert.equal((await responder.client.api('PATCH', `/incidents/${id}`, { status: 'closed' })).status, 200);
    assertSeizable([description, message, note]);
    const since = Date.now();
    await inst.parasol.ctx.store.sweepExpired(Date.now() + 91 * DAY);
    await assertGone([description, message, note], since, 'closed and expired incident');
  });

  it('text edited away: out of the index at once, out of the bytes when its revision expires (last: the sweep ends every session)', async function () {
    const ana = await member(inst, 'ana');
    const words = marks.next();
    const { postId } = await thread(ana, '301', `302 ${words}`);
    assertSeizable([words], [words]);
    assert.equal((await ana.client.api('PATCH', `/posts/${postId}`, { body: '302' })).status, 200);
    // The earlier version is kept for moderators for 180 days (REVISION_RETENTION_MS), but no longer searchable.
    assert.equal(seize(dataDir).terms.has(words), false, 'the edited-away words are no term of the text index');
    const since = Date.now();
    await inst.parasol.ctx.store.sweepExpired(Date.now() + 181 * DAY);
    await assertGone([words], since, 'text edited away, after its revision expired');
  });

  it('none of it after a clean stop', async function () {
    assert.ok(deleted.length >= 20, `every kind above ran (${deleted.length} markers)`);
    await inst.close();
    running = false;
    const found = traces(seize(dataDir), deleted);
    assert.equal(found.size, 0, `readable after a clean stop: ${describeTraces(found)}`);
    assert.ok(fs.existsSync(path.join(dataDir, LOG)), 'the log file was seized too');
  });
});
