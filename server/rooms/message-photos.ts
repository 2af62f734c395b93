import type { Request } from 'express';
import type { AppContext } from '../context.js';
import { blindScope, requireMemberKey } from '../core/member-key.js';

/** A message deleted by its author or a facilitator takes its photos with it at once (sweeps catch the rest). */
export async function deleteMessage(ctx: AppContext, req: Request, roomId: string, messageId: string): Promise<void> {
  await ctx.rooms.messages.delete(req.account, req.memberKey, roomId, messageId);
  await ctx.media.deleteContext('room_message', messageId);
}

/**
 * A room message's photos count against the day's quota under the member's blinded id in the room, the id the room
 * knows its members by, never under the account (media/quotas.ts). Without the member's key no message is sent
 * either: the same 401.
 */
export const roomQuotaKey = (req: Request, roomId: string) => async (): Promise<string> => requireMemberKey(req.memberKey ?? null).blind(blindScope.room(roomId));
