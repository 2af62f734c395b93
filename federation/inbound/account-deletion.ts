import { AppError } from '../../server/core/errors.js';
import type { RemoteIntakeService } from '../../server/forums/remote.service.js';
import type { Logger } from '../../server/logger.js';
import type { PortApexStore } from '../apex-store.js';
import { hostOf } from '../as.js';
import type { RemoteMirror } from '../remote-boards/mirror.js';
import type { RemoteContributions } from './contributions.js';

export interface AccountDeletionDeps {
  readonly contributions: RemoteContributions;
  readonly apexStore: PortApexStore;
  readonly forums: RemoteIntakeService;
  readonly mirror: RemoteMirror;
  readonly logger: Logger;
}

/**
 * A remote account was deleted (Lemmy's `Delete` of the Person, with or
 * without `removeData`; Mastodon's `Delete` of the actor): what it left here
 * goes with it. The posts it wrote on our boards are deleted (their
 * followers get the Group's `Delete`), the posts mirrored from followed
 * boards that it wrote are dropped, and its follows of our actors end. Only
 * ever for an account that said so itself (a signed Delete of its own actor),
 * or whose own server answers that it is gone.
 */
export class AccountDeletions {
  constructor(private readonly deps: AccountDeletionDeps) {}

  async forget(actor: string): Promise<void> {
    const { contributions, apexStore, forums, mirror, logger } = this.deps;
    const postIds = (await contributions.allBy(actor)).map((contribution) => contribution.id);
    for (const postId of postIds) {
      // A post its author can no longer delete (a board since archived, say) is left to the moderators.
      await forums.deleteRemotePost(postId, actor).catch((error: unknown) => {
        if (!(error instanceof AppError)) throw error;
      });
    }
    const mirrored = await mirror.forgetAuthor(actor);
    const follows = await apexStore.removeFollowsBy(actor);
    logger.info({ host: hostOf(actor), posts: postIds.length, mirrored, follows }, 'remote account deleted');
  }
}
