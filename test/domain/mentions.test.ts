import { describe, expect, it } from 'vitest';
import { parseMentions, resolveMentionNames } from '../../src/domain/mentions.js';

describe('parseMentions', () => {
  it.each([
    ['hello @bob', ['bob']],
    ['@bob at the start', ['bob']],
    ['(@bob) and "@carol"', ['bob', 'carol']],
    ['case @BoB', ['bob']],
    ['twice @bob @bob', ['bob']],
    ['dots @bob.smith and under_scores @a_b', ['bob.smith', 'a_b']],
    ['single letter @x', ['x']],
    ['hi,@bob!', ['bob']],
    ['tab\t@bob\nnewline', ['bob']],
  ])('finds the usernames in %j', (message, usernames) => {
    expect(parseMentions(message)).toEqual({ usernames, all: false, here: false });
  });

  it.each([
    ['thanks @bob.', ['bob.', 'bob']],
    ['ping @bob-', ['bob-', 'bob']],
    ['_@bob_', ['bob_', 'bob']],
    ['ok @bob...', ['bob...', 'bob']],
  ])('offers the trimmed form of a token ending in punctuation: %j', (message, usernames) => {
    expect(parseMentions(message).usernames).toEqual(usernames);
  });

  it.each([
    'mail bob@example.com',
    'no space x@bob',
    'double @@bob',
    'dash-@bob',
    'dot.@bob',
    'inline `@bob` code',
    'block ```\n@bob\n``` code',
    'a lone @ sign',
    '@-bob',
  ])('finds no mention in %j', (message) => {
    expect(parseMentions(message).usernames).toEqual([]);
  });

  it('recognises @channel, @all and @here, with trailing punctuation', () => {
    expect(parseMentions('@channel look')).toEqual({ usernames: [], all: true, here: false });
    expect(parseMentions('hey @ALL.')).toEqual({ usernames: [], all: true, here: false });
    expect(parseMentions('anyone @here?')).toEqual({ usernames: [], all: false, here: true });
    expect(parseMentions('@here and @bob')).toEqual({ usernames: ['bob'], all: false, here: true });
    expect(parseMentions('`@channel` in code')).toEqual({ usernames: [], all: false, here: false });
    // Names that merely start with a special word are usernames.
    expect(parseMentions('@channel-ops @allison @here2')).toEqual({ usernames: ['channel-ops', 'allison', 'here2'], all: false, here: false });
  });
});

describe('resolveMentionNames', () => {
  it('prefers the name as written, falling back to the trimmed form', () => {
    expect(resolveMentionNames('thanks @bob.', new Set(['bob']))).toEqual(['bob']);
    expect(resolveMentionNames('thanks @bob.', new Set(['bob', 'bob.']))).toEqual(['bob.']);
    expect(resolveMentionNames('thanks @bob.', new Set(['carol']))).toEqual([]);
    expect(resolveMentionNames('@a @b `@c`', new Set(['a', 'b', 'c']))).toEqual(['a', 'b']);
  });
});
