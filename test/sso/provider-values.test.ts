/** What an identity provider sends is made storable before it reaches the database (pure). */
import { describe, expect, it } from 'vitest';
import { clip, usableSubject } from '../../src/services/sso.js';

describe('provider names and subjects', () => {
  it('names lose control characters (NUL included) and lone surrogates, and are cut to length', () => {
    expect(clip('  Ada\u0000 Love\u0007lace\n ')).toBe('Ada Lovelace');
    expect(clip('x\ud800y')).toBe('x\ufffdy');
    expect(clip('é'.repeat(100))).toHaveLength(64);
    expect(clip(undefined)).toBe('');
  });
  it('a subject must be 1–255 well-formed characters without control characters', () => {
    expect(usableSubject('248289761001')).toBe(true);
    for (const bad of ['', 'a\u0000b', 'x\ud800', 's'.repeat(256)]) expect(usableSubject(bad), JSON.stringify(bad)).toBe(false);
  });
});
