import { forbidden } from '../core/errors.js';
import { blindScope, requireMemberKey, type MemberKey } from '../core/member-key.js';
import type { AccountDoc } from '../accounts/accounts.collections.js';

/** What proves who wrote a review or a response: the account id of a named one, the blinded id of an anonymous one. */
export interface ReviewAuthored {
  readonly authorId: string | null;
  readonly blindAuthor?: string | null;
  readonly blindBoardId?: string | null;
}

/** The member's anonymous identity on a review board: what their anonymous reviews and responses there are stored under. */
export const blindOnReviewBoard = (key: MemberKey, boardId: string): string => key.blind(blindScope.reviewBoard(boardId));

/** Whether `viewer` wrote it: by account id when named, by recomputing the blinded id with their key when anonymous. */
export function wroteIt(viewer: AccountDoc | null, key: MemberKey | null, doc: ReviewAuthored): boolean {
  if (!viewer) return false;
  if (doc.authorId !== null) return doc.authorId === viewer.id;
  if (!key || !doc.blindAuthor || !doc.blindBoardId) return false;
  return doc.blindAuthor === blindOnReviewBoard(key, doc.blindBoardId);
}

/** Whether the item is anonymous to the server: no account id, so only a key can prove its author. */
export const isBlinded = (doc: ReviewAuthored): boolean => doc.authorId === null && !!doc.blindAuthor;

/**
 * Only the author goes on: a 401 `member_key_locked` when the item is blinded and the session has no key to prove it
 * with (logging in again gives one), a 403 `not_author` otherwise.
 */
export function mustHaveWritten(viewer: AccountDoc, key: MemberKey | null, doc: ReviewAuthored): void {
  if (isBlinded(doc)) requireMemberKey(key);
  if (!wroteIt(viewer, key, doc)) throw forbidden('not_author');
}
