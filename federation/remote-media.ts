import type { AppContext } from '../server/context.js';
import type { ContextAccess } from '../server/media/media.service.js';
import { eachPage } from '../server/store/paging.js';
import type { Store } from '../server/store/port.js';
import { apFollowsCollection, apRemotePostsCollection } from './federation.collections.js';
import { imagesFromActivityPub, isSensitive, MAX_REMOTE_IMAGES } from './media-attachments.js';

/**
 * Pictures of posts from other servers, handed to server/media: those of a post written on one of our boards
 * (`post`, inbound/contributions.ts) and those of a post of a followed board mirrored here (`remote_post`, by its
 * IRI, remote-boards/mirror.ts). Media records them and fetches each when first shown, through the outgoing-request
 * checks and the instance's rules on other servers, so a member's browser only ever asks this server.
 */
export type RecordPictures = (kind: 'post' | 'remote_post', postId: string, object: Record<string, unknown>) => Promise<void>;

export function recordPictures(ctx: AppContext, allowHttp: boolean): RecordPictures {
  return (kind, postId, object) =>
    ctx.media.registerRemote(
      kind,
      postId,
      imagesFromActivityPub(object, MAX_REMOTE_IMAGES, { allowHttp }).map((ref) => ({ url: ref.url, alt: ref.alt, blurhash: ref.blurhash, width: ref.width, height: ref.height })),
      isSensitive(object),
    );
}

/**
 * The pictures of a followed board's mirrored posts (remote-boards/mirror.ts): recorded as each post is stored, and
 * deleted, files and all, when the post is (a thread with its replies), not left for the photo sweep.
 */
export function mirroredPictures(ctx: AppContext, store: Store, record: RecordPictures) {
  const posts = store.collection(apRemotePostsCollection);
  return {
    record: (postIri: string, object: Record<string, unknown>) => record('remote_post', postIri, object),
    async erase(iri: string, withReplies: boolean): Promise<void> {
      const gone = [iri];
      if (withReplies) {
        await eachPage(
          (after) => posts.find({ where: { threadIri: iri }, orderBy: { field: 'published' }, limit: 500, after }),
          (post) => {
            gone.push(post.id);
          },
        );
      }
      for (const postIri of gone) await ctx.media.deleteContext('remote_post', postIri);
    },
  };
}

/**
 * Who sees the pictures of a mirrored post: approved members, as the mirrored boards' pages and API allow, while the
 * post is kept and its board followed. Never public: what a followed board shows is for members here.
 */
export function mirroredPostAccess(store: Store): ContextAccess {
  const posts = store.collection(apRemotePostsCollection);
  const exists = async (iri: string) => {
    const post = await posts.get(iri);
    return post !== null && (await store.collection(apFollowsCollection).findOne({ remoteActor: post.groupIri, state: 'accepted' })) !== null;
  };
  return {
    visibility: async (iri, viewer) => (viewer.account?.status === 'active' && (await exists(iri)) ? 'private' : null),
    exists: async (iri) => (await posts.get(iri)) !== null,
  };
}
