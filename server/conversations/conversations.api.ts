import type { AppContext } from '../context.js';
import { noContent, type ApiRouter } from '../http/api-router.js';
import { param } from '../http/route-param.js';
import { sendWithPhotos } from './send-photos.js';
import { blockInput, historyInput, messageInput, reportInput, retentionInput, settingsInput, startInput } from './conversations.schemas.js';

/**
 * Private conversations: every route needs an approved member with an unlocked member key (401
 * member_key_locked otherwise). Nothing here is federated, counted publicly or indexed for search.
 */
export function conversationsApi(api: ApiRouter, ctx: AppContext): void {
  const { requests, conversations, reports } = ctx.conversations;
  const tag = 'conversations';
  const access = 'member';

  api.route({
    method: 'get', path: '/conversations', tag, access, summary: 'Your conversations (people, retention, unread counts) and the requests waiting for you',
    handler: async ({ req, account }) => ({ requests: await requests.waiting(account!, req.memberKey), conversations: await conversations.list(account!, req.memberKey) }),
  });
  api.route({
    method: 'post', path: '/conversations', tag, access, body: startInput, status: 201,
    summary: 'Start a conversation: {to: [handles] (1 to 7), body (at most 300 characters, all the others see before accepting), retentionDays: 1, 7 or 30}',
    handler: async ({ req, account }) => ({ conversation: await requests.start(account!, req.memberKey, req.body) }),
  });
  api.route({
    method: 'get', path: '/conversations/settings', tag, access, summary: 'Who may send you requests: buddies (default), everyone or nobody',
    handler: async ({ account }) => requests.settings(account!),
  });
  api.route({
    method: 'put', path: '/conversations/settings', tag, access, body: settingsInput, summary: 'Choose who may send you requests: {accept}',
    handler: async ({ req, account }) => requests.setSettings(account!, req.memberKey, req.body),
  });
  api.route({
    method: 'delete', path: '/conversations/blocked/:handle', tag, access, summary: 'Unblock a member',
    handler: ({ req, account }) => noContent(conversations.unblock(account!, req.memberKey, param(req.params.handle))),
  });
  api.route({
    method: 'post', path: '/conversations/requests/:id/accept', tag, access, summary: 'Accept a request: you join the conversation',
    handler: async ({ req, account }) => ({ conversation: await requests.accept(account!, req.memberKey, param(req.params.id)) }),
  });
  api.route({
    method: 'post', path: '/conversations/requests/:id/decline', tag, access, summary: 'Decline a request: it is erased',
    handler: ({ req, account }) => noContent(requests.decline(account!, req.memberKey, param(req.params.id))),
  });
  api.route({
    method: 'post', path: '/conversations/requests/:id/block', tag, access, summary: 'Block the sender: the request is erased and their later requests are dropped unseen',
    handler: ({ req, account }) => noContent(requests.block(account!, req.memberKey, param(req.params.id))),
  });
  api.route({
    method: 'get', path: '/conversations/:id', tag, access, summary: 'One of your conversations: its people (here, waiting or left) and retention',
    handler: async ({ req, account }) => ({ conversation: await conversations.get(account, req.memberKey, param(req.params.id)) }),
  });
  api.route({
    method: 'get', path: '/conversations/:id/messages', tag, access, query: historyInput,
    summary: 'Messages, oldest first within a page: the newest page, older ones with `before`, catch-up with `after`',
    handler: async ({ req, account }) => conversations.history(account, req.memberKey, param(req.params.id), req.query),
  });
  api.route({
    method: 'post', path: '/conversations/:id/messages', tag, access, body: messageInput, status: 201,
    summary: 'Send a message: {body (at most 4,000 characters), clientId?}; with photos, multipart/form-data: the JSON in `body`, up to 4 `photos`, `alt` per photo, `sensitive` indexes',
    handler: async ({ req }) => {
      const message = await sendWithPhotos(ctx, req, req.body);
      return { message, photos: message.photos };
    },
  });
  api.route({
    method: 'delete', path: '/conversations/:id/messages/:messageId', tag, access, summary: 'Delete your message, for everyone',
    handler: ({ req, account }) => noContent(conversations.deleteMessage(account, req.memberKey, param(req.params.id), param(req.params.messageId))),
  });
  api.route({
    method: 'put', path: '/conversations/:id/retention', tag, access, body: retentionInput, summary: 'Shorten how long messages are kept: {retentionDays}',
    handler: async ({ req, account }) => conversations.setRetention(account, req.memberKey, param(req.params.id), req.body),
  });
  api.route({
    method: 'post', path: '/conversations/:id/leave', tag, access, summary: 'Leave the conversation',
    handler: ({ req, account }) => noContent(conversations.leave(account, req.memberKey, param(req.params.id))),
  });
  api.route({
    method: 'post', path: '/conversations/:id/block', tag, access, body: blockInput, summary: 'Block someone in it: {place}; you leave, and to them it looks as if you left',
    handler: ({ req, account }) => noContent(conversations.block(account, req.memberKey, param(req.params.id), req.body)),
  });
  api.route({
    method: 'post', path: '/conversations/:id/reports', tag, access, body: reportInput, status: 201,
    summary: 'Report messages to the instance’s moderators: {messageIds, reason, note?}; only those messages are sent',
    handler: async ({ req, account }) => ({ report: await reports.report(account, req.memberKey, param(req.params.id), req.body) }),
  });
  api.route({
    method: 'get', path: '/mod/conversation-reports', tag, access: 'moderator', summary: 'Open reports on private messages, each with the reported messages only',
    handler: async ({ account }) => ({ reports: await reports.queue(account) }),
  });
  api.route({
    method: 'post', path: '/mod/conversation-reports/:id/resolve', tag, access: 'moderator', summary: 'Resolve a report: its copy of the messages is deleted',
    handler: ({ req, account }) => noContent(reports.resolve(account, param(req.params.id))),
  });
}
