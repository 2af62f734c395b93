import { html, type SafeHtml } from '../views/html.js';
import { icon, layout, type PageContext } from '../views/layout.js';

/** The commands docs/evidence.md explains, with this site's key address in the first. */
const checkCommands = (keyUrl: string): string =>
  [
    `curl -s ${keyUrl} > instance-key.pem`,
    'unzip evidence.zip -d evidence && cd evidence',
    'openssl base64 -d -A -in manifest.sig -out manifest.sig.bin',
    'openssl dgst -sha256 -verify ../instance-key.pem -signature manifest.sig.bin manifest.json',
    'sha256sum photo-*',
    'openssl pkey -pubin -in ../instance-key.pem -outform DER | sha256sum',
  ].join('\n');

/**
 * The page that publishes the instance's signing key for whoever checks an evidence export (docs/evidence.md): the
 * key as a file to download, its fingerprint to compare with what the organisation confirms, and how to check.
 */
export function evidenceKeyPage(ctx: PageContext, key: { readonly path: string; readonly url: string; readonly publicKeyPem: string; readonly fingerprint: string }): SafeHtml {
  const { t } = ctx;
  const commands = checkCommands(key.url);
  return layout(ctx, {
    title: t('mediaRest.key_title'),
    body: html`<h1>${icon('key')} ${t('mediaRest.key_title')}</h1>
<p>${t('mediaRest.key_intro')}</p>
<p><a href="${key.path}" download>${icon('check')} ${t('mediaRest.key_download')}</a></p>
<h2>${t('mediaRest.key_fingerprint')}</h2>
<p><code dir="ltr">${key.fingerprint}</code></p>
<p><small>${t('mediaRest.key_fingerprint_hint')}</small></p>
<p>${t('mediaRest.key_how')}</p>
<pre dir="ltr">${commands}</pre>
<pre dir="ltr">${key.publicKeyPem}</pre>`,
  });
}
