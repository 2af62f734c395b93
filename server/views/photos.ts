import { html, type SafeHtml } from './html.js';
import type { PageContext } from './layout.js';

/**
 * The photo parts of pages, as client/photo-cover.js expects them (the field names are fixed between the upload
 * routes and the script):
 * - a form that carries photos opens with `photoFormAttributes` (multipart, `data-photos`, the script's texts);
 * - `photoFields` is its file input (`name="photos"`, `data-photo-input`, no `capture`, so a phone offers the camera
 *   and the gallery) and, for browsers without JavaScript, one alt text field (`alt`, repeated in order) and one
 *   sensitive checkbox (`sensitive`, value = the photo's place) per photo, which the script replaces with its own;
 * - `photoThumbnails` shows stored photos: a thumbnail with width and height (the page does not jump), lazy-loaded,
 *   linking to the large version; a sensitive one is blurred until tapped;
 * - `keepOriginalsNotice` tells whoever may need a photo in court to keep the original.
 */

export const MAX_PHOTOS = 4;
export const PHOTO_TYPES = 'image/jpeg,image/png,image/webp,image/gif';
/** Mastodon's limit for a description, so that an alt text written here federates whole. */
export const MAX_ALT_LENGTH = 1500;

/** What a page needs of a stored photo to show it. */
export interface PhotoThumbnail {
  readonly id: string;
  readonly alt: string;
  readonly sensitive: boolean;
  readonly thumbWidth: number;
  readonly thumbHeight: number;
}

export function photoFormAttributes(ctx: PageContext): SafeHtml {
  const { t } = ctx;
  const texts = {
    cover_box: t('photos_ui.cover_box'),
    cover_blur: t('photos_ui.cover_blur'),
    cover_hint: t('photos_ui.cover_hint'),
    undo: t('photos_ui.undo'),
    remove: t('photos_ui.remove'),
    alt_label: t('photos_ui.alt_label'),
    sensitive: t('photos_ui.sensitive'),
    too_many: t('photos_ui.too_many', { max: MAX_PHOTOS }),
    unreadable: t('photos_ui.unreadable'),
    preparing: t('photos_ui.preparing'),
    failed: t('photos_ui.failed'),
  };
  return html`enctype="multipart/form-data" data-photos data-alt-default="${t('photos_ui.alt_default')}" data-photo-texts="${JSON.stringify(texts)}"`;
}

/** `prefix` keeps the ids apart when a page has more than one form with photos. */
export function photoFields(ctx: PageContext, prefix = 'photos'): SafeHtml {
  const { t } = ctx;
  const places = Array.from({ length: MAX_PHOTOS }, (_, i) => i);
  return html`<div class="field photo-field">
<label for="${prefix}-input">${t('photos_ui.choose', { max: MAX_PHOTOS })}</label>
<small id="${prefix}-hint">${t('photos_ui.choose_hint')}</small>
<input type="file" id="${prefix}-input" name="photos" accept="${PHOTO_TYPES}" multiple data-photo-input aria-describedby="${prefix}-hint">
<fieldset class="photo-fields" data-photo-fields><legend>${t('photos_ui.describe')}</legend>
${places.map(
  (i) => html`<p class="field"><label for="${prefix}-alt-${i}">${t('photos_ui.alt_numbered', { n: i + 1 })}</label><input id="${prefix}-alt-${i}" name="alt" maxlength="${MAX_ALT_LENGTH}"></p>
<label class="check"><input type="checkbox" name="sensitive" value="${i}"> ${t('photos_ui.sensitive_numbered', { n: i + 1 })}</label>`,
)}
</fieldset>
</div>`;
}

export function photoThumbnails(ctx: PageContext, photos: readonly PhotoThumbnail[]): SafeHtml {
  if (photos.length === 0) return html``;
  const label = ctx.t('photos_ui.sensitive_label');
  return html`<ul class="photos">${photos.map(
    (p) =>
      html`<li><a class="photo" href="/media/${p.id}" ${p.sensitive ? html`data-label="${label}"` : ''}><img src="/media/${p.id}/thumb" width="${p.thumbWidth}" height="${p.thumbHeight}" alt="${p.alt}" loading="lazy" decoding="async" ${p.sensitive ? 'data-sensitive' : ''}></a></li>`,
  )}</ul>`;
}

export function keepOriginalsNotice(ctx: PageContext): SafeHtml {
  return html`<p class="notice">${ctx.t('photos_ui.keep_originals')}</p>`;
}
