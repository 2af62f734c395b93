import { markdownToText } from '../content/markdown.js';

/** How much of a quoted post a quote shows, in UTF-16 code units. */
export const QUOTE_EXCERPT_LENGTH = 200;

/** What a quote of a post with this body shows of it (plain text: escape it where it goes into HTML). */
export const quoteExcerpt = (body: string): string => markdownToText(body, QUOTE_EXCERPT_LENGTH);
