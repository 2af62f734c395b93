import type { AccountDoc } from '../accounts/accounts.collections.js';
import { blindScope, type MemberKey } from '../core/member-key.js';
import type { RemoteAuthor } from './forums.collections.js';

/**
 * How an author is shown, everywhere a post or thread is: the API, the pages
 * and ActivityPub all take it from here, so an anonymous post hides its member
 * the same way in each.
 */
export type AuthorView =
  | { readonly kind: 'member'; readonly handle: string; readonly displayName: string }
  | { readonly kind: 'remote'; readonly name: string; readonly address: string; readonly url: string | null }
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'deleted' };

/** Members' public names by account id (accounts.publicNames: deleted accounts are missing). */
export type AuthorNames = ReadonlyMap<string, { readonly handle: string; readonly displayName: string }>;

export interface Authored {
  readonly authorId: string | null;
  readonly anonymous: boolean;
  readonly remote?: RemoteAuthor | null;
}

/** What proves authorship: the account id of a named item, the blinded id of an anonymous one. */
export interface Proven {
  readonly authorId: string | null;
  readonly boardId: string;
  readonly blindAuthor?: string | null;
  readonly blindBoardId?: string | null;
}

/** The member's anonymous identity on a board: what their anonymous posts there are stored under. */
export const blindOnBoard = (key: MemberKey, boardId: string): string => key.blind(blindScope.board(boardId));

/**
 * Who counts as the author: the member who wrote it, anonymously or not (an author's own post stays theirs to
 * edit). An anonymous item names no account: its author proves it by recomputing its blinded id with their key.
 */
export function isAuthor(viewer: AccountDoc | null, key: MemberKey | null, doc: Proven): boolean {
  if (!viewer) return false;
  if (doc.authorId !== null) return doc.authorId === viewer.id;
  return isBlindAuthor(key, doc);
}

/**
 * Whether `viewer` started this thread anonymously, proven by its opening post (a thread keeps no blinded id of its
 * own): a reply of theirs in it defaults to anonymous, never to their name.
 */
export function startedAnonymously(viewer: AccountDoc | null, key: MemberKey | null, thread: { readonly anonymous: boolean }, opening: Proven | null): boolean {
  return thread.anonymous && opening !== null && isAuthor(viewer, key, opening);
}

/** Whether the holder of `key` wrote this anonymous item. */
export function isBlindAuthor(key: MemberKey | null, doc: Proven): boolean {
  if (!key || !doc.blindAuthor) return false;
  return doc.blindAuthor === blindOnBoard(key, doc.blindBoardId ?? doc.boardId);
}

/** The members whose names a list shows: never an anonymous author's. */
export function shownAuthorIds(docs: readonly Authored[]): string[] {
  return docs.filter((d) => !d.anonymous && d.authorId).map((d) => d.authorId!);
}

export function authorOf(doc: Authored, names: AuthorNames): AuthorView {
  if (doc.anonymous) return { kind: 'anonymous' };
  if (doc.remote) return { kind: 'remote', name: doc.remote.name, address: doc.remote.address, url: doc.remote.url };
  const name = doc.authorId ? names.get(doc.authorId) : undefined;
  return name ? { kind: 'member', handle: name.handle, displayName: name.displayName } : { kind: 'deleted' };
}
