import express from 'express';
import type { AppContext } from '../context.js';
import { LANG_COOKIE } from '../http/request.js';

/** Routes that belong to the instance as a whole: the language switch and the health check. */
export function instancePages(ctx: AppContext): express.Router {
  const router = express.Router();

  // A plain GET form so that choosing a language works without JavaScript and without an account.
  router.get('/language', (req, res) => {
    const wanted = typeof req.query.l === 'string' ? req.query.l : '';
    const back = typeof req.query.back === 'string' && /^\/(?![/\\])/.test(req.query.back) ? req.query.back : '/';
    if (ctx.i18n.locales.includes(wanted)) {
      res.cookie(LANG_COOKIE, wanted, { httpOnly: true, sameSite: 'lax', secure: ctx.cookie.secure, path: '/', maxAge: 365 * 86_400_000 });
    }
    res.redirect(303, back);
  });

  router.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  return router;
}
