import express from 'express';
import type { AppContext } from '../context.js';
import { LANG_COOKIE } from '../http/request.js';
import { languagePolicy } from './languages.js';
import { siteIdentity } from './discreet.js';
import { sendPage } from '../http/pages.js';
import { html } from '../views/html.js';
import { icon, layout } from '../views/layout.js';

/**
 * Asked by the quick exit (client/safety.js) on its way out: the browser drops this site's HTTP cache and every kind
 * of storage it kept (script cannot reach the HTTP cache). Cookies stay: the exit does not log out. It changes
 * nothing on the server, so it takes no CSRF token (a visitor's page may be a kept copy, with nobody's token).
 */
export const clearSiteData: express.RequestHandler = (_req, res) => {
  res.setHeader('Clear-Site-Data', '"cache", "storage"');
  res.setHeader('Cache-Control', 'no-store');
  res.status(204).end();
};

/** Routes that belong to the instance as a whole: the language switch, the web-app manifest and the health check. */
export function instancePages(ctx: AppContext): express.Router {
  const router = express.Router();

  // A plain GET form so that choosing a language works without JavaScript and without an account.
  router.get('/language', (req, res) => {
    const wanted = typeof req.query.l === 'string' ? req.query.l : '';
    const back = typeof req.query.back === 'string' && /^\/(?![/\\])/.test(req.query.back) ? req.query.back : '/';
    if (languagePolicy(ctx.i18n, ctx.instance.settings()).offered.includes(wanted)) {
      res.cookie(LANG_COOKIE, wanted, { httpOnly: true, sameSite: 'lax', secure: ctx.cookie.secure, path: '/', maxAge: 365 * 86_400_000 });
    }
    res.redirect(303, back);
  });

  /**
   * The installed app's name and icon: the neutral ones in discreet mode. Asked with the person's cookies
   * (crossorigin="use-credentials" on the link) so that their own discreet choice applies.
   */
  router.get('/manifest.webmanifest', (req, res) => {
    const site = siteIdentity(ctx.instance.settings(), req.account);
    res.setHeader('Cache-Control', 'no-cache');
    res.type('application/manifest+json').send(
      JSON.stringify({
        name: site.name,
        short_name: site.name,
        ...(site.discreet ? {} : { description: req.t('home.intro') }),
        lang: req.locale,
        dir: ctx.i18n.meta(req.locale).dir,
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#fbfaf7',
        theme_color: '#7a3e9d',
        icons: [{ src: site.icon, sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
      }),
    );
  });

  /** What the service worker shows for a page that was not kept on the phone while there is no network. */
  router.get('/offline', (req, res) => {
    // The service worker keeps this page on the phone (a quick exit does not drop it): it must not name whoever was
    // signed in when it was fetched, nor load the live scripts that would try to connect while offline.
    const page = { ...ctx.page(req), account: null, unseenNotifications: 0, unreadMessages: 0 };
    sendPage(
      res,
      layout(page, {
        title: req.t('offline.title'),
        body: html`<h1>${icon('globe')} ${req.t('offline.title')}</h1><p class="lead">${req.t('offline.text')}</p><p><a class="button" href="/">${icon('home')} ${req.t('nav.home')}</a></p>`,
      }),
    );
  });

  router.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  return router;
}
