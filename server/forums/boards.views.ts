import { html, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, field, icon, layout, type FormState, type PageContext } from '../views/layout.js';
import { modNav } from '../moderation/moderation.views.js';
import type { BoardView } from './forum-views.js';

export function boardsAdminPage(ctx: PageContext, boards: readonly (BoardView & { moderators: string })[], state?: { slug: string; form: FormState }): SafeHtml {
  const { t } = ctx;
  const s = (slug: string) => (state?.slug === slug ? state.form : undefined);
  const visibility = (current: string) =>
    html`<select name="visibility">${['public', 'members', 'network'].map((v) => html`<option value="${v}" ${v === current ? 'selected' : ''}>${t(`board.visibility_${v}`)}</option>`)}</select>`;
  const checkbox = (name: string, on: boolean, label: string) =>
    html`<input type="hidden" name="${name}" value="false"><label class="check"><input type="checkbox" name="${name}" value="true" ${on ? 'checked' : ''}> ${label}</label>`;
  return layout(ctx, {
    title: t('mod.boards'),
    body: html`<h1>${icon('list')} ${t('mod.boards')}</h1>
${modNav(ctx)}
${boards.map(
      (b) => html`<section id="b-${b.slug}" class="card"><h2>${b.name} <small>/b/${b.slug}</small></h2>
${errorBox(s(b.slug))}
<form method="post" action="/mod/boards/${b.slug}" class="stack">${csrfField(ctx)}
${field(s(b.slug), { name: 'name', label: t('board.name'), required: true, maxlength: 80, value: b.name })}
${field(s(b.slug), { name: 'description', label: t('board.description'), maxlength: 500, value: b.description })}
${field(s(b.slug), { name: 'language', label: t('layout.language'), maxlength: 20, value: b.language })}
${field(s(b.slug), { name: 'position', label: t('board.position'), type: 'number', value: String(b.position) })}
<p class="field"><label>${t('board.visibility')} ${visibility(b.visibility)}</label></p>
${field(s(b.slug), { name: 'slowModeSeconds', label: t('board.slow_mode'), type: 'number', value: String(b.slowModeSeconds) })}
${field(s(b.slug), { name: 'moderators', label: t('board.moderators'), hint: t('board.moderators_hint'), maxlength: 2000, value: b.moderators })}
${checkbox('approveFirstPosts', b.approveFirstPosts, t('board.approve_first'))}
${checkbox('remoteMedia', b.remoteMedia, t('mediaRest.board_remote_media'))}
<p><small>${t('mediaRest.board_remote_media_hint')}</small></p>
${checkbox('archived', b.archived, t('board.archived'))}
<button type="submit">${icon('check')} ${t('settings.save')}</button></form>
<p><a href="/mod/boards/${b.slug}/bans">${icon('shield')} ${t('mod.bans_link')}</a></p>
${ctx.account?.role === 'admin' ? html`<form method="post" action="/mod/boards/${b.slug}/delete" class="stack">${csrfField(ctx)}<button type="submit" class="danger">${icon('trash')} ${t('board.delete')}</button></form>` : ''}
</section>`,
    )}
<section id="new" class="card"><h2>${icon('plus')} ${t('board.create')}</h2>
${errorBox(s(''))}
<form method="post" action="/mod/boards" class="stack">${csrfField(ctx)}
${field(s(''), { name: 'slug', label: t('board.slug'), hint: t('board.slug_hint'), required: true, maxlength: 40 })}
${field(s(''), { name: 'name', label: t('board.name'), required: true, maxlength: 80 })}
${field(s(''), { name: 'description', label: t('board.description'), maxlength: 500 })}
${field(s(''), { name: 'language', label: t('layout.language'), maxlength: 20, value: ctx.locale })}
<p class="field"><label>${t('board.visibility')} ${visibility('public')}</label></p>
<button type="submit" class="primary">${icon('plus')} ${t('board.create')}</button></form></section>`,
  });
}
