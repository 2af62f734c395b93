import assert from 'node:assert/strict';
import { DomUtils, parseDocument } from 'htmlparser2';
import { MARKDOWN_MAX_LENGTH, cleanHtml, markdownToText, renderMarkdown } from '../../server/content/markdown.js';
import { xssVectors } from './xss-corpus.js';

// Written out rather than imported, so that widening the allow-list takes a deliberate change here too.
const ALLOWED = new Set(['p', 'br', 'strong', 'em', 's', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a']);
const REL = 'nofollow noopener noreferrer ugc';
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;

const link = (href: string, text: string) => `<a href="${href}" rel="${REL}">${text}</a>`;

/**
 * The output must be safe however it is parsed. htmlparser2 is not a browser's
 * HTML5 parser, so the raw string is checked too: escaped text holds no `<`,
 * hence every `<` must open or close an allowed tag.
 */
function assertSafe(html: string, input: string): void {
  const where = `input ${JSON.stringify(input)}\noutput ${JSON.stringify(html)}`;

  for (const [, name] of html.matchAll(/<\/?([^\s/>]*)/g)) {
    assert.ok(ALLOWED.has(name!), `raw tag <${name}> in ${where}`);
  }
  assert.doesNotMatch(html, /<script/i, where);
  for (const [tag] of html.matchAll(/<[^>]*>/g)) {
    // A quoted href may legitimately hold "?onload=1" in its query; only attribute names matter.
    const outsideValues = tag.replace(/"[^"]*"/g, '""');
    assert.doesNotMatch(outsideValues, /on\w+\s*=/i, `event handler in ${tag} of ${where}`);
    assert.doesNotMatch(outsideValues, /'/, `single-quoted attribute in ${tag} of ${where}`);
  }
  assert.doesNotMatch(html, BIDI_CONTROLS, `bidi control in ${where}`);

  const nodes = DomUtils.getChildren(parseDocument(html));
  const walk = (list: typeof nodes): void => {
    for (const node of list) {
      if (DomUtils.isText(node)) continue;
      assert.ok(DomUtils.isTag(node), `a ${node.type} node in ${where}`);
      assert.equal(node.type, 'tag', `a ${node.type} element in ${where}`);
      assert.ok(ALLOWED.has(node.name), `<${node.name}> in ${where}`);
      const names = Object.keys(node.attribs);
      if (node.name === 'a') {
        assert.deepEqual(names.sort(), ['href', 'rel'], `attributes of <a> in ${where}`);
        const href = node.attribs.href!.replace(/[\s\p{Cc}]/gu, '');
        assert.match(href, /^https?:\/\//i, `href ${JSON.stringify(node.attribs.href)} in ${where}`);
        assert.equal(href, node.attribs.href, `whitespace or controls in href of ${where}`);
        assert.ok(['http:', 'https:'].includes(new URL(href).protocol), where);
        assert.equal(node.attribs.rel, REL, where);
      } else {
        assert.deepEqual(names, [], `attributes of <${node.name}> in ${where}`);
      }
      walk(node.children);
    }
  };
  walk(nodes);
}

describe('renderMarkdown', () => {
  describe('the supported subset', () => {
    const cases: [string, string, string][] = [
      ['emphasis, strong and strikethrough', '*em* _em_ **strong** ~~gone~~', '<p><em>em</em> <em>em</em> <strong>strong</strong> <s>gone</s></p>\n'],
      ['nested emphasis', '**bold *and em***', '<p><strong>bold <em>and em</em></strong></p>\n'],
      ['a single newline as a line break, a blank line as a new paragraph', 'one\ntwo\n\nthree', '<p>one<br />\ntwo</p>\n<p>three</p>\n'],
      ['hard breaks', 'a  \nb\\\nc', '<p>a<br />\nb<br />\nc</p>\n'],
      ['a link, with rel and without its title', '[site](https://example.com/a?b=1&c=2 "title")', `<p>${link('https://example.com/a?b=1&amp;c=2', 'site')}</p>\n`],
      ['an http link', '[old](http://example.com/)', `<p>${link('http://example.com/', 'old')}</p>\n`],
      ['an autolink', '<https://example.com/x>', `<p>${link('https://example.com/x', 'https://example.com/x')}</p>\n`],
      ['a bare URL, without the full stop after it', 'see https://example.com/x.', `<p>see ${link('https://example.com/x', 'https://example.com/x')}.</p>\n`],
      ['an international domain as punycode in the href', '[a](https://例え.jp/パス)', `<p>${link('https://xn--r8jz45g.jp/%E3%83%91%E3%82%B9', 'a')}</p>\n`],
      ['emphasis around a link', '*[a](https://example.com)*', `<p><em>${link('https://example.com/', 'a')}</em></p>\n`],
      ['a bullet list', '- one\n- two', '<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n'],
      ['an ordered list, its start number dropped with the attribute', '2. two\n3. three', '<ol>\n<li>two</li>\n<li>three</li>\n</ol>\n'],
      ['nested lists', '- a\n  - b', '<ul>\n<li>a\n<ul>\n<li>b</li>\n</ul>\n</li>\n</ul>\n'],
      ['a blockquote', '> quoted\n> more', '<blockquote>\n<p>quoted<br />\nmore</p>\n</blockquote>\n'],
      ['inline code, escaped', '`a < b && c`', '<p><code>a &lt; b &amp;&amp; c</code></p>\n'],
      ['a fenced code block, escaped, without its language class', '```html\n<b>x</b>\n```', '<pre><code>&lt;b&gt;x&lt;/b&gt;\n</code></pre>\n'],
      ['an indented code block', '    if (a < b) {}', '<pre><code>if (a &lt; b) {}\n</code></pre>\n'],
      ['typed HTML as text', '<b>hi</b> & bye', '<p>&lt;b&gt;hi&lt;/b&gt; &amp; bye</p>\n'],
      ['no headings', '# Title\n\nSub\n===', '<p># Title</p>\n<p>Sub<br />\n===</p>\n'],
      ['no rules', '---', '<p>---</p>\n'],
      ['image syntax as a plain link', '![a photo](https://example.com/p.png)', `<p>!${link('https://example.com/p.png', 'a photo')}</p>\n`],
      ['Arabic, intact', 'مرحبا بالعالم [رابط](https://example.com)', `<p>مرحبا بالعالم ${link('https://example.com/', 'رابط')}</p>\n`],
      ['Arabic with a right-to-left mark, intact', '\u200Fنص عربي', '<p>\u200Fنص عربي</p>\n'],
      ['Chinese, intact', '我们是**性工作者**组织', '<p>我们是<strong>性工作者</strong>组织</p>\n'],
      ['emoji sequences, intact', '👩🏽‍💻 ❤️‍🔥', '<p>👩🏽‍💻 ❤️‍🔥</p>\n'],
    ];
    for (const [name, source, html] of cases) {
      it(name, () => {
        assert.equal(renderMarkdown(source), html);
        assertSafe(html, source);
      });
    }

    it('turns empty and whitespace-only input into nothing', () => {
      for (const source of ['', ' ', '\n\n', ' \t\n \r\n ']) assert.equal(renderMarkdown(source), '');
    });
  });

  describe('links that are not absolute http(s) URLs keep only their text', () => {
    const cases: [string, string][] = [
      ['[docs](/wiki/page)', '<p>docs</p>\n'],
      ['[docs](wiki/page)', '<p>docs</p>\n'],
      ['[top](#top)', '<p>top</p>\n'],
      ['[x](//evil.example/)', '<p>x</p>\n'],
      ['[mail](mailto:a@b.example)', '<p>mail</p>\n'],
      ['<mailto:a@b.example>', '<p>mailto:a@b.example</p>\n'],
      ['write to a@b.example', '<p>write to a@b.example</p>\n'],
      ['[call](tel:+15555550100)', '<p>call</p>\n'],
      ['ftp://example.com/file', '<p>ftp://example.com/file</p>\n'],
      ['[a](javascript:alert(1))', '<p>a</p>\n'],
      ['<javascript:alert(1)>', '<p>javascript:alert(1)</p>\n'],
      ['[bank](https://our-org.example@evil.example/)', '<p>bank</p>\n'],
      ['[a][x]\n\n[x]: vbscript:msgbox(1)', '<p>a</p>\n'],
    ];
    for (const [source, html] of cases) {
      it(source, () => assert.equal(renderMarkdown(source), html));
    }
  });

  describe('bidirectional controls', () => {
    it('are removed, typed or entity-encoded, in text and link text', () => {
      const html = renderMarkdown('a\u202Eb &#x202E;c &#8238;d [e\u2067f](https://example.com) \u202Ag\u202C \u2066h\u2069');
      assert.equal(html, `<p>ab c d ${link('https://example.com/', 'ef')} g h</p>\n`);
    });

    it('are percent-encoded, hence inert, in a URL', () => {
      assert.equal(renderMarkdown('[a](https://example.com/\u202Egnp.exe)'), `<p>${link('https://example.com/%E2%80%AEgnp.exe', 'a')}</p>\n`);
    });
  });

  describe('XSS corpus', () => {
    it('has at least 60 vectors, all different', () => {
      assert.ok(xssVectors.length >= 60, `${xssVectors.length} vectors`);
      assert.equal(new Set(xssVectors).size, xssVectors.length);
    });

    const contexts: [string, (v: string) => string][] = [
      ['as is', (v) => v],
      ['in a blockquote', (v) => `> ${v}`],
      ['in a list item', (v) => `- ${v}`],
      ['in emphasis', (v) => `*${v}*`],
      ['as link text', (v) => `[${v}](https://example.com)`],
      ['after a paragraph', (v) => `hello\n${v}\nbye`],
    ];
    for (const [i, vector] of xssVectors.entries()) {
      it(`#${i} ${JSON.stringify(vector).slice(0, 70)}`, () => {
        for (const [, wrap] of contexts) {
          const source = wrap(vector);
          const html = renderMarkdown(source);
          assertSafe(html, source);
          // The output is already in the sanitizer's normal form: nothing in it is left for a second pass to find.
          assert.equal(cleanHtml(html), html, `not stable under cleanHtml: ${JSON.stringify(source)}`);
        }
        // The second layer alone, given the vector as raw HTML.
        assertSafe(cleanHtml(vector), vector);
        assert.doesNotMatch(markdownToText(vector), BIDI_CONTROLS);
      });
    }

    it('shows typed HTML as text rather than dropping it', () => {
      assert.equal(renderMarkdown('<img src=x onerror=alert(1)>'), '<p>&lt;img src=x onerror=alert(1)&gt;</p>\n');
      assert.equal(
        renderMarkdown('<a href="jav&#x09;ascript:alert(1)">x</a>'),
        '<p>&lt;a href="jav\tascript:alert(1)"&gt;x&lt;/a&gt;</p>\n',
      );
    });

    it('unwraps links the second layer refuses, keeping their text', () => {
      assert.equal(cleanHtml('<p><a href="jav&#x09;ascript:alert(1)">x</a> <a href="/rel">y</a> <a>z</a></p>'), '<p>x y z</p>');
      assert.equal(cleanHtml('<a href="https://example.com" target="_blank" title="t">x</a>'), link('https://example.com/', 'x'));
    });
  });

  describe('hostile sizes', () => {
    it(`accepts ${MARKDOWN_MAX_LENGTH} characters and throws a RangeError above`, () => {
      assert.equal(MARKDOWN_MAX_LENGTH, 20_000);
      assert.doesNotThrow(() => renderMarkdown('a'.repeat(MARKDOWN_MAX_LENGTH)));
      assert.throws(() => renderMarkdown('a'.repeat(MARKDOWN_MAX_LENGTH + 1)), RangeError);
      assert.throws(() => markdownToText('a'.repeat(MARKDOWN_MAX_LENGTH + 1)), RangeError);
    });

    const fill = (unit: string) => unit.repeat(Math.ceil(MARKDOWN_MAX_LENGTH / unit.length)).slice(0, MARKDOWN_MAX_LENGTH);
    const hostile: [string, string][] = [
      ['10,000 >', '>'.repeat(10_000) + ' deep'],
      ['> on every line, deeper each time', Array.from({ length: 190 }, (_, i) => '>'.repeat(i + 1) + ' x').join('\n').slice(0, MARKDOWN_MAX_LENGTH)],
      ['nested bullets', fill('- ')],
      ['nested ordered items', fill('1. ')],
      ['quotes and lists interleaved', fill('> - 1. ')],
      ['indented list items', Array.from({ length: 2_000 }, (_, i) => ' '.repeat((i * 2) % 60) + '- x').join('\n').slice(0, MARKDOWN_MAX_LENGTH)],
      ['opening brackets', fill('[')],
      ['unclosed links', fill('[a](')],
      ['unclosed images', fill('![')],
      ['nested brackets', fill('[').slice(0, 10_000) + fill(']').slice(0, 10_000)],
      ['emphasis runs', fill('*a')],
      ['strong runs', fill('**a')],
      ['strikethrough runs', fill('~~a')],
      ['backticks', fill('`')],
      ['unmatched code spans', fill('``a`')],
      ['angle brackets', fill('<')],
      ['unclosed autolinks', fill('<http://a')],
      ['URL schemes', fill('http://')],
      ['link titles', fill('[a](b "')],
      ['references', fill('[x]: http://a\n[x]')],
      ['entities', fill('&#')],
      ['backslashes', fill('\\')],
      ['newlines', fill('\n')],
    ];
    for (const [name, source] of hostile) {
      it(`renders ${name} quickly and safely`, () => {
        const started = performance.now();
        const html = renderMarkdown(source);
        const text = markdownToText(source, 200);
        const elapsed = performance.now() - started;
        // A guard against catastrophic backtracking, which takes minutes on this input, not a speed target
        // (those live in bench/): linear work takes well under a second, ten times that on a loaded machine.
        assert.ok(elapsed < 10_000, `${elapsed.toFixed(0)} ms`);
        assertSafe(html, name);
        assert.ok(text.length <= 200, `text of ${text.length} characters, at most 200`);
      });
    }

    it('closes every element it opens, however deep the input', () => {
      const html = renderMarkdown('>'.repeat(10_000) + ' deep');
      const opened = html.match(/<blockquote>/g)?.length ?? 0;
      assert.ok(opened > 0 && opened <= 20, `${opened} levels`);
      assert.equal(html.match(/<\/blockquote>/g)?.length, opened);
    });

    it('renders a 30-post thread without blowing up (its speed is bench:forums business)', () => {
      const post = '**Hi** all,\n\n> a quote\n\n- one\n- two [link](https://example.com)\n\n`code` and https://example.org/x\n'.repeat(40);
      const started = performance.now();
      for (let i = 0; i < 30; i++) renderMarkdown(post);
      assert.ok(performance.now() - started < 10_000, 'thirty long posts render in seconds at most, even on a loaded machine');
    });
  });
});

describe('markdownToText', () => {
  it('keeps the words and drops the markup', () => {
    assert.equal(markdownToText('**Hello** _world_, [a link](https://example.com) and `code`'), 'Hello world, a link and code');
  });

  it('collapses line breaks, blocks and runs of whitespace into single spaces', () => {
    assert.equal(markdownToText('- one\n- two\n\n> three\nfour\n\n```\nfive\n  six\n```\n\n\tseven   eight  '), 'one two three four five six seven eight');
  });

  it('returns typed HTML as text, for the caller to escape', () => {
    assert.equal(markdownToText('<b>hi</b> &amp; <script>x</script>'), '<b>hi</b> & <script>x</script>');
  });

  it('keeps the text of refused links and images', () => {
    assert.equal(markdownToText('[a](javascript:alert(1)) ![b](https://example.com/b.png)'), 'a !b');
  });

  it('keeps Arabic and Chinese and removes bidi controls', () => {
    assert.equal(markdownToText('مرحبا\n我们\u202E是 &#x2066;x'), 'مرحبا 我们是 x');
  });

  it('gives empty text for empty or whitespace-only input', () => {
    assert.equal(markdownToText(''), '');
    assert.equal(markdownToText(' \n\t\n '), '');
    assert.equal(markdownToText('  ', 10), '');
  });

  describe('with maxLength', () => {
    const text = 'The quick brown fox jumps over the lazy dog';

    it('leaves text that fits alone', () => {
      assert.equal(markdownToText(text, text.length), text);
      assert.equal(markdownToText(text, 1_000), text);
    });

    it('cuts at a word boundary and adds an ellipsis, within maxLength', () => {
      assert.equal(markdownToText(text, 20), 'The quick brown fox…');
      assert.equal(markdownToText(text, 18), 'The quick brown…');
      assert.equal(markdownToText(`**${text}**`, 12), 'The quick…');
      for (let max = 1; max <= text.length; max++) assert.ok(markdownToText(text, max).length <= max, `maxLength ${max}`);
    });

    it('cuts Chinese, written without spaces, between words', () => {
      assert.equal(markdownToText('我们是性工作者组织我们是性工作者组织', 8), '我们是性工作者…');
    });

    it('cuts a word longer than maxLength between characters, never inside one', () => {
      assert.equal(markdownToText('https://example.com/averyveryverylongpath', 20), 'https://example.com…');
      assert.equal(markdownToText('😀😀😀😀', 4), '😀…');
      assert.equal(markdownToText('👩‍👩‍👧‍👦👩‍👩‍👧‍👦', 12), '👩‍👩‍👧‍👦…');
      assert.equal(markdownToText('👩‍👩‍👧‍👦👩‍👩‍👧‍👦', 5), '…');
    });

    it('refuses a maxLength that is not a positive integer', () => {
      for (const max of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        assert.throws(() => markdownToText(text, max), RangeError, String(max));
      }
    });
  });
});
