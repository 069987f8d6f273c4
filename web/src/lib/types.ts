/**
 * The API's shapes. Users, teams, channels, posts and real-time events come from the
 * server's own presenters and event map, so the client and the server cannot drift apart.
 */
import type {
  ChannelMemberView, ChannelView, PostView, Presence, ReactionSummary, ReactionView, SsoLoginOptionView, TeamMemberView, TeamView, UserView,
} from '../../../src/domain/presenters.js';
import type { EventMap, EventName } from '../../../src/domain/events.js';

export type { EventMap, EventName, Presence, ReactionSummary, ReactionView };
export type User = UserView;
export type Team = TeamView;
export type TeamMember = TeamMemberView;
export type Channel = ChannelView;
export type ChannelMember = ChannelMemberView;
export type Post = PostView;

export interface Session {
  readonly token: string;
  readonly user: User;
}

export interface SessionResponse {
  token: string;
  token_type?: 'Bearer';
  expires_in?: number;
  user: User;
}

/** POST /api/v1/oauth2/exchange: a session, plus where the sign-in started (a same-origin path, checked again before use). */
export interface SsoSessionResponse extends SessionResponse {
  redirect_to: string;
}

export interface PasswordPolicy {
  min_length: number;
  max_length: number;
  rejects_common_passwords: boolean;
  notes: string;
  registration_open: boolean;
}

export interface Unread {
  channel_id: string;
  team_id: string | null;
  last_viewed_seq: number;
  last_post_seq: number;
  unread_count: number;
  mention_count: number;
}

export interface UnreadOverview {
  channels: Unread[];
  total_unread: number;
  total_mentions: number;
}

export interface PostPage {
  messages: Post[];
  has_more: boolean;
  read_state: { last_read_seq: number; first_unread_seq: number | null } | null;
}

export interface ThreadPage {
  order: string[];
  posts: Record<string, Post>;
  next_cursor: string | null;
}

/** A "Sign in with …" button, as GET /api/v1/oauth2/providers lists it. */
export type OAuthProvider = SsoLoginOptionView;
