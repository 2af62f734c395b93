import type { RequestHandler } from 'express';

/**
 * Move. An account moved between partner instances: AccountMoves (moves.ts)
 * requires the new account to name the old one, and the signer to be the old
 * account (push) or the new one with the old instance's signed export (pull),
 * before the author's posts here are relinked.
 */
export function moveHandler(moves: RequestHandler): RequestHandler {
  return moves;
}
