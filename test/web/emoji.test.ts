/**
 * The web client's emoji table (web/src/lib/emoji.ts): the same names as the server's, what
 * shows before and after the full set loads, search ranking and skin tones, the composer's
 * `:name` detection, recently used, and `:name:` segments in message text.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { standardEmojiNames } from '../../src/domain/emoji.js';
import {
  EMOJI, QUICK_REACTIONS, emojiByName, emojiChar, emojiLoaded, emojiQueryAt, isStandardEmoji, loadEmoji, noteEmojiUsed, recentEmoji, searchEmoji, setCustomEmoji,
} from '../../web/src/lib/emoji.js';
import { renderMarkdown, type MdNode } from '../../web/src/lib/markdown.js';

describe('before the full set has loaded', () => {
  it('answers the common names and leaves the rest as typed', () => {
    expect(emojiLoaded()).toBe(false);
    expect(emojiChar('+1')).toBe('👍');
    expect(emojiChar('unicorn_face')).toBe(':unicorn_face:');
    for (const q of QUICK_REACTIONS) expect(EMOJI[q]).toBeDefined();
  });
});

describe('the full set', () => {
  beforeAll(async () => {
    await loadEmoji();
  });

  it('knows exactly the names the server accepts, each with a character', () => {
    const server = standardEmojiNames();
    const missing = [...server].filter((n) => !isStandardEmoji(n) || emojiChar(n) === `:${n}:`);
    expect(missing).toEqual([]);
    expect(server.size).toBeGreaterThan(5000);
    // The names the client offered before are still there, with the same characters.
    for (const [name, char] of Object.entries(EMOJI)) expect(emojiChar(name).replace('\uFE0F', ''), name).toBe(char.replace('\uFE0F', ''));
    expect(emojiChar('+1_tone3')).toBe('👍🏽');
    expect(emojiChar('no_such_emoji')).toBe(':no_such_emoji:');
  });

  it('searches names first, then labels and keywords, with the chosen skin tone', () => {
    expect(searchEmoji('tada')[0]?.name).toBe('tada');
    expect(searchEmoji(':thumbsup:')[0]?.char?.replace('\uFE0F', '')).toBe('👍');
    expect(searchEmoji('thumbsup', 5, 3)[0]).toMatchObject({ name: '+1_tone3', char: '👍🏽' });
    expect(searchEmoji('party popper').map((m) => m.name)).toContain('tada');
    expect(searchEmoji('zzzzqqq')).toEqual([]);
    expect(searchEmoji('', 10)).toHaveLength(10);
  });

  it('includes custom emoji by name, as images', () => {
    setCustomEmoji([{ id: 'e1', name: 'partyparrot', creator_id: 'u', created_at: 1 }]);
    expect(searchEmoji('partyp')[0]).toMatchObject({ name: 'partyparrot', url: '/api/v1/emoji/e1/image' });
    expect(emojiByName('partyparrot')?.url).toBe('/api/v1/emoji/e1/image');
    setCustomEmoji([]);
    expect(emojiByName('partyparrot')).toBeUndefined();
  });
});

describe('the composer', () => {
  it('completes `:name` of two characters or more at the start of a word', () => {
    expect(emojiQueryAt('hi :ta', 6)).toEqual({ start: 3, query: 'ta' });
    expect(emojiQueryAt(':+1', 3)).toEqual({ start: 0, query: '+1' });
    expect(emojiQueryAt('hi :t', 5)).toBeUndefined();
    expect(emojiQueryAt('at 10:30', 8)).toBeUndefined();
    expect(emojiQueryAt('see :tada: now', 14)).toBeUndefined();
    expect(emojiQueryAt('hi :TAD and more', 7)).toEqual({ start: 3, query: 'tad' });
  });
});

describe('recently used', () => {
  it('keeps the last used first, without repeats (in localStorage when there is one)', () => {
    const store = new Map<string, string>();
    (globalThis as { localStorage?: unknown }).localStorage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => store.set(k, v) };
    try {
      noteEmojiUsed('tada');
      noteEmojiUsed('+1');
      noteEmojiUsed('tada');
      expect(recentEmoji()).toEqual(['tada', '+1']);
    } finally {
      delete (globalThis as { localStorage?: unknown }).localStorage;
    }
  });
});

describe(':name: in message text', () => {
  /** The emoji the Markdown renderer marks in a message (standard, or custom while it exists). */
  const emojiIn = (text: string): string[] => {
    const out: string[] = [];
    const walk = (nodes: readonly MdNode[]): void => {
      for (const n of nodes) {
        if (typeof n === 'string') continue;
        if (n.tag === 'span' && n.props?.className === 'emoji') out.push(String(n.props['aria-label']));
        walk(n.children);
      }
    };
    walk(renderMarkdown(text));
    return out;
  };

  it('becomes an emoji (standard or custom); code and links keep their colons, unknown names stay text', () => {
    expect(emojiIn('ship :rocket: now')).toEqual(['rocket']);
    expect(emojiIn('`:rocket:`')).toEqual([]);
    expect(emojiIn('https://example.com/a:rocket:c')).toEqual([]);
    expect(emojiIn(':+1::partyparrot:')).toEqual(['+1']);
    setCustomEmoji([{ id: 'e1', name: 'partyparrot', creator_id: 'u', created_at: 1 }]);
    try {
      expect(emojiIn(':+1::partyparrot:')).toEqual(['+1', 'partyparrot']);
    } finally {
      setCustomEmoji([]);
    }
    expect(emojiIn(':partyparrot:')).toEqual([]);
  });
});
