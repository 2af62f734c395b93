import type { RequestHandler } from 'express';
import type { AccountMoves } from '../../moves.js';
import { rawJsonOf, signerOf } from '../request.js';

/**
 * Move. An account moved between partner instances: AccountMoves (moves.ts)
 * requires the new account to name the old one, and the signer to be the old
 * account (push) or the new one with the old instance's signed export (pull),
 * before the author's posts here are relinked. The Move is read as its sender
 * wrote it: the signed export is Parasol's own term, which JSON-LD reading
 * would drop. What is not a Move as sent goes on to apex.
 */
export function moveHandler(moves: AccountMoves): RequestHandler {
  return (req, res, next) => {
    const body = rawJsonOf(req);
    if (!body || body.type !== 'Move') {
      next();
      return;
    }
    moves.receive(body, signerOf(res)).then(() => res.status(202).end(), next);
  };
}
