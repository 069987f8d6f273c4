import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { PASSWORD_MAX, PASSWORD_MIN, checkPassword, passwordPolicy } from '../../src/domain/password-policy.js';

function message(password: string, context: { username?: string; email?: string } = {}): string | undefined {
  try {
    checkPassword(password, context);
    return undefined;
  } catch (err) {
    if (err instanceof AppError) {
      expect(err.code).toBe('VALIDATION_ERROR');
      expect(err.details?.field).toBe('password');
      return err.message;
    }
    throw err;
  }
}

describe('password policy', () => {
  it('needs at least 8 characters, counted as characters', () => {
    expect(PASSWORD_MIN).toBe(8);
    expect(message('gT7#kq2')).toMatch(/at least 8/);
    expect(message('gT7#kq2x')).toBeUndefined();
    // Seven emoji are 14 UTF-16 units but 7 characters.
    expect(message('🔑'.repeat(7))).toMatch(/at least 8/);
    expect(message('🔑'.repeat(8))).toBeUndefined();
  });

  it('allows long passphrases (64 and up to the maximum), refuses beyond it', () => {
    expect(PASSWORD_MAX).toBeGreaterThanOrEqual(64);
    expect(message('correct horse battery staple '.repeat(3).slice(0, 64))).toBeUndefined();
    expect(message('x7'.repeat(PASSWORD_MAX / 2))).toBeUndefined();
    expect(message('x7'.repeat(PASSWORD_MAX / 2) + 'y')).toMatch(/at most/);
  });

  it.each(['password', 'Password1', 'qwerty123', 'iloveyou', 'trustno1', '12345678', 'QWERTYUIOP'])('refuses the common password %j', (pw) => {
    expect(message(pw)).toMatch(/too common/);
  });

  it('refuses the username or e-mail as password', () => {
    expect(message('ada.lovelace', { username: 'ada.lovelace' })).toMatch(/username or e-mail/);
    expect(message('ADA@EXAMPLE.COM', { email: 'ada@example.com' })).toMatch(/username or e-mail/);
    expect(message('ada.lovelace!', { username: 'ada.lovelace' })).toBeUndefined();
  });

  it('takes any characters as typed: spaces, symbols, emoji, no trimming', () => {
    expect(message('   spaces around   ')).toBeUndefined();
    expect(message('       x')).toBeUndefined();
    expect(message('パスワードは秘密です')).toBeUndefined();
    // A padded common password is not the common password.
    expect(message(' password ')).toBeUndefined();
  });

  it('publishes the same numbers it enforces', () => {
    expect(passwordPolicy).toMatchObject({ min_length: PASSWORD_MIN, max_length: PASSWORD_MAX, rejects_common_passwords: true });
  });
});
