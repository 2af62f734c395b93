/**
 * The image pipeline: what an uploaded picture becomes before anything is kept. The bytes are checked (by their
 * first bytes, never by a name or a declared type), decoded once by libvips (sharp) with its input limits set,
 * turned upright, and written anew: only pixels travel into the new files, never EXIF (GPS, camera make, model and
 * serial, time), XMP, IPTC, ICC profiles, comments, embedded thumbnails or trailing data. Everything happens in
 * memory: the original is never written to a disk, not even to a temporary file.
 */
import crypto from 'node:crypto';
import type { Metadata, OutputInfo, Sharp } from 'sharp';
import type { AppError } from '../core/errors.js';
import { mediaError } from './errors.js';
import { encodeBlurhash } from './blurhash.js';

const importSharp = () => import('sharp');
type SharpModule = Awaited<ReturnType<typeof importSharp>>['default'];
let loaded: Promise<SharpModule> | null = null;

/**
 * sharp is loaded with the first picture, not at start: libvips, its threads and its caches are memory a process
 * that is never sent a picture does not need.
 */
function libvips(): Promise<SharpModule> {
  loaded ??= importSharp().then(({ default: sharp }) => {
    // libvips' own threads for one job: two jobs at once (the queue) then use two threads, as on two cores.
    sharp.concurrency(1);
    // No cache of decoded images between uploads: memory returns to the system after each.
    sharp.cache(false);
    return sharp;
  });
  return loaded;
}

export const MAX_PHOTO_BYTES = 12 * 1024 * 1024;
export const MAX_PIXELS = 50_000_000;
export const LARGE_MAX_SIDE = 2048;
export const THUMB_MAX_SIDE = 320;
export const THUMB_MAX_BYTES = 15 * 1024;
/** The blurred stand-in of a sensitive picture: a few hundred bytes, inlined into the page. */
const PREVIEW_SIDE = 24;

export type OutputType = 'image/jpeg' | 'image/webp' | 'image/png';
type InputFormat = 'jpeg' | 'png' | 'gif' | 'webp';

export interface ProcessedPhoto {
  readonly large: Buffer;
  readonly mediaType: OutputType;
  readonly width: number;
  readonly height: number;
  readonly thumb: Buffer;
  readonly thumbWidth: number;
  readonly thumbHeight: number;
  readonly blurhash: string;
  /** A data: URI of a tiny blurred copy, shown in place of a sensitive picture until it is opened. */
  readonly preview: string;
  /** Hex SHA-256 of `large`, the file kept and served. */
  readonly sha256: string;
}


const startsWith = (bytes: Uint8Array, signature: readonly number[], at = 0): boolean =>
  signature.every((byte, i) => bytes[at + i] === byte);
const ascii = (bytes: Uint8Array, from: number, to: number): string => Buffer.from(bytes.subarray(from, to)).toString('latin1');

/**
 * What the first bytes say the file is. A HEIC/HEIF photo, an SVG, a PDF or an HTML page get their own refusal (a
 * clear message says what to do instead); anything else unknown is refused as not a picture.
 */
export function sniffFormat(bytes: Uint8Array): InputFormat {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  const head = ascii(bytes, 0, 12);
  if (head.startsWith('GIF87a') || head.startsWith('GIF89a')) return 'gif';
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return 'webp';
  if (head.slice(4, 8) === 'ftyp') {
    const brand = head.slice(8, 12);
    if (/^(heic|heix|hevc|hevx|heim|heis|mif1|msf1|avif|avis)$/.test(brand)) throw mediaError(415, 'photo_heic');
  }
  if (head.startsWith('%PDF')) throw mediaError(415, 'photo_pdf');
  const text = Buffer.from(bytes.subarray(0, 512)).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) throw mediaError(415, 'photo_svg');
  throw mediaError(415, 'photo_type');
}

/** libvips refuses what is over limitInputPixels before decoding it: a decompression bomb is told apart. */
const unreadable = (error: unknown): AppError =>
  /pixel limit/i.test((error as Error).message) ? mediaError(413, 'photo_too_many_pixels') : mediaError(422, 'photo_unreadable');

const INPUT = { limitInputPixels: MAX_PIXELS, failOn: 'truncated', pages: 1, page: 0, animated: false } as const;

/**
 * Decodes and re-encodes one upload. Refuses, with a 4xx naming the problem, a file that is too large, not one of
 * the four allowed formats, has more than MAX_PIXELS, or does not decode whole (truncated, corrupt, a polyglot whose
 * picture part is broken).
 */
export async function processPhoto(bytes: Uint8Array): Promise<ProcessedPhoto> {
  if (bytes.length > MAX_PHOTO_BYTES) throw mediaError(413, 'photo_too_large');
  if (bytes.length === 0) throw mediaError(422, 'photo_empty');
  const format = sniffFormat(bytes);
  const sharp = await libvips();
  let meta: Metadata;
  try {
    meta = await sharp(bytes, INPUT).metadata();
  } catch (error) {
    throw unreadable(error);
  }
  if (meta.format !== format) throw mediaError(422, 'photo_unreadable');
  const pageHeight = meta.pageHeight ?? meta.height;
  if (meta.width === undefined || pageHeight === undefined) throw mediaError(422, 'photo_unreadable');
  if (meta.width * pageHeight > MAX_PIXELS) throw mediaError(413, 'photo_too_many_pixels');
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(bytes, INPUT)
      .rotate()
      .resize({ width: LARGE_MAX_SIDE, height: LARGE_MAX_SIDE, fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw unreadable(error);
  }
  const { width, height, channels } = decoded.info;
  const raw = { raw: { width, height, channels } } as const;
  const alpha = channels === 4 || channels === 2;
  const pixels = (): Sharp => sharp(decoded.data, raw);
  // libjpeg-turbo, not mozjpeg: mozjpeg's trellis search took five times as long for a few per cent fewer bytes.
  const large = alpha
    ? await pixels().webp({ quality: 82, effort: 4 }).toBuffer()
    : await pixels().jpeg({ quality: 82, progressive: true }).toBuffer();
  const thumb = await thumbnail(pixels);
  const tiny = await pixels().resize({ width: 32, height: 32, fit: 'inside' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const preview = await pixels().resize({ width: PREVIEW_SIDE, height: PREVIEW_SIDE, fit: 'inside' }).blur(1.5).webp({ quality: 40 }).toBuffer();
  return {
    large,
    mediaType: alpha ? 'image/webp' : 'image/jpeg',
    width,
    height,
    thumb: thumb.data,
    thumbWidth: thumb.info.width,
    thumbHeight: thumb.info.height,
    blurhash: encodeBlurhash(tiny.data, tiny.info.width, tiny.info.height, tiny.info.channels),
    preview: `data:image/webp;base64,${preview.toString('base64')}`,
    sha256: crypto.createHash('sha256').update(large).digest('hex'),
  };
}

/** A WebP thumbnail under THUMB_MAX_BYTES: lower quality first, then a smaller size. */
async function thumbnail(pixels: () => Sharp): Promise<{ data: Buffer; info: OutputInfo }> {
  let made: { data: Buffer; info: OutputInfo } | null = null;
  for (const [side, quality] of [[THUMB_MAX_SIDE, 60], [THUMB_MAX_SIDE, 45], [THUMB_MAX_SIDE, 30], [240, 30], [160, 30]] as const) {
    made = await pixels().resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true }).webp({ quality, effort: 4 }).toBuffer({ resolveWithObject: true });
    if (made.data.length <= THUMB_MAX_BYTES) return made;
  }
  return made!;
}
