import { html, type SafeHtml } from '../views/html.js';
import type { PageContext } from '../views/layout.js';
import type { PhotoView } from './media.service.js';

/**
 * Thumbnails sized for cheap phones, lazy-loaded with their size given so the page does not jump; each opens the
 * larger version. A sensitive photo shows the blurred stand-in the server made (inlined, a few hundred bytes), and
 * client/photo-cover.js puts the thumbnail in its place when tapped; without JavaScript a tap opens the photo. A
 * remote picture that could not be fetched is a placeholder without a link.
 */
export function photoGallery(ctx: PageContext, photos: readonly PhotoView[] | undefined): SafeHtml {
  if (!photos || photos.length === 0) return html``;
  const label = ctx.t('photos_ui.sensitive_label');
  return html`<ul class="photos">${photos.map((photo) =>
    photo.unavailable
      ? html`<li><span class="photo unavailable" role="img" aria-label="${photo.alt}">${ctx.t('media.unavailable')}</span></li>`
      : photo.sensitive
        ? html`<li><a class="photo" href="${photo.url}" data-label="${label}"><img src="${photo.preview ?? photo.thumbUrl}" data-thumb="${photo.thumbUrl}" width="${photo.thumbWidth}" height="${photo.thumbHeight}" alt="${photo.alt}" data-sensitive></a></li>`
        : html`<li><a class="photo" href="${photo.url}"><img src="${photo.thumbUrl}" width="${photo.thumbWidth}" height="${photo.thumbHeight}" alt="${photo.alt}" loading="lazy" decoding="async"></a></li>`,
  )}</ul>`;
}
