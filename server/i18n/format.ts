/**
 * Every number, time and duration a page shows is formatted here, with the reader's locale, so that a page never
 * mixes digit systems (Burmese reads Myanmar digits everywhere ICU gives them) or month styles.
 * `Intl.DurationFormat` is not in Node 20 or 22: a duration is one whole unit with `Intl.NumberFormat`'s unit style.
 */

// Building a formatter costs far more than using one (and holds native memory): one per locale and style.
const cache = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat | Intl.RelativeTimeFormat>();

function cached<F extends Intl.DateTimeFormat | Intl.NumberFormat | Intl.RelativeTimeFormat>(key: string, make: () => F): F {
  let found = cache.get(key) as F | undefined;
  if (!found) {
    found = make();
    cache.set(key, found);
  }
  return found;
}

const dayFormat = (locale: string) => cached(`day|${locale}`, () => new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }));
const timeFormat = (locale: string) => cached(`time|${locale}`, () => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }));

/** A calendar day ("6 Dec 2026"). */
export function formatDay(locale: string, ms: number): string {
  return dayFormat(locale).format(ms);
}

/** A moment, to the minute ("6 Dec 2026, 23:58"). */
export function formatTime(locale: string, ms: number): string {
  return timeFormat(locale).format(ms);
}

/** A count, in the locale's digits and grouping. */
export function formatNumber(locale: string, value: number): string {
  return cached(`number|${locale}`, () => new Intl.NumberFormat(locale)).format(value);
}

type DurationUnit = 'minute' | 'hour' | 'day';

function unitFormat(locale: string, unit: DurationUnit): Intl.NumberFormat {
  return cached(`unit|${unit}|${locale}`, () => new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long', maximumFractionDigits: 1 }));
}

/**
 * A length of time given in minutes, in the largest unit that says it in a whole number: 720 → "12 hours",
 * 10080 → "7 days", 90 → "90 minutes".
 */
export function formatDuration(locale: string, minutes: number): string {
  if (minutes !== 0 && minutes % 1440 === 0) return unitFormat(locale, 'day').format(minutes / 1440);
  if (minutes !== 0 && minutes % 60 === 0) return unitFormat(locale, 'hour').format(minutes / 60);
  return unitFormat(locale, 'minute').format(minutes);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * How long ago or ahead `ms` is from `now`, in the locale's words ("3 hours ago", "tomorrow", "in 5 minutes"). Past a
 * week the date itself says more.
 */
export function formatRelative(locale: string, ms: number, now: number): string {
  const delta = ms - now;
  const size = Math.abs(delta);
  if (size >= 7 * DAY) return formatTime(locale, ms);
  const format = cached(`relative|${locale}`, () => new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }));
  if (size < MINUTE) return format.format(0, 'second');
  if (size < HOUR) return format.format(Math.trunc(delta / MINUTE), 'minute');
  if (size < DAY) return format.format(Math.trunc(delta / HOUR), 'hour');
  return format.format(Math.trunc(delta / DAY), 'day');
}
