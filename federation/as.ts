import { z } from 'zod';
import { escapeHtml } from '../server/views/html.js';

/**
 * Reading ActivityStreams values as apex's compacted JSON-LD gives them:
 * arrays almost everywhere, objects or IRIs alike. The first value is the
 * one that counts.
 */
/** The public collection, always written out in full: Lemmy reads `to` and `cc` as plain URLs, not as JSON-LD. */
export const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';
const PUBLIC_FORMS = new Set(['as:Public', 'Public', PUBLIC]);
const expandPublic = (value: unknown): unknown => (typeof value === 'string' && PUBLIC_FORMS.has(value) ? PUBLIC : value);

/**
 * JSON.stringify's replacer for what is sent or served: apex's private keys (`_…`, `bto`, `bcc`) left out, and the
 * public collection in `to` and `cc` in full where apex's JSON-LD compaction wrote `as:Public`.
 */
export function publicJsonReplacer(key: string, value: unknown): unknown {
  if (key.startsWith('_') || key === 'bto' || key === 'bcc') return undefined;
  if (key === 'to' || key === 'cc') return Array.isArray(value) ? value.map(expandPublic) : expandPublic(value);
  return value;
}

export const first = (value: unknown): unknown => (Array.isArray(value) ? value[0] : value);

export const idOf = (value: unknown): string | null => {
  const v = first(value);
  if (typeof v === 'string') return v;
  return v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : null;
};

export const ids = (value: unknown): string[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(idOf).filter((v): v is string => !!v);

export const text = (value: unknown): string | null => {
  const v = first(value);
  return typeof v === 'string' ? v : null;
};

export const sameOrigin = (a: string, b: string): boolean => {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
};

export const originOf = (iri: string): string | null => {
  try {
    return new URL(iri).origin;
  } catch {
    return null;
  }
};

/** The host (with its port, if any) of an IRI; URLs keep host names in lower case. */
export const hostOf = (iri: string): string | null => {
  try {
    return new URL(iri).host;
  } catch {
    return null;
  }
};

export const dateOf = (value: string | null): number | null => {
  if (!value) return null;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : null;
};

export const POST_TYPES: ReadonlySet<string> = new Set(['Page', 'Note', 'Article']);

/** What a post (a Page, a Note or an Article) must carry once read from JSON-LD; anything else is refused. */
const postObject = z.object({
  id: z.url(),
  type: z.enum(['Page', 'Note', 'Article']),
  attributedTo: z.url(),
  content: z.string().max(200_000),
  name: z.string().max(1000).nullable(),
  summary: z.string().max(1000).nullable(),
  sensitive: z.boolean(),
  /** The link of a link post (Lemmy, Mbin and lotide send it as a Link attachment). */
  link: z.url({ protocol: /^https?$/ }).max(2000).nullable(),
  context: z.url().nullable(),
  inReplyTo: z.url().nullable(),
  published: z.string().nullable(),
  updated: z.string().nullable(),
});

export type PostObject = z.infer<typeof postObject>;

/** The href of the first Link attachment, as Lemmy and Mbin send a link post's link. */
function linkOf(attachment: unknown): string | null {
  for (const item of Array.isArray(attachment) ? attachment : attachment ? [attachment] : []) {
    if (!item || typeof item !== 'object' || (item as { type?: unknown }).type !== 'Link') continue;
    const href = idOf((item as { href?: unknown }).href);
    if (href) return href;
  }
  return null;
}

export function readPostObject(o: Record<string, unknown>): ReturnType<typeof postObject.safeParse> {
  return postObject.safeParse({
    id: o.id,
    type: o.type,
    attributedTo: idOf(o.attributedTo),
    content: text(o.content) ?? '',
    name: text(o.name),
    summary: text(o.summary),
    sensitive: first(o.sensitive) === true,
    link: linkOf(o.attachment),
    context: idOf(o.context),
    inReplyTo: idOf(o.inReplyTo),
    published: text(o.published),
    updated: text(o.updated),
  });
}

const TITLE_WORDS = 80;

/** The words a piece of HTML shows, as plain text. */
export function htmlText(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0*39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * How a post from another server is shown, as its server means it:
 * - `summary` is a content warning only on a `Note` marked `sensitive` (as Mastodon sends one); anywhere else (a
 *   NodeBB Article's summary, say) it is shown as plain text before the post;
 * - a link post's link is shown after the post as a plain link (nothing is fetched from it), so a link post
 *   without a body still shows something;
 * - a thread without a title (a Mastodon or Mitra Note starting a thread) takes its first words.
 * The HTML is not cleaned here: whoever keeps or shows it cleans it.
 */
export function postShown(post: PostObject): { html: string; contentWarning: string | null; title: string } {
  const contentWarning = post.type === 'Note' && post.sensitive && post.summary ? post.summary : null;
  const summary = post.summary && !contentWarning ? `<p>${escapeHtml(htmlText(post.summary))}</p>` : '';
  const link = post.link && !post.content.includes(post.link) ? `<p><a href="${escapeHtml(post.link)}">${escapeHtml(post.link)}</a></p>` : '';
  const html = `${summary}${post.content}${link}`;
  const words = htmlText(post.content) || post.link || htmlText(post.summary ?? '');
  const title = post.name?.trim() || (words.length > TITLE_WORDS ? `${words.slice(0, TITLE_WORDS - 1).replace(/\s+\S*$/, '')}…` : words);
  return { html, contentWarning, title };
}
