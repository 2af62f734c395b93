import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AccountDoc } from '../../server/accounts/accounts.collections.js';
import { AppError } from '../../server/core/errors.js';
import { MemberKey } from '../../server/core/member-key.js';
import type { ModeratedBoard, ModeratedContent, ModeratedPost } from '../../server/moderation/moderated-content.js';
import { moderationCollections } from '../../server/moderation/moderation.collections.js';
import { ModerationService } from '../../server/moderation/moderation.service.js';
import { ModerationQueueService } from '../../server/moderation/queue.service.js';
import { openStore } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/port.js';

const person = (id: string, role: AccountDoc['role']): AccountDoc => ({
  id,
  handle: id,
  handleLower: id,
  displayName: id,
  passHash: '',
  role,
  status: 'active',
  locale: null,
  recoveryCodes: [],
  createdAt: 0,
  updatedAt: 0,
});

const staff = person('staff', 'moderator');
const boardMod = person('boardmod', 'member');
const reader = person('reader', 'member');
const writer = person('writer', 'member');

const modKey = MemberKey.generate();

const board = (id: string, moderators: readonly AccountDoc[], visibleToVisitors: boolean) => ({ id, moderators, visibleToVisitors });
const boards = [board('b-open', [boardMod], true), board('b-members', [], false)];

const post = (id: string, boardId: string, fields: Partial<ModeratedPost> = {}): ModeratedPost => ({
  id,
  threadId: `t-${id}`,
  boardId,
  html: `<p>${id}</p>`,
  state: 'visible',
  anonymous: false,
  createdAt: 1,
  authorId: writer.id,
  anonymousNumber: null,
  remoteHandle: null,
  thread: { id: `t-${id}`, title: `thread of ${id}` },
  ...fields,
});

/** The forums' side of the port, as a table: moderation must work from it alone. */
class FakeContent implements ModeratedContent {
  readonly actions: string[] = [];
  readonly posted = [
    post('anon', 'b-open', { anonymous: true, authorId: null, anonymousNumber: 1 }),
    post('mods-own', 'b-open', { anonymous: true, authorId: null, anonymousNumber: 2 }),
    post('mods-named', 'b-open', { authorId: boardMod.id }),
    post('far', 'b-open', { authorId: null, remoteHandle: 'kim@far.example' }),
    post('hidden-board', 'b-members'),
    post('held', 'b-open', { state: 'pending' }),
    post('held-elsewhere', 'b-members', { state: 'pending' }),
  ];

  async boards(viewer: AccountDoc | null): Promise<ModeratedBoard[]> {
    return boards.map((b) => ({
      id: b.id,
      slug: b.id,
      name: b.id,
      postCount: 10,
      removedCount: 2,
      visible: b.visibleToVisitors || !!viewer,
      moderated: !!viewer && (viewer.role !== 'member' || b.moderators.some((m) => m.id === viewer.id)),
    }));
  }

  async pendingPosts(limit: number): Promise<ModeratedPost[]> {
    return this.posted.filter((p) => p.state === 'pending').slice(0, limit);
  }

  async posts(ids: readonly string[]): Promise<ModeratedPost[]> {
    return this.posted.filter((p) => ids.includes(p.id));
  }

  /** The board moderator's key wrote `mods-own`. */
  async ownAnonymous(key: MemberKey | null, ids: readonly string[]): Promise<ReadonlySet<string>> {
    return new Set(key === modKey && ids.includes('mods-own') ? ['mods-own'] : []);
  }

  async moderatePost(actor: AccountDoc | null, postId: string, raw: unknown): Promise<unknown> {
    this.actions.push(`${actor?.id}:${postId}:${JSON.stringify(raw)}`);
    return null;
  }
}

const names = new Map([writer, reader, boardMod, staff].map((a) => [a.id, { handle: a.handle, displayName: a.displayName }]));
const accounts = {
  publicNames: async (ids: readonly string[]) => new Map([...names].filter(([id]) => ids.includes(id))),
  suspend: async () => assert.fail('not used here'),
  unsuspend: async () => assert.fail('not used here'),
};

const refusedWith = (code: string) => (error: unknown) => error instanceof AppError && error.code === code;

describe('moderation queue (through the content port)', () => {
  let dir: string;
  let store: Store;
  let moderation: ModerationService;
  let content: FakeContent;
  let queue: ModerationQueueService;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-queue-'));
    store = await openStore(`sqlite:${path.join(dir, 'queue.db')}`);
    await store.declare(moderationCollections);
    moderation = new ModerationService(store, accounts);
    await moderation.reloadFilters();
    content = new FakeContent();
    queue = new ModerationQueueService({ store, moderation, accounts, content });
    for (const p of content.posted) await moderation.fileReport(reader, p, { reason: 'harassment', note: `about ${p.id}` });
    await moderation.fileRemoteReport('ap:far.example', content.posted[0]!, { reason: 'spam' });
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows a board moderator the reports on their boards only, an anonymous post by its number and no account', async () => {
    const { items } = await queue.reportQueue(boardMod, modKey);
    assert.deepEqual([...new Set(items.map((i) => i.board.id))], ['b-open'], 'only the boards they moderate');
    const anon = items.find((i) => i.post?.id === 'anon' && i.reporter?.handle === 'reader');
    assert.ok(anon, 'the report on the anonymous post is listed');
    assert.equal(anon.post?.anonymous, true);
    assert.equal(anon.post?.anonymousNumber, 1);
    assert.equal(anon.author, null, 'no account is named for an anonymous post');
    assert.equal(items.find((i) => i.post?.id === 'far')?.author?.handle, 'kim@far.example');
    assert.ok(items.some((i) => i.post?.id === 'anon' && i.reporter?.handle === 'far.example'), 'a report from another server names the server');
    assert.ok(!items.some((i) => i.post?.id === 'mods-own'), 'reports on the moderator’s own anonymous post are withheld from them');
    assert.ok((await queue.reportQueue(staff, null)).items.some((i) => i.post?.id === 'mods-own'), 'other moderators see them');
  });

  it('never shows a moderator the reports on their own named post, nor lets them dismiss one; the others decide', async () => {
    const { items } = await queue.reportQueue(boardMod, modKey);
    assert.ok(!items.some((i) => i.post?.id === 'mods-named'), 'the reported moderator does not learn who reported them');
    const seen = (await queue.reportQueue(staff, null)).items.find((i) => i.post?.id === 'mods-named');
    assert.ok(seen, 'staff (every admin moderates every board) see the report');
    assert.equal(seen.reporter?.handle, 'reader');
    await assert.rejects(queue.dismissReport(boardMod, modKey, seen.report.id), refusedWith('own_post_report'));
    const ownAnonymous = (await queue.reportQueue(staff, null)).items.find((i) => i.post?.id === 'mods-own')!;
    await assert.rejects(queue.dismissReport(boardMod, modKey, ownAnonymous.report.id), refusedWith('own_post_report'));
    assert.ok((await queue.reportQueue(staff, null)).items.some((i) => i.post?.id === 'mods-named'), 'the report is still open');
  });

  it('shows staff every board, and refuses a member who moderates none', async () => {
    const { items } = await queue.reportQueue(staff, null);
    assert.ok(items.some((i) => i.board.id === 'b-members'), 'staff see reports on every board');
    await assert.rejects(queue.reportQueue(reader, null), refusedWith('moderator_only'));
    await assert.rejects(queue.pendingPosts(reader), refusedWith('moderator_only'));
    await assert.rejects(queue.reportQueue(boardMod, null, { after: 'x'.repeat(500) }), refusedWith('validation_failed'));
  });

  it('lists held posts on the moderator’s boards with their thread and author', async () => {
    const pending = await queue.pendingPosts(boardMod);
    assert.deepEqual(
      pending.map((p) => [p.post.id, p.thread.title, p.author?.handle]),
      [['held', 'thread of held', 'writer']],
    );
  });

  it('dismisses a report only on a board the moderator moderates, and logs it', async () => {
    const open = (await queue.reportQueue(staff, null)).items;
    const elsewhere = open.find((i) => i.board.id === 'b-members')!;
    await assert.rejects(queue.dismissReport(boardMod, null, elsewhere.report.id), refusedWith('moderator_only'));
    const mine = open.find((i) => i.post?.id === 'far')!;
    await queue.dismissReport(boardMod, null, mine.report.id);
    await assert.rejects(queue.dismissReport(boardMod, null, mine.report.id), refusedWith('wrong_state'));
    assert.ok(!(await queue.reportQueue(boardMod, null)).items.some((i) => i.report.id === mine.report.id), 'a dismissed report leaves the queue');
    const log = await queue.modLog(staff);
    assert.deepEqual(
      log.items.map((e) => [e.action, e.targetId, e.actor]),
      [['report_dismissed', mine.report.id, 'boardmod']],
    );
    await assert.rejects(queue.modLog(boardMod), refusedWith('moderator_only'));
  });

  it('hands a moderator’s action on a post to the content’s own rules', async () => {
    await queue.moderatePost(boardMod, 'anon', { action: 'hide' });
    assert.deepEqual(content.actions, ['boardmod:anon:{"action":"hide"}']);
  });

  it('publishes removal figures for the boards the viewer may read', async () => {
    assert.deepEqual(await queue.transparency(null), [{ slug: 'b-open', name: 'b-open', removed: 2, posts: 10 }]);
    assert.equal((await queue.transparency(reader)).length, 2);
  });
});
