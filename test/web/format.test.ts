/** Message segmentation: mentions (as the server parses them), links and code. */
import { describe, expect, it } from 'vitest';
import { mentionQueryAt, mentionsUser, segmentMessage, slugify } from '../../web/src/lib/format.js';
import { parseMentions } from '../../src/domain/mentions.js';

describe('segmentMessage', () => {
  it('marks mentions of the reader and @channel/@all/@here as theirs, others as plain mentions', () => {
    expect(segmentMessage('hi @Bob and @carol, @channel!', 'bob')).toEqual([
      { kind: 'text', text: 'hi ' },
      { kind: 'mention', text: '@Bob', username: 'bob', me: true, broadcast: false },
      { kind: 'text', text: ' and ' },
      { kind: 'mention', text: '@carol', username: 'carol', me: false, broadcast: false },
      { kind: 'text', text: ', ' },
      { kind: 'mention', text: '@channel', username: 'channel', me: true, broadcast: true },
      { kind: 'text', text: '!' },
    ]);
  });

  it('does not treat e-mail addresses or mentions inside code as mentions', () => {
    const segs = segmentMessage('mail bob@example.com `@bob` and\n```\n@bob here\n```', 'bob');
    expect(segs.filter((s) => s.kind === 'mention')).toEqual([]);
    expect(segs).toContainEqual({ kind: 'code', text: '@bob' });
    expect(segs).toContainEqual({ kind: 'codeblock', text: '@bob here' });
  });

  it('agrees with the server on who is mentioned', () => {
    const samples = [
      'hey @alice.smith, @bob_2 and @c-d.', '(@eve) [@frank] "@gina"', 'x@notme @@double a.@dot',
      '`@code` @after ```\n@block\n``` @tail', '@all @here', 'trailing @dots...', 'ünïcode @zoë @joe',
    ];
    for (const text of samples) {
      const server = parseMentions(text);
      const client = segmentMessage(text).flatMap((s) => (s.kind === 'mention' ? [s.username] : []));
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

  it('turns http(s) URLs into links without trailing punctuation, and nothing else', () => {
    const segs = segmentMessage('see https://example.com/a?b=1. or (http://x.test/y) javascript:alert(1)');
    expect(segs.filter((s) => s.kind === 'link').map((s) => (s as { href: string }).href)).toEqual(['https://example.com/a?b=1', 'http://x.test/y']);
    expect(segs.map((s) => s.text).join('')).toBe('see https://example.com/a?b=1. or (http://x.test/y) javascript:alert(1)');
  });

  it('keeps every character of the message, in order', () => {
    const text = 'a `b` @c https://d.e ```\nf\n``` g';
    const joined = segmentMessage(text).map((s) => (s.kind === 'code' ? `\`${s.text}\`` : s.kind === 'codeblock' ? `\`\`\`\n${s.text}\n\`\`\`` : s.text)).join('');
    expect(joined).toBe(text);
  });

  it('mentionsUser and mentionQueryAt', () => {
    expect(mentionsUser('ping @dave', 'dave')).toBe(true);
    expect(mentionsUser('ping @davey', 'dave')).toBe(false);
    expect(mentionsUser('@here', 'dave')).toBe(true);
    expect(mentionQueryAt('hello @da', 9)).toEqual({ start: 6, query: 'da' });
    expect(mentionQueryAt('mail a@da', 9)).toBeUndefined();
  });

  it('slugify suggests valid URL names', () => {
    expect(slugify('Web Team')).toBe('web-team');
    expect(slugify('  Ünïcode & Friends!! ')).toBe('unicode-friends');
    expect(slugify('---')).toBe('');
  });
});
