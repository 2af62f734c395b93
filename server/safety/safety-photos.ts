import type { Request } from 'express';
import type { AppContext } from '../context.js';
import { preparePhotos } from '../media/media.routes.js';
import { mediaError } from '../media/errors.js';
import type { PreparedPhotos } from '../media/media.service.js';

/**
 * The photos of a message in an incident's thread. They belong to the incident, which its reporter sees whole:
 * a responders' internal note cannot carry photos, which the reporter would then see.
 */
export function incidentPhotos(ctx: AppContext, req: Request, body: unknown): Promise<PreparedPhotos> {
  const internal = typeof body === 'object' && body !== null && ['on', true, 'true'].includes((body as { internal?: unknown }).internal as string);
  if (internal && (req.uploads?.length ?? 0) > 0) throw mediaError(422, 'photo_internal_note');
  return preparePhotos(ctx.media, req);
}
