import type { Store } from '../store/port.js';
import { newId, randomToken } from '../crypto.js';
import { forbidden, notFound, unauthorized } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import { isStaff } from '../accounts/accounts.service.js';
import { roomsCollection, type MembershipDoc, type RoomDoc } from './rooms.collections.js';
import { directoryInput, roomInput, roomPatchInput, roomQueryInput } from './rooms.schemas.js';
import { directoryEntry, roomView, type DirectoryEntry, type MyRoomView, type RoomPreview, type RoomView } from './view-models.js';
import type { RoomMembers } from './members.js';
import type { RoomPolicy } from './policy.js';
import type { RoomRetention } from './retention.js';
import type { RoomsLive } from './rooms.live.js';
import type { RoomMembershipService } from './membership.service.js';
import type { RoomMessagesService } from './messages.service.js';
import type { RoomPinsService } from './pins.service.js';

/** Unread counts stop here: "100+" says enough. */
export const UNREAD_CAP = 100;

/** The rooms module's services, as pages, the API and the socket reach them. */
export interface RoomServices {
  readonly rooms: RoomsService;
  readonly membership: RoomMembershipService;
  readonly messages: RoomMessagesService;
  readonly pins: RoomPinsService;
}

export interface RoomsServiceDeps {
  readonly store: Store;
  readonly policy: RoomPolicy;
  readonly members: RoomMembers;
  readonly membership: RoomMembershipService;
  readonly messages: RoomMessagesService;
  readonly retention: RoomRetention;
  readonly live: RoomsLive;
}

/**
 * Private peer-support rooms as a whole: the directory, a member's list of
 * rooms, and a room's life from its creation to its closing.
 */
export class RoomsService {
  private readonly rooms;

  constructor(private readonly deps: RoomsServiceDeps) {
    this.rooms = deps.store.collection(roomsCollection);
  }

  async myRooms(actor: AccountDoc): Promise<MyRoomView[]> {
    const memberships = await this.deps.members.ofAccount(actor.id);
    const out: MyRoomView[] = [];
    for (let i = 0; i < memberships.length; i += 200) {
      const chunk = memberships.slice(i, i + 200);
      const found = new Map((await this.rooms.getMany(chunk.map((m) => m.roomId))).map((r) => [r.id, r]));
      for (const m of chunk) {
        const room = found.get(m.roomId);
        if (room) out.push({ id: room.id, name: room.name, showName: m.showName, role: m.role, unread: await this.deps.messages.unread(m, UNREAD_CAP) });
      }
    }
    return out;
  }

  async directory(raw: unknown = {}): Promise<{ rooms: DirectoryEntry[]; next: string | null }> {
    const input = parseInput(directoryInput, raw);
    const page = await this.rooms.find({ where: { listed: true }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 50, after: input.after ?? null });
    return { rooms: page.items.map(directoryEntry), next: page.next };
  }

  /** Instance moderators and admins create rooms; the creator becomes the first facilitator. */
  async create(actor: AccountDoc | null, raw: unknown = {}): Promise<RoomView> {
    if (!isStaff(actor)) throw forbidden('moderator_only');
    const creator = actor!;
    const input = parseInput(roomInput, raw);
    const now = Date.now();
    const room: RoomDoc = {
      id: newId(),
      name: input.name,
      description: input.description,
      purpose: input.purpose,
      language: input.language,
      joinPolicy: input.joinPolicy,
      retentionDays: input.retentionDays,
      listed: input.listed,
      readOnly: false,
      requestKey: randomToken(12),
      seq: 0,
      createdAt: now,
      updatedAt: now,
    };
    const membership = await this.deps.store.transaction(async (tx) => {
      await tx.collection(roomsCollection).insert(room);
      return this.deps.members.addIn(tx, room, creator.id, 'facilitator', { alias: input.alias, displayMode: 'alias' });
    });
    return this.view(creator, room, membership);
  }

  /** The room for a member; its directory entry for someone who may ask to join ({key} of the request link); else 404. */
  async get(actor: AccountDoc | null, roomId: unknown, query: unknown = {}): Promise<RoomView | RoomPreview> {
    if (!actor) throw unauthorized('login_required');
    const { key } = parseInput(roomQueryInput, query);
    const room = await this.deps.policy.room(roomId);
    const membership = await this.deps.policy.membershipOf(actor, room.id);
    if (membership) return this.view(actor, room, membership);
    if (!this.deps.policy.mayPreview(room, key)) throw notFound('room_not_found');
    return { ...directoryEntry(room), membership: null, requested: await this.deps.membership.hasRequested(actor, room.id) };
  }

  async update(actor: AccountDoc | null, roomId: unknown, raw: unknown = {}): Promise<RoomView> {
    const { room, membership, actor: facilitator } = await this.deps.policy.facilitator(actor, roomId);
    const input = parseInput(roomPatchInput, raw);
    const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<RoomDoc>;
    // A new retention applies to messages sent from now on: each message carries its own expiry.
    const updated = (await this.rooms.patch(room.id, { ...changes, updatedAt: Date.now() }))!;
    return this.view(facilitator, updated, membership);
  }

  /** Closes the room: everything in it is deleted (retention.ts), and open pages are told. */
  async close(actor: AccountDoc | null, roomId: unknown): Promise<void> {
    const { room } = await this.deps.policy.facilitator(actor, roomId);
    await this.deps.retention.deleteRoom(room.id);
    this.deps.live.close(room.id);
  }

  private view(actor: AccountDoc, room: RoomDoc, membership: MembershipDoc): RoomView {
    return roomView(room, membership, { online: this.deps.live.online(room.id), postBlocked: this.deps.policy.postBlock(actor, room, membership) });
  }
}
