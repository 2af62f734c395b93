import { DuplicateKeyError, type Store } from '../store/port.js';
import { humanCode, newId, normaliseCode } from '../crypto.js';
import { conflict, notFound, unprocessable } from '../core/errors.js';
import { blindScope, type MemberKey } from '../core/member-key.js';
import { parseInput } from '../core/validate.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { InstanceService } from '../instance/instance.service.js';
import {
  joinRequestsCollection,
  NOTICE_LIFETIME_MS,
  REQUEST_LIFETIME_MS,
  roomInvitesCollection,
  roomNoticesCollection,
  roomsCollection,
  type MembershipDoc,
  type RoomDoc,
} from './rooms.collections.js';
import { inviteInput, isId, joinInput, membershipInput, muteInput, requestInput } from './rooms.schemas.js';
import { memberView, membershipView, roomView, type MemberView, type MembershipView, type RoomView } from './view-models.js';
import { RoomMembers, type Seat } from './members.js';
import { RoomPolicy } from './policy.js';
import type { RoomsLive } from './rooms.live.js';
import { memberBox, newRoomKeys, open, roomPrivateKey, seal } from './room-keys.js';

const DAY = 86_400_000;

export interface RoomMembershipDeps {
  readonly store: Store;
  readonly policy: RoomPolicy;
  readonly members: RoomMembers;
  readonly instance: InstanceService;
  readonly live: RoomsLive;
}

/** A waiting join request as the room's facilitators see it: the handle opened with the room's key, for them only. */
export interface JoinRequestView {
  readonly id: string;
  readonly handle: string | null;
  readonly note: string;
  readonly alias: string | null;
  readonly createdAt: number;
}

/** A decision on the member's join request, waiting for their next visit. */
export interface RoomNotice {
  readonly kind: 'room_approved' | 'room_refused';
  /** The room to open, for an approval only. */
  readonly roomId: string | null;
  readonly createdAt: number;
}

/** The seat a key holder takes in a room: everything a membership needs that only their key computes. */
export function seatOf(key: MemberKey, roomId: string): Seat {
  return { memberId: RoomMembers.blindId(key, roomId), publicKey: memberBox(key, roomId).publicKey };
}

/** Who is in a room and how they got there: join requests, invite codes, aliases, roles, mutes and leaving. */
export class RoomMembershipService {
  private readonly requests;
  private readonly invites;
  private readonly rooms;
  private readonly notices;

  constructor(private readonly deps: RoomMembershipDeps) {
    this.requests = deps.store.collection(joinRequestsCollection);
    this.invites = deps.store.collection(roomInvitesCollection);
    this.rooms = deps.store.collection(roomsCollection);
    this.notices = deps.store.collection(roomNoticesCollection);
  }

  /** Whether `viewer` may follow the room's live channel now. */
  isMember(viewer: AccountDoc | null, key: MemberKey | null, roomId: string): Promise<boolean> {
    return this.deps.policy.mayFollow(viewer, key, roomId);
  }

  /** Whether the key holder's join request for the room is waiting. */
  async hasRequested(key: MemberKey, roomId: string): Promise<boolean> {
    return (await this.requests.findOne({ roomId, memberId: RoomMembers.blindId(key, roomId) })) !== null;
  }

  /**
   * Asks to join. The request is stored under the applicant's blinded id (so
   * approval can seat them without their key) and their handle sealed to the
   * room's public key: the database names nobody.
   */
  async requestToJoin(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, raw: unknown = {}): Promise<{ createdAt: number }> {
    this.deps.policy.assertMayJoin(actor, key);
    const memberKey = key!;
    const input = parseInput(requestInput, raw);
    const room = await this.deps.policy.room(roomId);
    const member = await this.deps.members.of(room.id, memberKey);
    if (!member && !this.deps.policy.mayPreview(room, input.key)) throw notFound('room_not_found');
    if (member) throw conflict('already_member');
    if (room.joinPolicy !== 'request') throw conflict('invite_only');
    if (!room.publicKey) throw conflict('room_key_pending');
    const seat = seatOf(memberKey, room.id);
    const now = Date.now();
    try {
      await this.requests.insert({
        id: newId(),
        roomId: room.id,
        memberId: seat.memberId,
        inboxId: memberKey.blind(blindScope.inbox()),
        publicKey: seat.publicKey,
        sealedHandle: seal(room.publicKey, Buffer.from(actor.handle, 'utf8')),
        note: input.note,
        alias: input.alias ?? null,
        displayMode: input.displayMode,
        createdAt: now,
        expiresAt: now + REQUEST_LIFETIME_MS,
      });
    } catch (error) {
      if (error instanceof DuplicateKeyError) throw conflict('request_exists');
      throw error;
    }
    return { createdAt: now };
  }

  /** Waiting requests with each applicant's handle, opened with the room's private key as this facilitator holds it. */
  async joinRequests(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown): Promise<JoinRequestView[]> {
    const { room, membership, key: memberKey } = await this.deps.policy.facilitator(actor, key, roomId);
    const roomKey = await this.roomKeyFor(room, membership, memberKey);
    const list = (await this.requests.find({ where: { roomId: room.id }, orderBy: { field: 'createdAt' }, limit: 200 })).items;
    return list.map((r) => {
      const handle = roomKey ? open(roomKey, r.sealedHandle) : null;
      return { id: r.id, handle: handle ? handle.toString('utf8') : null, note: r.note, alias: r.alias, createdAt: r.createdAt };
    });
  }

  /**
   * Lets the applicant in under the blinded id their own request computed, or
   * refuses; either way the request, and the sealed handle with it, is erased,
   * and the decision waits under the applicant's inbox id for their next visit.
   * An alias taken since the request was made is replaced by a generated one.
   */
  async decideRequest(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, requestId: unknown, approve: boolean): Promise<MemberView | null> {
    const { room } = await this.deps.policy.facilitator(actor, key, roomId);
    const request = isId(requestId) ? await this.requests.get(requestId) : null;
    if (!request || request.roomId !== room.id) throw notFound('request_not_found');
    const now = Date.now();
    const notice = { id: newId(), inboxId: request.inboxId, roomId: room.id, createdAt: now, expiresAt: now + NOTICE_LIFETIME_MS };
    if (!approve) {
      await this.deps.store.transaction(async (tx) => {
        if (!(await tx.collection(joinRequestsCollection).delete(request.id))) throw notFound('request_not_found');
        await tx.collection(roomNoticesCollection).insert({ ...notice, kind: 'room_refused' });
      });
      return null;
    }
    const taken = request.alias !== null && (await this.deps.members.aliasTaken(room.id, request.alias));
    const membership = await this.deps.members.joining(async (tx) => {
      if (!(await tx.collection(joinRequestsCollection).delete(request.id))) throw notFound('request_not_found');
      await tx.collection(roomNoticesCollection).insert({ ...notice, kind: 'room_approved' });
      const seat = { memberId: request.memberId, publicKey: request.publicKey };
      return this.deps.members.addIn(tx, room, seat, 'member', { alias: taken ? null : request.alias, displayMode: request.displayMode });
    });
    return memberView(membership);
  }

  /**
   * Decisions on the key holder's join requests since their last visit; reading
   * them erases them. They name no room, as notifications never do: an approval
   * links to it.
   */
  async takeNotices(key: MemberKey | null): Promise<RoomNotice[]> {
    const inboxId = RoomPolicy.keyOf(key).blind(blindScope.inbox());
    const list = (await this.notices.find({ where: { inboxId }, orderBy: { field: 'createdAt' }, limit: 100 })).items;
    for (const n of list) await this.notices.delete(n.id);
    return list.map((n) => ({ kind: n.kind, roomId: n.kind === 'room_approved' ? n.roomId : null, createdAt: n.createdAt }));
  }

  /** How many join requests wait in the room: a facilitator's rooms list shows it instead of a notification that would name them. */
  pendingRequests(roomId: string): Promise<number> {
    return this.requests.count({ roomId });
  }

  /**
   * The room's private key as `facilitator` holds it. A room made before
   * blinding gets its key pair here, from its first facilitator who opens the
   * requests; and whoever holds the key hands it to every facilitator who has
   * none yet (promoted since, or migrated and claimed), sealed to their public key.
   */
  private async roomKeyFor(room: RoomDoc, facilitator: MembershipDoc, key: MemberKey) {
    let privateBytes: Buffer | null = null;
    if (facilitator.roomKey) privateBytes = open(memberBox(key, room.id), facilitator.roomKey);
    else if (!room.publicKey) {
      const fresh = newRoomKeys();
      await this.rooms.patch(room.id, { publicKey: fresh.publicKey });
      privateBytes = fresh.privateBytes;
    }
    if (!privateBytes) return null;
    for (const f of await this.deps.members.facilitators(room.id)) {
      if (!f.roomKey && f.publicKey) await this.deps.members.update(f.id, { roomKey: seal(f.publicKey, privateBytes) });
    }
    return roomPrivateKey(privateBytes);
  }

  async createInvite(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, raw: unknown = {}) {
    const { room } = await this.deps.policy.facilitator(actor, key, roomId);
    const { days } = parseInput(inviteInput, raw);
    const code = humanCode(3, 4);
    const now = Date.now();
    const doc = { id: newId(), roomId: room.id, hash: this.inviteHash(code), createdAt: now, expiresAt: now + days * DAY };
    await this.invites.insert(doc);
    return { code, invite: { id: doc.id, createdAt: doc.createdAt, expiresAt: doc.expiresAt } };
  }

  async inviteList(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown) {
    const { room } = await this.deps.policy.facilitator(actor, key, roomId);
    const page = await this.invites.find({ where: { roomId: room.id }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 200 });
    return page.items.map((i) => ({ id: i.id, createdAt: i.createdAt, expiresAt: i.expiresAt }));
  }

  async revokeInvite(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, inviteId: unknown): Promise<void> {
    const { room } = await this.deps.policy.facilitator(actor, key, roomId);
    const invite = isId(inviteId) ? await this.invites.get(inviteId) : null;
    if (!invite || invite.roomId !== room.id) throw notFound('invite_not_found');
    await this.invites.delete(invite.id);
  }

  /** Spends a single-use code; an unknown, spent or expired code is one and the same 422. */
  async joinWithCode(actor: AccountDoc | null, key: MemberKey | null, raw: unknown = {}): Promise<RoomView> {
    this.deps.policy.assertMayJoin(actor, key);
    const input = parseInput(joinInput, raw);
    const invite = await this.invites.findOne({ hash: this.inviteHash(input.code) });
    const room = invite ? await this.rooms.get(invite.roomId) : null;
    if (!invite || !room) throw unprocessable('invite_invalid');
    const seat = seatOf(key!, room.id);
    const membership = await this.deps.members.joining(async (tx) => {
      // Deleted with the join: a spent code links nobody to whoever made it.
      if (!(await tx.collection(roomInvitesCollection).delete(invite.id))) throw unprocessable('invite_invalid');
      await tx.collection(joinRequestsCollection).deleteWhere({ roomId: room.id, memberId: seat.memberId });
      return this.deps.members.addIn(tx, room, seat, 'member', { alias: input.alias, displayMode: input.displayMode });
    });
    return roomView(room, membership, { online: this.deps.live.online(room.id), postBlocked: this.deps.policy.postBlock(actor, room, membership) });
  }

  /** The member list, by alias: the room's facilitators only, nobody else (instance admins included). */
  async list(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown): Promise<MemberView[]> {
    const { room } = await this.deps.policy.facilitator(actor, key, roomId);
    return (await this.deps.members.inRoom(room.id)).map(memberView);
  }

  async mute(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, memberId: unknown, raw: unknown = {}): Promise<MemberView> {
    const { room } = await this.deps.policy.facilitator(actor, key, roomId);
    const target = await this.memberIn(room.id, memberId);
    if (target.role === 'facilitator') throw conflict('facilitator_protected');
    const { minutes } = parseInput(muteInput, raw);
    return memberView(await this.deps.members.update(target.id, { mutedUntil: minutes === 0 ? null : Date.now() + minutes * 60_000 }));
  }

  /** Promotes a member; the promoter hands them the room's key, sealed to the new facilitator's public key. */
  async makeFacilitator(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, memberId: unknown): Promise<MemberView> {
    const { room, membership, key: memberKey } = await this.deps.policy.facilitator(actor, key, roomId);
    const target = await this.memberIn(room.id, memberId);
    const promoted = await this.deps.members.update(target.id, { role: 'facilitator', mutedUntil: null });
    await this.roomKeyFor(room, membership, memberKey);
    return memberView(promoted);
  }

  /** Removes a member: the membership is deleted and their open pages stop receiving at once. */
  async remove(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, memberId: unknown): Promise<void> {
    const { room } = await this.deps.policy.facilitator(actor, key, roomId);
    const target = await this.memberIn(room.id, memberId);
    if (target.role === 'facilitator') throw conflict('facilitator_protected');
    await this.deps.members.remove(target.id);
    this.deps.live.remove(room.id, target.id);
  }

  async leave(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown): Promise<void> {
    const { room, membership } = await this.deps.policy.member(actor, key, roomId);
    if (membership.role === 'facilitator' && (await this.deps.members.facilitatorCount(room.id)) <= 1) throw conflict('last_facilitator');
    await this.deps.members.remove(membership.id);
    this.deps.live.remove(room.id, membership.id);
  }

  /** The member's own settings in the room: how others see them, and whether they see the room's real name. */
  async update(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown, raw: unknown = {}): Promise<MembershipView> {
    const { membership } = await this.deps.policy.member(actor, key, roomId);
    const input = parseInput(membershipInput, raw);
    try {
      return membershipView(
        await this.deps.members.update(membership.id, {
          ...(input.displayMode !== undefined ? { displayMode: input.displayMode } : {}),
          ...(input.showName !== undefined ? { showName: input.showName } : {}),
          ...(input.alias !== undefined ? { alias: input.alias } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof DuplicateKeyError) throw conflict('alias_taken');
      throw error;
    }
  }

  private inviteHash(code: string): string {
    return this.deps.instance.keyedHash('room-invite', normaliseCode(code));
  }

  private async memberIn(roomId: string, memberId: unknown): Promise<MembershipDoc> {
    const member = await this.deps.members.byRef(roomId, memberId);
    if (!member) throw notFound('member_not_found');
    return member;
  }
}
