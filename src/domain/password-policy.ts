/**
 * Password rules (NIST SP 800-63B style): at least 8 characters, up to 256 allowed, not one
 * of the most common passwords. Passwords are used exactly as typed: no trimming, no case
 * folding, no truncation.
 */
import { dictionary } from '@zxcvbn-ts/language-common';
import { invalid } from './errors.js';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set((dictionary['passwords-common'] as readonly string[]).map((p) => p.toLowerCase()));
  return common;
}

export const passwordPolicy = {
  min_length: PASSWORD_MIN,
  max_length: PASSWORD_MAX,
  rejects_common_passwords: true,
  notes: 'Any characters are allowed, including spaces and emoji; passwords are compared exactly as typed.',
} as const;

export function checkPassword(password: string, context: { username?: string; email?: string } = {}): void {
  const length = Array.from(password).length;
  if (length < PASSWORD_MIN) throw invalid('password', `Password must be at least ${PASSWORD_MIN} characters`);
  if (length > PASSWORD_MAX) throw invalid('password', `Password must be at most ${PASSWORD_MAX} characters`);
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) throw invalid('password', 'This password is too common; choose another');
  if ((context.username && lower === context.username.toLowerCase()) || (context.email && lower === context.email.toLowerCase())) {
    throw invalid('password', 'Password must not be your username or e-mail');
  }
}
