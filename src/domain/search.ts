/**
 * The search query language and the text analysis behind it: pure functions, shared by the
 * indexer (what a post's text becomes in the index) and the query side (what a typed query
 * becomes), so both engines (SQLite FTS5, PostgreSQL tsvector) see exactly the same tokens and
 * give the same answers. Nothing typed ever reaches an engine raw: queries are parsed here
 * into clauses of plain tokens, which the store renders in its engine's syntax.
 *
 * Analysis: Unicode NFKC, diacritics removed, case folding, split into runs of letters and
 * digits; offsets are kept into the original text, for highlights. Three index columns:
 *   words  every token in order (phrases and prefixes match here: `deploy_prod` is the phrase
 *          "deploy prod", `user@example.com` the phrase "user example com": they find themselves);
 *   stems  the English stem of every token made of lower-case ASCII letters only (others
 *          unchanged: no stemming surprises for names with digits, code or addresses);
 *   tags   the hashtags (`#release-1.2` → token `release12`: its letters and digits).
 *
 * Query language (what Mattermost and Slack users type): words (a single token is stemmed,
 * a word of several tokens is their phrase), "phrases", `deploy*` prefixes, `#tags`, `-` to
 * exclude any of these, and the operators from:, in:, before:, after:, on:, is:pinned,
 * has:file, has:image. Unknown operators (`foo:bar`) are searched as words.
 */
import { stemmer } from 'stemmer';
import { badRequest } from './errors.js';

/** Which index column a clause is matched against. */
export type SearchColumn = 'words' | 'stems' | 'tags';

/** A sequence of tokens that must appear in order (one token: a single word); `prefix`: the last token is a prefix. */
export interface SearchAtom {
  readonly tokens: readonly string[];
  readonly prefix: boolean;
}

export interface SearchClause {
  readonly column: SearchColumn;
  readonly atom: SearchAtom;
  /** `-word`: posts containing it are excluded. */
  readonly negated: boolean;
}

export interface ParsedSearch {
  /** Every positive clause must match; no negated clause may match. */
  readonly clauses: readonly SearchClause[];
  /** `from:@username` / `from:username` (lower-case, without `@`); any of them. */
  readonly from: readonly string[];
  /** `in:~channel-name` / `in:channel-name` (channel names, lower-case); any of them. */
  readonly inChannels: readonly string[];
  /** `in:@username`: the direct channel with that user; any of them (together with inChannels). */
  readonly inUsers: readonly string[];
  /** Inclusive lower bound on created_at, ms (from `after:` and `on:`). */
  readonly createdFrom: number | undefined;
  /** Exclusive upper bound on created_at, ms (from `before:` and `on:`). */
  readonly createdBefore: number | undefined;
  readonly isPinned: boolean;
  readonly hasFile: boolean;
  readonly hasImage: boolean;
}

/** Longest query accepted, in UTF-16 code units. */
export const MAX_QUERY_LENGTH = 2000;
/** Most clauses plus operators one query may hold. */
export const MAX_QUERY_TERMS = 256;
/** Longest token, in code points; longer runs are cut (the same cut on both sides keeps them findable). */
export const MAX_TOKEN_LENGTH = 64;
/** Most tokens indexed per message. */
export const MAX_DOCUMENT_TOKENS = 10_000;

const MIN_PREFIX_LENGTH = 2;
const DAY_MS = 86_400_000;

/** Case folds (CaseFolding.txt) that toLowerCase does not make: `STRASSE` finds `Straße`, `ΟΔΟΣ` finds `οδος`. */
const FOLDS: Record<string, string> = { ß: 'ss', ς: 'σ' };

/** NFKC, diacritics removed, case-folded: what both a post and a query are compared as. */
export function normalize(text: string): string {
  return text
    .normalize('NFKC')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    // Soft hyphens and zero-width joiners inside a word would otherwise split it.
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
    .normalize('NFC')
    .toLowerCase()
    .replace(/[ßς]/g, (c) => FOLDS[c] ?? c);
}

export interface Token {
  /** Normalized letters and digits, at most MAX_TOKEN_LENGTH code points. */
  readonly token: string;
  /** UTF-16 offsets into the original text; a cut token still spans its whole run. */
  readonly start: number;
  readonly end: number;
}

// Normalization never composes across these units (a character with its marks, or a run of
// Hangul jamo and syllables), so normalizing unit by unit equals normalizing the whole text
// while remembering which original characters each normalized character came from.
const UNIT_RE = /[\u1100-\u11FF\uA960-\uA97F\uAC00-\uD7A3\uD7B0-\uD7FF]+\p{M}*|\P{M}\p{M}*|\p{M}+/gu;
const WORD_CHAR_RE = /^[\p{L}\p{N}]$/u;
const ASCII_WORD_CHAR_RE = /^[A-Za-z0-9]$/;

function scan(text: string, limit: number): Token[] {
  const out: Token[] = [];
  let current = '';
  let length = 0;
  let start = 0;
  let end = 0;
  const flush = (): void => {
    if (current !== '') out.push({ token: current, start, end });
    current = '';
    length = 0;
  };
  const add = (ch: string, unitStart: number, unitEnd: number): void => {
    if (current === '') start = unitStart;
    if (length < MAX_TOKEN_LENGTH) {
      current += ch;
      length++;
    }
    end = unitEnd;
  };
  for (const m of text.matchAll(UNIT_RE)) {
    if (out.length >= limit) break;
    const unit = m[0];
    const unitStart = m.index;
    const unitEnd = unitStart + unit.length;
    if (unit.length === 1 && unit < '\x80') {
      // Most text is ASCII, which needs no normalization.
      if (ASCII_WORD_CHAR_RE.test(unit)) add(unit.toLowerCase(), unitStart, unitEnd);
      else flush();
      continue;
    }
    for (const ch of normalize(unit)) {
      if (WORD_CHAR_RE.test(ch)) add(ch, unitStart, unitEnd);
      else flush();
    }
  }
  if (out.length < limit) flush();
  return out;
}

/** The tokens of a text with their ranges in it (for highlights); several tokens may share a character (`½` → 1, 2). */
export function tokenize(text: string): Token[] {
  return scan(text, Number.POSITIVE_INFINITY);
}

const STEMMABLE_RE = /^[a-z]{3,}$/;

/** The Porter stem of a plain English word; anything else is kept as is. */
export function stem(token: string): string {
  return STEMMABLE_RE.test(token) ? stemmer(token) : token;
}

// `#` must not continue a word, an entity (`&#39;`), a URL fragment (`/#top`) or `##`.
const HASHTAG_RE = /(?<![\p{L}\p{N}\p{M}_&#/\\])#\p{L}[\p{L}\p{N}\p{M}_.-]*/gu;
const QUERY_HASHTAG_RE = /^#\p{L}[\p{L}\p{N}\p{M}_.-]*$/u;
const NON_WORD_RE = /[^\p{L}\p{N}]/gu;

function hashtagToken(tag: string): string {
  return [...normalize(tag).replace(NON_WORD_RE, '')].slice(0, MAX_TOKEN_LENGTH).join('');
}

/** Each hashtag in the text with its token and its range, trailing punctuation (`#done.`) left out. */
function hashtagOccurrences(text: string): { token: string; start: number; end: number }[] {
  const out: { token: string; start: number; end: number }[] = [];
  for (const m of text.matchAll(HASHTAG_RE)) {
    const token = hashtagToken(m[0]);
    if (token === '') continue;
    const trimmed = m[0].replace(/[._-]+$/, '');
    out.push({ token, start: m.index, end: m.index + trimmed.length });
  }
  return out;
}

/** The hashtag tokens of a text, each once, in order of appearance. */
export function hashtags(text: string): string[] {
  return [...new Set(hashtagOccurrences(text).map((h) => h.token))];
}

/** What a post's text is indexed as: space-separated tokens per column (words and stems position for position). */
export function searchDocument(message: string): { words: string; stems: string; tags: string } {
  const tokens = scan(message, MAX_DOCUMENT_TOKENS).map((t) => t.token);
  return {
    words: tokens.join(' '),
    stems: tokens.map(stem).join(' '),
    tags: hashtags(message).slice(0, MAX_DOCUMENT_TOKENS).join(' '),
  };
}

// ---- the query language ----

const QUOTE_RE = /["“”„]/;
const SPACE_RE = /\s/;
const OPERATOR_RE = /^([a-z]+):(.*)$/is;
const OPERATORS = new Set(['from', 'in', 'before', 'after', 'on', 'is', 'has']);
const NAME_RE = /^[a-z0-9._-]{1,64}$/;
const DATE_RE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;

interface Builder {
  clauses: SearchClause[];
  keys: Set<string>;
  from: Set<string>;
  inChannels: Set<string>;
  inUsers: Set<string>;
  createdFrom: number | undefined;
  createdBefore: number | undefined;
  isPinned: boolean;
  hasFile: boolean;
  hasImage: boolean;
  terms: number;
  operators: number;
}

function countTerm(b: Builder): void {
  b.terms++;
  if (b.terms > MAX_QUERY_TERMS) throw badRequest(`Search query has too many terms (at most ${MAX_QUERY_TERMS} words, phrases and operators)`);
}

function addClause(b: Builder, column: SearchColumn, tokens: string[], prefix: boolean, negated: boolean): void {
  if (tokens.length === 0) return;
  if (prefix && [...tokens[tokens.length - 1]!].length < MIN_PREFIX_LENGTH) {
    throw badRequest(`A prefix search needs at least ${MIN_PREFIX_LENGTH} characters before the *`);
  }
  countTerm(b);
  const key = JSON.stringify([column, tokens, prefix, negated]);
  if (b.keys.has(key)) return;
  b.keys.add(key);
  b.clauses.push({ column, atom: { tokens, prefix }, negated });
}

/** A typed word (no spaces, not an operator, not a phrase). */
function addWord(b: Builder, word: string, negated: boolean): void {
  if (QUERY_HASHTAG_RE.test(word)) {
    const token = hashtagToken(word);
    if (token !== '') addClause(b, 'tags', [token], false, negated);
    return;
  }
  const stars = /\*+$/.exec(word);
  if (stars) {
    addClause(b, 'words', tokenize(word.slice(0, stars.index)).map((t) => t.token), true, negated);
    return;
  }
  const tokens = tokenize(word).map((t) => t.token);
  // One token: stemmed, so `deploying` finds `deployed`. Several (`deploy_prod`, `v1.2`): the
  // exact phrase, as stemming the parts of a name or an address finds unrelated posts.
  if (tokens.length === 1) addClause(b, 'stems', [stem(tokens[0]!)], false, negated);
  else addClause(b, 'words', tokens, false, negated);
}

function startOfUtcDay(operator: string, value: string): number {
  const m = DATE_RE.exec(value);
  const invalid = badRequest(`${operator}: expects a date like 2026-12-31`);
  if (!m) throw invalid;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) throw invalid;
  return date.getTime();
}

function name(operator: string, value: string, what: string): string {
  const lower = value.toLowerCase();
  if (!NAME_RE.test(lower)) throw badRequest(`${operator}: expects ${what}`);
  return lower;
}

function addOperator(b: Builder, operator: string, rawValue: string, negated: boolean): void {
  if (negated) throw badRequest(`${operator}: cannot be excluded with -`);
  const value = rawValue.replace(/^["“”„]/, '').replace(/["“”„]$/, '');
  if (value === '') throw badRequest(`${operator}: needs a value`);
  countTerm(b);
  b.operators++;
  const lower = value.toLowerCase();
  switch (operator) {
    case 'from':
      b.from.add(name(operator, value.replace(/^@/, ''), 'a username like @alice'));
      break;
    case 'in': {
      const what = 'a channel name like ~town-square or a username like @alice';
      if (value.startsWith('@')) b.inUsers.add(name(operator, value.slice(1), what));
      else b.inChannels.add(name(operator, value.replace(/^~/, ''), what));
      break;
    }
    case 'after':
    case 'before':
    case 'on': {
      const day = startOfUtcDay(operator, value);
      const lowerBound = operator === 'after' ? day + DAY_MS : operator === 'on' ? day : undefined;
      const upperBound = operator === 'before' ? day : operator === 'on' ? day + DAY_MS : undefined;
      if (lowerBound !== undefined) b.createdFrom = b.createdFrom === undefined ? lowerBound : Math.max(b.createdFrom, lowerBound);
      if (upperBound !== undefined) b.createdBefore = b.createdBefore === undefined ? upperBound : Math.min(b.createdBefore, upperBound);
      break;
    }
    case 'is':
      if (lower !== 'pinned') throw badRequest('is: accepts only is:pinned');
      b.isPinned = true;
      break;
    case 'has':
      if (lower === 'file') b.hasFile = true;
      else if (lower === 'image') b.hasImage = true;
      else throw badRequest('has: accepts has:file or has:image');
      break;
  }
}

/**
 * Parses a typed query. Never fails on odd input: anything not understood is searched as
 * words; only what cannot be searched (bad operator values, limits) is a 400. `_now` is
 * unused: dates are absolute (relative ones like `yesterday` are refused), the parameter is
 * kept so callers can pass the clock if relative dates come.
 */
export function parseSearchQuery(q: string, _now?: number): ParsedSearch {
  if (q.length > MAX_QUERY_LENGTH) throw badRequest(`Search query is too long (at most ${MAX_QUERY_LENGTH.toLocaleString('en-US')} characters)`);
  if (q.trim() === '') throw badRequest('Search query is empty');
  const b: Builder = {
    clauses: [],
    keys: new Set(),
    from: new Set(),
    inChannels: new Set(),
    inUsers: new Set(),
    createdFrom: undefined,
    createdBefore: undefined,
    isPinned: false,
    hasFile: false,
    hasImage: false,
    terms: 0,
    operators: 0,
  };
  let i = 0;
  while (i < q.length) {
    if (SPACE_RE.test(q[i]!)) {
      i++;
      continue;
    }
    let negated = false;
    if (q[i] === '-' && i + 1 < q.length && !SPACE_RE.test(q[i + 1]!)) {
      negated = true;
      i++;
    }
    if (QUOTE_RE.test(q[i]!)) {
      let close = i + 1;
      while (close < q.length && !QUOTE_RE.test(q[close]!)) close++;
      const phrase = q.slice(i + 1, close);
      i = close + 1;
      let prefix = false;
      while (i < q.length && q[i] === '*') {
        prefix = true;
        i++;
      }
      addClause(b, 'words', tokenize(phrase).map((t) => t.token), prefix, negated);
      continue;
    }
    let end = i;
    while (end < q.length && !SPACE_RE.test(q[end]!)) end++;
    const word = q.slice(i, end);
    i = end;
    const op = OPERATOR_RE.exec(word);
    const operator = op?.[1]?.toLowerCase();
    if (op && operator !== undefined && OPERATORS.has(operator)) addOperator(b, operator, op[2]!, negated);
    else addWord(b, word, negated);
  }
  if (b.clauses.length === 0 && b.operators === 0) throw badRequest('Nothing to search for');
  if (b.operators === 0 && b.clauses.every((c) => c.negated)) throw badRequest('Add a word or an operator besides the excluded words');
  return {
    clauses: b.clauses,
    from: [...b.from],
    inChannels: [...b.inChannels],
    inUsers: [...b.inUsers],
    createdFrom: b.createdFrom,
    createdBefore: b.createdBefore,
    isPinned: b.isPinned,
    hasFile: b.hasFile,
    hasImage: b.hasImage,
  };
}

// ---- highlighting ----

function atomMatches(values: readonly string[], at: number, atom: SearchAtom): boolean {
  const n = atom.tokens.length;
  for (let k = 0; k < n; k++) {
    const value = values[at + k];
    const wanted = atom.tokens[k]!;
    if (value === undefined) return false;
    const last = k === n - 1;
    if (last && atom.prefix ? !value.startsWith(wanted) : value !== wanted) return false;
  }
  return true;
}

function mergeRanges(ranges: Array<[number, number]>): Array<[number, number]> {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Array<[number, number]> = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** The ranges of the original message that the positive clauses matched, merged and sorted. */
export function matchRanges(message: string, parsed: ParsedSearch): Array<[number, number]> {
  const positive = parsed.clauses.filter((c) => !c.negated && c.atom.tokens.length > 0);
  if (positive.length === 0) return [];
  const tokens = tokenize(message);
  const words = tokens.map((t) => t.token);
  let stems: string[] | undefined;
  let tags: ReturnType<typeof hashtagOccurrences> | undefined;
  const ranges: Array<[number, number]> = [];
  for (const clause of positive) {
    if (clause.column === 'tags') {
      tags ??= hashtagOccurrences(message);
      for (const tag of tags) {
        if (atomMatches([tag.token], 0, clause.atom)) ranges.push([tag.start, tag.end]);
      }
      continue;
    }
    const values = clause.column === 'words' ? words : (stems ??= words.map(stem));
    const n = clause.atom.tokens.length;
    for (let at = 0; at + n <= values.length; at++) {
      if (atomMatches(values, at, clause.atom)) ranges.push([tokens[at]!.start, tokens[at + n - 1]!.end]);
    }
  }
  return mergeRanges(ranges);
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;
// How far a window edge may move to land on a space rather than inside a word.
const WORD_SNAP = 20;

/**
 * A window of about `width` code units around the first range (the start of the message when
 * there is none), with the ranges inside it re-based to the window.
 */
export function excerpt(
  message: string,
  ranges: Array<[number, number]>,
  width = 160,
): { text: string; highlights: Array<[number, number]>; truncated_start: boolean; truncated_end: boolean } {
  const size = Math.max(1, Math.floor(width));
  const valid = mergeRanges(
    ranges.map(([s, e]): [number, number] => [Math.max(0, s), Math.min(message.length, e)]).filter(([s, e]) => s < e),
  );
  let start = 0;
  let end = message.length;
  if (message.length > size) {
    const first = valid[0];
    if (first) {
      const matchLength = first[1] - first[0];
      start = Math.min(Math.max(0, first[0] - Math.floor(Math.max(0, size - matchLength) / 2)), message.length - size);
    }
    end = start + size;
    const matchStart = first ? first[0] : end;
    const matchEnd = first ? Math.min(first[1], end) : start;
    if (start > 0) {
      const space = message.slice(start, Math.min(start + WORD_SNAP, matchStart)).search(/\s/);
      if (space >= 0) start += space + 1;
    }
    if (end < message.length) {
      const from = Math.max(end - WORD_SNAP, matchEnd);
      const tail = message.slice(from, end);
      const space = tail.search(/\s\S*$/);
      if (space >= 0) end = from + space;
    }
    if (start > 0 && isLowSurrogate(message.charCodeAt(start)) && isHighSurrogate(message.charCodeAt(start - 1))) start++;
    if (end < message.length && isHighSurrogate(message.charCodeAt(end - 1)) && isLowSurrogate(message.charCodeAt(end))) end--;
  }
  const highlights: Array<[number, number]> = [];
  for (const [s, e] of valid) {
    const hs = Math.max(s, start);
    const he = Math.min(e, end);
    if (hs < he) highlights.push([hs - start, he - start]);
  }
  return { text: message.slice(start, end), highlights, truncated_start: start > 0, truncated_end: end < message.length };
}
