/**
 * One seeded run for the timing attack: six members visit the instance in an
 * order drawn from the seed. A visit is a log-in (a new session) followed by
 * a few steps; two of each member's visits are anonymous (anonymous threads
 * and replies, reactions, room messages, but also a report or a profile
 * change, which are account-side), one is by name. A member who writes by
 * name and anonymously in the same minute is linked by the public times of
 * both, whatever the server stores (docs/threat-model.md): the runs measure
 * what the stored data adds to that, so named writing has visits of its own.
 */
import { startInstance } from '../helpers/instance.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';
import { today } from '../../server/accounts/account-keys.js';
import { prng } from '../helpers/prng.js';
import type { SeizedRow } from './seized-rows.js';
import { BOARDS, joinByInvite, Ledger, makeDirs, pick, react, removeDirs, reply, report, say, seizeStopped, shuffle, signIn, thread, uniqueName } from './scenario.js';

export interface TimingRun {
  readonly rows: SeizedRow[];
  /** Each blinded id whose owner the test knows, with the owner's account id. */
  readonly owners: Map<string, string>;
  /** The run's day up to its end: where its timestamps lie. */
  readonly window: { from: number; to: number };
  /** When each visit's log-in was sent, for the control that stores it precisely. */
  readonly logins: { accountId: string; at: number }[];
  /** When each visit's last step was answered, for the control that stores a precise "last seen". */
  readonly lastSeen: { accountId: string; at: number }[];
  /** Accounts that act in the run: chance is one in this many. */
  readonly active: number;
}

type Visit = { who: Person; kind: 'anonymous' | 'named' };

export async function timingRun(seed: number): Promise<TimingRun> {
  const random = prng(seed);
  const dirs = makeDirs();
  const from = today();
  const inst = await startInstance({ dataDir: dirs.dataDir });
  let running = true;
  try {
    const rec = new Ledger();
    const boss = await admin(inst);
    const fac = await moderator(inst, boss);
    const room = await fac.client.api('POST', '/rooms', { name: 'Peers', purpose: 'Peers', description: 'Peers', joinPolicy: 'invite' });
    const roomId = room.json.room.id as string;
    const members: Person[] = [];
    for (let i = 0; i < 6; i++) members.push(await member(inst, 'timed'));
    for (const m of members) await thread(rec, m, pick(random, BOARDS), false, 'hello everyone');
    const visits = shuffle(
      random,
      members.flatMap((who): Visit[] => [
        { who, kind: 'anonymous' },
        { who, kind: 'anonymous' },
        { who, kind: 'named' },
      ]),
    );
    const logins: { accountId: string; at: number }[] = [];
    const lastSeen: { accountId: string; at: number }[] = [];
    const joined = new Set<string>();
    const reported = new Set<string>();
    /** Reports a post of someone else's that the member has not reported yet (a second report of one post only updates the first). */
    const reportOne = async (who: Person) => {
      const fresh = rec.posts.filter((p) => p.author !== who.id && !reported.has(`${who.id} ${p.postId}`));
      if (fresh.length === 0) return;
      const post = pick(random, fresh);
      reported.add(`${who.id} ${post.postId}`);
      await report(who, post);
    };
    for (const visit of visits) {
      logins.push({ accountId: visit.who.id, at: Date.now() });
      const who = await signIn(inst, visit.who);
      const others = rec.posts.filter((p) => p.author !== who.id);
      // A member writes by name only in threads where they have not written anonymously, and the other way round:
      // mixing both in one thread signs it, and a named thread's last-post time is that of every reply.
      const whereNot = (anonymous: boolean) => others.filter((p) => !rec.posts.some((q) => q.threadId === p.threadId && q.author === who.id && q.anonymous === anonymous));
      const unsigned = whereNot(true);
      const unnamed = whereNot(false);
      const steps = 2 + Math.floor(random() * 3);
      for (let i = 0; i < steps; i++) {
        const step =
          visit.kind === 'named'
            ? pick(random, [
                () => thread(rec, who, pick(random, BOARDS), false, 'by name'),
                () => (unsigned.length > 0 ? reply(rec, who, pick(random, unsigned), false, 'by name') : thread(rec, who, pick(random, BOARDS), false, 'by name')),
                () => reportOne(who),
              ])
            : pick(random, [
                () => thread(rec, who, pick(random, BOARDS), true, 'quietly'),
                () => (unnamed.length > 0 ? reply(rec, who, pick(random, unnamed), true, 'quietly') : thread(rec, who, pick(random, BOARDS), true, 'quietly')),
                () => react(who, pick(random, others), 'hug'),
                async () => {
                  if (!joined.has(who.id)) await joinByInvite(rec, fac, roomId, who, `Owl ${joined.size}`);
                  joined.add(who.id);
                  await say(rec, who, roomId, 'hello');
                },
                () => reportOne(who),
                async () => void (await who.client.api('PATCH', '/me', { displayName: uniqueName(random) })),
              ]);
        await step();
      }
      lastSeen.push({ accountId: who.id, at: Date.now() });
    }
    await inst.close();
    running = false;
    const { rows } = await seizeStopped(dirs.dataDir);
    return { rows, owners: ownersOf(rows, rec), window: { from, to: Date.now() + 1000 }, logins, lastSeen, active: members.length };
  } finally {
    if (running) await inst.close();
    await removeDirs(dirs);
  }
}

/** The blinded ids the test can attribute: anonymous posts' authors and room members (by the reference the API showed). */
function ownersOf(rows: readonly SeizedRow[], rec: Ledger): Map<string, string> {
  const authors = new Map(rec.truth.map((t) => [t.itemId, t.accountId]));
  const owners = new Map<string, string>();
  for (const row of rows) {
    const owner = authors.get(row.id) ?? authors.get(String(row.doc.ref));
    if (!owner) continue;
    if (row.table === 'posts' && typeof row.doc.blindAuthor === 'string') owners.set(row.doc.blindAuthor, owner);
    if (row.table === 'room_members') owners.set(row.id, owner);
  }
  return owners;
}
