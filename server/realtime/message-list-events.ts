import type { Socket } from 'socket.io';
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { MemberKey } from '../core/member-key.js';
import type { SocketAction } from './acked-events.js';

/** What a live list of messages needs of its service: rooms and conversations alike. */
export interface LiveMessageList {
  sendLive(actor: AccountDoc | null, key: MemberKey | null, raw: unknown): Promise<Record<string, unknown>>;
  catchUp(actor: AccountDoc | null, key: MemberKey | null, raw: unknown): Promise<Record<string, unknown>>;
  markRead(actor: AccountDoc | null, key: MemberKey | null, raw: unknown): Promise<void>;
}

/**
 * The events client/message-list.js sends, the same for a room and a conversation: send, catch-up and read, each
 * taken by `on` (acked-events.ts) and handed to the list's service.
 */
export function onMessageListEvents(on: (socket: Socket, event: string, action: SocketAction) => void, socket: Socket, list: LiveMessageList): void {
  on(socket, 'send', (account, key, payload) => list.sendLive(account, key, payload));
  on(socket, 'catch-up', (account, key, payload) => list.catchUp(account, key, payload));
  on(socket, 'read', async (account, key, payload) => {
    await list.markRead(account, key, payload);
    return {};
  });
}
