// What the rooms services hand to pages, the API and the socket: plain shapes
// built from stored documents, so that no caller reads a document itself.
import { excerpt } from '../content/markdown.js';
import { reactionKinds, type ReactionKind } from '../forums/reactions.js';
import type { DisplayMode, JoinPolicy, MembershipDoc, MessageDoc, RetentionDays, RoomDoc, RoomRole } from './rooms.collections.js';

export type AuthorView = { readonly kind: DisplayMode; readonly label: string } | { readonly kind: 'deleted'; readonly label: null };

/** A message as every member sees it: one payload valid for all of them. */
export interface MessageView {
  readonly id: string;
  readonly roomId: string;
  readonly author: AuthorView;
  readonly html: string;
  readonly replyTo: { readonly id: string; readonly author: AuthorView | null; readonly excerpt: string | null } | null;
  readonly reactions: Readonly<Record<ReactionKind, number>>;
  readonly createdAt: number;
  readonly editedAt: number | null;
  /** Where this message sits in the room: `before`/`after` take it to page from here. */
  readonly cursor: string;
}

/** A message as one member sees it over HTTP, with what they may do with it. */
export interface MemberMessageView extends MessageView {
  readonly mine: boolean;
  readonly myReactions: readonly ReactionKind[];
  readonly canDelete: boolean;
  /** The Markdown source, for its author only (to edit it). */
  readonly body?: string;
}

export interface MembershipView {
  readonly id: string;
  readonly role: RoomRole;
  readonly displayMode: DisplayMode;
  readonly alias: string;
  readonly showName: boolean;
  readonly mutedUntil: number | null;
}

export interface RoomView {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly purpose: string;
  readonly language: string;
  readonly joinPolicy: JoinPolicy;
  readonly retentionDays: RetentionDays;
  readonly listed: boolean;
  readonly readOnly: boolean;
  readonly createdAt: number;
  readonly online: number;
  readonly membership: MembershipView;
  /** Why the member cannot send now (an error code), or null. */
  readonly postBlocked: string | null;
  /** The key of the request link, for facilitators only. */
  readonly requestKey: string | null;
}

/** What someone outside the room may learn about it: the directory entry. */
export interface RoomPreview {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly language: string;
  readonly joinPolicy: JoinPolicy;
  readonly membership: null;
  /** The viewer's join request is waiting. */
  readonly requested: boolean;
}

export type DirectoryEntry = Omit<RoomPreview, 'membership' | 'requested'>;

export interface MyRoomView {
  readonly id: string;
  readonly name: string;
  readonly showName: boolean;
  readonly role: RoomRole;
  /** Messages by others since the member last looked, capped at UNREAD_CAP. */
  readonly unread: number;
  /** For a facilitator: join requests waiting (no notification names a facilitator); 0 for members. */
  readonly requests: number;
}

/** A member as the room's facilitators see them: by alias (or the pseudonym they chose to show), never by account. */
export interface MemberView {
  /** The membership's reference, never the member's blinded id. */
  readonly id: string;
  readonly alias: string;
  readonly displayMode: DisplayMode;
  readonly role: RoomRole;
  readonly mutedUntil: number | null;
  readonly joinedAt: number;
}

export interface PinView {
  readonly id: string;
  readonly messageId: string | null;
  readonly title: string;
  readonly html: string;
  readonly author: AuthorView | null;
  readonly createdAt: number;
}

export interface History {
  readonly messages: MemberMessageView[];
  /** Cursor for the page before this one, or null at the start of the room's history. */
  readonly older: string | null;
  /** Cursor to continue catching up from, or null when this page reached the newest message. */
  readonly newer: string | null;
}

export const reactionCounts = (doc: { reactions: Record<string, number> }) =>
  Object.fromEntries(reactionKinds.map((k) => [k, doc.reactions[k] ?? 0])) as Record<ReactionKind, number>;

export function authorOf(m: MessageDoc): AuthorView {
  return m.authorKind === 'deleted' || m.authorLabel === null ? { kind: 'deleted', label: null } : { kind: m.authorKind, label: m.authorLabel };
}

export function membershipView(m: MembershipDoc): MembershipView {
  return { id: m.ref, role: m.role, displayMode: m.displayMode, alias: m.alias, showName: m.showName, mutedUntil: m.mutedUntil };
}

export function memberView(m: MembershipDoc): MemberView {
  return { id: m.ref, alias: m.alias, displayMode: m.displayMode, role: m.role, mutedUntil: m.mutedUntil, joinedAt: m.joinedAt };
}

/** `replied` is shown only when it belongs to the same room: a reply never leaks another room's message. */
export function messageView(m: MessageDoc, replied: MessageDoc | undefined): MessageView {
  const shown = replied && replied.roomId === m.roomId ? replied : undefined;
  return {
    id: m.id,
    roomId: m.roomId,
    author: authorOf(m),
    html: m.html,
    replyTo: m.replyTo ? { id: m.replyTo, author: shown ? authorOf(shown) : null, excerpt: shown ? excerpt(shown.body, 140) : null } : null,
    reactions: reactionCounts(m),
    createdAt: m.createdAt,
    editedAt: m.editedAt,
    cursor: String(m.seq),
  };
}

/** The room as one member sees it; only facilitators get the request link's key. */
export function roomView(room: RoomDoc, membership: MembershipDoc, live: { online: number; postBlocked: string | null }): RoomView {
  return {
    id: room.id,
    name: room.name,
    description: room.description,
    purpose: room.purpose,
    language: room.language,
    joinPolicy: room.joinPolicy,
    retentionDays: room.retentionDays,
    listed: room.listed,
    readOnly: room.readOnly,
    createdAt: room.createdAt,
    online: live.online,
    membership: membershipView(membership),
    postBlocked: live.postBlocked,
    requestKey: membership.role === 'facilitator' ? room.requestKey : null,
  };
}

export const directoryEntry = (room: RoomDoc): DirectoryEntry => ({
  id: room.id,
  name: room.name,
  description: room.description,
  language: room.language,
  joinPolicy: room.joinPolicy,
});
