import type { Logger } from '../../server/logger.js';
import type { RemoteIntakeService } from '../../server/forums/remote.service.js';
import type { Store } from '../../server/store/port.js';
import { first, hostOf, idOf } from '../as.js';
import { apContributionsCollection } from '../federation.collections.js';
import { InboxRefusal } from './refusal.js';

export interface RestoresDeps {
  readonly store: Store;
  readonly forums: RemoteIntakeService;
  readonly logger: Logger;
}

/**
 * A restore from another server: Lemmy's `Undo` of a `Delete`, of an account (the user came back) or of a post its
 * author wrote on one of our boards. Only whoever deleted may restore. Parasol erases what a remote deletion takes
 * (the account's posts here lose their words, its mirrored posts and follows go; a deleted post loses its words),
 * so there is nothing left to bring back: the Undo is accepted, so that the sender stops retrying, and logged with
 * its reason. The account's later posts are taken like anyone's.
 */
export class RemoteRestores {
  constructor(private readonly deps: RestoresDeps) {}

  /** Whether `activity` is such an Undo, answered here; anything else goes on. */
  async undo(activity: Record<string, unknown>): Promise<boolean> {
    const undone = first(activity.object);
    if (!undone || typeof undone !== 'object' || (undone as { type?: unknown }).type !== 'Delete') return false;
    const actor = idOf(activity.actor)!;
    const target = idOf((undone as { object?: unknown }).object);
    if (!target) throw new InboxRefusal(400, 'bad_activity');
    if ((idOf((undone as { actor?: unknown }).actor) ?? actor) !== actor) throw new InboxRefusal(403, 'not_author');
    if (target === actor) {
      this.deps.logger.info({ host: hostOf(actor), type: 'Undo', reason: 'account_erased' }, 'remote restore accepted, nothing to restore');
      return true;
    }
    const contribution = await this.deps.store.collection(apContributionsCollection).findOne({ objectIri: target });
    if (!contribution) return false;
    if (contribution.actorIri !== actor) throw new InboxRefusal(403, 'not_author');
    // A post still shown was never deleted here: the Undo has nothing to undo.
    const reason = (await this.deps.forums.postRef(contribution.id)) ? 'nothing_to_restore' : 'post_erased';
    this.deps.logger.info({ host: hostOf(actor), type: 'Undo', reason }, 'remote restore accepted, nothing to restore');
    return true;
  }
}
