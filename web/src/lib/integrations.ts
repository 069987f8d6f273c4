/**
 * The web client's side of integrations (README "Integrations"): the shapes of the webhook,
 * command, token and bot answers, and the pure logic the screens use: which slash commands
 * the composer offers for what is typed, whether a line is a command, how a post's author is
 * marked (webhook, bot), and Slack message attachments made safe to draw (known keys only,
 * http(s) links only, colours from a fixed set, images only from the server's own stored
 * copies). No DOM here: tested under Vitest.
 */
import type { Post, User } from './types.js';

export interface IncomingHook {
  readonly id: string;
  readonly channel_id: string;
  readonly team_id: string;
  readonly creator_id: string;
  readonly display_name: string;
  readonly description: string;
  readonly channel_locked: boolean;
  readonly created_at: number;
  readonly updated_at: number;
}

export interface OutgoingHook {
  readonly id: string;
  readonly team_id: string;
  readonly channel_id: string | null;
  readonly creator_id: string;
  readonly display_name: string;
  readonly description: string;
  readonly trigger_words: readonly string[];
  readonly trigger_when: number;
  readonly callback_urls: readonly string[];
  readonly content_type: string;
  readonly created_at: number;
  readonly updated_at: number;
}

export interface Delivery {
  readonly id: string;
  readonly url: string;
  readonly attempt: number;
  readonly status: number | null;
  readonly error: string | null;
  readonly duration_ms: number;
  readonly created_at: number;
}

export interface CustomCommand {
  readonly id: string;
  readonly team_id: string;
  readonly creator_id: string;
  readonly trigger: string;
  readonly url: string;
  readonly method: 'POST' | 'GET';
  readonly token: string;
  readonly auto_complete: boolean;
  readonly auto_complete_hint: string;
  readonly auto_complete_desc: string;
  readonly display_name: string;
  readonly description: string;
  readonly created_at: number;
  readonly updated_at: number;
}

/** GET /api/v1/commands/autocomplete: one command the composer offers. */
export interface CommandHint {
  readonly trigger: string;
  readonly hint: string;
  readonly description: string;
  readonly source: 'builtin' | 'custom';
}

/** An answer only its recipient sees (`ephemeral_message`, the execute answer); never stored. */
export interface EphemeralPost {
  readonly id: string;
  readonly channel_id: string;
  readonly user_id: string;
  readonly message: string;
  readonly props: Record<string, unknown>;
  readonly created_at: number;
  readonly type: 'ephemeral';
}

/** POST /api/v1/commands/execute (Mattermost's command response). */
export interface CommandResult {
  readonly response_type: 'ephemeral' | 'in_channel';
  readonly text: string;
  readonly goto_location: string | null;
  readonly props: Record<string, unknown>;
  readonly post: Post | null;
  readonly ephemeral: EphemeralPost | null;
}

export interface AccessToken {
  readonly id: string;
  readonly user_id: string;
  readonly description: string;
  readonly created_by: string;
  readonly created_at: number;
  readonly last_used_at: number | null;
}

export interface Bot {
  readonly user_id: string;
  readonly username: string;
  readonly display_name: string;
  readonly description: string;
  readonly owner_id: string;
  readonly created_at: number;
  readonly updated_at: number;
  readonly deactivated_at: number | null;
}

// ---- slash commands in the composer ----

/**
 * Whether the composer's text is a command to run rather than a message: it starts with `/`
 * and a trigger word. `//text` (and `/` alone, or `/ text`) is a message, as in Mattermost.
 */
export function isCommandLine(text: string): boolean {
  return /^\/[^\s/]/.test(text.trimStart());
}

/** The trigger being typed: the box holds only `/word` so far and the caret is in it. */
export function commandQueryAt(text: string, caret: number): string | undefined {
  const m = /^\/([^\s/]*)$/.exec(text.slice(0, caret));
  if (m === null || /^\S/.test(text.slice(caret))) return undefined;
  return m[1]!.toLowerCase();
}

/** The commands to offer for a typed trigger prefix: exact match first, then by prefix, built-ins before custom ones with the same name. */
export function matchCommands(all: readonly CommandHint[], query: string, limit = 8): CommandHint[] {
  const q = query.toLowerCase();
  return all
    .filter((c) => c.trigger.toLowerCase().startsWith(q))
    .sort((a, b) => Number(b.trigger.toLowerCase() === q) - Number(a.trigger.toLowerCase() === q) || a.trigger.localeCompare(b.trigger) || (a.source === b.source ? 0 : a.source === 'builtin' ? -1 : 1))
    .slice(0, limit);
}

// ---- how a post's author is shown ----

/** The mark next to a post's author: a webhook's post, a bot's, or none. `override` is a webhook's display name (shown beside the mark, never instead of the author). */
export function authorMark(post: Pick<Post, 'props'>, author: Pick<User, 'is_bot'> | undefined): { kind: 'webhook' | 'bot' | undefined; override: string | undefined } {
  const props = post.props;
  const fromWebhook = props.from_webhook === 'true' || props.from_webhook === true;
  const override = fromWebhook && typeof props.override_username === 'string' && props.override_username.trim() !== '' ? props.override_username.trim().slice(0, 64) : undefined;
  if (fromWebhook) return { kind: 'webhook', override };
  return { kind: author?.is_bot === true ? 'bot' : undefined, override: undefined };
}

// ---- Slack message attachments ----

export interface AttachmentField {
  readonly title: string;
  readonly value: string;
  readonly short: boolean;
}

/** One attachment, safe to draw: every value a string of a known key, links http(s) only. */
export interface Attachment {
  /** A CSS colour from a fixed set or `#rrggbb`/`#rgb`; undefined: the default bar. */
  readonly color: string | undefined;
  readonly pretext: string | undefined;
  readonly authorName: string | undefined;
  readonly authorLink: string | undefined;
  readonly title: string | undefined;
  readonly titleLink: string | undefined;
  readonly text: string | undefined;
  readonly fields: readonly AttachmentField[];
  /**
   * The remote image URLs: link targets only (the Content-Security-Policy forbids loading
   * remote images). What is drawn is `image` / `thumb`, the server's stored copy, when it has one.
   */
  readonly imageUrl: string | undefined;
  readonly thumbUrl: string | undefined;
  readonly image: AttachmentPicture | undefined;
  readonly thumb: AttachmentPicture | undefined;
  readonly footer: string | undefined;
  readonly fallback: string | undefined;
}

/** An attachment image the server fetched and stored: drawn from this site, with its size (no layout jump when it loads). */
export interface AttachmentPicture {
  readonly src: string;
  readonly width: number | undefined;
  readonly height: number | undefined;
}

/** One entry of a post's `attachment_images`, as the server sends it. */
export type StoredAttachmentImage = Post['attachment_images'][number];

const NAMED_COLORS: Readonly<Record<string, string>> = { good: '#2eb886', warning: '#daa038', danger: '#a30200' };
const MAX_ATTACHMENTS = 20;
const MAX_FIELDS = 20;
const MAX_TEXT = 8000;

function str(v: unknown, max = MAX_TEXT): string | undefined {
  if (typeof v === 'number') v = String(v);
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  return s === '' ? undefined : s.slice(0, max);
}

/** An http(s) URL as a link target, or undefined (javascript:, data:, relative, malformed). */
export function safeLink(v: unknown): string | undefined {
  const s = str(v, 2048);
  if (s === undefined) return undefined;
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

export function attachmentColor(v: unknown): string | undefined {
  const s = str(v, 16)?.toLowerCase();
  if (s === undefined) return undefined;
  if (NAMED_COLORS[s] !== undefined) return NAMED_COLORS[s];
  return /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/.test(s) ? s : undefined;
}

/**
 * The `src` of a stored attachment image, or undefined: only the server's own, access-checked
 * path (`/api/v1/posts/{id}/attachments/{index}/image|thumb?v=…`), never a remote URL.
 */
export function attachmentImageSrc(url: unknown): string | undefined {
  return typeof url === 'string' && /^\/api\/v1\/posts\/[A-Za-z0-9-]+\/attachments\/\d{1,2}\/(image|thumb)(\?v=\d+)?$/.test(url) ? url : undefined;
}

const dimension = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 10_000 ? v : undefined);

function picture(images: readonly StoredAttachmentImage[], index: number, kind: 'image' | 'thumb'): AttachmentPicture | undefined {
  const stored = images.find((i) => i.index === index && i.kind === kind);
  const src = attachmentImageSrc(stored?.url);
  return stored === undefined || src === undefined ? undefined : { src, width: dimension(stored.width), height: dimension(stored.height) };
}

/**
 * A post's `props.attachments` as drawable attachments; anything malformed is left out.
 * `images`: the post's `attachment_images` (the server's stored copies, by attachment position).
 */
export function normalizeAttachments(props: Readonly<Record<string, unknown>>, images: readonly StoredAttachmentImage[] = []): Attachment[] {
  const raw = props.attachments;
  if (!Array.isArray(raw)) return [];
  const out: Attachment[] = [];
  for (const [index, a] of raw.slice(0, MAX_ATTACHMENTS).entries()) {
    if (typeof a !== 'object' || a === null || Array.isArray(a)) continue;
    const r = a as Record<string, unknown>;
    const fields: AttachmentField[] = [];
    if (Array.isArray(r.fields)) {
      for (const f of r.fields.slice(0, MAX_FIELDS)) {
        if (typeof f !== 'object' || f === null) continue;
        const fr = f as Record<string, unknown>;
        const title = str(fr.title, 256) ?? '';
        const value = str(fr.value) ?? '';
        if (title === '' && value === '') continue;
        fields.push({ title, value, short: fr.short === true });
      }
    }
    const att: Attachment = {
      color: attachmentColor(r.color),
      pretext: str(r.pretext),
      authorName: str(r.author_name, 256),
      authorLink: safeLink(r.author_link),
      title: str(r.title, 512),
      titleLink: safeLink(r.title_link),
      text: str(r.text),
      fields,
      imageUrl: safeLink(r.image_url),
      thumbUrl: safeLink(r.thumb_url),
      image: picture(images, index, 'image'),
      thumb: picture(images, index, 'thumb'),
      footer: str(r.footer, 512),
      fallback: str(r.fallback),
    };
    const empty = att.pretext === undefined && att.authorName === undefined && att.title === undefined && att.text === undefined && fields.length === 0
      && att.imageUrl === undefined && att.thumbUrl === undefined && att.image === undefined && att.thumb === undefined && att.footer === undefined;
    // Only a fallback: show that as the text.
    if (empty && att.fallback !== undefined) out.push({ ...att, text: att.fallback });
    else if (!empty) out.push(att);
  }
  return out;
}
