import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import {
  MAX_POST_LENGTH,
  memberKey,
  validateChannelName,
  validateDisplayName,
  validateEmail,
  validateEmoji,
  validateMessage,
  validateTeamName,
  validateText,
  validateUsername,
} from '../../src/domain/rules.js';

function refusal(fn: () => unknown): { code: string; field: unknown } {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return { code: err.code, field: err.details?.field };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('username rules', () => {
  it.each([
    ['alice', 'alice'],
    ['  Alice  ', 'alice'],
    ['a.b-c_d', 'a.b-c_d'],
    ['abc', 'abc'],
    ['a'.repeat(22), 'a'.repeat(22)],
    ['bob.', 'bob.'],
  ])('accepts %j as %j', (input, output) => {
    expect(validateUsername(input)).toBe(output);
  });

  it.each(['ab', 'a'.repeat(23), '1abc', '_abc', 'al ice', 'al@ice', 'alicé', '', 'a\u0000bc'])('refuses %j', (input) => {
    expect(refusal(() => validateUsername(input))).toEqual({ code: 'VALIDATION_ERROR', field: 'username' });
  });

  it.each(['all', 'channel', 'here', 'admin', 'System'])('refuses the reserved name %j', (input) => {
    expect(refusal(() => validateUsername(input))).toEqual({ code: 'VALIDATION_ERROR', field: 'username' });
  });
});

describe('e-mail rules', () => {
  it('normalises case and spaces', () => {
    expect(validateEmail('  Ada@Example.COM ')).toBe('ada@example.com');
  });
  it.each(['ada', 'ada@', '@example.com', 'ada@example', 'a da@example.com', `${'a'.repeat(65)}@example.com`, `a@${'b'.repeat(250)}.com`])('refuses %j', (input) => {
    expect(refusal(() => validateEmail(input))).toEqual({ code: 'VALIDATION_ERROR', field: 'email' });
  });
});

describe('team and channel names', () => {
  it('team names: 3–64 of a-z, 0-9 and inner dashes, lower-cased', () => {
    expect(validateTeamName(' My-Team ')).toBe('my-team');
    expect(validateTeamName('a'.repeat(64))).toBe('a'.repeat(64));
    for (const bad of ['ab', '-abc', 'abc-', 'a_b_c', 'a'.repeat(65), 'tëam', 'a b c']) {
      expect(refusal(() => validateTeamName(bad))).toEqual({ code: 'VALIDATION_ERROR', field: 'name' });
    }
  });

  it('channel names: 1–64 of a-z, 0-9, _ and -, lower-cased', () => {
    expect(validateChannelName('Town-Square')).toBe('town-square');
    expect(validateChannelName('x')).toBe('x');
    expect(validateChannelName('a_b-1')).toBe('a_b-1');
    for (const bad of ['', '-x', '_x', 'a'.repeat(65), 'a b', 'a.b', 'ça']) {
      expect(refusal(() => validateChannelName(bad))).toEqual({ code: 'VALIDATION_ERROR', field: 'name' });
    }
  });
});

describe('display names and free text', () => {
  it('trims display names and counts characters, not UTF-16 units', () => {
    expect(validateDisplayName('display_name', '  Ada  ')).toBe('Ada');
    expect(validateDisplayName('display_name', '😀'.repeat(64))).toBe('😀'.repeat(64));
    expect(refusal(() => validateDisplayName('display_name', '😀'.repeat(65)))).toEqual({ code: 'VALIDATION_ERROR', field: 'display_name' });
    expect(refusal(() => validateDisplayName('display_name', '   '))).toEqual({ code: 'VALIDATION_ERROR', field: 'display_name' });
    expect(validateDisplayName('nickname', '', { allowEmpty: true })).toBe('');
  });

  it('limits free text by characters and keeps it as written', () => {
    expect(validateText('purpose', '  x  ', 5)).toBe('  x  ');
    expect(refusal(() => validateText('purpose', 'x'.repeat(6), 5))).toEqual({ code: 'VALIDATION_ERROR', field: 'purpose' });
  });

  it('messages: not blank, at most MAX_POST_LENGTH characters', () => {
    expect(validateMessage('  hi  ')).toBe('  hi  ');
    expect(validateMessage('é'.repeat(MAX_POST_LENGTH))).toHaveLength(MAX_POST_LENGTH);
    expect(refusal(() => validateMessage(' \n\t '))).toEqual({ code: 'VALIDATION_ERROR', field: 'message' });
    expect(refusal(() => validateMessage('x'.repeat(MAX_POST_LENGTH + 1)))).toEqual({ code: 'VALIDATION_ERROR', field: 'message' });
  });

  it('emoji names: short words of a-z, 0-9, _, + and -', () => {
    expect(validateEmoji(' ThumbsUp ')).toBe('thumbsup');
    expect(validateEmoji('+1')).toBe('+1');
    for (const bad of ['', 'a b', ':smile:', 'x'.repeat(65), '😀']) {
      expect(refusal(() => validateEmoji(bad))).toEqual({ code: 'VALIDATION_ERROR', field: 'emoji_name' });
    }
  });
});

describe('memberKey', () => {
  it('is the sorted, distinct member ids, whatever the order given', () => {
    expect(memberKey(['b', 'a', 'c', 'a'])).toBe('a,b,c');
    expect(memberKey(['c', 'b', 'a'])).toBe(memberKey(['a', 'c', 'b']));
  });
});
