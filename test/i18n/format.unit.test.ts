import assert from 'node:assert/strict';
import path from 'node:path';
import { formatDay, formatDuration, formatNumber, formatRelative, formatTime } from '../../server/i18n/format.js';
import { loadI18n } from '../../server/i18n/i18n.js';
import { ltrNumbers } from '../../server/views/layout.js';

const i18n = loadI18n(path.resolve('locales'), 'en');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LATIN_DIGIT = /[0-9]/;
const MYANMAR_DIGIT = /[\u1040-\u1049]/;

describe('formatting per locale', () => {
  it('says a duration in its largest whole unit, in words of the locale', () => {
    assert.equal(formatDuration('en', 720), '12 hours');
    assert.equal(formatDuration('en', 168 * 60), '7 days');
    assert.equal(formatDuration('en', 60), '1 hour');
    assert.equal(formatDuration('en', 90), '90 minutes');
    assert.equal(formatDuration('en', 15), '15 minutes');
    // French and Spanish put a no-break space between the number and the unit.
    assert.equal(formatDuration('fr', 720).replace(/\s/g, ' '), '12 heures');
    assert.equal(formatDuration('es', 10080).replace(/\s/g, ' '), '7 días');
    assert.equal(formatDuration('ar', 720), new Intl.NumberFormat('ar', { style: 'unit', unit: 'hour', unitDisplay: 'long' }).format(12));
  });

  it('says how long ago or ahead a moment is, with the locale’s own words', () => {
    const now = Date.UTC(2026, 11, 6, 12, 0);
    assert.equal(formatRelative('en', now - 3 * HOUR, now), '3 hours ago');
    assert.equal(formatRelative('en', now + 2 * HOUR + 5 * 60_000, now), 'in 2 hours');
    assert.equal(formatRelative('en', now - DAY, now), 'yesterday');
    assert.equal(formatRelative('en', now + 20_000, now), 'now');
    assert.equal(formatRelative('es', now - 5 * 60_000, now), 'hace 5 minutos');
    // Past a week the date says more than "in 12 days".
    assert.equal(formatRelative('en', now + 12 * DAY, now), formatTime('en', now + 12 * DAY));
  });

  it('dates in the locale’s own style, not "2026 M12 6"', () => {
    const when = Date.UTC(2026, 11, 6, 12, 0);
    for (const locale of i18n.locales) {
      assert.doesNotMatch(formatDay(locale, when), /M12/, locale);
      assert.doesNotMatch(formatTime(locale, when), /M12/, locale);
    }
  });

  it('Burmese uses one digit system everywhere: dates, durations, counts and the numbers in messages', () => {
    const texts = [
      formatDay('my', Date.UTC(2026, 11, 6)),
      formatTime('my', Date.UTC(2026, 11, 6, 23, 58)),
      formatDuration('my', 720),
      formatNumber('my', 1234),
      formatRelative('my', Date.UTC(2026, 11, 6, 9), Date.UTC(2026, 11, 6, 12)),
      i18n.t('my', 'signup.handle_hint', { min: 3, max: 30 }),
      i18n.t('my', 'recover.codes_left', { count: 7 }),
      i18n.t('my', 'validation.too_long', { max: 200 }),
    ];
    for (const text of texts) {
      assert.doesNotMatch(text, LATIN_DIGIT, text);
      assert.match(text, MYANMAR_DIGIT, text);
    }
    // Handles and other text given as a parameter are left as they are.
    assert.match(i18n.t('my', 'validation.not_a_buddy', { handle: 'ana_2026' }), /ana_2026/);
    // Languages written with 0-9 keep them, without grouping a plain number.
    assert.equal(i18n.t('en', 'validation.too_long', { max: 2000 }), 'At most 2000 characters.');
  });

  it('names the country of a message in the reader’s language', () => {
    assert.match(i18n.t('en', 'validation.phone_format', { country: 'EG' }), /Egypt/);
    assert.match(i18n.t('ar', 'validation.phone_format', { country: 'EG' }), /مصر/);
    assert.match(i18n.t('fr', 'layout.phone_local', { country: 'EG', dial: '+20' }), /Égypte/);
  });

  it('names the field in the member’s language, and never the field’s name in the code', () => {
    assert.equal(i18n.t('en', 'error.validation_failed', { field: 'handle' }), 'Please check your made-up name.');
    assert.equal(i18n.t('en', 'error.validation_failed', { field: 'other' }), 'Please check the fields marked below.');
    for (const locale of i18n.locales) {
      for (const field of ['identifier', 'duration', 'kind', 'other']) assert.doesNotMatch(i18n.t(locale, 'error.validation_failed', { field }), new RegExp(`\\b${field}\\b`), `${locale} ${field}`);
    }
  });

  it('isolates phone numbers so that a right-to-left page keeps their digit groups in order', () => {
    assert.equal(ltrNumbers('اتصل +20 100 123 4567 الآن'), 'اتصل \u2066+20 100 123 4567\u2069 الآن');
    assert.equal(ltrNumbers('no number here, only 42'), 'no number here, only 42');
  });
});
