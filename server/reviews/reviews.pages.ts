import express, { type Request } from 'express';
import type { AppContext } from '../context.js';
import { anyAccount, formBody, formPost, handle, sendPage, signedInOnly } from '../http/pages.js';
import type { FormState } from '../views/layout.js';
import { boardPage, boardsPage, newReviewPage, queuePage, reviewPage, screeningResultPage } from './reviews.views.js';
import { param } from '../http/route-param.js';
import { preparePhotos } from '../media/media.routes.js';

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v !== '' ? [v] : []);

/** The review form's flat fields (three identifier rows, ticked categories) as the service's input. */
function reviewFromForm(body: Record<string, unknown>): Record<string, unknown> {
  const identifiers = [0, 1, 2]
    .map((i) => ({ type: body[`idType${i}`], value: String(body[`idValue${i}`] ?? '').trim(), platform: body[`idPlatform${i}`] }))
    .filter((id) => id.value !== '');
  return {
    kind: body.kind,
    categories: list(body.categories),
    severity: body.severity,
    rating: body.rating,
    incidentMonth: body.incidentMonth,
    area: body.area,
    body: body.body ?? '',
    descriptors: body.descriptors ?? '',
    identifiers,
    anonymous: body.anonymous,
  };
}

export function reviewsPages(ctx: AppContext): express.Router {
  const router = express.Router();
  const { reviews, areas } = ctx;

  router.use(['/reviews', '/r'], signedInOnly(anyAccount));

  const renderBoards = async (req: Request, state?: FormState, done?: string) =>
    boardsPage(ctx.page(req), { boards: await reviews.listBoards(req.account), questions: await reviews.questions(req.account, req.memberKey) }, areas.list(), await areas.subscriptions(req.account!.id), state, done);
  router.get('/reviews', handle(async (req, res) => sendPage(res, await renderBoards(req))));
  router.post(
    '/reviews/urgent-areas',
    formPost(async (req, res) => {
      await areas.setSubscriptions(req.account!, { areaIds: list(formBody(req).areaIds) });
      sendPage(res, await renderBoards(req, undefined, req.t('settings.saved')));
    }, renderBoards),
  );

  router.get('/reviews/queue', handle(async (req, res) => sendPage(res, queuePage(ctx.page(req), await reviews.queue(req.account, req.memberKey)))));

  const filtersOf = (req: Request): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const key of ['kind', 'category', 'area', 'after']) if (typeof req.query[key] === 'string' && req.query[key] !== '') out[key] = req.query[key] as string;
    return out;
  };
  const renderBoard = async (req: Request, state?: FormState) => {
    const filters = state ? {} : filtersOf(req);
    const data = await reviews.list(req.account, req.memberKey, param(req.params.slug), filters);
    const { after: _after, ...shown } = filters;
    return boardPage(ctx.page(req), data, areas.list(), shown, state);
  };
  router.get('/reviews/:slug', handle(async (req, res) => sendPage(res, await renderBoard(req))));
  router.post(
    '/reviews/:slug/screen',
    formPost(async (req, res) => {
      const body = formBody(req);
      const result = await reviews.lookup(req.account, req.memberKey, param(req.params.slug), { identifier: { type: body.type, value: body.value, platform: body.platform } });
      res.setHeader('Cache-Control', 'no-store');
      sendPage(res, screeningResultPage(ctx.page(req), param(req.params.slug), result));
    }, renderBoard),
  );

  const renderNew = async (req: Request, state?: FormState) => newReviewPage(ctx.page(req), await reviews.getBoard(req.account, param(req.params.slug)), areas.list(), state);
  router.get('/reviews/:slug/new', handle(async (req, res) => sendPage(res, await renderNew(req))));
  router.post(
    '/reviews/:slug/new',
    formPost(async (req, res) => {
      const input = reviewFromForm(formBody(req, ['rating', 'incidentDay']));
      const photos = await preparePhotos(ctx.media, req, () => reviews.photoQuotaKey(req.account, req.memberKey, param(req.params.slug), input));
      const review = await reviews.create(req.account, req.memberKey, param(req.params.slug), input);
      await ctx.media.attach('warning', review.id, photos);
      res.redirect(303, `/r/${review.id}`);
    }, renderNew),
  );

  const renderReview = async (req: Request, state?: FormState) => {
    const data = await reviews.get(req.account, req.memberKey, param(req.params.id));
    return reviewPage(ctx.page(req), data, (await ctx.media.photosOf('warning', [data.review.id])).get(data.review.id) ?? [], state);
  };
  router.get('/r/:id', handle(async (req, res) => sendPage(res, await renderReview(req))));
  const reviewAction = (path: string, action: (req: Request) => Promise<string>) =>
    router.post(
      `/r/:id/${path}`,
      formPost(async (req, res) => {
        res.redirect(303, await action(req));
      }, renderReview),
    );
  reviewAction('respond', async (req) => {
    await reviews.respond(req.account, req.memberKey, param(req.params.id), formBody(req));
    return `/r/${param(req.params.id)}`;
  });
  reviewAction('answer', async (req) => {
    await reviews.answer(req.account, req.memberKey, param(req.params.id), formBody(req));
    return `/r/${param(req.params.id)}`;
  });
  reviewAction('correct', async (req) => {
    const body = formBody(req);
    await reviews.correct(req.account, req.memberKey, param(req.params.id), { body: body.body, descriptors: body.descriptors });
    return `/r/${param(req.params.id)}`;
  });
  reviewAction('retract', async (req) => {
    const { review } = await reviews.get(req.account, req.memberKey, param(req.params.id));
    await reviews.retract(req.account, req.memberKey, review.id);
    return `/reviews/${review.board}`;
  });
  reviewAction('moderate', async (req) => {
    const { review } = await reviews.get(req.account, req.memberKey, param(req.params.id));
    const body = formBody(req);
    const edit = body.action === 'edit';
    const result = await reviews.moderate(req.account, req.memberKey, review.id, {
      action: body.action,
      reason: body.reason ?? '',
      question: body.question ?? '',
      ...(edit ? { body: body.body, descriptors: body.descriptors } : {}),
    });
    return result ? `/r/${review.id}` : '/reviews/queue';
  });

  return router;
}
