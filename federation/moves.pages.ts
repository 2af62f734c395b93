import express, { type Request } from 'express';
import type { AppContext } from '../server/context.js';
import { fieldError } from '../server/core/errors.js';
import { formBody, formPost, sendPage, signedInOnly } from '../server/http/pages.js';
import { html, type SafeHtml } from '../server/views/html.js';
import { csrfField, errorBox, field, icon, layout, type FormState, type PageContext } from '../server/views/layout.js';
import type { AccountMoves } from './moves.js';

type Section = 'export' | 'import';

type ImportResult = Awaited<ReturnType<AccountMoves['importFor']>>;

/** A form's optional field: absent when left empty, so the service's schema sees what the API would. */
const optional = (body: Record<string, unknown>, name: string): Record<string, unknown> =>
  typeof body[name] === 'string' && body[name] !== '' ? { [name]: body[name] } : {};

/** The export file pasted into the form: a JSON object, or a 422 on the field. */
function exportFile(text: unknown): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof text === 'string' ? text : '');
  } catch {
    throw fieldError('file', 'admin_console.move_file_invalid');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw fieldError('file', 'admin_console.move_file_invalid');
  return parsed as Record<string, unknown>;
}

/**
 * Moving an account between partner instances without JavaScript: download this account's signed export (with the
 * member key sealed under a passphrase, if wanted), or paste an export from a partner to move in. The same calls as
 * POST /api/v1/federation/me/export and /import; the pasted file is not kept.
 */
export function movesPages(ctx: AppContext, moves: AccountMoves): express.Router {
  const router = express.Router();
  router.use('/settings/move', signedInOnly(undefined, 'no-store'));

  const render = (req: Request, state?: { section: Section; form: FormState }, result?: ImportResult) => movePage(ctx.page(req), state, result);

  router.get('/settings/move', (req, res) => sendPage(res, render(req)));
  router.post(
    '/settings/move/export',
    formPost(
      async (req, res) => {
        const file = await moves.exportFor(req.account!, req.memberKey, optional(formBody(req), 'keyPassphrase'));
        res.setHeader('Content-Disposition', 'attachment; filename="parasol-move.json"');
        res.json(file);
      },
      (req, form) => render(req, { section: 'export', form }),
    ),
  );
  router.post(
    '/settings/move/import',
    formPost(
      async (req, res) => {
        const body = formBody(req);
        const input = { ...exportFile(body.file), ...optional(body, 'keyPassphrase'), ...optional(body, 'passphrase') };
        sendPage(res, render(req, undefined, await moves.importFor(req.account!, input)));
      },
      // Passphrases are never sent back; the pasted file is, so that a typo in a passphrase does not mean pasting it again.
      (req, form) => render(req, { section: 'import', form: { ...form, values: { file: form.values?.file ?? '' } } }),
    ),
  );
  return router;
}

function resultSection(ctx: PageContext, result: ImportResult): SafeHtml {
  const { t } = ctx;
  return html`<section aria-labelledby="h-moved" class="card">
<h2 id="h-moved">${icon('check')} ${t('admin_console.move_done', { count: result.relinked })}</h2>
${result.memberKey === 'taken_up' && result.recoveryCodes
  ? html`<p class="notice">${t('admin_console.move_key_taken')}</p>
<ol class="codes">${result.recoveryCodes.map((c) => html`<li><code class="token" dir="ltr">${c}</code></li>`)}</ol>
<p><a href="/login">${icon('login')} ${t('nav.login')}</a></p>`
  : result.memberKey === 'already_taken_up'
    ? html`<p>${t('admin_console.move_key_already')}</p>`
    : ''}
</section>`;
}

function movePage(ctx: PageContext, state?: { section: Section; form: FormState }, result?: ImportResult): SafeHtml {
  const { t } = ctx;
  const s = (section: Section) => (state?.section === section ? state.form : undefined);
  const file = s('import');
  return layout(ctx, {
    title: t('admin_console.move_title'),
    body: html`<h1>${icon('globe')} ${t('admin_console.move_title')}</h1>
<p>${t('admin_console.move_intro')}</p>
${result ? resultSection(ctx, result) : ''}
<section id="export" aria-labelledby="h-move-export">
<h2 id="h-move-export">${t('admin_console.move_export')}</h2>
<p>${t('admin_console.move_export_explain')}</p>
${errorBox(s('export'))}
<form method="post" action="/settings/move/export" class="stack">${csrfField(ctx)}
  ${field(s('export'), { name: 'keyPassphrase', label: t('admin_console.move_seal_passphrase'), hint: t('admin_console.move_seal_hint'), type: 'password', autocomplete: 'new-password', maxlength: 200 })}
  <button type="submit">${icon('key')} ${t('admin_console.move_export_submit')}</button>
</form>
</section>
<section id="import" aria-labelledby="h-move-import">
<h2 id="h-move-import">${t('admin_console.move_import')}</h2>
<p>${t('admin_console.move_import_explain')}</p>
${errorBox(file)}
<form method="post" action="/settings/move/import" class="stack">${csrfField(ctx)}
  <p class="field${file?.fieldErrors?.file ? ' invalid' : ''}"><label for="f-file">${t('admin_console.move_file')}</label>
  <small id="f-file-hint">${t('admin_console.move_file_hint')}</small>
  <textarea id="f-file" name="file" rows="8" required dir="ltr" spellcheck="false" autocomplete="off" aria-describedby="f-file-hint">${file?.values?.file ?? ''}</textarea>
  ${file?.fieldErrors?.file ? html`<span class="problem">${file.fieldErrors.file}</span>` : ''}</p>
  ${field(file, { name: 'keyPassphrase', label: t('admin_console.move_key_passphrase'), hint: t('admin_console.move_key_passphrase_hint'), type: 'password', autocomplete: 'off', maxlength: 200 })}
  ${field(file, { name: 'passphrase', label: t('admin_console.move_passphrase'), hint: t('admin_console.move_passphrase_hint'), type: 'password', autocomplete: 'current-password', maxlength: 200 })}
  <button type="submit" class="primary">${icon('check')} ${t('admin_console.move_import_submit')}</button>
</form>
</section>
<p><a href="/settings">${icon('settings')} ${t('nav.settings')}</a></p>`,
  });
}
