/** The password rules as the server states them (`GET /auth/policy`), for forms that set a password. */
import type { PasswordPolicy } from './types.js';
import { t } from '../i18n/index.js';

export interface PasswordRules {
  readonly min: number;
  readonly max: number;
  /** One line for under the field. */
  readonly hint: string;
  /** What is wrong with the length, if anything (the server checks the rest). */
  lengthError(password: string): string | undefined;
}

/** Before the policy has loaded: the server's defaults. */
export function passwordRules(policy: PasswordPolicy | undefined): PasswordRules {
  const min = policy?.min_length ?? 8;
  const max = policy?.max_length ?? 256;
  return {
    min,
    max,
    // The policy's notes are the server's own words.
    hint: `${policy?.rejects_common_passwords === true ? t('password.hintCommon', { min }) : t('password.hint', { min })} ${policy?.notes ?? ''}`.trim(),
    lengthError(password) {
      const length = Array.from(password).length;
      if (length < min) return t('password.tooShort', { min });
      if (length > max) return t('password.tooLong', { max });
      return undefined;
    },
  };
}

/** `aria-describedby` from the ids that apply (falsy parts are skipped). */
export const describedBy = (...parts: (string | false | undefined)[]): string | undefined => parts.filter(Boolean).join(' ') || undefined;
