import type { AccountHooks, ContentChoice } from '../accounts/account-hooks.js';
import type { Store, TxScope } from '../store/port.js';
import { eachPage } from '../store/paging.js';
import {
  joinRequestsCollection,
  messagesCollection,
  pinsCollection,
  roomInvitesCollection,
  roomReactionsCollection,
  roomReportsCollection,
  roomsCollection,
  type RetentionDays,
} from './rooms.collections.js';
import type { RoomMembers } from './members.js';

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
 * retention sweep deletes the rows once it passes (the SQLite adapter's timer,
 * every `sweepIntervalMs`; a MongoDB TTL index), and reads hide them before the
 * sweep. Join requests and invites lapse the same way.
 *
 * Immediate deletion: a deleted message, a closed room and a deleted account
 * (below) are removed from the database at once, never flagged.
 */
export class RoomRetention {
  constructor(
    private readonly store: Store,
    private readonly members: RoomMembers,
    hooks: AccountHooks,
  ) {
    hooks.onDeleted((tx, accountId, content) => this.forgetAccountIn(tx, accountId, content));
    hooks.exporter('rooms', (accountId) => this.exportAccount(accountId));
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

  /** A deleted account leaves no membership, request, reaction or report; its messages go or lose their author, as the member chose. */
  private async forgetAccountIn(tx: TxScope, accountId: string, content: ContentChoice): Promise<void> {
    await this.members.removeAccountIn(tx, accountId);
    await tx.collection(joinRequestsCollection).deleteWhere({ accountId });
    await tx.collection(roomReactionsCollection).deleteWhere({ accountId });
    await tx.collection(roomReportsCollection).deleteWhere({ reporterId: accountId });
    const col = tx.collection(messagesCollection);
    // Every message handled leaves the authorId set, so the first page is always the next one.
    for (;;) {
      const page = await col.find({ where: { authorId: accountId }, orderBy: { field: 'createdAt' }, limit: 200 });
      if (page.items.length === 0) break;
      for (const m of page.items) {
        if (content === 'delete') await deleteMessageIn(tx, m.id);
        else await col.patch(m.id, { authorId: null, authorLabel: null, authorKind: 'deleted', clientId: undefined });
      }
    }
  }

  /** The member's own memberships, requests and messages; never anything about other members. */
  private async exportAccount(accountId: string) {
    const memberships = (await this.members.ofAccount(accountId)).map((m) => ({
      roomId: m.roomId,
      alias: m.alias,
      displayMode: m.displayMode,
      role: m.role,
      joinedAt: m.joinedAt,
    }));
    const requests = this.store.collection(joinRequestsCollection);
    const pending = (await requests.find({ where: { accountId }, orderBy: { field: 'createdAt' }, limit: 500 })).items.map((r) => ({
      roomId: r.roomId,
      note: r.note,
      createdAt: r.createdAt,
    }));
    const messages = this.store.collection(messagesCollection);
    const own: { id: string; roomId: string; body: string; replyTo: string | null; createdAt: number; editedAt: number | null }[] = [];
    await eachPage(
      (after) => messages.find({ where: { authorId: accountId }, orderBy: { field: 'createdAt' }, limit: 500, after }),
      (m) => own.push({ id: m.id, roomId: m.roomId, body: m.body, replyTo: m.replyTo, createdAt: m.createdAt, editedAt: m.editedAt }),
    );
    return { memberships, requests: pending, messages: own };
  }
}

async function deleteMessageIn(tx: TxScope, messageId: string): Promise<boolean> {
  await tx.collection(roomReactionsCollection).deleteWhere({ messageId });
  const unpinned = await tx.collection(pinsCollection).deleteWhere({ messageId });
  await tx.collection(roomReportsCollection).deleteWhere({ messageId });
  await tx.collection(messagesCollection).delete(messageId);
  return unpinned > 0;
}
