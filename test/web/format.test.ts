/** Formatting helpers: mention completion and URL names (message text: markdown.test.ts). */
import { describe, expect, it } from 'vitest';
import { mentionQueryAt, slugify } from '../../web/src/lib/format.js';

describe('format', () => {
  it('mentionQueryAt', () => {
    expect(mentionQueryAt('hello @da', 9)).toEqual({ start: 6, query: 'da' });
    expect(mentionQueryAt('mail a@da', 9)).toBeUndefined();
  });

  it('slugify suggests valid URL names', () => {
    expect(slugify('Web Team')).toBe('web-team');
    expect(slugify('  Ünïcode & Friends!! ')).toBe('unicode-friends');
    expect(slugify('---')).toBe('');
  });
});
