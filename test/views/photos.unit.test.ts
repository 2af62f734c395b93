import assert from 'node:assert/strict';
import path from 'node:path';
import { DomUtils, parseDocument } from 'htmlparser2';
import { loadI18n } from '../../server/i18n/i18n.js';
import { html } from '../../server/views/html.js';
import type { PageContext } from '../../server/views/layout.js';
import { keepOriginalsNotice, photoFields, photoFormAttributes, photoThumbnails, PHOTO_TYPES } from '../../server/views/photos.js';
import { repoRoot } from '../helpers/process.js';

const i18n = loadI18n(path.join(repoRoot, 'locales'), 'en');

function context(locale: string): PageContext {
  return {
    t: (key, params) => i18n.t(locale, key, params),
    locale,
    dir: i18n.meta(locale).dir,
    csrfToken: '',
    path: '/',
    instanceName: 'Parasol',
    discreet: false,
    genericTitles: false,
    favicon: 'umbrella.svg',
    quickExitUrl: 'https://example.org/',
    account: null,
    languages: [],
    unseenNotifications: 0,
    unreadMessages: 0,
    country: 'US',
  };
}

const parse = (markup: string) => parseDocument(markup);
const all = (markup: string, tag: string) => DomUtils.findAll((el) => el.name === tag, parse(markup).children);

describe('photo views', () => {
  const en = context('en');

  it('opens a form that carries photos as multipart, with the texts client/photo-cover.js shows, in every language', () => {
    for (const locale of i18n.locales) {
      const [form] = all(html`<form method="post" action="/x" ${photoFormAttributes(context(locale))}></form>`.toString(), 'form');
      assert.equal(form!.attribs.enctype, 'multipart/form-data');
      assert.equal(form!.attribs['data-photos'], '');
      assert.equal(form!.attribs['data-alt-default'], i18n.t(locale, 'photos_ui.alt_default'));
      const texts = JSON.parse(form!.attribs['data-photo-texts']!) as Record<string, string>;
      assert.deepEqual(Object.keys(texts).sort(), ['alt_label', 'cover_blur', 'cover_box', 'cover_hint', 'failed', 'preparing', 'remove', 'sensitive', 'too_many', 'undo', 'unreadable']);
      for (const [key, value] of Object.entries(texts)) assert.ok(value && !value.startsWith('photos_ui.'), `${locale}: ${key}`);
      // In the locale's own digits (Burmese writes ၄).
      assert.ok(texts.too_many!.includes(new Intl.NumberFormat(locale).format(4)), `${locale}: the limit is in the message`);
    }
  });

  it('offers the picker with camera and gallery (no capture), and one alt field and sensitive box per photo for browsers without JavaScript', () => {
    const markup = photoFields(en, 'reply').toString();
    const [input] = all(markup, 'input').filter((i) => i.attribs.type === 'file');
    assert.deepEqual(
      { name: input!.attribs.name, accept: input!.attribs.accept, multiple: 'multiple' in input!.attribs, marked: 'data-photo-input' in input!.attribs, capture: 'capture' in input!.attribs },
      { name: 'photos', accept: PHOTO_TYPES, multiple: true, marked: true, capture: false },
    );
    assert.equal(PHOTO_TYPES, 'image/jpeg,image/png,image/webp,image/gif');
    const [fields] = all(markup, 'fieldset');
    assert.ok(fields && 'data-photo-fields' in fields.attribs, 'the no-JavaScript fields are marked for the script');
    const inner = DomUtils.getOuterHTML(fields);
    assert.deepEqual(all(inner, 'input').filter((i) => i.attribs.name === 'alt').map((i) => i.attribs.id), ['reply-alt-0', 'reply-alt-1', 'reply-alt-2', 'reply-alt-3']);
    assert.deepEqual(all(inner, 'input').filter((i) => i.attribs.name === 'sensitive').map((i) => i.attribs.value), ['0', '1', '2', '3']);
    const labels = all(inner, 'label').map((l) => DomUtils.textContent(l).trim());
    assert.ok(labels.includes(en.t('photos_ui.alt_numbered', { n: 3 })), 'each alt field is labelled with its photo');
  });

  it('shows thumbnails sized and lazy, linking to the large version, a sensitive one marked, alt text escaped', () => {
    const markup = photoThumbnails(en, [
      { id: 'Vq3x9f2L0aZk', alt: 'A bruised arm "><script>alert(1)</script>', sensitive: true, thumbWidth: 320, thumbHeight: 240 },
      { id: 'P0kT71bnQ4cE', alt: 'A street corner', sensitive: false, thumbWidth: 240, thumbHeight: 320 },
    ]).toString();
    assert.equal(all(markup, 'script').length, 0, 'alt text cannot open an element');
    const links = all(markup, 'a');
    assert.deepEqual(links.map((a) => a.attribs.href), ['/media/Vq3x9f2L0aZk', '/media/P0kT71bnQ4cE']);
    assert.equal(links[0]!.attribs['data-label'], en.t('photos_ui.sensitive_label'));
    assert.equal('data-label' in links[1]!.attribs, false);
    const imgs = all(markup, 'img');
    assert.deepEqual(
      imgs.map((i) => [i.attribs.src, i.attribs.width, i.attribs.height, i.attribs.loading, i.attribs.alt, 'data-sensitive' in i.attribs]),
      [
        ['/media/Vq3x9f2L0aZk/thumb', '320', '240', 'lazy', 'A bruised arm "><script>alert(1)</script>', true],
        ['/media/P0kT71bnQ4cE/thumb', '240', '320', 'lazy', 'A street corner', false],
      ],
    );
    assert.equal(photoThumbnails(en, []).toString(), '');
  });

  it('tells whoever may need a photo in court to keep the original, in their language', () => {
    assert.match(keepOriginalsNotice(en).toString(), /keep the original photos on your own phone.*ProofMode/);
    for (const locale of i18n.locales) assert.match(keepOriginalsNotice(context(locale)).toString(), /ProofMode/, locale);
  });
});
