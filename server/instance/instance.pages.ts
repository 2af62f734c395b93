import express from 'express';
import type { AppContext } from '../context.js';
import { LANG_COOKIE } from '../http/request.js';
import { sendPage } from '../http/pages.js';
import { html } from '../views/html.js';
import { icon, layout } from '../views/layout.js';

/** Pages that belong to the instance as a whole: the front page, the language switch, the health check. */
export function instancePages(ctx: AppContext): express.Router {
  const router = express.Router();

  router.get('/', (req, res) => {
    const page = ctx.page(req);
    const { t } = page;
    sendPage(
      res,
      layout(page, {
        title: t('home.title'),
        body: html`<h1>${t('home.welcome', { name: page.instanceName })}</h1>
<p class="lead">${t('home.intro')}</p>
${page.account
  ? html`<p><a class="button" href="/settings">${icon('settings')} ${t('nav.settings')}</a></p>`
  : html`<p><a class="button primary" href="/signup">${icon('user')} ${t('nav.signup')}</a> <a class="button" href="/login">${icon('login')} ${t('nav.login')}</a></p>`}`,
      }),
    );
  });

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
