import { html, raw, type SafeHtml } from '../views/html.js';
import { csrfField, errorBox, field, formatDuration, formatRelative, formatTime, icon, layout, ltr, ltrNumbers, type FormState, type PageContext } from '../views/layout.js';
import type { AreaView } from '../areas/areas.service.js';
import { alertKinds, incidentKinds, type IncidentDoc } from './safety.collections.js';
import type { AlertView, BuddyView, CheckinView } from './safety.service.js';
import type { IncidentView } from './incidents.service.js';
import type { PhotoView } from '../media/media.service.js';
import { photoGallery } from '../media/media.views.js';
import { keepOriginalsNotice, photoFields, photoFormAttributes } from '../views/photos.js';

export type SafetySection = 'checkin' | 'buddies' | 'alerts' | 'incident' | 'sos';

/** Seconds client/sos.js counts down before an SOS goes; without JavaScript it goes at once. */
const SOS_COUNTDOWN = 5;

/**
 * One tap sends an SOS, never a question: with JavaScript a visible countdown first, which the worker can cancel
 * after a mistaken tap. Its texts, one per second left (the first for one second), come from the catalogues.
 */
function sosForm(ctx: PageContext): SafeHtml {
  const { t } = ctx;
  const countdown = Array.from({ length: SOS_COUNTDOWN }, (_, i) => t('safety.sos_countdown', { seconds: i + 1 }));
  return html`<form method="post" action="/safety/sos" class="sos" data-sos data-countdown="${JSON.stringify(countdown)}" data-cancel="${t('safety.sos_cancel')}" data-cancelled="${t('safety.sos_cancelled')}">${csrfField(ctx)}<button type="submit" class="danger big">🆘 ${t('safety.sos')}</button><p class="sos-status" role="status" aria-live="assertive"></p></form>`;
}

/** What a buddy facing an alarm does next: the worker's notes, the other buddies, the organisation's contact route. */
function nextSteps(ctx: PageContext, c: CheckinView): SafeHtml {
  const { t } = ctx;
  const steps = c.nextSteps;
  if (!steps) return html``;
  return html`<section class="card" aria-labelledby="h-next"><h2 id="h-next">${t('safety.next_steps')}</h2>
<ol>
<li>${steps.notes
    ? html`${t('safety.last_notes', { time: formatTime(ctx, steps.notesAt ?? c.expectedEnd) })}<p class="notice">${steps.notes}</p>`
    : t('safety.no_notes')}</li>
${steps.otherBuddies.length ? html`<li>${t('safety.other_buddies', { handles: steps.otherBuddies.join(', ') })}</li>` : ''}
<li>${steps.contact ? html`${t('safety.org_contact')}<p class="keep-lines" dir="auto">${ltrNumbers(steps.contact)}</p>` : t('safety.no_org_contact')}</li>
</ol>
<p>${c.handledBy.length ? t('safety.handled_by', { handles: c.handledBy.join(', ') }) : t('safety.nobody_handling')}</p></section>`;
}

function checkinLine(ctx: PageContext, c: CheckinView): SafeHtml {
  const { t } = ctx;
  return html`<li><a href="/safety/checkins/${c.id}">${t(`safety.status_${c.status}`)} · ${t('safety.until', { time: formatTime(ctx, c.expectedEnd) })}</a>${c.buddies.length ? html` · <small>${c.buddies.join(', ')}</small>` : ''}</li>`;
}

export function hubPage(
  ctx: PageContext,
  data: { checkins: readonly CheckinView[]; buddies: readonly BuddyView[]; alarms: readonly CheckinView[] },
  state?: { section: SafetySection; form: FormState },
): SafeHtml {
  const { t } = ctx;
  const active = data.buddies.filter((b) => b.state === 'active');
  const s = (section: SafetySection) => (state?.section === section ? state.form : undefined);
  const chosen = new Set((s('checkin')?.values?.buddies ?? '').split(','));
  return layout(ctx, {
    title: t('safety.title'),
    scripts: ['push.js', 'sos.js', 'photo-cover.js'],
    body: html`<h1>${icon('shield')} ${t('safety.title')}</h1>
${data.alarms.map((c) => html`<p class="error" role="alert"><a href="/safety/checkins/${c.id}">🆘 ${t(c.sos ? 'safety.alarm_sos' : 'safety.alarm_overdue', { handle: c.owner?.handle ?? '?' })}</a></p>`)}
${errorBox(s('sos'))}
${active.length ? sosForm(ctx) : html`<p class="notice">${t('safety.need_buddy')} <a href="/safety/buddies">${t('safety.buddies')}</a></p>`}
<section id="checkin" class="card"><h2>⏱️ ${t('safety.start_checkin')}</h2>
<p>${t('safety.checkin_explain')}</p>
${errorBox(s('checkin'))}
<form method="post" action="/safety/checkins" class="stack" ${photoFormAttributes(ctx)}>${csrfField(ctx)}
<p class="field"><label for="c-min">${t('safety.how_long')}</label><select id="c-min" name="minutes">${[10, 15, 30, 60, 90, 120, 180, 240, 360, 480, 720].map((m) => html`<option value="${m}" ${m === 60 ? 'selected' : ''}>${formatDuration(ctx, m)}</option>`)}</select></p>
<fieldset><legend>${t('safety.which_buddies')}</legend>${active.length ? active.map((b) => html`<label class="check"><input type="checkbox" name="buddies" value="${b.handle}" ${chosen.has(b.handle) || !state ? 'checked' : ''}> ${b.displayName}</label>`) : html`<p>${t('safety.no_buddies')}</p>`}</fieldset>
${field(s('checkin'), { name: 'notes', label: t('safety.notes'), hint: t('safety.notes_hint'), maxlength: 2000 })}
${photoFields(ctx)}
<button type="submit" class="primary">${icon('check')} ${t('safety.start')}</button></form></section>
<section><h2>${t('safety.my_checkins')}</h2><ul class="list">${data.checkins.map((c) => checkinLine(ctx, c))}</ul></section>
<section class="card"><h2>📱 ${t('safety.push_title')}</h2><p>${t('safety.push_explain')}</p>
<button type="button" id="enable-push" hidden data-on="${t('safety.push_on')}" data-failed="${t('safety.push_failed')}" data-unsupported="${t('safety.push_unsupported')}">${t('safety.push_enable')}</button>
<p id="push-status" role="status"></p></section>
<nav class="tabs"><a href="/safety/buddies">${icon('user')} ${t('safety.buddies')}</a> <a href="/safety/alerts">${icon('flag')} ${t('safety.alerts')}</a> <a href="/safety/incidents">${icon('chat')} ${t('safety.incidents')}</a></nav>`,
  });
}

export function buddiesPage(ctx: PageContext, buddies: readonly BuddyView[], state?: FormState, done?: string): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('safety.buddies'),
    body: html`<nav class="crumbs"><a href="/safety">${icon('shield')} ${t('safety.title')}</a></nav>
<h1>${icon('user')} ${t('safety.buddies')}</h1>
<p>${t('safety.buddies_explain')}</p>
${done ? html`<p class="success" role="status">${icon('check')} ${done}</p>` : ''}
<ul class="list">${buddies.map(
      (b) => html`<li><strong>${b.displayName}</strong> <small>@${b.handle}</small> · ${t(`safety.buddy_${b.state}`)}
${b.state === 'incoming' ? html`<form method="post" action="/safety/buddies" class="inline">${csrfField(ctx)}<input type="hidden" name="handle" value="${b.handle}"><button type="submit" class="primary">${icon('check')} ${t('safety.accept')}</button></form>` : ''}
<form method="post" action="/safety/buddies/${b.handle}/end" class="inline">${csrfField(ctx)}<button type="submit">${t(b.state === 'active' ? 'safety.end_buddy' : 'safety.refuse')}</button></form></li>`,
    )}</ul>
${errorBox(state)}
<form method="post" action="/safety/buddies" class="stack">${csrfField(ctx)}
${field(state, { name: 'handle', label: t('safety.buddy_handle'), required: true, maxlength: 100 })}
<button type="submit">${icon('plus')} ${t('safety.ask_buddy')}</button></form>`,
  });
}

export function checkinPage(ctx: PageContext, c: CheckinView, photos: readonly PhotoView[], state?: FormState): SafeHtml {
  const { t } = ctx;
  // The worker is told what happened to their own alarm; the words meant for the buddies are for the buddies.
  const alarm = c.mine ? t(c.sos ? 'safety.sos_sent' : 'safety.overdue_sent') : t(c.sos ? 'safety.alarm_sos' : 'safety.alarm_overdue', { handle: c.owner?.handle ?? '?' });
  return layout(ctx, {
    title: t('safety.checkin'),
    scripts: c.mine && c.status !== 'closed' ? ['sos.js', 'photo-cover.js'] : ['photo-cover.js'],
    body: html`<nav class="crumbs"><a href="/safety">${icon('shield')} ${t('safety.title')}</a></nav>
<h1>⏱️ ${t('safety.checkin')}</h1>
${c.status === 'alerted' ? html`<p class="error" role="alert">🆘 ${alarm}</p>` : ''}
<p><strong>${t(`safety.status_${c.status}`)}</strong> · ${t('safety.until', { time: formatTime(ctx, c.expectedEnd) })} (<time datetime="${new Date(c.expectedEnd).toISOString()}">${formatRelative(ctx, c.expectedEnd)}</time>)</p>
${c.mine ? '' : html`<p>${t('safety.from', { handle: c.owner?.handle ?? '?' })}</p>`}
<p>${t('safety.buddies')}: ${c.buddies.join(', ')}</p>
${c.notes && !c.nextSteps ? html`<p class="notice">${c.notes}</p>` : ''}
${c.clientHint ? html`<p><small>${t('safety.client_hint', { hint: ltr(c.clientHint) })}</small></p>` : ''}
${photoGallery(ctx, photos)}
${c.nextSteps ? nextSteps(ctx, c) : c.handledBy.length ? html`<p class="success">${t('safety.handled_by', { handles: c.handledBy.join(', ') })}</p>` : ''}
${errorBox(state)}
${c.mine && c.status !== 'closed'
  ? html`<form method="post" action="/safety/checkins/${c.id}/safe">${csrfField(ctx)}<button type="submit" class="primary big">✅ ${t('safety.im_safe')}</button></form>
${c.status === 'open' ? html`<form method="post" action="/safety/checkins/${c.id}/extend" class="stack">${csrfField(ctx)}<p class="field"><label for="e-min">${t('safety.extend')}</label><select id="e-min" name="minutes">${[15, 30, 60, 120].map((m) => html`<option value="${m}">${formatDuration(ctx, m)}</option>`)}</select></p><button type="submit">${t('safety.extend')}</button></form>` : ''}
${sosForm(ctx)}`
  : ''}
${!c.mine && c.status === 'alerted' ? html`<form method="post" action="/safety/checkins/${c.id}/handling">${csrfField(ctx)}<button type="submit" class="primary big">🙋 ${t('safety.handling')}</button></form>` : ''}`,
  });
}

export function alertsPage(ctx: PageContext, alerts: readonly AlertView[], areas: readonly AreaView[], state?: FormState): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('safety.alerts'),
    body: html`<nav class="crumbs"><a href="/safety">${icon('shield')} ${t('safety.title')}</a></nav>
<h1>${icon('flag')} ${t('safety.alerts')}</h1>
${alerts.length === 0 ? html`<p>${t('safety.no_alerts')}</p>` : ''}
<ul class="list">${alerts.map(
      (a) => html`<li><strong>⚠️ ${t(`safety.alert_${a.kind}`)}</strong> · ${a.area.name} · <small>${formatTime(ctx, a.createdAt)}</small><p>${a.text}</p>
${a.mine || ctx.account?.role !== 'member' ? html`<form method="post" action="/safety/alerts/${a.id}/remove" class="inline">${csrfField(ctx)}<button type="submit">${icon('trash')} ${t('safety.remove')}</button></form>` : ''}</li>`,
    )}</ul>
<section class="card"><h2>${t('safety.post_alert')}</h2>
${errorBox(state)}
${areas.length === 0 ? html`<p class="notice">${t('safety.no_areas')}</p>` : ''}
<form method="post" action="/safety/alerts" class="stack">${csrfField(ctx)}
<p class="field"><label for="a-area">${t('review.area')}</label><select id="a-area" name="area"><option value="">—</option>${areas.map((a) => html`<option value="${a.id}" ${state?.values?.area === a.id ? 'selected' : ''}>${a.name}</option>`)}</select>${state?.fieldErrors?.area ? html`<span class="problem">${state.fieldErrors.area}</span>` : ''}</p>
<p class="field"><label for="a-kind">${t('review.kind')}</label><select id="a-kind" name="kind">${alertKinds.map((k) => html`<option value="${k}">${t(`safety.alert_${k}`)}</option>`)}</select></p>
${field(state, { name: 'text', label: t('safety.alert_text'), required: true, maxlength: 500 })}
<p class="field"><label for="a-hours">${t('safety.alert_hours')}</label><select id="a-hours" name="hours">${[6, 24, 72, 168].map((h) => html`<option value="${h}" ${h === 24 ? 'selected' : ''}>${formatDuration(ctx, h * 60)}</option>`)}</select></p>
<button type="submit" class="primary">${icon('flag')} ${t('safety.post_alert')}</button></form></section>`,
  });
}

export function incidentsPage(ctx: PageContext, data: { mine: readonly IncidentDoc[]; queue: readonly IncidentDoc[] | null }, state?: FormState): SafeHtml {
  const { t } = ctx;
  const line = (i: IncidentDoc) => html`<li><a href="/safety/incidents/${i.id}">${t(`safety.incident_${i.kind}`)}</a> · ${t(`safety.istatus_${i.status}`)} · <small>${formatTime(ctx, i.createdAt)}</small></li>`;
  return layout(ctx, {
    title: t('safety.incidents'),
    scripts: ['photo-cover.js'],
    body: html`<nav class="crumbs"><a href="/safety">${icon('shield')} ${t('safety.title')}</a></nav>
<h1>${icon('chat')} ${t('safety.incidents')}</h1>
${data.queue ? html`<section><h2>${t('safety.queue')}</h2>${data.queue.length === 0 ? html`<p>${t('safety.queue_empty')}</p>` : ''}<ul class="list">${data.queue.map(line)}</ul></section>` : ''}
<section class="card"><h2>${t('safety.report_incident')}</h2><p>${t('safety.incident_explain')}</p>
${errorBox(state)}
<form method="post" action="/safety/incidents" class="stack" ${photoFormAttributes(ctx)}>${csrfField(ctx)}
<p class="field"><label for="i-kind">${t('safety.what_happened')}</label><select id="i-kind" name="kind">${incidentKinds.map((k) => html`<option value="${k}">${t(`safety.incident_${k}`)}</option>`)}</select></p>
<p class="field${state?.fieldErrors?.description ? ' invalid' : ''}"><label for="i-desc">${t('safety.describe')}</label><textarea id="i-desc" name="description" rows="5" maxlength="5000" required>${state?.values?.description ?? ''}</textarea>${state?.fieldErrors?.description ? html`<span class="problem">${state.fieldErrors.description}</span>` : ''}</p>
${field(state, { name: 'help', label: t('safety.help_wanted'), maxlength: 2000 })}
${field(state, { name: 'contact', label: t('safety.contact'), hint: t('safety.contact_hint'), maxlength: 500 })}
${photoFields(ctx)}
${keepOriginalsNotice(ctx)}
<button type="submit" class="primary">${icon('check')} ${t('safety.send_incident')}</button></form></section>
${data.mine.length ? html`<section><h2>${t('safety.my_incidents')}</h2><ul class="list">${data.mine.map(line)}</ul></section>` : ''}`,
  });
}

export function incidentPage(ctx: PageContext, incident: IncidentView, responder: boolean, photos: readonly PhotoView[], state?: FormState): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('safety.incident'),
    scripts: ['photo-cover.js'],
    body: html`<nav class="crumbs"><a href="/safety/incidents">${icon('chat')} ${t('safety.incidents')}</a></nav>
<h1>${t(`safety.incident_${incident.kind}`)}</h1>
<p><strong>${t(`safety.istatus_${incident.status}`)}</strong> · ${formatTime(ctx, incident.createdAt)}${incident.reporter ? html` · ${incident.reporter}` : ''}</p>
<p class="notice">${incident.description}</p>
${incident.help ? html`<p><strong>${t('safety.help_wanted')}:</strong> ${incident.help}</p>` : ''}
${incident.contact ? html`<p><strong>${t('safety.contact')}:</strong> <bdi>${ltrNumbers(incident.contact)}</bdi></p>` : ''}
${photoGallery(ctx, photos)}
${photos.length > 0 ? html`<p><a href="/safety/incidents/${incident.id}/evidence.zip" download>${icon('check')} ${t('media.evidence_export')}</a> · <a href="/evidence-key">${t('mediaRest.key_link')}</a></p>${keepOriginalsNotice(ctx)}` : ''}
${incident.mine ? html`<p><a href="/safety/incidents/${incident.id}/print">${t('safety.print')}</a></p>` : ''}
<h2>${t('safety.thread')}</h2>
<ol class="posts">${incident.messages.map((m) => html`<li class="post${m.internal ? ' muted' : ''}"><header>${m.fromResponder ? t('safety.responder') : t('safety.member')}${m.internal ? html` · <strong>${t('safety.internal')}</strong>` : ''} · ${formatTime(ctx, m.createdAt)}</header><div class="body" dir="auto">${raw(m.html)}</div></li>`)}</ol>
${errorBox(state)}
${incident.status !== 'closed'
  ? html`<form method="post" action="/safety/incidents/${incident.id}/messages" class="stack" ${photoFormAttributes(ctx)}>${csrfField(ctx)}
<p class="field"><label for="m-body">${t('safety.write')}</label><textarea id="m-body" name="body" rows="4" maxlength="5000" required></textarea></p>
${photoFields(ctx)}
${responder && !incident.mine ? html`<label class="check"><input type="checkbox" name="internal" value="on"> ${t('safety.internal_note')}</label>` : ''}
<button type="submit">${icon('reply')} ${t('post.send')}</button></form>`
  : ''}
${responder && !incident.mine && incident.status !== 'closed'
  ? html`<form method="post" action="/safety/incidents/${incident.id}/status" class="stack">${csrfField(ctx)}
<p class="field"><label for="s-status">${t('safety.set_status')}</label><select id="s-status" name="status">${(['acknowledged', 'in_progress', 'closed'] as const).map((s) => html`<option value="${s}">${t(`safety.istatus_${s}`)}</option>`)}</select></p>
<button type="submit">${icon('check')} ${t('mod.apply')}</button></form>`
  : ''}`,
  });
}

/** A plain summary the member may print and take to the police or a lawyer, if they choose to. */
export function incidentPrintPage(ctx: PageContext, incident: IncidentView): SafeHtml {
  const { t } = ctx;
  return layout(ctx, {
    title: t('safety.print'),
    body: html`<article class="print"><h1>${t('safety.print_title')}</h1>
<p><strong>${t('safety.what_happened')}:</strong> ${t(`safety.incident_${incident.kind}`)}</p>
<p><strong>${t('safety.reported_on')}:</strong> ${formatTime(ctx, incident.createdAt)}</p>
<p><strong>${t('safety.describe')}:</strong></p><p class="source">${incident.description}</p>
<p><small>${t('safety.print_note')}</small></p></article>`,
  });
}
