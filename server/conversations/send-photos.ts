import type { Request } from 'express';
import type { AppContext } from '../context.js';
import { preparePhotos } from '../media/media.routes.js';
import { param } from '../http/route-param.js';
import { blindScope } from '../core/member-key.js';
import type { MessageView } from './conversations.service.js';

/**
 * A message sent by the API or the page's form, with the photos of a multipart post. The seat is checked before
 * any photo is decoded, so that someone outside the conversation costs no image work and no quota; the photos are
 * checked and re-encoded before the message is written, so that a refused photo keeps nothing.
 */
export async function sendWithPhotos(ctx: AppContext, req: Request, body: unknown): Promise<MessageView> {
  const { conversations } = ctx.conversations;
  const id = param(req.params.id);
  if (req.uploads && req.uploads.length > 0) await conversations.seat(req.account, req.memberKey, id);
  // Counted in memory under the member's blinded id in the conversation, as a room's photos are, not the account.
  const photos = await preparePhotos(ctx.media, req, async () => req.memberKey?.blind(blindScope.conversation(id)) ?? null);
  return conversations.send(req.account, req.memberKey, id, body, photos);
}
