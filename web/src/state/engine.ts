/**
 * The signed-in client's engine: the actions the screens call and the follow-up work after a
 * real-time event (fetching a channel we were just added to, naming the people of a direct
 * message, marking the open channel read, refetching after a lost stream). A plain class: the
 * state (getState/dispatch over reducer.ts), the REST client, the WebSocket client and the
 * timers are injected, so it is tested under Vitest without React or a browser.
 *
 *   screen ──► engine.action() ──► api ──► dispatch(answer)
 *   socket ──► onEvent: dispatch(rt) ──► follow-up (fetch what is missing, mark read)
 *   hello  ──► 'first': unreads │ 'resumed': nothing │ 'reset': refetch what is on screen
 *
 * getState() is read after each dispatch, so follow-up logic always sees the applied event.
 */
import { ApiError, describeError, type ApiClient } from '../lib/api.js';
import { addCustomEmoji, loadEmoji, removeCustomEmoji, setCustomEmoji, type CustomEmoji } from '../lib/emoji.js';
import type { ClientActionMap } from '../../../src/domain/events.js';
import type { ClientReply, ConnectionState, RealtimeHandlers, ServerEvent } from '../lib/realtime.js';
import type { CommandResult } from '../lib/integrations.js';
import { notificationBody, shouldPlaySound, shouldShow, type DesktopNotifier, type NotificationEvent } from '../lib/desktop-notify.js';
import type { Channel, ChannelNotifyProps, FileInfo, NotifyPrefs, Post, Presence, ProfilePatch, SidebarCategory, Team } from '../lib/types.js';
import { channelLabel, type Action, type ChatState, type Outgoing } from './reducer.js';
import { t } from '../i18n/index.js';

/** The REST calls the engine makes. */
export type EngineApi = Pick<ApiClient,
  | 'user' | 'statuses' | 'channelMembers' | 'unreads' | 'markRead' | 'posts' | 'teams' | 'myChannels' | 'createPost' | 'editPost' | 'deletePost' | 'removePreview'
  | 'react' | 'unreact' | 'pin' | 'thread' | 'pinned' | 'createTeam' | 'addTeamMember' | 'leaveTeam' | 'createChannel' | 'joinChannel'
  | 'channel' | 'leaveChannel' | 'updateChannel' | 'logout' | 'setAvatar' | 'clearAvatar' | 'customEmoji'
  | 'followedThreads' | 'followedThread' | 'setThreadFollowing' | 'markThreadRead' | 'threadPreferences' | 'setThreadPreferences'
  | 'markUnread' | 'archiveChannel' | 'restoreChannel' | 'sidebar' | 'putSidebar' | 'updateMe' | 'changePassword' | 'executeCommand'
  | 'post' | 'notifyPrefs' | 'setNotifyPrefs' | 'channelNotifyProps' | 'setChannelNotifyProps' | 'setMuted'>;

/** The part of RealtimeClient the engine drives. */
export interface RealtimeLike {
  readonly connectionState: ConnectionState;
  start(): void;
  stop(): void;
  reconnectNow(): void;
  send<K extends 'user_typing' | 'presence'>(action: K, data: ClientActionMap[K]): Promise<ClientReply>;
}

export interface EngineTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export type SignOutReason = 'signed_out' | 'session_ended';

export interface ChatEngineOptions {
  readonly getState: () => ChatState;
  readonly dispatch: (action: Action) => void;
  readonly api: EngineApi;
  /** Builds the WebSocket client that reports to these handlers (not started yet). */
  readonly realtime: (handlers: RealtimeHandlers) => RealtimeLike;
  /** Sign-out or a session the server ended (WebSocket 1008). */
  readonly onSignedOut: (reason: SignOutReason) => void;
  /** A password change replaced the session (every other one ended): keep this token. */
  readonly onSessionRenewed?: (token: string) => void;
  readonly timers?: EngineTimers;
  readonly now?: () => number;
  readonly newClientMsgId?: () => string;
  /** Desktop notifications (lib/desktop-notify.ts); none: the `notification` event shows nothing. */
  readonly desktop?: DesktopNotifier;
  /** Opens a post (its permalink) when its notification is clicked. */
  readonly openPost?: (postId: string, teamId: string | null) => void;
}

/** What the screens may call; every method may be passed around unbound. */
export interface ChatActions {
  openChannel(channelId: string): Promise<void>;
  /** Opens a channel at one of its posts (a permalink): the posts just before and after it instead of the newest. */
  openChannelAround(channelId: string, target: Pick<Post, 'id' | 'seq'>): Promise<void>;
  closeChannel(): void;
  loadOlder(channelId: string): Promise<void>;
  /** The next newer page of a channel opened around a post. */
  loadNewer(channelId: string): Promise<void>;
  /** Back to the newest posts of a channel opened around a post. */
  jumpToLatest(channelId: string): Promise<void>;
  /** Sends a message, with `files` (finished uploads to the same channel) attached. */
  sendPost(channelId: string, message: string, rootId?: string | null, files?: readonly FileInfo[]): Promise<void>;
  retryPost(clientMsgId: string): Promise<void>;
  /**
   * Runs a slash command (`/shrug hi`) in a channel instead of posting it: a post it makes
   * arrives like any other, an ephemeral answer is shown to me only (not stored). `teamId`
   * names the team whose custom commands apply in a direct or group message.
   */
  executeCommand(channelId: string, command: string, teamId?: string): Promise<CommandResult>;
  /** Takes an ephemeral answer off the screen. */
  dismissEphemeral(channelId: string, id: string): void;
  discardPost(clientMsgId: string): void;
  editPost(postId: string, message: string): Promise<void>;
  deletePost(postId: string): Promise<void>;
  /** Takes the link preview off my post. */
  removePreview(postId: string): Promise<void>;
  react(post: Post, emoji: string): Promise<void>;
  setPinned(postId: string, pinned: boolean): Promise<void>;
  loadThread(rootId: string): Promise<void>;
  /** The threads I follow (with unread counts), for the Threads view and its badge. */
  loadFollowedThreads(): Promise<void>;
  /** Marks a thread read (my other devices hear of it). */
  markThreadRead(rootId: string): Promise<void>;
  setThreadFollowing(rootId: string, following: boolean): Promise<void>;
  /** Replies in their threads only (true), or inline in channels too: kept on the server; the open channel and the counts reload. */
  setCollapsedThreads(collapsed: boolean): Promise<void>;
  loadPinned(channelId: string): Promise<Post[]>;
  createTeam(input: { name: string; display_name: string; type: 'open' | 'invite' }): Promise<Team>;
  joinTeam(teamId: string): Promise<void>;
  leaveTeam(teamId: string): Promise<void>;
  addTeamMember(teamId: string, userId: string): Promise<void>;
  createChannel(input: { team_id: string; name: string; display_name: string; purpose: string; channel_type: 'public' | 'private' }): Promise<Channel>;
  joinChannel(channelId: string): Promise<Channel>;
  leaveChannel(channelId: string): Promise<void>;
  addChannelMember(channelId: string, userId: string): Promise<void>;
  updateChannel(channelId: string, patch: { purpose?: string; header?: string; display_name?: string }): Promise<void>;
  openDirect(userId: string): Promise<Channel>;
  loadMembers(channelId: string): Promise<void>;
  ensureUsers(ids: readonly string[]): void;
  setPresence(status: Presence): Promise<void>;
  /** Uploads my new profile picture; everything showing me shows it. */
  setAvatar(image: Blob, name: string): Promise<void>;
  /** Back to initials. */
  removeAvatar(): Promise<void>;
  typing(channelId: string, parentId: string | null): void;
  /** Marks the post's channel unread from that post on (on every device). */
  markUnread(postId: string): Promise<void>;
  archiveChannel(channelId: string): Promise<void>;
  restoreChannel(channelId: string): Promise<void>;
  /** A group message with the given people (2 to 7 others); an existing one for the same people is reused. */
  openGroup(userIds: readonly string[]): Promise<Channel>;
  updateProfile(patch: ProfilePatch): Promise<void>;
  /**
   * Changes my password. The server ends every session (this one too) and answers with a new
   * one: the WebSocket closing meanwhile is expected, and it reconnects with the new token.
   */
  changePassword(currentPassword: string, newPassword: string): Promise<void>;
  loadSidebar(): Promise<void>;
  /** Shown at once, then saved; a refusal brings the server's arrangement back and rethrows. */
  saveSidebar(categories: SidebarCategory[]): Promise<void>;
  refresh(): Promise<void>;
  /** My notification preferences, and my preferences of the channels whose are not known yet (muted ones are drawn dimmed). */
  loadNotifySettings(): Promise<void>;
  setNotifyPrefs(patch: Partial<NotifyPrefs>): Promise<NotifyPrefs>;
  loadChannelNotifyProps(channelId: string): Promise<ChannelNotifyProps>;
  setChannelNotifyProps(channelId: string, patch: Partial<ChannelNotifyProps>): Promise<void>;
  setMuted(channelId: string, muted: boolean): Promise<void>;
  /** Do not disturb until `endAt` (ms; null: until changed). */
  setDoNotDisturb(endAt: number | null): Promise<void>;
  /** Sends the message the @channel dialog asked about, confirmed (same client_msg_id). */
  confirmChannelMention(): Promise<void>;
  /** Not sent: the message stays in the outbox as failed (Retry asks again). */
  cancelChannelMention(): void;
  notify(message: string): void;
  dismissToast(id: number): void;
  signOut(): Promise<void>;
}

/** A `typing` action per channel/thread at most this often. */
export const TYPING_THROTTLE_MS = 3000;
/** A burst of posts in the open channel is marked read once, this long after the last. */
export const MARK_READ_DELAY_MS = 500;
export const TOAST_MS = 8000;
/** How often typing indicators are checked for expiry while any is shown. */
export const TYPING_SWEEP_MS = 1000;
/** Posts loaded on each side of a permalink's post. */
export const AROUND_PAGE = 30;

const globalTimers: EngineTimers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
  clearInterval: (h) => globalThis.clearInterval(h as ReturnType<typeof globalThis.setInterval>),
};

const ignore = () => undefined;

/** Errors a retry cannot fix (validation, permission): the message is dropped with a notice. */
function isPermanent(err: unknown): boolean {
  return err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429 && err.status !== 408;
}

export class ChatEngine implements ChatActions {
  private rt: RealtimeLike | undefined;
  private readonly usersInFlight = new Set<string>();
  private readonly membersInFlight = new Set<string>();
  private readonly typingSent = new Map<string, number>();
  private readonly readTimers = new Map<string, unknown>();
  private readonly toastTimers = new Set<unknown>();
  private typingSweep: unknown;
  /** A password change is under way: the WebSocket's "session ended" waits for its outcome. */
  private renewing: Promise<boolean> | undefined;
  private toastSeq = 0;
  private readonly timers: EngineTimers;
  private readonly now: () => number;
  private readonly newClientMsgId: () => string;

  constructor(private readonly opts: ChatEngineOptions) {
    this.timers = opts.timers ?? globalTimers;
    this.now = opts.now ?? Date.now;
    this.newClientMsgId = opts.newClientMsgId ?? (() => crypto.randomUUID());
    // Screens pass actions around as callbacks (`onClick={actions.closeChannel}`).
    for (const key of Object.getOwnPropertyNames(ChatEngine.prototype)) {
      const value: unknown = Object.getOwnPropertyDescriptor(ChatEngine.prototype, key)?.value;
      if (key !== 'constructor' && typeof value === 'function') Object.defineProperty(this, key, { value: value.bind(this) });
    }
  }

  private get state(): ChatState {
    return this.opts.getState();
  }

  private get api(): EngineApi {
    return this.opts.api;
  }

  /** Every change goes through here, so the typing sweep runs exactly while an indicator is shown. */
  private dispatch(action: Action): void {
    this.opts.dispatch(action);
    const typing = Object.keys(this.state.typing).length > 0;
    if (typing && this.typingSweep === undefined) {
      this.typingSweep = this.timers.setInterval(() => this.dispatch({ type: 'typing_expire', now: this.now() }), TYPING_SWEEP_MS);
    } else if (!typing && this.typingSweep !== undefined) {
      this.timers.clearInterval(this.typingSweep);
      this.typingSweep = undefined;
    }
  }

  // ---- life cycle ----

  /** Initial load, then the WebSocket. */
  start(): void {
    if (this.rt !== undefined) return;
    this.refresh().catch((err: unknown) => this.notify(describeError(err)));
    this.connect();
  }

  /** A WebSocket client, started (it reads the token when it connects). */
  private connect(): void {
    const rt = this.opts.realtime({
      onEvent: (ev) => this.onEvent(ev),
      onHello: (kind) => this.onHello(kind),
      onState: (s) => this.dispatch({ type: 'connection', state: s }),
      onSessionEnded: () => this.onSessionEnded(),
    });
    this.rt = rt;
    rt.start();
    this.loadEmoji();
  }

  /** The full standard emoji set (a separate chunk) and the server's custom emoji. */
  private loadEmoji(): void {
    loadEmoji().catch(ignore);
    void (async () => {
      const all: CustomEmoji[] = [];
      for (let page = 0; page < 50; page++) {
        const batch = await this.api.customEmoji(page, 200);
        all.push(...batch);
        if (batch.length < 200) break;
      }
      setCustomEmoji(all);
    })().catch(ignore);
  }

  private onSessionEnded(): void {
    const renewing = this.renewing;
    if (renewing === undefined) {
      this.opts.onSignedOut('session_ended');
      return;
    }
    void renewing.then((renewed) => {
      if (!renewed) this.opts.onSignedOut('session_ended');
    });
  }

  /** Closes the WebSocket and cancels every timer (sign-out, unmount). */
  stop(): void {
    this.rt?.stop();
    this.rt = undefined;
    for (const timer of this.readTimers.values()) this.timers.clearTimeout(timer);
    this.readTimers.clear();
    for (const timer of this.toastTimers) this.timers.clearTimeout(timer);
    this.toastTimers.clear();
    if (this.typingSweep !== undefined) this.timers.clearInterval(this.typingSweep);
    this.typingSweep = undefined;
  }

  /** The browser is online again: skip the reconnect backoff. */
  online(): void {
    this.rt?.reconnectNow();
  }

  /** The page's visibility decides whether posts in the open channel count as read. */
  setVisible(visible: boolean): void {
    this.dispatch({ type: 'viewing', visible });
    if (!visible) return;
    this.rt?.reconnectNow();
    const channelId = this.state.viewing.channelId;
    if (channelId !== undefined && (this.state.unreads[channelId]?.unread ?? 0) > 0) this.openChannel(channelId).catch(ignore);
  }

  // ---- follow-up after events ----

  /** Applies a server event, then does what it calls for. */
  onEvent(ev: ServerEvent): void {
    this.dispatch({ type: 'rt', event: ev, now: this.now() });
    const s = this.state;
    switch (ev.event) {
      case 'posted': {
        const { post } = ev.data;
        this.ensureUsers([post.user_id]);
        if (s.channels[post.channel_id] === undefined) {
          this.api.channel(post.channel_id).then((c) => this.upsertChannel(c), ignore);
        } else if (s.viewing.channelId === post.channel_id && s.viewing.visible && post.user_id !== s.me.id) {
          this.markReadSoon(post.channel_id);
        }
        break;
      }
      case 'typing':
        this.ensureUsers([ev.data.user_id]);
        break;
      case 'notification':
        this.showDesktop(ev.data).catch(ignore);
        break;
      case 'channel_viewed':
        // Read here or on another device: its notifications have done their job.
        this.opts.desktop?.clear(ev.data.channel_id);
        break;
      case 'custom_emoji_added':
        addCustomEmoji(ev.data.emoji);
        break;
      case 'custom_emoji_deleted':
        removeCustomEmoji(ev.data.emoji.id);
        break;
      case 'thread_updated':
        this.ensureUsers([ev.data.thread.post.user_id, ...ev.data.thread.participants]);
        break;
      case 'thread_follow_changed':
        // A thread I now follow (a reply of mine elsewhere, a mention) that this client has not seen yet.
        if (ev.data.following && s.followed !== undefined && s.followed[ev.data.thread_id] === undefined) {
          this.api.followedThread(ev.data.thread_id).then((thread) => this.dispatch({ type: 'followed_upsert', thread }), ignore);
        }
        break;
      case 'channel_created':
        this.loadConversationMembers([ev.data.channel]);
        break;
      case 'user_added':
        if (ev.data.user_id === s.me.id && s.channels[ev.data.channel_id] === undefined) {
          this.api.channel(ev.data.channel_id).then((channel) => {
            this.upsertChannel(channel);
            if (channel.team_id !== null && !this.state.teams.some((t) => t.id === channel.team_id)) {
              this.api.teams().then((teams) => this.dispatch({ type: 'teams', teams }), ignore);
            }
            this.refreshUnreads().catch(ignore);
          }, ignore);
        } else {
          this.ensureUsers([ev.data.user_id]);
        }
        break;
      default:
        break;
    }
  }

  /** A (re)connection said hello. */
  onHello(kind: 'first' | 'resumed' | 'reset'): void {
    if (kind === 'resumed') return; // the server replayed what was missed
    if (kind === 'first') {
      this.refreshUnreads().catch(ignore);
      return;
    }
    // Events were lost for good: reload what is on screen.
    this.refresh().catch(ignore);
    const viewing = this.state.viewing.channelId;
    if (viewing !== undefined) this.loadLatest(viewing).catch(ignore);
    for (const rootId of Object.keys(this.state.threads)) this.loadThread(rootId).catch(ignore);
    if (this.state.followed !== undefined) this.loadFollowedThreads().catch(ignore);
  }

  // ---- helpers ----

  private async loadPresence(userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    for (const s of await this.api.statuses([...new Set(userIds)].slice(0, 500))) this.dispatch({ type: 'presence', userId: s.user_id, status: s.status });
  }

  private loadConversationMembers(channels: readonly Channel[]): void {
    for (const c of channels) {
      if ((c.type === 'direct' || c.type === 'group') && this.state.members[c.id] === undefined) this.loadMembers(c.id).catch(ignore);
    }
  }

  private async refreshUnreads(): Promise<void> {
    this.dispatch({ type: 'unreads', overview: await this.api.unreads() });
  }

  private markReadNow(channelId: string): void {
    this.timers.clearTimeout(this.readTimers.get(channelId));
    this.readTimers.delete(channelId);
    this.dispatch({ type: 'unread_set', channelId, unread: 0, mentions: 0 });
    this.api.markRead(channelId).catch(ignore); // the next view retries
  }

  private markReadSoon(channelId: string): void {
    this.timers.clearTimeout(this.readTimers.get(channelId));
    this.readTimers.set(channelId, this.timers.setTimeout(() => this.markReadNow(channelId), MARK_READ_DELAY_MS));
  }

  private async loadLatest(channelId: string): Promise<void> {
    const page = await this.api.posts(channelId, { limit: 50 });
    this.dispatch({ type: 'channel_page', channelId, page, mode: 'latest' });
    this.ensureUsers(page.messages.map((p) => p.user_id));
  }

  private upsertChannel(channel: Channel): void {
    this.dispatch({ type: 'channel_upsert', channel });
    this.loadConversationMembers([channel]);
  }

  /** One attempt to deliver an outgoing message; it stays in the outbox (failed) when a retry may help. */
  private async send(item: Outgoing, confirmChannelMention = false): Promise<void> {
    try {
      const post = await this.api.createPost(item.channelId, {
        message: item.message,
        client_msg_id: item.clientMsgId,
        ...(confirmChannelMention ? { confirm_channel_mention: true } : {}),
        ...(item.rootId ? { root_post_id: item.rootId } : {}),
        ...(item.files !== undefined && item.files.length > 0 ? { file_ids: item.files.map((f) => f.id) } : {}),
      });
      this.dispatch({ type: 'post_upsert', post });
      this.dispatch({ type: 'outbox_remove', clientMsgId: item.clientMsgId });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'CHANNEL_MENTION_CONFIRM_REQUIRED') {
        // Kept (failed) until the sender answers the dialog: Confirm sends it again, confirmed.
        const count = err.details.member_count;
        this.dispatch({ type: 'outbox_failed', clientMsgId: item.clientMsgId, error: t('notify.confirmPending') });
        this.dispatch({ type: 'mention_confirm', confirm: { clientMsgId: item.clientMsgId, memberCount: typeof count === 'number' ? count : 0 } });
        return;
      }
      if (isPermanent(err)) {
        this.dispatch({ type: 'outbox_remove', clientMsgId: item.clientMsgId });
        this.notify(t('error.messageNotSent', { reason: describeError(err) }));
        return;
      }
      this.dispatch({ type: 'outbox_failed', clientMsgId: item.clientMsgId, error: describeError(err) });
    }
  }

  // ---- actions ----

  async openChannel(channelId: string): Promise<void> {
    this.dispatch({ type: 'viewing', channelId });
    const channel = this.state.channels[channelId];
    if (channel !== undefined) this.loadConversationMembers([channel]);
    try {
      await this.loadLatest(channelId);
    } finally {
      if (this.state.viewing.channelId === channelId) this.markReadNow(channelId);
    }
  }

  async openChannelAround(channelId: string, target: Pick<Post, 'id' | 'seq'>): Promise<void> {
    this.dispatch({ type: 'viewing', channelId });
    const channel = this.state.channels[channelId];
    if (channel !== undefined) this.loadConversationMembers([channel]);
    try {
      // Cursors are exclusive: before seq+1 ends with the post itself, after seq starts right after it.
      const [older, newer] = await Promise.all([
        this.api.posts(channelId, { before: String(target.seq + 1), limit: AROUND_PAGE }),
        this.api.posts(channelId, { after: String(target.seq), limit: AROUND_PAGE }),
      ]);
      this.dispatch({ type: 'channel_window', channelId, anchor: target.id, older, newer });
      this.ensureUsers([...older.messages, ...newer.messages].map((p) => p.user_id));
    } finally {
      if (this.state.viewing.channelId === channelId) this.markReadNow(channelId);
    }
  }

  closeChannel(): void {
    this.dispatch({ type: 'viewing', channelId: undefined });
  }

  async loadNewer(channelId: string): Promise<void> {
    const cp = this.state.channelPosts[channelId];
    const newest = cp?.order[cp.order.length - 1];
    if (cp === undefined || cp.hasNewer !== true || newest === undefined) return;
    const page = await this.api.posts(channelId, { after: newest, limit: 50 });
    // The channel was reopened meanwhile (at its newest posts, say): this page would leave a gap in it.
    if (this.state.channelPosts[channelId]?.order.at(-1) !== newest) return;
    this.dispatch({ type: 'channel_page', channelId, page, mode: 'newer' });
    this.ensureUsers(page.messages.map((p) => p.user_id));
  }

  async jumpToLatest(channelId: string): Promise<void> {
    await this.loadLatest(channelId);
  }

  async loadOlder(channelId: string): Promise<void> {
    const cp = this.state.channelPosts[channelId];
    const oldest = cp?.order[0];
    if (cp === undefined || !cp.hasMore || oldest === undefined) return;
    const page = await this.api.posts(channelId, { before: oldest, limit: 50 });
    this.dispatch({ type: 'channel_page', channelId, page, mode: 'older' });
    this.ensureUsers(page.messages.map((p) => p.user_id));
  }

  async sendPost(channelId: string, message: string, rootId: string | null = null, files: readonly FileInfo[] = []): Promise<void> {
    const item: Outgoing = { clientMsgId: this.newClientMsgId(), channelId, rootId, message, ...(files.length > 0 ? { files } : {}), status: 'sending' };
    this.dispatch({ type: 'outbox_add', item });
    this.typingSent.delete(`${channelId}:${rootId ?? ''}`);
    // Writing in a channel opened at an old message: back to the present first, where the
    // message will appear (a window that does not reach the present takes no new posts).
    if (rootId === null && this.state.channelPosts[channelId]?.hasNewer === true) await this.loadLatest(channelId).catch(ignore);
    await this.send(item);
  }

  async retryPost(clientMsgId: string): Promise<void> {
    const item = this.state.outbox.find((x) => x.clientMsgId === clientMsgId);
    if (item === undefined) return;
    this.dispatch({ type: 'outbox_sending', clientMsgId });
    // Same client_msg_id: if the first attempt did reach the server, this returns that post.
    await this.send(item);
  }

  async executeCommand(channelId: string, command: string, teamId?: string): Promise<CommandResult> {
    const result = await this.api.executeCommand({ channel_id: channelId, command, ...(teamId !== undefined ? { team_id: teamId } : {}) });
    if (result.post !== null) this.dispatch({ type: 'post_upsert', post: result.post });
    if (result.ephemeral !== null) this.dispatch({ type: 'ephemeral_add', post: result.ephemeral });
    return result;
  }

  dismissEphemeral(channelId: string, id: string): void {
    this.dispatch({ type: 'ephemeral_remove', channelId, id });
  }

  discardPost(clientMsgId: string): void {
    this.dispatch({ type: 'outbox_remove', clientMsgId });
  }

  async editPost(postId: string, message: string): Promise<void> {
    this.dispatch({ type: 'post_upsert', post: await this.api.editPost(postId, message) });
  }

  async deletePost(postId: string): Promise<void> {
    await this.api.deletePost(postId);
    this.dispatch({ type: 'post_removed', postId });
  }

  async removePreview(postId: string): Promise<void> {
    this.dispatch({ type: 'post_upsert', post: await this.api.removePreview(postId) });
  }

  async react(post: Post, emoji: string): Promise<void> {
    const mine = post.reactions.some((r) => r.emoji === emoji && r.users.includes(this.state.me.id));
    const updated = mine ? await this.api.unreact(post.id, emoji) : await this.api.react(post.id, emoji);
    this.dispatch({ type: 'post_upsert', post: updated });
  }

  async setPinned(postId: string, pinned: boolean): Promise<void> {
    this.dispatch({ type: 'post_upsert', post: await this.api.pin(postId, pinned) });
  }

  async loadFollowedThreads(): Promise<void> {
    const [list, prefs] = await Promise.all([this.api.followedThreads({ per_page: 100 }), this.api.threadPreferences()]);
    if (prefs.collapsed_threads !== this.state.collapsedThreads) this.applyCollapsed(prefs.collapsed_threads);
    this.dispatch({ type: 'followed_threads', list });
    this.ensureUsers(list.threads.flatMap((t) => [t.post.user_id, ...t.participants]));
  }

  private applyCollapsed(collapsed: boolean): void {
    this.dispatch({ type: 'collapsed_threads', collapsed });
    const viewing = this.state.viewing.channelId;
    if (viewing !== undefined) this.loadLatest(viewing).catch(ignore);
    this.refreshUnreads().catch(ignore);
  }

  /** The switch flips at once (a controlled checkbox must not wait for the server), back if the server refuses. */
  async setCollapsedThreads(collapsed: boolean): Promise<void> {
    const before = this.state.collapsedThreads;
    this.dispatch({ type: 'collapsed_threads', collapsed });
    let prefs: { collapsed_threads: boolean };
    try {
      prefs = await this.api.setThreadPreferences({ collapsed_threads: collapsed });
    } catch (err) {
      this.dispatch({ type: 'collapsed_threads', collapsed: before });
      throw err;
    }
    this.applyCollapsed(prefs.collapsed_threads);
  }

  async markThreadRead(rootId: string): Promise<void> {
    const thread = await this.api.markThreadRead(rootId);
    this.dispatch({ type: 'followed_upsert', thread });
  }

  async setThreadFollowing(rootId: string, following: boolean): Promise<void> {
    const thread = await this.api.setThreadFollowing(rootId, following);
    this.dispatch({ type: 'followed_upsert', thread });
  }

  async loadThread(rootId: string): Promise<void> {
    const page = await this.api.thread(rootId);
    this.dispatch({ type: 'thread', rootId, page });
    this.ensureUsers(Object.values(page.posts).map((p) => p.user_id));
  }

  async loadPinned(channelId: string): Promise<Post[]> {
    const posts = await this.api.pinned(channelId);
    this.ensureUsers(posts.map((p) => p.user_id));
    return posts;
  }

  async createTeam(input: { name: string; display_name: string; type: 'open' | 'invite' }): Promise<Team> {
    const team = await this.api.createTeam(input);
    this.dispatch({ type: 'team_upsert', team });
    this.dispatch({ type: 'channels', channels: await this.api.myChannels() });
    return team;
  }

  async joinTeam(teamId: string): Promise<void> {
    await this.api.addTeamMember(teamId, this.state.me.id);
    await this.refresh();
  }

  async leaveTeam(teamId: string): Promise<void> {
    await this.api.leaveTeam(teamId, this.state.me.id);
    this.dispatch({ type: 'team_removed', teamId });
  }

  async addTeamMember(teamId: string, userId: string): Promise<void> {
    await this.api.addTeamMember(teamId, userId);
  }

  async createChannel(input: { team_id: string; name: string; display_name: string; purpose: string; channel_type: 'public' | 'private' }): Promise<Channel> {
    const channel = await this.api.createChannel(input);
    this.upsertChannel(channel);
    return channel;
  }

  async joinChannel(channelId: string): Promise<Channel> {
    await this.api.joinChannel(channelId, this.state.me.id);
    const channel = await this.api.channel(channelId);
    this.upsertChannel(channel);
    return channel;
  }

  async leaveChannel(channelId: string): Promise<void> {
    await this.api.leaveChannel(channelId, this.state.me.id);
    this.dispatch({ type: 'channel_removed', channelId });
  }

  async addChannelMember(channelId: string, userId: string): Promise<void> {
    await this.api.joinChannel(channelId, userId);
    if (this.state.members[channelId] !== undefined) await this.loadMembers(channelId);
  }

  async updateChannel(channelId: string, patch: { purpose?: string; header?: string; display_name?: string }): Promise<void> {
    this.upsertChannel(await this.api.updateChannel(channelId, patch));
  }

  async openDirect(userId: string): Promise<Channel> {
    const channel = await this.api.createChannel({ channel_type: 'direct', target_user_id: userId });
    this.dispatch({ type: 'channel_upsert', channel });
    await this.loadMembers(channel.id);
    return channel;
  }

  async loadMembers(channelId: string): Promise<void> {
    if (this.membersInFlight.has(channelId)) return;
    this.membersInFlight.add(channelId);
    try {
      const members = await this.api.channelMembers(channelId);
      const ids = members.map((m) => m.user_id);
      this.dispatch({ type: 'members', channelId, userIds: ids });
      this.ensureUsers(ids);
      this.loadPresence(ids).catch(ignore);
    } finally {
      this.membersInFlight.delete(channelId);
    }
  }

  ensureUsers(ids: readonly string[]): void {
    const s = this.state;
    const missing = [...new Set(ids)].filter((id) => s.users[id] === undefined && !this.usersInFlight.has(id));
    for (const id of missing) {
      this.usersInFlight.add(id);
      this.api.user(id).then(
        (u) => this.dispatch({ type: 'users', users: [u] }),
        ignore, // an unknown author is shown as "Someone"
      ).finally(() => this.usersInFlight.delete(id));
    }
  }

  async setPresence(status: Presence): Promise<void> {
    const rt = this.rt;
    if (rt === undefined) throw new Error(t('error.notConnected'));
    const reply = await rt.send('presence', { status });
    if (reply.status !== 'OK') throw new Error(t('error.statusRefused'));
    this.dispatch({ type: 'presence', userId: this.state.me.id, status });
  }

  async setAvatar(image: Blob, name: string): Promise<void> {
    const user = await this.api.setAvatar(image, name).done;
    this.dispatch({ type: 'me', user });
  }

  async removeAvatar(): Promise<void> {
    await this.api.clearAvatar();
    this.dispatch({ type: 'me', user: { ...this.state.me, avatar_url: null } });
  }

  typing(channelId: string, parentId: string | null): void {
    const key = `${channelId}:${parentId ?? ''}`;
    const now = this.now();
    const last = this.typingSent.get(key);
    if (last !== undefined && now - last < TYPING_THROTTLE_MS) return;
    const rt = this.rt;
    if (rt === undefined || rt.connectionState !== 'open') return;
    this.typingSent.set(key, now);
    rt.send('user_typing', parentId === null ? { channel_id: channelId } : { channel_id: channelId, parent_id: parentId }).catch(ignore);
  }

  async markUnread(postId: string): Promise<void> {
    const r = await this.api.markUnread(postId);
    this.timers.clearTimeout(this.readTimers.get(r.channel_id));
    this.readTimers.delete(r.channel_id);
    this.dispatch({ type: 'unread_set', channelId: r.channel_id, unread: r.unread_count, mentions: r.mention_count });
  }

  async archiveChannel(channelId: string): Promise<void> {
    this.upsertChannel(await this.api.archiveChannel(channelId));
  }

  async restoreChannel(channelId: string): Promise<void> {
    this.upsertChannel(await this.api.restoreChannel(channelId));
  }

  async openGroup(userIds: readonly string[]): Promise<Channel> {
    const channel = await this.api.createChannel({ channel_type: 'group', user_ids: [...userIds] });
    this.dispatch({ type: 'channel_upsert', channel });
    await this.loadMembers(channel.id);
    return channel;
  }

  async updateProfile(patch: ProfilePatch): Promise<void> {
    this.dispatch({ type: 'me', user: await this.api.updateMe(patch) });
  }

  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    let done: (renewed: boolean) => void = ignore;
    this.renewing = new Promise<boolean>((resolve) => {
      done = resolve;
    });
    try {
      const session = await this.api.changePassword(currentPassword, newPassword);
      if (this.opts.onSessionRenewed === undefined) {
        done(false);
        this.opts.onSignedOut('session_ended');
        return;
      }
      this.opts.onSessionRenewed(session.token);
      done(true);
      // The old socket belonged to the ended session: a new one, with the new token.
      this.rt?.stop();
      this.rt = undefined;
      this.connect();
    } catch (err) {
      done(false);
      throw err;
    } finally {
      this.renewing = undefined;
    }
  }

  async loadSidebar(): Promise<void> {
    this.dispatch({ type: 'sidebar', sidebar: await this.api.sidebar() });
  }

  async saveSidebar(categories: SidebarCategory[]): Promise<void> {
    // Stamped like the arrangement it replaces, so that the server's answer (a later stamp) always wins.
    this.dispatch({ type: 'sidebar', sidebar: { categories, updated_at: this.state.sidebar?.updated_at ?? 0 } });
    try {
      this.dispatch({ type: 'sidebar', sidebar: await this.api.putSidebar(categories) });
    } catch (err) {
      this.loadSidebar().catch(ignore);
      throw err;
    }
  }

  async refresh(): Promise<void> {
    const [teams, channels] = await Promise.all([this.api.teams(), this.api.myChannels()]);
    this.dispatch({ type: 'teams', teams });
    this.dispatch({ type: 'channels', channels });
    this.loadConversationMembers(channels);
    await this.refreshUnreads();
  }

  // ---- notifications ----

  /** Shows the `notification` event on the desktop unless this tab is looking at its channel (lib/desktop-notify.ts). */
  private async showDesktop(ev: NotificationEvent): Promise<void> {
    const desktop = this.opts.desktop;
    if (desktop === undefined) return;
    const s = this.state;
    if (!shouldShow(ev, { channelId: s.viewing.channelId, focused: s.viewing.visible && desktop.focused() }, desktop.permission())) return;
    const channel = s.channels[ev.channel_id];
    const direct = channel === undefined || channel.type === 'direct';
    const title = direct ? ev.sender_name
      : t('notify.title', { sender: ev.sender_name, channel: channel.type === 'group' ? channelLabel(s, channel) : `#${channelLabel(s, channel)}` });
    // The event carries no text: the post, as the person may read it anyway.
    const message = await this.api.post(ev.post_id).then((p) => p.message, () => undefined);
    desktop.show(title, notificationBody(message, t('notify.newMessage')), ev.post_id, ev.channel_id, () => this.opts.openPost?.(ev.post_id, ev.team_id));
    if (shouldPlaySound(ev, desktop.soundOn())) desktop.playSound();
  }

  async loadNotifySettings(): Promise<void> {
    if (this.state.notifyPrefs === undefined) this.dispatch({ type: 'notify_prefs', prefs: await this.api.notifyPrefs() });
    const known = this.state.channelProps ?? {};
    const wanted = Object.keys(this.state.channels).filter((id) => known[id] === undefined && !this.propsInFlight.has(id));
    // A few at a time: one request per channel (the server has no list of them).
    const next = async (): Promise<void> => {
      const id = wanted.shift();
      if (id === undefined) return;
      this.propsInFlight.add(id);
      try {
        await this.loadChannelNotifyProps(id).catch(ignore);
      } finally {
        this.propsInFlight.delete(id);
      }
      await next();
    };
    await Promise.all([next(), next(), next(), next()]);
  }

  private readonly propsInFlight = new Set<string>();

  async setNotifyPrefs(patch: Partial<NotifyPrefs>): Promise<NotifyPrefs> {
    const prefs = await this.api.setNotifyPrefs(patch);
    this.dispatch({ type: 'notify_prefs', prefs });
    return prefs;
  }

  async loadChannelNotifyProps(channelId: string): Promise<ChannelNotifyProps> {
    const props = await this.api.channelNotifyProps(channelId);
    this.dispatch({ type: 'channel_props', channelId, props });
    return props;
  }

  async setChannelNotifyProps(channelId: string, patch: Partial<ChannelNotifyProps>): Promise<void> {
    this.dispatch({ type: 'channel_props', channelId, props: await this.api.setChannelNotifyProps(channelId, patch) });
  }

  async setMuted(channelId: string, muted: boolean): Promise<void> {
    this.dispatch({ type: 'channel_props', channelId, props: await this.api.setMuted(channelId, muted) });
  }

  async setDoNotDisturb(endAt: number | null): Promise<void> {
    // The end time first: for a moment the old one could otherwise end the new do-not-disturb.
    await this.setNotifyPrefs({ dnd_end_at: endAt });
    await this.setPresence('dnd');
  }

  async confirmChannelMention(): Promise<void> {
    const pending = this.state.mentionConfirm;
    if (pending === undefined) return;
    this.dispatch({ type: 'mention_confirm', confirm: undefined });
    const item = this.state.outbox.find((x) => x.clientMsgId === pending.clientMsgId);
    if (item === undefined) return;
    this.dispatch({ type: 'outbox_sending', clientMsgId: item.clientMsgId });
    await this.send(item, true);
  }

  cancelChannelMention(): void {
    this.dispatch({ type: 'mention_confirm', confirm: undefined });
  }

  notify(message: string): void {
    const id = ++this.toastSeq;
    this.dispatch({ type: 'toast_add', toast: { id, message } });
    const timer = this.timers.setTimeout(() => {
      this.toastTimers.delete(timer);
      this.dispatch({ type: 'toast_remove', id });
    }, TOAST_MS);
    this.toastTimers.add(timer);
  }

  dismissToast(id: number): void {
    this.dispatch({ type: 'toast_remove', id });
  }

  async signOut(): Promise<void> {
    this.stop();
    try {
      await this.api.logout();
    } catch {
      // the session may already be gone; signing out locally is what matters
    }
    this.opts.onSignedOut('signed_out');
  }
}
