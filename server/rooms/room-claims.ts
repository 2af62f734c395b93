import type { MemberKey } from '../core/member-key.js';
import { newId } from '../crypto.js';
import { eachPage } from '../store/paging.js';
import type { Store, TxScope } from '../store/port.js';
import {
  joinRequestsCollection,
  membershipsCollection,
  messagesCollection,
  ROOM_CLAIM_TTL_MS,
  roomClaimsCollection,
  roomReactionsCollection,
  roomReportsCollection,
  roomsCollection,
  type JoinRequestDoc,
  type MembershipDoc,
  type RoomClaimDoc,
  type RoomReactionDoc,
} from './rooms.collections.js';
import { seatOf } from './membership.service.js';

/** How rows written before blinding name their account; only this file reads those fields. */
type Legacy<T> = T & { accountId?: string };

/**
 * Moves memberships made before blinding to blinded ids. At first start each
 * membership's account id becomes a claim and is erased from the membership
 * and from everything that hangs off it (messages, reactions, reports); at the
 * member's next log-in their key turns each claim into their blinded id in
 * that room. A claim not taken within ROOM_CLAIM_TTL_MS lapses, and the
 * membership, still under its random id, lapses with it.
 */
export class RoomClaims {
  constructor(private readonly store: Store) {}

  /** Idempotent: only rows that still carry an account id are touched. Returns how many memberships became claims. */
  async migrate(now = Date.now()): Promise<number> {
    const roomIds: string[] = [];
    await eachPage(
      (after) => this.store.collection(roomsCollection).find({ limit: 1000, after }),
      (room) => void roomIds.push(room.id),
    );
    let claimed = 0;
    for (const roomId of roomIds) claimed += await this.store.transaction((tx) => this.migrateRoomIn(tx, roomId, now + ROOM_CLAIM_TTL_MS));
    return claimed;
  }

  /**
   * Turns the account's claims into blinded memberships. The blinded rows are
   * written in one transaction and the claims, which are account-side, erased in
   * another, so no transaction joins the two.
   */
  async redeem(accountId: string, key: MemberKey): Promise<number> {
    const claims = this.store.collection(roomClaimsCollection);
    const list = (await claims.find({ where: { accountId }, orderBy: { field: 'expiresAt' }, limit: 1000 })).items;
    for (const claim of list) await this.store.transaction((tx) => this.redeemIn(tx, claim, key));
    for (const claim of list) await claims.delete(claim.id);
    return list.length;
  }

  /** A deleted account's unredeemed claims go, and with them the memberships they stood for. */
  async forgetIn(tx: TxScope, accountId: string): Promise<void> {
    const claims = tx.collection(roomClaimsCollection);
    const list = (await claims.find({ where: { accountId }, orderBy: { field: 'expiresAt' }, limit: 1000 })).items;
    for (const claim of list) {
      await tx.collection(membershipsCollection).delete(claim.membershipId);
      await claims.delete(claim.id);
    }
  }

  private async migrateRoomIn(tx: TxScope, roomId: string, expiresAt: number): Promise<number> {
    const members = tx.collection(membershipsCollection);
    const placeholder = new Map<string, string>();
    const legacy: Legacy<MembershipDoc>[] = [];
    await eachPage(
      (after) => members.find({ where: { roomId }, orderBy: { field: 'joinedAt' }, limit: 500, after }),
      (m: Legacy<MembershipDoc>) => void (m.accountId !== undefined && legacy.push(m)),
    );
    if (legacy.length === 0) return 0;
    for (const { accountId, ...rest } of legacy) {
      placeholder.set(accountId!, rest.id);
      await members.upsert({ ...rest, ref: rest.ref ?? newId(), publicKey: null, roomKey: null, expiresAt });
      await tx.collection(roomClaimsCollection).insert({ id: newId(), accountId: accountId!, roomId, membershipId: rest.id, expiresAt });
    }
    // Requests from before blinding hold the applicant's account id and no sealed handle: they go; applicants can ask again.
    const requests = tx.collection(joinRequestsCollection);
    for (const r of (await requests.find({ where: { roomId }, orderBy: { field: 'createdAt' }, limit: 1000 })).items as Legacy<JoinRequestDoc>[]) {
      if (r.accountId !== undefined) await requests.delete(r.id);
    }
    await this.rewriteAuthorsIn(tx, roomId, placeholder);
    return legacy.length;
  }

  /**
   * Messages, reactions and reports of the room that still name an account now
   * name its membership's placeholder; those of accounts that had left the room
   * name nobody (their messages keep their label and lose their author).
   */
  private async rewriteAuthorsIn(tx: TxScope, roomId: string, placeholder: ReadonlyMap<string, string>): Promise<void> {
    const messages = tx.collection(messagesCollection);
    const rewrites: { id: string; authorId: string | null }[] = [];
    await eachPage(
      (after) => messages.find({ where: { roomId }, orderBy: { field: 'seq' }, limit: 500, after }),
      (m) => void (m.authorId !== null && rewrites.push({ id: m.id, authorId: placeholder.get(m.authorId) ?? null })),
    );
    for (const { id, authorId } of rewrites) await messages.patch(id, { authorId });
    const reactions = tx.collection(roomReactionsCollection);
    const legacyReactions: Legacy<RoomReactionDoc>[] = [];
    await eachPage(
      (after) => reactions.find({ where: { roomId }, orderBy: { field: 'createdAt' }, limit: 500, after }),
      (r: Legacy<RoomReactionDoc>) => void (r.accountId !== undefined && legacyReactions.push(r)),
    );
    for (const { accountId, ...r } of legacyReactions) {
      await reactions.delete(r.id);
      const memberId = placeholder.get(accountId!);
      if (memberId) await reactions.insert({ ...r, id: `${r.messageId}.${memberId}.${r.kind}`, memberId });
    }
    const reports = tx.collection(roomReportsCollection);
    for (const report of (await reports.find({ where: { roomId }, orderBy: { field: 'createdAt' }, limit: 1000 })).items) {
      await reports.patch(report.id, { reporterId: placeholder.get(report.reporterId) ?? newId() });
    }
  }

  private async redeemIn(tx: TxScope, claim: RoomClaimDoc, key: MemberKey): Promise<void> {
    const members = tx.collection(membershipsCollection);
    const old = await members.get(claim.membershipId);
    if (!old) return;
    const seat = seatOf(key, claim.roomId);
    await members.delete(old.id);
    if (await members.get(seat.memberId)) return;
    await members.insert({ ...old, id: seat.memberId, publicKey: seat.publicKey, expiresAt: null });
    const messages = tx.collection(messagesCollection);
    for (;;) {
      const page = await messages.find({ where: { authorId: old.id }, orderBy: { field: 'createdAt' }, limit: 200 });
      if (page.items.length === 0) break;
      for (const m of page.items) await messages.patch(m.id, { authorId: seat.memberId });
    }
    const reactions = tx.collection(roomReactionsCollection);
    for (const r of (await reactions.find({ where: { memberId: old.id }, orderBy: { field: 'createdAt' }, limit: 1000 })).items) {
      await reactions.delete(r.id);
      await reactions.insert({ ...r, id: `${r.messageId}.${seat.memberId}.${r.kind}`, memberId: seat.memberId });
    }
    const reports = tx.collection(roomReportsCollection);
    for (const report of (await reports.find({ where: { reporterId: old.id }, orderBy: { field: 'createdAt' }, limit: 1000 })).items) {
      await reports.patch(report.id, { reporterId: seat.memberId });
    }
  }
}
