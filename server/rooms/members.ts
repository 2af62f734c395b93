import { conflict } from '../core/errors.js';
import { newId } from '../crypto.js';
import { eachPage } from '../store/paging.js';
import { DuplicateKeyError, type Store, type TxScope } from '../store/port.js';
import { membershipsCollection, type DisplayMode, type MembershipDoc, type RoomDoc, type RoomRole } from './rooms.collections.js';
import { isId } from './rooms.schemas.js';

/** Case, width, accents and spacing do not make a different alias. */
export function aliasKey(alias: string): string {
  return alias.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * Every read and write of room memberships, and only here: how a member is
 * linked to their account is decided in this one file.
 */
export class RoomMembers {
  private readonly members;

  constructor(private readonly store: Store) {
    this.members = store.collection(membershipsCollection);
  }

  /** The account's membership of the room, or null. */
  of(roomId: string, accountId: string): Promise<MembershipDoc | null> {
    return this.members.findOne({ roomId, accountId });
  }

  /** A membership of this room by its id; null for a malformed id or another room's member. */
  async byId(roomId: string, memberId: unknown): Promise<MembershipDoc | null> {
    const member = isId(memberId) ? await this.members.get(memberId) : null;
    return member && member.roomId === roomId ? member : null;
  }

  async aliasTaken(roomId: string, alias: string): Promise<boolean> {
    return (await this.members.findOne({ roomId, aliasKey: aliasKey(alias) })) !== null;
  }

  /** The accounts to notify for the room (requests, reports). */
  async facilitatorAccounts(roomId: string): Promise<string[]> {
    const page = await this.members.find({ where: { roomId, role: 'facilitator' }, orderBy: { field: 'joinedAt' }, limit: 100 });
    return page.items.map((m) => m.accountId);
  }

  facilitatorCount(roomId: string): Promise<number> {
    return this.members.count({ roomId, role: 'facilitator' });
  }

  /** The whole member list, oldest first. */
  inRoom(roomId: string): Promise<MembershipDoc[]> {
    return this.all({ roomId });
  }

  /** Every room the account belongs to, oldest membership first. */
  ofAccount(accountId: string): Promise<MembershipDoc[]> {
    return this.all({ accountId });
  }

  /** Changes a membership; an alias clash surfaces as the store's DuplicateKeyError for the caller to word. */
  async update(id: string, patch: Partial<Pick<MembershipDoc, 'role' | 'displayMode' | 'alias' | 'showName' | 'mutedUntil'>>): Promise<MembershipDoc> {
    const changes: Partial<MembershipDoc> = { ...patch, ...(patch.alias !== undefined ? { aliasKey: aliasKey(patch.alias) } : {}) };
    return (await this.members.patch(id, changes))!;
  }

  async markRead(membership: MembershipDoc, seq: number): Promise<void> {
    if (seq > membership.lastReadSeq) await this.members.patch(membership.id, { lastReadSeq: seq });
  }

  async remove(id: string): Promise<void> {
    await this.members.delete(id);
  }

  /** Adds a member inside `tx`; an alias already in use in the room is a 409, never a silent rename. */
  async addIn(tx: TxScope, room: RoomDoc, accountId: string, role: RoomRole, choice: { alias?: string | null; displayMode: DisplayMode }): Promise<MembershipDoc> {
    const col = tx.collection(membershipsCollection);
    if (await col.findOne({ roomId: room.id, accountId })) throw conflict('already_member');
    let alias = choice.alias ?? null;
    if (alias !== null && (await col.findOne({ roomId: room.id, aliasKey: aliasKey(alias) }))) throw conflict('alias_taken');
    // A neutral generated alias: four digits while the room is small, more when they run short.
    for (let attempt = 0; alias === null; attempt++) {
      const candidate = `Member ${1000 + Math.floor(Math.random() * (attempt < 5 ? 9000 : 9_999_000))}`;
      if (!(await col.findOne({ roomId: room.id, aliasKey: aliasKey(candidate) }))) alias = candidate;
    }
    const doc: MembershipDoc = {
      id: newId(),
      roomId: room.id,
      accountId,
      role,
      displayMode: choice.displayMode,
      alias,
      aliasKey: aliasKey(alias),
      showName: false,
      mutedUntil: null,
      lastReadSeq: room.seq,
      joinedAt: Date.now(),
    };
    await col.insert(doc);
    return doc;
  }

  async removeRoomIn(tx: TxScope, roomId: string): Promise<void> {
    await tx.collection(membershipsCollection).deleteWhere({ roomId });
  }

  async removeAccountIn(tx: TxScope, accountId: string): Promise<void> {
    await tx.collection(membershipsCollection).deleteWhere({ accountId });
  }

  /** Runs a write that adds a member; a unique-index clash from a concurrent join becomes the same 409 as the checks give. */
  async joining<R>(fn: (tx: TxScope) => Promise<R>): Promise<R> {
    try {
      return await this.store.transaction(fn);
    } catch (error) {
      if (error instanceof DuplicateKeyError) throw conflict(error.fields.includes('aliasKey') ? 'alias_taken' : 'already_member');
      throw error;
    }
  }

  private async all(where: { roomId: string } | { accountId: string }): Promise<MembershipDoc[]> {
    const list: MembershipDoc[] = [];
    await eachPage(
      (after) => this.members.find({ where, orderBy: { field: 'joinedAt' }, limit: 500, after }),
      (m) => list.push(m),
    );
    return list;
  }
}
