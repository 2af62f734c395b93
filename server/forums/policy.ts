import type { AccountDoc } from '../accounts/accounts.collections.js';
import { isStaff, isSuspended } from '../accounts/accounts.service.js';
import { AppError, conflict, forbidden, notFound, unauthorized } from '../core/errors.js';
import type { MemberKey } from '../core/member-key.js';
import { isAuthor } from './authorship.js';
import type { BoardDoc, PostDoc, ThreadDoc } from './forums.collections.js';

/** The forums' one policy: who may see, post on and moderate a board, a thread and a post. */

export const active = (a: AccountDoc | null): a is AccountDoc => !!a && a.status === 'active';

export const canModerate = (a: AccountDoc | null, board: BoardDoc): boolean => active(a) && (isStaff(a) || board.moderatorIds.includes(a.id));

/** Instance staff create boards and decide their visibility and moderators; board moderators change the rest. */
export const canAdministerBoards = (a: AccountDoc | null): boolean => active(a) && isStaff(a);

export const canDeleteBoards = (a: AccountDoc | null): boolean => active(a) && a.role === 'admin';

export function canSee(viewer: AccountDoc | null, board: BoardDoc): boolean {
  if (canModerate(viewer, board)) return true;
  if (board.visibility === 'public') return true;
  return !!viewer && viewer.status !== 'deleted';
}

export function ensureSee(viewer: AccountDoc | null, board: BoardDoc): void {
  if (!canSee(viewer, board)) throw viewer ? notFound('board_not_found') : unauthorized('login_required');
}

/** A thread that is not visible shows only to its board's moderators and to whoever started it. */
export function canSeeThread(viewer: AccountDoc | null, key: MemberKey | null, thread: ThreadDoc, board: BoardDoc): boolean {
  return canSee(viewer, board) && (thread.state === 'visible' || canModerate(viewer, board) || isAuthor(viewer, key, thread));
}

/** Whether `viewer` sees this post at all (others' pending, hidden or removed posts are not shown). */
export function postVisibleTo(viewer: AccountDoc | null, key: MemberKey | null, p: PostDoc, board: BoardDoc): boolean {
  if (p.state === 'visible' || p.state === 'deleted') return true;
  if (canModerate(viewer, board)) return true;
  return isAuthor(viewer, key, p);
}

/** Why `viewer` cannot post on `board` (in `thread`) now, as an error code, or null. */
export function postingBlock(viewer: AccountDoc | null, board: BoardDoc, thread?: ThreadDoc): string | null {
  if (!viewer) return 'login_required';
  if (viewer.status !== 'active') return 'pending_approval';
  if (isSuspended(viewer)) return 'suspended';
  if (board.archived) return 'board_archived';
  if (thread?.locked && !canModerate(viewer, board)) return 'thread_locked';
  if (thread && thread.state !== 'visible' && !canModerate(viewer, board)) return 'thread_not_found';
  return null;
}

/** The error a posting block answers with. */
export function throwBlock(code: string, viewer: AccountDoc | null): never {
  switch (code) {
    case 'login_required':
      throw unauthorized('login_required');
    case 'suspended': {
      const until = viewer?.suspendedUntil ?? 0;
      throw new AppError(403, 'suspended', 'error.suspended', { until: new Date(until).toISOString().slice(0, 10) });
    }
    case 'thread_locked':
    case 'board_archived':
      throw conflict(code);
    case 'thread_not_found':
      throw notFound(code);
    default:
      throw forbidden(code);
  }
}
