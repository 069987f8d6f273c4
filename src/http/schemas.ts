/**
 * Request and response schemas (TypeBox). They validate input, type the handlers, serialize
 * responses and generate the OpenAPI document at /api/v1/openapi.json, from one definition.
 * Body objects refuse unknown fields (400) so that nothing can be mass-assigned.
 */
import { Type, type TSchema } from 'typebox';
import { UUID_PATTERN } from '../domain/ids.js';

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
// `format` for the OpenAPI reader; `pattern` is the check (ajv's uuid format also takes a `urn:uuid:` prefix).
export const Id = Type.String({ format: 'uuid', pattern: UUID_PATTERN, description: 'A UUID' });
export const Millis = Type.Integer({ description: 'Milliseconds since the Unix epoch' });
export const Body = <P extends Parameters<typeof Type.Object>[0]>(props: P) => Type.Object(props, { additionalProperties: false });

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      request_id: Type.Optional(Type.String()),
      field: Type.Optional(Type.String()),
      retry_after: Type.Optional(Type.Integer()),
      /** CHANNEL_MENTION_CONFIRM_REQUIRED: the channel's members and the limit above which @channel needs confirming. */
      member_count: Type.Optional(Type.Integer()),
      limit: Type.Optional(Type.Integer()),
    }),
  },
  { $id: 'ErrorEnvelope' },
);

export const Presence = Type.Union([Type.Literal('online'), Type.Literal('away'), Type.Literal('dnd'), Type.Literal('offline')]);

// Roles as src/domain/entities.ts names them (test/web/view-types.test.ts keeps them equal).
export const SystemRole = Type.Union([Type.Literal('system_admin'), Type.Literal('system_user')]);
export const TeamRole = Type.Union([Type.Literal('team_admin'), Type.Literal('member')]);
export const ChannelRole = Type.Union([Type.Literal('channel_admin'), Type.Literal('member')]);

export const UserSchema = Type.Object({
  id: Id,
  username: Type.String(),
  email: Type.Optional(Type.String({ description: 'Shown to the user themself and to system admins only' })),
  display_name: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
  nickname: Type.String(),
  position: Type.String(),
  avatar_url: Nullable(Type.String()),
  is_bot: Type.Boolean(),
  role: SystemRole,
  presence: Presence,
  status_text: Type.String(),
  status_emoji: Type.String(),
  status_expires_at: Nullable(Millis),
  timezone: Type.String(),
  created_at: Millis,
  is_active: Type.Boolean(),
});

export const TeamSchema = Type.Object({
  id: Id,
  name: Type.String(),
  display_name: Type.String(),
  description: Type.String(),
  type: Type.Union([Type.Literal('open'), Type.Literal('invite')]),
  creator_id: Id,
  created_at: Millis,
  updated_at: Millis,
  is_archived: Type.Boolean(),
});

export const TeamMemberSchema = Type.Object({ team_id: Id, user_id: Id, role: TeamRole, created_at: Millis });

export const ChannelType = Type.Union([Type.Literal('public'), Type.Literal('private'), Type.Literal('direct'), Type.Literal('group')]);

export const ChannelSchema = Type.Object({
  id: Id,
  team_id: Nullable(Id),
  type: ChannelType,
  name: Type.String(),
  display_name: Type.String(),
  purpose: Type.String(),
  header: Type.String(),
  is_archived: Type.Boolean(),
  creator_id: Id,
  created_at: Millis,
  updated_at: Millis,
  last_post_at: Millis,
  last_post_seq: Type.Integer(),
});

export const ChannelMemberSchema = Type.Object({
  channel_id: Id,
  user_id: Id,
  role: ChannelRole,
  last_viewed_seq: Type.Integer(),
  last_viewed_at: Millis,
  created_at: Millis,
});

export const ReactionSummarySchema = Type.Object({ emoji: Type.String(), count: Type.Integer(), users: Type.Array(Id) });

export const FileSchema = Type.Object({
  id: Id,
  name: Type.String(),
  extension: Type.String(),
  mime_type: Type.String({ description: 'Detected from the bytes' }),
  size: Type.Integer(),
  width: Type.Optional(Type.Integer()),
  height: Type.Optional(Type.Integer()),
  has_preview: Type.Boolean({ description: 'A thumbnail and a preview exist (raster images)' }),
  user_id: Id,
  channel_id: Id,
  post_id: Nullable(Id),
  created_at: Millis,
});

export const LinkPreviewSchema = Type.Object({
  url: Type.String({ description: 'The link previewed (the first http(s) link of the message, outside code)' }),
  title: Nullable(Type.String()),
  description: Nullable(Type.String()),
  site_name: Nullable(Type.String()),
  image: Nullable(Type.Object({
    url: Type.String({ description: 'Same-origin, access-checked: GET /api/v1/posts/{id}/preview/image' }),
    width: Type.Integer(),
    height: Type.Integer(),
  })),
}, { description: 'Fetched by the server after the post was saved (a post_edited event brings it); null: none, not yet, or removed' });

export const AttachmentImageSchema = Type.Object({
  index: Type.Integer({ minimum: 0, description: 'The attachment\'s position in props.attachments' }),
  kind: Type.Union([Type.Literal('image'), Type.Literal('thumb')], { description: 'image: the attachment\'s image_url; thumb: its thumb_url' }),
  url: Type.String({ description: 'Same-origin, access-checked: GET /api/v1/posts/{id}/attachments/{index}/{kind}' }),
  width: Type.Integer(),
  height: Type.Integer(),
}, { description: 'An attachment image the server fetched (through the SSRF-safe client) and stored as WebP; the remote URL stays in props as the link target' });

export const PostSchema = Type.Object({
  id: Id,
  channel_id: Id,
  user_id: Id,
  root_post_id: Nullable(Id),
  message: Type.String(),
  props: Type.Record(Type.String(), Type.Unknown(), {
    description: 'Client props, plus keys only the server sets (from_*, override_*, system_*, webhook_id, attachments). attachments: Slack message attachments of a webhook\'s post; their image_url and thumb_url are remote URLs (link targets, never to be loaded by a client): the stored copies are in attachment_images',
  }),
  file_ids: Type.Array(Type.String()),
  is_pinned: Type.Boolean(),
  created_at: Millis,
  edited_at: Nullable(Millis),
  reply_count: Type.Integer(),
  last_reply_at: Nullable(Millis),
  participants: Type.Array(Id, { description: 'On a thread root: its most recent repliers, newest first (a few at most)' }),
  reactions: Type.Array(ReactionSummarySchema),
  files: Type.Array(FileSchema),
  preview: Nullable(LinkPreviewSchema),
  attachment_images: Type.Array(AttachmentImageSchema, { description: 'Images of props.attachments fetched by the server after the post was saved (a post_edited event brings them); empty: none, not yet, or not fetchable' }),
  client_msg_id: Nullable(Type.String()),
  seq: Type.Integer({ description: 'Global, increasing sequence number' }),
});

/** A followed thread as one user sees it (GET /users/me/threads, `thread_updated`). */
export const ThreadSchema = Type.Object({
  id: Id,
  channel_id: Id,
  post: PostSchema,
  reply_count: Type.Integer(),
  last_reply_at: Type.Union([Millis, Type.Null()]),
  participants: Type.Array(Id),
  following: Type.Boolean(),
  last_viewed_at: Millis,
  unread_replies: Type.Integer(),
  unread_mentions: Type.Integer(),
});

/** GET /api/v1/users/me/threads. */
export const ThreadListSchema = Type.Object({
  threads: Type.Array(ThreadSchema),
  has_more: Type.Boolean(),
  next_before: Type.Union([Id, Type.Null()]),
  total: Type.Integer(),
  total_unread_threads: Type.Integer(),
  total_unread_mentions: Type.Integer(),
});

/** GET/PUT /api/v1/users/me/preferences/threads. */
export const ThreadPreferencesSchema = Type.Object({ collapsed_threads: Type.Boolean() });

export const UnreadSchema = Type.Object({
  channel_id: Id,
  team_id: Nullable(Id),
  last_viewed_seq: Type.Integer(),
  last_post_seq: Type.Integer(),
  unread_count: Type.Integer(),
  mention_count: Type.Integer(),
});

/** GET /api/v1/channels/:id/posts. */
export const PostPageSchema = Type.Object({
  messages: Type.Array(PostSchema),
  has_more: Type.Boolean(),
  read_state: Nullable(Type.Object({ last_read_seq: Type.Integer(), first_unread_seq: Nullable(Type.Integer()) })),
});

/** GET /api/v1/posts/:id/thread. */
export const ThreadPageSchema = Type.Object({ order: Type.Array(Id), posts: Type.Record(Type.String(), PostSchema), next_cursor: Nullable(Type.String()) });

/** GET /api/v1/unreads/overview. */
export const UnreadOverviewSchema = Type.Object({ channels: Type.Array(UnreadSchema), total_unread: Type.Integer(), total_mentions: Type.Integer() });

export const SessionResponse = Type.Object({
  token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the token expires' }),
  user: UserSchema,
});

/** POST /api/v1/oauth2/exchange: a session, plus where the sign-in started. */
export const SsoSessionResponse = Type.Object({
  ...SessionResponse.properties,
  redirect_to: Type.String({ description: 'Where the client should go next: the validated redirect_to of the login, or /' }),
});

/** GET /api/v1/auth/policy. */
export const PasswordPolicySchema = Type.Object({
  min_length: Type.Integer(), max_length: Type.Integer(), rejects_common_passwords: Type.Boolean(), notes: Type.String(), registration_open: Type.Boolean(),
});

// As src/domain/sso.ts names them (test/web/view-types.test.ts keeps them equal).
export const SsoProviderType = Type.Union([Type.Literal('oidc'), Type.Literal('google'), Type.Literal('github')]);

/** One "Sign in with …" button, as GET /api/v1/oauth2/providers lists it (SsoLoginOptionView). */
export const SsoLoginOptionSchema = Type.Object({ provider_key: Type.String(), provider_type: SsoProviderType, display_name: Type.String(), login_url: Type.String() });

export const IdParams = Type.Object({ id: Id });
export const MemberParams = Type.Object({ id: Id, user_id: Id });
export const Paging = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});
export const Ok = Type.Object({ status: Type.Literal('ok') });

/** Common error responses for the OpenAPI document. */
export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ErrorEnvelope]));
