/**
 * Emoji names → what to show, for reactions, `:name:` in text, the composer's autocomplete
 * and the picker.
 *
 * - Standard emoji: the whole emojibase set (emoji-data.ts), loaded on demand by `loadEmoji()`
 *   (a separate chunk). Until it has arrived, `EMOJI` (a few common names) answers.
 * - Custom emoji: the server's list (`setCustomEmoji`, then `addCustomEmoji` /
 *   `removeCustomEmoji` from the real-time events). `customEmojiUrl(name)` gives the image
 *   (same origin, `/api/v1/emoji/{id}/image`); `emojiChar` keeps answering strings only.
 * - `subscribeEmoji` / `emojiVersion` say when either set changes (the data arrived, a custom
 *   emoji was added or deleted); components use `useEmojiVersion()` (components/Emoji.tsx).
 *   No React here: the state engine imports this module.
 * - The picker's "recently used" and skin tone are kept in localStorage.
 */
import type { EmojiData, EmojiEntry } from './emoji-data.js';

export type { EmojiEntry };

/** Common names shown before the full set has loaded (and the names the client knew first). */
export const EMOJI: Readonly<Record<string, string>> = {
  '+1': '👍',
  thumbsup: '👍',
  '-1': '👎',
  thumbsdown: '👎',
  heart: '❤️',
  smile: '😄',
  laughing: '😆',
  joy: '😂',
  tada: '🎉',
  eyes: '👀',
  rocket: '🚀',
  white_check_mark: '✅',
  pray: '🙏',
  fire: '🔥',
  thinking: '🤔',
  wave: '👋',
};

/** The quick-pick reactions offered under a message. */
export const QUICK_REACTIONS = ['+1', 'heart', 'smile', 'tada', 'eyes', 'rocket', 'white_check_mark', 'pray'] as const;

/** A custom emoji as the server lists it. */
export interface CustomEmoji {
  readonly id: string;
  readonly name: string;
  readonly creator_id: string;
  readonly created_at: number;
}

let data: EmojiData | undefined;
let loading: Promise<void> | undefined;
const custom = new Map<string, CustomEmoji>();
let version = 0;
const listeners = new Set<() => void>();

function changed(): void {
  version++;
  for (const l of listeners) l();
}

/** Loads the full standard set (once; later calls share the first). */
export function loadEmoji(): Promise<void> {
  loading ??= import('./emoji-data.js').then((m) => {
    data = m.buildEmojiData();
    changed();
  }, (err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

/** Whether the full standard set has loaded. */
export function emojiLoaded(): boolean {
  return data !== undefined;
}

/** The character of a standard emoji name (`+1`, `thumbsup`, `+1_tone3` …), else `:name:` as typed. */
export function emojiChar(name: string): string {
  return data?.chars.get(name) ?? EMOJI[name] ?? `:${name}:`;
}

/** Whether `name` is a standard emoji (of the loaded set, or of `EMOJI` before it loads). */
export function isStandardEmoji(name: string): boolean {
  return data !== undefined ? data.chars.has(name) : EMOJI[name] !== undefined;
}

/** The image URL of a live custom emoji, else undefined. */
export function customEmojiUrl(name: string): string | undefined {
  const e = custom.get(name);
  return e === undefined ? undefined : `/api/v1/emoji/${encodeURIComponent(e.id)}/image`;
}

export function setCustomEmoji(list: readonly CustomEmoji[]): void {
  custom.clear();
  for (const e of list) custom.set(e.name, e);
  changed();
}

export function addCustomEmoji(e: CustomEmoji): void {
  custom.set(e.name, e);
  changed();
}

export function removeCustomEmoji(id: string): void {
  for (const [name, e] of custom) if (e.id === id) custom.delete(name);
  changed();
}

export function customEmojiList(): CustomEmoji[] {
  return [...custom.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Calls `listener` whenever names resolve differently; returns the unsubscribe function. */
export function subscribeEmoji(listener: () => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** A number that changes whenever names resolve differently (data loaded, custom emoji added or deleted). */
export function emojiVersion(): number {
  return version;
}

// ---- search (autocomplete and picker) ----

/** One result: a standard emoji (with its character) or a custom one (with its image). */
export interface EmojiMatch {
  readonly name: string;
  readonly char?: string;
  readonly url?: string;
  readonly label: string;
  readonly entry?: EmojiEntry;
}

/** The standard set's entries (empty until loaded). */
export function emojiEntries(): readonly EmojiEntry[] {
  return data?.entries ?? [];
}

function matchOf(entry: EmojiEntry, tone: number): EmojiMatch {
  const t = tone > 0 ? entry.tones?.[tone - 1] : undefined;
  return { name: t?.name ?? entry.names[0]!, char: t?.char ?? entry.char, label: entry.label, entry };
}

/**
 * Emoji whose name, label or tags match `query` (case-insensitive): names starting with it
 * first, then names containing it, then labels and tags; custom emoji among them by name.
 * `tone` (0: none, 1–5) picks the skin-tone variant where there is one.
 */
export function searchEmoji(query: string, limit = 50, tone = 0): EmojiMatch[] {
  const q = query.trim().toLowerCase().replace(/^:|:$/g, '');
  const ranked: Array<[number, number, EmojiMatch]> = [];
  let i = 0;
  for (const e of custom.values()) {
    const rank = q === '' ? 1 : e.name.startsWith(q) ? 0 : e.name.includes(q) ? 1 : -1;
    if (rank >= 0) ranked.push([rank, i++, { name: e.name, url: customEmojiUrl(e.name)!, label: `:${e.name}: (custom)` }]);
  }
  const entries: readonly EmojiEntry[] = data?.entries ?? Object.entries(EMOJI).map(([name, char]) => ({ names: [name], char, label: name, group: 0, tags: [] }));
  for (const e of entries) {
    let rank = -1;
    if (q === '') rank = 2;
    else if (e.names.some((n) => n.startsWith(q))) rank = 0;
    else if (e.names.some((n) => n.includes(q))) rank = 1;
    else if (e.label.toLowerCase().includes(q) || e.tags.some((t) => t.startsWith(q))) rank = 2;
    if (rank >= 0) ranked.push([rank, i++, matchOf(e, tone)]);
  }
  ranked.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return ranked.slice(0, limit).map((r) => r[2]);
}

/** The match for an exact name (standard or custom), for showing recently used ones. */
export function emojiByName(name: string): EmojiMatch | undefined {
  const url = customEmojiUrl(name);
  if (url !== undefined) return { name, url, label: `:${name}: (custom)` };
  if (!isStandardEmoji(name)) return undefined;
  return { name, char: emojiChar(name), label: name };
}

// ---- recently used and skin tone (this browser) ----

const RECENT_KEY = 'rustchat.emoji.recent';
const TONE_KEY = 'rustchat.emoji.tone';
const MAX_RECENT = 24;

function storage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}

export function recentEmoji(): string[] {
  try {
    const v: unknown = JSON.parse(storage()?.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, MAX_RECENT) : [];
  } catch {
    return [];
  }
}

/** Moves `name` to the front of the recently used list. */
export function noteEmojiUsed(name: string): void {
  const next = [name, ...recentEmoji().filter((n) => n !== name)].slice(0, MAX_RECENT);
  try {
    storage()?.setItem(RECENT_KEY, JSON.stringify(next));
  } catch {
    // Storage full or disabled: the list just is not kept.
  }
}

/** The preferred skin tone: 0 (none, yellow) or 1–5 (light … dark). */
export function skinTone(): number {
  const n = Number(storage()?.getItem(TONE_KEY) ?? 0);
  return Number.isInteger(n) && n >= 0 && n <= 5 ? n : 0;
}

export function setSkinTone(tone: number): void {
  try {
    storage()?.setItem(TONE_KEY, String(tone));
  } catch {
    // Not kept.
  }
  changed();
}

/**
 * The `:name` being typed at `caret` (at least two characters after a colon that starts a
 * word), for the composer's autocomplete; undefined when there is none.
 */
export function emojiQueryAt(text: string, caret: number): { start: number; query: string } | undefined {
  const m = /(^|[^\w:])(:([a-z0-9_+-]{2,64}))$/i.exec(text.slice(0, caret));
  if (m === null) return undefined;
  return { start: caret - m[2]!.length, query: m[3]!.toLowerCase() };
}
