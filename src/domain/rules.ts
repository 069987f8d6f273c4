/** Pure naming and content rules shared by services and presenters. */
import { invalid } from './errors.js';

export const USERNAME_RE = /^[a-z][a-z0-9._-]{2,21}$/;
export const TEAM_NAME_RE = /^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/;
export const CHANNEL_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const EMOJI_RE = /^[a-z0-9_+-]{1,64}$/;
export const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;
export const MAX_POST_LENGTH = 16_383;
export const MAX_DISPLAY_NAME = 64;
export const RESERVED_USERNAMES = new Set(['all', 'channel', 'here', 'system', 'admin', 'root', 'rustchat', 'everyone']);

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function validateUsername(username: string): string {
  const u = username.trim().toLowerCase();
  if (!USERNAME_RE.test(u)) {
    throw invalid('username', 'Username must be 3–22 characters: lower-case letters, digits, ".", "_" or "-", starting with a letter');
  }
  if (RESERVED_USERNAMES.has(u)) throw invalid('username', `The username "${u}" is reserved`);
  return u;
}

export function validateEmail(email: string): string {
  const e = normalizeEmail(email);
  if (e.length > 254 || !EMAIL_RE.test(e)) throw invalid('email', 'E-mail address is not valid');
  return e;
}

export function validateTeamName(name: string): string {
  const n = name.trim().toLowerCase();
  if (!TEAM_NAME_RE.test(n)) throw invalid('name', 'Team name must be 3–64 characters: lower-case letters, digits and "-", not starting or ending with "-"');
  return n;
}

export function validateChannelName(name: string): string {
  const n = name.trim().toLowerCase();
  if (!CHANNEL_NAME_RE.test(n)) throw invalid('name', 'Channel name must be 1–64 characters: lower-case letters, digits, "_" or "-"');
  return n;
}

export function validateDisplayName(field: string, value: string, { allowEmpty = false } = {}): string {
  const v = value.trim();
  if (!allowEmpty && v === '') throw invalid(field, `${field} must not be empty`);
  if (Array.from(v).length > MAX_DISPLAY_NAME) throw invalid(field, `${field} must be at most ${MAX_DISPLAY_NAME} characters`);
  return v;
}

export function validateText(field: string, value: string, max: number): string {
  if (Array.from(value).length > max) throw invalid(field, `${field} must be at most ${max} characters`);
  return value;
}

/** `allowEmpty`: a post that carries files may have no text. */
export function validateMessage(message: string, allowEmpty = false): string {
  if (message.trim() === '' && !allowEmpty) throw invalid('message', 'Message must not be empty');
  return validateText('message', message, MAX_POST_LENGTH);
}

export function validateEmoji(name: string): string {
  const e = name.trim().toLowerCase();
  if (!EMOJI_RE.test(e)) throw invalid('emoji_name', 'Emoji name must be 1–64 characters: lower-case letters, digits, "_", "+" or "-"');
  return e;
}

/** The uniqueness key of a direct or group channel: its sorted, distinct member ids. */
export function memberKey(userIds: readonly string[]): string {
  return [...new Set(userIds)].sort().join(',');
}

/** The stored key of the direct (`D:`) or group (`G:`) channel of these members. */
export function conversationKey(type: 'direct' | 'group', userIds: readonly string[]): string {
  return `${type === 'direct' ? 'D' : 'G'}:${memberKey(userIds)}`;
}
