import type { AppContext } from '../context.js';
import { noContent, type ApiRouter } from '../http/api-router.js';
import {
  answerInput,
  correctionInput,
  lookupInput,
  responseInput,
  reviewBoardPatchInput,
  reviewInput,
  reviewListInput,
  reviewModerationInput,
} from './reviews.schemas.js';
import { param } from '../http/route-param.js';
import { preparePhotos } from '../media/media.routes.js';

/** Bodies and queries reach the service as they came, and the service validates them; the schemas declared here describe the API. */
export function reviewsApi(api: ApiRouter, ctx: AppContext): void {
  const { reviews } = ctx;
  const tag = 'reviews';

  api.route({
    method: 'get', path: '/review-boards', tag, access: 'member', summary: 'Client review boards',
    handler: async ({ account }) => ({ boards: await reviews.listBoards(account) }),
  });
  api.route({
    method: 'get', path: '/review-boards/:slug', tag, access: 'member', summary: 'One review board',
    handler: async ({ req, account }) => ({ board: await reviews.getBoard(account, param(req.params.slug)) }),
  });
  api.route({
    method: 'patch', path: '/review-boards/:slug', tag, access: 'admin', body: reviewBoardPatchInput,
    summary: 'Change a review board; `secret` (the network’s shared digest key) only before the first review',
    handler: async ({ req, account }) => ({ board: await reviews.updateBoard(account!, param(req.params.slug), req.body) }),
  });
  api.route({
    method: 'get', path: '/review-boards/:slug/reviews', tag, access: 'member', query: reviewListInput,
    summary: 'Published reviews, newest first; filter by kind, category or area',
    handler: async ({ req, account }) => reviews.list(account, req.memberKey ?? null, param(req.params.slug), req.query),
  });
  api.route({
    method: 'post', path: '/review-boards/:slug/reviews', tag, access: 'member', body: reviewInput, status: 201,
    summary: 'Post a warning or a vouch; identifiers are stored only as keyed slow hashes; without anonymous, a warning is anonymous and a vouch named; with photos, multipart/form-data: the JSON in `body`, up to 4 `photos`, `alt`, `sensitive`',
    handler: async ({ req, account }) => {
      const photos = await preparePhotos(ctx.media, req, () => reviews.photoQuotaKey(account, req.memberKey ?? null, param(req.params.slug), req.body));
      const review = await reviews.create(account, req.memberKey ?? null, param(req.params.slug), req.body);
      return { review, photos: await ctx.media.attach('warning', review.id, photos) };
    },
  });
  api.route({
    method: 'post', path: '/review-boards/:slug/lookups', tag, access: 'member', body: lookupInput,
    summary: 'Screen a client: the identifier goes in the body, never the URL; nothing about the look-up is kept',
    handler: async ({ req, res, account }) => {
      res.setHeader('Cache-Control', 'no-store');
      return reviews.lookup(account, req.memberKey ?? null, param(req.params.slug), req.body);
    },
  });
  api.route({
    method: 'get', path: '/review-queue', tag, access: 'moderator', summary: 'Reviews waiting for a moderator, with their authors',
    handler: async ({ req, account }) => ({ pending: await reviews.queue(account, req.memberKey ?? null) }),
  });
  api.route({
    method: 'get', path: '/review-questions', tag, access: 'member',
    summary: 'Moderators’ unanswered questions about your reviews; those about anonymous ones are found only here, with your key',
    handler: async ({ req, account }) => ({ questions: await reviews.questions(account, req.memberKey ?? null) }),
  });
  api.route({
    method: 'get', path: '/reviews/:id', tag, access: 'member', summary: 'A review with its responses',
    handler: async ({ req, account }) => reviews.get(account, req.memberKey ?? null, param(req.params.id)),
  });
  api.route({
    method: 'patch', path: '/reviews/:id', tag, access: 'member', body: correctionInput, summary: 'Correct your review (a member’s correction is checked again)',
    handler: async ({ req, account }) => ({ review: await reviews.correct(account, req.memberKey ?? null, param(req.params.id), req.body) }),
  });
  api.route({
    method: 'delete', path: '/reviews/:id', tag, access: 'member', summary: 'Retract your review (it is deleted)',
    handler: ({ req, account }) => noContent(reviews.retract(account, req.memberKey ?? null, param(req.params.id))),
  });
  api.route({
    method: 'post', path: '/reviews/:id/responses', tag, access: 'member', body: responseInput, status: 201,
    summary: 'Answer a review: corroborate ("happened to me too"), counter-vouch, or dispute with a note',
    handler: async ({ req, account }) => ({ response: await reviews.respond(account, req.memberKey ?? null, param(req.params.id), req.body) }),
  });
  api.route({
    method: 'post', path: '/reviews/:id/answer', tag, access: 'member', body: answerInput, summary: 'Answer a moderator’s question about your review',
    handler: async ({ req, account }) => ({ review: await reviews.answer(account, req.memberKey ?? null, param(req.params.id), req.body) }),
  });
  api.route({
    method: 'post', path: '/reviews/:id/moderation', tag, access: 'moderator', body: reviewModerationInput,
    summary: 'Moderate a review: publish, reject (reason), ask the author a question, edit out identifying details, remove',
    handler: async ({ req, account }) => ({ review: await reviews.moderate(account, req.memberKey ?? null, param(req.params.id), req.body) }),
  });
}
