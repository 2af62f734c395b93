import type { ApRemotePostDoc } from '../federation.collections.js';

/** A mirrored post as the JSON API shows it (mirror.api.ts). */
export interface RemotePostView {
  id: string;
  title: string | null;
  html: string;
  summary: string | null;
  attributedTo: string;
  inReplyTo: string | null;
  published: string;
  /** A thread its board's moderators locked (replies are refused) or pinned. */
  locked: boolean;
  pinned: boolean;
}

export interface ThreadOfRemote extends RemotePostView {
  replies: RemotePostView[];
  /** The cursor of the replies after these (GET /federation/remote/thread), or null. */
  moreReplies: string | null;
}

export const view = (p: ApRemotePostDoc): RemotePostView => ({
  id: p.id,
  title: p.title,
  html: p.html,
  summary: p.summary,
  attributedTo: p.attributedTo,
  inReplyTo: p.inReplyTo,
  published: new Date(p.published).toISOString(),
  locked: p.locked ?? false,
  pinned: p.pinned ?? false,
});
