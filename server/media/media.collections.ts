import { defineBlobs, defineCollection } from '../store/port.js';

/**
 * What a photo belongs to; each kind registers who may see it (see MediaService.registerContext). `remote_post`: a
 * post of a followed board of another server, mirrored here (federation/remote-boards), by its IRI.
 */
export const CONTEXT_KINDS = ['post', 'warning', 'room_message', 'checkin', 'incident', 'conversation_message', 'conversation_report', 'remote_post'] as const;
export type ContextKind = (typeof CONTEXT_KINDS)[number];

/**
 * One photo: what pages need to show it, never who sent it (the context names its author as the context's
 * module decides, anonymously or not). Its files are in media_blobs under the same id.
 */
export interface PhotoDoc {
  id: string;
  contextKind: ContextKind;
  contextId: string;
  /** 0..3, the order the member chose. */
  position: number;
  mediaType: 'image/jpeg' | 'image/webp' | 'image/png';
  width: number;
  height: number;
  thumbWidth: number;
  thumbHeight: number;
  alt: string;
  sensitive: boolean;
  blurhash: string | null;
  /** A data: URI of a tiny blurred copy, for sensitive photos only. */
  preview: string | null;
  sha256: string;
  receivedAt: number;
  /** Stored bytes of every variant, for the storage figures. */
  bytes: number;
  /**
   * A picture of a post from another server: where it is fetched from, when first asked for (`bytes` is 0 until
   * then, and again once a board that turned remote media off had the copy deleted).
   */
  remoteUrl?: string;
  /** A remote picture that could not be fetched or did not pass the checks: shown as a placeholder, never linked. */
  unavailable?: boolean;
}

export const photosCollection = defineCollection<PhotoDoc>({
  name: 'media_photos',
  fields: { contextKind: 'string', contextId: 'string', position: 'number' },
  indexes: [{ fields: ['contextKind', 'contextId', 'position'] }],
});

/** The files: chunk rows with the context, the variant (large, thumb) and nothing else. */
export const mediaBlobs = defineBlobs({ name: 'media_blobs' });

export const mediaCollections = [photosCollection];
