/**
 * Pictures of posts from other servers, fetched by this server when first asked for (never by a member's browser,
 * which would tell the other server who reads what), through the same checks as every outgoing request (https,
 * public addresses only, checked again at connection time), then put through the same pipeline as an upload.
 */
import { assertCallable, outboundFetch } from '../http/outbound.js';
import { mediaError } from './errors.js';
import { MAX_PHOTO_BYTES } from './pipeline.js';

const FETCH_TIMEOUT_MS = 10_000;

/** The bytes at `url`, at most MAX_PHOTO_BYTES, or a refusal; redirects are not followed. */
export async function fetchRemoteImage(url: string, allowPrivate: boolean): Promise<Buffer> {
  const checked = await assertCallable(url, allowPrivate);
  const res = await outboundFetch(checked, { redirect: 'manual', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'image/*' } }, allowPrivate);
  if (!res.ok || !res.body) throw mediaError(404, 'photo_not_found');
  if (Number(res.headers.get('content-length') ?? 0) > MAX_PHOTO_BYTES) throw mediaError(413, 'photo_too_large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_PHOTO_BYTES) throw mediaError(413, 'photo_too_large');
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
