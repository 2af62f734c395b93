/**
 * The one Markdown pipeline: forum posts, room messages and reviews all go
 * through here, so that there is a single place to audit.
 *
 * The subset is deliberately small: paragraphs, line breaks, emphasis, strong,
 * strikethrough, links (typed, `<autolinks>` and bare URLs), lists, blockquotes,
 * inline code and code blocks. No raw HTML (typed HTML is shown as text), no
 * images (an image would make every reader's browser fetch from a host the
 * author picked, leaking readers' IP addresses; image syntax becomes a plain
 * link), no headings, tables or rules.
 *
 * A link is kept only if its destination is an absolute http(s) URL. Anything
 * else (relative, protocol-relative, mailto:, tel:, javascript:, data:, …)
 * loses its link and shows as its text alone. mailto: and tel: go because an
 * e-mail address or phone number in a clickable link is one step from outing
 * someone; relative links go because stored HTML may be shown on other pages
 * and, later, other instances, where they would point somewhere else.
 *
 * markdown-it escapes everything it does not produce itself; sanitize-html then
 * re-parses the result against a strict allow-list, so that a bug or future
 * option in one layer is not enough to get markup through.
 */
import MarkdownIt from 'markdown-it';
import type { StateCore } from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { fieldError } from '../core/errors.js';

/**
 * The longest source accepted, counted as `String#length` (UTF-16 code units),
 * the unit zod's `.max()` uses for BODY_MAX. Services reject longer bodies
 * first; this guard keeps a missed check from becoming a slow render.
 */
export const MARKDOWN_MAX_LENGTH = 20_000;

/** Added to every link: no ranking boost for spam, no window.opener, no Referer leaking which thread a reader came from. */
const LINK_REL = 'nofollow noopener noreferrer ugc';

const ALLOWED_TAGS = ['p', 'br', 'strong', 'em', 's', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a'];

/**
 * Embeddings, overrides and isolates: they let text display in a different
 * order from the one it is stored in ("gpj.exe" showing as "exe.jpg").
 * Marks (U+200E, U+200F, U+061C) cannot reorder a run and right-to-left
 * scripts need no control characters, so Arabic or Hebrew text is unaffected.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

const md = new MarkdownIt('default', {
  html: false,
  breaks: true,
  linkify: true,
  typographer: false,
  // Each blockquote or list level is a recursive call: this bounds the stack
  // whatever the input. Content nested deeper than this is dropped.
  maxNesting: 20,
});
md.disable(['heading', 'lheading', 'hr', 'table', 'image']);
// A bare e-mail address stays text: see mailto: above.
md.linkify.set({ fuzzyEmail: false });
// Accept every destination while parsing so that a refused link still
// consumes its syntax and shows as its text; the policy is applied below.
md.validateLink = () => true;
md.core.ruler.after('linkify', 'parasol_link_policy', applyLinkPolicy);

/**
 * The canonical form of an absolute http(s) URL, or null for anything else.
 * The prefix test runs on the raw string so that nothing a browser might strip
 * or reinterpret (leading controls, entities, backslashes) can sit in front of
 * the scheme; the WHATWG parser then rejects malformed hosts and the serialised
 * form is what every browser will agree on. URLs with a user name are refused:
 * `https://our-org.example@evil.example` reads as a link to our-org.
 */
function safeHref(raw: string): string | null {
  if (!/^https?:\/\//i.test(raw)) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.username === '' && url.password === '' ? url.href : null;
}

function applyLinkPolicy(state: StateCore): void {
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    // Links cannot nest, so a refused link_open is matched by the next link_close.
    let refused = false;
    block.children = block.children.filter((token) => {
      if (token.type === 'link_open') {
        const href = safeHref(String(token.attrGet('href') ?? ''));
        refused = href === null;
        // Titles go too: they are not on the allow-list and only invite tricks.
        if (href !== null) token.attrs = [['href', href]];
        return !refused;
      }
      if (token.type === 'link_close') {
        const keep = !refused;
        refused = false;
        return keep;
      }
      return true;
    });
  }
}

const sanitizeOptions: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: { a: ['href', 'rel'] },
  allowedSchemes: ['http', 'https'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    a: (tagName, attribs) => {
      const href = safeHref(attribs.href ?? '');
      const kept: sanitizeHtml.Attributes = href === null ? {} : { href, rel: LINK_REL };
      return { tagName, attribs: kept };
    },
  },
  // An <a> without href is not a link: keep its text, lose the tag.
  exclusiveFilter: (frame) => (frame.tag === 'a' && !frame.attribs.href ? 'excludeTag' : false),
};

function checkLength(source: string): void {
  if (source.length > MARKDOWN_MAX_LENGTH) {
    throw new RangeError(`Markdown source is ${source.length} characters long; the limit is ${MARKDOWN_MAX_LENGTH}`);
  }
}

/**
 * Markdown to HTML that is safe to insert into a page as is.
 * Empty or whitespace-only source gives ''.
 * @throws RangeError when `source` is longer than MARKDOWN_MAX_LENGTH.
 */
export function renderMarkdown(source: string): string {
  checkLength(source);
  return cleanHtml(md.renderer.render(parsed(source), md.options, {}));
}

type Tokens = ReturnType<typeof md.parse>;
const PARSED_MEMO_SIZE = 4;
const parsedMemo = new Map<string, Tokens>();

/**
 * markdown-it's tokens of `source`, remembered for the last few sources: a new post's HTML and its quote excerpt
 * are made from the same body one after the other, and parsing was a sixth of what a reply cost. Neither the
 * renderer nor markdownToText changes the tokens.
 */
function parsed(source: string): Tokens {
  const known = parsedMemo.get(source);
  if (known !== undefined) return known;
  const tokens = md.parse(source, {});
  parsedMemo.set(source, tokens);
  if (parsedMemo.size > PARSED_MEMO_SIZE) parsedMemo.delete(parsedMemo.keys().next().value!);
  return tokens;
}

/** Whether rendered HTML shows no text at all (only tags, or whitespace): such a body is refused as empty. */
export function isBlankHtml(html: string): boolean {
  return html.replace(/<[^>]*>/g, '').trim() === '';
}

/** A post's or message's body rendered; one that shows nothing is refused (422 on the `body` field). */
export function renderBody(source: string): string {
  const html = renderMarkdown(source);
  if (isBlankHtml(html)) throw fieldError('body', 'validation.empty_body');
  return html;
}

/**
 * The second layer by itself, as renderMarkdown applies it to markdown-it's
 * output. Exported so that it can be tested against raw HTML, which
 * renderMarkdown never lets through to it.
 */
export function cleanHtml(html: string): string {
  return sanitizeHtml(html, sanitizeOptions).replace(BIDI_CONTROLS, '');
}

const words = new Intl.Segmenter('und', { granularity: 'word' });
const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' });

/**
 * Characters past the budget that are segmented too: boundaries depend on what follows them (a dictionary
 * segmenter reads a run of Thai or Chinese as a whole), but not on a whole long post.
 */
const SEGMENT_LOOKAHEAD = 64;

/** The end of the last segment that fits in `budget` code units (0 if none does). */
function lastFit(segmenter: Intl.Segmenter, text: string, budget: number): number {
  let end = 0;
  for (const { index, segment } of segmenter.segment(text.slice(0, budget + SEGMENT_LOOKAHEAD))) {
    if (index + segment.length > budget) break;
    end = index + segment.length;
  }
  return end;
}

/** `text` (plain text) cut as markdownToText cuts it to `maxLength`. */
export function truncate(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const budget = maxLength - 1; // the ellipsis
  // Word segments rather than spaces, so that Chinese or Thai, written without
  // spaces, is still cut between words; a single word longer than the budget
  // (a long URL) is cut between characters, never inside a surrogate pair or
  // a grapheme cluster.
  const cut = lastFit(words, text, budget) || lastFit(graphemes, text, budget);
  return `${text.slice(0, cut).trimEnd()}…`;
}

/**
 * Plain text for previews, notifications and search snippets: the words of
 * the Markdown without its markup, whitespace collapsed to single spaces.
 * The result is TEXT, not HTML: HTML typed in the source comes back verbatim,
 * so it must be escaped wherever it is inserted into a page.
 * With `maxLength` (a positive integer, in UTF-16 code units) a longer text
 * is cut at a word boundary and ends with "…"; the result, ellipsis included,
 * is never longer than `maxLength`.
 * @throws RangeError when `source` is longer than MARKDOWN_MAX_LENGTH or
 * `maxLength` is not a positive integer.
 */
export function markdownToText(source: string, maxLength?: number): string {
  checkLength(source);
  if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength >= 1)) {
    throw new RangeError(`maxLength must be a positive integer, not ${maxLength}`);
  }
  const parts: string[] = [];
  for (const token of parsed(source)) {
    if (token.type === 'inline') {
      for (const child of token.children ?? []) {
        if (child.type === 'text' || child.type === 'code_inline') parts.push(child.content);
        else if (child.type === 'softbreak' || child.type === 'hardbreak') parts.push(' ');
      }
    } else if (token.type === 'fence' || token.type === 'code_block') {
      parts.push(token.content);
    }
    parts.push(' ');
  }
  const text = parts.join('').replace(BIDI_CONTROLS, '').replace(/\s+/g, ' ').trim();
  return maxLength === undefined ? text : truncate(text, maxLength);
}

const EXCERPT_MEMO_SIZE = 2_000;
const excerptMemo = new Map<string, string>();

/**
 * `markdownToText(source, maxLength)`, remembered for the most recently used sources: a quoted post is shown
 * under every reply that quotes it, on every view, and parsing its Markdown again each time was a large part
 * of what a thread page cost.
 */
export function excerpt(source: string, maxLength: number): string {
  const key = `${maxLength}\u0000${source}`;
  const known = excerptMemo.get(key);
  if (known !== undefined) {
    // Map keeps insertion order: re-inserting marks the entry as the newest, so the oldest is evicted first.
    excerptMemo.delete(key);
    excerptMemo.set(key, known);
    return known;
  }
  const text = markdownToText(source, maxLength);
  excerptMemo.set(key, text);
  if (excerptMemo.size > EXCERPT_MEMO_SIZE) excerptMemo.delete(excerptMemo.keys().next().value!);
  return text;
}
