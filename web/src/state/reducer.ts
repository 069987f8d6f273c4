/**
 * The client's state and the one pure function that changes it. REST answers and real-time
 * events go through the same actions, so a post that arrives twice (the POST's answer and
 * the `posted` event) is stored once, and unread counts follow the same rules everywhere.
 * Side effects (fetching an unknown channel, marking read) live in the engine (engine.ts), not here.
 */
import type { ConnectionState, ServerEvent } from '../lib/realtime.js';
import { t } from '../i18n/index.js';
import type { EphemeralPost } from '../lib/integrations.js';
import type { Channel, ChannelNotifyProps, FileInfo, NotifyPrefs, Post, PostPage, Presence, ReactionSummary, SidebarView, Team, ThreadItem, ThreadList, ThreadPage, UnreadOverview, User } from '../lib/types.js';

export interface ChannelPosts {
  /** Post ids, oldest first (by seq). */
  readonly order: readonly string[];
  /** Older posts exist before the first one. */
  readonly hasMore: boolean;
  /**
   * Newer posts exist after the last one: the window was opened around a message (a
   * permalink) and does not reach the present yet. New posts are not added to it then (they
   * would sit after a gap); they are there once the window reaches the present.
   */
  readonly hasNewer?: boolean;
  /** The post the window was opened around (a permalink), until the channel is opened at its newest posts again. */
  readonly anchor?: string;
  /** First post the reader had not seen when the channel was opened (the "New messages" line). */
  readonly firstUnreadSeq: number | null;
}

export interface TypingEntry {
  readonly userId: string;
  readonly parentId: string | null;
  readonly at: number;
}

export interface UnreadCounts {
  readonly unread: number;
  readonly mentions: number;
}

/** A message on its way to the server (shown greyed until the server has it). */
export interface Outgoing {
  readonly clientMsgId: string;
  readonly channelId: string;
  readonly rootId: string | null;
  readonly message: string;
  /** Uploaded files the message attaches (its `file_ids`). */
  readonly files?: readonly FileInfo[];
  readonly status: 'sending' | 'failed';
  readonly error?: string;
}

export interface Toast {
  readonly id: number;
  readonly message: string;
}

export interface ChatState {
  readonly me: User;
  /** Whether my teams have been fetched at least once. */
  readonly loaded: boolean;
  readonly teams: readonly Team[];
  /** Channels I am a member of, direct and group ones included. */
  readonly channels: Readonly<Record<string, Channel>>;
  /** Member ids of direct/group channels (to name them) and of channels whose members were listed. */
  readonly members: Readonly<Record<string, readonly string[]>>;
  readonly unreads: Readonly<Record<string, UnreadCounts>>;
  readonly users: Readonly<Record<string, User>>;
  readonly presence: Readonly<Record<string, Presence>>;
  readonly posts: Readonly<Record<string, Post>>;
  readonly channelPosts: Readonly<Record<string, ChannelPosts>>;
  /** Reply ids of loaded threads, oldest first (the root is not included). */
  readonly threads: Readonly<Record<string, readonly string[]>>;
  /**
   * Threads I follow or have read, by root id, with my unread counts (the Threads view);
   * undefined until first fetched. Kept current by thread_updated / thread_read_changed / thread_follow_changed.
   */
  readonly followed: Readonly<Record<string, ThreadItem>> | undefined;
  /** Replies stay out of channel histories (collapsed threads, the server's default): they show in their thread. */
  readonly collapsedThreads: boolean;
  readonly typing: Readonly<Record<string, readonly TypingEntry[]>>;
  /** The channel on screen and whether the page is visible (a post there is read at once). */
  readonly viewing: { readonly channelId: string | undefined; readonly visible: boolean };
  readonly connection: ConnectionState;
  /** My messages the server has not confirmed yet, oldest first. */
  readonly outbox: readonly Outgoing[];
  /** Notices shown at the corner of the screen (the last four). */
  readonly toasts: readonly Toast[];
  /** My sidebar arrangement (favourites, custom categories); undefined until fetched. */
  readonly sidebar?: SidebarView | undefined;
  /**
   * Answers only I see (slash commands' ephemeral replies), by channel, oldest first: kept in
   * memory only (gone after a reload, as the server stores them nowhere) until dismissed.
   */
  readonly ephemeral?: Readonly<Record<string, readonly EphemeralPost[]>>;
  /** My notification preferences; undefined until fetched. */
  readonly notifyPrefs?: NotifyPrefs | undefined;
  /** My notification preferences per channel, where fetched (a missing one: the defaults, not muted). */
  readonly channelProps?: Readonly<Record<string, ChannelNotifyProps>>;
  /** A message with @channel/@all/@here the server wants confirmed (409 CHANNEL_MENTION_CONFIRM_REQUIRED): the dialog asks. */
  readonly mentionConfirm?: { readonly clientMsgId: string; readonly memberCount: number } | undefined;
}

export type Action =
  | { type: 'teams'; teams: Team[] }
  | { type: 'team_upsert'; team: Team }
  | { type: 'team_removed'; teamId: string }
  | { type: 'channels'; channels: Channel[] }
  | { type: 'channel_upsert'; channel: Channel }
  | { type: 'channel_removed'; channelId: string }
  | { type: 'members'; channelId: string; userIds: string[] }
  | { type: 'unreads'; overview: UnreadOverview }
  | { type: 'unread_set'; channelId: string; unread: number; mentions: number }
  | { type: 'users'; users: User[] }
  | { type: 'me'; user: User }
  | { type: 'presence'; userId: string; status: Presence }
  | { type: 'channel_page'; channelId: string; page: PostPage; mode: 'latest' | 'older' | 'newer' }
  /** The channel opened around one post: the page up to it (`older`, it included) and the page after it (`newer`). */
  | { type: 'channel_window'; channelId: string; anchor: string; older: PostPage; newer: PostPage }
  | { type: 'post_upsert'; post: Post }
  | { type: 'post_removed'; postId: string }
  | { type: 'thread'; rootId: string; page: ThreadPage }
  | { type: 'followed_threads'; list: ThreadList }
  | { type: 'followed_upsert'; thread: ThreadItem }
  | { type: 'collapsed_threads'; collapsed: boolean }
  | { type: 'viewing'; channelId?: string | undefined; visible?: boolean }
  | { type: 'connection'; state: ConnectionState }
  | { type: 'typing_expire'; now: number }
  | { type: 'rt'; event: ServerEvent; now: number }
  | { type: 'outbox_add'; item: Outgoing }
  | { type: 'outbox_failed'; clientMsgId: string; error: string }
  | { type: 'outbox_sending'; clientMsgId: string }
  | { type: 'outbox_remove'; clientMsgId: string }
  | { type: 'toast_add'; toast: Toast }
  | { type: 'toast_remove'; id: number }
  | { type: 'sidebar'; sidebar: SidebarView }
  | { type: 'ephemeral_add'; post: EphemeralPost }
  | { type: 'ephemeral_remove'; channelId: string; id: string }
  | { type: 'notify_prefs'; prefs: NotifyPrefs }
  | { type: 'channel_props'; channelId: string; props: ChannelNotifyProps }
  | { type: 'mention_confirm'; confirm: { clientMsgId: string; memberCount: number } | undefined };

/** Repliers a root lists (as the server keeps them). */
const MAX_PARTICIPANTS = 5;

/** A followed thread's news: the thread entry, and its root's counters where the root is loaded. */
function upsertFollowed(state: ChatState, thread: ThreadItem): ChatState {
  const root = state.posts[thread.id];
  const posts = root === undefined ? state.posts : {
    ...state.posts,
    [thread.id]: { ...root, reply_count: thread.reply_count, last_reply_at: thread.last_reply_at, participants: thread.participants },
  };
  return { ...state, posts, followed: { ...(state.followed ?? {}), [thread.id]: thread } };
}

/** Ephemeral answers kept per channel (the oldest go first). */
export const MAX_EPHEMERAL = 20;

/** How long a typing indicator lasts without a new `typing` event. */
export const TYPING_TTL_MS = 6000;

export function initialState(me: User): ChatState {
  return {
    me, loaded: false, teams: [], channels: {}, members: {}, unreads: {}, users: { [me.id]: me }, presence: { [me.id]: me.presence },
    posts: {}, channelPosts: {}, threads: {}, followed: undefined, collapsedThreads: true, typing: {}, viewing: { channelId: undefined, visible: true }, connection: 'idle',
    outbox: [], toasts: [],
  };
}

function omit<T>(rec: Readonly<Record<string, T>>, key: string): Record<string, T> {
  if (!(key in rec)) return rec;
  const copy = { ...rec };
  delete copy[key];
  return copy;
}

/** Inserts ids into an order sorted by seq, without duplicates. */
function insertOrdered(order: readonly string[], ids: readonly string[], posts: Readonly<Record<string, Post>>): string[] {
  const set = new Set(order);
  const out = [...order];
  for (const id of ids) if (!set.has(id)) {
    set.add(id);
    out.push(id);
  }
  const seqOf = (id: string) => posts[id]?.seq ?? Number.MAX_SAFE_INTEGER;
  return out.sort((a, b) => seqOf(a) - seqOf(b));
}

/** A reaction summary list with one user's reaction added or removed. */
export function applyReaction(reactions: readonly ReactionSummary[], emoji: string, userId: string, add: boolean): ReactionSummary[] {
  const out: ReactionSummary[] = [];
  let found = false;
  for (const r of reactions) {
    if (r.emoji !== emoji) {
      out.push(r);
      continue;
    }
    found = true;
    const has = r.users.includes(userId);
    if (add && !has) out.push({ emoji, count: r.count + 1, users: [...r.users, userId] });
    else if (!add && has) {
      if (r.count > 1) out.push({ emoji, count: r.count - 1, users: r.users.filter((u) => u !== userId) });
    } else out.push(r);
  }
  if (add && !found) out.push({ emoji, count: 1, users: [userId] });
  return out;
}

function upsertPost(state: ChatState, post: Post): ChatState {
  const known = state.posts[post.id];
  // Replies counted by an earlier copy must not be lost to an older copy of the post.
  const posts = { ...state.posts, [post.id]: post };
  let channelPosts = state.channelPosts;
  const cp = channelPosts[post.channel_id];
  // A post older than the loaded window (an old pinned post, say) stays out of it.
  const firstSeq = cp?.order[0] !== undefined ? state.posts[cp.order[0]]?.seq : undefined;
  // Likewise a post newer than a window that does not reach the present.
  const lastSeq = cp !== undefined && cp.order.length > 0 ? state.posts[cp.order[cp.order.length - 1]!]?.seq : undefined;
  const inWindow = cp !== undefined && (!cp.hasMore || firstSeq === undefined || post.seq > firstSeq)
    && (cp.hasNewer !== true || lastSeq === undefined || post.seq < lastSeq);
  const shown = post.root_post_id === null || !state.collapsedThreads;
  if (cp !== undefined && inWindow && shown && !cp.order.includes(post.id)) {
    channelPosts = { ...channelPosts, [post.channel_id]: { ...cp, order: insertOrdered(cp.order, [post.id], posts) } };
  }
  let threads = state.threads;
  if (post.root_post_id !== null) {
    const replies = threads[post.root_post_id];
    if (replies !== undefined && !replies.includes(post.id)) threads = { ...threads, [post.root_post_id]: insertOrdered(replies, [post.id], posts) };
    const root = posts[post.root_post_id];
    if (known === undefined && root !== undefined && (replies === undefined || !replies.includes(post.id))) {
      posts[post.root_post_id] = {
        ...root, reply_count: root.reply_count + 1, last_reply_at: post.created_at,
        participants: [post.user_id, ...root.participants.filter((id) => id !== post.user_id)].slice(0, MAX_PARTICIPANTS),
      };
    }
  }
  return { ...state, posts, channelPosts, threads };
}

function removePost(state: ChatState, postId: string): ChatState {
  const post = state.posts[postId];
  if (post === undefined) return state;
  let posts = omit(state.posts, postId);
  const channelPosts = { ...state.channelPosts };
  const cp = channelPosts[post.channel_id];
  let threads = state.threads;
  if (post.root_post_id === null) {
    // Deleting a root removes its replies too (as the server does).
    const replies = threads[postId] ?? Object.values(posts).filter((p) => p.root_post_id === postId).map((p) => p.id);
    for (const id of replies) posts = omit(posts, id);
    threads = omit(threads, postId);
    if (cp !== undefined) channelPosts[post.channel_id] = { ...cp, order: cp.order.filter((id) => id !== postId && !replies.includes(id)) };
  } else {
    if (cp !== undefined) channelPosts[post.channel_id] = { ...cp, order: cp.order.filter((id) => id !== postId) };
    const replies = threads[post.root_post_id];
    if (replies !== undefined) threads = { ...threads, [post.root_post_id]: replies.filter((id) => id !== postId) };
    const root = posts[post.root_post_id];
    if (root !== undefined) posts = { ...posts, [root.id]: { ...root, reply_count: Math.max(0, root.reply_count - 1) } };
  }
  return { ...state, posts, channelPosts, threads };
}

function withoutOutgoing(state: ChatState, clientMsgId: string): ChatState {
  return state.outbox.some((o) => o.clientMsgId === clientMsgId) ? { ...state, outbox: state.outbox.filter((o) => o.clientMsgId !== clientMsgId) } : state;
}

function updateOutgoing(state: ChatState, clientMsgId: string, patch: Pick<Outgoing, 'status'> & { error?: string }): ChatState {
  if (!state.outbox.some((o) => o.clientMsgId === clientMsgId)) return state;
  return { ...state, outbox: state.outbox.map((o) => (o.clientMsgId === clientMsgId ? { ...o, ...patch } : o)) };
}

function isViewing(state: ChatState, channelId: string): boolean {
  return state.viewing.channelId === channelId && state.viewing.visible;
}

function onEvent(state: ChatState, ev: ServerEvent, now: number): ChatState {
  switch (ev.event) {
    case 'posted': {
      const { post } = ev.data;
      const fresh = state.posts[post.id] === undefined;
      let next = upsertPost(state, post);
      // My message arrived before (or instead of) the POST's answer: it is sent.
      if (post.user_id === state.me.id && post.client_msg_id !== null) next = withoutOutgoing(next, post.client_msg_id);
      // The author has stopped typing.
      const typing = next.typing[post.channel_id];
      if (typing !== undefined) next = { ...next, typing: { ...next.typing, [post.channel_id]: typing.filter((t) => t.userId !== post.user_id) } };
      // With collapsed threads a reply counts in its thread (thread_updated), not in the channel.
      const countsInChannel = post.root_post_id === null || !state.collapsedThreads;
      if (fresh && countsInChannel && post.user_id !== state.me.id && !isViewing(state, post.channel_id)) {
        const prev = next.unreads[post.channel_id] ?? { unread: 0, mentions: 0 };
        const channel = next.channels[post.channel_id];
        const mentioned = ev.data.mentions.includes(state.me.id) || channel?.type === 'direct' || ev.data.channel_type === 'direct';
        next = { ...next, unreads: { ...next.unreads, [post.channel_id]: { unread: prev.unread + 1, mentions: prev.mentions + (mentioned ? 1 : 0) } } };
      }
      const channel = next.channels[post.channel_id];
      if (channel !== undefined && post.seq > channel.last_post_seq) {
        next = { ...next, channels: { ...next.channels, [channel.id]: { ...channel, last_post_seq: post.seq, last_post_at: post.created_at } } };
      }
      return next;
    }
    case 'post_edited':
      return state.posts[ev.data.post.id] === undefined && state.channelPosts[ev.data.post.channel_id] === undefined ? state : upsertPost(state, ev.data.post);
    case 'post_deleted': {
      const next = removePost(state, ev.data.post.id);
      // A deleted root takes its thread with it (from the Threads view too).
      return next.followed?.[ev.data.post.id] === undefined ? next : { ...next, followed: omit(next.followed, ev.data.post.id) };
    }
    case 'file_deleted': {
      const { file_id, post_id } = ev.data;
      const post = post_id !== null ? state.posts[post_id] : undefined;
      if (post === undefined || (!post.files.some((f) => f.id === file_id) && !post.file_ids.includes(file_id))) return state;
      const updated: Post = { ...post, files: post.files.filter((f) => f.id !== file_id), file_ids: post.file_ids.filter((id) => id !== file_id) };
      return { ...state, posts: { ...state.posts, [post.id]: updated } };
    }
    case 'reaction_added':
    case 'reaction_removed': {
      const { post_id, user_id, emoji_name } = ev.data.reaction;
      const post = state.posts[post_id];
      if (post === undefined) return state;
      const reactions = applyReaction(post.reactions, emoji_name, user_id, ev.event === 'reaction_added');
      return { ...state, posts: { ...state.posts, [post_id]: { ...post, reactions } } };
    }
    case 'typing': {
      const { user_id, channel_id, parent_id } = ev.data;
      if (user_id === state.me.id) return state;
      const list = (state.typing[channel_id] ?? []).filter((t) => t.userId !== user_id);
      return { ...state, typing: { ...state.typing, [channel_id]: [...list, { userId: user_id, parentId: parent_id ?? null, at: now }] } };
    }
    case 'stop_typing': {
      const list = state.typing[ev.data.channel_id];
      if (list === undefined) return state;
      return { ...state, typing: { ...state.typing, [ev.data.channel_id]: list.filter((t) => t.userId !== ev.data.user_id) } };
    }
    case 'status_change': {
      const { user_id, status } = ev.data;
      const user = state.users[user_id];
      return { ...state, presence: { ...state.presence, [user_id]: status }, users: user === undefined ? state.users : { ...state.users, [user_id]: { ...user, presence: status } } };
    }
    case 'channel_created':
    case 'channel_updated':
      return reduce(state, { type: 'channel_upsert', channel: ev.data.channel });
    case 'channel_deleted': {
      const channel = state.channels[ev.data.channel_id];
      if (channel === undefined) return state;
      return { ...state, channels: { ...state.channels, [channel.id]: { ...channel, is_archived: true } } };
    }
    case 'user_added': {
      const members = state.members[ev.data.channel_id];
      if (members === undefined || members.includes(ev.data.user_id)) return state;
      return { ...state, members: { ...state.members, [ev.data.channel_id]: [...members, ev.data.user_id] } };
    }
    case 'user_removed': {
      if (ev.data.user_id === state.me.id) return reduce(state, { type: 'channel_removed', channelId: ev.data.channel_id });
      const members = state.members[ev.data.channel_id];
      if (members === undefined) return state;
      return { ...state, members: { ...state.members, [ev.data.channel_id]: members.filter((id) => id !== ev.data.user_id) } };
    }
    case 'channel_viewed':
      return { ...state, unreads: { ...state.unreads, [ev.data.channel_id]: { unread: 0, mentions: 0 } } };
    case 'post_unread':
      return { ...state, unreads: { ...state.unreads, [ev.data.channel_id]: { unread: ev.data.unread_count, mentions: ev.data.mention_count } } };
    case 'thread_updated':
      return upsertFollowed(state, ev.data.thread);
    case 'thread_read_changed': {
      const known = state.followed?.[ev.data.thread_id];
      if (known === undefined) return state;
      const { last_viewed_at, unread_replies, unread_mentions } = ev.data;
      return { ...state, followed: { ...state.followed, [known.id]: { ...known, last_viewed_at, unread_replies, unread_mentions } } };
    }
    case 'thread_follow_changed': {
      const known = state.followed?.[ev.data.thread_id];
      if (known === undefined || known.following === ev.data.following) return state;
      return { ...state, followed: { ...state.followed, [known.id]: { ...known, following: ev.data.following } } };
    }
    case 'user_updated': {
      const known = state.users[ev.data.user.id];
      // The event never carries an e-mail address: keep the one I know (my own).
      const user: User = { ...ev.data.user, presence: state.presence[ev.data.user.id] ?? ev.data.user.presence, ...(known?.email !== undefined ? { email: known.email } : {}) };
      return { ...state, users: { ...state.users, [user.id]: user }, ...(user.id === state.me.id ? { me: { ...state.me, ...user } } : {}) };
    }
    case 'sidebar_updated':
      return reduce(state, { type: 'sidebar', sidebar: ev.data });
    case 'ephemeral_message':
      // Sent to my own connections only; checked again, so that nobody else's answer is ever shown here.
      return ev.data.post.user_id === state.me.id ? reduce(state, { type: 'ephemeral_add', post: ev.data.post }) : state;
    case 'channel_notify_props_changed':
      return reduce(state, { type: 'channel_props', channelId: ev.data.channel_id, props: ev.data.props });
    default:
      return state;
  }
}

export function reduce(state: ChatState, action: Action): ChatState {
  switch (action.type) {
    case 'teams':
      return { ...state, loaded: true, teams: action.teams.filter((t) => !t.is_archived) };
    case 'team_upsert':
      return { ...state, teams: [...state.teams.filter((t) => t.id !== action.team.id), action.team].filter((t) => !t.is_archived) };
    case 'team_removed': {
      const channels = Object.fromEntries(Object.entries(state.channels).filter(([, c]) => c.team_id !== action.teamId));
      return { ...state, teams: state.teams.filter((t) => t.id !== action.teamId), channels };
    }
    case 'channels':
      return { ...state, channels: Object.fromEntries(action.channels.map((c) => [c.id, c])) };
    case 'channel_upsert':
      return { ...state, channels: { ...state.channels, [action.channel.id]: action.channel } };
    case 'channel_removed':
      return {
        ...state,
        channels: omit(state.channels, action.channelId),
        unreads: omit(state.unreads, action.channelId),
        channelPosts: omit(state.channelPosts, action.channelId),
      };
    case 'members':
      return { ...state, members: { ...state.members, [action.channelId]: action.userIds } };
    case 'unreads':
      return {
        ...state,
        unreads: Object.fromEntries(action.overview.channels.map((u) => [
          u.channel_id,
          isViewing(state, u.channel_id) ? { unread: 0, mentions: 0 } : { unread: u.unread_count, mentions: u.mention_count },
        ])),
      };
    case 'unread_set':
      return { ...state, unreads: { ...state.unreads, [action.channelId]: { unread: action.unread, mentions: action.mentions } } };
    case 'users': {
      const users = { ...state.users };
      const presence = { ...state.presence };
      for (const u of action.users) {
        users[u.id] = u;
        presence[u.id] ??= u.presence;
      }
      return { ...state, users, presence };
    }
    case 'me':
      return { ...state, me: action.user, users: { ...state.users, [action.user.id]: action.user } };
    case 'presence':
      return { ...state, presence: { ...state.presence, [action.userId]: action.status } };
    case 'channel_page': {
      const posts = { ...state.posts };
      for (const p of action.page.messages) posts[p.id] = p;
      const ids = action.page.messages.map((p) => p.id);
      const prev = state.channelPosts[action.channelId];
      let cp: ChannelPosts;
      if (action.mode === 'latest' || prev === undefined) {
        cp = { order: insertOrdered([], ids, posts), hasMore: action.page.has_more, firstUnreadSeq: action.page.read_state?.first_unread_seq ?? null };
      } else if (action.mode === 'older') {
        cp = { ...prev, order: insertOrdered(prev.order, ids, posts), hasMore: action.page.has_more };
      } else {
        cp = { ...prev, order: insertOrdered(prev.order, ids, posts), hasNewer: action.page.has_more };
      }
      return { ...state, posts, channelPosts: { ...state.channelPosts, [action.channelId]: cp } };
    }
    case 'channel_window': {
      const posts = { ...state.posts };
      const messages = [...action.older.messages, ...action.newer.messages];
      for (const p of messages) posts[p.id] = p;
      const cp: ChannelPosts = {
        order: insertOrdered([], messages.map((p) => p.id), posts),
        hasMore: action.older.has_more,
        hasNewer: action.newer.has_more,
        anchor: action.anchor,
        firstUnreadSeq: action.older.read_state?.first_unread_seq ?? null,
      };
      return { ...state, posts, channelPosts: { ...state.channelPosts, [action.channelId]: cp } };
    }
    case 'post_upsert':
      return upsertPost(state, action.post);
    case 'post_removed':
      return removePost(state, action.postId);
    case 'thread': {
      const posts = { ...state.posts };
      for (const p of Object.values(action.page.posts)) posts[p.id] = p;
      const replies = action.page.order.filter((id) => id !== action.rootId);
      return { ...state, posts, threads: { ...state.threads, [action.rootId]: insertOrdered([], replies, posts) } };
    }
    case 'followed_threads': {
      // The list holds the followed threads; keep what else is known (read state of unfollowed ones).
      let next: ChatState = { ...state, followed: { ...(state.followed ?? {}) } };
      for (const t of action.list.threads) next = upsertFollowed(next, t);
      return next;
    }
    case 'followed_upsert':
      return upsertFollowed(state, action.thread);
    case 'collapsed_threads':
      return state.collapsedThreads === action.collapsed ? state : { ...state, collapsedThreads: action.collapsed };
    case 'viewing': {
      const viewing = {
        channelId: 'channelId' in action ? action.channelId : state.viewing.channelId,
        visible: action.visible ?? state.viewing.visible,
      };
      return { ...state, viewing };
    }
    case 'connection':
      return state.connection === action.state ? state : { ...state, connection: action.state };
    case 'typing_expire': {
      let changed = false;
      const typing: Record<string, TypingEntry[]> = {};
      for (const [channelId, list] of Object.entries(state.typing)) {
        const kept = list.filter((t) => action.now - t.at < TYPING_TTL_MS);
        if (kept.length !== list.length) changed = true;
        if (kept.length > 0) typing[channelId] = kept;
      }
      return changed ? { ...state, typing } : state;
    }
    case 'rt':
      return onEvent(state, action.event, action.now);
    case 'outbox_add':
      return { ...state, outbox: [...state.outbox, action.item] };
    case 'outbox_failed':
      return updateOutgoing(state, action.clientMsgId, { status: 'failed', error: action.error });
    case 'outbox_sending': {
      const item = state.outbox.find((o) => o.clientMsgId === action.clientMsgId);
      if (item === undefined) return state;
      const { error: _error, ...rest } = item;
      return { ...state, outbox: state.outbox.map((o) => (o === item ? { ...rest, status: 'sending' } : o)) };
    }
    case 'outbox_remove':
      return withoutOutgoing(state, action.clientMsgId);
    case 'toast_add':
      return { ...state, toasts: [...state.toasts.slice(-3), action.toast] };
    case 'sidebar':
      // An older answer (a slow PUT overtaken by the event of a later one) does not win.
      if (state.sidebar !== undefined && action.sidebar.updated_at < state.sidebar.updated_at) return state;
      return { ...state, sidebar: action.sidebar };
    case 'ephemeral_add': {
      const { post } = action;
      const list = state.ephemeral?.[post.channel_id] ?? [];
      // The execute answer and the event carry the same answer: shown once.
      if (list.some((p) => p.id === post.id)) return state;
      return { ...state, ephemeral: { ...state.ephemeral, [post.channel_id]: [...list, post].slice(-MAX_EPHEMERAL) } };
    }
    case 'ephemeral_remove': {
      const list = state.ephemeral?.[action.channelId];
      if (list === undefined || !list.some((p) => p.id === action.id)) return state;
      return { ...state, ephemeral: { ...state.ephemeral, [action.channelId]: list.filter((p) => p.id !== action.id) } };
    }
    case 'notify_prefs':
      return { ...state, notifyPrefs: action.prefs };
    case 'channel_props':
      return { ...state, channelProps: { ...(state.channelProps ?? {}), [action.channelId]: action.props } };
    case 'mention_confirm':
      return { ...state, mentionConfirm: action.confirm };
    case 'toast_remove':
      return state.toasts.some((t) => t.id === action.id) ? { ...state, toasts: state.toasts.filter((t) => t.id !== action.id) } : state;
  }
}

// ---- selectors ----

/** The name a person sees for a channel (the other person's name for a direct message). */
export function channelLabel(state: Pick<ChatState, 'me' | 'members' | 'users'>, channel: Channel): string {
  if (channel.type !== 'direct' && channel.type !== 'group') return channel.display_name || channel.name;
  const others = (state.members[channel.id] ?? []).filter((id) => id !== state.me.id);
  if (others.length === 0) return state.members[channel.id] === undefined ? t('names.directMessage') : t('names.you', { name: userLabel(state.me) });
  return others.map((id) => (state.users[id] ? userLabel(state.users[id]) : t('names.someone'))).join(t('common.listSeparator'));
}

export function userLabel(user: User): string {
  return user.display_name.trim() !== '' ? user.display_name : user.username;
}

/** The other person of a direct channel. */
export function directPartner(state: Pick<ChatState, 'me' | 'members'>, channel: Channel): string | undefined {
  if (channel.type !== 'direct') return undefined;
  return (state.members[channel.id] ?? []).find((id) => id !== state.me.id);
}

/** Who is typing in a channel (or in one thread when parentId is given), freshest last. */
export function typingIn(state: ChatState, channelId: string, parentId: string | null, now: number): string[] {
  return (state.typing[channelId] ?? []).filter((t) => now - t.at < TYPING_TTL_MS && (t.parentId ?? null) === parentId).map((t) => t.userId);
}

/** I muted the channel (no notifications; its unread messages do not count, its mentions still do). */
export function isMuted(state: Pick<ChatState, 'channelProps'>, channelId: string): boolean {
  return state.channelProps?.[channelId]?.mark_unread === 'mention';
}

/**
 * Unread and mention totals of a team's channels (direct messages count toward every team).
 * A muted channel's unread messages are left out; its mentions count.
 */
export function teamUnreads(state: ChatState, teamId: string): UnreadCounts {
  let unread = 0;
  let mentions = 0;
  for (const [channelId, u] of Object.entries(state.unreads)) {
    const c = state.channels[channelId];
    if (c === undefined || c.team_id !== teamId) continue;
    if (!isMuted(state, channelId)) unread += u.unread;
    mentions += u.mentions;
  }
  return { unread, mentions };
}

/** The count in the tab's title: my unread mentions everywhere (muted channels included: a mention is for me). */
export function titleCount(state: Pick<ChatState, 'unreads'>): number {
  return Object.values(state.unreads).reduce((n, u) => n + u.mentions, 0);
}

/** The threads I follow, newest activity first (direct and group messages count toward every team, as on the server). */
export function followedThreads(state: ChatState, teamId: string): ThreadItem[] {
  return Object.values(state.followed ?? {})
    .filter((t) => {
      const c = state.channels[t.channel_id];
      return t.following && (c === undefined || c.team_id === null || c.team_id === teamId);
    })
    .sort((a, b) => (b.last_reply_at ?? b.post.created_at) - (a.last_reply_at ?? a.post.created_at) || b.post.seq - a.post.seq);
}

/** Followed threads with unread replies, and their unread mentions, in a team. */
export function threadUnreads(state: ChatState, teamId: string): UnreadCounts {
  let unread = 0;
  let mentions = 0;
  for (const t of followedThreads(state, teamId)) {
    if (t.unread_replies > 0) unread++;
    mentions += t.unread_mentions;
  }
  return { unread, mentions };
}
