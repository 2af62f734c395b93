import type { Request } from 'express';
import type { AppContext } from '../context.js';

/** A message deleted by its author or a facilitator takes its photos with it at once (sweeps catch the rest). */
export async function deleteMessage(ctx: AppContext, req: Request, roomId: string, messageId: string): Promise<void> {
  await ctx.rooms.messages.delete(req.account, req.memberKey, roomId, messageId);
  await ctx.media.deleteContext('room_message', messageId);
}
