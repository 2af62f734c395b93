import crypto from 'node:crypto';

/** 256 bits of randomness, URL-safe: session cookies, bearer tokens, setup links. */
export function randomToken(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('base64url');
}

/**
 * Random ids for documents: unguessable, so an id in a URL reveals nothing
 * about counts or order. The random bytes are drawn a page at a time: one
 * system call per 341 ids instead of one per id.
 */
const ID_BYTES = 12;
let pool = Buffer.alloc(0);
let offset = 0;

export function newId(): string {
  if (offset + ID_BYTES > pool.length) {
    pool = crypto.randomBytes(ID_BYTES * 341);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}

/** Hash of a high-entropy secret (session or bearer token): enough to look it up, useless to a thief. */
export function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('base64url');
}

/** Keyed hash for lower-entropy codes (recovery and invite codes) so a stolen database cannot brute-force them offline without the key. */
export function hmac(key: string, text: string): string {
  return crypto.createHmac('sha256', key).update(text).digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb);
}

const codeAlphabet = 'abcdefghjkmnpqrstuvwxyz23456789';

/** Human-typable code (no 0/o, 1/l/i), e.g. "k7xq2-mfp9a": 50 bits. */
export function humanCode(groups = 2, groupLength = 5): string {
  const parts: string[] = [];
  for (let g = 0; g < groups; g++) {
    let part = '';
    for (let i = 0; i < groupLength; i++) part += codeAlphabet[crypto.randomInt(codeAlphabet.length)];
    parts.push(part);
  }
  return parts.join('-');
}

/** Normalises what a person typed back into a code: case, spaces and dashes do not matter. */
export function normaliseCode(typed: string): string {
  return typed.toLowerCase().replace(/[^a-z0-9]/g, '');
}
