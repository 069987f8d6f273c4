/** Which link of a message is previewed, and what a page's HTML says about itself. */
import { describe, expect, it } from 'vitest';
import { cleanText, firstLink, pageCharset, parsePageMeta } from '../../src/domain/link-preview.js';

describe('firstLink', () => {
  it.each<[string, string | undefined]>([
    ['see https://example.com/a?b=1#frag', 'https://example.com/a?b=1'],
    ['see https://example.com/page.', 'https://example.com/page'],
    ['(https://en.wikipedia.org/wiki/Rust_(programming_language))', 'https://en.wikipedia.org/wiki/Rust_(programming_language)'],
    ['[docs](https://docs.example.com/x), then http://second.example', 'https://docs.example.com/x'],
    ['<https://angle.example/>', 'https://angle.example/'],
    ['`https://in-a-span.example` but https://after.example', 'https://after.example/'],
    ['```\nhttps://in-a-block.example\n```\nhttps://after-block.example', 'https://after-block.example/'],
    ['```\nhttps://never-closed.example', undefined],
    ['~~~ js\nhttps://tilde-block.example\n~~~~\nhttps://after-tilde.example', 'https://after-tilde.example/'],
    ['``a `https://inner.example` b`` https://outer.example', 'https://outer.example/'],
    ['an ` unmatched tick https://after-tick.example', 'https://after-tick.example/'],
    ['    https://indented-code.example', undefined],
    ['ftp://files.example and javascript:alert(1) and data:text/html,x', undefined],
    ['https://user:pw@creds.example/ then https://ok.example', 'https://ok.example/'],
    ['HTTPS://UPPER.EXAMPLE/Path', 'https://upper.example/Path'],
    ['http://2130706433/', 'http://127.0.0.1/'],
    ['no links here, just example.com', undefined],
    ['https://', undefined],
  ])('%j → %s', (message, expected) => {
    expect(firstLink(message)).toBe(expected);
  });

  it('stays linear on hostile messages (a post must never wait on its link)', () => {
    const hostile = [
      '`'.repeat(16_000), '~'.repeat(16_000), '```\n'.repeat(5_000), '` a '.repeat(4_000), `https://a.example/${')'.repeat(16_000)}`, `https://a.example/${'('.repeat(16_000)}`,
      '```' + 'a'.repeat(16_000), 'http://a '.repeat(1_700), `${'`x'.repeat(4_000)}`, '    x\n'.repeat(2_600),
    ];
    for (const text of hostile) {
      const started = performance.now();
      firstLink(text);
      expect(performance.now() - started, text.slice(0, 20)).toBeLessThan(50);
    }
  });

  it('skips links longer than the limit', () => {
    expect(firstLink(`https://example.com/${'a'.repeat(3000)} https://short.example`)).toBe('https://short.example/');
  });
});

describe('parsePageMeta', () => {
  const page = new URL('https://site.example/articles/1');

  it('prefers Open Graph, then Twitter cards, then <title> and the description tag', () => {
    const html = `<!doctype html><html><head><title>Plain &amp; title</title>
      <meta name="description" content="Plain description">
      <meta name="twitter:title" content="Card title">
      <meta property="og:title" content="OG &quot;title&quot;">
      <meta property="og:site_name" content="Site">
      <meta property="og:image" content="/img/cover.png">
      <meta property="og:image" content="/img/second.png">
      </head><body><script>document.write('<meta property="og:description" content="from script">')</script></body></html>`;
    expect(parsePageMeta(html, page)).toEqual({ title: 'OG "title"', description: 'Plain description', site_name: 'Site', image: 'https://site.example/img/cover.png' });
    expect(parsePageMeta('<title>\n  Only\n a   title </title>', page)).toEqual({ title: 'Only a title', description: null, site_name: null, image: null });
    expect(parsePageMeta('<meta name="twitter:image" content="https://cdn.example/x.jpg"><meta name="twitter:description" content="d">', page)).toMatchObject({ image: 'https://cdn.example/x.jpg', description: 'd' });
  });

  it('keeps only http(s) images and readable, bounded text', () => {
    for (const bad of ['javascript:alert(1)', 'data:image/svg+xml,<svg onload=alert(1)>', 'file:///etc/passwd', 'https://u:p@x.example/i.png']) {
      expect(parsePageMeta(`<meta property="og:image" content="${bad}">`, page).image, bad).toBeNull();
    }
    const meta = parsePageMeta(`<meta property="og:title" content="a\u202Eb\u0000c"><meta property="og:description" content="${'x'.repeat(5000)}">`, page);
    expect(meta.title).toBe('abc');
    expect(Array.from(meta.description!).length).toBe(1000);
    expect(cleanText('   ', 10)).toBeNull();
  });

  it('reads the character set from the header, then the page', () => {
    expect(pageCharset('text/html; charset=ISO-8859-1', Buffer.alloc(0))).toBe('iso-8859-1');
    expect(pageCharset('text/html', Buffer.from('<meta charset="windows-1252">'))).toBe('windows-1252');
    expect(pageCharset(null, Buffer.from('<meta charset="no-such-charset">'))).toBe('utf-8');
  });
});
