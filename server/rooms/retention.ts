import type { AccountHooks, ContentChoice } from '../accounts/account-hooks.js';
import type { Store, TxScope } from '../store/port.js';
import { blindScope, type MemberKey } from '../core/member-key.js';
import { eachPage } from '../store/paging.js';
import {
  joinRequestsCollection,
  messagesCollection,
  membershipsCollection,
  pinsCollection,
  roomInvitesCollection,
  roomNoticesCollection,
  roomReactionsCollection,
  roomReportsCollection,
  roomsCollection,
  type RetentionDays,
} from './rooms.collections.js';
import { RoomMembers } from './members.js';
import type { RoomClaims } from './room-claims.js';

const DAY = 86_400_000;

/** When a message sent at `createdAt` is deleted: the room's retention at the time of sending. */
export function messageExpiry(createdAt: number, retentionDays: RetentionDays): number {
  return createdAt + retentionDays * DAY;
}

/**
 * Everything that deletes room data, in one place.
 *
 * Scheduled deletion: each message carries its own `expiresAt` (messageExpiry),
 * and its reactions, message pins and reports copy it. These collections
 * declare `expiresAt` as their ttlField (rooms.collections.ts), so the store's
 * retention sweep deletes the rows once it passes (the app's sweep job, every
 * `sweepIntervalMs` in the process holding its lease; a MongoDB TTL index too),
 * and reads hide them before the sweep. Join requests and invites lapse the same way.
 *
 * Immediate deletion: a deleted message, a closed room and a deleted account
 * (below) are removed from the database at once, never flagged. A deleted
 * account's room data is found with its key (forgetMember), as nothing
 * stored names the account; only unredeemed claims from before blinding are
 * found by account id.
 */
export class RoomRetention {
  constructor(
    private readonly store: Store,
    private readonly members: RoomMembers,
    claims: RoomClaims,
    hooks: AccountHooks,
  ) {
    hooks.onDeleted((tx, accountId) => claims.forgetIn(tx, accountId));
    hooks.onBlindedDeleted((key, content) => this.forgetMember(key, content));
    hooks.onUnlocked((accountId, key) => claims.redeem(accountId, key).then(() => undefined));
    hooks.exporter('rooms', (_accountId, key) => (key ? this.exportMember(key) : Promise.resolve(null)));
    hooks.onKeyInUse((key) => this.holdsAnything(key));
  }

  /** Whether the key has a membership or a waiting join request in any room (its messages and reactions need one). */
  async holdsAnything(key: MemberKey): Promise<boolean> {
    const roomIds = await this.roomIds();
    if ((await this.members.ofKey(key, roomIds)).length > 0) return true;
    const requests = this.store.collection(joinRequestsCollection);
    for (const roomId of roomIds) if (await requests.findOne({ roomId, memberId: RoomMembers.blindId(key, roomId) })) return true;
    return false;
  }

  /** Deletes a message and what hangs on it (reactions, pins, reports); true when a pin went with it. */
  deleteMessage(messageId: string): Promise<boolean> {
    return this.store.transaction((tx) => deleteMessageIn(tx, messageId));
  }

  /** Closing a room: its messages, members, requests, invites, pins and reports are deleted, not flagged. */
  async deleteRoom(roomId: string): Promise<void> {
    await this.store.transaction(async (tx) => {
      const where = { roomId };
      await tx.collection(messagesCollection).deleteWhere(where);
      await tx.collection(roomReactionsCollection).deleteWhere(where);
      await tx.collection(pinsCollection).deleteWhere(where);
      await tx.collection(roomReportsCollection).deleteWhere(where);
      await tx.collection(roomInvitesCollection).deleteWhere(where);
      await tx.collection(joinRequestsCollection).deleteWhere(where);
      await this.members.removeRoomIn(tx, roomId);
      await tx.collection(roomsCollection).delete(roomId);
    });
  }

  /**
   * The member leaves every room, with their key: their memberships, requests,
   * reactions, reports and waiting notices go; their messages go or lose their
   * author, as they chose. Run when the account is deleted, in transactions of
   * its own (never the one that deletes the account: no transaction joins an
   * account-side row and a blinded one).
   */
  async forgetMember(key: MemberKey, content: ContentChoice): Promise<void> {
    const roomIds = await this.roomIds();
    await this.store.collection(roomNoticesCollection).deleteWhere({ inboxId: key.blind(blindScope.inbox()) });
    for (const roomId of roomIds) {
      const memberId = RoomMembers.blindId(key, roomId);
      await this.store.transaction(async (tx) => {
        await tx.collection(membershipsCollection).delete(memberId);
        await tx.collection(joinRequestsCollection).deleteWhere({ roomId, memberId });
        await tx.collection(roomReactionsCollection).deleteWhere({ memberId });
        await tx.collection(roomReportsCollection).deleteWhere({ reporterId: memberId });
        const col = tx.collection(messagesCollection);
        // Every message handled leaves the authorId set, so the first page is always the next one.
        for (;;) {
          const page = await col.find({ where: { authorId: memberId }, orderBy: { field: 'createdAt' }, limit: 200 });
          if (page.items.length === 0) break;
          for (const m of page.items) {
            if (content === 'delete') await deleteMessageIn(tx, m.id);
            else await col.patch(m.id, { authorId: null, authorLabel: null, authorKind: 'deleted', clientId: undefined });
          }
        }
      });
    }
  }

  /** The member's own memberships, requests and messages, found with their key; never anything about other members. */
  async exportMember(key: MemberKey) {
    const roomIds = await this.roomIds();
    const memberships = (await this.members.ofKey(key, roomIds)).map((m) => ({
      roomId: m.roomId,
      alias: m.alias,
      displayMode: m.displayMode,
      role: m.role,
      joinedAt: m.joinedAt,
    }));
    const requests = this.store.collection(joinRequestsCollection);
    const messages = this.store.collection(messagesCollection);
    const pending: { roomId: string; note: string; createdAt: number }[] = [];
    const own: { id: string; roomId: string; body: string; replyTo: string | null; createdAt: number; editedAt: number | null }[] = [];
    for (const roomId of roomIds) {
      const memberId = RoomMembers.blindId(key, roomId);
      const request = await requests.findOne({ roomId, memberId });
      if (request) pending.push({ roomId, note: request.note, createdAt: request.createdAt });
      await eachPage(
        (after) => messages.find({ where: { authorId: memberId }, orderBy: { field: 'createdAt' }, limit: 500, after }),
        (m) => own.push({ id: m.id, roomId: m.roomId, body: m.body, replyTo: m.replyTo, createdAt: m.createdAt, editedAt: m.editedAt }),
      );
    }
    return { memberships, requests: pending, messages: own };
  }

  private async roomIds(): Promise<string[]> {
    const ids: string[] = [];
    await eachPage(
      (after) => this.store.collection(roomsCollection).find({ limit: 1000, after }),
      (r) => void ids.push(r.id),
    );
    return ids;
  }
}

async function deleteMessageIn(tx: TxScope, messageId: string): Promise<boolean> {
  await tx.collection(roomReactionsCollection).deleteWhere({ messageId });
  const unpinned = await tx.collection(pinsCollection).deleteWhere({ messageId });
  await tx.collection(roomReportsCollection).deleteWhere({ messageId });
  await tx.collection(messagesCollection).delete(messageId);
  return unpinned > 0;
}
