import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { MessageParams } from '../core/errors.js';
import type { MemberKey } from '../core/member-key.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- express's own way to type request fields
  namespace Express {
    interface Request {
      /** The signed-in account (any status but deleted), or null. */
      account: AccountDoc | null;
      /**
       * The signed-in member's key, unwrapped for this request from the session's or
       * token's secret; null for visitors and for sessions made before member keys.
       */
      memberKey: MemberKey | null;
      /** The session behind the cookie; null for bearer tokens and visitors. */
      sessionId: string | null;
      /** Authenticated by an Authorization header rather than a cookie (no CSRF check needed). */
      viaBearer: boolean;
      locale: string;
      t: (key: string, params?: MessageParams) => string;
      csrfToken: string;
      /** How many notifications the member has not seen, for the page banner. */
      unseenNotifications: number;
      /** How many private conversations have something new (requests and unread messages), for the header. */
      unreadMessages: number;
    }
  }
}

export const SESSION_COOKIE = 'psl_session';
export const CSRF_COOKIE = 'psl_csrf';
export const LANG_COOKIE = 'psl_lang';
