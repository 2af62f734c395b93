import { z } from 'zod';
import type { AccountDoc } from '../../server/accounts/accounts.collections.js';
import { isSuspended, type AccountsService } from '../../server/accounts/accounts.service.js';
import { isBlankHtml, renderMarkdown } from '../../server/content/markdown.js';
import { BODY_MAX, CW_MAX, TITLE_MAX } from '../../server/forums/forums.schemas.js';
import type { ApiRouter } from '../../server/http/api-router.js';
import { fieldError, forbidden, unauthorized, unprocessable } from '../../server/core/errors.js';
import type { Limiter } from '../../server/core/rate-limit.js';
import { parseInput } from '../../server/core/validate.js';
import { reportReasons, type ReportReason } from '../../server/moderation/report-reasons.js';
import type { ModerationService } from '../../server/moderation/moderation.service.js';
import type { NotificationsService } from '../../server/notifications/notifications.service.js';
import { newId } from '../../server/crypto.js';
import type { Store } from '../../server/store/port.js';
import type { Actors } from '../actors/actors.js';
import type { Apex, ApexActivity } from '../apex-types.js';
import { idOf, PUBLIC } from '../as.js';
import { federationError } from '../errors.js';
import { apFollowsCollection, apRemotePostsCollection } from '../federation.collections.js';
import { apId, type Iris } from '../iris.js';

export const remoteReplyInput = z.strictObject({
  /** The IRI of a post of a followed remote board, as mirrored here. */
  inReplyTo: z.url().max(2048),
  body: z.string().trim().min(1, 'validation.required').max(BODY_MAX),
  contentWarning: z.string().trim().max(CW_MAX).optional(),
});

export const remoteThreadInput = z.strictObject({
  /** The remote board's Group IRI (a board this instance follows). */
  group: z.url().max(2048),
  title: z.string().trim().min(1, 'validation.required').max(TITLE_MAX),
  body: z.string().trim().min(1, 'validation.required').max(BODY_MAX),
  contentWarning: z.string().trim().max(CW_MAX).optional(),
});

export const remoteReportInput = z.strictObject({
  /** The IRI of a post of a followed remote board, as mirrored here. */
  object: z.url().max(2048),
  reason: z.enum(reportReasons as [ReportReason, ...ReportReason[]]),
  note: z.string().trim().max(1000).default(''),
});

export interface RemotePostingDeps {
  readonly apex: Apex;
  readonly actors: Actors;
  readonly iris: Iris;
  readonly store: Store;
  readonly moderation: ModerationService;
  readonly postingLimit: Limiter;
  readonly accounts: AccountsService;
  readonly notifications: NotificationsService;
}

/**
 * Members writing on a remote board this instance follows (FEP-1b12): the
 * member's Person Creates a Page (a new thread) or a Note (a reply) addressed
 * to the remote Group, which announces it to its followers, this instance
 * among them, so the post shows here through the mirror like any other.
 * Always under the member's pseudonym: anonymity would need the remote
 * board's own Group to vouch for a member it cannot know. Our word filters
 * and posting limits apply as on our own boards.
 */
export class RemotePosting {
  constructor(private readonly deps: RemotePostingDeps) {}

  async reply(account: AccountDoc | null, raw: unknown): Promise<{ id: string }> {
    const input = parseInput(remoteReplyInput, raw);
    const posts = this.deps.store.collection(apRemotePostsCollection);
    const target = await posts.get(input.inReplyTo);
    if (!target) throw federationError(404, 'remote_post_not_found');
    // The board would refuse it: its moderators locked the thread.
    const thread = target.kind === 'Page' ? target : await posts.get(target.threadIri);
    if (thread?.locked) throw federationError(403, 'thread_locked', true);
    return this.send(account, target.groupIri, {
      type: 'Note',
      inReplyTo: target.id,
      context: target.threadIri,
      body: input.body,
      contentWarning: input.contentWarning,
    });
  }

  async thread(account: AccountDoc | null, raw: unknown): Promise<{ id: string }> {
    const input = parseInput(remoteThreadInput, raw);
    return this.send(account, input.group, { type: 'Page', name: input.title, body: input.body, contentWarning: input.contentWarning, title: input.title });
  }

  /**
   * A member reports a post of a followed remote board: the report goes to
   * that board's moderators as a Flag from the instance's `reports` Person,
   * never naming the member (as Mastodon forwards reports; Lemmy takes a Flag
   * only from a Person).
   */
  async report(account: AccountDoc | null, raw: unknown): Promise<void> {
    const { apex, actors, iris, store } = this.deps;
    if (!account) throw unauthorized('login_required');
    const input = parseInput(remoteReportInput, raw);
    const target = await store.collection(apRemotePostsCollection).get(input.object);
    if (!target) throw federationError(404, 'remote_post_not_found');
    await this.deps.postingLimit.consume(account.id);
    const me = await actors.servicePerson('reports');
    const flag = (await apex.fromJSONLD({
      '@context': apex.context,
      id: `${iris.base}/ap/s/flag-${apId(newId())}`,
      type: 'Flag',
      actor: me.id,
      to: [target.groupIri],
      audience: target.groupIri,
      object: [target.id],
      content: input.note ? `${input.reason}: ${input.note}` : input.reason,
      published: new Date().toISOString(),
    })) as ApexActivity;
    await apex.addToOutbox(me, flag);
  }

  /**
   * A delivery the receiving server refused for good (4xx): when it was a
   * member's post on a remote board (a locked thread, a word the board does
   * not take), the member is told, on the board where they wrote it, rather
   * than left to think it went through.
   */
  async refused(delivery: { readonly actorId: string; readonly body: string }): Promise<void> {
    const { actors, iris, store, accounts, notifications } = this.deps;
    let activity: Record<string, unknown>;
    try {
      activity = JSON.parse(delivery.body) as Record<string, unknown>;
    } catch {
      return;
    }
    const object = activity.object as Record<string, unknown> | undefined;
    const group = idOf(activity.audience);
    if (activity.type !== 'Create' || !object || (object.type !== 'Note' && object.type !== 'Page') || !group) return;
    const ref = iris.parseActor(delivery.actorId);
    if (ref?.kind !== 'member' || !(await actors.resolveIri(delivery.actorId))) return;
    const account = await accounts.byHandle(ref.handle);
    if (!account) return;
    const follow = await store.collection(apFollowsCollection).findOne({ remoteActor: group, state: 'accepted' });
    await notifications.notify([account.id], 'remote_post_refused', follow ? `/remote/${follow.id}` : '/remote');
  }

  private async send(
    account: AccountDoc | null,
    group: string,
    post: { type: 'Note' | 'Page'; inReplyTo?: string; context?: string; name?: string; title?: string; body: string; contentWarning?: string },
  ): Promise<{ id: string }> {
    const { apex, actors, iris, store, moderation } = this.deps;
    if (!account) throw unauthorized('login_required');
    if (account.status !== 'active') throw forbidden('pending_approval');
    if (isSuspended(account)) throw forbidden('suspended');
    const follow = await store.collection(apFollowsCollection).findOne({ remoteActor: group, state: 'accepted' });
    if (!follow) throw federationError(404, 'not_followed');
    await this.deps.postingLimit.consume(account.id);
    // Nothing held for review can be sent: another server has no queue of ours.
    if ((await moderation.checkText(post.title ?? '', post.body, post.contentWarning ?? '')) !== null) throw unprocessable('filtered');
    const html = renderMarkdown(post.body);
    if (isBlankHtml(html)) throw fieldError('body', 'validation.empty_body');
    const person = await actors.memberActor(account.handle, { toWrite: true });
    if (!person) throw forbidden('suspended');

    const hex = apId(newId());
    const id = `${iris.base}/ap/o/${hex}`;
    const published = new Date().toISOString();
    const object = {
      id,
      type: post.type,
      ...(post.name ? { name: post.name } : {}),
      ...(post.inReplyTo ? { inReplyTo: post.inReplyTo } : {}),
      attributedTo: person.id,
      content: html,
      mediaType: 'text/html',
      ...(post.contentWarning ? { summary: post.contentWarning, sensitive: true } : {}),
      context: post.context ?? id,
      audience: group,
      to: [group, PUBLIC],
      cc: [person.followers[0]],
      published,
    };
    await apex.store.saveObject(await apex.fromJSONLD({ '@context': apex.context, ...object }));
    const create = (await apex.fromJSONLD({
      '@context': apex.context,
      id: `${iris.base}/ap/s/create-${hex}`,
      type: 'Create',
      actor: person.id,
      to: object.to,
      cc: object.cc,
      audience: group,
      object,
      published,
    })) as ApexActivity;
    // Delivered to the Group's inbox (the `to`); the Group's Announce brings it back into this instance's mirror.
    await apex.addToOutbox(person, create);
    return { id };
  }
}

export function remotePostingApi(api: ApiRouter, posting: RemotePosting): void {
  const tag = 'federation';
  api.route({
    method: 'post', path: '/federation/remote/replies', tag, access: 'member', body: remoteReplyInput, status: 201,
    summary: 'Reply to a post of a followed remote board, under your pseudonym: {inReplyTo, body, contentWarning?}',
    handler: async ({ account, body }) => ({ post: await posting.reply(account, body) }),
  });
  api.route({
    method: 'post', path: '/federation/remote/threads', tag, access: 'member', body: remoteThreadInput, status: 201,
    summary: 'Start a thread on a followed remote board, under your pseudonym: {group, title, body, contentWarning?}',
    handler: async ({ account, body }) => ({ post: await posting.thread(account, body) }),
  });
  api.route({
    method: 'post', path: '/federation/remote/reports', tag, access: 'member', body: remoteReportInput, status: 202,
    summary: 'Report a post of a followed remote board to its moderators (sent as this instance, never naming you): {object, reason, note?}',
    handler: async ({ account, body }) => {
      await posting.report(account, body);
      return { sent: true };
    },
  });
}
