import { AppError, conflict, forbidden, notFound, unauthorized, unprocessable } from '../core/errors.js';
import { safeEqual } from '../crypto.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { MemberKey } from '../core/member-key.js';
import { isSuspended } from '../accounts/accounts.service.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import { renderBody } from '../content/markdown.js';
import type { Store } from '../store/port.js';
import { messagesCollection, roomsCollection, type MembershipDoc, type MessageDoc, type RoomDoc } from './rooms.collections.js';
import { isId } from './rooms.schemas.js';
import type { RoomMembers } from './members.js';

export interface MemberContext {
  readonly room: RoomDoc;
  readonly membership: MembershipDoc;
  /** The member's key, unwrapped for this request or socket: what found the membership. */
  readonly key: MemberKey;
}

/** An instant as a reader anywhere can read it in an error message, which has no locale of its own. */
const utcMinute = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * Who may see a room, post in it and facilitate it: the one place these rules
 * live, for every rooms service and so for the pages, the API and the socket alike.
 */
export class RoomPolicy {
  private readonly rooms;
  private readonly messages;

  constructor(
    store: Store,
    private readonly members: RoomMembers,
    private readonly moderation: ModerationService,
  ) {
    this.rooms = store.collection(roomsCollection);
    this.messages = store.collection(messagesCollection);
  }

  /** Only approved accounts take part in rooms. */
  static active(account: AccountDoc | null): account is AccountDoc {
    return !!account && account.status === 'active';
  }

  /** The checks before joining: signed in, approved, and the member's key at hand (it computes their blinded id). */
  assertMayJoin(actor: AccountDoc | null, key: MemberKey | null): asserts actor is AccountDoc {
    if (!actor) throw unauthorized('login_required');
    if (!RoomPolicy.active(actor)) throw forbidden('pending_approval');
    if (!key) throw unauthorized('member_key_locked');
  }

  /** The member's key, or the 401 that asks them to log in again so their session carries it. */
  static keyOf(key: MemberKey | null): MemberKey {
    if (!key) throw unauthorized('member_key_locked');
    return key;
  }

  async room(roomId: unknown): Promise<RoomDoc> {
    const room = isId(roomId) ? await this.rooms.get(roomId) : null;
    if (!room) throw notFound('room_not_found');
    return room;
  }

  /** The viewer's membership of the room; null for a visitor, an account not (yet) approved, or a session without the member's key. */
  membershipOf(viewer: AccountDoc | null, key: MemberKey | null, roomId: string): Promise<MembershipDoc | null> {
    return RoomPolicy.active(viewer) && key ? this.members.of(roomId, key) : Promise.resolve(null);
  }

  /** Whether `viewer` may follow the room's live channel now. */
  async mayFollow(viewer: AccountDoc | null, key: MemberKey | null, roomId: string): Promise<boolean> {
    return isId(roomId) && (await this.membershipOf(viewer, key, roomId)) !== null;
  }

  /** An unlisted room shows its directory entry only to a holder of its request link. */
  mayPreview(room: RoomDoc, key: string | undefined): boolean {
    return room.listed || (!!key && safeEqual(key, room.requestKey));
  }

  /**
   * The room and the actor's membership. Someone outside an unlisted room is
   * told it does not exist, exactly as for a room that does not: its existence must not leak.
   */
  async member(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown): Promise<MemberContext & { actor: AccountDoc }> {
    if (!actor) throw unauthorized('login_required');
    const memberKey = RoomPolicy.keyOf(key);
    const room = await this.room(roomId);
    const membership = await this.membershipOf(actor, memberKey, room.id);
    if (!membership) throw room.listed ? forbidden('room_members_only') : notFound('room_not_found');
    return { room, membership, actor, key: memberKey };
  }

  async facilitator(actor: AccountDoc | null, key: MemberKey | null, roomId: unknown): Promise<MemberContext & { actor: AccountDoc }> {
    const found = await this.member(actor, key, roomId);
    if (found.membership.role !== 'facilitator') throw forbidden('facilitator_only');
    return found;
  }

  /** A message of this room: an id from another room is not found, like one that does not exist. */
  async message(room: RoomDoc, messageId: unknown): Promise<MessageDoc> {
    const message = isId(messageId) ? await this.messages.get(messageId) : null;
    if (!message || message.roomId !== room.id) throw notFound('message_not_found');
    return message;
  }

  /** Why the member may not send now (an error code), or null. */
  postBlock(actor: AccountDoc, room: RoomDoc, membership: MembershipDoc, now = Date.now()): string | null {
    if (isSuspended(actor, now)) return 'suspended';
    if (this.muted(membership, now)) return 'room_muted';
    if (room.readOnly && membership.role !== 'facilitator') return 'room_read_only';
    return null;
  }

  assertMayPost(actor: AccountDoc, room: RoomDoc, membership: MembershipDoc): void {
    const block = this.postBlock(actor, room, membership);
    if (block) throwBlock(block, actor, membership);
  }

  /** Reactions are refused only to a muted member: a read-only room still lets members react. */
  assertMayReact(actor: AccountDoc, membership: MembershipDoc): void {
    if (this.muted(membership, Date.now())) throwBlock('room_muted', actor, membership);
  }

  /** The author and the room's facilitators may delete a message. */
  assertMayDelete(membership: MembershipDoc, message: MessageDoc): void {
    if (message.authorId !== membership.id && membership.role !== 'facilitator') throw forbidden('not_author');
  }

  /** Markdown to HTML, refused when a blocking filter matches. */
  async render(body: string): Promise<string> {
    const html = renderBody(body);
    // Room messages have no approval queue: only blocking filters apply; members report the rest to facilitators.
    if ((await this.moderation.checkText(body)) === 'block') throw unprocessable('filtered');
    return html;
  }

  private muted(membership: MembershipDoc, now: number): boolean {
    return membership.mutedUntil !== null && membership.mutedUntil > now;
  }
}

function throwBlock(code: string, actor: AccountDoc, membership: MembershipDoc): never {
  switch (code) {
    case 'suspended':
      throw new AppError(403, 'suspended', 'error.suspended', { until: new Date(actor.suspendedUntil ?? 0).toISOString().slice(0, 10) });
    case 'room_muted':
      throw new AppError(403, 'room_muted', 'error.room_muted', { until: utcMinute(membership.mutedUntil ?? 0) });
    default:
      throw conflict(code);
  }
}
