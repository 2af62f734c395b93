import express, { type Request } from 'express';
import { isAdmin } from '../server/accounts/accounts.service.js';
import type { AppContext } from '../server/context.js';
import { forbidden } from '../server/core/errors.js';
import { formBody, formPost, handle, sendPage, signedInOnly } from '../server/http/pages.js';
import { html, type SafeHtml } from '../server/views/html.js';
import { csrfField, errorBox, field, formatDay, icon, layout, type FormState, type PageContext } from '../server/views/layout.js';
import type { FollowsService, FollowView } from './remote-boards/follows.js';
import type { ApPartnerDoc } from './federation.collections.js';
import type { RegionalNetwork } from './network.js';
import type { FederationPolicy, PolicyView } from './policy.js';

export interface FederationPagesDeps {
  readonly policy: FederationPolicy;
  readonly follows: FollowsService;
  readonly network: RegionalNetwork;
}

type Section = 'mode' | 'rules' | 'follows' | 'partners';

interface PageData {
  readonly policy: PolicyView;
  readonly follows: readonly FollowView[];
  readonly partners: readonly ApPartnerDoc[];
  readonly done?: string;
}

/**
 * The admin's page for federation, `/admin/federation`: who this instance
 * talks to (open, or allow-list only), the deny and allow rules, and the
 * remote boards it follows. Everything works without JavaScript.
 */
export function federationPages(ctx: AppContext, deps: FederationPagesDeps): express.Router {
  const router = express.Router();
  const { policy, follows, network } = deps;

  router.use('/admin/federation', signedInOnly((account) => (isAdmin(account) ? null : forbidden('admin_only')), 'no-store'));

  const data = async (done?: string): Promise<PageData> => {
    await network.fresh();
    return { policy: await policy.view(), follows: await follows.list(), partners: network.list(), done };
  };
  const render = async (req: Request, done?: string, state?: { section: Section; form: FormState }) =>
    federationPage(ctx.page(req), await data(done), state);
  const post = (section: Section, action: (req: Request) => Promise<string>) =>
    formPost(
      async (req, res) => sendPage(res, await render(req, await action(req))),
      (req, form) => render(req, undefined, { section, form }),
    );

  router.get('/admin/federation', handle(async (req, res) => sendPage(res, await render(req))));
  router.post(
    '/admin/federation/mode',
    post('mode', async (req) => {
      await policy.setMode(formBody(req));
      return req.t('settings.saved');
    }),
  );
  router.post(
    '/admin/federation/rules',
    post('rules', async (req) => {
      const rule = await policy.addRule(formBody(req));
      return req.t(rule.policy === 'deny' ? 'federation.denied' : 'federation.allowed');
    }),
  );
  router.post(
    '/admin/federation/rules/remove',
    post('rules', async (req) => {
      await policy.removeRule(String(formBody(req).target ?? ''));
      return req.t('federation.rule_removed');
    }),
  );
  router.post(
    '/admin/federation/follows',
    post('follows', async (req) => {
      await follows.follow(formBody(req));
      return req.t('federation.follow_sent');
    }),
  );
  router.post(
    '/admin/federation/follows/:id/remove',
    post('follows', async (req) => {
      await follows.unfollow(String(req.params.id ?? ''));
      return req.t('federation.unfollowed');
    }),
  );
  router.post(
    '/admin/federation/partners',
    post('partners', async (req) => {
      await network.add(formBody(req));
      return req.t('federation.partner_added');
    }),
  );
  router.post(
    '/admin/federation/partners/remove',
    post('partners', async (req) => {
      await network.remove(String(formBody(req).domain ?? ''));
      return req.t('federation.partner_removed');
    }),
  );
  return router;
}

function federationPage(ctx: PageContext, data: PageData, state?: { section: Section; form: FormState }): SafeHtml {
  const { t } = ctx;
  const s = (section: Section) => (state?.section === section ? state.form : undefined);
  const mode = data.policy.mode;
  return layout(ctx, {
    title: t('federation.title'),
    body: html`<h1>${icon('globe')} ${t('federation.title')}</h1>
<p>${t('federation.intro')}</p>
${data.done ? html`<p class="success" role="status">${icon('check')} ${data.done}</p>` : ''}
<section id="mode" aria-labelledby="h-mode">
<h2 id="h-mode">${t('federation.mode')}</h2>
${errorBox(s('mode'))}
<form method="post" action="/admin/federation/mode" class="stack">
  ${csrfField(ctx)}
  <fieldset><legend>${t('federation.mode')}</legend>
  ${(['open', 'allowlist'] as const).map(
    (m) => html`<label class="check"><input type="radio" name="mode" value="${m}" ${m === mode ? 'checked' : ''}> ${t(`federation.mode_${m}`)}</label>`,
  )}
  </fieldset>
  <button type="submit">${icon('check')} ${t('federation.save_mode')}</button>
</form>
</section>

<section id="rules" aria-labelledby="h-rules">
<h2 id="h-rules">${t('federation.rules')}</h2>
${errorBox(s('rules'))}
${data.policy.rules.length === 0
  ? html`<p>${t('federation.no_rules')}</p>`
  : html`<ul class="list">${data.policy.rules.map(
      (r) => html`<li><strong>${r.id}</strong> · ${t(`federation.policy_${r.policy}`)} · ${formatDay(ctx, r.createdAt)}${r.reason ? html`<br><small>${r.reason}</small>` : ''}
  <form method="post" action="/admin/federation/rules/remove" class="inline">${csrfField(ctx)}<input type="hidden" name="target" value="${r.id}"><button type="submit">${icon('trash')} ${t('federation.remove_rule')}</button></form></li>`,
    )}</ul>`}
<form method="post" action="/admin/federation/rules" class="stack">
  ${csrfField(ctx)}
  ${field(s('rules'), { name: 'target', label: t('federation.rule_target'), hint: t('federation.rule_target_hint'), required: true, maxlength: 500 })}
  <p class="field"><label for="f-policy">${t('federation.rule_policy')}</label>
  <select id="f-policy" name="policy">${(['deny', 'allow'] as const).map(
    (p) => html`<option value="${p}" ${s('rules')?.values?.policy === p ? 'selected' : ''}>${t(`federation.policy_${p}`)}</option>`,
  )}</select></p>
  ${field(s('rules'), { name: 'reason', label: t('federation.rule_reason'), maxlength: 500 })}
  <button type="submit">${icon('plus')} ${t('federation.add_rule')}</button>
</form>
</section>

<section id="partners" aria-labelledby="h-partners">
<h2 id="h-partners">${t('federation.partners')}</h2>
<p>${t('federation.partners_intro')}</p>
${errorBox(s('partners'))}
${data.partners.length === 0
  ? html`<p>${t('federation.no_partners')}</p>`
  : html`<ul class="list">${data.partners.map(
      (p) => html`<li><strong>${p.id}</strong> · ${formatDay(ctx, p.addedAt)}
  <form method="post" action="/admin/federation/partners/remove" class="inline">${csrfField(ctx)}<input type="hidden" name="domain" value="${p.id}"><button type="submit">${icon('trash')} ${t('federation.remove_partner')}</button></form></li>`,
    )}</ul>`}
<form method="post" action="/admin/federation/partners" class="stack">
  ${csrfField(ctx)}
  ${field(s('partners'), { name: 'domain', label: t('federation.partner_domain'), hint: t('federation.partner_domain_hint'), required: true, maxlength: 253 })}
  <button type="submit">${icon('plus')} ${t('federation.add_partner')}</button>
</form>
</section>

<section id="follows" aria-labelledby="h-follows">
<h2 id="h-follows">${t('federation.follows')}</h2>
${errorBox(s('follows'))}
${data.follows.length === 0
  ? html`<p>${t('federation.no_follows')}</p>`
  : html`<ul class="list">${data.follows.map(
      (f) => html`<li><strong>${f.target}</strong> · ${t(`federation.follow_${f.state}`)}
  <form method="post" action="/admin/federation/follows/${f.id}/remove" class="inline">${csrfField(ctx)}<button type="submit">${icon('trash')} ${t('federation.unfollow')}</button></form></li>`,
    )}</ul>
<p><a href="/remote">${icon('globe')} ${t('remote.title')}</a></p>`}
<form method="post" action="/admin/federation/follows" class="stack">
  ${csrfField(ctx)}
  ${field(s('follows'), { name: 'target', label: t('federation.follow_target'), hint: t('federation.follow_target_hint'), required: true, maxlength: 500 })}
  <button type="submit">${icon('plus')} ${t('federation.follow')}</button>
</form>
</section>`,
  });
}
