import assert from 'node:assert/strict';
import exifr from 'exifr';
import type { Client, Reply } from '../helpers/client.js';

export interface UploadFile {
  readonly bytes: Buffer;
  readonly name?: string;
  readonly type?: string;
}

/** A multipart/form-data POST as a browser (or an API client) sends it, with the client's cookies. */
export async function postMultipart(
  client: Client,
  path: string,
  fields: Record<string, string | readonly string[]>,
  files: readonly UploadFile[],
  headers: Record<string, string> = {},
): Promise<Reply> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) for (const v of typeof value === 'string' ? [value] : value) form.append(name, v);
  for (const file of files) form.append('photos', new Blob([new Uint8Array(file.bytes)], { type: file.type ?? 'image/jpeg' }), file.name ?? 'IMG_0001.jpg');
  const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(client.base + path, { method: 'POST', body: form, headers: { ...(cookie ? { cookie } : {}), ...headers }, redirect: 'manual' });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** An API call with photos: the JSON body in the `body` field. */
export function apiWithPhotos(client: Client, path: string, body: unknown, files: readonly UploadFile[], extra: Record<string, string | readonly string[]> = {}): Promise<Reply> {
  return postMultipart(client, `/api/v1${path}`, { body: JSON.stringify(body), ...extra }, files, { 'x-requested-with': 'parasol-test' });
}

/** The chunks of a WebP file (RIFF), by their four-character codes. */
function webpChunks(bytes: Buffer): string[] {
  const chunks: string[] = [];
  for (let at = 12; at + 8 <= bytes.length; ) {
    chunks.push(bytes.toString('latin1', at, at + 4));
    const size = bytes.readUInt32LE(at + 4);
    at += 8 + size + (size % 2);
  }
  return chunks;
}

/**
 * Reads every kind of metadata an EXIF reader knows; the photo must have none. WebP, which the reader does not
 * open, is read chunk by chunk: no EXIF, XMP or ICC chunk.
 */
export async function assertNoMetadata(bytes: Buffer, label: string): Promise<void> {
  if (bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') {
    const chunks = webpChunks(bytes);
    assert.ok(chunks.length > 0 && chunks.every((c) => ['VP8 ', 'VP8L', 'VP8X', 'ALPH'].includes(c)), `${label}: WebP chunks ${chunks.join(', ')}`);
    return;
  }
  const parsed = (await exifr.parse(bytes, {
    tiff: true, exif: true, gps: true, interop: true, ifd1: true, xmp: true, iptc: true, icc: true, makerNote: true, userComment: true, jfif: false, ihdr: false,
  })) as Record<string, unknown> | undefined;
  assert.ok(parsed === undefined || Object.keys(parsed).length === 0, `${label}: metadata left: ${JSON.stringify(parsed)}`);
  assert.equal(await exifr.thumbnail(bytes), undefined, `${label}: an embedded thumbnail is left`);
}

/** None of `needles` occurs in `bytes`. */
export function assertAbsent(bytes: Buffer, needles: readonly string[], label: string): void {
  const found = needles.filter((needle) => bytes.includes(Buffer.from(needle, 'latin1')));
  assert.deepEqual(found, [], `${label} still holds ${found.join(', ')}`);
}
