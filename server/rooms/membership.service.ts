import { DuplicateKeyError, type Store } from '../store/port.js';
import { humanCode, newId, normaliseCode } from '../crypto.js';
import { conflict, notFound, unprocessable } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { InstanceService } from '../instance/instance.service.js';
import type { NotificationsService } from '../notifications/notifications.service.js';
import { joinRequestsCollection, REQUEST_LIFETIME_MS, roomInvitesCollection, roomsCollection, type MembershipDoc } from './rooms.collections.js';
import { inviteInput, isId, joinInput, membershipInput, muteInput, requestInput } from './rooms.schemas.js';
import { memberView, membershipView, roomView, type MemberView, type MembershipView, type RoomView } from './view-models.js';
import type { RoomMembers } from './members.js';
import type { RoomPolicy } from './policy.js';
import type { RoomsLive } from './rooms.live.js';

const DAY = 86_400_000;

export interface RoomMembershipDeps {
  readonly store: Store;
  readonly policy: RoomPolicy;
  readonly members: RoomMembers;
  readonly accounts: AccountsService;
  readonly instance: InstanceService;
  readonly notifications: NotificationsService;
  readonly live: RoomsLive;
}

/** Who is in a room and how they got there: join requests, invite codes, aliases, roles, mutes and leaving. */
export class RoomMembershipService {
  private readonly requests;
  private readonly invites;
  private readonly rooms;

  constructor(private readonly deps: RoomMembershipDeps) {
    this.requests = deps.store.collection(joinRequestsCollection);
    this.invites = deps.store.collection(roomInvitesCollection);
    this.rooms = deps.store.collection(roomsCollection);
  }

  /** Whether `viewer` may follow the room's live channel now. */
  isMember(viewer: AccountDoc | null, roomId: string): Promise<boolean> {
    return this.deps.policy.mayFollow(viewer, roomId);
  }

  /** Whether the viewer's join request for the room is waiting. */
  async hasRequested(viewer: AccountDoc, roomId: string): Promise<boolean> {
    return (await this.requests.findOne({ roomId, accountId: viewer.id })) !== null;
  }

  async requestToJoin(actor: AccountDoc | null, roomId: unknown, raw: unknown = {}): Promise<{ createdAt: number }> {
    this.deps.policy.assertMayJoin(actor);
    const input = parseInput(requestInput, raw);
    const room = await this.deps.policy.room(roomId);
    const member = await this.deps.members.of(room.id, actor.id);
    if (!member && !this.deps.policy.mayPreview(room, input.key)) throw notFound('room_not_found');
    if (member) throw conflict('already_member');
    if (room.joinPolicy !== 'request') throw conflict('invite_only');
    const now = Date.now();
    try {
      await this.requests.insert({
        id: newId(),
        roomId: room.id,
        accountId: actor.id,
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
    await this.deps.notifications.notify(await this.deps.members.facilitatorAccounts(room.id), 'room_request', `/rooms/${room.id}/manage#requests`);
    return { createdAt: now };
  }

  async joinRequests(actor: AccountDoc | null, roomId: unknown) {
    const { room } = await this.deps.policy.facilitator(actor, roomId);
    const list = (await this.requests.find({ where: { roomId: room.id }, orderBy: { field: 'createdAt' }, limit: 200 })).items;
    const names = await this.deps.accounts.publicNames(list.map((r) => r.accountId));
    return list
      .filter((r) => names.has(r.accountId))
      .map((r) => ({ id: r.id, handle: names.get(r.accountId)!.handle, note: r.note, alias: r.alias, createdAt: r.createdAt }));
  }

  /** Lets the applicant in. An alias taken since the request was made is replaced by a generated one, which they can change. */
  async decideRequest(actor: AccountDoc | null, roomId: unknown, requestId: unknown, approve: boolean): Promise<MemberView | null> {
    const { room } = await this.deps.policy.facilitator(actor, roomId);
    const request = isId(requestId) ? await this.requests.get(requestId) : null;
    if (!request || request.roomId !== room.id) throw notFound('request_not_found');
    if (!approve) {
      await this.requests.delete(request.id);
      await this.deps.notifications.notify([request.accountId], 'room_refused', '/rooms');
      return null;
    }
    const taken = request.alias !== null && (await this.deps.members.aliasTaken(room.id, request.alias));
    const membership = await this.deps.members.joining(async (tx) => {
      await tx.collection(joinRequestsCollection).delete(request.id);
      return this.deps.members.addIn(tx, room, request.accountId, 'member', { alias: taken ? null : request.alias, displayMode: request.displayMode });
    });
    await this.deps.notifications.notify([request.accountId], 'room_approved', `/rooms/${room.id}`);
    return this.withHandle(membership);
  }

  async createInvite(actor: AccountDoc | null, roomId: unknown, raw: unknown = {}) {
    const { room } = await this.deps.policy.facilitator(actor, roomId);
    const { days } = parseInput(inviteInput, raw);
    const code = humanCode(3, 4);
    const now = Date.now();
    const doc = { id: newId(), roomId: room.id, hash: this.inviteHash(code), createdAt: now, expiresAt: now + days * DAY };
    await this.invites.insert(doc);
    return { code, invite: { id: doc.id, createdAt: doc.createdAt, expiresAt: doc.expiresAt } };
  }

  async inviteList(actor: AccountDoc | null, roomId: unknown) {
    const { room } = await this.deps.policy.facilitator(actor, roomId);
    const page = await this.invites.find({ where: { roomId: room.id }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: 200 });
    return page.items.map((i) => ({ id: i.id, createdAt: i.createdAt, expiresAt: i.expiresAt }));
  }

  async revokeInvite(actor: AccountDoc | null, roomId: unknown, inviteId: unknown): Promise<void> {
    const { room } = await this.deps.policy.facilitator(actor, roomId);
    const invite = isId(inviteId) ? await this.invites.get(inviteId) : null;
    if (!invite || invite.roomId !== room.id) throw notFound('invite_not_found');
    await this.invites.delete(invite.id);
  }

  /** Spends a single-use code; an unknown, spent or expired code is one and the same 422. */
  async joinWithCode(actor: AccountDoc | null, raw: unknown = {}): Promise<RoomView> {
    this.deps.policy.assertMayJoin(actor);
    const input = parseInput(joinInput, raw);
    const invite = await this.invites.findOne({ hash: this.inviteHash(input.code) });
    const room = invite ? await this.rooms.get(invite.roomId) : null;
    if (!invite || !room) throw unprocessable('invite_invalid');
    const membership = await this.deps.members.joining(async (tx) => {
      // Deleted with the join: a spent code links nobody to whoever made it.
      if (!(await tx.collection(roomInvitesCollection).delete(invite.id))) throw unprocessable('invite_invalid');
      await tx.collection(joinRequestsCollection).deleteWhere({ roomId: room.id, accountId: actor.id });
      return this.deps.members.addIn(tx, room, actor.id, 'member', { alias: input.alias, displayMode: input.displayMode });
    });
    return roomView(room, membership, { online: this.deps.live.online(room.id), postBlocked: this.deps.policy.postBlock(actor, room, membership) });
  }

  /** The member list: the room's facilitators only, nobody else (instance admins included). */
  async list(actor: AccountDoc | null, roomId: unknown): Promise<MemberView[]> {
    const { room } = await this.deps.policy.facilitator(actor, roomId);
    const list = await this.deps.members.inRoom(room.id);
    const names = await this.deps.accounts.publicNames(list.map((m) => m.accountId));
    return list.map((m) => memberView(m, names.get(m.accountId)?.handle ?? null));
  }

  async mute(actor: AccountDoc | null, roomId: unknown, memberId: unknown, raw: unknown = {}): Promise<MemberView> {
    const { room } = await this.deps.policy.facilitator(actor, roomId);
    const target = await this.memberIn(room.id, memberId);
    if (target.role === 'facilitator') throw conflict('facilitator_protected');
    const { minutes } = parseInput(muteInput, raw);
    return this.withHandle(await this.deps.members.update(target.id, { mutedUntil: minutes === 0 ? null : Date.now() + minutes * 60_000 }));
  }

  async makeFacilitator(actor: AccountDoc | null, roomId: unknown, memberId: unknown): Promise<MemberView> {
    const { room } = await this.deps.policy.facilitator(actor, roomId);
    const target = await this.memberIn(room.id, memberId);
    return this.withHandle(await this.deps.members.update(target.id, { role: 'facilitator', mutedUntil: null }));
  }

  /** Removes a member: the membership is deleted and their open pages stop receiving at once. */
  async remove(actor: AccountDoc | null, roomId: unknown, memberId: unknown): Promise<void> {
    const { room } = await this.deps.policy.facilitator(actor, roomId);
    const target = await this.memberIn(room.id, memberId);
    if (target.role === 'facilitator') throw conflict('facilitator_protected');
    await this.deps.members.remove(target.id);
    this.deps.live.remove(room.id, target.accountId);
  }

  async leave(actor: AccountDoc | null, roomId: unknown): Promise<void> {
    const { room, membership, actor: leaving } = await this.deps.policy.member(actor, roomId);
    if (membership.role === 'facilitator' && (await this.deps.members.facilitatorCount(room.id)) <= 1) throw conflict('last_facilitator');
    await this.deps.members.remove(membership.id);
    this.deps.live.remove(room.id, leaving.id);
  }

  /** The member's own settings in the room: how others see them, and whether they see the room's real name. */
  async update(actor: AccountDoc | null, roomId: unknown, raw: unknown = {}): Promise<MembershipView> {
    const { membership } = await this.deps.policy.member(actor, roomId);
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
    const member = await this.deps.members.byId(roomId, memberId);
    if (!member) throw notFound('member_not_found');
    return member;
  }

  private async withHandle(membership: MembershipDoc): Promise<MemberView> {
    const names = await this.deps.accounts.publicNames([membership.accountId]);
    return memberView(membership, names.get(membership.accountId)?.handle ?? null);
  }
}
