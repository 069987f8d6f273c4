/**
 * The real-time event map: one type per event name, used by the services that publish, the
 * gateway that delivers and the web client that consumes. `Broadcast` says who may receive an
 * event; the gateway resolves it against current memberships at delivery time.
 */
import type { ChannelView, PostView, Presence, ReactionView } from './presenters.js';

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
}

export type EventName = keyof EventMap;
export const EVENT_NAMES: readonly EventName[] = [
  'posted', 'post_edited', 'post_deleted', 'reaction_added', 'reaction_removed', 'typing', 'stop_typing', 'status_change',
  'channel_created', 'channel_updated', 'channel_deleted', 'user_added', 'user_removed', 'channel_viewed', 'post_unread',
];

/**
 * Audience of an event. Exactly one of channel_id (its current members), user_id (that user's
 * connections) or team_id (the team's members) selects recipients; omit_user_id excludes one.
 */
export interface Broadcast {
  channel_id?: string;
  team_id?: string;
  user_id?: string;
  omit_user_id?: string;
}

export interface RealtimeEvent<K extends EventName = EventName> {
  readonly event: K;
  readonly data: EventMap[K];
  readonly broadcast: Broadcast;
}

/** Control messages between nodes: not delivered to clients, they change what nodes deliver. */
export type ControlMessage =
  | { readonly kind: 'session_revoked'; readonly sessionIds: readonly string[]; readonly userId: string }
  | { readonly kind: 'user_deactivated'; readonly userId: string }
  | { readonly kind: 'team_member_removed'; readonly teamId: string; readonly userId: string }
  | { readonly kind: 'team_member_added'; readonly teamId: string; readonly userId: string };

/** What services publish to, after their transaction has committed. */
export interface EventPublisher {
  publish<K extends EventName>(event: RealtimeEvent<K>): void;
  control(message: ControlMessage): void;
}

export const NO_EVENTS: EventPublisher = { publish: () => undefined, control: () => undefined };
