/**
 * Photos wired to the modules that own their contexts: each kind says who may see it and whether it still
 * exists, and the sweep drops the photos of contexts that are gone. Here, outside every module, so that
 * server/media knows nothing of posts, rooms or incidents, and they need nothing of its storage.
 */
import type express from 'express';
import type { AppContext } from './context.js';
import type { Config } from './config.js';
import type { Store } from './store/port.js';
import type { LimitCounters } from './core/rate-limit.js';
import { AppError } from './core/errors.js';
import type { ApiRouter } from './http/api-router.js';
import { MediaService, type ContextAccess, type Viewer } from './media/media.service.js';
import { PhotoQuotas } from './media/quotas.js';
import { fetchRemoteImage } from './media/remote-images.js';
import { mediaApi, mediaPages, multipartBody } from './media/media.routes.js';

/** How often the photos of deleted contexts are looked for. */
const ORPHAN_SWEEP_MS = 10 * 60_000;

export function createMedia(store: Store, config: Config, limits: LimitCounters): MediaService {
  return new MediaService({
    store,
    quotas: new PhotoQuotas(limits, config.media),
    maxStorageBytes: config.media.maxStorageBytes,
    fetchRemote: (url) => fetchRemoteImage(url, config.allowPrivateNetwork),
  });
}

/** Whether a lookup that throws a user's error (404, 403) means "not for this viewer". */
async function allowed(lookup: () => Promise<unknown>): Promise<boolean> {
  try {
    await lookup();
    return true;
  } catch (error) {
    if (error instanceof AppError) return false;
    throw error;
  }
}

function postAccess(ctx: AppContext): ContextAccess {
  const { reading } = ctx.forums;
  return {
    async visibility(postId, viewer) {
      if (await allowed(() => reading.getPost(null, null, postId))) return 'public';
      return (await allowed(() => reading.getPost(viewer.account, viewer.memberKey, postId))) ? 'private' : null;
    },
    async exists(postId) {
      const post = await reading.outboundPost(postId);
      return post !== null && post.state !== 'deleted';
    },
    remoteMedia: async (postId) => (await reading.boardOfPost(postId))?.remoteMedia ?? false,
  };
}

/** A room's messages: members of the room only; another room's photo is 404 like an unknown one. */
function roomMessageAccess(ctx: AppContext): ContextAccess {
  const { messages } = ctx.rooms;
  return {
    async visibility(messageId, viewer) {
      const roomId = await messages.roomOf(messageId);
      if (roomId === null) return null;
      return (await allowed(() => messages.get(viewer.account, viewer.memberKey, roomId, messageId))) ? 'private' : null;
    },
    exists: async (messageId) => (await messages.roomOf(messageId)) !== null,
  };
}

/** Private contexts whose service answers for one viewer (owner and buddies; reporter and responders; a board's members). */
function privateAccess(see: (id: string, viewer: Viewer) => Promise<unknown>, exists: (id: string) => Promise<boolean>): ContextAccess {
  return {
    visibility: async (id, viewer) => ((await allowed(() => see(id, viewer))) ? 'private' : null),
    exists,
  };
}

/** Registers every kind of context, the sweep, and the routes. Before the page routes: uploads are parsed here. */
export function attachMedia(app: express.Express, api: ApiRouter, ctx: AppContext): void {
  const { media } = ctx;
  media.registerContext('post', postAccess(ctx));
  media.registerContext('room_message', roomMessageAccess(ctx));
  media.registerContext('checkin', privateAccess((id, viewer) => ctx.safety.getCheckin(viewer.account, id), (id) => ctx.safety.checkinExists(id)));
  media.registerContext('incident', privateAccess((id, viewer) => ctx.incidents.get(viewer.account, id), (id) => ctx.incidents.exists(id)));
  media.registerContext('warning', privateAccess((id, viewer) => ctx.reviews.get(viewer.account, viewer.memberKey, id), (id) => ctx.reviews.exists(id)));
  // A private message's photos: its conversation's current participants only, proved with their key on every request.
  const { conversations, reports } = ctx.conversations;
  media.registerContext('conversation_message', privateAccess((id, viewer) => conversations.message(viewer.account, viewer.memberKey, id), (id) => conversations.messageExists(id)));
  media.registerContext('conversation_report', privateAccess((id, viewer) => reports.seeReport(viewer.account, id), (id) => reports.exists(id)));
  // An author's deletion keeps a placeholder post: its photos go with its words.
  ctx.forums.changes.onChange((_threadId, postId) => {
    if (postId === undefined) return;
    postAccess(ctx).exists(postId).then(
      (exists) => (exists ? undefined : media.deleteContext('post', postId)),
    ).catch((error: unknown) => ctx.logger.error({ err: error }, 'deleting the photos of a deleted post failed (the sweep retries)'));
  });
  // A board that turns remote media off keeps no copy of them.
  ctx.forums.boards.onRemoteMediaOff((boardId) => media.dropRemoteCopies('post', async (postId) => (await ctx.forums.reading.boardOfPost(postId))?.id === boardId));
  ctx.jobs.every('photo-sweep', { everyMs: ORPHAN_SWEEP_MS, run: () => media.sweepOrphans() });
  app.use(multipartBody());
  app.use(mediaPages(media));
  mediaApi(api, media);
}
