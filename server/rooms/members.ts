import { conflict } from '../core/errors.js';
import { blindScope, type MemberKey } from '../core/member-key.js';
import { newId } from '../crypto.js';
import { eachPage } from '../store/paging.js';
import { DuplicateKeyError, type Store, type TxScope } from '../store/port.js';
import { membershipsCollection, type DisplayMode, type MembershipDoc, type RoomDoc, type RoomRole } from './rooms.collections.js';
import { isId } from './rooms.schemas.js';

/** Case, width, accents and spacing do not make a different alias. */
export function aliasKey(alias: string): string {
  return alias.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Who a new membership is for: the member's blinded id and public key in the room, both computed from their key. */
export interface Seat {
  readonly memberId: string;
  readonly publicKey: string;
}

/** getMany takes this many ids per query: one statement per batch, bounded in size. */
const LOOKUP_BATCH = 500;

/**
 * Every read and write of room memberships, and only here: how a member is
 * linked to a membership is decided in this one file. A membership is found
 * by the member's blinded id, which only their key computes; no account id is
 * ever stored.
 */
export class RoomMembers {
  private readonly members;

  constructor(private readonly store: Store) {
    this.members = store.collection(membershipsCollection);
  }

  /** The member's blinded id in the room. */
  static blindId(key: MemberKey, roomId: string): string {
    return key.blind(blindScope.room(roomId));
  }

  /** The key holder's membership of the room, or null. */
  of(roomId: string, key: MemberKey): Promise<MembershipDoc | null> {
    return this.members.get(RoomMembers.blindId(key, roomId));
  }

  /** The key holder's memberships among `roomIds`, found by computing their blinded id in each and reading them in batches. */
  async ofKey(key: MemberKey, roomIds: readonly string[]): Promise<MembershipDoc[]> {
    const found: MembershipDoc[] = [];
    for (let i = 0; i < roomIds.length; i += LOOKUP_BATCH) {
      found.push(...(await this.members.getMany(roomIds.slice(i, i + LOOKUP_BATCH).map((roomId) => RoomMembers.blindId(key, roomId)))));
    }
    return found;
  }

  /** Memberships by blinded id (a message's author, say). */
  byIds(ids: readonly string[]): Promise<MembershipDoc[]> {
    return this.members.getMany(ids);
  }

  /** A membership of this room by the reference pages use; null for a malformed reference or another room's member. */
  async byRef(roomId: string, ref: unknown): Promise<MembershipDoc | null> {
    return isId(ref) ? this.members.findOne({ roomId, ref }) : null;
  }

  async aliasTaken(roomId: string, alias: string): Promise<boolean> {
    return (await this.members.findOne({ roomId, aliasKey: aliasKey(alias) })) !== null;
  }

  facilitatorCount(roomId: string): Promise<number> {
    return this.members.count({ roomId, role: 'facilitator' });
  }

  /** The room's facilitators, oldest first. */
  facilitators(roomId: string): Promise<MembershipDoc[]> {
    return this.all({ roomId, role: 'facilitator' });
  }

  /** The whole member list, oldest first. */
  inRoom(roomId: string): Promise<MembershipDoc[]> {
    return this.all({ roomId });
  }

  /** Changes a membership; an alias clash surfaces as the store's DuplicateKeyError for the caller to word. */
  async update(
    id: string,
    patch: Partial<Pick<MembershipDoc, 'role' | 'displayMode' | 'alias' | 'showName' | 'mutedUntil' | 'roomKey'>>,
  ): Promise<MembershipDoc> {
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
  async addIn(
    tx: TxScope,
    room: RoomDoc,
    seat: Seat,
    role: RoomRole,
    choice: { alias?: string | null; displayMode: DisplayMode },
    roomKey: string | null = null,
  ): Promise<MembershipDoc> {
    const col = tx.collection(membershipsCollection);
    if (await col.get(seat.memberId)) throw conflict('already_member');
    let alias = choice.alias ?? null;
    if (alias !== null && (await col.findOne({ roomId: room.id, aliasKey: aliasKey(alias) }))) throw conflict('alias_taken');
    // A neutral generated alias: four digits while the room is small, more when they run short.
    for (let attempt = 0; alias === null; attempt++) {
      const candidate = `Member ${1000 + Math.floor(Math.random() * (attempt < 5 ? 9000 : 9_999_000))}`;
      if (!(await col.findOne({ roomId: room.id, aliasKey: aliasKey(candidate) }))) alias = candidate;
    }
    const doc: MembershipDoc = {
      id: seat.memberId,
      ref: newId(),
      roomId: room.id,
      role,
      displayMode: choice.displayMode,
      alias,
      aliasKey: aliasKey(alias),
      showName: false,
      mutedUntil: null,
      lastReadSeq: room.seq,
      joinedAt: Date.now(),
      publicKey: seat.publicKey,
      roomKey,
    };
    await col.insert(doc);
    return doc;
  }

  async removeRoomIn(tx: TxScope, roomId: string): Promise<void> {
    await tx.collection(membershipsCollection).deleteWhere({ roomId });
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

  private async all(where: { roomId: string; role?: RoomRole }): Promise<MembershipDoc[]> {
    const list: MembershipDoc[] = [];
    await eachPage(
      (after) => this.members.find({ where, orderBy: { field: 'joinedAt' }, limit: 500, after }),
      (m) => list.push(m),
    );
    return list;
  }
}
