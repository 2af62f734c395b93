import type { AppContext } from '../context.js';
import type { PhotoView, PreparedPhotos } from '../media/media.service.js';

/** Stores a new post's photos, then lets the thread's kept pages go: they were made before the photos were there. */
export async function attachToPost(ctx: AppContext, post: { id: string; threadId: string }, photos: PreparedPhotos): Promise<PhotoView[]> {
  if (photos.photos.length === 0) return [];
  const stored = await ctx.media.attach('post', post.id, photos);
  ctx.forums.changes.changed(post.threadId, post.id);
  return stored;
}
