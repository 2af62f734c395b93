import { conflict, notFound } from '../core/errors.js';
import { newId } from '../crypto.js';
import type { Collection, Store, TxScope } from '../store/port.js';
import { anonymousNumbersCollection, boardBansCollection, replyMarksCollection, type AnonymousNumberDoc, type BoardBanDoc } from './forums.collections.js';

/**
 * The identity's read mark for replies, made when it has none: from `at`, a post's own time. An upsert, so that two
 * first posts at once (a form sent twice) both succeed.
 */
export async function ensureReplyMark(tx: TxScope, blindId: string, at: number): Promise<void> {
  const marks = tx.collection(replyMarksCollection);
  if (!(await marks.get(blindId))) await marks.upsert({ id: blindId, seenUpTo: at, threads: {} });
}

/** A board's moderation page lists this many bans at most: more than any board has needed, and a bounded page. */
const MAX_BANS_LISTED = 500;

/**
 * Anonymous identities as moderators know them: a blinded id per member and board, shown as "anonymous member #N
 * of this board", and barred from the board by that id. Nothing here names an account, so neither a moderator nor
 * an admin can unmask one; the member's own key recomputes the id each time they post.
 */
export class AnonymousIdentities {
  private readonly numbers: Collection<AnonymousNumberDoc>;
  private readonly bans: Collection<BoardBanDoc>;

  constructor(private readonly store: Store) {
    this.numbers = store.collection(anonymousNumbersCollection);
    this.bans = store.collection(boardBansCollection);
  }

  /**
   * Gives the identity its number on the board at its first anonymous post there; later posts keep it. The identity
   * also gets its read mark for replies (from `postedAt`, the post's own time), if it has none yet.
   */
  async number(tx: TxScope, boardId: string, blindId: string, postedAt: number): Promise<number> {
    const col = tx.collection(anonymousNumbersCollection);
    await ensureReplyMark(tx, blindId, postedAt);
    const known = await col.findOne({ boardId, blindId });
    if (known) return known.number;
    const number = (await col.count({ boardId })) + 1;
    await col.insert({ id: newId(), boardId, blindId, number });
    return number;
  }

  /**
   * Identities that posted before reply marks existed get one, marked read up to `now`: the same time for all of
   * them, so it says nothing of any. Idempotent, and a page at a time.
   */
  async backfillReplyMarks(now: number): Promise<void> {
    const marks = this.store.collection(replyMarksCollection);
    let after: string | null = null;
    do {
      const page = await this.numbers.find({ limit: 500, after });
      const known = new Set((await marks.getMany(page.items.map((n) => n.blindId))).map((m) => m.id));
      for (const n of page.items) if (!known.has(n.blindId)) await marks.upsert({ id: n.blindId, seenUpTo: now, threads: {} });
      after = page.next;
    } while (after);
  }

  /** The numbers of these identities on one board, by blinded id. */
  async numbersOn(boardId: string, blindIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const blindId of new Set(blindIds)) {
      const doc = await this.numbers.findOne({ boardId, blindId });
      if (doc) out.set(blindId, doc.number);
    }
    return out;
  }

  /**
   * The numbers of the anonymous authors of `items`, by blinded id, each on the board its id was computed for (a
   * moved thread keeps it). Blinded ids of different boards never coincide: they are HMACs over distinct scopes.
   */
  async numbersFor(items: readonly { anonymous: boolean; blindAuthor?: string | null; blindBoardId?: string | null; boardId: string }[]): Promise<Map<string, number>> {
    const byBoard = new Map<string, string[]>();
    for (const p of items) {
      if (!p.anonymous || !p.blindAuthor) continue;
      const boardId = p.blindBoardId ?? p.boardId;
      byBoard.set(boardId, [...(byBoard.get(boardId) ?? []), p.blindAuthor]);
    }
    const out = new Map<string, number>();
    for (const [boardId, ids] of byBoard) for (const [blindId, n] of await this.numbersOn(boardId, ids)) out.set(blindId, n);
    return out;
  }

  async banned(boardId: string, blindId: string): Promise<boolean> {
    return (await this.bans.findOne({ boardId, blindId })) !== null;
  }

  async ban(tx: TxScope, boardId: string, blindId: string, reason: string): Promise<void> {
    const col = tx.collection(boardBansCollection);
    if (await col.findOne({ boardId, blindId })) throw conflict('already_banned');
    await col.insert({ id: newId(), boardId, blindId, reason });
  }

  /** The board's bans with each identity's number, lowest number first. */
  async bansOn(boardId: string): Promise<{ id: string; anonymousNumber: number | null; reason: string }[]> {
    const list = (await this.bans.find({ where: { boardId }, orderBy: { field: 'blindId' }, limit: MAX_BANS_LISTED })).items;
    const numbers = await this.numbersOn(boardId, list.map((b) => b.blindId));
    return list
      .map((b) => ({ id: b.id, anonymousNumber: numbers.get(b.blindId) ?? null, reason: b.reason }))
      .sort((a, b) => (a.anonymousNumber ?? Infinity) - (b.anonymousNumber ?? Infinity));
  }

  /** Lifts one ban of the board; answers the identity's number, for the moderation log. */
  async lift(tx: TxScope, boardId: string, banId: string): Promise<number | null> {
    const col = tx.collection(boardBansCollection);
    const ban = await col.get(banId);
    if (!ban || ban.boardId !== boardId || !(await col.delete(ban.id))) throw notFound('ban_not_found');
    return (await tx.collection(anonymousNumbersCollection).findOne({ boardId, blindId: ban.blindId }))?.number ?? null;
  }
}
