import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Apex, ApexObject } from '../apex-types.js';
import { idOf, sameOrigin } from '../as.js';
import { InboxRefusal } from './refusal.js';
import { senderOf, signerOf } from './request.js';

/*
 * The inbox steps after the signature gate (gate.ts): the activity read as
 * JSON-LD, its actor held to be the signer, and the signer handed to apex.
 */

/**
 * Types that other contexts name by another IRI than the one Parasol's context gives the same word: Pleroma's and
 * Akkoma's litepub context makes an emoji reaction `litepub:EmojiReact`, which compaction leaves as that IRI.
 */
const TYPE_ALIASES: Readonly<Record<string, string>> = {
  'http://litepub.social/ns#EmojiReact': 'EmojiReact',
  'litepub:EmojiReact': 'EmojiReact',
};

/** Reads the activity as JSON-LD (with the bundled contexts), as apex's own jsonld validator would, but a body it cannot read is a 400, not a 500. */
export function compactActivity(apex: Apex): RequestHandler {
  return (req, _res, next) => {
    apex.fromJSONLD(req.body).then(
      (compacted) => {
        if (!compacted || typeof compacted.id !== 'string' || typeof compacted.type !== 'string') {
          next(new InboxRefusal(400, 'bad_activity'));
          return;
        }
        compacted.type = TYPE_ALIASES[compacted.type] ?? compacted.type;
        req.body = compacted;
        next();
      },
      () => next(new InboxRefusal(400, 'bad_jsonld')),
    );
  };
}

/**
 * Hands apex the signer the gate verified, in place of apex's own check
 * (security.verifySignature), which would parse and verify the signature a
 * second time, with a key it reads again, for every activity.
 */
export function signerAsSender(): RequestHandler {
  return (_req, res, next) => {
    const actor = senderOf(res);
    if (!actor) {
      next(new InboxRefusal(401, 'signature_missing'));
      return;
    }
    (res.locals as { apex: { sender?: ApexObject } }).apex.sender = actor;
    next();
  };
}

const REFERENCE_PROPS = ['object', 'target', 'inReplyTo', 'tag'] as const;
const MAX_DEPTH = 8;

/**
 * After reading the JSON-LD (aliases and all): the activity's actor must be
 * the signer. Objects embedded in the activity are trusted only when they
 * come from the signer's own origin; any other is cut down to its IRI, so
 * apex fetches it from where it lives instead of caching the sender's copy
 * (which could, for instance, plant a false public key for another server's
 * actor).
 */
export function actorOwnsKey(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const owner = signerOf(res)?.owner;
    const activity = req.body as ApexObject;
    const actor = idOf(activity.actor);
    if (!owner || !actor || actor !== owner) {
      next(new InboxRefusal(403, 'actor_not_signer'));
      return;
    }
    trimForeignObjects(activity, new URL(owner).origin);
    next();
  };
}

/** Cuts the objects embedded in `node` that do not come from `origin` down to their IRIs (see actorOwnsKey). */
export function trimForeignObjects(node: Record<string, unknown>, origin: string, depth = 0): void {
  for (const prop of REFERENCE_PROPS) {
    const value = node[prop];
    if (!Array.isArray(value)) continue;
    node[prop] = value.map((item: unknown) => {
      if (!item || typeof item !== 'object') return item;
      const id = (item as { id?: unknown }).id;
      if (typeof id === 'string' && !sameOrigin(id, origin)) return id;
      if (depth < MAX_DEPTH) trimForeignObjects(item as Record<string, unknown>, origin, depth + 1);
      return item;
    });
  }
}
