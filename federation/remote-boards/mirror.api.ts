import { z } from 'zod';
import type { ApiRouter } from '../../server/http/api-router.js';
import type { Store } from '../../server/store/port.js';
import { federationError } from '../errors.js';
import { apFollowsCollection } from '../federation.collections.js';
import type { RemoteMirror } from './mirror.js';
import { view } from './remote-post-view.js';

const remoteQuery = z.strictObject({
  group: z.url(),
  after: z.string().max(300).optional(),
  limit: z.coerce.number().int().min(1).max(50).optional(),
});

const remoteThreadQuery = z.strictObject({
  group: z.url(),
  thread: z.url(),
  after: z.string().max(300).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

/** Members read a followed remote board's mirrored threads (GET /api/v1/federation/remote?group=<Group IRI>). */
export function mirrorApi(api: ApiRouter, mirror: RemoteMirror, store: Store): void {
  const followed = async (group: string) => {
    const follow = await store.collection(apFollowsCollection).findOne({ remoteActor: group, state: 'accepted' });
    if (!follow) throw federationError(404, 'not_followed');
  };
  api.route({
    method: 'get', path: '/federation/remote', tag: 'federation', access: 'member', query: remoteQuery,
    summary: 'A page of the threads of a followed remote board, newest first, each with its first replies, as mirrored here (cursor-paginated with `after`)',
    handler: async ({ query }) => {
      await followed(query.group);
      return { group: query.group, ...(await mirror.threads(query.group, query)) };
    },
  });
  api.route({
    method: 'get', path: '/federation/remote/thread', tag: 'federation', access: 'member', query: remoteThreadQuery,
    summary: 'A mirrored thread and a page of its replies, oldest first (cursor-paginated with `after`)',
    handler: async ({ query }) => {
      await followed(query.group);
      const found = await mirror.thread(query.group, query.thread, query);
      if (!found) throw federationError(404, 'remote_thread_not_found');
      return { group: query.group, thread: view(found.thread), replies: found.replies.map(view), next: found.next };
    },
  });
}
