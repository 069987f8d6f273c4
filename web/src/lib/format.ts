/**
 * Message text → display segments: @mentions (marked when they mention the reader), links,
 * inline code and code blocks. Mentions follow the server's rule (src/domain/mentions.ts):
 * code is skipped, `@channel`/`@all`/`@here` mention everyone. Rendering builds React
 * elements from these segments — message text never becomes HTML.
 */
export type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'mention'; text: string; username: string; me: boolean; broadcast: boolean }
  | { kind: 'link'; text: string; href: string }
  | { kind: 'code'; text: string }
  | { kind: 'codeblock'; text: string };

const BROADCAST = new Set(['channel', 'all', 'here']);
/**
 * An @mention (one capture group: the username); it starts after anything that is not a word
 * character, '@', '.' or '-' (as on the server). Shared with the Markdown renderer.
 */
export const MENTION_PATTERN = String.raw`(?<![\w@.-])@([a-z0-9][a-z0-9._-]*[a-z0-9_]|[a-z0-9])`;
const INLINE_RE = new RegExp(String.raw`(https?:\/\/[^\s<>"]*[^\s<>".,:;'!?)\]])|` + MENTION_PATTERN, 'gi');

/** A mention's username (lower case), and whether it is the reader's or a broadcast. */
export function mentionOf(username: string, me: string | undefined): { username: string; me: boolean; broadcast: boolean } {
  const name = username.toLowerCase();
  const broadcast = BROADCAST.has(name);
  return { username: name, broadcast, me: broadcast || (me !== undefined && name === me.toLowerCase()) };
}

function inline(text: string, me: string | undefined, out: Segment[]): void {
  let last = 0;
  for (const m of text.matchAll(INLINE_RE)) {
    const start = m.index;
    if (start > last) out.push({ kind: 'text', text: text.slice(last, start) });
    if (m[1] !== undefined) {
      out.push({ kind: 'link', text: m[1], href: m[1] });
    } else {
      out.push({ kind: 'mention', text: m[0], ...mentionOf(m[2]!, me) });
    }
    last = start + m[0].length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
}

function withInlineCode(text: string, me: string | undefined, out: Segment[]): void {
  let last = 0;
  for (const m of text.matchAll(/`([^`\n]+)`/g)) {
    if (m.index > last) inline(text.slice(last, m.index), me, out);
    out.push({ kind: 'code', text: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < text.length) inline(text.slice(last), me, out);
}

/** Splits a message into segments; `me` is the reader's username (for highlighting). */
export function segmentMessage(message: string, me?: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of message.matchAll(/```(?:[^\n`]*\n)?([\s\S]*?)```/g)) {
    if (m.index > last) withInlineCode(message.slice(last, m.index), me, out);
    out.push({ kind: 'codeblock', text: m[1]!.replace(/\n$/, '') });
    last = m.index + m[0].length;
  }
  if (last < message.length) withInlineCode(message.slice(last), me, out);
  // Merge neighbouring text so the DOM stays small.
  const merged: Segment[] = [];
  for (const s of out) {
    const prev = merged[merged.length - 1];
    if (s.kind === 'text' && prev?.kind === 'text') prev.text += s.text;
    else merged.push(s);
  }
  return merged;
}

/** Whether the message mentions `me` by name or through @channel/@all/@here. */
export function mentionsUser(message: string, me: string): boolean {
  return segmentMessage(message, me).some((s) => s.kind === 'mention' && s.me);
}

/** The @word being typed just before the caret, for autocomplete (undefined when none). */
export function mentionQueryAt(text: string, caret: number): { start: number; query: string } | undefined {
  const m = /(?<![\w@.-])@([a-z0-9._-]*)$/i.exec(text.slice(0, caret));
  if (m === null) return undefined;
  return { start: caret - m[0].length, query: m[1]!.toLowerCase() };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "14:05" in the reader's time zone. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "Today", "Yesterday" or a date, for day separators. */
export function formatDay(ms: number, now: number = Date.now()): string {
  const d = new Date(ms);
  const today = new Date(now);
  const startOf = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((startOf(today) - startOf(d)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return d.toLocaleDateString(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
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
