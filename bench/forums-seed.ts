import { newId } from '../server/crypto.js';
import { markdownToText, renderMarkdown, truncate } from '../server/content/markdown.js';
import { QUOTE_EXCERPT_LENGTH, quoteExcerpt } from '../server/forums/quote-excerpt.js';
import { openStore } from '../server/store/open-store.js';
import type { TxScope } from '../server/store/port.js';
import { instanceCollection } from '../server/instance/instance.collections.js';
import { accountsCollection, accountsCollections, type AccountDoc } from '../server/accounts/accounts.collections.js';
import { moderationCollections } from '../server/moderation/moderation.collections.js';
import {
  boardsCollection,
  forumsCollections,
  postsCollection,
  reactionsCollection,
  threadsCollection,
  type BoardDoc,
  type PostDoc,
  type ReactionDoc,
  type ThreadDoc,
} from '../server/forums/forums.collections.js';
import { reactionKinds } from '../server/forums/reactions.js';
import { prng } from '../test/helpers/prng.js';

/**
 * Seeds a forum straight through the storage port, before the server opens the
 * database: going through the API would take hours (the posting limit is 10 a
 * minute per member) and would measure the API rather than build the data.
 * Every counter the service keeps (board threadCount/postCount, thread
 * postCount/lastPostAt/bumpKey/firstPostId, post reaction counts) matches the
 * documents written, so the server sees the data it would have made itself.
 */
export interface SeedOptions {
  readonly boards: number;
  readonly threads: number;
  readonly posts: number;
  readonly members: number;
  /** One in `longEvery` threads is long (LONG_POSTS posts) so that a thread page shows a full page of 30 posts. */
  readonly longEvery: number;
  /** The argon2id hash every member's passphrase gets: one hash, computed once by the caller. */
  readonly passHash: string;
  /** Documents per transaction. */
  readonly batch: number;
}

export interface SeedResult {
  readonly members: readonly { readonly id: string; readonly handle: string }[];
  /** Threads with at least a full page of posts, in seeding order. */
  readonly longThreadIds: readonly string[];
  readonly counts: { readonly boards: number; readonly threads: number; readonly posts: number; readonly reactions: number; readonly accounts: number };
}

/** Posts in a long thread: two full pages of 30, so the first page has a next cursor. */
export const LONG_POSTS = 60;

// Words of the forum's own subjects, a few in other languages (with diacritics, which the text index folds).
const WORDS = (
  'client clients booking deposit cash screening safety buddy check-in clinic test results PrEP PEP condoms ' +
  'police raid rights lawyer landlord rent tax bank account agency manager driver hotel incall outcall tour ' +
  'city night weekend regular new ad photos verification reference blacklist warning scam fake payment refund ' +
  'boundaries consent respect burnout therapy peer group support collective union meeting workshop drop-in ' +
  'health nurse doctor appointment vaccine hepatitis HIV STI herpes syphilis clinic anonymous free sliding scale ' +
  'money savings budget invoice crypto transfer platform ban shadowban moderation website hosting domain backup ' +
  'phone number burner message text call voice video review rating vouch trust friend partner family kids school ' +
  'housing shelter emergency hotline advocate court ticket fine charge record expungement visa migrant language ' +
  'rest sleep food gym massage bath self-care break holiday season busy slow quiet market rates hourly overnight ' +
  'the a and to of in for with on at from about after before because but if when then still just really very ' +
  'again always never sometimes maybe probably honestly finally today yesterday tomorrow week month year ' +
  'I you we they he she it my your our their someone anyone everyone nobody ' +
  'think feel know want need try ask tell say hear see found lost got made took gave kept left moved stayed ' +
  'good bad hard easy safe scary tired angry happy grateful worried sure careful late early long short ' +
  'seguridad clínica cliente derechos policía ayuda compañeras réseau santé sécurité travailleuses direitos saúde'
).split(' ');

const LINK_HOSTS = ['https://example.org', 'https://swop.example.net', 'https://clinic.example.com'];

function textMaker(rand: () => number) {
  const word = () => WORDS[Math.floor(rand() * WORDS.length)]!;
  const sentence = (min: number, max: number) => {
    const n = min + Math.floor(rand() * (max - min + 1));
    const words: string[] = [];
    for (let i = 0; i < n; i++) {
      let w = word();
      const r = rand();
      // Inline Markdown now and then, so rendering and the text index see markup.
      if (r < 0.04) w = `**${w}**`;
      else if (r < 0.07) w = `_${w}_`;
      else if (r < 0.08) w = `\`${w}\``;
      else if (r < 0.09) w = `${LINK_HOSTS[Math.floor(rand() * LINK_HOSTS.length)]!}/${word().replace(/[^a-z]/gi, '') || 'info'}`;
      words.push(w);
    }
    const s = words.join(' ');
    return `${s.charAt(0).toUpperCase()}${s.slice(1)}${rand() < 0.15 ? '?' : '.'}`;
  };
  const paragraph = () => `${sentence(7, 12)} ${sentence(5, 10)}`;
  const middle = () => {
    const r = rand();
    if (r < 0.3) return Array.from({ length: 2 + Math.floor(rand() * 2) }, () => `- ${sentence(3, 6)}`).join('\n');
    if (r < 0.45) return Array.from({ length: 2 + Math.floor(rand() * 2) }, (_, i) => `${i + 1}. ${sentence(3, 6)}`).join('\n');
    if (r < 0.65) return `> ${sentence(5, 10)}`;
    return sentence(5, 10);
  };
  return { word, sentence, paragraph, middle };
}

interface Block {
  readonly md: string;
  readonly html: string;
  /** The text markdownToText reads from it. */
  readonly text: string;
}

/** A seeded body, with the excerpt a quote of it shows. */
interface Body extends Block {
  readonly excerpt: string;
}

/**
 * Bodies are a paragraph, a list, quote or paragraph, and a paragraph, drawn
 * from pools rendered once: rendering 200,000 bodies one by one would take
 * most of a minute. Blocks separated by a blank line render independently
 * when the first and last are paragraphs (nothing merges across them), so the
 * HTML of a body is the concatenation of its blocks' HTML; verifyBodies()
 * checks that against the real renderer. Its text (for the excerpt quotes
 * show) is likewise its blocks' texts, joined by a space.
 */
function bodyPool(rand: () => number) {
  const text = textMaker(rand);
  const render = (md: string): Block => ({ md, html: renderMarkdown(md), text: markdownToText(md) });
  const paragraphs = Array.from({ length: 800 }, () => render(text.paragraph()));
  const middles = Array.from({ length: 400 }, () => render(text.middle()));
  const pick = (list: readonly Block[]) => list[Math.floor(rand() * list.length)]!;
  return {
    title: () => text.sentence(4, 9).replace(/[.?]$/, ''),
    body: (): Body => {
      const parts = [pick(paragraphs), pick(middles), pick(paragraphs)];
      const text = parts.map((p) => p.text).join(' ');
      return { md: parts.map((p) => p.md).join('\n\n'), html: parts.map((p) => p.html).join(''), text, excerpt: truncate(text, QUOTE_EXCERPT_LENGTH) };
    },
  };
}

function verifyBodies(samples: readonly Body[]): void {
  for (const s of samples) {
    if (renderMarkdown(s.md) !== s.html) throw new Error(`seeded HTML differs from renderMarkdown for:\n${s.md}`);
    if (quoteExcerpt(s.md) !== s.excerpt) throw new Error(`seeded excerpt differs from quoteExcerpt for:\n${s.md}`);
  }
}

/** Seeds the database `databaseUrl` names (as DATABASE_URL does: `sqlite:PATH` or `postgres://…`). */
export async function seedForums(databaseUrl: string, options: SeedOptions): Promise<SeedResult> {
  const rand = prng(20_250_101);
  const pool = bodyPool(rand);
  const store = await openStore(databaseUrl);
  try {
    // The same collections server/app.ts declares for accounts, forums, moderation and the instance.
    await store.declare([instanceCollection, ...accountsCollections, ...forumsCollections, ...moderationCollections]);
    const now = Date.now();

    const members: AccountDoc[] = Array.from({ length: options.members }, (_, i) => ({
      id: newId(),
      handle: `member_${i}`,
      handleLower: `member_${i}`,
      displayName: `Member ${i}`,
      passHash: options.passHash,
      role: 'member',
      status: 'active',
      locale: null,
      recoveryCodes: [],
      createdAt: now - 400 * 86_400_000,
      updatedAt: now - 400 * 86_400_000,
    }));
    await store.transaction(async (tx) => {
      const col = tx.collection(accountsCollection);
      for (const m of members) await col.insert(m);
    });

    const boards: BoardDoc[] = Array.from({ length: options.boards }, (_, i) => ({
      id: newId(),
      slug: `board-${i}`,
      name: `Board ${i}`,
      description: pool.title(),
      language: 'en',
      visibility: 'public',
      position: (i + 1) * 10,
      archived: false,
      approveFirstPosts: false,
      slowModeSeconds: 0,
      moderatorIds: [],
      threadCount: 0,
      postCount: 0,
      removedCount: 0,
      createdAt: now - 400 * 86_400_000,
      updatedAt: now - 400 * 86_400_000,
    }));

    const longThreads = Math.floor(options.threads / options.longEvery);
    const shortPosts = options.posts - longThreads * LONG_POSTS;
    const shortThreads = options.threads - longThreads;
    if (shortPosts < shortThreads) throw new Error('too few posts for that many threads');
    // Short threads share the remaining posts as evenly as integers allow.
    const shortShare = (k: number) => Math.floor(((k + 1) * shortPosts) / shortThreads) - Math.floor((k * shortPosts) / shortThreads);

    const longThreadIds: string[] = [];
    const samples: Body[] = [];
    let postCount = 0;
    let reactionCount = 0;
    let pending: ((tx: TxScope) => Promise<unknown>)[] = [];
    const spanMs = 365 * 86_400_000;
    const member = () => members[Math.floor(rand() * members.length)]!;
    const write = (fn: (tx: TxScope) => Promise<unknown>) => pending.push(fn);
    // Writes run in transactions of `batch` documents; a thread's documents may straddle two.
    const flush = async () => {
      const writes = pending;
      pending = [];
      await store.transaction(async (tx) => {
        for (const w of writes) await w(tx);
      });
    };

    let shortIndex = 0;
    for (let i = 0; i < options.threads; i++) {
      const board = boards[i % boards.length]!;
      const count = i % options.longEvery === 0 ? LONG_POSTS : shortShare(shortIndex++);
      const threadId = newId();
      // Threads start evenly over the past year, oldest first, ending ten days ago so that the
      // replies (minutes to hours apart, at most about five days for a long thread) are all in the past.
      let at = now - spanMs - 10 * 86_400_000 + Math.floor((i * spanMs) / options.threads);
      const createdAt = at;
      const threadPosts: PostDoc[] = [];
      for (let p = 0; p < count; p++) {
        const body = pool.body();
        const { md, html } = body;
        if ((postCount + p) % 400 === 0) samples.push(body);
        const author = member();
        const reactions: Record<string, number> = {};
        const reactors: ReactionDoc[] = [];
        const id = newId();
        if (rand() < 0.2) {
          for (let r = 0, n = 1 + Math.floor(rand() * 3); r < n; r++) {
            const kind = reactionKinds[Math.floor(rand() * reactionKinds.length)]!;
            const who = member();
            // The id the service gives a reaction (post, reactor, kind), so a member's toggle finds it.
            const reactionId = `${id}.${who.id}.${kind}`;
            if (reactors.some((x) => x.id === reactionId)) continue;
            reactors.push({ id: reactionId, postId: id, threadId, reactorId: who.id, kind, createdAt: at + 60_000 });
            reactions[kind] = (reactions[kind] ?? 0) + 1;
          }
        }
        const quoteOf = p > 2 && rand() < 0.1 ? threadPosts[Math.floor(rand() * threadPosts.length)]!.id : null;
        const post: PostDoc = {
          id,
          threadId,
          boardId: board.id,
          authorId: author.id,
          anonymous: rand() < 0.05,
          body: md,
          html,
          excerpt: body.excerpt,
          ...(p === 0 ? { title: pool.title() } : {}),
          contentWarning: rand() < 0.03 ? 'violence' : null,
          quoteOf,
          state: 'visible',
          removedReason: null,
          reactions,
          createdAt: at,
          editedAt: null,
        };
        threadPosts.push(post);
        for (const r of reactors) write((s) => s.collection(reactionsCollection).insert(r));
        reactionCount += reactors.length;
        at += 60_000 + Math.floor(rand() * 120 * 60_000);
      }
      const first = threadPosts[0]!;
      const last = threadPosts[threadPosts.length - 1]!;
      const thread: ThreadDoc = {
        id: threadId,
        boardId: board.id,
        title: first.title!,
        firstPostId: first.id,
        authorId: first.authorId,
        anonymous: first.anonymous,
        state: 'visible',
        pinned: false,
        locked: false,
        postCount: count,
        createdAt,
        lastPostAt: last.createdAt,
        // Not pinned: the bump key is the last activity (see bumpKey in server/forums/post-writes.ts).
        bumpKey: last.createdAt,
      };
      write((s) => s.collection(threadsCollection).insert(thread));
      for (const post of threadPosts) write((s) => s.collection(postsCollection).insert(post));
      board.threadCount += 1;
      board.postCount += count;
      postCount += count;
      if (count >= LONG_POSTS) longThreadIds.push(threadId);
      if (pending.length >= options.batch) await flush();
    }
    await flush();
    await store.transaction(async (s) => {
      const col = s.collection(boardsCollection);
      for (const b of boards) await col.insert(b);
    });
    verifyBodies(samples);
    return {
      members: members.map((m) => ({ id: m.id, handle: m.handle })),
      longThreadIds,
      counts: { boards: boards.length, threads: options.threads, posts: postCount, reactions: reactionCount, accounts: members.length },
    };
  } finally {
    await store.close();
  }
}
