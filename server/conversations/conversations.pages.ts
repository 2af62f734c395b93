import express, { type Request } from 'express';
import type { AppContext } from '../context.js';
import { newId } from '../crypto.js';
import { awaitingApproval, formBody, formPost, formRedirect, handle, sendPage, signedInOnly } from '../http/pages.js';
import { param } from '../http/route-param.js';
import type { FormState } from '../views/layout.js';
import { conversationError } from './access.js';
import { conversationPage, conversationsPage, modReportsPage, reportPage } from './conversations.views.js';
import { sendWithPhotos } from './send-photos.js';

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/**
 * Conversation pages: everything works with plain links and forms (the conversation page refreshes itself
 * without JavaScript); client/conversation.js adds live messages.
 */
export function conversationsPages(ctx: AppContext): express.Router {
  const router = express.Router();
  const { requests, conversations, reports } = ctx.conversations;

  // Nothing of a conversation may stay in a shared phone's cache or come back with the Back button.
  router.use('/conversations', signedInOnly(awaitingApproval, 'no-store'));

  const renderList = async (req: Request, state?: FormState) => {
    const account = req.account!;
    return conversationsPage(
      ctx.page(req),
      {
        requests: await requests.waiting(account, req.memberKey),
        list: await conversations.list(account, req.memberKey),
        accept: (await requests.settings(account)).accept,
        blocked: await conversations.blockedHandles(account, req.memberKey, (ids) => ctx.accounts.publicNames(ids)),
      },
      state,
    );
  };
  router.get('/conversations', handle(async (req, res) => sendPage(res, await renderList(req))));
  router.post(
    '/conversations',
    formPost(async (req, res) => {
      const { id } = await requests.start(req.account!, req.memberKey, formBody(req));
      res.redirect(303, `/conversations/${id}`);
    }, renderList),
  );
  router.post('/conversations/settings', formRedirect((req) => requests.setSettings(req.account!, req.memberKey, formBody(req)), '/conversations', renderList));
  router.post('/conversations/blocked/:handle/unblock', formRedirect((req) => conversations.unblock(req.account!, req.memberKey, param(req.params.handle)), '/conversations', renderList));
  router.post(
    '/conversations/requests/:id/accept',
    formPost(async (req, res) => {
      const { id } = await requests.accept(req.account!, req.memberKey, param(req.params.id));
      res.redirect(303, `/conversations/${id}`);
    }, renderList),
  );
  router.post('/conversations/requests/:id/decline', formRedirect((req) => requests.decline(req.account!, req.memberKey, param(req.params.id)), '/conversations', renderList));
  router.post('/conversations/requests/:id/block', formRedirect((req) => requests.block(req.account!, req.memberKey, param(req.params.id)), '/conversations', renderList));

  async function renderConversation(req: Request, state?: FormState) {
    const id = param(req.params.id);
    const before = text(req.query.before) ?? null;
    const conversation = await conversations.get(req.account, req.memberKey, id);
    const history = await conversations.history(req.account, req.memberKey, id, before ? { before } : {});
    return conversationPage(ctx.page(req), { conversation, history, clientId: newId(), before, still: before !== null || req.query.write !== undefined || req.method === 'POST' }, state);
  }
  router.get('/conversations/:id', handle(async (req, res) => sendPage(res, await renderConversation(req))));
  router.post(
    '/conversations/:id/messages',
    formPost(async (req, res) => {
      const message = await sendWithPhotos(ctx, req, formBody(req));
      res.redirect(303, `/conversations/${message.conversationId}#m-${message.id}`);
    }, renderConversation),
  );
  const back = (req: Request) => `/conversations/${param(req.params.id)}`;
  router.post('/conversations/:id/retention', formRedirect((req) => conversations.setRetention(req.account, req.memberKey, param(req.params.id), formBody(req)), back, renderConversation));
  router.post('/conversations/:id/leave', formRedirect((req) => conversations.leave(req.account, req.memberKey, param(req.params.id)), '/conversations', renderConversation));
  router.post('/conversations/:id/block', formRedirect((req) => conversations.block(req.account, req.memberKey, param(req.params.id), formBody(req)), '/conversations', renderConversation));
  router.post('/conversations/:id/m/:mid/delete', formRedirect((req) => conversations.deleteMessage(req.account, req.memberKey, param(req.params.id), param(req.params.mid)), back, renderConversation));

  async function renderReport(req: Request, state?: FormState) {
    const id = param(req.params.id);
    const conversation = await conversations.get(req.account, req.memberKey, id);
    const messageId = param(req.params.mid);
    // The newest page is enough to find it: a report is made from what the member just read.
    const page = await conversations.history(req.account, req.memberKey, id, { limit: 100 });
    const message = page.messages.find((m) => m.id === messageId);
    if (!message) throw conversationError(404, 'message_not_found');
    const author = conversation.people.find((p) => p.place === message.place)?.handle ?? '';
    return reportPage(ctx.page(req), id, message, author, state);
  }
  router.get('/conversations/:id/m/:mid/report', handle(async (req, res) => sendPage(res, await renderReport(req))));
  router.post(
    '/conversations/:id/m/:mid/report',
    formRedirect((req) => reports.report(req.account, req.memberKey, param(req.params.id), { ...formBody(req), messageIds: [param(req.params.mid)] }), back, renderReport),
  );

  router.use('/mod/conversation-reports', signedInOnly());
  const renderReports = async (req: Request, state?: FormState) => modReportsPage(ctx.page(req), await reports.queue(req.account), state);
  router.get('/mod/conversation-reports', handle(async (req, res) => sendPage(res, await renderReports(req))));
  router.post('/mod/conversation-reports/:id/resolve', formRedirect((req) => reports.resolve(req.account, param(req.params.id)), '/mod/conversation-reports', renderReports));

  return router;
}
