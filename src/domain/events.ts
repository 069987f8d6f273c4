/**
 * The real-time event map: one type per event name, used by the services that publish, the
 * gateway that delivers and the web client that consumes. `Broadcast` says who may receive an
 * event; the gateway resolves it against current memberships at delivery time.
 */
import type { ChannelView, CustomEmojiView, PostView, Presence, ReactionView, ThreadView, UserView } from './presenters.js';
import type { SidebarView } from './sidebar.js';
import type { ChannelNotifyProps } from './notify-rules.js';

export interface EventMap {
  posted: {
    post: PostView;
    channel_type: string;
    channel_name: string;
    channel_display_name: string;
    team_id: string | null;
    sender_name: string;
    /** Ids of users mentioned by name (plus everyone for @channel/@all). */
    mentions: string[];
  };
  post_edited: { post: PostView };
  post_deleted: { post: PostView };
  /** A file left its channel (deleted on its own; a deleted post's files go with its `post_deleted`). */
  file_deleted: { file_id: string; post_id: string | null; channel_id: string };
  reaction_added: { reaction: ReactionView };
  reaction_removed: { reaction: ReactionView };
  typing: { user_id: string; channel_id: string; parent_id: string | null };
  stop_typing: { user_id: string; channel_id: string; parent_id: string | null };
  status_change: { user_id: string; status: Presence };
  channel_created: { channel: ChannelView };
  channel_updated: { channel: ChannelView };
  channel_deleted: { channel_id: string; team_id: string | null; archived_at: number };
  user_added: { user_id: string; channel_id: string; team_id: string | null; added_by: string };
  user_removed: { user_id: string; channel_id: string; removed_by: string };
  channel_viewed: { channel_id: string; last_viewed_seq: number };
  post_unread: { channel_id: string; post_id: string; last_viewed_seq: number; unread_count: number; mention_count: number };
  /** Server-wide (broadcast `all`): a custom emoji was added or deleted. */
  custom_emoji_added: { emoji: CustomEmojiView };
  custom_emoji_deleted: { emoji: CustomEmojiView };
  /** To each follower of a thread who may read its channel (user-addressed): a reply came or went, with that follower's counts. */
  thread_updated: { thread: ThreadView };
  /** To the user's own connections: they follow or stopped following a thread (by hand, or by replying or being mentioned). */
  thread_follow_changed: { thread_id: string; channel_id: string; following: boolean };
  /** To the user's own connections (every device): their read position in a thread moved. */
  thread_read_changed: { thread_id: string; channel_id: string; last_viewed_at: number; unread_replies: number; unread_mentions: number };
  /** A profile changed or a custom status expired (to the user and their channels' members; e-mail never included). */
  user_updated: { user: UserView };
  /** The user's sidebar arrangement changed (to that user's own connections). */
  sidebar_updated: SidebarView;
  /** A slash command's private answer: to the caller's own connections only (broadcast `user_id`), never stored. */
  ephemeral_message: { channel_id: string; post: EphemeralPostView };
  /**
   * To one person's own connections, after a post committed: the notification rules
   * (domain/notify-rules.ts) say their desktop should notify them of it. The client still
   * decides whether to show it (not for the channel in a focused tab).
   */
  notification: { post_id: string; channel_id: string; root_id: string | null; team_id: string | null; reason: string; sender_name: string; sound: boolean };
  /** To the user's own connections (every device): their notification preferences for a channel changed (muted, unmuted, levels). */
  channel_notify_props_changed: { channel_id: string; props: ChannelNotifyProps };
}

/** A message only its recipient sees, kept nowhere: the client shows it in the channel, marked as visible only to them. */
export interface EphemeralPostView {
  id: string;
  channel_id: string;
  /** The user it is for (who ran the command). */
  user_id: string;
  message: string;
  props: Record<string, unknown>;
  created_at: number;
  type: 'ephemeral';
}

export type EventName = keyof EventMap;
export const EVENT_NAMES: readonly EventName[] = [
  'posted', 'post_edited', 'post_deleted', 'file_deleted', 'reaction_added', 'reaction_removed', 'typing', 'stop_typing', 'status_change',
  'channel_created', 'channel_updated', 'channel_deleted', 'user_added', 'user_removed', 'channel_viewed', 'post_unread',
  'custom_emoji_added', 'custom_emoji_deleted',
  'thread_updated', 'thread_follow_changed', 'thread_read_changed',
  'user_updated', 'sidebar_updated',
  'ephemeral_message', 'notification', 'channel_notify_props_changed',
];

/**
 * Audience of an event: channel_id (its current members), team_id (the team's members),
 * team_ids (members of any of those teams, each reached once), channel_ids (co-members in any
 * of those channels, each reached once, skipping channels with more people online than the
 * presence fan-out limit), user_id (that user's connections) and all (every signed-in
 * connection: server-wide news such as custom emoji) select recipients, as a union (services set one; status_change sets channel_ids plus the user themself);
 * omit_user_id excludes one user.
 */
export interface Broadcast {
  channel_id?: string;
  team_id?: string;
  team_ids?: readonly string[];
  channel_ids?: readonly string[];
  user_id?: string;
  /** Everyone connected. */
  all?: true;
  omit_user_id?: string;
}

/**
 * Where an event stands in its channel's commit order: the channel's `event_seq` numbers its
 * write took, `from`..`to` (one number per post or edit; a write that took several stamps all
 * its events to that channel with the whole range). Set by the store's outbox after the
 * commit, read by realtime/bus/ordered.ts; it travels over the bus but never reaches a client
 * (the hub encodes only event, data and broadcast).
 */
export interface EventOrder {
  readonly channel_id: string;
  readonly from: number;
  readonly to: number;
}

/**
 * One event as published: a union discriminated by `event`, so `switch (ev.event)` narrows
 * `data` without casts. `RealtimeEvent<'posted'>` is the one member. `order` is internal
 * (see EventOrder); events without it are delivered as they come.
 */
export type RealtimeEvent<K extends EventName = EventName> = {
  readonly [P in K]: { readonly event: P; readonly data: EventMap[P]; readonly broadcast: Broadcast; readonly order?: EventOrder };
}[K];

/** Control messages between nodes: not delivered to clients, they change what nodes deliver. */
export type ControlMessage =
  | { readonly kind: 'session_revoked'; readonly sessionIds: readonly string[]; readonly userId: string }
  | { readonly kind: 'user_deactivated'; readonly userId: string }
  | { readonly kind: 'team_member_removed'; readonly teamId: string; readonly userId: string }
  | { readonly kind: 'team_member_added'; readonly teamId: string; readonly userId: string }
  /** A team's outgoing webhooks changed: every node forgets its copy of the team's list (services/webhooks.ts). */
  | { readonly kind: 'outgoing_webhooks_changed'; readonly teamId: string };

/**
 * Where real-time events go. The bus implements it; so does a store transaction (`Tx` in
 * store/store.ts), as a queue handed to the bus after its commit: services only ever publish there.
 */
export interface EventPublisher {
  /** An event for clients, routed by its `broadcast`. */
  publish(event: RealtimeEvent): void;
  /** A message that changes what nodes deliver (not sent to clients). */
  control(message: ControlMessage): void;
}

export const NO_EVENTS: EventPublisher = { publish: () => undefined, control: () => undefined };

// ---- The WebSocket wire protocol (GET /api/v1/ws), shared by the gateway and the web client ----

export const WS_PATH = '/api/v1/ws';
/** Browsers offer `[WS_SUBPROTOCOL, token]`; the server selects WS_SUBPROTOCOL and never echoes the token. */
export const WS_SUBPROTOCOL = 'rustchat.v1';

/** Close codes the server uses. */
export const WS_CLOSE = {
  /** Server shutting down: reconnect (to any node) and resume. */
  GOING_AWAY: 1001,
  /** The session ended (logout, revoke, deactivation) or the token expired: sign in again. */
  SESSION_ENDED: 1008,
  /** A client frame was larger than RUSTCHAT_WS_MAX_FRAME_BYTES. */
  TOO_LARGE: 1009,
  /** The server could not set the connection up (e.g. the database did not answer): reconnect later. */
  INTERNAL_ERROR: 1011,
} as const;

/** First event of every connection (seq 0), and again (seq 0, new connection_id) when the client must refetch. */
export interface HelloData {
  connection_id: string;
  server_version: string;
}

export interface ServerEventMap extends EventMap {
  hello: HelloData;
}
export type ServerEventName = keyof ServerEventMap;

/** `broadcast` as sent to clients: the selector that matched, '' where unused. */
export interface EnvelopeBroadcast {
  channel_id: string;
  team_id: string;
  user_id: string;
}

/** One server → client event frame. `seq` is per connection: 0 for hello, then +1 per event. */
export interface Envelope<K extends ServerEventName = ServerEventName> {
  event: K;
  seq: number;
  data: ServerEventMap[K];
  broadcast: EnvelopeBroadcast;
}
/** Any event frame, discriminated by `event`. */
export type AnyEnvelope = { [K in ServerEventName]: Envelope<K> }[ServerEventName];

/** Client → server actions: `{"action": name, "seq": n, "data": ...}`. */
export interface ClientActionMap {
  ping: Record<string, never> | undefined;
  user_typing: { channel_id: string; parent_id?: string | null };
  presence: { status: Presence };
}
export type ClientActionName = keyof ClientActionMap;
export const CLIENT_ACTIONS: readonly ClientActionName[] = ['ping', 'user_typing', 'presence'];

export interface ActionFrame<K extends ClientActionName = ClientActionName> {
  action: K;
  seq: number;
  data?: ClientActionMap[K];
}

/** `data` of an OK reply, per action. */
export interface ActionReplyData {
  ping: { text: 'pong'; version: string; server_time: number };
  user_typing: Record<string, never>;
  presence: { status: Presence };
}

/** The answer to one action; `seq_reply` is the action's `seq` (0 when the frame had none). */
export type ActionReply =
  | { status: 'OK'; seq_reply: number; data?: ActionReplyData[ClientActionName] }
  | { status: 'FAIL'; seq_reply: number; error: { code: string; message: string } };
