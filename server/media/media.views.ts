import { html, type SafeHtml } from '../views/html.js';
import type { PageContext } from '../views/layout.js';
import type { PhotoView } from './media.service.js';
import { MAX_PHOTOS } from './media.schemas.js';

/** The attribute a form that carries photos needs besides its fields: the browser sends files only multipart. */
export const PHOTO_FORM_ATTRS = html`enctype="multipart/form-data" data-photos`;

/**
 * The photo fields of a form, folded away until asked for. Without JavaScript the member picks up to four files
 * (the camera or the gallery: no `capture` attribute, which would hide the gallery) and writes a description and
 * the sensitive mark per photo, in order; client/photo-cover.js replaces this with a preview per photo and the
 * cover tool.
 */
export function photoFields(ctx: PageContext): SafeHtml {
  const slots = Array.from({ length: MAX_PHOTOS }, (_, i) => i);
  return html`<details class="photo-fields">
  <summary>${ctx.t('media.add_photos')}</summary>
  <p class="field"><label for="f-photos">${ctx.t('media.choose', { max: MAX_PHOTOS })}</label>
  <small id="f-photos-hint">${ctx.t('media.stripped_hint')}</small>
  <input id="f-photos" name="photos" type="file" accept="image/jpeg,image/png,image/webp,image/gif" multiple data-photo-input aria-describedby="f-photos-hint"></p>
  <div class="photo-slots" data-photo-slots>${slots.map(
    (i) => html`<fieldset class="photo-slot"><legend>${ctx.t('media.photo_n', { n: i + 1 })}</legend>
    <p class="field"><label for="f-alt-${i}">${ctx.t('media.alt_label')}</label>
    <input id="f-alt-${i}" name="alt" type="text" maxlength="1000" value="${ctx.t('media.alt_default')}"></p>
    <p class="check"><input id="f-sensitive-${i}" name="sensitive" type="checkbox" value="${i}"> <label for="f-sensitive-${i}">${ctx.t('media.sensitive_label')}</label></p></fieldset>`,
  )}</div>
</details>`;
}

/**
 * Thumbnails sized for cheap phones, lazy-loaded with their size given so the page does not jump; each opens the
 * larger version. A sensitive photo shows only its blurred stand-in (inlined, a few hundred bytes) until opened.
 */
export function photoGallery(ctx: PageContext, photos: readonly PhotoView[] | undefined): SafeHtml {
  if (!photos || photos.length === 0) return html``;
  return html`<ul class="photos">${photos.map((photo) =>
    photo.unavailable
      ? html`<li><span class="photo unavailable" role="img" aria-label="${photo.alt}">${ctx.t('media.unavailable')}</span></li>`
      : photo.sensitive
      ? html`<li><a class="photo sensitive" href="${photo.url}"><img src="${photo.preview ?? photo.thumbUrl}" width="${photo.thumbWidth}" height="${photo.thumbHeight}" alt="${photo.alt}" data-sensitive><span>${ctx.t('media.sensitive_open')}</span></a></li>`
      : html`<li><a class="photo" href="${photo.url}"><img src="${photo.thumbUrl}" width="${photo.thumbWidth}" height="${photo.thumbHeight}" alt="${photo.alt}" loading="lazy" decoding="async"></a></li>`,
  )}</ul>`;
}
