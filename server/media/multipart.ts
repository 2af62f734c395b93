/**
 * multipart/form-data, parsed from a body already read into memory (with its size limit) by express.raw: the
 * photos of a form or an API call never touch a disk. Text fields come out as urlencoded ones do (a repeated name
 * becomes a list); file parts are kept apart.
 */
import { AppError } from '../core/errors.js';
import { mediaError } from './errors.js';

export interface UploadedFile {
  readonly field: string;
  readonly bytes: Buffer;
}

export interface MultipartBody {
  readonly fields: Record<string, string | string[]>;
  readonly files: UploadedFile[];
}

export interface MultipartLimits {
  readonly files: number;
  readonly fields: number;
  readonly fieldBytes: number;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const bad = (): AppError => mediaError(400, 'bad_multipart');

/** The boundary of a multipart/form-data Content-Type, or null. */
export function boundaryOf(contentType: string | undefined): string | null {
  const match = /^multipart\/form-data\s*;.*?\bboundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType ?? '');
  return match ? (match[1] ?? match[2] ?? null) : null;
}

function partHeaders(block: string): { name: string; filename: string | null } {
  let name: string | null = null;
  let filename: string | null = null;
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim().toLowerCase() !== 'content-disposition') continue;
    const value = line.slice(colon + 1);
    name = /(?:^|;)\s*name="([^"]*)"/i.exec(value)?.[1] ?? null;
    filename = /;\s*filename="([^"]*)"/i.exec(value)?.[1] ?? null;
  }
  if (name === null || name.length === 0 || name.length > 100) throw bad();
  return { name, filename };
}

export function parseMultipart(body: Buffer, boundary: string, limits: MultipartLimits): MultipartBody {
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  const files: UploadedFile[] = [];
  let fieldCount = 0;
  let at = body.indexOf(delimiter);
  if (at < 0) throw bad();
  for (;;) {
    at += delimiter.length;
    if (body[at] === 0x2d && body[at + 1] === 0x2d) break;
    if (!body.subarray(at, at + 2).equals(CRLF)) throw bad();
    const headerEnd = body.indexOf(HEADER_END, at + 2);
    if (headerEnd < 0 || headerEnd - at > 4096) throw bad();
    const { name, filename } = partHeaders(body.toString('latin1', at + 2, headerEnd));
    const start = headerEnd + HEADER_END.length;
    const end = body.indexOf(Buffer.concat([CRLF, delimiter]), start);
    if (end < 0) throw bad();
    const content = body.subarray(start, end);
    if (filename !== null) {
      // A file input left empty still sends a part with no file name and no content.
      if (filename !== '' || content.length > 0) {
        if (files.length >= limits.files) throw mediaError(413, 'photo_too_many', { max: limits.files });
        files.push({ field: name, bytes: content });
      }
    } else {
      if (++fieldCount > limits.fields) throw new AppError(413, 'too_many_fields');
      if (content.length > limits.fieldBytes) throw new AppError(413, 'body_too_large');
      const value = content.toString('utf8');
      const existing = fields[name];
      fields[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    at = end + CRLF.length;
  }
  return { fields, files };
}
