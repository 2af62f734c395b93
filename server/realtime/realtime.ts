import type http from 'node:http';
import type { TLSSocket } from 'node:tls';
import { Server, type Namespace, type Socket } from 'socket.io';
import { z } from 'zod';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { SessionsService } from '../accounts/sessions.service.js';
import type { MemberKey } from '../core/member-key.js';
import type { Logger } from '../logger.js';
import { SESSION_COOKIE } from '../http/request.js';
import type { RealtimeAdapter } from './adapters.js';

/**
 * Decides whether `account` (null for a visitor) may follow the channel `<family>:<id>`; `key` is the socket's
 * member key, for channels whose membership is stored by blinded id.
 */
export type Authorize = (account: AccountDoc | null, id: string, key: MemberKey | null) => Promise<boolean>;

export type RealtimeErrorCode =
  | 'bad_request'
  | 'unknown_channel'
  | 'forbidden'
  | 'too_many_channels'
  | 'rate_limited'
  | 'session_ended'
  | 'session_required'
  | 'unavailable'
  | 'internal';

export type Ack = { ok: true } | { ok: false; error: { code: RealtimeErrorCode; message: string } };

/**
 * The channels of one socket.io namespace. Clients `subscribe` / `unsubscribe`
 * with `{ channel: '<family>:<id>' }` and an ack callback.
 */
export interface Channels {
  readonly nsp: Namespace;
  /** Declares a channel family such as 'thread': clients may subscribe to `thread:<id>` when authorize() says yes. */
  channel(family: string, authorize: Authorize): void;
  /**
   * Sends an event to everyone subscribed to `<family>:<id>`, on every process. Payloads carry ids and counts,
   * never content or identities: between processes they pass through the database (see adapters.ts). (Content
   * that a channel's followers may read goes another way: see rooms.socket.ts.) A payload over MAX_EVENT_BYTES
   * is a bug: logged, not sent.
   */
  publish(family: string, id: string, event: string, payload: Record<string, unknown>): void;
  /**
   * The socket's account as it is now (null for a visitor), for per-event
   * checks. When the session the socket was opened with has ended, the socket
   * is disconnected and this yields null.
   */
  account(socket: Socket): Promise<AccountDoc | null>;
  /**
   * The socket's member key, unwrapped at the handshake from the session cookie's secret and held in this
   * process only; null for visitors and for sessions made before member keys. Pass it to services, never
   * into an event payload, a channel name or a log line.
   */
  memberKey(socket: Socket): MemberKey | null;
  /**
   * Takes every socket of the account out of `<family>:<id>`, e.g. when a membership ends.
   * With a notice, those sockets get that one event first, so the client learns why the stream stopped.
   */
  evict(family: string, id: string, accountId: string, notice?: { event: string; payload: Record<string, unknown> }): void;
  /** How many distinct accounts follow `<family>:<id>` now (a visitor's sockets count as one each). */
  followers(family: string, id: string): number;
  /**
   * Runs `handler` with the ids `tellOthers` sends, in every other process of the instance (a lone process has
   * none). For what only each process can do for its own sockets; the ids pass through the database on PostgreSQL.
   */
  onOthers(event: string, handler: (...ids: string[]) => void): void;
  tellOthers(event: string, ...ids: string[]): void;
  /** Whether this process has others to tell (socket.io's adapter links it to them). */
  readonly shared: boolean;
  /** Runs when the real-time layer closes: timers of the namespace's own stop there. */
  onClose(listener: () => void): void;
}

export interface Realtime extends Channels {
  readonly io: Server;
  /** Adds a namespace such as '/rooms'; with requireAccount, visitors are refused at the handshake (connect_error 'session_required'). */
  namespace(name: string, options: { requireAccount: boolean }): Channels;
  /**
   * Disconnects every socket of the account in every namespace (account deleted, everything ended after a
   * compromise), except those opened with `keepSessionId`, the session that made the change.
   */
  disconnectAccount(accountId: string, keepSessionId?: string | null): void;
  /** Disconnects the sockets opened with these sessions: a page left open after log-out stops receiving at once. */
  disconnectSessions(sessionIds: readonly string[]): void;
  /**
   * Tells the other processes of this instance that a background job has new work (the one holding its lease
   * wakes it). It goes through socket.io's adapter, which already links the processes; in a single process
   * there is no other to tell.
   */
  relayWake(job: string): void;
  /** Called with the job named by another process's relayWake. */
  onWake(listener: (job: string) => void): void;
  /** Disconnects all sockets and refuses new ones; the HTTP server is left to its owner. */
  close(): Promise<void>;
}

export interface RealtimeDeps {
  readonly sessions: SessionsService;
  readonly logger: Logger;
  readonly publicOrigin: string;
  /** How broadcasts reach other processes (adapters.ts); none for a lone process. */
  readonly adapter?: RealtimeAdapter | null;
}

/** An event's payload as JSON, at most: ids and counts fit many times over, and NOTIFY refuses 8 KB. */
export const MAX_EVENT_BYTES = 2048;

/** Enough for a thread page plus a few rooms and alert feeds. */
export const MAX_CHANNELS_PER_SOCKET = 20;
/** Subscribe and unsubscribe events per socket per window: each subscribe may read the database. */
export const MAX_EVENTS_PER_WINDOW = 30;
const WINDOW_MS = 10_000;

/** Events between the processes of one instance (serverSideEmit), never sent to a client. */
const END_ACCOUNT = 'parasol:end-account';
const END_SESSIONS = 'parasol:end-sessions';
const WAKE = 'parasol:wake';

const FAMILY = /^[a-z][a-z0-9-]{0,31}$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const NAMESPACE = /^\/[a-z][a-z0-9-]{0,31}$/;
const channelInput = z.strictObject({
  channel: z
    .string()
    .max(97)
    .regex(/^[a-z][a-z0-9-]{0,31}:[A-Za-z0-9_-]{1,64}$/),
});

/** For developers and scripts; pages show their own localised text, chosen by code. */
const messages: Record<RealtimeErrorCode, string> = {
  bad_request: 'Send { channel: "<family>:<id>" } and an acknowledgement callback.',
  unknown_channel: 'There is no such kind of channel.',
  forbidden: 'You may not follow this channel.',
  too_many_channels: `One connection may follow at most ${MAX_CHANNELS_PER_SOCKET} channels.`,
  rate_limited: 'Too many requests on this connection. Wait a few seconds.',
  session_ended: 'The session of this connection has ended. Reconnect.',
  session_required: 'Log in first: this needs a session.',
  unavailable: 'Live updates are not available right now.',
  internal: 'Something went wrong on our side.',
};

const OK: Ack = { ok: true };
const fail = (code: RealtimeErrorCode): Ack => ({ ok: false, error: { code, message: messages[code] } });

/**
 * What a socket carries: the account id, so every check reads the account afresh, and the member key. The
 * default in-process adapter never sends socket data anywhere; with another adapter the key would serialise
 * as a placeholder only (MemberKey's toJSON).
 */
interface SocketData {
  accountId: string | null;
  sessionId: string | null;
  memberKey: MemberKey | null;
  pending: number;
  windowStart: number;
  events: number;
}
const data = (socket: Socket) => socket.data as SocketData;

export function attachRealtime(server: http.Server, deps: RealtimeDeps): Realtime {
  const { sessions, logger, publicOrigin } = deps;
  const adapter = deps.adapter ?? null;
  let closed = false;
  // With one, socket.io's adapter links this process to the instance's others: broadcasts and serverSideEmit reach them.
  const shared = adapter !== null;
  const io = new Server(server, {
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: 16 * 1024,
    // Under several processes a polling client's requests may reach different processes, which know only their
    // own sessions; a websocket stays on the process that accepted it, so no sticky balancer is needed. The
    // browser client tries websocket first (client/socket.js).
    transports: adapter ? ['websocket'] : ['polling', 'websocket'],
    // Broadcasts and rooms reach the sockets of every process (through the cluster primary or PostgreSQL).
    ...(adapter ? { adapter: adapter.adapter } : {}),
    // No cors option: socket.io then sends no CORS headers, so other sites cannot read polling answers.
    allowRequest: (req, callback) => callback(closed ? 'closed' : 'origin_refused', !closed && sameOrigin(req, publicOrigin)),
  });
  const namespaces: Channels[] = [];
  const closeListeners: (() => void)[] = [];

  function namespace(name: string, options: { requireAccount: boolean }): Channels {
    if (!NAMESPACE.test(name) || namespaces.some((n) => n.nsp.name === name)) throw new Error(`bad or duplicate namespace ${name}`);
    const channels = createChannels(io.of(name), options.requireAccount);
    namespaces.push(channels);
    return channels;
  }

  const live = namespace('/live', { requireAccount: false });

  /** Disconnects this process's sockets that `ends` picks, in every namespace. */
  function disconnectHere(ends: (socket: SocketData) => boolean): void {
    for (const { nsp } of namespaces) {
      for (const socket of nsp.sockets.values()) if (ends(data(socket))) socket.disconnect();
    }
  }
  const endsAccount = (accountId: string, keepSessionId: string | null) => (socket: SocketData) =>
    socket.accountId === accountId && (keepSessionId === null || socket.sessionId !== keepSessionId);
  const endsSessions = (sessionIds: readonly string[]) => {
    const ended = new Set(sessionIds);
    return (socket: SocketData) => socket.sessionId !== null && ended.has(socket.sessionId);
  };
  // Ids only cross between processes, never a token, a key or anything a member wrote. Another process of this
  // instance sends these; what it sends is still checked, as anything read off a wire.
  const ids = z.array(z.string().max(128)).max(10_000);
  io.on(END_ACCOUNT, (accountId: unknown, keepSessionId: unknown) => {
    if (typeof accountId === 'string' && (keepSessionId === null || typeof keepSessionId === 'string')) disconnectHere(endsAccount(accountId, keepSessionId));
  });
  io.on(END_SESSIONS, (sessionIds: unknown) => {
    const parsed = ids.safeParse(sessionIds);
    if (parsed.success) disconnectHere(endsSessions(parsed.data));
  });
  const wakeListeners: ((job: string) => void)[] = [];
  io.on(WAKE, (job: unknown) => {
    if (typeof job === 'string') for (const listener of wakeListeners) listener(job);
  });
  const toOthers = (event: string, ...args: unknown[]): void => {
    if (shared && !closed) io.serverSideEmit(event, ...args);
  };

  return {
    io,
    nsp: live.nsp,
    channel: live.channel,
    publish: live.publish,
    account: live.account,
    memberKey: live.memberKey,
    evict: live.evict,
    followers: live.followers,
    onOthers: live.onOthers,
    tellOthers: live.tellOthers,
    shared,
    onClose: live.onClose,
    namespace,
    disconnectAccount(accountId, keepSessionId = null) {
      disconnectHere(endsAccount(accountId, keepSessionId));
      toOthers(END_ACCOUNT, accountId, keepSessionId);
    },
    disconnectSessions(sessionIds) {
      if (sessionIds.length === 0) return;
      disconnectHere(endsSessions(sessionIds));
      toOthers(END_SESSIONS, sessionIds);
    },
    relayWake(job) {
      toOthers(WAKE, job);
    },
    onWake(listener) {
      wakeListeners.push(listener);
    },
    async close() {
      closed = true;
      for (const listener of closeListeners.splice(0)) listener();
      // Closing the engine drops every transport at once; clients see a transport close and retry,
      // which reaches the next process after a restart. io.close() would also close the HTTP server.
      io.engine.close();
      // The main namespace has an adapter too, and a shared adapter's connection closes with the last of them.
      await Promise.all([io.of('/'), ...namespaces.map(({ nsp }) => nsp)].map((nsp) => nsp.adapter.close()));
      await adapter?.close();
    },
  };

  function createChannels(nsp: Namespace, requireAccount: boolean): Channels {
    const families = new Map<string, Authorize>();

    nsp.use((socket, next) => {
      sessions.peek(sessionToken(socket.handshake.headers.cookie)).then(
        (auth) => {
          if (!auth && requireAccount) {
            next(refusal('session_required'));
            return;
          }
          Object.assign(socket.data, {
            accountId: auth?.account.id ?? null,
            sessionId: auth?.sessionId ?? null,
            memberKey: auth?.memberKey ?? null,
            pending: 0,
            windowStart: 0,
            events: 0,
          } satisfies SocketData);
          next();
        },
        (error: unknown) => {
          logger.error({ err: error, nsp: nsp.name }, 'realtime handshake failed');
          next(refusal('unavailable'));
        },
      );
    });

    nsp.on('connection', (socket) => {
      socket.on('subscribe', (...args: unknown[]) => onSubscribe(socket, args));
      socket.on('unsubscribe', (...args: unknown[]) => onUnsubscribe(socket, args));
    });

    /** Re-reads the session: `{ account }` as it is now, or null when the socket's session is gone. */
    async function current(socket: Socket): Promise<{ account: AccountDoc | null } | null> {
      const { accountId } = data(socket);
      if (accountId === null) return { account: null };
      const auth = await sessions.peek(sessionToken(socket.handshake.headers.cookie));
      return auth && auth.account.id === accountId ? { account: auth.account } : null;
    }

    /** A forged event without an ack is dropped: nobody would hear the answer. */
    function request(socket: Socket, args: unknown[]): { reply: (ack: Ack) => void; channel: Channel | null } | null {
      const ack = args[args.length - 1];
      if (typeof ack !== 'function') return null;
      const reply = (result: Ack) => void ack(result);
      if (!withinBudget(data(socket))) {
        reply(fail('rate_limited'));
        return null;
      }
      return { reply, channel: args.length === 2 ? parseChannel(args[0]) : null };
    }

    function onSubscribe(socket: Socket, args: unknown[]): void {
      const req = request(socket, args);
      if (!req) return;
      const { reply, channel } = req;
      if (!channel) return reply(fail('bad_request'));
      const authorize = families.get(channel.family);
      if (!authorize) return reply(fail('unknown_channel'));
      if (socket.rooms.has(channel.name)) return reply(OK);
      const state = data(socket);
      // socket.rooms always holds the socket's own id; pending subscriptions count so that a burst cannot pass the cap.
      if (socket.rooms.size - 1 + state.pending >= MAX_CHANNELS_PER_SOCKET) return reply(fail('too_many_channels'));
      state.pending += 1;
      current(socket)
        .then(async (who) => {
          if (!who) {
            reply(fail('session_ended'));
            socket.disconnect();
          } else if (await authorize(who.account, channel.id, data(socket).memberKey)) {
            socket.join(channel.name);
            reply(OK);
          } else {
            reply(fail('forbidden'));
          }
        })
        .catch((error: unknown) => {
          logger.error({ err: error, nsp: nsp.name, family: channel.family }, 'channel authorisation failed');
          reply(fail('internal'));
        })
        .finally(() => {
          state.pending -= 1;
        });
    }

    function onUnsubscribe(socket: Socket, args: unknown[]): void {
      const req = request(socket, args);
      if (!req) return;
      const { reply, channel } = req;
      if (!channel) return reply(fail('bad_request'));
      if (!families.has(channel.family)) return reply(fail('unknown_channel'));
      socket.leave(channel.name);
      reply(OK);
    }

    return {
      nsp,
      channel(family, authorize) {
        if (!FAMILY.test(family) || families.has(family)) throw new Error(`bad or duplicate channel family ${family}`);
        families.set(family, authorize);
      },
      publish(family, id, event, payload) {
        // A bad family or id here is a bug in the calling module, not user input.
        if (!families.has(family) || !ID.test(id)) throw new Error(`publish to undeclared or malformed channel ${family}`);
        if (Buffer.byteLength(JSON.stringify(payload)) > MAX_EVENT_BYTES) {
          // A bug in the calling module; what it reports is stored already, so the request that caused it succeeds.
          logger.error({ nsp: nsp.name, family, event }, 'live event not sent: events carry ids, not content');
          return;
        }
        nsp.to(`${family}:${id}`).emit(event, payload);
      },
      async account(socket) {
        const who = await current(socket);
        if (!who) socket.disconnect();
        return who?.account ?? null;
      },
      memberKey(socket) {
        return data(socket).memberKey;
      },
      evict(family, id, accountId, notice) {
        const name = `${family}:${id}`;
        for (const socket of nsp.sockets.values()) {
          if (data(socket).accountId !== accountId || !socket.rooms.has(name)) continue;
          if (notice) socket.emit(notice.event, notice.payload);
          socket.leave(name);
        }
      },
      onOthers(event, handler) {
        nsp.on(event, (...ids: unknown[]) => {
          if (ids.every((id): id is string => typeof id === 'string' && ID.test(id))) handler(...ids);
        });
      },
      tellOthers(event, ...ids) {
        if (shared && !closed) nsp.serverSideEmit(event, ...ids);
      },
      shared,
      onClose(listener) {
        closeListeners.push(listener);
      },
      followers(family, id) {
        const socketIds = nsp.adapter.rooms.get(`${family}:${id}`);
        if (!socketIds) return 0;
        const accounts = new Set<string>();
        for (const socketId of socketIds) {
          const socket = nsp.sockets.get(socketId);
          if (socket) accounts.add(data(socket).accountId ?? socket.id);
        }
        return accounts.size;
      },
    };
  }
}

interface Channel {
  readonly family: string;
  readonly id: string;
  readonly name: string;
}

function parseChannel(input: unknown): Channel | null {
  const parsed = channelInput.safeParse(input);
  if (!parsed.success) return null;
  const name = parsed.data.channel;
  const colon = name.indexOf(':');
  return { family: name.slice(0, colon), id: name.slice(colon + 1), name };
}

function withinBudget(state: SocketData): boolean {
  const now = Date.now();
  if (now - state.windowStart >= WINDOW_MS) {
    state.windowStart = now;
    state.events = 0;
  }
  state.events += 1;
  return state.events <= MAX_EVENTS_PER_WINDOW;
}

/** The client sees `err.message` (the code) and `err.data` ({ code, message }) in its connect_error. */
function refusal(code: RealtimeErrorCode): Error {
  return Object.assign(new Error(code), { data: { code, message: messages[code] } });
}

/** Reads the session cookie from the handshake; a malformed value is rejected by peek's shape check. */
export function sessionToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Same-origin only. Browsers send Origin on every WebSocket handshake and
 * every cross-origin request, so a missing Origin is a same-origin polling
 * request or a non-browser client, neither of which can ride on a victim's
 * cookie. 'null' (sandboxed frames, files) matches nothing and is refused.
 */
export function sameOrigin(req: http.IncomingMessage, publicOrigin: string): boolean {
  if (req.headers['sec-fetch-site'] === 'cross-site') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const scheme = (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http';
  return origin === publicOrigin || origin === `${scheme}://${req.headers.host ?? ''}`;
}
