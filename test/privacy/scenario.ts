/**
 * A realistic stretch of an instance's life for the seizure tests: members
 * post by name and anonymously, reply, react, review, join and leave rooms,
 * talk in them, report and get banned. Every step goes through the HTTP API
 * as a member's browser or app would; the order of members' steps comes from
 * a seeded PRNG. What the test knows and a seized copy must not tell (who
 * made which anonymous item, who is in which room) is recorded as it happens.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, PASS } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { onPostgres, testDatabaseFor } from '../helpers/test-database.js';
import type { Authorship } from './attacker.js';
import { postgresRows, sqliteRows, type SeizedRow } from './seized-rows.js';
import { seize, type Seized } from './seizure.js';

export const LOG = 'parasol.log';
export const BOARDS = ['general', 'health', 'rights-and-safety'] as const;

/** An instance whose log (everything, at trace level) goes to a file in its data directory, and whose secret file lies outside it. */
export async function startSeizable(dataDir: string, secretFile: string): Promise<TestInstance> {
  const logger = pino({ level: 'trace' }, pino.destination({ dest: path.join(dataDir, LOG), sync: true }));
  return startInstance({ dataDir, env: { PARASOL_SECRET_FILE: secretFile }, logger });
}

/** A fresh data directory and a secret file kept outside it, as docs/deployment.md asks. */
export function makeDirs(): { dataDir: string; secretDir: string; secretFile: string } {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-seized-server-'));
  const secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-secret-'));
  const secretFile = path.join(secretDir, 'instance.secret');
  fs.writeFileSync(secretFile, crypto.randomBytes(48).toString('base64'));
  return { dataDir, secretDir, secretFile };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  assert.ok(items.length > 0, 'nothing to pick from');
  return items[Math.floor(random() * items.length)]!;
}

export function shuffle<T>(random: () => number, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const WORDS = 'abcdefghijklmnopqrstuvwxyz';
/** A display name no text of the scenario contains by chance. */
export const uniqueName = (random: () => number): string => `Nm ${Array.from({ length: 10 }, () => pick(random, [...WORDS])).join('')}`;

/** Signs a member in anew: a new session, as a member does at each visit. */
export async function signIn(inst: TestInstance, who: Person): Promise<Person> {
  const client = new Client(inst.url);
  const reply = await client.api('POST', '/sessions', { handle: who.handle, passphrase: PASS });
  assert.equal(reply.status, 201, reply.text);
  return { ...who, client };
}

export interface PostRef {
  readonly board: string;
  readonly threadId: string;
  readonly postId: string;
  readonly author: string;
  readonly anonymous: boolean;
}

/** What the members did, and who did each anonymous thing. */
export class Ledger {
  readonly truth: Authorship[] = [];
  readonly posts: PostRef[] = [];
  /** Membership references (as the API shows them) by the account that holds them. */
  readonly memberships = new Map<string, string>();

  anonymous(itemId: string, accountId: string, what: string): void {
    this.truth.push({ itemId, accountId, what });
  }
}

async function ok(reply: Promise<{ status: number; text: string; json: unknown }>, status: number): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any -- API answers are read loosely
  const r = await reply;
  assert.equal(r.status, status, r.text);
  return r.json;
}

export async function thread(rec: Ledger, who: Person, board: string, anonymous: boolean, words: string): Promise<PostRef> {
  const made = await ok(who.client.api('POST', `/boards/${board}/threads`, { title: `About ${words}`, body: `${words} in detail`, anonymous }), 201);
  const ref = { board, threadId: made.thread.id as string, postId: made.post.id as string, author: who.id, anonymous };
  rec.posts.push(ref);
  if (anonymous) {
    rec.anonymous(ref.threadId, who.id, 'anonymous thread');
    rec.anonymous(ref.postId, who.id, 'anonymous post');
  }
  return ref;
}

export async function reply(rec: Ledger, who: Person, to: PostRef, anonymous: boolean, words: string): Promise<PostRef> {
  const made = await ok(who.client.api('POST', `/threads/${to.threadId}/posts`, { body: `Re: ${words}`, anonymous }), 201);
  const ref = { board: to.board, threadId: to.threadId, postId: made.post.id as string, author: who.id, anonymous };
  rec.posts.push(ref);
  if (anonymous) rec.anonymous(ref.postId, who.id, 'anonymous reply');
  return ref;
}

export async function react(who: Person, post: PostRef, kind: string): Promise<void> {
  await ok(who.client.api('POST', `/posts/${post.postId}/reactions`, { kind }), 200);
}

export async function report(who: Person, post: PostRef): Promise<void> {
  await ok(who.client.api('POST', `/posts/${post.postId}/reports`, { reason: 'harassment', note: 'please look' }), 201);
}

/** Joins with a fresh invite code from the facilitator; records the membership. */
export async function joinByInvite(rec: Ledger, fac: Person, roomId: string, who: Person, alias: string): Promise<void> {
  const made = await ok(fac.client.api('POST', `/rooms/${roomId}/invites`, {}), 201);
  const joined = await ok(who.client.api('POST', '/rooms/join', { code: made.code, alias }), 201);
  rec.memberships.set(`${roomId} ${who.id}`, joined.room.membership.id);
  rec.anonymous(joined.room.membership.id, who.id, 'room membership');
  rec.anonymous(roomId, who.id, 'room joined');
}

export async function say(rec: Ledger, who: Person, roomId: string, body: string): Promise<string> {
  const made = await ok(who.client.api('POST', `/rooms/${roomId}/messages`, { body }), 201);
  rec.anonymous(made.message.id, who.id, 'room message');
  return made.message.id as string;
}

export interface World {
  readonly inst: TestInstance;
  readonly boss: Person;
  readonly mod: Person;
  readonly members: Person[];
  readonly rec: Ledger;
  /** The anonymous post whose identity the moderator banned, and its author. */
  readonly banned: PostRef;
}

/**
 * The whole scenario on one instance: six members and a moderator (who also
 * facilitates the rooms) under an admin, every one with a display name.
 */
export async function liveAWhile(inst: TestInstance, random: () => number): Promise<World> {
  const rec = new Ledger();
  const boss = await admin(inst);
  const mod = await moderator(inst, boss);
  const members: Person[] = [];
  for (const name of ['ana', 'bea', 'cai', 'dee', 'eli', 'fox']) members.push(await member(inst, name));
  for (const who of [boss, mod, ...members]) await ok(who.client.api('PATCH', '/me', { displayName: uniqueName(random) }), 200);

  // Threads: each member opens one by name and one anonymously, on different boards.
  for (const [i, who] of shuffle(random, members).entries()) {
    await thread(rec, who, BOARDS[i % 3]!, false, `named topic ${i}`);
    await thread(rec, who, BOARDS[(i + 1) % 3]!, true, `quiet topic ${i}`);
  }
  await thread(rec, mod, 'health', true, 'a moderator asks quietly');

  // Replies, edits and reactions, each on someone else's threads.
  for (const who of shuffle(random, members)) {
    const others = rec.posts.filter((p) => p.author !== who.id && !rec.posts.some((q) => q.threadId === p.threadId && q.author === who.id));
    const anonymousReply = await reply(rec, who, pick(random, others), true, 'me too, quietly');
    await reply(rec, who, pick(random, others.filter((p) => p.threadId !== anonymousReply.threadId)), false, 'me too, by name');
    await ok(who.client.api('PATCH', `/posts/${anonymousReply.postId}`, { body: 'me too, quietly (edited)' }), 200);
    for (const post of shuffle(random, others).slice(0, 3)) await react(who, post, pick(random, ['heart', 'hug', 'strong', 'thanks', 'same']));
  }

  await reviewAWhile(rec, mod, members, random);
  await roomsAWhile(rec, mod, members, random);

  // A report, and the moderator bans the anonymous identity behind the reported post.
  const target = pick(random, rec.posts.filter((p) => p.anonymous && p.author !== mod.id && p.author !== members[0]!.id));
  await report(members[0]!, target);
  const queue = await ok(mod.client.api('GET', '/moderation/reports'), 200);
  assert.ok(queue.reports.some((r: { post: { id: string } | null }) => r.post?.id === target.postId), 'the report reached the moderator');
  await ok(mod.client.api('POST', `/posts/${target.postId}/ban`, { reason: 'harassing members' }), 201);
  // The ban holds on a new session: posting anonymously there computes the same blinded id.
  const again = await signIn(inst, members.find((m) => m.id === target.author)!);
  const refused = await again.client.api('POST', `/boards/${target.board}/threads`, { title: 'Back again', body: 'hello', anonymous: true });
  assert.equal(refused.status, 403, refused.text);
  return { inst, boss, mod, members, rec, banned: target };
}

/** Reviews on the client-screening board: anonymous and named, a moderator's question, publication, responses. */
async function reviewAWhile(rec: Ledger, mod: Person, members: readonly Person[], random: () => number): Promise<void> {
  const posted: { id: string; author: Person }[] = [];
  for (const [i, who] of shuffle(random, members).slice(0, 5).entries()) {
    const anonymous = i < 3;
    const made = await ok(
      who.client.api('POST', '/review-boards/client-screening/reviews', {
        kind: 'warning',
        categories: ['non_payment'],
        severity: 'medium',
        incidentMonth: '2026-10',
        body: `Left without paying, review ${i}.`,
        descriptors: 'Tall, grey car',
        identifiers: [{ type: 'phone', value: `+1 (555) 010-77${10 + i}` }],
        anonymous,
      }),
      201,
    );
    posted.push({ id: made.review.id, author: who });
    if (anonymous) rec.anonymous(made.review.id, who.id, 'anonymous review');
  }
  await ok(mod.client.api('POST', `/reviews/${posted[0]!.id}/moderation`, { action: 'ask', question: 'Which month exactly?' }), 200);
  for (const review of posted) await ok(mod.client.api('POST', `/reviews/${review.id}/moderation`, { action: 'publish' }), 200);
  for (const [i, review] of posted.entries()) {
    const who = pick(random, members.filter((m) => m !== review.author));
    const anonymous = i % 2 === 0;
    const made = await ok(who.client.api('POST', `/reviews/${review.id}/responses`, { kind: 'corroborate', note: 'Same with me', anonymous }), 201);
    if (anonymous) rec.anonymous(made.response.id, who.id, 'anonymous review response');
  }
}

/** Two rooms: one members ask to join (the facilitator decides), one by invite; messages, reactions, a member leaving. */
async function roomsAWhile(rec: Ledger, mod: Person, members: readonly Person[], random: () => number): Promise<void> {
  const room = (opts: Record<string, unknown>) => ok(mod.client.api('POST', '/rooms', { name: 'HIV+ peer support', purpose: 'HIV+ peers', description: 'A safe place', ...opts }), 201);
  const asked = (await room({ listed: true })).room.id as string;
  const invited = (await room({ name: 'Night shift', joinPolicy: 'invite' })).room.id as string;
  rec.anonymous(asked, mod.id, 'room facilitated');
  rec.anonymous(invited, mod.id, 'room facilitated');

  const applicants = shuffle(random, members).slice(0, 4);
  for (const [i, who] of applicants.entries()) {
    await ok(who.client.api('POST', `/rooms/${asked}/requests`, { note: 'I would like to join', alias: `Willow ${i}` }), 201);
    rec.anonymous(asked, who.id, 'room asked to join');
  }
  const requests = (await ok(mod.client.api('GET', `/rooms/${asked}/requests`), 200)).requests as { id: string; handle: string }[];
  assert.equal(requests.length, applicants.length, 'the facilitator sees every request');
  const refused = applicants[3]!;
  for (const request of requests) {
    const decision = request.handle === refused.handle ? 'refuse' : 'approve';
    const answer = await mod.client.api('POST', `/rooms/${asked}/requests/${request.id}/${decision}`);
    assert.ok(answer.status === 200 || answer.status === 204, answer.text);
  }
  for (const who of applicants.slice(0, 3)) {
    const seen = await ok(who.client.api('GET', `/rooms/${asked}`), 200);
    rec.memberships.set(`${asked} ${who.id}`, seen.room.membership.id);
    rec.anonymous(seen.room.membership.id, who.id, 'room membership');
  }
  await ok(refused.client.api('GET', '/rooms'), 200);

  const night = shuffle(random, members).slice(0, 3);
  for (const [i, who] of night.entries()) await joinByInvite(rec, mod, invited, who, `Owl ${i}`);

  const messages: { id: string; roomId: string }[] = [];
  for (const [roomId, people] of [
    [asked, applicants.slice(0, 3)],
    [invited, night],
  ] as const) {
    messages.push({ id: await say(rec, mod, roomId, 'Welcome, everyone'), roomId });
    for (const who of shuffle(random, people)) messages.push({ id: await say(rec, who, roomId, 'Hello from me'), roomId });
    for (const who of people) {
      const message = pick(random, messages.filter((m) => m.roomId === roomId));
      await ok(who.client.api('POST', `/rooms/${roomId}/messages/${message.id}/reactions`, { kind: 'hug' }), 200);
    }
  }
  const leaver = applicants[0]!;
  const left = await leaver.client.api('POST', `/rooms/${asked}/leave`);
  assert.equal(left.status, 204, left.text);
}

/**
 * What an attacker reads from a stopped instance: every row, and the bytes of
 * every file of the data directory (on PostgreSQL the database lives on the
 * database server's disk, so the files are the log and whatever else is there).
 */
export async function seizeStopped(dataDir: string): Promise<{ rows: SeizedRow[]; seized: Seized }> {
  const seized = seize(dataDir);
  if (!onPostgres) return { rows: sqliteRows(seized), seized };
  const database = await testDatabaseFor(dataDir);
  assert.ok(database, 'the instance has a schema');
  return { rows: await postgresRows(database.url), seized };
}

/** Removes a data directory (and its PostgreSQL schema) made with makeDirs. */
export async function removeDirs(dirs: { dataDir: string; secretDir: string }): Promise<void> {
  await (await testDatabaseFor(dirs.dataDir))?.drop();
  fs.rmSync(dirs.dataDir, { recursive: true, force: true });
  fs.rmSync(dirs.secretDir, { recursive: true, force: true });
}
