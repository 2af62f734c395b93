import type { InstanceService } from '../instance/instance.service.js';
import { BoardKeys } from './board-keys.js';

/**
 * The review boards' keys come from PARASOL_SECRET_FILE when it is set;
 * otherwise from a value derived from the instance's HMAC key, which lives
 * in the database (then only DATABASE_KEY keeps a seized copy from
 * confirming a reported number). The in-database secret is also handed over
 * as the previous one, so an instance that gains PARASOL_SECRET_FILE moves
 * its boards over instead of losing their digests.
 */
export function reviewBoardKeys(fromFile: Buffer | null, instance: Pick<InstanceService, 'keyedHash'>): BoardKeys {
  const inDatabase = Buffer.from(instance.keyedHash('review-boards', 'instance-secret'), 'base64url');
  return fromFile ? new BoardKeys(fromFile, inDatabase) : new BoardKeys(inDatabase, null);
}
