/**
 * Link previews, the pure parts: which link of a message gets a preview, and what a page
 * says about itself (Open Graph, then Twitter card tags, then <title> and the description
 * meta tag). No I/O here: services/link-previews.ts fetches through the outbound client.
 */
import { Parser } from 'htmlparser2';

/** Longest link previewed (longer ones are left alone). */
export const MAX_LINK_LENGTH = 2048;
export const MAX_TITLE_LENGTH = 300;
export const MAX_DESCRIPTION_LENGTH = 1000;
export const MAX_SITE_NAME_LENGTH = 100;

/** Fenced code blocks (``` or ~~~, to the closing fence or the end) and code spans: their text is not a link. */
// The opening run is followed by something else (lookahead), so it cannot be split and retried: linear.
const FENCED_BACKTICKS = /^ {0,3}(`{3,})(?!`)[^`\n]*\n[\s\S]*?(?:^ {0,3}\1`*[ \t]*$|(?![\s\S]))/gm;
const FENCED_TILDES = /^ {0,3}(~{3,})(?!~)[^\n]*\n[\s\S]*?(?:^ {0,3}\1~*[ \t]*$|(?![\s\S]))/gm;
const INDENTED = /^(?: {4}|\t)[^\n]*$/gm;
const LINK = /\bhttps?:\/\/[^\s<>"'`]+/gi;

/** Trailing characters that end a sentence rather than a link; `)` only when unbalanced. Linear in the link's length. */
function trimLink(raw: string): string {
  let open = 0;
  let close = 0;
  for (const ch of raw) {
    if (ch === '(') open++;
    else if (ch === ')') close++;
  }
  let end = raw.length;
  while (end > 0) {
    const last = raw[end - 1]!;
    if ('.,;:!?*_~\'"]}>'.includes(last)) end--;
    else if (last === ')' && open < close) {
      end--;
      close--;
    } else break;
  }
  return raw.slice(0, end);
}

/**
 * The text with its code spans blanked (CommonMark: a run of N backticks up to the next run of
 * exactly N). Linear: every run is looked at once, each length keeps its own cursor.
 */
function withoutCodeSpans(text: string): string {
  const runs: { start: number; length: number }[] = [];
  for (const m of text.matchAll(/`+/g)) runs.push({ start: m.index, length: m[0].length });
  const byLength = new Map<number, number[]>();
  runs.forEach((r, i) => {
    const list = byLength.get(r.length);
    if (list) list.push(i);
    else byLength.set(r.length, [i]);
  });
  const cursor = new Map<number, number>();
  const out: string[] = [];
  let copied = 0;
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i]!;
    if (run.start < copied) continue;
    const same = byLength.get(run.length)!;
    let c = cursor.get(run.length) ?? 0;
    while (c < same.length && same[c]! <= i) c++;
    cursor.set(run.length, c);
    if (c >= same.length) continue;
    const closing = runs[same[c]!]!;
    out.push(text.slice(copied, run.start), ' ');
    copied = closing.start + closing.length;
    i = same[c]!;
  }
  out.push(text.slice(copied));
  return out.join('');
}

/**
 * The first http(s) link of a message, outside code, as a normalised URL string; undefined
 * when there is none. A link with credentials is skipped (it is not something to fetch).
 */
export function firstLink(message: string): string | undefined {
  const text = withoutCodeSpans(message.replace(FENCED_BACKTICKS, ' ').replace(FENCED_TILDES, ' ').replace(INDENTED, ' '));
  for (const m of text.matchAll(LINK)) {
    const candidate = trimLink(m[0]);
    if (candidate.length > MAX_LINK_LENGTH) continue;
    let url: URL;
    try {
      url = new URL(candidate);
    } catch {
      continue;
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.username !== '' || url.password !== '') continue;
    url.hash = '';
    return url.href;
  }
  return undefined;
}

export interface PageMeta {
  readonly title: string | null;
  readonly description: string | null;
  readonly site_name: string | null;
  /** Absolute http(s) URL of the page's image, resolved against the page's URL. */
  readonly image: string | null;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what it removes
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;

/** One line of readable text: no control or bidirectional characters, spaces collapsed, at most `max` characters. */
export function cleanText(raw: string | undefined, max: number): string | null {
  if (raw === undefined) return null;
  const text = raw.toWellFormed().replace(INVISIBLE, '').replace(/\s+/g, ' ').trim();
  if (text === '') return null;
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

/** The character set a page declares (header first, then a <meta> in the first 2 KB), for TextDecoder. */
export function pageCharset(contentType: string | null, head: Buffer): string {
  const fromHeader = /charset=["']?([\w-]+)/i.exec(contentType ?? '')?.[1];
  const fromMeta = /<meta[^>]+charset=["']?([\w-]+)/i.exec(head.subarray(0, 2048).toString('latin1'))?.[1];
  const label = (fromHeader ?? fromMeta ?? 'utf-8').toLowerCase();
  try {
    new TextDecoder(label);
    return label;
  } catch {
    return 'utf-8';
  }
}

const TITLE_KEYS = ['og:title', 'twitter:title'];
const DESCRIPTION_KEYS = ['og:description', 'twitter:description', 'description'];
const SITE_KEYS = ['og:site_name'];
const IMAGE_KEYS = ['og:image', 'og:image:secure_url', 'og:image:url', 'twitter:image', 'twitter:image:src'];

/** What the page at `pageUrl` says about itself, from (at most the first part of) its HTML. */
export function parsePageMeta(html: string, pageUrl: URL): PageMeta {
  const meta = new Map<string, string>();
  let title: string | undefined;
  let inTitle = false;
  let titleText = '';
  const parser = new Parser({
    onopentag(name, attrs) {
      if (name === 'title' && title === undefined) {
        inTitle = true;
        titleText = '';
      } else if (name === 'meta') {
        const key = (attrs.property ?? attrs.name ?? '').trim().toLowerCase();
        const content = attrs.content;
        // The first of each wins, as the Open Graph protocol says for repeated tags.
        if (key !== '' && content !== undefined && !meta.has(key)) meta.set(key, content);
      }
    },
    ontext(text) {
      if (inTitle) titleText += text;
    },
    onclosetag(name) {
      if (name === 'title' && inTitle) {
        inTitle = false;
        title = titleText;
      }
    },
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  parser.write(html);
  parser.end();
  const pick = (keys: readonly string[]): string | undefined => keys.map((k) => meta.get(k)).find((v) => v !== undefined && v.trim() !== '');
  let image: string | null = null;
  const rawImage = pick(IMAGE_KEYS)?.trim();
  if (rawImage !== undefined && rawImage.length <= MAX_LINK_LENGTH) {
    try {
      const u = new URL(rawImage, pageUrl);
      if ((u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '') image = u.href;
    } catch {
      image = null;
    }
  }
  return {
    title: cleanText(pick(TITLE_KEYS) ?? title, MAX_TITLE_LENGTH),
    description: cleanText(pick(DESCRIPTION_KEYS), MAX_DESCRIPTION_LENGTH),
    site_name: cleanText(pick(SITE_KEYS), MAX_SITE_NAME_LENGTH),
    image,
  };
}
