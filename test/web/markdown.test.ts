/**
 * Message Markdown (web/src/lib/markdown.ts), rendered to markup as React would:
 * the features people write, and hostile input that must not yield script, event handlers,
 * unsafe URLs or remote images, rendered fast.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { highlighter } from '../../web/src/lib/highlight.js';
import { renderMarkdown, safeHref, wantsHighlighter, type MdNode } from '../../web/src/lib/markdown.js';
import { parseMentions } from '../../src/domain/mentions.js';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
const VOID = new Set(['br', 'hr', 'input']);

/**
 * The tree as the browser gets it from React (components/Post.tsx passes tags and props through
 * createElement): text escaped, props as attributes (className → class), true booleans as "".
 * The React types cannot be imported here (they would retype the DOM for the server program).
 */
function toHtml(nodes: readonly MdNode[]): string {
  return nodes.map((n) => {
    if (typeof n === 'string') return escape(n);
    const attrs = Object.entries(n.props ?? {}).flatMap(([k, v]) => {
      if (v === undefined || v === false) return [];
      const name = k === 'className' ? 'class' : k.toLowerCase();
      return [` ${name}="${v === true ? '' : escape(String(v))}"`];
    }).join('');
    return VOID.has(n.tag) && n.children.length === 0 ? `<${n.tag}${attrs}/>` : `<${n.tag}${attrs}>${toHtml(n.children)}</${n.tag}>`;
  }).join('');
}

const html = (text: string, ctx: { me?: string; team?: string } = { me: 'bob', team: 'acme' }) => toHtml(renderMarkdown(text, { ...ctx, highlighter }));

const TAGS = new Set(['p', 'strong', 'em', 'del', 'a', 'code', 'pre', 'span', 'ul', 'ol', 'li', 'input', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'blockquote', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'br']);
const ATTRS = new Set(['class', 'href', 'target', 'rel', 'title', 'role', 'aria-label', 'type', 'checked', 'disabled', 'readonly', 'start']);

const decode = (v: string) => v.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/**
 * Every problem of a rendered message, from its markup: React escapes text and attribute
 * values, so each `<` in the output opens a real element and each `name="…"` is a real attribute.
 */
function problems(markup: string): string[] {
  const out: string[] = [];
  if (/<script/i.test(markup)) out.push('script');
  for (const tag of markup.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)((?:\s[^<>]*?)?)\/?>/g)) {
    const name = tag[1]!.toLowerCase();
    if (!TAGS.has(name)) out.push(`element <${name}>`);
    for (const a of tag[2]!.matchAll(/\s([^\s=/>]+)(?:="([^"]*)")?/g)) {
      const attr = a[1]!.toLowerCase();
      const value = decode(a[2] ?? '');
      if (attr.startsWith('on')) out.push(`handler ${attr}`);
      if (!ATTRS.has(attr)) out.push(`attribute ${attr}`);
      if (attr === 'href' && !/^(?:https?:\/\/[^/?#\\\s]|mailto:\S|\/(?![/\\]))[^\s\\]*$/i.test(value)) out.push(`href ${value}`);
      if (name === 'input' && attr === 'type' && value !== 'checkbox') out.push(`input ${value}`);
    }
    if (name === 'input' && !/\sdisabled=""/.test(tag[2]!)) out.push('enabled input');
  }
  // Nothing but elements and escaped text: a stray `<` would be an element we failed to parse.
  if (/<(?![a-zA-Z/])/.test(markup)) out.push('stray <');
  return out;
}

/** CPU time of this thread for one render, in ms (other test files and GC threads do not count). */
function cpuMs(text: string): number {
  const start = process.threadCpuUsage();
  renderMarkdown(text, { me: 'bob', team: 'acme', highlighter });
  const used = process.threadCpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** 16 KB of ordinary Markdown: the yardstick a hostile input of the same size is compared to. */
const ORDINARY = 'Some **bold** words, a [link](https://example.com/a), `code` and _italics_ here.\n\n'.repeat(200).slice(0, 16_000);

/**
 * Whether renderMarkdown stays within its budget on `text`: 50 ms of this thread's CPU time
 * (best of up to twenty runs; the first pays for compilation). A loaded machine slows even CPU
 * time through shared caches and steal (CI once measured 50–90 ms for a render taking 9 ms
 * alone), so when the absolute budget is missed the same runs decide by ratio: the hostile input
 * may cost at most 8 times 16 KB of ordinary Markdown measured alternately with it. A
 * super-linear blow-up (the failure this guards against) misses both by orders of magnitude.
 */
function withinBudget(text: string): { ok: boolean; ms: number; ratio: number } {
  let best = Infinity;
  let ratio = Infinity;
  for (let i = 0; i < 20 && best >= 50; i++) {
    const ms = cpuMs(text);
    best = Math.min(best, ms);
    ratio = Math.min(ratio, ms / Math.max(cpuMs(ORDINARY), 0.05));
  }
  return { ok: best < 50 || ratio < 8, ms: best, ratio };
}

describe('renderMarkdown: what people write', () => {
  const cases: Array<[string, string, string[]]> = [
    ['bold', 'a **bold** b', ['<p>a <strong>bold</strong> b</p>']],
    ['italic', '_it_ and *also*', ['<em>it</em> and <em>also</em>']],
    ['strikethrough', '~~gone~~', ['<del>gone</del>']],
    ['bullet list', '- one\n- two', ['<ul><li>one</li><li>two</li></ul>']],
    ['ordered list with start', '3. three\n4. four', ['<ol start="3"><li>three</li><li>four</li></ol>']],
    ['task list, read only', '- [ ] todo\n- [x] done', [
      '<li class="task-list-item"><input type="checkbox" disabled="" readonly="" aria-label="Not done"/>todo</li>',
      '<li class="task-list-item"><input type="checkbox" checked="" disabled="" readonly="" aria-label="Done"/>done</li>',
    ]],
    ['table with alignment', '| a | b |\n|:-:|--:|\n| 1 | 2 |', ['<table><thead><tr><th class="align-center">a</th><th class="align-right">b</th></tr></thead><tbody><tr><td class="align-center">1</td><td class="align-right">2</td></tr></tbody></table>']],
    ['code span', 'run `npm test` now', ['<code>npm test</code>']],
    ['fenced code with language', '```ts\nconst x: number = 1;\n```', ['<pre><code class="hljs language-ts"><span class="hljs-keyword">const</span>', '<span class="hljs-number">1</span>']],
    ['fenced code, unknown language', '```nosuchlang\n<b>x</b>\n```', ['<pre><code class="language-nosuchlang">&lt;b&gt;x&lt;/b&gt;</code></pre>']],
    ['indented code', '    plain()', ['<pre><code>plain()</code></pre>']],
    ['heading', '# Title\n### Small', ['<h1>Title</h1>', '<h3>Small</h3>']],
    ['blockquote', '> quoted\n> more', ['<blockquote><p>quoted<br/>more</p></blockquote>']],
    ['line breaks as typed', 'one\ntwo', ['<p>one<br/>two</p>']],
    ['autolink', 'see https://example.com/a?b=1.', ['<a href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer nofollow">https://example.com/a?b=1</a>.']],
    ['angle autolink and e-mail', '<https://x.test/y> bob@example.com', ['<a href="https://x.test/y" target="_blank"', '<a href="mailto:bob@example.com" target="_blank" rel="noopener noreferrer nofollow">bob@example.com</a>']],
    ['e-mail at the end of a sentence, not a file name', 'write to ops@example.org. Not x@localhost or @bob', ['<a href="mailto:ops@example.org" target="_blank" rel="noopener noreferrer nofollow">ops@example.org</a>. Not x@localhost or <span class="mention mention-me">@bob</span>']],
    ['link', '[docs](https://example.com/docs "Docs")', ['<a href="https://example.com/docs" target="_blank" rel="noopener noreferrer nofollow">docs</a>']],
    ['permalink stays in the app', '[that](/acme/pl/abc123)', ['<a href="/acme/pl/abc123">that</a>']],
    ['mention of the reader and of others', 'hi @Bob and @carol, @here', ['<span class="mention mention-me">@Bob</span>', '<span class="mention">@carol</span>', '<span class="mention mention-me">@here</span>']],
    ['~channel link', 'join ~town-square.', ['join <a class="channel-mention" href="/acme/channels/town-square">~town-square</a>.']],
    ['emoji shortcode', 'yay :tada: :no_such_emoji_name: 10:30:45', ['<span class="emoji" role="img" aria-label="tada" title=":tada:">🎉</span> :no_such_emoji_name: 10:30:45']],
    ['image is a link, never loaded', '![a cat](https://example.com/cat.png)', ['<a href="https://example.com/cat.png" target="_blank" rel="noopener noreferrer nofollow" class="image-link">a cat</a>']],
    ['horizontal rule', 'a\n\n---\n\nb', ['<hr/>']],
    ['raw HTML is text', '<b onclick="x()">hi</b>', ['&lt;b onclick=&quot;x()&quot;&gt;hi&lt;/b&gt;']],
  ];
  it.each(cases)('%s', (_name, text, expected) => {
    const markup = html(text);
    for (const e of expected) expect(markup).toContain(e);
    expect(problems(markup)).toEqual([]);
  });

  it('agrees with the server on who is mentioned', () => {
    const mentions = (nodes: readonly MdNode[]): string[] => nodes.flatMap((n) => typeof n === 'string' ? []
      : n.tag === 'span' && n.props?.className?.startsWith('mention') === true ? [(n.children[0] as string).slice(1).toLowerCase()] : mentions(n.children));
    const samples = [
      'hey @alice.smith, @bob_2 and @c-d.', '(@eve) [@frank] "@gina"', 'x@notme @@double a.@dot',
      '`@code` @after\n```\n@block\n```\n@tail', '@all @here', 'trailing @dots...', 'ünïcode @zoë @joe',
      '**@bold** _@em_ > @quoted', '- @listed\n\n```\n@fenced\n```',
    ];
    // (The server skips code by a plain ``` … ``` match; Markdown differs only for a fence
    // opened mid-line, which is not a fence at all.)
    for (const text of samples) {
      const server = parseMentions(text);
      const client = mentions(renderMarkdown(text));
      const named = [...new Set(client.filter((u) => !['all', 'channel', 'here'].includes(u)))];
      // The server offers both `c-d.` and `c-d` as candidates (a username may end in `.`,
      // `_` or `-`, and only the store knows which exists); the client highlights the
      // trimmed form, which is the one that exists in the common case.
      const trimmed = [...new Set(server.usernames.map((u) => u.replace(/[._-]+$/, '')).filter((u) => u !== ''))];
      expect(named.sort(), text).toEqual(trimmed.sort());
      expect(client.some((u) => u === 'all' || u === 'channel'), text).toBe(server.all);
      expect(client.includes('here'), text).toBe(server.here);
    }
  });

  it('marks no mention inside code or links, and no emoji inside code', () => {
    const markup = html('`@bob :tada:` [@bob](https://x.test)\n```\n@bob :tada:\n```');
    expect(markup).not.toContain('mention');
    expect(markup).not.toContain('🎉');
  });

  it('shows code plain until the highlighter is there, and asks for it only for fenced code naming a language', () => {
    expect(toHtml(renderMarkdown('```ts\nconst x = 1;\n```'))).toBe('<pre><code class="language-ts">const x = 1;</code></pre>');
    expect(wantsHighlighter('x\n```ts\ncode\n```')).toBe(true);
    expect(wantsHighlighter('~~~ python\ncode\n~~~')).toBe(true);
    expect(wantsHighlighter('```\nplain\n```')).toBe(false);
    expect(wantsHighlighter('inline ```ts``` only')).toBe(false);
  });

  it('keeps the text of quotes nested 40 deep and lists 20 deep', () => {
    const markup = html(`${'> '.repeat(40)}deep quote\n\n${Array.from({ length: 20 }, (_, i) => `${'  '.repeat(i)}- level ${i}`).join('\n')}`);
    expect(markup).toContain('deep quote');
    expect(markup).toContain('level 19');
  });

  it('shows ~channel as text without a team, and keeps mentions without a reader', () => {
    expect(html('~town', {})).toBe('<p><span class="channel-mention">~town</span></p>');
    expect(html('@bob', {})).toBe('<p><span class="mention">@bob</span></p>');
  });
});

describe('safeHref', () => {
  it.each([
    ['https://example.com/x', true], ['HTTP://EXAMPLE.COM', true], ['mailto:a@b.c', true], ['/acme/pl/abc', true],
    ['javascript:alert(1)', false], ['JaVaScRiPt:alert(1)', false], [' javascript:alert(1)', false], ['java\tscript:alert(1)', false],
    ['data:text/html,<script>', false], ['vbscript:x', false], ['file:///etc/passwd', false], ['//evil.example', false],
    ['/\\evil.example', false], ['/\t/evil.example', false], ['https:evil.example', false], ['http://', false], ['mailto:', false],
    ['relative/path', false], ['#top', false], ['', false], ['https://a.b/\u2028', false],
  ])('%j → %s', (url, ok) => {
    expect(safeHref(url) !== undefined).toBe(ok);
  });
});

const HOSTILE = [
  '<img src=x onerror=alert(1)>', '<script>alert(1)</script>', '<svg onload=alert(1)>', '<iframe src="//evil.example">', '<style>*{}</style>',
  '<a href="javascript:alert(1)">x</a>', '[x](javascript:alert(1))', '[x](JaVaScRiPt:alert(1))', '[x](&#106;avascript:alert(1))',
  '[x](&#x6A;&#x61;vascript:alert(1))', '[x](java&#x09;script:alert(1))', '[x](&#0000106avascript:alert(1))', '[x]( javascript:alert(1) )',
  '[x](<javascript:alert(1)>)', '<javascript:alert(1)>', '<JAVASCRIPT:alert(1)>', '![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '![x](https://evil.example/track.png)', '![x](//evil.example/p.png)', '[x](//evil.example)', '[x](/\\evil.example)', '[x](vbscript:msgbox(1))',
  '[x](file:///etc/passwd)', '[ref]\n\n[ref]: javascript:alert(1)', '[ref]: data:text/html,x\n![ref]', '<https://x.test/" onmouseover="alert(1)>',
  '[x](https://x.test/" onclick="alert(1))', '[a](https://x.test "t\\" onclick=\\"x")', '```js" onload="x\ncode\n```', '~~~<script>\nx\n~~~',
  '[[[[', ']]]]', '](', '(', ')', '!', '`', '```', '\n', '\n\n', '    ', '*', '**', '_', '~~', '~', '|', '|-|', '- [ ] ', '- [x] ', '> ', '# ', '1. ',
  '@', '@bob', ':', ':tada:', '~town', 'https://', 'http://x.test', 'mailto:', 'a@b.c', '&', '&amp;', '&lt;', '&#60;', '&#x3C;', '<', '>', '"', "'", ' ', '\t',
  '\u0000', '\u2028', '\u202e', '\ud800', 'onerror=', 'style="color:red"', '<!-- x -->', '<![CDATA[x]]>', '\\', '\\<', '&#0;', 'javascript:', 'data:',
];
const hostile = fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...HOSTILE) }, fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 })), { maxLength: 60 }).map((parts) => parts.join(''));

describe('renderMarkdown: hostile input', () => {
  it('never yields script, event handlers, unsafe URLs or remote images, and renders in under 50 ms', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        expect(problems(html(text))).toEqual([]);
        expect(withinBudget(text)).toMatchObject({ ok: true });
      }),
      { numRuns: 600 },
    );
  });

  it('each hostile fragment on its own', () => {
    for (const text of HOSTILE) expect(problems(html(text)), text).toEqual([]);
  });

  it('catches what it is meant to catch (the checker can fail)', () => {
    expect(problems('<p><img src="https://evil.example/x.png"/></p>')).toContain('element <img>');
    expect(problems('<a href="javascript:alert(1)">x</a>')).toContain('href javascript:alert(1)');
    expect(problems('<a href="//evil.example">x</a>')).toContain('href //evil.example');
    expect(problems('<span onclick="x">x</span>')).toContain('handler onclick');
    expect(problems('<script>x</script>')).toContain('script');
  });

  // Large inputs: the server keeps messages to 16,383 characters; 100 KB of backticks besides.
  const L = 16_383;
  const fill = (unit: string) => unit.repeat(Math.floor(L / unit.length));
  it.each([
    ['100 KB of backticks', '`'.repeat(100_000)],
    ['backtick runs', fill('``` `` `')],
    ['nested brackets', '['.repeat(8_000) + ']'.repeat(8_000)],
    ['nested links', fill('[a](')],
    ['nested images', fill('![a](')],
    ['emphasis runs', fill('*a ')],
    ['underscores', fill('_a')],
    ['nested quotes and lists', fill('> - ')],
    ['entities', fill('&#106;')],
    ['e-mail addresses', fill('a@b.cd ')],
    ['an e-mail address of many dots', `a@${fill('b.').slice(0, 16_000)}_`],
    ['links', fill('https://a.b/ ')],
    ['mentions, channels and emoji', fill('@bob ~town :tada: ')],
    ['raw HTML', fill('<img src=x onerror=alert(1)>')],
    ['unclosed fences', fill('```x\n')],
    ['a long table', `| a | b | c | d |\n|---|:-:|--:|---|\n${fill('| 1 | **2** | `3` | 4 |\n')}`],
    ['a wide table', `${'|a'.repeat(200)}\n${'|-'.repeat(200)}\n${fill('|b').slice(0, 12_000)}`],
    ['code to highlight', `\`\`\`ts\n${fill('const x = "a"; // b\n').slice(0, 5_900)}\n\`\`\``],
  ])('%s: safe and under 50 ms', (_name, text) => {
    expect(problems(html(text))).toEqual([]);
    expect(withinBudget(text)).toMatchObject({ ok: true });
  });
});
