import type { Logger } from '../../server/logger.js';
import type { RemoteIntakeService } from '../../server/forums/remote.service.js';
import { first, hostOf, idOf, POST_TYPES, postShown, readPostObject } from '../as.js';
import type { RemoteContributions } from './contributions.js';
import { InboxRefusal } from './refusal.js';
import { CW_MAX, TITLE_MAX } from '../../server/forums/forums.schemas.js';

export interface RestoresDeps {
  readonly contributions: RemoteContributions;
  readonly forums: RemoteIntakeService;
  readonly logger: Logger;
  /** Reads an object from its origin (a signed GET), as the mirror does. */
  readonly fetchObject: (iri: string) => Promise<unknown>;
}

/**
 * A restore from another server: Lemmy's `Undo` of a `Delete`, of an account (the user came back) or of a post its
 * author wrote on one of our boards. Only whoever deleted may restore. Parasol erases what a remote deletion takes,
 * so a restored post is read again from its origin (which serves it once more) and its words take their place again;
 * an account's deletion erased its posts here, its mirrored posts and follows, so its restore brings nothing back:
 * that Undo is accepted, so that the sender stops retrying, and logged with its reason. The account's later posts
 * are taken like anyone's.
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
    const contribution = await this.deps.contributions.authoredBy(actor, target);
    if (!contribution) return false;
    if (await this.restorePost(contribution.id, actor, target)) {
      this.deps.logger.info({ host: hostOf(actor), type: 'Undo' }, 'remote post restored');
      return true;
    }
    // A post still shown was never deleted here (nor one a moderator removed, which its author cannot bring back).
    this.deps.logger.info({ host: hostOf(actor), type: 'Undo', reason: 'nothing_to_restore' }, 'remote restore accepted, nothing to restore');
    return true;
  }

  /** The post as its origin serves it again, in place of the words erased here; false when it was not deleted here. */
  private async restorePost(postId: string, actor: string, iri: string): Promise<boolean> {
    let object: unknown;
    try {
      object = await this.deps.fetchObject(iri);
    } catch {
      throw new InboxRefusal(422, 'object_unreadable');
    }
    if (!object || typeof object !== 'object' || (object as { id?: unknown }).id !== iri || !POST_TYPES.has(String((object as { type?: unknown }).type))) {
      throw new InboxRefusal(422, 'object_unreadable');
    }
    const parsed = readPostObject(object as Record<string, unknown>);
    if (!parsed.success || parsed.data.attributedTo !== actor) throw new InboxRefusal(422, 'object_unreadable');
    const shown = postShown(parsed.data);
    return this.deps.forums.restoreRemotePost(postId, actor, {
      html: shown.html,
      contentWarning: shown.contentWarning ? shown.contentWarning.slice(0, CW_MAX) : null,
      title: parsed.data.name ? shown.title.slice(0, TITLE_MAX) : null,
    });
  }
}
