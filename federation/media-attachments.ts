import { first } from './as.js';

/**
 * Photos in ActivityPub, as the peers Parasol federates with write and read them.
 *
 * Sent: one `Document` per photo in the post's `attachment`, with `mediaType`, `url`, `name` (the alt text),
 * `width`, `height` and, where there is one, `blurhash` (Mastodon's term; Mbin and others read it too). Mastodon and
 * Lemmy both take a `Document` with an image media type as an image; `sensitive` goes on the post itself.
 *
 * Read, from what each peer sends:
 * - Mastodon, Pleroma, Akkoma, Misskey: `attachment` of `Document`s (images, but also video and audio, left out
 *   here), with `blurhash`, `focalPoint`, `width`, `height`; `sensitive` on the Note (Misskey marks each file).
 * - Lemmy: an image post is a `Page` whose `image` is `{type: Image, url}`; older versions put the same URL in a
 *   `Link` attachment without a media type (the link of a link post, which this never takes as an image), newer
 *   ones send an `Image` attachment with the alt text in `name`.
 * - Mbin: an `Image` attachment with `blurhash`, `focalPoint`, `width`, `height` and `name`, and the same URL again
 *   in `image`.
 * - PieFed: an `Image` attachment with `name` and `url`, and the same URL in `image`.
 * - NodeBB: `Image` attachments with `mediaType`, `url` and `width`/`height`, no alt text.
 * Values come either as sent or as apex's JSON-LD compaction leaves them (every value in an array, Mastodon's terms
 * under `toot:` when the context does not name them), so both are read.
 *
 * Only https URLs without credentials are kept (no data:, no http:, no user:password@), at most four, each once:
 * the server fetches them later through its SSRF guard, and a member's browser never sees these URLs. Where the
 * instance may reach private addresses (its peers in tests listen on loopback), plain http is kept too, as the
 * guard then allows it.
 */

export interface OutgoingPhoto {
  readonly url: string;
  readonly mediaType: string;
  readonly alt: string;
  readonly width: number;
  readonly height: number;
  readonly blurhash: string | null;
}

export interface RemoteImageRef {
  readonly url: string;
  readonly mediaType: string | null;
  readonly alt: string;
  readonly blurhash: string | null;
  readonly width: number | null;
  readonly height: number | null;
}

/** How many images of one remote post are taken: as many as a member may attach here. */
export const MAX_REMOTE_IMAGES = 4;

/** Mastodon keeps descriptions to 1,500 characters; longer is cut, not refused. */
const MAX_ALT = 1500;
const MAX_URL = 2000;
const MAX_SIDE = 100_000;
/** Blurhash's base-83 alphabet; a real hash is 6 to a few dozen characters. */
const BLURHASH = /^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{6,100}$/;
const TOOT = 'http://joinmastodon.org/ns#';

export function attachmentsToActivityPub(photos: readonly OutgoingPhoto[]): Record<string, unknown>[] {
  return photos.map((p) => ({
    type: 'Document',
    mediaType: p.mediaType,
    url: p.url,
    name: p.alt,
    width: p.width,
    height: p.height,
    ...(p.blurhash ? { blurhash: p.blurhash } : {}),
  }));
}

/** The images of a remote post (see the module comment); [] for anything that is not an object. */
export function imagesFromActivityPub(object: unknown, limit = MAX_REMOTE_IMAGES, options: { readonly allowHttp?: boolean } = {}): RemoteImageRef[] {
  if (!isRecord(object)) return [];
  const acceptable = (value: string) => acceptableImageUrl(value, options.allowHttp === true);
  const max = Math.max(0, Math.min(Math.floor(limit), MAX_REMOTE_IMAGES));
  const found: RemoteImageRef[] = [];
  const take = (ref: RemoteImageRef | null) => {
    if (!ref) return;
    const existing = found.findIndex((f) => f.url === ref.url);
    // Mbin, PieFed and Lemmy send the same picture as an attachment and as `image`: kept once, with what either says.
    if (existing >= 0) found[existing] = merge(found[existing]!, ref);
    else if (found.length < max) found.push(ref);
  };
  for (const item of list(object.attachment)) take(fromAttachment(item, acceptable));
  for (const item of list(object.image)) take(fromImage(item, acceptable));
  return found;
}

/**
 * Whether the post asks to be shown blurred: `sensitive` on the object as Mastodon, Lemmy, Mbin and PieFed set it,
 * or on any of its attachments as Misskey does. Only an explicit true counts.
 */
export function isSensitive(object: unknown): boolean {
  if (!isRecord(object)) return false;
  if (flag(object)) return true;
  return list(object.attachment).some((a) => isRecord(a) && flag(a));
}

function flag(o: Record<string, unknown>): boolean {
  const value = first(o.sensitive ?? o['as:sensitive']);
  return value === true || value === 'true' || (isRecord(value) && (value['@value'] === true || value['@value'] === 'true'));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function typesOf(o: Record<string, unknown>): string[] {
  return list(o.type).filter((t): t is string => typeof t === 'string');
}

/** A JSON-LD value as a plain one: the first of an array, the `@value` of a value object. */
function plain(value: unknown): unknown {
  const v = first(value);
  return isRecord(v) && '@value' in v ? v['@value'] : v;
}

function str(value: unknown): string | null {
  const v = plain(value);
  return typeof v === 'string' ? v : null;
}

/** Mastodon's own terms, whichever way the JSON-LD reached us. */
function toot(o: Record<string, unknown>, term: string): unknown {
  return o[term] ?? o[`toot:${term}`] ?? o[`${TOOT}${term}`];
}

/**
 * An https URL a server may fetch: no other scheme (http too when `allowHttp`), no user or password in it, a host
 * name, not absurdly long.
 */
export function acceptableImageUrl(value: string, allowHttp = false): string | null {
  if (value.length > MAX_URL) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if ((url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) || url.username || url.password || !url.hostname) return null;
  return url.href;
}

type Acceptable = (value: string) => string | null;

/** The first usable URL of a `url` value: a string, a Link (`href`), or a list of either (Peertube, Pleroma). */
function urlOf(value: unknown, acceptable: Acceptable): { url: string; mediaType: string | null } | null {
  for (const item of list(value)) {
    if (typeof item === 'string') {
      const url = acceptable(item);
      if (url) return { url, mediaType: null };
    } else if (isRecord(item)) {
      const href = str(item.href);
      const mediaType = str(item.mediaType);
      if (mediaType && !isImageType(mediaType)) continue;
      const url = href ? acceptable(href) : null;
      if (url) return { url, mediaType };
    }
  }
  return null;
}

/** A raster image type: SVG is a document that can carry script, and is never taken. */
const isImageType = (mediaType: string) => /^image\/[a-z0-9.+-]+$/i.test(mediaType.trim()) && !/^image\/svg/i.test(mediaType.trim());

function dimension(value: unknown): number | null {
  const v = plain(value);
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= MAX_SIDE ? n : null;
}

/** Alt text as plain, single-line-ish text: `name`, or the first language of `nameMap`. */
function altOf(o: Record<string, unknown>): string {
  let alt = str(o.name);
  if (alt === null && isRecord(first(o.nameMap))) {
    alt = Object.values(first(o.nameMap) as Record<string, unknown>).map(str).find((v): v is string => v !== null) ?? null;
  }
  const clean = [...(alt ?? '')].filter((ch) => !invisible(ch.codePointAt(0)!)).join('').trim();
  // Cut between characters, never inside one.
  return [...clean].slice(0, MAX_ALT).join('');
}

/** Control characters other than tab and newline, and the bidi overrides: nothing a description shown as text needs. */
function invisible(code: number): boolean {
  if (code < 0x20) return code !== 0x09 && code !== 0x0a;
  return code === 0x7f || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}

function blurhashOf(o: Record<string, unknown>): string | null {
  const hash = str(toot(o, 'blurhash'));
  return hash && BLURHASH.test(hash) ? hash : null;
}

function describe(o: Record<string, unknown>, url: string, mediaType: string | null): RemoteImageRef {
  return { url, mediaType, alt: altOf(o), blurhash: blurhashOf(o), width: dimension(o.width), height: dimension(o.height) };
}

/**
 * An attachment that is a still image: a `Document` or `Image` whose media type (if it says one) is an image; or a
 * `Link` that says it is an image. Video, audio and a link post's link are left out.
 */
function fromAttachment(item: unknown, acceptable: Acceptable): RemoteImageRef | null {
  if (!isRecord(item)) return null;
  const types = typesOf(item);
  const declared = str(item.mediaType);
  if (types.includes('Link')) {
    if (!declared || !isImageType(declared)) return null;
    const href = str(item.href);
    const url = href ? acceptable(href) : null;
    return url ? describe(item, url, declared) : null;
  }
  if (!types.includes('Document') && !types.includes('Image')) return null;
  if (declared && !isImageType(declared)) return null;
  // A Document that says nothing of its type may be anything: only an Image is taken on trust.
  if (!declared && !types.includes('Image')) return null;
  const found = urlOf(item.url, acceptable);
  return found ? describe(item, found.url, declared ?? found.mediaType) : null;
}

/** `image`: an Image object (Lemmy, Mbin, PieFed) or a bare URL. */
function fromImage(item: unknown, acceptable: Acceptable): RemoteImageRef | null {
  if (typeof item === 'string') {
    const url = acceptable(item);
    return url ? { url, mediaType: null, alt: '', blurhash: null, width: null, height: null } : null;
  }
  if (!isRecord(item)) return null;
  const types = typesOf(item);
  if (types.length > 0 && !types.includes('Image')) return null;
  const declared = str(item.mediaType);
  if (declared && !isImageType(declared)) return null;
  const found = urlOf(item.url, acceptable);
  return found ? describe(item, found.url, declared ?? found.mediaType) : null;
}

function merge(a: RemoteImageRef, b: RemoteImageRef): RemoteImageRef {
  return {
    url: a.url,
    mediaType: a.mediaType ?? b.mediaType,
    alt: a.alt || b.alt,
    blurhash: a.blurhash ?? b.blurhash,
    width: a.width ?? b.width,
    height: a.height ?? b.height,
  };
}
