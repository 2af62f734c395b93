import { getCountries, getCountryCallingCode, type CountryCode } from 'libphonenumber-js';

const known = new Set<string>(getCountries());

/** Whether `code` is a country whose phone numbers can be read (an ISO 3166 code that the phone library knows). */
export function isCountry(code: string): boolean {
  return known.has(code);
}

/** The country's calling code without "+", e.g. "20" for Egypt. */
export function callingCode(code: string): string {
  return isCountry(code) ? getCountryCallingCode(code as CountryCode) : '';
}

/** Every country, named in `locale` and sorted as that language sorts, for the setup form. */
export function countryChoices(locale: string): { readonly code: string; readonly name: string }[] {
  const names = new Intl.DisplayNames([locale], { type: 'region' });
  const collator = new Intl.Collator(locale);
  return [...known].map((code) => ({ code, name: names.of(code) ?? code })).sort((a, b) => collator.compare(a.name, b.name));
}
