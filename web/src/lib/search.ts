/**
 * Search in the client, as pure functions: the result shapes of /api/v1/search/posts, the
 * excerpt split into marked and plain pieces (rendered as React elements, never as HTML), the
 * result count, and the search box's suggestions (which operator is being typed at the caret,
 * what completes it, and the text once a suggestion is taken). The query language is the
 * server's (README "Search", src/domain/search.ts).
 */
import type { Channel, Post, User } from './types.js';
import { formatDate, t, type MessageKey } from '../i18n/index.js';

type OperatorKey = Extract<MessageKey, `search.op.${string}`>;

/** A post's channel as a search result names it. */
export interface SearchChannel {
  id: string;
  team_id: string | null;
  type: Channel['type'];
  name: string;
  display_name: string;
}

/** A window of a post's text with the UTF-16 [start, end) ranges that matched. */
export interface SearchExcerpt {
  text: string;
  highlights: Array<[number, number]>;
  truncated_start: boolean;
  truncated_end: boolean;
}

export interface SearchHit {
  post: Post;
  channel: SearchChannel;
  excerpt: SearchExcerpt;
}

/** GET /api/v1/search/posts (the same shape as the server's PostResults; checked in test/web/search.test.ts). */
export interface SearchPostsPage {
  results: SearchHit[];
  total: number;
  total_capped: boolean;
  order: 'newest' | 'relevance';
  next_cursor: string | null;
  page: number;
  per_page: number;
}

export type SearchOrder = SearchPostsPage['order'];

/** One piece of an excerpt: matched (`mark`) or not. */
export interface ExcerptPiece {
  readonly text: string;
  readonly mark: boolean;
}

const isHigh = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/**
 * The text cut at the highlight ranges. Ranges come from the server but are checked anyway:
 * non-integers, empty and out-of-range ones are dropped, the rest clamped, sorted and merged,
 * and an edge that would split a surrogate pair is moved outwards (a half character would
 * render as a replacement glyph).
 */
export function highlightPieces(text: string, highlights: ReadonlyArray<readonly [number, number]>): ExcerptPiece[] {
  const ranges: Array<[number, number]> = [];
  for (const range of highlights) {
    let [s, e] = range;
    if (!Number.isInteger(s) || !Number.isInteger(e)) continue;
    s = Math.max(0, s);
    e = Math.min(text.length, e);
    if (s >= e) continue;
    if (s > 0 && isLow(text.charCodeAt(s)) && isHigh(text.charCodeAt(s - 1))) s--;
    if (e < text.length && isHigh(text.charCodeAt(e - 1)) && isLow(text.charCodeAt(e))) e++;
    ranges.push([s, e]);
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Array<[number, number]> = [];
  for (const [s, e] of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  const out: ExcerptPiece[] = [];
  let at = 0;
  for (const [s, e] of merged) {
    if (s > at) out.push({ text: text.slice(at, s), mark: false });
    out.push({ text: text.slice(s, e), mark: true });
    at = e;
  }
  if (at < text.length) out.push({ text: text.slice(at), mark: false });
  return out;
}

/** The start of a message as an excerpt without matches (saved messages), cut at a space when one is near. */
export function plainExcerpt(message: string, width = 200): SearchExcerpt {
  if (message.length <= width) return { text: message, highlights: [], truncated_start: false, truncated_end: false };
  let end = width;
  const space = message.slice(0, end).search(/\s\S*$/);
  if (space >= 0 && space > width - 30) end = space;
  if (isHigh(message.charCodeAt(end - 1)) && isLow(message.charCodeAt(end))) end--;
  return { text: message.slice(0, end), highlights: [], truncated_start: false, truncated_end: true };
}

/** "No results", "1 result", "1,234 results", "10,000+ results" (the server stops counting at its cap). */
export function resultCountLabel(total: number, capped: boolean): string {
  if (capped) return t('search.resultsCapped', { count: total });
  return t('search.results', { count: total });
}

/** "14:05" today, "Mar 3, 14:05" this year, "Mar 3, 2025" before, in the reader's time zone. */
export function resultTime(ms: number, now: number): string {
  const d = new Date(ms);
  const today = new Date(now);
  const clock = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } as const;
  if (d.toDateString() === today.toDateString()) return formatDate(d, clock);
  if (d.getFullYear() === today.getFullYear()) return formatDate(d, { month: 'short', day: 'numeric', ...clock });
  return formatDate(d, { month: 'short', day: 'numeric', year: 'numeric' });
}

/** What "Recent mentions" searches: the server reads `@alice` as the word alice (tokens are runs of letters and digits). */
export function mentionsQuery(username: string): string {
  return `@${username}`;
}

// ---- the search box's suggestions ----

/** The word around the caret: [start, end) in the query, and the part before the caret. */
export interface WordAt {
  readonly start: number;
  readonly end: number;
  readonly typed: string;
}

/** The word the caret is in (or just after): from the previous space to the next one. */
export function wordAt(query: string, caret: number): WordAt {
  const at = Math.max(0, Math.min(caret, query.length));
  let start = at;
  while (start > 0 && !/\s/.test(query[start - 1]!)) start--;
  let end = at;
  while (end < query.length && !/\s/.test(query[end]!)) end++;
  return { start, end, typed: query.slice(start, at) };
}

/** What the word being typed calls for. */
export type SuggestContext =
  | { readonly kind: 'none' }
  /** An empty word or the start of an operator's name: the operator hints. */
  | { readonly kind: 'operators'; readonly prefix: string }
  /** `from:` and what follows (without `@`): people. */
  | { readonly kind: 'from'; readonly query: string }
  /** `in:` and what follows: channels (`~` dropped), or people for a direct channel (`in:@`). */
  | { readonly kind: 'in'; readonly query: string; readonly people: boolean }
  | { readonly kind: 'date'; readonly operator: 'before' | 'after' | 'on'; readonly query: string };

/** Whether the caret is inside a "quoted phrase" (an odd number of quotes before it). */
function inPhrase(query: string, caret: number): boolean {
  return (query.slice(0, caret).match(/["“”„]/g)?.length ?? 0) % 2 === 1;
}

export function suggestContext(query: string, caret: number): SuggestContext {
  if (inPhrase(query, caret)) return { kind: 'none' };
  const { typed } = wordAt(query, caret);
  const op = /^([a-z]+):(.*)$/i.exec(typed);
  if (op !== null) {
    const name = op[1]!.toLowerCase();
    const value = op[2]!;
    if (name === 'from') return { kind: 'from', query: value.replace(/^@/, '') };
    if (name === 'in') return value.startsWith('@') ? { kind: 'in', query: value.slice(1), people: true } : { kind: 'in', query: value.replace(/^~/, ''), people: false };
    if (name === 'before' || name === 'after' || name === 'on') return { kind: 'date', operator: name, query: value };
  }
  return { kind: 'operators', prefix: typed };
}

/** One entry of the suggestion list: what it shows and what replaces the word when taken. */
export interface Suggestion {
  /** Unique within a list (React keys, option ids). */
  readonly key: string;
  readonly label: string;
  readonly detail: string;
  /** Replaces the word at the caret; a finished term ends with a space, an operator name does not. */
  readonly insert: string;
}

/** `detail`: a catalogue key, put in words by operatorHints. */
const OPERATOR_HINTS: readonly (Omit<Suggestion, 'detail'> & { readonly detail: OperatorKey })[] = [
  { key: 'op-from', label: 'from:', detail: 'search.op.from', insert: 'from:' },
  { key: 'op-in', label: 'in:', detail: 'search.op.in', insert: 'in:' },
  { key: 'op-before', label: 'before:', detail: 'search.op.before', insert: 'before:' },
  { key: 'op-after', label: 'after:', detail: 'search.op.after', insert: 'after:' },
  { key: 'op-on', label: 'on:', detail: 'search.op.on', insert: 'on:' },
  { key: 'op-pinned', label: 'is:pinned', detail: 'search.op.pinned', insert: 'is:pinned ' },
  { key: 'op-file', label: 'has:file', detail: 'search.op.file', insert: 'has:file ' },
  { key: 'op-image', label: 'has:image', detail: 'search.op.image', insert: 'has:image ' },
  { key: 'op-tag', label: '#tag', detail: 'search.op.tag', insert: '#' },
];

/**
 * The operator hints the word could be the start of: all of them for an empty word; those
 * whose name starts with what is typed (`f` → from:, `is:` → is:pinned); the hashtag hint for
 * a lone `#`. An ordinary word gets none.
 */
export function operatorHints(prefix: string): Suggestion[] {
  const said = (hints: typeof OPERATOR_HINTS): Suggestion[] => hints.map((h) => ({ ...h, detail: t(h.detail) }));
  if (prefix === '') return said(OPERATOR_HINTS);
  if (prefix === '#') return said(OPERATOR_HINTS.filter((h) => h.key === 'op-tag'));
  const p = prefix.toLowerCase();
  return said(OPERATOR_HINTS.filter((h) => h.key !== 'op-tag' && h.label.startsWith(p) && h.label !== p));
}

const MAX_SUGGESTIONS = 8;

/** People for `from:` or `in:@`, best first: usernames starting with the query, then the rest as the directory answered. */
export function peopleSuggestions(operator: 'from' | 'in', users: readonly User[], query: string, displayName: (u: User) => string): Suggestion[] {
  const q = query.toLowerCase();
  const seen = new Set<string>();
  const matching = users.filter((u) => {
    if (seen.has(u.id) || !u.is_active) return false;
    seen.add(u.id);
    return q === '' || u.username.toLowerCase().includes(q) || displayName(u).toLowerCase().includes(q);
  });
  const starts = (u: User) => (u.username.toLowerCase().startsWith(q) ? 0 : 1);
  return matching
    .sort((a, b) => starts(a) - starts(b) || a.username.localeCompare(b.username))
    .slice(0, MAX_SUGGESTIONS)
    .map((u) => ({ key: `user-${u.id}`, label: `@${u.username}`, detail: displayName(u), insert: `${operator}:@${u.username} ` }));
}

/**
 * Channels for `in:`: those of the team (public and private) matching the query by name or
 * display name, names starting with it first. Only channels the person is in are offered: the
 * server resolves `in:` among them.
 */
export function channelSuggestions(channels: readonly Channel[], teamId: string, query: string): Suggestion[] {
  const q = query.toLowerCase();
  const seen = new Set<string>();
  const matching = channels.filter((c) => {
    if (seen.has(c.id) || c.team_id !== teamId || (c.type !== 'public' && c.type !== 'private')) return false;
    seen.add(c.id);
    return q === '' || c.name.toLowerCase().includes(q) || c.display_name.toLowerCase().includes(q);
  });
  const starts = (c: Channel) => (c.name.toLowerCase().startsWith(q) || c.display_name.toLowerCase().startsWith(q) ? 0 : 1);
  return matching
    .sort((a, b) => starts(a) - starts(b) || a.name.localeCompare(b.name))
    .slice(0, MAX_SUGGESTIONS)
    .map((c) => ({ key: `channel-${c.id}`, label: `~${c.name}`, detail: c.display_name, insert: `in:~${c.name} ` }));
}

/** A UTC day as the server reads dates (YYYY-MM-DD). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Today and yesterday (UTC, as the server counts days) for before:/after:/on:, matching what is typed. */
export function dateSuggestions(operator: 'before' | 'after' | 'on', typed: string, now: number): Suggestion[] {
  const days: Array<[string, string]> = [[utcDay(now), t('search.todayUtc')], [utcDay(now - 86_400_000), t('search.yesterdayUtc')]];
  return days
    .filter(([day]) => day.startsWith(typed) && day !== typed)
    .map(([day, detail]) => ({ key: `date-${day}`, label: `${operator}:${day}`, detail, insert: `${operator}:${day} ` }));
}

/** The query with the word at the caret replaced by a suggestion, and where the caret goes. */
export function applySuggestion(query: string, caret: number, s: Pick<Suggestion, 'insert'>): { text: string; caret: number } {
  const { start, end } = wordAt(query, caret);
  let rest = query.slice(end);
  // A finished term already ends with a space: do not add a second one before the next word.
  if (s.insert.endsWith(' ') && rest.startsWith(' ')) rest = rest.slice(1);
  const text = `${query.slice(0, start)}${s.insert}${rest}`;
  return { text, caret: start + s.insert.length };
}

// ---- permalinks ----

/** The client route of a message: `/<team>/pl/<post id>`. */
export function permalinkPath(team: string, postId: string): string {
  return `/${encodeURIComponent(team)}/pl/${encodeURIComponent(postId)}`;
}
