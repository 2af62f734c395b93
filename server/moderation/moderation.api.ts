import type { AppContext } from '../context.js';
import { noContent, type ApiRouter } from '../http/api-router.js';
import { accountView, suspensionInput } from '../accounts/accounts.service.js';
import { filterInput, pageQuery } from './moderation.service.js';
import { param } from '../http/route-param.js';

export function moderationApi(api: ApiRouter, ctx: AppContext): void {
  const { moderation, moderationQueue: queue } = ctx;
  const tag = 'moderation';

  api.route({
    method: 'get', path: '/moderation/reports', tag, access: 'member', query: pageQuery,
    summary: 'Open reports on the boards you moderate, with the reported post and its author when named (anonymous posts: their number on the board)',
    handler: async ({ req, account }) => {
      const open = await queue.reportQueue(account!, req.memberKey ?? null, req.query);
      return {
        next: open.next,
        reports: open.items.map((i) => ({
          id: i.report.id,
          reason: i.report.reason,
          note: i.report.note,
          createdAt: i.report.createdAt,
          board: i.board.slug,
          reporter: i.reporter?.handle ?? null,
          post: i.post ? { id: i.post.id, threadId: i.post.threadId, html: i.post.html, state: i.post.state, anonymous: i.post.anonymous, anonymousNumber: i.post.anonymousNumber } : null,
          author: i.author?.handle ?? null,
        })),
      };
    },
  });
  api.route({
    method: 'post', path: '/moderation/reports/:id/dismiss', tag, access: 'member', summary: 'Dismiss a report (and the other open reports on that post)',
    handler: ({ req, account }) => noContent(queue.dismissReport(account!, req.memberKey ?? null, param(req.params.id))),
  });
  api.route({
    method: 'get', path: '/moderation/pending', tag, access: 'member', summary: 'Posts waiting for approval on the boards you moderate',
    handler: async ({ account }) => ({
      pending: (await queue.pendingPosts(account!)).map((p) => ({
        id: p.post.id,
        threadId: p.thread.id,
        threadTitle: p.thread.title,
        board: p.board.slug,
        html: p.post.html,
        anonymous: p.post.anonymous,
        anonymousNumber: p.post.anonymousNumber,
        author: p.author?.handle ?? null,
        createdAt: p.post.createdAt,
      })),
    }),
  });
  api.route({
    method: 'get', path: '/moderation/log', tag, access: 'moderator', query: pageQuery, summary: 'The moderation log: who did what, when and why',
    handler: async ({ req, account }) => queue.modLog(account!, req.query),
  });
  api.route({
    method: 'get', path: '/moderation/summary', tag, access: 'public', summary: 'Public count of removed content per board',
    handler: async ({ account }) => ({ boards: await queue.transparency(account) }),
  });
  api.route({
    method: 'get', path: '/moderation/filters', tag, access: 'moderator', summary: 'Word filters of the instance',
    handler: async ({ account }) => ({ filters: await moderation.listFilters(account!) }),
  });
  api.route({
    method: 'post', path: '/moderation/filters', tag, access: 'moderator', body: filterInput, status: 201,
    summary: 'Add a word filter: {phrase, action: block | hold}',
    handler: async ({ req, account }) => ({ filter: await moderation.addFilter(account!, req.body) }),
  });
  api.route({
    method: 'delete', path: '/moderation/filters/:id', tag, access: 'moderator', summary: 'Remove a word filter',
    handler: ({ req, account }) => noContent(moderation.removeFilter(account!, param(req.params.id))),
  });
  api.route({
    method: 'put', path: '/moderation/accounts/:handle/suspension', tag, access: 'moderator', body: suspensionInput,
    summary: 'Suspend an account for `days`, or ban it (days null), with a reason',
    handler: async ({ req, account }) => {
      const target = await moderation.suspend(account!, param(req.params.handle), req.body);
      return { account: accountView(target), suspendedUntil: target.suspendedUntil };
    },
  });
  api.route({
    method: 'delete', path: '/moderation/accounts/:handle/suspension', tag, access: 'moderator', summary: 'Lift a suspension or ban',
    handler: ({ req, account }) => noContent(moderation.unsuspend(account!, param(req.params.handle))),
  });
}
