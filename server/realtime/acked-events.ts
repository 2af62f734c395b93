import type { Socket } from 'socket.io';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { I18n } from '../i18n/i18n.js';
import type { Logger } from '../logger.js';
import type { Limiter } from '../core/rate-limit.js';
import { AppError } from '../core/errors.js';
import type { MemberKey } from '../core/member-key.js';
import type { Channels } from './realtime.js';

export type SocketAction = (account: AccountDoc, key: MemberKey | null, payload: unknown) => Promise<Record<string, unknown>>;

export interface AckedEventsDeps {
  readonly i18n: I18n;
  readonly logger: Logger;
  readonly eventLimit: Limiter;
  /** Names the namespace's events in the log line of an unexpected failure ("room", "conversation"). */
  readonly what: string;
}

/**
 * How a namespace takes client events that ask for an answer (rooms, conversations): `on(socket, event, action)`
 * runs one event whose ack must be the last of exactly two arguments; the account is read afresh, the payload
 * handed as it came to the service (which validates it), and every failure answered in the member's language,
 * never thrown (a rejection here would take the process down).
 */
export function ackedEvents(channels: Channels, deps: AckedEventsDeps): (socket: Socket, event: string, action: SocketAction) => void {
  const { i18n, logger, eventLimit } = deps;

  function errorAnswer(error: unknown, account: AccountDoc | null): Record<string, unknown> {
    const locale = account?.locale ?? i18n.defaultLocale;
    if (!(error instanceof AppError)) {
      logger.error({ err: error, nsp: channels.nsp.name }, `${deps.what} socket event failed`);
      return { ok: false, error: { code: 'internal', message: i18n.t(locale, 'error.internal') } };
    }
    const fields = Object.fromEntries(Object.entries(error.fields).map(([k, v]) => [k, i18n.t(locale, v.key, v.params)]));
    return {
      ok: false,
      error: {
        code: error.code,
        message: i18n.t(locale, error.messageKey, error.params),
        ...(Object.keys(fields).length ? { fields } : {}),
        ...(error.retryAfter ? { retryAfter: error.retryAfter } : {}),
      },
    };
  }

  return (socket, event, action) => {
    socket.on(event, (...args: unknown[]) => {
      const ack = args[args.length - 1];
      if (typeof ack !== 'function') return;
      const reply = (answer: Record<string, unknown>) => void ack(answer);
      let account: AccountDoc | null = null;
      (async () => {
        if (args.length !== 2) throw new AppError(400, 'bad_request');
        account = await channels.account(socket);
        if (!account) {
          reply({ ok: false, error: { code: 'session_ended', message: i18n.t(i18n.defaultLocale, 'error.session_ended') } });
          return;
        }
        await eventLimit.consume(account.id);
        reply({ ok: true, ...(await action(account, channels.memberKey(socket), args[0])) });
      })().catch((error: unknown) => reply(errorAnswer(error, account)));
    });
  };
}
