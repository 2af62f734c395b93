import { html, type SafeHtml } from '../views/html.js';
import { formatDay, icon, type PageContext } from '../views/layout.js';
import type { AdminConsole, FederationFacts } from './console.service.js';
import { consolePage, dayNoon, formatBytes } from './console.views.js';

/** Where scripts change federation: paths, the same in every language. */
const FEDERATION_APIS = ['/api/v1/federation/policy', '/api/v1/federation/partners', '/api/v1/federation/follows'];

type Storage = Awaited<ReturnType<AdminConsole['storage']>>;
type Health = Awaited<ReturnType<AdminConsole['health']>>;

/** Federation at a glance, pointing to the federation page and its API, where everything is changed. */
export function networkPage(ctx: PageContext, facts: FederationFacts | null): SafeHtml {
  const { t } = ctx;
  return consolePage(
    ctx,
    'network',
    facts === null
      ? html`<p class="notice">${t('admin_console.federation_off')}</p>`
      : html`<ul class="list">
  <li>${t('federation.mode')}: ${t(`federation.mode_${facts.mode === 'allowlist' ? 'allowlist' : 'open'}`)}</li>
  <li>${t('admin_console.rule_counts', { deny: facts.denyRules, allow: facts.allowRules })}</li>
  <li>${t('admin_console.follow_count', { count: facts.follows })}</li>
  <li>${t('admin_console.deliveries_waiting', { count: facts.pendingDeliveries })}</li>
</ul>
<h2>${t('federation.partners')}</h2>
${facts.partners.length === 0 ? html`<p>${t('federation.no_partners')}</p>` : ''}
<ul class="list">${facts.partners.map((p) => html`<li><bdi dir="ltr">${p.domain}</bdi> · ${formatDay(ctx, p.addedAt)}</li>`)}</ul>
<p><a href="/admin/federation">${icon('globe')} ${t('admin_console.open_federation')}</a></p>
<p>${t('admin_console.federation_api')} ${FEDERATION_APIS.map((api, i) => html`${i > 0 ? ', ' : ''}<code dir="ltr">${api}</code>`)}</p>`,
  );
}

/** Sizes on disk, the last backup and the command that makes one, and what protects the data at rest. */
export function storagePage(ctx: PageContext, s: Storage): SafeHtml {
  const { t } = ctx;
  const unknown = t('admin_console.unknown');
  return consolePage(
    ctx,
    'storage',
    html`<ul class="list">
  <li>${t('admin_console.engine')}: ${t(`admin_console.engine_${s.engine}`)}</li>
  <li>${t('admin_console.database_size')}: ${s.databaseBytes === null ? unknown : formatBytes(ctx, s.databaseBytes)}</li>
  <li>${t('admin_console.data_dir_size')}: ${s.dataDirectory === null ? unknown : formatBytes(ctx, s.dataDirectory.bytes)}${s.dataDirectory && !s.dataDirectory.complete ? html` (${t('admin_console.at_least')})` : ''}</li>
  <li id="photo-storage">${t('media.admin_storage', { count: s.photoStorage.photos, megabytes: (s.photoStorage.bytes / 1_048_576).toFixed(1) })}</li>
</ul>
<section id="backups" aria-labelledby="h-backups">
<h2 id="h-backups">${t('admin.backups')}</h2>
<p>${s.lastBackupDay ? t('admin.backup_last', { day: formatDay(ctx, dayNoon(s.lastBackupDay)) }) : t('admin.backup_none')}</p>
<p>${t('admin.backup_how')}</p>
<p><code class="token" dir="ltr">${s.backupCommand}</code></p>
<p>${t('admin.backup_keep')}</p>
<p class="${s.databaseEncrypted ? '' : 'notice'}">${t(s.databaseEncrypted ? 'admin.db_encrypted' : 'admin.db_plain')}</p>
<p class="${s.secretOutside ? '' : 'notice'}">${t(s.secretOutside ? 'admin.secret_outside' : 'admin.secret_inside')}</p>
</section>`,
  );
}

/** What runs and how it is doing: the version, the database, background jobs, queues and free disk space. */
export function healthPage(ctx: PageContext, h: Health): SafeHtml {
  const { t } = ctx;
  return consolePage(
    ctx,
    'health',
    html`<ul class="list">
  <li>${t('admin_console.version')}: <bdi dir="ltr">${h.version}</bdi></li>
  <li>${t('admin_console.engine')}: ${t(`admin_console.engine_${h.engine}`)}</li>
  <li>${t('admin_console.disk_free')}: ${h.disk ? t('admin_console.disk_of', { free: formatBytes(ctx, h.disk.freeBytes), total: formatBytes(ctx, h.disk.totalBytes) }) : t('admin_console.unknown')}</li>
  <li>${t('admin_console.passphrase_checks', { running: h.queues.passphraseChecks.running, waiting: h.queues.passphraseChecks.waiting })}</li>
  <li>${h.queues.pendingDeliveries === null ? t('admin_console.federation_off') : t('admin_console.deliveries_waiting', { count: h.queues.pendingDeliveries })}</li>
</ul>
<h2>${t('admin_console.jobs')}</h2>
<table class="log"><thead><tr><th scope="col">${t('admin_console.job')}</th><th scope="col">${t('admin_console.job_here')}</th></tr></thead>
<tbody>${h.jobs.map((j) => html`<tr><td><code dir="ltr">${j.name}</code></td><td>${t(j.heldHere ? 'admin_console.yes' : 'admin_console.no')}${j.running ? html` · ${t('admin_console.job_running')}` : ''}</td></tr>`)}</tbody></table>
<p><small>${t('admin_console.jobs_explain')}</small></p>`,
  );
}
