import express, { type Request, type RequestHandler, type Response } from 'express';
import type { ApexObject } from '../apex-types.js';
import { InboxRefusal } from './refusal.js';

/*
 * An inbox request as the inbox steps share it: its body as it arrived (for
 * the Digest check, and to pass a remote activity on unchanged), and what the
 * signature check learnt of its signer.
 */

export const MAX_INBOX_BYTES = 1_048_576;
export const DATE_WINDOW_MS = 5 * 60_000;

const INBOX_TYPES = ['application/activity+json', 'application/ld+json'];

interface InboxRequest extends Request {
  rawBody?: Buffer;
  rawJson?: Record<string, unknown> | null;
}

interface InboxLocals {
  keyOwner?: string;
  keyPem?: string;
  keyActor?: ApexObject;
}

const locals = (res: Response): InboxLocals => res.locals as InboxLocals;

/** The actor document of the signer of an accepted inbox request, as the signature check read it. */
export const senderOf = (res: Response): ApexObject | null => locals(res).keyActor ?? null;

/** The actor and public key that signed an accepted inbox request (for checks against pinned keys). */
export const signerOf = (res: Response): { owner: string; publicKeyPem: string } | null => {
  const { keyOwner, keyPem } = locals(res);
  return keyOwner && keyPem ? { owner: keyOwner, publicKeyPem: keyPem } : null;
};

/** Remembers the verified signer of the request, for the steps after the signature gate. */
export function setSigner(res: Response, key: { owner: string; publicKeyPem: string; actor: ApexObject }): void {
  const mine = locals(res);
  mine.keyOwner = key.owner;
  mine.keyPem = key.publicKeyPem;
  mine.keyActor = key.actor;
}

export function requireActivityJson(): RequestHandler {
  return (req, _res, next) => {
    if (!req.is(INBOX_TYPES)) next(new InboxRefusal(415, 'unsupported_media_type'));
    else next();
  };
}

/** The request's body as it arrived (for the Digest check, and to pass a remote activity on unchanged). */
export const rawBodyOf = (req: Request): Buffer | undefined => (req as InboxRequest).rawBody;

/**
 * The body as its sender wrote it, before JSON-LD reading (Parasol's own terms between partners are read from it):
 * parsed once per request, however many inbox steps ask.
 */
export function rawJsonOf(req: Request): Record<string, unknown> | null {
  const r = req as InboxRequest;
  if (r.rawJson === undefined) {
    try {
      const parsed: unknown = r.rawBody ? JSON.parse(r.rawBody.toString('utf8')) : null;
      r.rawJson = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
    } catch {
      r.rawJson = null;
    }
  }
  return r.rawJson;
}

/** JSON body up to 1 MB, keeping the raw bytes for the Digest check. */
export function inboxBody(): RequestHandler {
  return express.json({
    type: INBOX_TYPES,
    limit: MAX_INBOX_BYTES,
    strict: true,
    verify: (req, _res, buf) => {
      (req as InboxRequest).rawBody = Buffer.from(buf);
    },
  });
}
