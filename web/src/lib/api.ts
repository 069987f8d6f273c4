/**
 * The REST client. Every call sends `Authorization: Bearer <token>` (when signed in) and
 * `X-Requested-With: XMLHttpRequest` (the server demands it of cookie-authenticated writes;
 * sending it always means a request never depends on which credential the server picks).
 * Errors become `ApiError`s carrying the server's code, message, field and request id;
 * `describeError` turns any failure into a sentence a person can act on.
 *
 * Pure apart from the injected `fetch` and upload transport, so it runs under Vitest without
 * a browser. Uploads go through their own transport (XMLHttpRequest in the browser, see
 * upload.ts) because fetch reports no progress for a request body.
 */
import type {
  Channel, ChannelMember, FileInfo, FileUpload, OAuthProvider, PasswordPolicy, Post, PostPage, SessionResponse, SsoSessionResponse, Team, TeamMember, ThreadItem, ThreadList, ThreadPage, Unread, UnreadOverview, User,
} from './types.js';
import type { SearchOrder, SearchPostsPage } from './search.js';
import type { CustomEmoji } from './emoji.js';
import type { AccessToken, Bot, CommandHint, CommandResult, CustomCommand, Delivery, IncomingHook, OutgoingHook } from './integrations.js';
import type { ChannelNotifyProps, MySession, NotifyPrefs, ProfilePatch, SidebarCategory, SidebarView } from './types.js';
import { t } from '../i18n/index.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly requestId?: string,
    readonly retryAfter?: number,
    /** The envelope's other fields (e.g. `member_count` of CHANNEL_MENTION_CONFIRM_REQUIRED). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Builds the ApiError for a non-2xx answer from its status, parsed body and Retry-After header. */
export function errorFromResponse(status: number, body: unknown, retryAfterHeader?: string | null): ApiError {
  const envelope = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const headerRetry = retryAfterHeader != null && /^\d+$/.test(retryAfterHeader) ? Number(retryAfterHeader) : undefined;
  const retryAfter = typeof envelope?.retry_after === 'number' ? envelope.retry_after : headerRetry;
  const code = str(envelope?.code) ?? (status >= 500 ? 'INTERNAL_ERROR' : `HTTP_${status}`);
  const message = str(envelope?.message) ?? t('error.requestFailed', { status: String(status) });
  return new ApiError(status, code, message, str(envelope?.field), str(envelope?.request_id), retryAfter, envelope ?? {});
}

/** The ApiError for a request that never got an answer (offline, DNS, server down). */
export function networkError(cause: unknown): ApiError {
  const err = new ApiError(0, 'NETWORK_ERROR', 'Cannot reach the server');
  (err as { cause?: unknown }).cause = cause;
  return err;
}

/** A sentence for the person in front of the screen, whatever went wrong. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return t('error.unreachable');
    if (err.status === 429) return err.retryAfter !== undefined ? t('error.tooManyWait', { count: err.retryAfter }) : t('error.tooMany');
    if (err.status >= 500) return err.requestId ? t('error.serverWithReference', { reference: err.requestId }) : t('error.server');
    return err.message;
  }
  if (err instanceof Error && err.message !== '') return err.message;
  return t('error.generic');
}

/** The ApiError of an upload the person cancelled (not shown as a failure). */
export function abortedError(): ApiError {
  return new ApiError(0, 'ABORTED', t('error.uploadCancelled'));
}

export type FetchLike = (input: string, init: { method: string; headers: Record<string, string>; body?: string; credentials: 'same-origin' }) => Promise<{
  status: number;
  ok: boolean;
  text(): Promise<string>;
  headers: { get(name: string): string | null };
}>;

/** One multipart request as the upload transport sends it. */
export interface UploadRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: FormData;
  /** Bytes of the body sent so far, and its total (0 when unknown). */
  readonly onProgress?: (sent: number, total: number) => void;
}

/** The answer to an upload, whatever its status. */
export interface UploadResponse {
  readonly status: number;
  readonly text: string;
  readonly retryAfter: string | null;
}

/**
 * Sends an upload. `done` rejects with `networkError` when no answer came and with
 * `abortedError` after `abort()`.
 */
export type UploadTransport = (req: UploadRequest) => { readonly done: Promise<UploadResponse>; abort(): void };

/** An upload in progress: its parsed answer (or ApiError), and a way to cancel it. */
export interface Upload<T> {
  readonly done: Promise<T>;
  abort(): void;
}

export interface ApiClientOptions {
  readonly fetch: FetchLike;
  /** Sends multipart uploads with progress; without it, uploads fail. */
  readonly upload?: UploadTransport;
  /** The current session token, if signed in. */
  readonly getToken: () => string | undefined;
  /** Called when a request that carried a token is refused with 401: the session has ended. */
  readonly onSessionEnded?: () => void;
}

type Query = Record<string, string | number | boolean | undefined>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs === '' ? path : `${path}?${qs}`;
}

const seg = encodeURIComponent;

/**
 * A provider's login link must stay on this site: only same-origin absolute paths are used
 * (`/x`, never `//x`, `/\x` or a scheme), so a misconfigured or hostile provider list cannot
 * turn a button into a `javascript:` or off-site link.
 */
export function safeLoginPath(candidate: unknown, fallback: string): string {
  if (typeof candidate !== 'string') return fallback;
  if (!/^\/(?![/\\])[^\s]*$/.test(candidate)) return fallback;
  return candidate;
}

const PROVIDER_TYPES: ReadonlySet<string> = new Set(['oidc', 'google', 'github']);

/**
 * The buttons from GET /api/v1/oauth2/providers (`[{provider_key, provider_type,
 * display_name, login_url}]`). Entries that do not fit are left out rather than guessed at.
 */
export function parseProviders(body: unknown): OAuthProvider[] {
  if (!Array.isArray(body)) return [];
  const out: OAuthProvider[] = [];
  for (const item of body) {
    if (!isRecord(item)) continue;
    const key = item.provider_key;
    if (typeof key !== 'string' || !/^[a-z0-9_-]{1,64}$/.test(key)) continue;
    const label = typeof item.display_name === 'string' && item.display_name.trim() !== '' ? item.display_name : key;
    const type = typeof item.provider_type === 'string' && PROVIDER_TYPES.has(item.provider_type) ? (item.provider_type as OAuthProvider['provider_type']) : 'oidc';
    out.push({ provider_key: key, provider_type: type, display_name: label, login_url: safeLoginPath(item.login_url, `/api/v1/oauth2/${seg(key)}/login`) });
  }
  return out;
}

/**
 * The href of a "Sign in with …" button. When the sign-in page stands in for a page of the
 * app (a deep link opened while signed out), that page goes along as `redirect_to`, which the
 * exchange hands back after the provider round trip.
 */
export function ssoLoginHref(loginUrl: string, here: string): string {
  if (here === '/' || here === '/login' || here.startsWith('/login?') || here.startsWith('/login/') || !here.startsWith('/') || here.startsWith('//')) return loginUrl;
  const url = new URL(loginUrl, 'http://client.invalid');
  url.searchParams.set('redirect_to', here);
  return `${url.pathname}${url.search}`;
}

/** The answer to a registration: `check_email` (a link was mailed) or `sign_in` (a server without mail). */
export interface RegisterAccepted {
  readonly status: 'accepted';
  readonly next: 'check_email' | 'sign_in';
  readonly message: string;
}

export class ApiClient {
  constructor(private readonly opts: ApiClientOptions) {}

  /** The headers every request carries. */
  private headers(token: string | undefined): Record<string, string> {
    const headers: Record<string, string> = { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' };
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    return headers;
  }

  /** The parsed body of a 2xx answer; otherwise the ApiError (and the end of the session for a 401 to a token). */
  private answer<T>(ok: boolean, status: number, text: string, retryAfter: string | null, token: string | undefined): T {
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!ok) {
      const err = errorFromResponse(status, parsed, retryAfter);
      if (status === 401 && token !== undefined) this.opts.onSessionEnded?.();
      throw err;
    }
    return parsed as T;
  }

  /** One request; resolves with the parsed JSON body or rejects with an ApiError. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = this.opts.getToken();
    const headers = this.headers(token);
    const init: Parameters<FetchLike>[1] = { method, headers, credentials: 'same-origin' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res: Awaited<ReturnType<FetchLike>>;
    try {
      res = await this.opts.fetch(path, init);
    } catch (err) {
      throw networkError(err);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw networkError(err);
    }
    return this.answer<T>(res.ok, res.status, text, res.headers.get('Retry-After'), token);
  }

  /** A multipart request through the upload transport (the browser sets its Content-Type with the boundary). */
  upload<T>(method: string, path: string, body: FormData, onProgress?: (sent: number, total: number) => void): Upload<T> {
    const transport = this.opts.upload;
    if (transport === undefined) return { done: Promise.reject(new Error(t('error.noUpload'))), abort: () => undefined };
    const token = this.opts.getToken();
    const sent = transport({ method, url: path, headers: this.headers(token), body, ...(onProgress !== undefined ? { onProgress } : {}) });
    return { done: sent.done.then((r) => this.answer<T>(r.status >= 200 && r.status < 300, r.status, r.text, r.retryAfter, token)), abort: () => sent.abort() };
  }

  // ---- auth ----
  policy = () => this.request<PasswordPolicy>('GET', '/api/v1/auth/policy');
  login = (login: string, password: string) => this.request<SessionResponse>('POST', '/api/v1/auth/login', { email: login, password });
  /** The same answer whether or not the address has an account: `next` says what to do (it depends on the server's configuration only). */
  register = (input: { username: string; email: string; password: string; display_name?: string }) => this.request<RegisterAccepted>('POST', '/api/v1/auth/register', input);
  /** Finishes a registration with the token of its mail; signs in. */
  completeRegistration = (token: string) => this.request<SessionResponse>('POST', '/api/v1/auth/register/complete', { token });
  logout = () => this.request<{ status: 'ok' }>('POST', '/api/v1/auth/logout');
  me = () => this.request<User>('GET', '/api/v1/users/me');
  /** Always `{status: 'ok'}` when accepted, whether or not an account has that address. */
  forgotPassword = (email: string) => this.request<{ status: 'ok' }>('POST', '/api/v1/auth/password/forgot', { email });
  /** Sets a new password with a reset link's token; ends every session of the account and does not sign in. */
  resetPassword = (token: string, newPassword: string) => this.request<{ status: 'ok' }>('POST', '/api/v1/auth/password/reset', { token, new_password: newPassword });
  exchangeCode = (code: string) => this.request<SsoSessionResponse>('POST', '/api/v1/oauth2/exchange', { code });

  /** SSO buttons; a server without SSO (404) simply has none. */
  async providers(): Promise<OAuthProvider[]> {
    try {
      return parseProviders(await this.request<unknown>('GET', '/api/v1/oauth2/providers'));
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return [];
      throw err;
    }
  }

  // ---- users ----
  searchUsers = (q: string, perPage = 20) => this.request<User[]>('GET', withQuery('/api/v1/users', { q: q === '' ? undefined : q, per_page: perPage }));
  user = (id: string) => this.request<User>('GET', `/api/v1/users/${seg(id)}`);
  /** Sets my profile picture (PNG, JPEG, GIF or WebP; the server crops it square); answers with my user. */
  setAvatar = (image: Blob, name: string): Upload<User> => {
    const form = new FormData();
    form.append('image', image, name);
    return this.upload<User>('PUT', '/api/v1/users/me/avatar', form);
  };
  clearAvatar = () => this.request<{ status: 'ok' }>('DELETE', '/api/v1/users/me/avatar');
  /** Changes my profile (names, position, time zone, custom status and its expiry). */
  updateMe = (patch: ProfilePatch) => this.request<User>('PATCH', '/api/v1/users/me', patch);
  /** Ends every session of the account (this one included) and answers with a new one. */
  changePassword = (currentPassword: string, newPassword: string) => this.request<SessionResponse>('POST', '/api/v1/users/me/password', { current_password: currentPassword, new_password: newPassword });
  mySessions = () => this.request<MySession[]>('GET', '/api/v1/users/me/sessions');
  endSession = (id: string) => this.request<{ status: 'ok' }>('DELETE', `/api/v1/users/me/sessions/${seg(id)}`);
  /** My sidebar arrangement (favourites and custom categories). */
  sidebar = () => this.request<SidebarView>('GET', '/api/v1/users/me/sidebar');
  putSidebar = (categories: SidebarCategory[]) => this.request<SidebarView>('PUT', '/api/v1/users/me/sidebar', { categories });
  /** My notification preferences (levels per medium, keywords, e-mail interval, sound, do-not-disturb end). */
  notifyPrefs = () => this.request<NotifyPrefs>('GET', '/api/v1/users/me/preferences/notifications');
  /** Changes the fields given; answers with all of them. */
  setNotifyPrefs = (patch: Partial<NotifyPrefs>) => this.request<NotifyPrefs>('PUT', '/api/v1/users/me/preferences/notifications', patch);
  /** My notification preferences for one channel (members only). */
  channelNotifyProps = (channelId: string) => this.request<ChannelNotifyProps>('GET', `/api/v1/channels/${seg(channelId)}/members/me/notify_props`);
  setChannelNotifyProps = (channelId: string, patch: Partial<ChannelNotifyProps>) => this.request<ChannelNotifyProps>('PUT', `/api/v1/channels/${seg(channelId)}/members/me/notify_props`, patch);
  /** Mutes (no notifications, not shown as unread) or unmutes a channel for me. */
  setMuted = (channelId: string, muted: boolean) => this.request<ChannelNotifyProps>(muted ? 'PUT' : 'DELETE', `/api/v1/channels/${seg(channelId)}/members/me/mute`);
  statuses = (ids: string[]) => this.request<{ user_id: string; status: User['presence'] }[]>('POST', '/api/v1/users/status/ids', ids);

  // ---- teams ----
  teams = () => this.request<Team[]>('GET', '/api/v1/teams');
  joinableTeams = () => this.request<Team[]>('GET', '/api/v1/teams/joinable');
  createTeam = (input: { name: string; display_name: string; description?: string; type?: 'open' | 'invite' }) => this.request<Team>('POST', '/api/v1/teams', input);
  addTeamMember = (teamId: string, userId: string) => this.request<TeamMember>('POST', `/api/v1/teams/${seg(teamId)}/members`, { user_id: userId });
  leaveTeam = (teamId: string, userId: string) => this.request<{ status: 'ok' }>('DELETE', `/api/v1/teams/${seg(teamId)}/members/${seg(userId)}`);
  teamChannels = (teamId: string) => this.request<Channel[]>('GET', `/api/v1/teams/${seg(teamId)}/channels`);

  // ---- channels ----
  myChannels = () => this.request<Channel[]>('GET', '/api/v1/channels');
  channel = (id: string) => this.request<Channel>('GET', `/api/v1/channels/${seg(id)}`);
  createChannel = (input: { team_id?: string; name?: string; display_name?: string; purpose?: string; header?: string; channel_type: Channel['type']; target_user_id?: string; user_ids?: string[] }) =>
    this.request<Channel>('POST', '/api/v1/channels', input);
  updateChannel = (id: string, patch: { display_name?: string; purpose?: string; header?: string }) => this.request<Channel>('PATCH', `/api/v1/channels/${seg(id)}`, patch);
  channelMembers = (id: string) => this.request<ChannelMember[]>('GET', withQuery(`/api/v1/channels/${seg(id)}/members`, { per_page: 200 }));
  joinChannel = (id: string, userId: string) => this.request<ChannelMember>('POST', `/api/v1/channels/${seg(id)}/members`, { user_id: userId });
  leaveChannel = (id: string, userId: string) => this.request<{ status: 'ok' }>('DELETE', `/api/v1/channels/${seg(id)}/members/${seg(userId)}`);
  /** Archives a channel (read-only afterwards); restoreChannel undoes it. */
  archiveChannel = (id: string) => this.request<Channel>('DELETE', `/api/v1/channels/${seg(id)}`);
  restoreChannel = (id: string) => this.request<Channel>('POST', `/api/v1/channels/${seg(id)}/restore`);
  markRead = (id: string) => this.request<Unread | { status: 'ok' }>('POST', `/api/v1/channels/${seg(id)}/read`);
  unreads = () => this.request<UnreadOverview>('GET', '/api/v1/unreads/overview');

  // ---- posts ----
  /** A page of a channel, newest first: before `before` (exclusive), or after `after` (exclusive, the page nearest to it); each a post id or a seq. */
  posts = (channelId: string, opts: { before?: string; after?: string; limit?: number } = {}) => this.request<PostPage>('GET', withQuery(`/api/v1/channels/${seg(channelId)}/posts`, opts));
  /** One post; 404 when it does not exist or I may not read it. */
  post = (id: string) => this.request<Post>('GET', `/api/v1/posts/${seg(id)}`);
  pinned = (channelId: string) => this.request<Post[]>('GET', `/api/v1/channels/${seg(channelId)}/pinned`);
  /** `confirm_channel_mention`: the sender confirmed an @channel/@all/@here in a big channel (else 409 CHANNEL_MENTION_CONFIRM_REQUIRED). */
  createPost = (channelId: string, input: { message: string; root_post_id?: string; client_msg_id: string; file_ids?: string[]; confirm_channel_mention?: boolean }) => this.request<Post>('POST', `/api/v1/channels/${seg(channelId)}/posts`, input);
  editPost = (id: string, message: string) => this.request<Post>('PUT', `/api/v1/posts/${seg(id)}`, { message });
  deletePost = (id: string) => this.request<{ status: 'ok' }>('DELETE', `/api/v1/posts/${seg(id)}`);
  /** Takes the link preview off my post; answers with the post. */
  removePreview = (id: string) => this.request<Post>('DELETE', `/api/v1/posts/${seg(id)}/preview`);
  thread = (id: string) => this.request<ThreadPage>('GET', withQuery(`/api/v1/posts/${seg(id)}/thread`, { limit: 200 }));
  /** Threads I follow, newest activity first, with unread counts and totals (a team's list includes direct messages). */
  followedThreads = (opts: { team_id?: string; before?: string; per_page?: number; unread?: boolean } = {}) => this.request<ThreadList>('GET', withQuery('/api/v1/users/me/threads', opts));
  followedThread = (rootId: string) => this.request<ThreadItem>('GET', `/api/v1/users/me/threads/${seg(rootId)}`);
  setThreadFollowing = (rootId: string, following: boolean) => this.request<ThreadItem>(following ? 'PUT' : 'DELETE', `/api/v1/users/me/threads/${seg(rootId)}/following`);
  /** Whether replies stay out of channel lists (collapsed threads, the default) or show inline. */
  threadPreferences = () => this.request<{ collapsed_threads: boolean }>('GET', '/api/v1/users/me/preferences/threads');
  setThreadPreferences = (prefs: { collapsed_threads: boolean }) => this.request<{ collapsed_threads: boolean }>('PUT', '/api/v1/users/me/preferences/threads', prefs);
  /** Marks a thread read up to its newest reply, on all my devices. */
  markThreadRead = (rootId: string) => this.request<ThreadItem>('PUT', `/api/v1/users/me/threads/${seg(rootId)}/read`);
  react = (id: string, emoji: string) => this.request<Post>('POST', `/api/v1/posts/${seg(id)}/reactions`, { emoji_name: emoji });
  unreact = (id: string, emoji: string) => this.request<Post>('DELETE', `/api/v1/posts/${seg(id)}/reactions/${seg(emoji)}`);
  pin = (id: string, pinned: boolean) => this.request<Post>(pinned ? 'POST' : 'DELETE', `/api/v1/posts/${seg(id)}/pin`);
  /** Marks the post's channel unread from this post on. */
  markUnread = (id: string) => this.request<{ channel_id: string; last_viewed_seq: number; unread_count: number; mention_count: number }>('POST', `/api/v1/posts/${seg(id)}/unread`);
  /** Saves a post for later (again: no change), or removes it from my saved posts. */
  setSaved = (id: string, saved: boolean) => this.request<{ status: 'ok' }>(saved ? 'POST' : 'DELETE', `/api/v1/posts/${seg(id)}/save`);
  /** My saved posts, most recently saved first (those in channels I can no longer read are left out). */
  savedPosts = (page = 0, perPage = 30) => this.request<Post[]>('GET', withQuery('/api/v1/active_user/saved_posts', { page, per_page: perPage }));

  // ---- search ----
  /** Messages matching a query (the README's query language); 400 with a sentence for a query that cannot be searched. */
  searchPosts = (q: string, opts: { team_id?: string; channel_id?: string; order?: SearchOrder; cursor?: string; page?: number; per_page?: number } = {}) =>
    this.request<SearchPostsPage>('GET', withQuery('/api/v1/search/posts', { q, ...opts }));
  /** People by username, name and nickname. */
  searchPeople = (q: string, perPage = 8) => this.request<User[]>('GET', withQuery('/api/v1/search/users', { q, per_page: perPage }));
  /** Channels by name and purpose: public ones of my teams and private ones I am in. */
  searchChannels = (q: string, teamId?: string) => this.request<Channel[]>('GET', withQuery('/api/v1/search/channels', { q, team_id: teamId }));

  // ---- files ----
  /** Uploads one file to a channel, unattached until a post names it in `file_ids`. */
  uploadFile = (channelId: string, file: Blob, name: string, onProgress?: (sent: number, total: number) => void): Upload<FileUpload> => {
    const form = new FormData();
    form.append('file', file, name);
    return this.upload<FileUpload>('POST', withQuery('/api/v1/files', { channel_id: channelId }), form, onProgress);
  };
  deleteFile = (id: string) => this.request<{ status: 'ok' }>('DELETE', `/api/v1/files/${seg(id)}`);

  // ---- custom emoji ----
  /** Custom emoji by name, a page at a time (200 at most). */
  customEmoji = (page = 0, perPage = 200) => this.request<CustomEmoji[]>('GET', withQuery('/api/v1/emoji', { page, per_page: perPage }));
  /** Adds a custom emoji: a name (the emoji name rules, not a standard one) and a PNG, JPEG, GIF or WebP image. */
  addCustomEmoji = (name: string, image: Blob): Upload<CustomEmoji> => {
    const form = new FormData();
    form.append('name', name);
    form.append('image', image, 'emoji');
    return this.upload<CustomEmoji>('POST', '/api/v1/emoji', form);
  };
  deleteCustomEmoji = (id: string) => this.request<{ status: 'ok' }>('DELETE', `/api/v1/emoji/${seg(id)}`);
  /** Files posted in a channel, newest first; `before` and `before_id`: the created_at and id of the last file already shown. */
  channelFiles = (channelId: string, opts: { before?: number; before_id?: string; limit?: number } = {}) => this.request<FileInfo[]>('GET', withQuery(`/api/v1/channels/${seg(channelId)}/files`, opts));

  // ---- integrations ----
  /** My incoming webhooks in a team (a system admin: everyone's). */
  incomingHooks = (teamId: string) => this.request<IncomingHook[]>('GET', withQuery('/api/v1/hooks/incoming', { team_id: teamId, per_page: 200 }));
  /** Creates an incoming webhook: the answer carries its secret `url` and `token`, shown once. */
  createIncomingHook = (input: { channel_id: string; display_name?: string; description?: string; channel_locked?: boolean }) =>
    this.request<IncomingHook & { token: string; url: string }>('POST', '/api/v1/hooks/incoming', input);
  updateIncomingHook = (id: string, patch: { channel_id?: string; display_name?: string; description?: string; channel_locked?: boolean }) =>
    this.request<IncomingHook>('PUT', `/api/v1/hooks/incoming/${seg(id)}`, patch);
  deleteIncomingHook = (id: string) => this.request<{ status: 'ok' }>('DELETE', `/api/v1/hooks/incoming/${seg(id)}`);
  /** A new secret URL (the old one stops); shown once. */
  regenIncomingHook = (id: string) => this.request<IncomingHook & { token: string; url: string }>('POST', `/api/v1/hooks/incoming/${seg(id)}/regen_token`);
  outgoingHooks = (teamId: string) => this.request<OutgoingHook[]>('GET', withQuery('/api/v1/hooks/outgoing', { team_id: teamId, per_page: 200 }));
  createOutgoingHook = (input: { team_id: string; channel_id?: string | null; display_name?: string; description?: string; trigger_words?: string[]; trigger_when?: 0 | 1; callback_urls: string[]; content_type?: string }) =>
    this.request<OutgoingHook & { token: string }>('POST', '/api/v1/hooks/outgoing', input);
  updateOutgoingHook = (id: string, patch: { channel_id?: string | null; display_name?: string; description?: string; trigger_words?: string[]; trigger_when?: 0 | 1; callback_urls?: string[]; content_type?: string }) =>
    this.request<OutgoingHook>('PUT', `/api/v1/hooks/outgoing/${seg(id)}`, patch);
  deleteOutgoingHook = (id: string) => this.request<{ status: 'ok' }>('DELETE', `/api/v1/hooks/outgoing/${seg(id)}`);
  regenOutgoingHook = (id: string) => this.request<OutgoingHook & { token: string }>('POST', `/api/v1/hooks/outgoing/${seg(id)}/regen_token`);
  /** The last delivery attempts of an outgoing webhook, newest first. */
  hookDeliveries = (id: string) => this.request<Delivery[]>('GET', `/api/v1/hooks/outgoing/${seg(id)}/deliveries`);
  /** A team's custom slash commands I manage. */
  commands = (teamId: string) => this.request<CustomCommand[]>('GET', withQuery('/api/v1/commands', { team_id: teamId }));
  createCommand = (input: { team_id: string; trigger: string; url: string; method?: 'POST' | 'GET'; auto_complete?: boolean; auto_complete_hint?: string; auto_complete_desc?: string; display_name?: string; description?: string }) =>
    this.request<CustomCommand>('POST', '/api/v1/commands', input);
  updateCommand = (id: string, patch: { trigger?: string; url?: string; method?: 'POST' | 'GET'; auto_complete?: boolean; auto_complete_hint?: string; auto_complete_desc?: string; display_name?: string; description?: string }) =>
    this.request<CustomCommand>('PATCH', `/api/v1/commands/${seg(id)}`, patch);
  deleteCommand = (id: string) => this.request<{ status: 'ok' }>('DELETE', `/api/v1/commands/${seg(id)}`);
  regenCommandToken = (id: string) => this.request<CustomCommand>('POST', `/api/v1/commands/${seg(id)}/regen_token`);
  /** Runs a slash command in a channel (`team_id` names the team of a direct or group message). */
  executeCommand = (input: { channel_id: string; command: string; team_id?: string }) => this.request<CommandResult>('POST', '/api/v1/commands/execute', input);
  /** The commands the composer offers after `/`, with their hints. */
  commandHints = (teamId?: string) => this.request<CommandHint[]>('GET', withQuery('/api/v1/commands/autocomplete', { team_id: teamId }));
  accessTokens = (userId: string) => this.request<AccessToken[]>('GET', `/api/v1/users/${seg(userId)}/tokens`);
  /** A personal access token; its secret is in this answer only. 403 when the server has them turned off. */
  createAccessToken = (userId: string, description: string) => this.request<AccessToken & { token: string }>('POST', `/api/v1/users/${seg(userId)}/tokens`, { description });
  revokeAccessToken = (id: string) => this.request<{ status: 'ok' }>('DELETE', `/api/v1/users/tokens/${seg(id)}`);
  bots = () => this.request<Bot[]>('GET', '/api/v1/bots');
  createBot = (input: { username: string; display_name?: string; description?: string }) => this.request<Bot>('POST', '/api/v1/bots', input);
  setBotActive = (id: string, active: boolean) => this.request<Bot>('POST', `/api/v1/bots/${seg(id)}/${active ? 'enable' : 'disable'}`);
}
