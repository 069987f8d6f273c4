/**
 * Row → JSON views, shared by the REST API and the WebSocket events so both always show
 * the same shape. Times are milliseconds since the epoch.
 */
import type { AttachmentImage, AttachmentImageKind, Channel, ChannelMember, ChannelRole, ChannelType, CustomEmoji, FileInfo, Post, Reaction, SystemRole, Team, TeamMember, TeamRole, TeamType, User, PostPreview, ThreadMembership } from './entities.js';
import type { SsoProvider, SsoProviderType } from './sso.js';

export type Presence = 'online' | 'away' | 'dnd' | 'offline';

export interface UserView {
  id: string;
  username: string;
  email?: string;
  display_name: string;
  first_name: string;
  last_name: string;
  nickname: string;
  position: string;
  avatar_url: string | null;
  is_bot: boolean;
  role: SystemRole;
  presence: Presence;
  status_text: string;
  status_emoji: string;
  /** When the custom status ends; null: no expiry (or no status). */
  status_expires_at: number | null;
  timezone: string;
  created_at: number;
  is_active: boolean;
}

/** Whether the user's custom status has expired at `now` (it then reads as empty). */
export function statusExpired(user: Pick<User, 'status_expires_at'>, now: number): boolean {
  return user.status_expires_at !== null && user.status_expires_at <= now;
}

/** `now`: an expired custom status is presented as empty (the store catches up on its own, services/accounts.ts). */
export function userView(user: User, opts: { showEmail: boolean; presence?: Presence; now?: number }): UserView {
  const expired = statusExpired(user, opts.now ?? Date.now());
  const view: UserView = {
    id: user.id,
    username: user.username,
    display_name: user.display_name,
    first_name: user.first_name,
    last_name: user.last_name,
    nickname: user.nickname,
    position: user.position,
    avatar_url: user.avatar_url,
    is_bot: user.is_bot === 1,
    role: user.role,
    presence: opts.presence ?? 'offline',
    status_text: expired ? '' : user.status_text,
    status_emoji: expired ? '' : user.status_emoji,
    status_expires_at: expired ? null : user.status_expires_at,
    timezone: user.timezone,
    created_at: user.created_at,
    is_active: user.deactivated_at === null,
  };
  if (opts.showEmail) view.email = user.email;
  return view;
}

export interface TeamView {
  id: string;
  name: string;
  display_name: string;
  description: string;
  type: TeamType;
  creator_id: string;
  created_at: number;
  updated_at: number;
  is_archived: boolean;
}

export function teamView(team: Team): TeamView {
  return {
    id: team.id,
    name: team.name,
    display_name: team.display_name,
    description: team.description,
    type: team.type,
    creator_id: team.creator_id,
    created_at: team.created_at,
    updated_at: team.updated_at,
    is_archived: team.archived_at !== null,
  };
}

export interface TeamMemberView {
  team_id: string;
  user_id: string;
  role: TeamRole;
  created_at: number;
}

export const teamMemberView = (m: TeamMember): TeamMemberView => ({ team_id: m.team_id, user_id: m.user_id, role: m.role, created_at: m.created_at });

export interface ChannelView {
  id: string;
  team_id: string | null;
  type: ChannelType;
  name: string;
  display_name: string;
  purpose: string;
  header: string;
  is_archived: boolean;
  creator_id: string;
  created_at: number;
  updated_at: number;
  last_post_at: number;
  last_post_seq: number;
}

export function channelView(c: Channel): ChannelView {
  return {
    id: c.id,
    team_id: c.team_id,
    type: c.type,
    name: c.name,
    display_name: c.display_name,
    purpose: c.purpose,
    header: c.header,
    is_archived: c.archived_at !== null,
    creator_id: c.creator_id,
    created_at: c.created_at,
    updated_at: c.updated_at,
    last_post_at: c.last_post_at,
    last_post_seq: c.last_post_seq,
  };
}

export interface ChannelMemberView {
  channel_id: string;
  user_id: string;
  role: ChannelRole;
  last_viewed_seq: number;
  last_viewed_at: number;
  created_at: number;
}

export const channelMemberView = (m: ChannelMember): ChannelMemberView => ({
  channel_id: m.channel_id,
  user_id: m.user_id,
  role: m.role,
  last_viewed_seq: m.last_viewed_seq,
  last_viewed_at: m.last_viewed_at,
  created_at: m.created_at,
});

export interface ReactionSummary {
  emoji: string;
  count: number;
  users: string[];
}

export interface PostView {
  id: string;
  channel_id: string;
  user_id: string;
  root_post_id: string | null;
  message: string;
  props: Record<string, unknown>;
  file_ids: string[];
  is_pinned: boolean;
  created_at: number;
  edited_at: number | null;
  reply_count: number;
  last_reply_at: number | null;
  /** On a thread root: the most recent repliers' ids, newest first (a few at most). */
  participants: string[];
  reactions: ReactionSummary[];
  /** Metadata of the attached files that still exist (the bytes: GET /files/{id}/download). */
  files: FileView[];
  /** The link preview the server attached (null: none, not yet, or removed by the author). */
  preview: LinkPreviewView | null;
  /**
   * The images of the post's Slack attachments (`props.attachments[index].image_url` /
   * `thumb_url`) that the server fetched and stored; empty: none (yet). The remote URLs stay
   * in `props` as link targets.
   */
  attachment_images: AttachmentImageView[];
  client_msg_id: string | null;
  seq: number;
}

/** A post's link preview; its image is served by GET /api/v1/posts/{id}/preview/image (same origin, access-checked). */
export interface LinkPreviewView {
  url: string;
  title: string | null;
  description: string | null;
  site_name: string | null;
  image: { url: string; width: number; height: number } | null;
}

export function linkPreviewView(p: PostPreview): LinkPreviewView {
  return {
    url: p.url,
    title: p.title,
    description: p.description,
    site_name: p.site_name,
    image: p.image_key === null ? null : { url: `/api/v1/posts/${p.post_id}/preview/image?v=${p.created_at}`, width: p.image_width ?? 0, height: p.image_height ?? 0 },
  };
}

/** A stored attachment image; served by GET /api/v1/posts/{id}/attachments/{index}/{kind} (same origin, access-checked). */
export interface AttachmentImageView {
  index: number;
  kind: AttachmentImageKind;
  url: string;
  width: number;
  height: number;
}

export function attachmentImageView(r: AttachmentImage): AttachmentImageView {
  return {
    index: r.attachment_index,
    kind: r.kind,
    url: `/api/v1/posts/${r.post_id}/attachments/${r.attachment_index}/${r.kind}?v=${r.created_at}`,
    width: r.width,
    height: r.height,
  };
}

export interface FileView {
  id: string;
  name: string;
  /** Lower-case extension of the name, without the dot ('' when none): for icons only, never trusted. */
  extension: string;
  mime_type: string;
  size: number;
  width?: number;
  height?: number;
  has_preview: boolean;
  user_id: string;
  channel_id: string;
  post_id: string | null;
  created_at: number;
}

export function fileView(f: FileInfo): FileView {
  const dot = f.name.lastIndexOf('.');
  return {
    id: f.id,
    name: f.name,
    extension: dot > 0 ? f.name.slice(dot + 1).toLowerCase().slice(0, 16) : '',
    mime_type: f.mime_type,
    size: f.size,
    ...(f.width === null ? {} : { width: f.width }),
    ...(f.height === null ? {} : { height: f.height }),
    has_preview: f.has_preview === 1,
    user_id: f.user_id,
    channel_id: f.channel_id,
    post_id: f.post_id,
    created_at: f.created_at,
  };
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function summarizeReactions(reactions: readonly Reaction[]): ReactionSummary[] {
  const by = new Map<string, ReactionSummary>();
  for (const r of reactions) {
    let s = by.get(r.emoji_name);
    if (s === undefined) {
      s = { emoji: r.emoji_name, count: 0, users: [] };
      by.set(r.emoji_name, s);
    }
    s.count++;
    s.users.push(r.user_id);
  }
  return [...by.values()];
}

export function postView(p: Post, reactions: readonly Reaction[] = [], files: readonly FileInfo[] = [], preview?: PostPreview, images: readonly AttachmentImage[] = []): PostView {
  const fileIds = parseJson<string[]>(p.file_ids, []);
  // In the order the author attached them.
  const ordered = files.length < 2 ? files : [...files].sort((a, b) => fileIds.indexOf(a.id) - fileIds.indexOf(b.id));
  return {
    id: p.id,
    channel_id: p.channel_id,
    user_id: p.user_id,
    root_post_id: p.root_post_id,
    message: p.message,
    props: parseJson<Record<string, unknown>>(p.props, {}),
    file_ids: fileIds,
    is_pinned: p.is_pinned === 1,
    created_at: p.created_at,
    edited_at: p.edited_at,
    reply_count: p.reply_count,
    last_reply_at: p.last_reply_at,
    participants: parseJson<string[]>(p.reply_participants, []),
    reactions: summarizeReactions(reactions),
    files: ordered.map(fileView),
    preview: preview === undefined || preview.dismissed !== 0 || preview.post_id !== p.id ? null : linkPreviewView(preview),
    attachment_images: images.filter((r) => r.post_id === p.id).map(attachmentImageView),
    client_msg_id: p.client_msg_id,
    seq: p.seq,
  };
}

export interface ReactionView {
  post_id: string;
  user_id: string;
  emoji_name: string;
  created_at: number;
}

export const reactionView = (r: Reaction): ReactionView => ({ post_id: r.post_id, user_id: r.user_id, emoji_name: r.emoji_name, created_at: r.created_at });

/** An SSO provider for administrators. The client secret is never shown, only whether one is set. */
export interface SsoProviderView {
  id: string;
  provider_key: string;
  provider_type: SsoProviderType;
  display_name: string;
  issuer_url: string | null;
  github_url: string | null;
  github_api_url: string | null;
  client_id: string;
  has_client_secret: boolean;
  scopes: string[];
  auto_provision: boolean;
  allow_domains: string[];
  default_role: SystemRole;
  enabled: boolean;
  login_url: string;
  /** The redirect URI to register at the identity provider. */
  callback_url: string;
  created_at: number;
  updated_at: number;
}

export function ssoProviderView(p: SsoProvider, urls: { login_url: string; callback_url: string }): SsoProviderView {
  const words = (v: string): string[] => v.split(' ').filter((w) => w !== '');
  return {
    id: p.id,
    provider_key: p.provider_key,
    provider_type: p.provider_type,
    display_name: p.display_name,
    issuer_url: p.issuer_url,
    github_url: p.github_url,
    github_api_url: p.github_api_url,
    client_id: p.client_id,
    has_client_secret: p.client_secret_sealed !== '',
    scopes: words(p.scopes),
    auto_provision: p.auto_provision === 1,
    allow_domains: words(p.allow_domains),
    default_role: p.default_role,
    enabled: p.enabled === 1,
    login_url: urls.login_url,
    callback_url: urls.callback_url,
    created_at: p.created_at,
    updated_at: p.updated_at,
  };
}

/** An enabled SSO provider on the public login page. */
export interface SsoLoginOptionView {
  provider_key: string;
  provider_type: SsoProviderType;
  display_name: string;
  login_url: string;
}

export const ssoLoginOptionView = (p: SsoProvider, loginUrl: string): SsoLoginOptionView => ({
  provider_key: p.provider_key, provider_type: p.provider_type, display_name: p.display_name, login_url: loginUrl,
});

/** A custom emoji as the API shows it (the image is at `/api/v1/emoji/{id}/image`). */
export interface CustomEmojiView {
  id: string;
  name: string;
  creator_id: string;
  created_at: number;
}

export const customEmojiView = (e: CustomEmoji): CustomEmojiView => ({ id: e.id, name: e.name, creator_id: e.creator_id, created_at: e.created_at });
/** A thread as one user sees it (GET /users/me/threads, `thread_updated`): its root, its counters, the user's read state. */
export interface ThreadView {
  /** The root post's id. */
  id: string;
  channel_id: string;
  post: PostView;
  reply_count: number;
  last_reply_at: number | null;
  participants: string[];
  following: boolean;
  last_viewed_at: number;
  unread_replies: number;
  unread_mentions: number;
}

export function threadView(m: ThreadMembership, root: PostView): ThreadView {
  return {
    id: root.id,
    channel_id: root.channel_id,
    post: root,
    reply_count: root.reply_count,
    last_reply_at: root.last_reply_at,
    participants: root.participants,
    following: m.following === 1,
    last_viewed_at: m.last_viewed_at,
    unread_replies: m.unread_replies,
    unread_mentions: m.unread_mentions,
  };
}
