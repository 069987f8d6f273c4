/**
 * Webhooks as data, and the pure rules about them: what a Slack/Mattermost payload may carry
 * (attachments normalised and bounded), which of an attachment's images the server fetches,
 * which posts trigger an outgoing hook, and the exact request body an outgoing hook's callback
 * receives (Mattermost's format).
 */
import type { AttachmentImageKind } from './entities.js';
import { invalid } from './errors.js';

/** An incoming webhook: a secret URL that posts into one channel as its creator. */
export interface IncomingWebhook {
  readonly id: string;
  /** SHA-256 of the URL's token (security/crypto.ts hashSecret); the token itself is shown once. */
  readonly token_hash: string;
  readonly channel_id: string;
  readonly team_id: string;
  readonly creator_id: string;
  readonly display_name: string;
  readonly description: string;
  /** 1: the payload's `channel` override is refused (403). */
  readonly channel_locked: number;
  readonly created_at: number;
  readonly updated_at: number;
}

/** 0: the first word of the post equals a trigger word; 1: the post starts with one. */
export type TriggerWhen = 0 | 1;
export type OutgoingContentType = 'application/json' | 'application/x-www-form-urlencoded';

/** An outgoing webhook: posts in a team's public channels that match are POSTed to its callback URLs. */
export interface OutgoingWebhook {
  readonly id: string;
  /** The token sent with every callback, sealed (store/sealed.ts OUTGOING_WEBHOOK_TOKEN). */
  readonly token_sealed: string;
  readonly team_id: string;
  readonly channel_id: string | null;
  readonly creator_id: string;
  readonly display_name: string;
  readonly description: string;
  /** JSON array of strings. */
  readonly trigger_words: string;
  readonly trigger_when: number;
  /** JSON array of http(s) URLs. */
  readonly callback_urls: string;
  readonly content_type: string;
  readonly created_at: number;
  readonly updated_at: number;
}

/** One attempt to deliver an outgoing webhook's callback. */
export interface WebhookDelivery {
  readonly id: string;
  readonly hook_id: string;
  readonly url: string;
  /** 1 for the first try, then 2, 3… (retries). */
  readonly attempt: number;
  /** The HTTP status answered, or null when there was no answer (then `error` says why). */
  readonly status: number | null;
  readonly error: string | null;
  readonly duration_ms: number;
  readonly created_at: number;
}

export const MAX_TRIGGER_WORDS = 20;
export const MAX_CALLBACK_URLS = 10;
export const MAX_ATTACHMENTS = 20;
export const MAX_ATTACHMENT_FIELDS = 20;
/** The normalised attachments of one post, as JSON. */
export const MAX_ATTACHMENTS_BYTES = 32 * 1024;
const MAX_URL = 2048;

/** A Slack message attachment, as kept in a post's props (only these keys; strings bounded). */
export interface Attachment {
  fallback?: string;
  color?: string;
  pretext?: string;
  author_name?: string;
  author_link?: string;
  title?: string;
  title_link?: string;
  text?: string;
  fields?: { title: string; value: string; short: boolean }[];
  image_url?: string;
  thumb_url?: string;
  footer?: string;
}

const TEXT_LIMITS: Readonly<Record<string, number>> = { fallback: 1000, pretext: 4000, author_name: 256, title: 256, text: 8000, footer: 300 };
const URL_KEYS = ['author_link', 'title_link', 'image_url', 'thumb_url'] as const;
const NAMED_COLORS = new Set(['good', 'warning', 'danger']);

/**
 * An http(s) URL of at most MAX_URL characters, without credentials. Links (author_link,
 * title_link, callbacks' targets) are only shown; an attachment's image_url and thumb_url are
 * fetched by the server after the post committed, through the link previews' SSRF-safe client
 * (services/attachment-images.ts: internal addresses refused there, every redirect re-checked),
 * and shown from the stored copy; the URL itself stays the link target.
 */
export function httpUrl(field: string, raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > MAX_URL) throw invalid(field, `${field} must be an http(s) URL of at most ${MAX_URL} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(field, `${field} must be an http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(field, `${field} must be an http(s) URL`);
  if (url.username !== '' || url.password !== '') throw invalid(field, `${field} must not carry credentials`);
  return url.href;
}

function boundedText(field: string, raw: unknown, max: number): string {
  if (typeof raw !== 'string') throw invalid(field, `${field} must be a string`);
  if (Array.from(raw).length > max) throw invalid(field, `${field} must be at most ${max} characters`);
  return raw;
}

/**
 * Slack attachments from a payload, normalised: unknown keys dropped, known ones type-checked
 * and bounded, URLs http(s) only; 422 (naming the field) for anything else.
 */
export function normalizeAttachments(raw: unknown): Attachment[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalid('attachments', 'attachments must be an array');
  if (raw.length > MAX_ATTACHMENTS) throw invalid('attachments', `At most ${MAX_ATTACHMENTS} attachments`);
  const out = raw.map((item: unknown, i) => {
    const at = `attachments[${i}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw invalid(at, `${at} must be an object`);
    const a = item as Record<string, unknown>;
    const n: Attachment = {};
    for (const [key, max] of Object.entries(TEXT_LIMITS)) {
      if (a[key] !== undefined && a[key] !== null) (n as Record<string, unknown>)[key] = boundedText(`${at}.${key}`, a[key], max);
    }
    for (const key of URL_KEYS) if (a[key] !== undefined && a[key] !== null && a[key] !== '') n[key] = httpUrl(`${at}.${key}`, a[key]);
    if (a.color !== undefined && a.color !== null && a.color !== '') {
      const color = boundedText(`${at}.color`, a.color, 16);
      if (!NAMED_COLORS.has(color) && !/^#?[0-9a-fA-F]{6}$/.test(color)) throw invalid(`${at}.color`, 'color must be good, warning, danger or a hex colour like #36a64f');
      n.color = NAMED_COLORS.has(color) || color.startsWith('#') ? color : `#${color}`;
    }
    if (a.fields !== undefined && a.fields !== null) {
      if (!Array.isArray(a.fields) || a.fields.length > MAX_ATTACHMENT_FIELDS) throw invalid(`${at}.fields`, `fields must be an array of at most ${MAX_ATTACHMENT_FIELDS}`);
      n.fields = a.fields.map((f: unknown, j) => {
        const ff = `${at}.fields[${j}]`;
        if (f === null || typeof f !== 'object' || Array.isArray(f)) throw invalid(ff, `${ff} must be an object`);
        const field = f as Record<string, unknown>;
        const value = typeof field.value === 'number' || typeof field.value === 'boolean' ? String(field.value) : (field.value ?? '');
        return { title: boundedText(`${ff}.title`, field.title ?? '', 256), value: boundedText(`${ff}.value`, value, 2000), short: field.short === true };
      });
    }
    return n;
  });
  if (Buffer.byteLength(JSON.stringify(out)) > MAX_ATTACHMENTS_BYTES) throw invalid('attachments', `attachments must be at most ${MAX_ATTACHMENTS_BYTES} bytes`);
  return out;
}

/** The most attachment images the server fetches for one post (distinct URLs); the others stay links. */
export const MAX_ATTACHMENT_IMAGES = 10;

/** One image of a post's attachments to fetch: which attachment, which of its URLs, the URL. */
export interface WantedImage {
  readonly index: number;
  readonly kind: AttachmentImageKind;
  readonly url: string;
}

/**
 * The images to fetch for a post's `props.attachments` (as normalizeAttachments kept them; read
 * again defensively here): each attachment's image_url then thumb_url, in order, http(s)
 * without credentials only, as long as they name at most `maxUrls` distinct URLs (a URL used
 * twice is fetched once).
 */
export function wantedImages(attachments: unknown, maxUrls = MAX_ATTACHMENT_IMAGES): WantedImage[] {
  if (!Array.isArray(attachments)) return [];
  const out: WantedImage[] = [];
  const urls = new Set<string>();
  attachments.slice(0, MAX_ATTACHMENTS).forEach((a: unknown, index) => {
    if (a === null || typeof a !== 'object' || Array.isArray(a)) return;
    for (const [kind, key] of [['image', 'image_url'], ['thumb', 'thumb_url']] as const) {
      const raw = (a as Record<string, unknown>)[key];
      let url: string;
      try {
        url = httpUrl(key, raw);
      } catch {
        continue;
      }
      if (!urls.has(url)) {
        if (urls.size >= maxUrls) continue;
        urls.add(url);
      }
      out.push({ index, kind, url });
    }
  });
  return out;
}

/** Trigger words of an outgoing hook: trimmed, non-empty, no whitespace inside, distinct. */
export function normalizeTriggerWords(raw: readonly string[]): string[] {
  if (raw.length > MAX_TRIGGER_WORDS) throw invalid('trigger_words', `At most ${MAX_TRIGGER_WORDS} trigger words`);
  const words = raw.map((w) => w.trim());
  for (const w of words) {
    if (w === '' || /\s/.test(w) || Array.from(w).length > 64) throw invalid('trigger_words', 'A trigger word is 1–64 characters without spaces');
  }
  return [...new Set(words)];
}

/** Callback URLs of an outgoing hook: http(s), distinct, at least one. */
export function normalizeCallbackUrls(raw: readonly string[]): string[] {
  if (raw.length === 0) throw invalid('callback_urls', 'At least one callback URL');
  if (raw.length > MAX_CALLBACK_URLS) throw invalid('callback_urls', `At most ${MAX_CALLBACK_URLS} callback URLs`);
  return [...new Set(raw.map((u) => httpUrl('callback_urls', u)))];
}

export function parseList(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The trigger word a message fires the hook with: '' when the hook watches a whole channel
 * without trigger words, the matching word otherwise, undefined when it does not fire.
 * `trigger_when` 0: the message's first word equals a trigger word; 1: the message starts
 * with one (Mattermost's two modes). The channel, when the hook names one, must match too.
 */
export function triggerWord(hook: Pick<OutgoingWebhook, 'channel_id' | 'trigger_words' | 'trigger_when'>, channelId: string, message: string): string | undefined {
  if (hook.channel_id !== null && hook.channel_id !== channelId) return undefined;
  const words = parseList(hook.trigger_words);
  if (words.length === 0) return hook.channel_id === null ? undefined : '';
  const text = message.trimStart();
  if (hook.trigger_when === 1) return words.find((w) => text.startsWith(w));
  const first = text.split(/\s+/, 1)[0] ?? '';
  return words.find((w) => w === first);
}

/** What an outgoing hook's callback receives, field for field Mattermost's OutgoingWebhookPayload. */
export interface OutgoingPayload {
  token: string;
  team_id: string;
  team_domain: string;
  channel_id: string;
  channel_name: string;
  timestamp: number;
  user_id: string;
  user_name: string;
  post_id: string;
  text: string;
  trigger_word: string;
  /** Comma-separated, as Mattermost sends it. */
  file_ids: string;
}

/** The callback's body in the hook's content type. */
export function encodeOutgoing(payload: OutgoingPayload, contentType: string): string {
  if (contentType === 'application/x-www-form-urlencoded') {
    return new URLSearchParams(Object.entries(payload).map(([k, v]): [string, string] => [k, String(v)])).toString();
  }
  return JSON.stringify(payload);
}
