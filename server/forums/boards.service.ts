import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import { conflict, forbidden, unprocessable } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import { newId } from '../crypto.js';
import type { Relabel, SeedLanguage } from '../i18n/i18n.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import { DuplicateKeyError, type Store } from '../store/port.js';
import { eachPage } from '../store/paging.js';
import type { ForumChanges } from './changes.js';
import type { ForumDocs } from './forum-docs.js';
import type { BoardView, ForumViews } from './forum-views.js';
import { boardsCollection, postsCollection, reactionsCollection, threadsCollection, type BoardDoc } from './forums.collections.js';
import { boardInput, boardPatchInput } from './forums.schemas.js';
import { canAdministerBoards, canDeleteBoards, canModerate, canSee, ensureSee } from './policy.js';

/** A fresh instance's boards, named in its default language (catalogue keys); admins rename them at will. */
export const starterBoards = [
  { slug: 'general', name: 'starter.general', description: 'starter.general_about' },
  { slug: 'health', name: 'starter.health', description: 'starter.health_about' },
  { slug: 'rights-and-safety', name: 'starter.rights', description: 'starter.rights_about' },
] as const;

type BoardSettings = Pick<BoardDoc, 'slug' | 'name' | 'description' | 'language' | 'visibility' | 'position' | 'approveFirstPosts' | 'slowModeSeconds'>;

/** A new board: open, without moderators of its own, nothing posted yet. */
function newBoard(settings: BoardSettings, now: number): BoardDoc {
  return {
    id: newId(),
    ...settings,
    archived: false,
    moderatorIds: [],
    threadCount: 0,
    postCount: 0,
    removedCount: 0,
    createdAt: now,
    updatedAt: now,
  };
}

export interface BoardsDeps {
  readonly store: Store;
  readonly docs: ForumDocs;
  readonly views: ForumViews;
  readonly accounts: AccountsService;
  readonly moderation: ModerationService;
  readonly changes: ForumChanges;
}

/** Board administration: the boards of the instance, their settings and their moderators. */
export class BoardsService {
  private readonly remoteMediaOff: ((boardId: string) => Promise<unknown>)[] = [];

  constructor(private readonly deps: BoardsDeps) {}

  /** Called, and awaited, when a board turns remote media off: what was fetched for it goes (server/photos.ts). */
  onRemoteMediaOff(listener: (boardId: string) => Promise<unknown>): void {
    this.remoteMediaOff.push(listener);
  }

  /** The first boards of a fresh instance, so that a newcomer sees a working forum at once. */
  async seedStarterBoards(language: SeedLanguage): Promise<void> {
    const { store, docs } = this.deps;
    if ((await docs.boards.count()) > 0) return;
    const now = Date.now();
    await store.transaction(async (tx) => {
      const col = tx.collection(boardsCollection);
      for (const [i, b] of starterBoards.entries()) {
        await col.insert(
          newBoard(
            {
              slug: b.slug,
              name: language.text(b.name),
              description: language.text(b.description),
              language: language.locale,
              visibility: 'public',
              position: (i + 1) * 10,
              approveFirstPosts: false,
              slowModeSeconds: 0,
            },
            now,
          ),
        );
      }
    });
  }

  /** The starter boards nobody has renamed move to the language the admin chose at setup. */
  async relabelStarterBoards(relabel: Relabel): Promise<void> {
    const { docs } = this.deps;
    let changed = false;
    for (const b of starterBoards) {
      const board = await docs.boards.findOne({ slug: b.slug });
      if (!board || !relabel.untouched(b.name, board.name) || !relabel.untouched(b.description, board.description)) continue;
      const { to } = relabel;
      await docs.boards.patch(board.id, { name: to.text(b.name), description: to.text(b.description), language: to.locale, updatedAt: Date.now() });
      changed = true;
    }
    // A board's name shows on every one of its thread pages.
    if (changed) this.deps.changes.changed(null);
  }

  async listBoards(viewer: AccountDoc | null): Promise<BoardView[]> {
    return (await this.deps.docs.allBoards())
      .filter((b) => canSee(viewer, b) && (!b.archived || canModerate(viewer, b)))
      .map((b) => this.deps.views.boardView(viewer, b));
  }

  /** Every board, for the command line. */
  allBoards(): Promise<BoardDoc[]> {
    return this.deps.docs.allBoards();
  }

  async getBoard(viewer: AccountDoc | null, slug: string): Promise<BoardView> {
    const board = await this.deps.docs.boardBySlug(slug);
    ensureSee(viewer, board);
    return this.deps.views.boardView(viewer, board);
  }

  /** The handles of a board's own moderators, for the boards' administration page. */
  async moderatorHandles(boardId: string): Promise<string[]> {
    const board = await this.deps.docs.boards.get(boardId);
    const names = await this.deps.accounts.publicNames(board?.moderatorIds ?? []);
    return [...names.values()].map((n) => n.handle);
  }

  async createBoard(actor: AccountDoc, raw: unknown): Promise<BoardView> {
    const { store, docs, moderation } = this.deps;
    if (!canAdministerBoards(actor)) throw forbidden('moderator_only');
    const input = parseInput(boardInput, raw);
    const now = Date.now();
    const last = (await docs.boards.find({ orderBy: { field: 'position', direction: 'desc' }, limit: 1 })).items[0];
    const doc = newBoard(
      {
        slug: input.slug,
        name: input.name,
        description: input.description,
        language: input.language,
        visibility: input.visibility,
        position: input.position ?? (last ? last.position + 10 : 10),
        approveFirstPosts: input.approveFirstPosts,
        slowModeSeconds: input.slowModeSeconds,
      },
      now,
    );
    try {
      await store.transaction(async (tx) => {
        await tx.collection(boardsCollection).insert(doc);
        await moderation.record(tx, actor, { boardId: doc.id, action: 'board_created', targetType: 'board', targetId: doc.id, reason: doc.name });
      });
    } catch (error) {
      if (error instanceof DuplicateKeyError) throw conflict('slug_taken');
      throw error;
    }
    return this.deps.views.boardView(actor, doc);
  }

  async updateBoard(actor: AccountDoc, slug: string, raw: unknown): Promise<BoardView> {
    const { store, docs, moderation } = this.deps;
    const board = await docs.boardBySlug(slug);
    if (!canModerate(actor, board)) throw forbidden('moderator_only');
    const input = parseInput(boardPatchInput, raw);
    if ((input.visibility !== undefined || input.moderators !== undefined) && !canAdministerBoards(actor)) throw forbidden('moderator_only');
    const { moderators, ...rest } = input;
    const patch: Partial<BoardDoc> = { ...rest, updatedAt: Date.now() };
    if (moderators) patch.moderatorIds = await this.handlesToIds(moderators);
    const updated = await store.transaction(async (tx) => {
      const next = await tx.collection(boardsCollection).patch(board.id, patch);
      const fields = Object.keys(input).join(', ');
      await moderation.record(tx, actor, { boardId: board.id, action: input.archived === true ? 'board_archived' : 'board_changed', targetType: 'board', targetId: board.id, reason: fields });
      return next!;
    });
    if (board.remoteMedia !== false && updated.remoteMedia === false) for (const listener of this.remoteMediaOff) await listener(board.id);
    // Its visibility, name or state shows on every one of its thread pages.
    this.deps.changes.changed(null);
    return this.deps.views.boardView(actor, updated);
  }

  /** Admins delete a board with everything on it. */
  async deleteBoard(actor: AccountDoc, slug: string): Promise<void> {
    const { store, docs, moderation } = this.deps;
    if (!canDeleteBoards(actor)) throw forbidden('admin_only');
    const board = await docs.boardBySlug(slug);
    await store.transaction(async (tx) => {
      const tcol = tx.collection(threadsCollection);
      const pcol = tx.collection(postsCollection);
      for (const state of ['visible', 'pending', 'removed'] as const) {
        await eachPage(
          (after) => tcol.find({ where: { boardId: board.id, state }, orderBy: { field: 'bumpKey' }, limit: 200, after }),
          async (t) => {
            await pcol.deleteWhere({ threadId: t.id });
            await tx.collection(reactionsCollection).deleteWhere({ threadId: t.id });
            await tcol.delete(t.id);
          },
        );
      }
      await tx.collection(boardsCollection).delete(board.id);
      await moderation.record(tx, actor, { boardId: null, action: 'board_deleted', targetType: 'board', targetId: board.id, reason: board.name });
    });
    this.deps.changes.changed(null);
  }

  private async handlesToIds(handles: readonly string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const h of handles) {
      const account = await this.deps.accounts.byHandle(h);
      if (!account || account.status !== 'active') throw unprocessable('moderator_unknown', { handle: h });
      ids.push(account.id);
    }
    return ids;
  }
}
