/**
 * Photos made in the test, carrying what a phone writes into them: EXIF with the camera's make, model and serial
 * number, a maker note, the time, a GPS position (IFD3) and an embedded thumbnail (IFD1); an XMP packet; a comment;
 * and bytes after the end of the picture. Each text is a unique marker, so that a raw-byte search can tell whether
 * any of it survived.
 */
import zlib from 'node:zlib';
import sharp from 'sharp';
import { Markers } from '../privacy/seizure.js';

type Entry = { tag: number; type: number; count: number; value: Buffer };

const ASCII = 2;
const SHORT = 3;
const LONG = 4;
const RATIONAL = 5;
const UNDEFINED = 7;

const ascii = (tag: number, text: string): Entry => {
  const value = Buffer.from(`${text}\0`, 'latin1');
  return { tag, type: ASCII, count: value.length, value };
};
const short = (tag: number, n: number): Entry => {
  const value = Buffer.alloc(2);
  value.writeUInt16LE(n);
  return { tag, type: SHORT, count: 1, value };
};
const long = (tag: number, n: number): Entry => {
  const value = Buffer.alloc(4);
  value.writeUInt32LE(n);
  return { tag, type: LONG, count: 1, value };
};
const rationals = (tag: number, parts: readonly [number, number][]): Entry => {
  const value = Buffer.alloc(parts.length * 8);
  parts.forEach(([n, d], i) => {
    value.writeUInt32LE(n, i * 8);
    value.writeUInt32LE(d, i * 8 + 4);
  });
  return { tag, type: RATIONAL, count: parts.length, value };
};

/** Size of an IFD and of the values it points to (those over four bytes). */
const ifdSize = (entries: readonly Entry[]): number =>
  2 + entries.length * 12 + 4 + entries.reduce((sum, e) => sum + (e.value.length > 4 ? e.value.length + (e.value.length % 2) : 0), 0);

function writeIfd(out: Buffer, at: number, entries: readonly Entry[], next: number): void {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  out.writeUInt16LE(sorted.length, at);
  let data = at + 2 + sorted.length * 12 + 4;
  sorted.forEach((e, i) => {
    const p = at + 2 + i * 12;
    out.writeUInt16LE(e.tag, p);
    out.writeUInt16LE(e.type, p + 2);
    out.writeUInt32LE(e.count, p + 4);
    if (e.value.length <= 4) {
      e.value.copy(out, p + 8);
    } else {
      out.writeUInt32LE(data, p + 8);
      e.value.copy(out, data);
      data += e.value.length + (e.value.length % 2);
    }
  });
  out.writeUInt32LE(next, at + 2 + sorted.length * 12);
}

export interface PhoneMetadata {
  readonly make: string;
  readonly model: string;
  readonly serial: string;
  readonly makerNote: string;
  readonly xmp: string;
  readonly comment: string;
  readonly trailer: string;
}

/** Fresh markers for every kind of metadata. */
export function phoneMetadata(marks = new Markers()): PhoneMetadata {
  return { make: marks.next(), model: marks.next(), serial: marks.next(), makerNote: marks.next(), xmp: marks.next(), comment: marks.next(), trailer: marks.next() };
}

/** The TIFF body of an APP1 Exif segment: IFD0 (make, model, orientation), the Exif IFD, GPS (IFD3) and a thumbnail (IFD1). */
function exifTiff(meta: PhoneMetadata, thumbnail: Buffer, orientation: number): Buffer {
  const exif = [ascii(0x9003, '2026:12:01 23:59:59'), { tag: 0x927c, type: UNDEFINED, count: meta.makerNote.length, value: Buffer.from(meta.makerNote, 'latin1') }, ascii(0xa431, meta.serial)];
  const gps = [ascii(0x0001, 'N'), rationals(0x0002, [[51, 1], [30, 1], [2622, 100]]), ascii(0x0003, 'W'), rationals(0x0004, [[0, 1], [7, 1], [3984, 100]])];
  const ifd0Base = [ascii(0x010f, meta.make), ascii(0x0110, meta.model), short(0x0112, orientation), long(0x8769, 0), long(0x8825, 0)];
  const ifd1Base = [short(0x0103, 6), long(0x0201, 0), long(0x0202, thumbnail.length)];
  const at0 = 8;
  const atExif = at0 + ifdSize(ifd0Base);
  const atGps = atExif + ifdSize(exif);
  const at1 = atGps + ifdSize(gps);
  const atThumb = at1 + ifdSize(ifd1Base);
  const out = Buffer.alloc(atThumb + thumbnail.length);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(at0, 4);
  writeIfd(out, at0, [ascii(0x010f, meta.make), ascii(0x0110, meta.model), short(0x0112, orientation), long(0x8769, atExif), long(0x8825, atGps)], at1);
  writeIfd(out, atExif, exif, 0);
  writeIfd(out, atGps, gps, 0);
  writeIfd(out, at1, [short(0x0103, 6), long(0x0201, atThumb), long(0x0202, thumbnail.length)], 0);
  thumbnail.copy(out, atThumb);
  return out;
}

function segment(marker: number, payload: Buffer): Buffer {
  if (payload.length + 2 > 0xffff) throw new Error('segment too long');
  const head = Buffer.alloc(4);
  head.writeUInt16BE(0xff00 | marker, 0);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** Noise, so that photos do not compress to nothing and each has bytes of its own to look for. */
export async function noisyPixels(width: number, height: number, seed = 1): Promise<sharp.Sharp> {
  const raw = Buffer.alloc(width * height * 3);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < raw.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    raw[i] = (x >>> 0) & 0xff & (i % 3 === 0 ? 0xff : 0xf0);
  }
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

/**
 * A phone photo: a JPEG `width` x `height` stored sideways with EXIF orientation 6 (so that a correct result is
 * `height` x `width`), with every kind of metadata of `meta`.
 */
export async function phoneJpeg(meta: PhoneMetadata, width = 400, height = 300, seed = 7): Promise<Buffer> {
  const plain = await (await noisyPixels(width, height, seed)).jpeg({ quality: 90 }).toBuffer();
  const thumbnail = await (await noisyPixels(64, 48, seed + 1)).jpeg({ quality: 50 }).toBuffer();
  const xmp = Buffer.from(`http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="${meta.xmp}"/></rdf:RDF></x:xmpmeta>`, 'latin1');
  const app1 = segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), exifTiff(meta, thumbnail, 6)]));
  return Buffer.concat([plain.subarray(0, 2), app1, segment(0xe1, xmp), segment(0xfe, Buffer.from(meta.comment, 'latin1')), plain.subarray(2), Buffer.from(meta.trailer, 'latin1')]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])) >>> 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG with a text comment and an eXIf chunk (make, model) before its image data. */
export async function pngWithText(meta: PhoneMetadata, width = 300, height = 200): Promise<Buffer> {
  const plain = await (await noisyPixels(width, height, 3)).png().toBuffer();
  const ihdrEnd = 8 + 25;
  const text = pngChunk('tEXt', Buffer.from(`Comment\0${meta.comment}`, 'latin1'));
  const exif = pngChunk('eXIf', exifTiff(meta, Buffer.alloc(0), 1));
  return Buffer.concat([plain.subarray(0, ihdrEnd), text, exif, plain.subarray(ihdrEnd)]);
}

/**
 * A decompression bomb: a 1-bit 20,000 x 20,000 PNG (400 megapixels) whose all-zero rows compress to a few
 * kilobytes.
 */
export function pngBomb(side = 20_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1;
  ihdr[9] = 0;
  const row = Math.ceil(side / 8) + 1;
  const idat = zlib.deflateSync(Buffer.alloc(row * side), { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** Every marker of `meta`, and the signatures of the metadata blocks themselves. */
export function metadataNeedles(meta: PhoneMetadata): string[] {
  return [meta.make, meta.model, meta.serial, meta.makerNote, meta.xmp, meta.comment, meta.trailer, 'Exif\0\0', 'http://ns.adobe.com/xap/1.0/', 'xmpmeta'];
}
