/**
 * Photos of posts, warnings, room messages, check-ins, incident reports and private messages: their checking and re-encoding
 * (pipeline.ts, through the image queue), quotas, storage through the port (a document per photo, its files in
 * the media_blobs chunks) and who may see them. The module owning each kind of context registers how to tell who
 * may see one and whether it still exists; media itself knows nothing of posts or rooms.
 */
import type { AccountDoc } from '../accounts/accounts.collections.js';
import type { MemberKey } from '../core/member-key.js';
import { mediaError } from './errors.js';
import { parseInput } from '../core/validate.js';
import { newId } from '../crypto.js';
import type { Blobs, Store } from '../store/port.js';
import { eachPage } from '../store/paging.js';
import { ImageQueue } from './image-queue.js';
import { mediaBlobs, photosCollection, type ContextKind, type PhotoDoc } from './media.collections.js';
import { MAX_PHOTOS, photoFieldsInput } from './media.schemas.js';
import type { UploadedFile } from './multipart.js';
import { LARGE_MAX_SIDE, processPhoto, THUMB_MAX_SIDE, type ProcessedPhoto } from './pipeline.js';
import type { PhotoQuotas } from './quotas.js';

export interface StoredPhoto {
  readonly id: string;
  readonly contextKind: ContextKind;
  readonly contextId: string;
  readonly mediaType: 'image/jpeg' | 'image/webp' | 'image/png';
  readonly width: number;
  readonly height: number;
  readonly thumbWidth: number;
  readonly thumbHeight: number;
  readonly alt: string;
  readonly sensitive: boolean;
  readonly blurhash: string | null;
  /** hex, of the stored large variant */
  readonly sha256: string;
  readonly receivedAt: number;
}

/** A photo as pages and the API show it. */
export interface PhotoView extends StoredPhoto {
  readonly url: string;
  readonly thumbUrl: string;
  /** A data: URI of a tiny blurred copy, for sensitive photos; null otherwise. */
  readonly preview: string | null;
  /** A remote picture that could not be fetched: shown as a placeholder without a link. */
  readonly unavailable: boolean;
}

export interface Viewer {
  readonly account: AccountDoc | null;
  readonly memberKey: MemberKey | null;
}

/**
 * How a module answers for its contexts: `visibility` says whether the viewer may see the context ('public' when
 * anyone may, visitors and other servers alike; 'private' when only some may; null when this viewer may not or it
 * is gone); `exists` lets the sweep drop photos whose context was deleted by retention or a cascade.
 */
export interface ContextAccess {
  visibility(contextId: string, viewer: Viewer): Promise<'public' | 'private' | null>;
  exists(contextId: string): Promise<boolean>;
  /** Whether pictures from other servers are fetched and shown in this context (a board may turn them off); yes when left out. */
  remoteMedia?(contextId: string): Promise<boolean>;
}

/** Photos checked and re-encoded, waiting for their context to be written. Nothing of them is stored yet. */
export interface PreparedPhotos {
  readonly photos: readonly { readonly processed: ProcessedPhoto; readonly alt: string; readonly sensitive: boolean }[];
  readonly receivedAt: number;
}

export const NO_PHOTOS: PreparedPhotos = { photos: [], receivedAt: 0 };

export type Variant = 'large' | 'thumb';

/** A picture another server names in a post (federation/media-attachments.ts reads them from the activity). */
export interface RemotePicture {
  readonly url: string;
  readonly alt: string;
  readonly blurhash: string | null;
  readonly width: number | null;
  readonly height: number | null;
}

export interface MediaDeps {
  readonly store: Store;
  /** Fetches a remote picture's bytes through the outgoing-request checks (remote-images.ts). */
  readonly fetchRemote?: (url: string) => Promise<Buffer>;
  readonly quotas: PhotoQuotas;
  readonly queue?: ImageQueue;
  readonly maxStorageBytes: number;
  readonly now?: () => number;
}

/** An incident's thread may gather more than one message's four photos; this many are shown and exported. */
const MAX_PER_CONTEXT = 200;

/** How long the storage total is taken as known: a sum over every chunk is not worth doing for each upload. */
const USAGE_TTL_MS = 60_000;

const toStored = (doc: PhotoDoc): StoredPhoto => ({
  id: doc.id,
  contextKind: doc.contextKind,
  contextId: doc.contextId,
  mediaType: doc.mediaType,
  width: doc.width,
  height: doc.height,
  thumbWidth: doc.thumbWidth,
  thumbHeight: doc.thumbHeight,
  alt: doc.alt,
  sensitive: doc.sensitive,
  blurhash: doc.blurhash,
  sha256: doc.sha256,
  receivedAt: doc.receivedAt,
});

export const photoView = (doc: PhotoDoc): PhotoView => ({
  ...toStored(doc),
  url: `/media/${doc.id}`,
  thumbUrl: `/media/${doc.id}/thumb`,
  preview: doc.sensitive ? doc.preview : null,
  unavailable: doc.unavailable === true,
});

export class MediaService {
  private readonly contexts = new Map<ContextKind, ContextAccess>();
  private readonly queue: ImageQueue;
  private readonly now: () => number;
  private usageKnown: { bytes: number; at: number } | null = null;
  /** Remote pictures being fetched, by photo id. */
  private readonly fetching = new Map<string, Promise<PhotoDoc | null>>();
  private hostAllowed: (url: string) => Promise<boolean> = () => Promise.resolve(true);

  constructor(private readonly deps: MediaDeps) {
    this.queue = deps.queue ?? new ImageQueue();
    this.now = deps.now ?? Date.now;
  }

  private get blobs(): Blobs {
    return this.deps.store.blobs(mediaBlobs);
  }

  private get photos() {
    return this.deps.store.collection(photosCollection);
  }

  registerContext(kind: ContextKind, access: ContextAccess): void {
    this.contexts.set(kind, access);
  }

  /** The instance's rules on other servers (federation/policy.ts): a picture on a server they refuse is never fetched. */
  checkRemoteHosts(allowed: (url: string) => Promise<boolean>): void {
    this.hostAllowed = allowed;
  }

  /**
   * Checks and re-encodes the photos of one form or API call, before its post, message or report is written:
   * a photo that is refused refuses the whole call and nothing is kept. `quotaKey` names the member to the day's
   * budget (never stored): the account id, or with `blinded` their blinded id in the upload's context (quotas.ts);
   * `defaultAlt` is the member's language's text for a photo left without one.
   */
  async prepare(files: readonly UploadedFile[], fields: unknown, quotaKey: string, defaultAlt: string, blinded = false): Promise<PreparedPhotos> {
    const photos = files.filter((file) => file.field === 'photos');
    if (photos.length === 0) return NO_PHOTOS;
    if (photos.length > MAX_PHOTOS) throw mediaError(413, 'photo_too_many', { max: MAX_PHOTOS });
    const { alt, sensitive } = parseInput(photoFieldsInput, pick(fields));
    if (this.deps.maxStorageBytes < (await this.storedBytes()) + photos.reduce((sum, file) => sum + file.bytes.length, 0)) {
      throw mediaError(503, 'photo_storage_full', {}, 3600);
    }
    await this.deps.quotas.take(quotaKey, photos.length, blinded);
    const processed = await Promise.all(photos.map((file) => this.queue.run(() => processPhoto(file.bytes))));
    return {
      receivedAt: this.now(),
      photos: processed.map((photo, i) => ({
        processed: photo,
        alt: alt[i]?.trim() || defaultAlt,
        sensitive: sensitive.includes(String(i) as '0'),
      })),
    };
  }

  /** Stores prepared photos under their context, once the context is written. */
  async attach(kind: ContextKind, contextId: string, prepared: PreparedPhotos): Promise<PhotoView[]> {
    if (prepared.photos.length === 0) return [];
    const views: PhotoView[] = [];
    let added = 0;
    // An incident gathers the photos of its whole thread: they follow those already there.
    const first = await this.photos.count({ contextKind: kind, contextId });
    for (const [i, photo] of prepared.photos.entries()) {
      const position = first + i;
      const id = newId();
      const { processed } = photo;
      try {
        await this.blobs.put({ contextKind: kind, contextId, blobId: id, variant: 'large' }, processed.large);
        await this.blobs.put({ contextKind: kind, contextId, blobId: id, variant: 'thumb' }, processed.thumb);
        const doc = await this.photos.insert({
          id,
          contextKind: kind,
          contextId,
          position,
          mediaType: processed.mediaType,
          width: processed.width,
          height: processed.height,
          thumbWidth: processed.thumbWidth,
          thumbHeight: processed.thumbHeight,
          alt: photo.alt,
          sensitive: photo.sensitive,
          blurhash: processed.blurhash,
          preview: photo.sensitive ? processed.preview : null,
          sha256: processed.sha256,
          receivedAt: prepared.receivedAt,
          bytes: processed.large.length + processed.thumb.length,
        });
        views.push(photoView(doc));
        added += doc.bytes;
      } catch (error) {
        await this.blobs.deleteBlob(id);
        throw error;
      }
    }
    if (this.usageKnown) this.usageKnown.bytes += added;
    return views;
  }

  /**
   * Records the pictures of a post from another server, to be fetched when first shown (see read()). Nothing is
   * fetched now: a post nobody reads costs nothing, and the other server learns nothing of when it arrived. For a
   * post recorded before (an edit), the same pictures stay as they are, copies included; other ones replace them.
   */
  async registerRemote(kind: ContextKind, contextId: string, pictures: readonly RemotePicture[], sensitive: boolean): Promise<void> {
    const taken = pictures.slice(0, MAX_PHOTOS);
    const { items } = await this.photos.find({ where: { contextKind: kind, contextId }, orderBy: { field: 'position' }, limit: MAX_PER_CONTEXT });
    if (items.length === taken.length && items.every((doc, i) => doc.remoteUrl === taken[i]!.url)) return;
    if (items.length > 0) await this.deleteContext(kind, contextId);
    for (const [i, picture] of taken.entries()) {
      const width = picture.width && picture.width > 0 ? Math.min(picture.width, LARGE_MAX_SIDE) : THUMB_MAX_SIDE;
      const height = picture.height && picture.height > 0 ? Math.round((picture.height * width) / (picture.width ?? width)) : THUMB_MAX_SIDE;
      const scale = Math.min(1, THUMB_MAX_SIDE / Math.max(width, height));
      await this.photos.insert({
        id: newId(),
        contextKind: kind,
        contextId,
        position: i,
        mediaType: 'image/jpeg',
        width,
        height,
        thumbWidth: Math.max(1, Math.round(width * scale)),
        thumbHeight: Math.max(1, Math.round(height * scale)),
        alt: picture.alt.slice(0, 1500),
        sensitive,
        blurhash: picture.blurhash,
        preview: null,
        sha256: '',
        receivedAt: this.now(),
        bytes: 0,
        remoteUrl: picture.url,
      });
    }
  }

  /** Fetches and re-encodes a remote picture once (callers at the same time share the work); a failure is kept. */
  private fetchOnce(doc: PhotoDoc): Promise<PhotoDoc | null> {
    let running = this.fetching.get(doc.id);
    if (running === undefined) {
      running = this.fetchRemote(doc).finally(() => this.fetching.delete(doc.id));
      this.fetching.set(doc.id, running);
    }
    return running;
  }

  private async fetchRemote(doc: PhotoDoc): Promise<PhotoDoc | null> {
    const { fetchRemote } = this.deps;
    let processed: ProcessedPhoto;
    try {
      if (!fetchRemote || !doc.remoteUrl || !(await this.hostAllowed(doc.remoteUrl))) throw mediaError(404, 'photo_not_found');
      const bytes = await fetchRemote(doc.remoteUrl);
      processed = await this.queue.run(() => processPhoto(bytes));
    } catch {
      // Unreachable, too large, not a picture, a refused host: a placeholder from now on, never fetched again.
      await this.photos.patch(doc.id, { unavailable: true });
      return null;
    }
    // Turned off while it was being fetched: nothing is kept.
    if (!(await this.remoteAllowed(doc))) return null;
    await this.blobs.put({ contextKind: doc.contextKind, contextId: doc.contextId, blobId: doc.id, variant: 'large' }, processed.large);
    await this.blobs.put({ contextKind: doc.contextKind, contextId: doc.contextId, blobId: doc.id, variant: 'thumb' }, processed.thumb);
    return this.photos.patch(doc.id, {
      mediaType: processed.mediaType,
      width: processed.width,
      height: processed.height,
      thumbWidth: processed.thumbWidth,
      thumbHeight: processed.thumbHeight,
      blurhash: doc.blurhash ?? processed.blurhash,
      preview: doc.sensitive ? processed.preview : null,
      sha256: processed.sha256,
      bytes: processed.large.length + processed.thumb.length,
    });
  }

  /**
   * The photos of each context, in their order; contexts without photos are absent. Callers have checked access.
   * Pictures from other servers where the context turned them off are placeholders.
   */
  async photosOf(kind: ContextKind, contextIds: readonly string[]): Promise<Map<string, PhotoView[]>> {
    const found = new Map<string, PhotoView[]>();
    for (const contextId of new Set(contextIds)) {
      const { items } = await this.photos.find({ where: { contextKind: kind, contextId }, orderBy: { field: 'position' }, limit: MAX_PER_CONTEXT });
      const withheld = items.some(isRemote) && !(await this.remoteAllowed(items[0]!));
      if (items.length > 0) found.set(contextId, items.map((doc) => (withheld && isRemote(doc) ? { ...photoView(doc), unavailable: true } : photoView(doc))));
    }
    return found;
  }

  /**
   * Deletes, through the store, the fetched copies of the pictures from other servers in the contexts of `kind` that
   * `turnedOff` names (a board that turned remote media off): their records stay, as placeholders, and are fetched
   * again if the context turns them back on. Returns how many copies went.
   */
  async dropRemoteCopies(kind: ContextKind, turnedOff: (contextId: string) => Promise<boolean>): Promise<number> {
    const decided = new Map<string, boolean>();
    let dropped = 0;
    await eachPage(
      (after) => this.photos.find({ limit: 200, after }),
      async (doc) => {
        if (doc.contextKind !== kind || !isRemote(doc) || doc.bytes === 0) return;
        if (!decided.has(doc.contextId)) decided.set(doc.contextId, await turnedOff(doc.contextId));
        if (!decided.get(doc.contextId)) return;
        await this.blobs.deleteBlob(doc.id);
        await this.photos.patch(doc.id, { bytes: 0, sha256: '', preview: null });
        dropped += 1;
      },
    );
    if (dropped > 0) this.usageKnown = null;
    return dropped;
  }

  /** The photos of one context for a viewer allowed to see it (404 otherwise). */
  async listFor(kind: ContextKind, contextId: string, viewer: Viewer): Promise<PhotoView[]> {
    if ((await this.access(kind).visibility(contextId, viewer)) === null) throw mediaError(404, 'photo_not_found');
    return (await this.photosOf(kind, [contextId])).get(contextId) ?? [];
  }

  /** A photo's file for a viewer allowed to see its context, checked on every request; 404 for everyone else. */
  async read(id: string, variant: Variant, viewer: Viewer): Promise<{ photo: StoredPhoto; bytes: Buffer; mediaType: string; isPublic: boolean }> {
    let doc = /^[A-Za-z0-9_-]{16}$/.test(id) ? await this.photos.get(id) : null;
    if (doc === null || doc.unavailable) throw mediaError(404, 'photo_not_found');
    const visibility = await this.access(doc.contextKind).visibility(doc.contextId, viewer);
    if (visibility === null) throw mediaError(404, 'photo_not_found');
    if (isRemote(doc) && !(await this.remoteAllowed(doc))) throw mediaError(404, 'photo_not_found');
    if (isRemote(doc) && doc.bytes === 0) doc = await this.fetchOnce(doc);
    if (doc === null) throw mediaError(404, 'photo_not_found');
    const bytes = await this.blobs.get(id, variant);
    if (bytes === null) throw mediaError(404, 'photo_not_found');
    return { photo: toStored(doc), bytes, mediaType: variant === 'thumb' ? 'image/webp' : doc.mediaType, isPublic: visibility === 'public' };
  }

  /** The large files of a context with their records, for the evidence export (its caller checks access). */
  async files(kind: ContextKind, contextId: string): Promise<{ photo: StoredPhoto; bytes: Buffer }[]> {
    const files: { photo: StoredPhoto; bytes: Buffer }[] = [];
    for (const photo of (await this.photosOf(kind, [contextId])).get(contextId) ?? []) {
      const bytes = await this.blobs.get(photo.id, 'large');
      if (bytes !== null) files.push({ photo, bytes });
    }
    return files;
  }

  /**
   * Copies the photos of some contexts to another, under new ids (a report keeps its own copy of what it is about,
   * which lives and goes with the report whatever happens to the original).
   */
  async copy(kind: ContextKind, contextIds: readonly string[], toKind: ContextKind, toId: string): Promise<number> {
    let position = await this.photos.count({ contextKind: toKind, contextId: toId });
    let copied = 0;
    for (const views of (await this.photosOf(kind, contextIds)).values()) {
      for (const view of views) {
        const doc = await this.photos.get(view.id);
        const large = doc && !doc.unavailable && doc.remoteUrl === undefined ? await this.blobs.get(doc.id, 'large') : null;
        const thumb = large ? await this.blobs.get(view.id, 'thumb') : null;
        if (!doc || !large || !thumb) continue;
        const id = newId();
        try {
          await this.blobs.put({ contextKind: toKind, contextId: toId, blobId: id, variant: 'large' }, large);
          await this.blobs.put({ contextKind: toKind, contextId: toId, blobId: id, variant: 'thumb' }, thumb);
          await this.photos.insert({ ...doc, id, contextKind: toKind, contextId: toId, position: position++ });
        } catch (error) {
          await this.blobs.deleteBlob(id);
          throw error;
        }
        copied++;
      }
    }
    if (copied > 0) this.usageKnown = null;
    return copied;
  }

  /** Deletes every photo of a context, files first: a record without files only answers 404 until the sweep. */
  async deleteContext(kind: ContextKind, contextId: string): Promise<number> {
    await this.blobs.deleteContext(kind, contextId);
    this.usageKnown = null;
    return this.photos.deleteWhere({ contextKind: kind, contextId });
  }

  /** Deletes the photos of contexts that are gone (retention sweeps and cascades delete contexts without asking). */
  async sweepOrphans(): Promise<number> {
    let deleted = 0;
    const checked = new Set<string>();
    await eachPage(
      (after) => this.photos.find({ limit: 200, after }),
      async (doc) => {
        const key = `${doc.contextKind} ${doc.contextId}`;
        if (checked.has(key)) return;
        checked.add(key);
        const access = this.contexts.get(doc.contextKind);
        if (access !== undefined && !(await access.exists(doc.contextId))) deleted += await this.deleteContext(doc.contextKind, doc.contextId);
      },
    );
    return deleted;
  }

  /** What photos take, for the admin pages. */
  async usage(): Promise<{ photos: number; bytes: number }> {
    const [photos, blobs] = await Promise.all([this.photos.count(), this.blobs.usage()]);
    this.usageKnown = { bytes: blobs.bytes, at: this.now() };
    return { photos, bytes: blobs.bytes };
  }

  private async storedBytes(): Promise<number> {
    if (this.usageKnown === null || this.now() - this.usageKnown.at > USAGE_TTL_MS) await this.usage();
    return this.usageKnown!.bytes;
  }

  private async remoteAllowed(doc: PhotoDoc): Promise<boolean> {
    return (await this.contexts.get(doc.contextKind)?.remoteMedia?.(doc.contextId)) ?? true;
  }

  private access(kind: ContextKind): ContextAccess {
    const access = this.contexts.get(kind);
    if (access === undefined) throw mediaError(404, 'photo_not_found');
    return access;
  }
}

/** A picture of a post from another server: its copy here is made (bytes > 0) when first shown. */
const isRemote = (doc: PhotoDoc): boolean => doc.remoteUrl !== undefined;

function pick(fields: unknown): { alt?: unknown; sensitive?: unknown } {
  if (typeof fields !== 'object' || fields === null) return {};
  const { alt, sensitive } = fields as Record<string, unknown>;
  return { alt, sensitive };
}
