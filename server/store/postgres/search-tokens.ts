/**
 * The words PostgreSQL's text index holds and a search looks for. The index
 * is built from these lists (array_to_tsvector), never from PostgreSQL's own
 * parser, whose idea of a letter depends on the database's locale: under some
 * locales it splits Thai and Burmese words at their combining vowel signs.
 * Words are split exactly as the other adapters' tokenisers see them
 * (searchableText puts spaces between the words of scripts written without
 * spaces), then lower-cased and stripped of the diacritics of Latin, Greek and
 * Cyrillic letters, as SQLite's unicode61 tokenizer with remove_diacritics and
 * MongoDB's text index do. Marks of other scripts are letters' parts
 * (Thai vowels, Burmese medials) and stay.
 */
import { searchableText, searchTerms } from '../query.js';

const NOT_WORD = /[^\p{L}\p{N}\p{M}]+/u;
const ACCENTED = /([\p{scx=Latin}\p{scx=Greek}\p{scx=Cyrillic}])\p{M}+/gu;
/** PostgreSQL refuses a tsvector or tsquery lexeme of 2 KB or more. */
const MAX_LEXEME_BYTES = 2046;

function fold(word: string): string {
  return word.normalize('NFD').replace(ACCENTED, '$1').normalize('NFC').toLowerCase();
}

/** The words of a text field's value; null when it holds no string or no word (only strings are indexed, as on MongoDB). */
export function indexedWords(value: unknown): string[] | null {
  if (typeof value !== 'string') return null;
  const words = new Set<string>();
  for (const word of searchableText(value).split(NOT_WORD)) {
    if (word === '') continue;
    const folded = fold(word);
    // A longer word cannot be indexed; searching for it finds nothing (see searchQuery).
    if (Buffer.byteLength(folded) <= MAX_LEXEME_BYTES) words.add(folded);
  }
  return words.size > 0 ? [...words] : null;
}

/**
 * The tsquery text requiring every word of the search (AND), or null when
 * nothing can match: no word, or a word too long to have been indexed. Each
 * word is a quoted lexeme, so no character in it becomes query syntax.
 */
export function searchQuery(text: string): string | null {
  const words = [...new Set(searchTerms(text).map(fold))].filter((word) => word !== '');
  if (words.length === 0 || words.some((word) => Buffer.byteLength(word) > MAX_LEXEME_BYTES)) return null;
  return words.map((word) => `'${word.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`).join(' & ');
}
