/** Text helpers of the client: mentions (shared with the Markdown renderer), mention completion, times, URL names. */
import { formatDate, t } from '../i18n/index.js';

const BROADCAST = new Set(['channel', 'all', 'here']);
/**
 * An @mention (one capture group: the username), as the server parses them
 * (src/domain/mentions.ts): it starts after anything that is not a word character, '@', '.'
 * or '-'. The Markdown renderer (lib/markdown.ts) marks these in text, never in code.
 */
export const MENTION_PATTERN = String.raw`(?<![\w@.-])@([a-z0-9][a-z0-9._-]*[a-z0-9_]|[a-z0-9])`;

/** A mention's username (lower case), and whether it is the reader's: by name, or `@channel`/`@all`/`@here`. */
export function mentionOf(username: string, me: string | undefined): { username: string; me: boolean; broadcast: boolean } {
  const name = username.toLowerCase();
  const broadcast = BROADCAST.has(name);
  return { username: name, broadcast, me: broadcast || (me !== undefined && name === me.toLowerCase()) };
}

/** The @word being typed just before the caret, for autocomplete (undefined when none). */
export function mentionQueryAt(text: string, caret: number): { start: number; query: string } | undefined {
  const m = /(?<![\w@.-])@([a-z0-9._-]*)$/i.exec(text.slice(0, caret));
  if (m === null) return undefined;
  return { start: caret - m[0].length, query: m[1]!.toLowerCase() };
}

/** "14:05" in the reader's time zone (24-hour, the locale's digits). */
export function formatClock(ms: number): string {
  return formatDate(ms, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
}

/** "Today", "Yesterday" or a date, for day separators. */
export function formatDay(ms: number, now: number = Date.now()): string {
  const d = new Date(ms);
  const today = new Date(now);
  const startOf = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((startOf(today) - startOf(d)) / 86_400_000);
  if (days === 0) return t('date.today');
  if (days === 1) return t('date.yesterday');
  return formatDate(d, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
}

/** Whether two times fall on the same local day. */
export function sameDay(a: number, b: number): boolean {
  const x = new Date(a);
  const y = new Date(b);
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() && x.getDate() === y.getDate();
}

/** "a-team name" → "a-team-name": a suggestion for a URL name from a display name. */
export function slugify(displayName: string, max = 64): string {
  return displayName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');
}
