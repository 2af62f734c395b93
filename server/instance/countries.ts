import { createRequire } from 'node:module';
import type * as PhoneNumbers from 'libphonenumber-js';

const require = createRequire(import.meta.url);
let library: typeof PhoneNumbers | null = null;
let known: ReadonlySet<string> | null = null;

/**
 * The phone-number library (libphonenumber-js, its code and metadata), loaded when a country or a phone number is
 * first read rather than at start.
 */
export function phoneNumbers(): typeof PhoneNumbers {
  return (library ??= require('libphonenumber-js') as typeof PhoneNumbers);
}

function countries(): ReadonlySet<string> {
  return (known ??= new Set<string>(phoneNumbers().getCountries()));
}

/** Whether `code` is a country whose phone numbers can be read (an ISO 3166 code that the phone library knows). */
export function isCountry(code: string): boolean {
  return countries().has(code);
}

/** The country's calling code without "+", e.g. "20" for Egypt. */
export function callingCode(code: string): string {
  return isCountry(code) ? phoneNumbers().getCountryCallingCode(code as PhoneNumbers.CountryCode) : '';
}

/** Every country, named in `locale` and sorted as that language sorts, for the setup form. */
export function countryChoices(locale: string): { readonly code: string; readonly name: string }[] {
  const names = new Intl.DisplayNames([locale], { type: 'region' });
  const collator = new Intl.Collator(locale);
  return [...countries()].map((code) => ({ code, name: names.of(code) ?? code })).sort((a, b) => collator.compare(a.name, b.name));
}
