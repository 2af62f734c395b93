/**
 * The whole-scenario seizure test (issue 19): after members post by name and
 * anonymously, review, react, join and leave rooms and a moderator bans an
 * anonymous identity, an attacker takes the stopped instance's whole data
 * directory (database, log) and every secret it keeps (the secret file, the
 * review boards' keys, the in-database HMAC key; DATABASE_KEY is not set, so
 * the database is read as one holding that key would read it). Nothing in it
 * may tie an anonymous item or a room membership to an account: not a row, not
 * the bytes of any file, not a recomputed hash, not the timestamps.
 *
 * Each check is a function of what was seized (./attacker.ts), and a control
 * plants a link in a copy to show the check finds it.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { hmac } from '../../server/crypto.js';
import { reviewBoardKeys } from '../../server/reviews/instance-secret.js';
import { itReadsSqliteFile, onPostgres } from '../helpers/test-database.js';
import {
  accountSideValues,
  accountsIn,
  authorBesideItem,
  binomialTail,
  blindedBesideAccount,
  blindedValues,
  describeFindings,
  keysInData,
  hashInputs,
  namesInAnonymousRows,
  needlesOf,
  rankByTiming,
  recomputedBlindIds,
  recomputedDigests,
  storedTokens,
  type CandidateKey,
  type Finding,
} from './attacker.js';
import { documentsInBytes, toRow, type SeizedRow } from './seized-rows.js';
import { prng } from '../helpers/prng.js';
import { liveAWhile, LOG, makeDirs, removeDirs, seizeStopped, startSeizable, type World } from './scenario.js';
import type { Seized } from './seizure.js';
import { timingRun, type TimingRun } from './timing-scenario.js';

const SEED = 19;
/** Keyed-hash purposes of the code (InstanceService.keyedHash callers). */
const PURPOSES = ['csrf', 'device', 'invite', 'recovery', 'review-boards', 'room-invite'];

/**
 * Anonymous reviews and their responses are blinded on their own branch; until it is merged their findings are
 * kept apart, so that a failure says which part is missing.
 */
const aboutReviews = (f: Finding) => /(^|: )(reviews|review_responses) /.test(f.where) || f.detail.includes('anonymous review');
const apartFromReviews = (findings: Finding[]) => findings.filter((f) => !aboutReviews(f));

describe('a seized server: its data and secrets do not tie anonymous items or rooms to accounts', function () {
  this.timeout(240_000);
  let dirs: ReturnType<typeof makeDirs>;
  let world: World;
  let rows: SeizedRow[];
  let seized: Seized;
  let inBytes: SeizedRow[];
  let secretFile: Buffer;

  before(async function () {
    dirs = makeDirs();
    const inst = await startSeizable(dirs.dataDir, dirs.secretFile);
    try {
      world = await liveAWhile(inst, prng(SEED));
    } finally {
      await inst.close();
    }
    ({ rows, seized } = await seizeStopped(dirs.dataDir));
    const tables = new Map(rows.map((r) => [r.id, r.table]));
    inBytes = documentsInBytes(seized, (id) => tables.get(id));
    secretFile = fs.readFileSync(dirs.secretFile);
  });
  after(async () => {
    if (dirs) await removeDirs(dirs);
  });

  const accounts = () => accountsIn(rows);
  const anonymousPostIds = (from: readonly SeizedRow[] = rows) => new Set(from.filter((r) => r.table === 'posts' && r.doc.anonymous === true).map((r) => r.id));
  /** What names an account: its id, handle and display name, and the values of its sessions, tokens and keys. */
  const needles = () => [...needlesOf(accounts()), ...accountSideValues(rows)];
  const linkFindings = (from: readonly SeizedRow[]) => {
    const all = needles();
    return [
      ...namesInAnonymousRows(from, all, anonymousPostIds()),
      ...blindedBesideAccount(from, all, blindedValues(rows)),
      ...authorBesideItem(from, all, world.rec.truth),
    ];
  };

  /** Every key in the attacker's reach: the secret file, the keys the code derives from the secrets, and every long token of the data. */
  function candidateKeys(): CandidateKey[] {
    const hmacKey = rows.find((r) => r.table === 'instance' && r.id === 'secrets')?.doc.hmacKey;
    assert.ok(typeof hmacKey === 'string', 'the instance HMAC key is in the seized data');
    const boardKeys = reviewBoardKeys(secretFile, { keyedHash: (purpose, text) => hmac(hmacKey, `${purpose}\u0000${text}`) });
    const reviewBoards = rows.filter((r) => r.table === 'review_boards');
    assert.ok(reviewBoards.length > 0, 'the review boards are in the seized data');
    return [
      { source: 'the secret file', key: secretFile },
      { source: 'the instance HMAC key', key: Buffer.from(hmacKey) },
      ...reviewBoards.map((b) => ({
        source: `the key of review board ${String(b.doc.slug)}`,
        key: Buffer.from(boardKeys.keyFor({ id: b.id, wrappedSecret: b.doc.wrappedSecret as string | undefined }), 'base64'),
      })),
      ...keysInData(onPostgres ? rows : [...rows, ...inBytes]),
    ];
  }

  /** Every blinding scope the data names: its boards, review boards and rooms, and the inbox. */
  const scopes = () => [
    'inbox',
    ...rows.filter((r) => r.table === 'boards').map((r) => `board:${r.id}`),
    ...rows.filter((r) => r.table === 'review_boards').map((r) => `review-board:${r.id}`),
    ...rows.filter((r) => r.table === 'rooms').map((r) => `room:${r.id}`),
  ];

  it('left in the data what the checks look at: anonymous posts by blinded id, memberships, messages, a ban', () => {
    const count = (table: string, where: (r: SeizedRow) => boolean = () => true) => rows.filter((r) => r.table === table && where(r)).length;
    assert.ok(count('accounts') >= 8, 'eight accounts');
    assert.ok(count('posts', (r) => r.doc.anonymous === true && typeof r.doc.blindAuthor === 'string') >= 13, 'anonymous posts with blinded authors');
    assert.ok(count('post_revisions') >= 6, 'revisions of edited anonymous replies');
    assert.ok(count('reactions') >= 12, 'reactions');
    assert.ok(count('room_members') >= 6, 'room memberships');
    assert.ok(count('room_messages') >= 8, 'room messages');
    assert.equal(count('board_bans'), 1, 'the ban');
    assert.ok(count('reviews', (r) => r.doc.anonymous === true) >= 3, 'anonymous reviews');
    assert.ok(blindedValues(rows).size >= 12, 'blinded ids');
    assert.ok(seized.files.has(LOG), 'the log file (everything at trace level) was seized');
    if (!onPostgres) {
      const found = new Set(inBytes.map((r) => r.id));
      const stored = rows.filter((r) => ['posts', 'room_members', 'room_messages', 'reactions'].includes(r.table));
      assert.deepEqual(stored.filter((r) => !found.has(r.id)).map((r) => `${r.table} ${r.id}`), [], 'the byte scan finds every stored document');
    }
  });

  it('no anonymous post, thread, revision, reaction, ban or room row names an account, and no row pairs an account with a blinded id or its own anonymous item', () => {
    const findings = apartFromReviews(linkFindings(rows));
    assert.deepEqual(findings, [], describeFindings(findings));
  });

  itReadsSqliteFile('nor does any document in the raw bytes of any seized file (older row versions, free pages, the WAL, the log)', async () => {
    assert.ok(inBytes.length > 0, 'documents were found in the bytes');
    const findings = apartFromReviews(linkFindings(inBytes));
    assert.deepEqual(findings, [], describeFindings(findings));
  });

  it('anonymous reviews and their responses name no account either, in rows, bytes or notifications', () => {
    const findings = [...linkFindings(rows), ...linkFindings(inBytes)].filter(aboutReviews);
    assert.deepEqual(findings, [], describeFindings(findings));
  });

  it('no stored value is a SHA-256 or HMAC-SHA256 of an account id or handle under any key in the data or the secrets, and no key gives back a blinded id', () => {
    const keys = candidateKeys();
    const tokens = storedTokens(onPostgres ? rows : [...rows, ...inBytes]);
    const findings = [...recomputedDigests(tokens, keys, hashInputs(accounts(), scopes(), PURPOSES)), ...recomputedBlindIds(keys, scopes(), blindedValues(rows))];
    assert.deepEqual(findings, [], describeFindings(findings));
  });

  describe('controls: each check finds a link planted in a copy', () => {
    const author = () => world.rec.truth.find((t) => t.what === 'anonymous post')!;

    it('an anonymous post that keeps its author’s id', () => {
      const post = rows.find((r) => r.id === author().itemId)!;
      const planted = [...rows, toRow('posts', { ...post.doc, authorId: author().accountId })];
      const findings = namesInAnonymousRows(planted, needles(), anonymousPostIds(planted));
      assert.ok(findings.some((f) => f.where.endsWith('.authorId') && f.detail.includes(author().accountId)), describeFindings(findings));
    });

    it('a session row that notes a blinded id, and a log line naming an anonymous post and its author', () => {
      const [blind] = blindedValues(rows);
      const session = toRow('sessions', { id: 'planted', accountId: author().accountId, note: blind });
      assert.equal(blindedBesideAccount([session], needles(), blindedValues(rows)).length, 1);
      const line = toRow('unknown', { level: 30, msg: 'posted', postId: author().itemId, account: author().accountId }, LOG);
      const findings = authorBesideItem([line], needles(), world.rec.truth);
      assert.ok(findings.some((f) => f.detail.includes(author().itemId)), describeFindings(findings));
    });

    it('an HMAC under the secret file, a SHA-256 of a handle, and a member key left in a row', () => {
      const who = accounts().find((a) => a.id === author().accountId)!;
      const [scope] = scopes().filter((s) => s.startsWith('board:'));
      const memberKey = crypto.randomBytes(32);
      const blindKey = Buffer.from(crypto.hkdfSync('sha256', memberKey, Buffer.alloc(0), 'parasol-blind-v1', 32));
      const blindId = crypto.createHmac('sha256', blindKey).update(scope!).digest('base64url');
      const planted = [
        ...rows,
        toRow('planted', {
          id: 'planted',
          mac: crypto.createHmac('sha256', secretFile).update(`${scope}:${who.id}`).digest('base64url'),
          sum: crypto.createHash('sha256').update(who.handle).digest('hex'),
          key: memberKey.toString('base64url'),
        }),
      ];
      const digests = recomputedDigests(storedTokens(planted), [{ source: 'the secret file', key: secretFile }], hashInputs([who], [scope!], []));
      assert.ok(digests.some((f) => f.detail.startsWith('HMAC-SHA256') && f.detail.includes(`scope ${scope}`)), describeFindings(digests));
      assert.ok(digests.some((f) => f.detail.startsWith('SHA-256 of the handle')), describeFindings(digests));
      const blinds = recomputedBlindIds(keysInData(planted), [scope!], new Set([...blindedValues(rows), blindId]));
      assert.ok(blinds.some((f) => f.where.startsWith('planted')), describeFindings(blinds));
    });
  });

  describe('timing: over seeded runs, no account-side timestamp lines up with its member’s blinded items more often than chance', () => {
    /**
     * Eight runs of 18 visits; each blinded id with a known owner is one trial.
     * H0: the true account ranks first with probability 1/6 (six members act; the
     * admin and the facilitator, who never post, are ruled out). One-sided
     * binomial test at α = 0.0005 for each of the two rankings (preceding,
     * following), 0.001 together (Bonferroni). Trials of one run share its
     * order, so the binomial variance is a lower bound; α is small for that.
     */
    const SEEDS = [101, 202, 303, 404, 505, 606, 707, 808];
    const ALPHA = 0.0005;
    const runs: { seed: number; run: TimingRun }[] = [];

    before(async function () {
      this.timeout(600_000);
      for (const seed of SEEDS) runs.push({ seed, run: await timingRun(seed) });
    });

    function tally(direction: 'before' | 'after', plant: (run: TimingRun) => SeizedRow[] = (run) => run.rows) {
      let trials = 0;
      let first = 0;
      for (const { seed, run } of runs) {
        const ranked = rankByTiming(plant(run), run.owners, run.window, direction, prng(seed * 7919));
        trials += ranked.trials;
        first += ranked.first;
      }
      const chance = 1 / runs[0]!.run.active;
      return { trials, first, chance, p: binomialTail(trials, chance, first) };
    }

    for (const direction of ['before', 'after'] as const) {
      it(`ranking accounts by their timestamps ${direction === 'before' ? 'just before' : 'just after'} each blinded id’s items`, () => {
        const { trials, first, chance, p } = tally(direction);
        assert.ok(trials >= 80, `enough trials to mean something (${trials})`);
        assert.ok(p >= ALPHA, `the true account ranked first in ${first} of ${trials} trials (chance ${(chance * trials).toFixed(1)}): P = ${p.toExponential(2)} < ${ALPHA}`);
      });
    }

    it('controls: log-in times and last-seen times kept to the millisecond are found', () => {
      const planted = (field: 'logins' | 'lastSeen') => (run: TimingRun) => [
        ...run.rows,
        ...run[field].map((visit, i) => toRow('sessions', { id: `planted${i}`, accountId: visit.accountId, createdAt: visit.at })),
      ];
      for (const [direction, field] of [
        ['before', 'logins'],
        ['after', 'lastSeen'],
      ] as const) {
        const { trials, first, p } = tally(direction, planted(field));
        assert.ok(p < ALPHA, `a precise ${field} time gives the member away (${first} of ${trials} first, P = ${p.toExponential(2)})`);
      }
    });
  });
});
