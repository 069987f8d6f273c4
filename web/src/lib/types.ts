/**
 * The API's shapes, written once on the server: response bodies are the TypeBox schemas the
 * routes declare (src/http/schemas.ts, `Static<typeof X>`), real-time events come from the
 * server's event map (src/domain/events.ts). Type-only imports: nothing of the server ends up
 * in the bundle.
 */
import type { Static } from 'typebox';
import type { EventMap, EventName } from '../../../src/domain/events.js';
import type { Presence, ReactionSummary, ReactionView } from '../../../src/domain/presenters.js';
import type {
  ChannelMemberSchema, ChannelSchema, FileSchema, PasswordPolicySchema, PostPageSchema, PostSchema, SessionResponse as SessionResponseSchema, SsoLoginOptionSchema,
  SsoSessionResponse as SsoSessionResponseSchema, TeamMemberSchema, TeamSchema, ThreadListSchema, ThreadPageSchema, ThreadSchema, UnreadOverviewSchema, UnreadSchema, UserSchema,
} from '../../../src/http/schemas.js';

export type { EventMap, EventName, Presence, ReactionSummary, ReactionView };
export type User = Static<typeof UserSchema>;
export type Team = Static<typeof TeamSchema>;
export type TeamMember = Static<typeof TeamMemberSchema>;
export type Channel = Static<typeof ChannelSchema>;
export type ChannelMember = Static<typeof ChannelMemberSchema>;
export type Post = Static<typeof PostSchema>;
export type Unread = Static<typeof UnreadSchema>;
export type UnreadOverview = Static<typeof UnreadOverviewSchema>;
export type PostPage = Static<typeof PostPageSchema>;
export type ThreadPage = Static<typeof ThreadPageSchema>;
/** A followed thread with my read state (GET /api/v1/users/me/threads, `thread_updated`). */
export type ThreadItem = Static<typeof ThreadSchema>;
export type ThreadList = Static<typeof ThreadListSchema>;
export type SessionResponse = Static<typeof SessionResponseSchema>;
/** A file's metadata (GET /api/v1/files/{id}; a post's `files`). */
export type FileInfo = Static<typeof FileSchema>;
/** POST /api/v1/files: the first file's fields, and every file of the request in `files`. */
export type FileUpload = FileInfo & { files: FileInfo[] };

export interface Session {
  readonly token: string;
  readonly user: User;
}

/** POST /api/v1/oauth2/exchange: a session, plus where the sign-in started (a same-origin path, checked again before use). */
export type SsoSessionResponse = Static<typeof SsoSessionResponseSchema>;
/** GET /api/v1/auth/policy. */
export type PasswordPolicy = Static<typeof PasswordPolicySchema>;
/** A "Sign in with …" button, as GET /api/v1/oauth2/providers lists it. */
export type OAuthProvider = Static<typeof SsoLoginOptionSchema>;

export type { SidebarCategory, SidebarView } from '../../../src/domain/sidebar.js';

/** PATCH /api/v1/users/me. */
export interface ProfilePatch {
  display_name?: string;
  nickname?: string;
  position?: string;
  timezone?: string;
  status_text?: string;
  status_emoji?: string;
  /** When the custom status ends; null: never. */
  status_expires_at?: number | null;
}

/** GET /api/v1/users/me/sessions: one of my signed-in devices. */
export interface MySession {
  id: string;
  kind: string;
  created_at: number;
  expires_at: number;
  user_agent: string;
  ip: string;
  current: boolean;
}

/** GET/PUT /api/v1/users/me/preferences/notifications. */
export type { NotifyPrefs, ChannelNotifyProps, NotifyLevel, DndSchedule, DndPeriod } from '../../../src/domain/notify-rules.js';
