import { conflict } from '../core/errors.js';
import { newId } from '../crypto.js';
import type { Collection, Store, TxScope } from '../store/port.js';
import { anonymousNumbersCollection, boardBansCollection, type AnonymousNumberDoc, type BoardBanDoc } from './forums.collections.js';

/**
 * Anonymous identities as moderators know them: a blinded id per member and board, shown as "anonymous member #N
 * of this board", and barred from the board by that id. Nothing here names an account, so neither a moderator nor
 * an admin can unmask one; the member's own key recomputes the id each time they post.
 */
export class AnonymousIdentities {
  private readonly numbers: Collection<AnonymousNumberDoc>;
  private readonly bans: Collection<BoardBanDoc>;

  constructor(store: Store) {
    this.numbers = store.collection(anonymousNumbersCollection);
    this.bans = store.collection(boardBansCollection);
  }

  /** Gives the identity its number on the board at its first anonymous post there; later posts keep it. */
  async number(tx: TxScope, boardId: string, blindId: string): Promise<number> {
    const col = tx.collection(anonymousNumbersCollection);
    const known = await col.findOne({ boardId, blindId });
    if (known) return known.number;
    const number = (await col.count({ boardId })) + 1;
    await col.insert({ id: newId(), boardId, blindId, number });
    return number;
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

  async banned(boardId: string, blindId: string): Promise<boolean> {
    return (await this.bans.findOne({ boardId, blindId })) !== null;
  }

  async ban(tx: TxScope, boardId: string, blindId: string, reason: string): Promise<void> {
    const col = tx.collection(boardBansCollection);
    if (await col.findOne({ boardId, blindId })) throw conflict('already_banned');
    await col.insert({ id: newId(), boardId, blindId, reason });
  }
}
