import type { Store } from '../store/port.js';
import { newId, randomToken } from '../crypto.js';
import { forbidden, notFound, unauthorized } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { MemberKey } from '../core/member-key.js';
import { eachPage } from '../store/paging.js';
import { isStaff } from '../accounts/accounts.service.js';
import { roomsCollection, type MembershipDoc, type RoomDoc } from './rooms.collections.js';
import { directoryInput, roomInput, roomPatchInput, roomQueryInput } from './rooms.schemas.js';
import { directoryEntry, roomView, type DirectoryEntry, type MyRoomView, type RoomPreview, type RoomView } from './view-models.js';
import type { RoomMembers } from './members.js';
import type { RoomRetention } from './retention.js';
import type { RoomClaims } from './room-claims.js';
import type { RoomsLive } from './rooms.live.js';
import { seatOf, type RoomMembershipService } from './membership.service.js';
import { newRoomKeys, seal } from './room-keys.js';
import { RoomPolicy } from './policy.js';
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
  /** redeem(accountId, key) at log-in turns memberships from before blinding into blinded ones. */
  readonly claims: RoomClaims;
  /** forgetMember(key, content) when the account is deleted; exportMember(key) for the member's export. */
  readonly retention: RoomRetention;
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

  /**
   * The member's rooms with unread counts. No row says which rooms are theirs:
   * their blinded id is computed for every room on the instance and those ids
   * are read in batches (bench/rooms.bench.ts measures it with 1,000 rooms).
   */
  async myRooms(actor: AccountDoc, key: MemberKey | null): Promise<MyRoomView[]> {
    const memberKey = RoomPolicy.keyOf(key);
    const rooms = new Map<string, RoomDoc>();
    await eachPage(
      (after) => this.rooms.find({ limit: 1000, after }),
      (r) => void rooms.set(r.id, r),
    );
    const memberships = (await this.deps.members.ofKey(memberKey, [...rooms.keys()])).sort((a, b) => a.joinedAt - b.joinedAt);
    const out: MyRoomView[] = [];
    for (const m of memberships) {
      const room = rooms.get(m.roomId)!;
      out.push({
        id: room.id,
        name: room.name,
        showName: m.showName,
        role: m.role,
        unread: await this.deps.messages.unread(m, UNREAD_CAP),
        requests: m.role === 'facilitator' ? await this.deps.membership.pendingRequests(room.id) : 0,
      });
    }
    return out;
  }

  /** How many rooms there are, listed or not (the admins' first steps ask whether one exists); names stay with their members. */
  count(): Promise<number> {
    return this.rooms.count();
  }

  async directory(raw: unknown = {}): Promise<{ rooms: DirectoryEntry[]; next: string | null }> {
    const input = parseInput(directoryInput, raw);
    const page = await this.rooms.find({ where: { listed: true }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 50, after: input.after ?? null });
    return { rooms: page.items.map(directoryEntry), next: page.next };
  }

  /** Instance moderators and admins create rooms; the creator becomes the first facilitator. */
  async create(actor: AccountDoc | null, key: MemberKey | null, raw: unknown = {}): Promise<RoomView> {
    if (!isStaff(actor)) throw forbidden('moderator_only');
    const creator = actor!;
    const memberKey = RoomPolicy.keyOf(key);
    const input = parseInput(roomInput, raw);
    const now = Date.now();
    const keys = newRoomKeys();
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
      publicKey: keys.publicKey,
      createdAt: now,
      updatedAt: now,
    };
    const membership = await this.deps.store.transaction(async (tx) => {
      await tx.collection(roomsCollection).insert(room);
      const seat = seatOf(memberKey, room.id);
      return this.deps.members.addIn(tx, room, seat, 'facilitator', { alias: input.alias, displayMode: 'alias' }, seal(seat.publicKey, keys.privateBytes));
    });
    return this.view(creator, room, membership);
  }

  /** The room for a member; its directory entry for someone who may ask to join ({key} of the request link); else 404. */
  async get(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, query: unknown = {}): Promise<RoomView | RoomPreview> {
    if (!actor) throw unauthorized('login_required');
    const memberKey = RoomPolicy.keyOf(key);
    const { key: requestKey } = parseInput(roomQueryInput, query);
    const room = await this.deps.policy.room(roomId);
    const membership = await this.deps.policy.membershipOf(actor, memberKey, room.id);
    if (membership) return this.view(actor, room, membership);
    if (!this.deps.policy.mayPreview(room, requestKey)) throw notFound('room_not_found');
    return { ...directoryEntry(room), membership: null, requested: await this.deps.membership.hasRequested(memberKey, room.id) };
  }

  async update(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, raw: unknown = {}): Promise<RoomView> {
    const { room, membership, actor: facilitator } = await this.deps.policy.facilitator(actor, key, roomId);
    const input = parseInput(roomPatchInput, raw);
    const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<RoomDoc>;
    // A new retention applies to messages sent from now on: each message carries its own expiry.
    const updated = (await this.rooms.patch(room.id, { ...changes, updatedAt: Date.now() }))!;
    return this.view(facilitator, updated, membership);
  }

  /** Closes the room: everything in it is deleted (retention.ts), and open pages are told. */
  async close(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown): Promise<void> {
    const { room } = await this.deps.policy.facilitator(actor, key, roomId);
    await this.deps.retention.deleteRoom(room.id);
    this.deps.live.close(room.id);
  }

  private view(actor: AccountDoc, room: RoomDoc, membership: MembershipDoc): RoomView {
    return roomView(room, membership, { online: this.deps.live.online(room.id), postBlocked: this.deps.policy.postBlock(actor, room, membership) });
  }
}
