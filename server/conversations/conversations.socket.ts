import type { Channels } from '../realtime/realtime.js';
import { ackedEvents } from '../realtime/acked-events.js';
import { onMessageListEvents } from '../realtime/message-list-events.js';
import type { I18n } from '../i18n/i18n.js';
import type { Logger } from '../logger.js';
import type { Limiter } from '../core/rate-limit.js';
import { ConversationAccess } from './access.js';
import type { ConversationsService } from './conversations.service.js';
import type { ConversationsLive } from './conversations.live.js';

export interface ConversationsSocketDeps {
  readonly access: ConversationAccess;
  readonly conversations: ConversationsService;
  readonly i18n: I18n;
  readonly logger: Logger;
  /** Socket events per member, on top of the message limit the service applies to `send`. */
  readonly eventLimit: Limiter;
}

const CHANNEL = 'conversation';

/**
 * The `/conversations` namespace: visitors are refused at the handshake. A participant follows
 * `conversation:<id>` by proving their seat: the server computes their blinded id from the member key the
 * socket's session unwrapped, and finds it among the conversation's participants (checked again on every event).
 *
 * Client → server, each with an acknowledgement callback:
 *   send     { conversationId, body, clientId } → { ok: true, clientId, message } once stored
 *   catch-up { conversationId, after }          → { ok: true, messages, newer }
 *   read     { conversationId, cursor }         → { ok: true }
 * Errors: { ok: false, error: { code, message } }, message in the member's language.
 *
 * Server → client on `conversation:<id>`: message, message-deleted, joined { place }, left { place },
 * retention { retentionDays }; removed goes to a participant's own sockets when they leave or block.
 *
 * Between processes only ids pass: a message is sent by the process that stored it to its own sockets, and the
 * others are told the conversation and message ids and read it from the store for theirs. Channels are named by
 * conversation, never by account; which socket holds which seat is worked out from its key, in memory only.
 */
export function conversationsRealtime(channels: Channels, deps: ConversationsSocketDeps): ConversationsLive {
  const { i18n, logger, eventLimit, conversations } = deps;
  const { nsp } = channels;
  channels.channel(CHANNEL, (viewer, id, key) => (viewer?.status === 'active' ? deps.access.isParticipant(key, id) : Promise.resolve(false)));

  const on = ackedEvents(channels, { i18n, logger, eventLimit, what: 'conversation' });

  nsp.on('connection', (socket) => {
    onMessageListEvents(on, socket, conversations);
  });

  const channelOf = (conversationId: string) => `${CHANNEL}:${conversationId}`;
  const sendHere = (conversationId: string, event: string, payload: Record<string, unknown>) => nsp.local.to(channelOf(conversationId)).emit(event, payload);

  /** Only this process knows which of its sockets hold the seat (from the keys they carry). */
  const removeHere = (conversationId: string, participantId: string) => {
    const socketIds = nsp.adapter.rooms.get(channelOf(conversationId));
    for (const socketId of [...(socketIds ?? [])]) {
      const socket = nsp.sockets.get(socketId);
      const key = socket ? channels.memberKey(socket) : null;
      if (!socket || !key || ConversationAccess.participantId(key, conversationId) !== participantId) continue;
      socket.emit('removed', { conversationId });
      socket.leave(channelOf(conversationId));
    }
  };
  channels.onOthers('conversation-removed', removeHere);
  channels.onOthers('conversation-message', (conversationId, messageId) => {
    if (!nsp.adapter.rooms.has(channelOf(conversationId))) return;
    conversations.sharedPayload(conversationId, messageId).then(
      (payload) => {
        if (payload) sendHere(conversationId, 'message', payload);
      },
      (error: unknown) => logger.error({ err: error, nsp: nsp.name }, 'reading a shared conversation message failed'),
    );
  });

  return {
    publish: (conversationId, event, payload) => channels.publish(CHANNEL, conversationId, event, payload),
    share(conversationId, messageId, payload) {
      sendHere(conversationId, 'message', payload);
      channels.tellOthers('conversation-message', conversationId, messageId);
    },
    remove(conversationId, participantId) {
      removeHere(conversationId, participantId);
      channels.tellOthers('conversation-removed', conversationId, participantId);
    },
  };
}
