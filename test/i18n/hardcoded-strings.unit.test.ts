/**
 * No user-facing text bypasses the catalogues.
 *
 *  1. Every `html` tagged template in server/**\/*.ts: the visible text (what is left once the ${…}
 *     expressions, tags, comments, entities, punctuation, digits and symbols are gone) and the
 *     user-visible attributes (title, placeholder, aria-label, alt, label, value of buttons, texts
 *     the client scripts read from data-*) hold no letters: they come from t(…). Nor does a literal
 *     written straight into a ${…} that is shown (`${open ? 'Open' : ''}`).
 *  2. Every client/*.js: no literal with letters is put on the page (textContent, innerHTML, title,
 *     alert, createTextNode, …) and no literal reads like prose. Client scripts take their texts
 *     from data-* attributes the server renders from the catalogues.
 *  3. Every key of en.json is used by server/, federation/ or client/ code (no stale keys).
 *
 * The source is read with a small JavaScript/TypeScript scanner (strings, comments, regular
 * expressions, template literals nested to any depth inside ${…}), not with regular expressions
 * over the whole file; a test checks it finds exactly the templates the TypeScript parser finds.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { flattenCatalogue } from '../../server/i18n/i18n.js';

// ---- the scanner -----------------------------------------------------------------------------

type TokenType = 'ident' | 'punct' | 'num' | 'string' | 'regex' | 'tpl';

interface Token {
  readonly type: TokenType;
  /** Identifier, punctuator or number as written; a string's content; a template part's raw text. */
  readonly value: string;
  /** Offset in the source of the token (of a template part: of its first character of text). */
  readonly start: number;
  /** For template parts: which template, which part, and whether a ${ follows it. */
  readonly tpl?: { readonly id: number; readonly index: number; readonly open: boolean };
}

export interface Template {
  readonly id: number;
  /** The identifier just before the backtick (`html` for html`…`), if any. */
  readonly tag: string | null;
  /** Offset of the opening backtick. */
  readonly start: number;
  /** The static parts, in order, with the offset of each in the source. */
  readonly parts: readonly { readonly text: string; readonly start: number }[];
}

const KEYWORDS_BEFORE_EXPRESSION = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await',
]);
const PUNCTUATORS = /^(?:>>>=|\.\.\.|===|!==|\*\*=|<<=|>>=|>>>|\?\?=|&&=|\|\|=|=>|==|!=|<=|>=|&&|\|\||\?\?|\?\.(?!\d)|\+\+|--|\*\*|<<|>>|[-+*%&|^]=|[^\s])/;

/** Splits JavaScript or TypeScript source into tokens; comments and whitespace are dropped. */
export function lex(src: string): { tokens: Token[]; templates: Template[] } {
  const tokens: Token[] = [];
  const templates: Template[] = [];
  // One frame per code context: the file itself, then one per ${ … } being read.
  const stack: { depth: number; tpl: number; index: number }[] = [{ depth: 0, tpl: -1, index: 0 }];
  let i = 0;
  const fail = (what: string): never => {
    const line = src.slice(0, i).split('\n').length;
    throw new Error(`${what} at line ${line}`);
  };
  const last = () => tokens[tokens.length - 1];

  function regexAllowed(): boolean {
    const p = last();
    if (!p) return true;
    if (p.type === 'ident') return KEYWORDS_BEFORE_EXPRESSION.has(p.value);
    if (p.type === 'punct') return p.value !== ')' && p.value !== ']' && p.value !== '++' && p.value !== '--';
    if (p.type === 'tpl') return p.tpl!.open;
    return false;
  }

  /** Reads template text from i up to the closing backtick or the next ${. */
  function templatePart(id: number, index: number): void {
    const start = i;
    while (i < src.length && src[i] !== '`' && !(src[i] === '$' && src[i + 1] === '{')) i += src[i] === '\\' ? 2 : 1;
    if (i >= src.length) fail('unterminated template literal');
    const open = src[i] === '$';
    tokens.push({ type: 'tpl', value: src.slice(start, i), start, tpl: { id, index, open } });
    (templates[id]!.parts as { text: string; start: number }[]).push({ text: src.slice(start, i), start });
    if (open) {
      i += 2;
      stack.push({ depth: 0, tpl: id, index: index + 1 });
    } else i += 1;
  }

  while (i < src.length) {
    const c = src[i]!;
    const frame = stack[stack.length - 1]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) fail('unterminated comment');
      i = end + 2;
    } else if (c === "'" || c === '"') {
      const start = i++;
      let value = '';
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\n') fail('unterminated string');
        if (src[i] === '\\') {
          value += src[i + 1] === '\n' ? '' : (src[i + 1] ?? '');
          i += 2;
        } else value += src[i++];
      }
      if (i >= src.length) fail('unterminated string');
      i++;
      tokens.push({ type: 'string', value, start });
    } else if (c === '`') {
      const p = last();
      const tag = p && p.type === 'ident' && !KEYWORDS_BEFORE_EXPRESSION.has(p.value) ? p.value : null;
      const id = templates.length;
      templates.push({ id, tag, start: i, parts: [] });
      i++;
      templatePart(id, 0);
    } else if (c === '{') {
      frame.depth++;
      tokens.push({ type: 'punct', value: c, start: i++ });
    } else if (c === '}') {
      if (frame.depth === 0 && frame.tpl >= 0) {
        stack.pop();
        i++;
        templatePart(frame.tpl, frame.index);
      } else {
        if (frame.depth === 0) fail('unbalanced }');
        frame.depth--;
        tokens.push({ type: 'punct', value: c, start: i++ });
      }
    } else if (c === '/' && regexAllowed()) {
      const start = i++;
      let inClass = false;
      while (i < src.length && (inClass || src[i] !== '/')) {
        if (src[i] === '\n') fail('unterminated regular expression');
        if (src[i] === '\\') i++;
        else if (src[i] === '[') inClass = true;
        else if (src[i] === ']') inClass = false;
        i++;
      }
      i++;
      while (i < src.length && /[a-z]/i.test(src[i]!)) i++;
      tokens.push({ type: 'regex', value: src.slice(start, i), start });
    } else if (/[\p{L}_$]/u.test(c)) {
      const m = /^[\p{L}\p{N}_$]+/u.exec(src.slice(i, i + 200))!;
      tokens.push({ type: 'ident', value: m[0], start: i });
      i += m[0].length;
    } else if (/\d/.test(c) || (c === '.' && /\d/.test(src[i + 1] ?? ''))) {
      const m = /^(?:0[xob][\da-f_]+n?|[\d_]*\.?[\d_]+(?:e[-+]?\d+)?n?)/i.exec(src.slice(i, i + 100))!;
      tokens.push({ type: 'num', value: m[0], start: i });
      i += m[0].length;
    } else {
      const m = PUNCTUATORS.exec(src.slice(i, i + 4))!;
      tokens.push({ type: 'punct', value: m[0], start: i });
      i += m[0].length;
    }
  }
  if (stack.length !== 1 || stack[0]!.depth !== 0) fail('unbalanced braces or template at end of file');
  return { tokens, templates };
}

/** 1-based line of an offset. */
function lineOf(src: string, offset: number): number {
  let line = 1;
  for (let k = 0; k < offset && k < src.length; k++) if (src.charCodeAt(k) === 10) line++;
  return line;
}

// ---- 1. html templates -----------------------------------------------------------------------

/** Stands for a ${…} expression in the joined text of a template. */
const HOLE = '\uE000';

/**
 * Texts that may stand in a template without a catalogue, each with its reason, matched against the
 * whole finding as reported (expressions shown as ${…}). Keep this short: what is here is shown to
 * everyone in every language. Nothing else needs one: the site's name comes from the instance
 * settings, icons are SVG, and emoji, "·", "—" or digits are not letters.
 */
const ALLOWED_TEXTS: ReadonlyMap<string, string> = new Map([
  // A board's address as people type it in the address bar: a path, the same in every language.
  ['/b/${…}', 'a board address (URL path), not prose'],
]);

/** Attributes whose value a person sees or hears, whatever the element. */
const VISIBLE_ATTRIBUTES = new Set([
  'title', 'placeholder', 'alt', 'label', 'aria-label', 'aria-description', 'aria-placeholder', 'aria-roledescription', 'aria-valuetext',
]);

export interface Finding {
  /** Offset in the scanned source. */
  readonly offset: number;
  readonly text: string;
  readonly where: string;
}

const ENTITY = /&(?:[a-z][a-z0-9]*|#\d+|#x[0-9a-f]+);/gi;

/** The runs of letters left in a piece of text once holes and entities are gone. */
function letters(text: string): string[] {
  // A run must hold a letter: the variation selector of an emoji (⚠️) is a mark, not a word.
  return [...text.replaceAll(HOLE, ' ').replace(ENTITY, ' ').matchAll(/[\p{L}\p{M}]*\p{L}[\p{L}\p{M}]*/gu)].map((m) => m[0]);
}

/** Where a ${…} of an html template lands: in shown text (or a shown attribute), or in markup. */
type HoleContext = 'shown' | 'markup';

/**
 * Checks one html template. `displayedData` are the data-* attributes client scripts show as text.
 * A template that starts with `name="…"` is a fragment of a tag's attributes (html` data-x="${…}"`).
 * Also tells, for each ${…} (numbered from 1), whether what it renders is shown.
 */
export function checkHtml(template: Template, displayedData: ReadonlySet<string> = new Set()): { findings: Finding[]; holes: HoleContext[] } {
  // The joined text, and for each character its offset in the source.
  let text = '';
  const origin: number[] = [];
  template.parts.forEach((part, k) => {
    if (k > 0) {
      text += HOLE;
      origin.push(part.start);
    }
    for (let j = 0; j < part.text.length; j++) origin.push(part.start + j);
    text += part.text;
  });
  origin.push(template.start);
  const findings: Finding[] = [];
  // holes[k] for the k-th ${…}; holeAt: its position in the joined text.
  const holes: HoleContext[] = ['markup'];
  const holeAt = new Map<number, number>();
  for (let j = 0, k = 0; j < text.length; j++) if (text[j] === HOLE) holeAt.set(j, ++k);
  const holesIn = (from: number, to: number, context: HoleContext) => {
    for (let j = from; j < to; j++) if (holeAt.has(j)) holes[holeAt.get(j)!] = context;
  };
  const report = (at: number, found: string, where: string) => {
    if (!ALLOWED_TEXTS.has(found.trim())) findings.push({ offset: origin[at] ?? template.start, text: found.trim(), where });
  };

  let i = 0;
  let run = '';
  let runStart = 0;
  const flushText = () => {
    if (letters(run).length) report(runStart + run.length - run.trimStart().length, run.replaceAll(HOLE, '${…}').replace(/\s+/g, ' '), 'text');
    run = '';
  };

  function attributes(tag: string): void {
    const attrs: { name: string; value: string | null; at: number; valueAt: number }[] = [];
    while (i < text.length && text[i] !== '>') {
      const c = text[i]!;
      if (/\s/.test(c) || c === HOLE || c === '/') {
        i++;
        continue;
      }
      const at = i;
      const name = /^[^\s"'>/=\uE000]+/.exec(text.slice(i))?.[0] ?? c;
      i += name.length;
      while (/\s/.test(text[i] ?? '')) i++;
      let value: string | null = null;
      let valueAt = i;
      if (text[i] === '=') {
        i++;
        while (/\s/.test(text[i] ?? '')) i++;
        const q = text[i];
        valueAt = q === '"' || q === "'" ? i + 1 : i;
        if (q === '"' || q === "'") {
          const end = text.indexOf(q, i + 1);
          value = text.slice(i + 1, end < 0 ? text.length : end);
          i = end < 0 ? text.length : end + 1;
        } else {
          value = /^[^\s>]*/.exec(text.slice(i))![0];
          i += value.length;
        }
      }
      attrs.push({ name: name.toLowerCase(), value, at, valueAt });
    }
    i++;
    const type = attrs.find((a) => a.name === 'type')?.value?.toLowerCase();
    for (const a of attrs) {
      if (a.value === null) continue;
      const visible =
        VISIBLE_ATTRIBUTES.has(a.name) ||
        displayedData.has(a.name) ||
        // The label of an input button. (A <button>'s value is only sent with the form; its label is its content.)
        (a.name === 'value' && tag === 'input' && (type === 'submit' || type === 'button' || type === 'reset')) ||
        // Any data-* literal that reads like prose is meant for a person, whichever script shows it.
        (a.name.startsWith('data-') && /[\p{L}]{2,}\s+[\p{L}]/u.test(a.value.replaceAll(HOLE, '')));
      if (visible && letters(a.value).length) report(a.at, `${a.name}="${a.value.replaceAll(HOLE, '${…}')}"`, `attribute of <${tag || '…'}>`);
      if (visible) holesIn(a.valueAt, a.valueAt + a.value.length, 'shown');
    }
  }

  // A fragment of attributes: read it as the inside of a tag.
  if (/^\s*[A-Za-z_:][-\w:.]*\s*=\s*["'\uE000]/.test(text)) attributes('');
  while (i < text.length) {
    if (text.startsWith('<!--', i)) {
      flushText();
      const end = text.indexOf('-->', i + 4);
      i = end < 0 ? text.length : end + 3;
    } else if (text.startsWith('<!', i)) {
      flushText();
      const end = text.indexOf('>', i);
      i = end < 0 ? text.length : end + 1;
    } else if (text[i] === '<' && /[A-Za-z/\uE000]/.test(text[i + 1] ?? '')) {
      flushText();
      const closing = text[i + 1] === '/';
      i += closing ? 2 : 1;
      const tag = (/^[A-Za-z][\w-]*/.exec(text.slice(i))?.[0] ?? '').toLowerCase();
      i += tag.length;
      attributes(tag);
      if (!closing && (tag === 'script' || tag === 'style')) {
        const end = text.toLowerCase().indexOf(`</${tag}`, i);
        i = end < 0 ? text.length : end;
      }
    } else {
      if (text[i] === HOLE) holes[holeAt.get(i)!] = 'shown';
      if (!run) runStart = i;
      run += text[i++];
    }
  }
  flushText();
  return { findings, holes };
}

/**
 * Literals written straight into a shown ${…} of an html template: `${open ? 'Open' : ''}` shows
 * 'Open' in every language. Not shown as such: a literal in a call (t('key'), icon('x')), in an
 * array or object (data to map over), compared (`x === 'a'`), in markup (`${on ? 'selected' : ''}`)
 * or in a nested html template (which is checked on its own).
 */
function checkHoles(tokens: readonly Token[], templates: readonly Template[], holes: ReadonlyMap<number, HoleContext[]>): Finding[] {
  const findings: Finding[] = [];
  // The html holes being read, innermost last, with the brackets opened in each.
  const open: { shown: boolean; brackets: boolean[]; nested: number }[] = [];
  const compared = (k: number) => COMPARISONS.has(tokens[k - 1]?.value ?? '') || COMPARISONS.has(tokens[k + 1]?.value ?? '');
  for (let k = 0; k < tokens.length; k++) {
    const tok = tokens[k]!;
    const top = open[open.length - 1];
    const direct = () => !!top && top.shown && top.nested === 0 && !top.brackets.includes(true) && !compared(k);
    if (tok.tpl && holes.has(tok.tpl.id)) {
      if (tok.tpl.index > 0) open.pop();
      if (tok.tpl.open) open.push({ shown: holes.get(tok.tpl.id)![tok.tpl.index + 1] === 'shown', brackets: [], nested: 0 });
      continue;
    }
    if (!top) continue;
    if (tok.tpl) {
      // A plain template in a shown hole is shown text: all its parts.
      if (tok.tpl.index === 0 && direct()) {
        const whole = templates[tok.tpl.id]!.parts.map((p) => p.text).join(HOLE);
        if (letters(whole).length) findings.push({ offset: tok.start, text: whole.replaceAll(HOLE, '${…}'), where: 'literal in ${…}' });
      }
      if (tok.tpl.index === 0 && tok.tpl.open) top.nested++;
      else if (tok.tpl.index > 0 && !tok.tpl.open) top.nested--;
    } else if (tok.type === 'punct' && (tok.value === '(' || tok.value === '[' || tok.value === '{')) {
      const prev = tokens[k - 1];
      const call = tok.value === '(' && (prev?.value === ')' || prev?.value === ']' || (prev?.type === 'ident' && !KEYWORDS_BEFORE_EXPRESSION.has(prev.value)));
      top.brackets.push(tok.value !== '(' || call);
    } else if (tok.type === 'punct' && (tok.value === ')' || tok.value === ']' || tok.value === '}')) {
      top.brackets.pop();
    } else if (tok.type === 'string' && direct() && letters(tok.value).length) {
      findings.push({ offset: tok.start, text: tok.value, where: 'literal in ${…}' });
    }
  }
  return findings;
}

// ---- 2. client scripts -----------------------------------------------------------------------

/** Properties that put their value on the page. */
const SINK_PROPERTIES = new Set(['textContent', 'innerText', 'outerText', 'innerHTML', 'outerHTML', 'title', 'placeholder', 'alt', 'ariaLabel', 'label']);
/** Calls whose arguments end up on the page (or in a dialog). */
const SINK_CALLS = new Set([
  'alert', 'confirm', 'prompt', 'createTextNode', 'insertAdjacentText', 'insertAdjacentHTML', 'append', 'prepend', 'after', 'before',
  'replaceWith', 'replaceChildren', 'write', 'writeln', 'Notification', 'showNotification', 'setCustomValidity',
]);
/** setAttribute(name, value) with one of these names shows value. */
const VISIBLE_SET_ATTRIBUTE = VISIBLE_ATTRIBUTES;
/** Calls whose string arguments are selectors, event names, URLs or other machine words. */
const MACHINE_CALLS = new Set([
  'querySelector', 'querySelectorAll', 'closest', 'matches', 'getElementById', 'getAttribute', 'hasAttribute', 'removeAttribute',
  'addEventListener', 'removeEventListener', 'on', 'off', 'once', 'emit', 'io', 'fetch', 'register', 'createElement', 'add', 'remove',
  'toggle', 'contains', 'getItem', 'setItem', 'removeItem', 'postMessage', 'open', 'delete', 'match', 'keys', 'indexOf', 'replace',
]);
const COMPARISONS = new Set(['===', '!==', '==', '!=']);
/** Properties that hold machine words (class names, ids, addresses), never text. */
const MACHINE_PROPERTIES = new Set(['className', 'id', 'type', 'name', 'href', 'src', 'rel', 'lang', 'dir', 'role', 'method', 'action', 'key']);

/** What a client script puts on the page without the catalogues. */
export function checkClient(src: string): Finding[] {
  const { tokens } = lex(src);
  const findings: Finding[] = [];
  // For each token: the callees of the parentheses around it, innermost last ('' for grouping).
  const calls: string[][] = [];
  const parens: string[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const tok = tokens[k]!;
    const prev = tokens[k - 1];
    if (tok.type === 'punct' && (tok.value === '(' || tok.value === '[' || tok.value === '{')) {
      parens.push(tok.value === '(' && prev?.type === 'ident' && !KEYWORDS_BEFORE_EXPRESSION.has(prev.value) ? prev.value : tok.value === '(' ? '' : tok.value);
    }
    calls.push([...parens]);
    if (tok.type === 'punct' && (tok.value === ')' || tok.value === ']' || tok.value === '}')) parens.pop();
  }

  const isLiteral = (t: Token) => t.type === 'string' || t.type === 'tpl';
  /** A literal compared with, tested with `in`, or a property name ({ 'a b': … }): not shown. */
  const comparedOrKey = (k: number) => {
    const before = tokens[k - 1];
    const after = tokens[k + 1];
    return (
      (before?.type === 'punct' && COMPARISONS.has(before.value)) ||
      (after?.type === 'punct' && COMPARISONS.has(after.value)) ||
      (after?.value === ':' && (before?.value === '{' || before?.value === ',')) ||
      (after?.type === 'ident' && after.value === 'in')
    );
  };
  /** 'use strict', and el.className = 'a b': machine words. */
  const machine = (k: number) =>
    (tokens[k]!.value === 'use strict' && (k === 0 || ['{', ';', '}'].includes(tokens[k - 1]!.value))) ||
    (tokens[k - 1]?.value === '=' && tokens[k - 2]?.type === 'ident' && MACHINE_PROPERTIES.has(tokens[k - 2]!.value));
  const flagged = new Set<number>();
  const flag = (k: number, where: string) => {
    if (flagged.has(k)) return;
    flagged.add(k);
    findings.push({ offset: tokens[k]!.start, text: tokens[k]!.value, where });
  };

  for (let k = 0; k < tokens.length; k++) {
    const tok = tokens[k]!;
    // x.textContent = …  /  x.title += …
    if (
      tok.type === 'ident' && SINK_PROPERTIES.has(tok.value) && tokens[k - 1]?.value === '.' &&
      tokens[k + 1]?.type === 'punct' && (tokens[k + 1]!.value === '=' || tokens[k + 1]!.value === '+=')
    ) {
      const base = calls[k]!.length;
      for (let j = k + 2; j < tokens.length; j++) {
        const t = tokens[j]!;
        if (calls[j]!.length < base || (calls[j]!.length === base && t.type === 'punct' && (t.value === ';' || t.value === ','))) break;
        if (t.type === 'punct' && (t.value === ')' || t.value === ']' || t.value === '}') && calls[j]!.length === base) break;
        // Literals inside a call's arguments (getAttribute('data-x'), text('sent')) are not shown themselves.
        const inCall = calls[j]!.slice(base).some((callee) => callee !== '' && callee !== '[');
        if (isLiteral(t) && !inCall && !comparedOrKey(j) && letters(t.value).length) flag(j, `${tok.value} =`);
      }
    }
    if (!isLiteral(tok) || !letters(tok.value).length) continue;
    const around = calls[k]!;
    const callee = around[around.length - 1] ?? '';
    // alert('…'), document.createTextNode('…'), el.append('…'), setAttribute('title', '…')
    if (SINK_CALLS.has(callee) && !comparedOrKey(k)) flag(k, `${callee}(…)`);
    if (callee === 'setAttribute' && tokens[k - 1]?.value === ',') {
      // The name is the literal just after the call's '(' (setAttribute('title', '…')).
      let j = k - 2;
      while (j >= 0 && calls[j]!.length >= around.length) j--;
      const name = tokens[j + 2];
      if (name?.type === 'string' && VISIBLE_SET_ATTRIBUTE.has(name.value)) flag(k, `setAttribute('${name.value}', …)`);
    }
    // Any other literal that reads like words for a person.
    if (/[\p{L}]{2,}[\s\u00a0]+[\p{L}]/u.test(tok.value) && !MACHINE_CALLS.has(callee) && !comparedOrKey(k) && !machine(k)) flag(k, 'prose');
  }
  return findings.sort((a, b) => a.offset - b.offset);
}

/** data-* attributes the client scripts read (getAttribute('data-x'), and the text('x') helper of message-list.js). */
function dataAttributesShown(sources: readonly string[]): Set<string> {
  const shown = new Set<string>();
  for (const src of sources) {
    const { tokens } = lex(src);
    tokens.forEach((t, k) => {
      const callee = tokens[k - 2]?.value;
      if (t.type !== 'string' || tokens[k - 1]?.value !== '(') return;
      if (callee === 'getAttribute' && t.value.startsWith('data-')) shown.add(t.value);
      if (callee === 'text') shown.add(`data-${t.value}`);
    });
  }
  // Read by scripts but holding addresses, ids or switches, never shown as text.
  for (const machine of ['data-account', 'data-exit-url', 'data-thread', 'data-room', 'data-cursor', 'data-kind']) shown.delete(machine);
  return shown;
}

// ---- 3. keys in use ---------------------------------------------------------------------------

/** A key the code builds at run time: a pattern, and whether its variable part must be a literal. */
interface DynamicKey {
  readonly pattern: RegExp;
  readonly source: string;
}

const KEY_LIKE = /^[a-z][a-z0-9_]*\.[a-z0-9_.]*$/;

/** Every string literal, and every key built from a literal prefix (`admin.mode_${m}`, 'mod.' + x). */
export function keyUses(src: string): { literals: Set<string>; dynamic: DynamicKey[] } {
  const { tokens, templates } = lex(src);
  const literals = new Set<string>();
  const dynamic: DynamicKey[] = [];
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const t of tokens) if (t.type === 'string') literals.add(t.value);
  for (const tpl of templates) {
    const first = tpl.parts[0]!.text;
    if (tpl.parts.length === 1) literals.add(first);
    else if (KEY_LIKE.test(first) && tpl.parts.every((p) => /^[a-z0-9_.]*$/.test(p.text))) {
      dynamic.push({ pattern: new RegExp(`^${tpl.parts.map((p) => escape(p.text)).join('([a-z0-9_]+)')}$`), source: `\`${tpl.parts.map((p) => p.text).join('${…}')}\`` });
    }
  }
  tokens.forEach((t, k) => {
    if (t.type === 'string' && KEY_LIKE.test(t.value) && tokens[k + 1]?.value === '+') {
      dynamic.push({ pattern: new RegExp(`^${escape(t.value)}([a-z0-9_]+)$`), source: `'${t.value}' + …` });
    }
  });
  return { literals, dynamic };
}

/**
 * The keys of `keys` no code uses. A built key counts as used when it matches a pattern; when the
 * pattern is a bare namespace (`review.${k}`, `error.${code}`), its variable part must also be a
 * literal somewhere in the code (the `'warning'` of `review.warning`, the `'board_locked'` of
 * forbidden('board_locked')), or else the whole namespace would count as used.
 */
export function unusedKeys(keys: readonly string[], uses: { literals: ReadonlySet<string>; dynamic: readonly DynamicKey[] }): string[] {
  return keys.filter((key) => {
    if (uses.literals.has(key)) return false;
    return !uses.dynamic.some((d) => {
      const m = d.pattern.exec(key);
      if (!m) return false;
      const bare = /^`[a-z0-9_]+\.\$\{…\}`$|^'[a-z0-9_]+\.' \+ …$/.test(d.source);
      return !bare || m.slice(1).every((part) => uses.literals.has(part));
    });
  });
}

// ---- the files --------------------------------------------------------------------------------

function walk(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? (e.name === 'vendor' ? [] : walk(p, ext)) : p.endsWith(ext) ? [p] : [];
  });
}

const root = path.resolve('.');
const serverFiles = [...walk(path.join(root, 'server'), '.ts'), ...walk(path.join(root, 'federation'), '.ts')];
const clientFiles = fs.readdirSync(path.join(root, 'client')).filter((f) => f.endsWith('.js')).map((f) => path.join(root, 'client', f));
const read = (file: string) => fs.readFileSync(file, 'utf8');
const rel = (file: string) => path.relative(root, file);
const describeFinding = (file: string, src: string) => (f: Finding) => `${rel(file)}:${lineOf(src, f.offset)} [${f.where}] ${f.text}`;

/** The html templates of a piece of source. */
const htmlTemplates = (src: string) => lex(src).templates.filter((t) => t.tag === 'html');
function checkSource(src: string, shown?: ReadonlySet<string>): Finding[] {
  const { tokens, templates } = lex(src);
  const holes = new Map<number, HoleContext[]>();
  const findings: Finding[] = [];
  for (const template of templates.filter((t) => t.tag === 'html')) {
    const checked = checkHtml(template, shown);
    findings.push(...checked.findings);
    holes.set(template.id, checked.holes);
  }
  findings.push(...checkHoles(tokens, templates, holes));
  return findings.sort((a, b) => a.offset - b.offset);
}

describe('no hard-coded user-facing text', () => {
  describe('the scanner', () => {
    it('reads nested templates, strings, comments and regular expressions', () => {
      const src = [
        "const re = /[`'\"]/g; // a `comment` with ${ and '",
        '/* `not a template` */ const a = 1 / 2 / 3;',
        "const x = html`<p>${list.map((i) => html`<li>${i ? `${i}}` : '}'}</li>`)}</p>`;",
        "const s = 'it\\'s `fine`';",
      ].join('\n');
      const { templates, tokens } = lex(src);
      assert.deepEqual(templates.map((t) => t.tag), ['html', 'html', null]);
      assert.deepEqual(templates[0]!.parts.map((p) => p.text), ['<p>', '</p>']);
      assert.deepEqual(templates[1]!.parts.map((p) => p.text), ['<li>', '</li>']);
      assert.deepEqual(templates[2]!.parts.map((p) => p.text), ['', '}']);
      assert.ok(tokens.some((t) => t.type === 'regex' && t.value === "/[`'\"]/g"), 'the regular expression is read as one token');
      assert.ok(tokens.some((t) => t.type === 'string' && t.value === "it's `fine`"), 'the string with an escaped quote is read as one token');
      assert.throws(() => lex('const x = `open ${a'), /unbalanced|unterminated/);
    });

    it('flags visible words in templates', () => {
      const flagged = (code: string) => checkSource(code).map((f) => f.text);
      assert.deepEqual(flagged('html`<p>Hello ${name}</p>`'), ['Hello ${…}']);
      assert.deepEqual(flagged("html`<button type=\"submit\">${icon('x')} Save</button>`"), ['${…} Save']);
      assert.deepEqual(flagged('html`<input placeholder="Search…" name="q">`'), ['placeholder="Search…"']);
      assert.deepEqual(flagged('html`<a title="Leave now" href="/x">${t(\'a\')}</a>`'), ['title="Leave now"']);
      assert.deepEqual(flagged('html`<img alt="logo" src="/a.svg">`'), ['alt="logo"']);
      assert.deepEqual(flagged('html`<nav aria-label="Main">${x}</nav>`'), ['aria-label="Main"']);
      assert.deepEqual(flagged('html`<input type="submit" value="Send">`'), ['value="Send"']);
      assert.deepEqual(flagged('html`<select>${opts}<option value="">Any</option></select>`'), ['Any']);
      assert.deepEqual(flagged('html`<p>${a}</p>${html`<small>(edited)</small>`}`'), ['(edited)']);
      assert.deepEqual(flagged('html`<p>⚠️ ${a} Warning</p>`'), ['⚠️ ${…} Warning']);
      assert.deepEqual(flagged("html`<p>${open ? 'Open' : t('closed')}</p>`"), ['Open']);
      assert.deepEqual(flagged("html`<p>${list.map((x) => html`<i>${x.on && `on ${x.n}`}</i>`)}</p>`"), ['on ${…}']);
      assert.deepEqual(flagged("html`<a title=\"${busy ? 'Please wait' : t('go')}\">${x}</a>`"), ['Please wait']);
      assert.deepEqual(flagged('html`<p>Élan — ${x}</p><p>中文</p>`'), ['Élan — ${…}', '中文']);
      assert.deepEqual(flagged('html` data-x="${a}" data-note="please wait"`'), ['data-note="please wait"']);
      assert.deepEqual(checkSource('html`<p data-sending="Sending">${a}</p>`', new Set(['data-sending'])).map((f) => f.text), ['data-sending="Sending"']);
    });

    it('accepts markup, expressions, entities, punctuation and machine attributes', () => {
      const ok = [
        "html`<p class=\"notice big\" id=\"x-1\">${t('a.b')}</p>`",
        'html`<!doctype html><html lang="${l}" dir="rtl"><!-- a comment with words --><head><meta charset="utf-8"></head></html>`',
        'html`<a href="/reviews/${slug}/new" rel="noreferrer">${icon(\'plus\')} ${t(\'review.new\')}</a>`',
        'html`<input type="hidden" name="_csrf" value="${token}" autocomplete="off">`',
        "html`<option value=\"warning\" ${sel ? 'selected' : ''}>${t('review.warning')}</option>`",
        "html`<p>${a} · ${b} — 3 &amp; 4 &#8212; (${n}) … ✓ 🔔</p>`",
        'html`<button type="submit" name="action" value="approve">${t(\'x\')}</button>`',
        'html`<li data-kind="like" data-cursor="${c}"><svg aria-hidden="true"><use href="#x"/></svg></li>`',
        'html` data-account="${id}" data-alert-sos="${t(\'n.sos\')}"`',
        "html`${items.map((i) => html`<li>${i}</li>`)}`",
        "const s = `Hello ${name}`; // not an html template",
        "html`<script src=\"/assets/live.js\" defer></script><style>p { color: red }</style>`",
        "html`<option value=\"${k}\" ${k === 'vouch' ? 'selected' : ''}>${t(`review.${k}`)}</option>`",
        "html`<p class=\"${on ? 'big notice' : ''}\">${(['warning', 'vouch'] as const).map((k) => html`<b>${k}</b>`)} ${{ a: 'b c' }.a}</p>`",
      ];
      for (const code of ok) assert.deepEqual(checkSource(code), [], code);
    });

    it('flags client scripts that show literal text', () => {
      const flagged = (code: string) => checkClient(code).map((f) => f.text);
      assert.deepEqual(flagged("el.textContent = 'Saved';"), ['Saved']);
      assert.deepEqual(flagged("el.textContent = ok ? 'On' : el.getAttribute('data-off');"), ['On']);
      assert.deepEqual(flagged("box.innerHTML = '<b>' + 'Warning' + '</b>';"), ['<b>', 'Warning', '</b>']);
      assert.deepEqual(flagged("alert('Are you sure?');"), ['Are you sure?']);
      assert.deepEqual(flagged("if (!window.confirm('Delete?')) return;"), ['Delete?']);
      assert.deepEqual(flagged("list.appendChild(document.createTextNode('no messages'));"), ['no messages']);
      assert.deepEqual(flagged("button.setAttribute('title', 'Send now');"), ['Send now']);
      assert.deepEqual(flagged("var message = 'Could not send, try again';"), ['Could not send, try again']);
      assert.deepEqual(flagged('status.textContent = `${n} new messages`;'), [' new messages']);
    });

    it('accepts client scripts that take their texts from the page', () => {
      const ok = [
        "status.textContent = button.getAttribute(response.ok ? 'data-on' : 'data-failed');",
        "small.textContent = ' · ' + text('edited');",
        "state.textContent = (typeof e.message === 'string' ? e.message : text('failed')) + ' ';",
        "document.querySelector('header .author').textContent = name;",
        "if (reason === 'io server disconnect') socket.connect();",
        "'use strict';\nel.setAttribute('data-live', 'on'); el.className = 'message pending';",
        "socket.emit('subscribe', { 'room channel': id, transports: ['websocket', 'polling'] });",
        "count.textContent = n > 0 ? String(n) : '';",
        "self.registration.showNotification('🔔', { body: '' });",
      ];
      for (const code of ok) assert.deepEqual(checkClient(code), [], code);
    });

    it('sees keys built at run time', () => {
      const uses = keyUses("t(`admin.mode_${m}`); t(`review.${k}`); t('nav.home'); const k = 'vouch'; const p = 'mod.' + a;");
      const keys = ['admin.mode_open', 'review.vouch', 'review.warning', 'nav.home', 'nav.away', 'mod.hide'];
      assert.deepEqual(unusedKeys(keys, uses), ['review.warning', 'nav.away', 'mod.hide']);
    });

    it('finds exactly the html templates the TypeScript parser finds', () => {
      for (const file of serverFiles) {
        const src = read(file);
        const source = ts.createSourceFile(file, src, ts.ScriptTarget.Latest, true);
        const expected: number[] = [];
        const visit = (node: ts.Node): void => {
          if (ts.isTaggedTemplateExpression(node) && ts.isIdentifier(node.tag) && node.tag.text === 'html') expected.push(node.template.getStart(source));
          ts.forEachChild(node, visit);
        };
        visit(source);
        assert.deepEqual(htmlTemplates(src).map((t) => t.start), expected.sort((a, b) => a - b), rel(file));
      }
    });
  });

  it('server templates show no text that is not from the catalogues', () => {
    const shown = dataAttributesShown(clientFiles.map(read));
    const findings = serverFiles.flatMap((file) => {
      const src = read(file);
      return checkSource(src, shown).map(describeFinding(file, src));
    });
    assert.deepEqual(findings, []);
  });

  it('client scripts show no text that is not from the page', () => {
    const findings = clientFiles.flatMap((file) => {
      const src = read(file);
      return checkClient(src).map(describeFinding(file, src));
    });
    assert.deepEqual(findings, []);
  });

  it('every key of en.json is used by the code (no stale keys)', () => {
    const en = flattenCatalogue(JSON.parse(read(path.join(root, 'locales', 'en.json'))) as Record<string, unknown>);
    const literals = new Set<string>();
    const dynamic: DynamicKey[] = [];
    for (const file of [...serverFiles, ...clientFiles]) {
      const uses = keyUses(read(file));
      for (const l of uses.literals) literals.add(l);
      dynamic.push(...uses.dynamic);
    }
    assert.deepEqual(unusedKeys(Object.keys(en).filter((k) => k !== '$meta'), { literals, dynamic }), []);
  });
});
