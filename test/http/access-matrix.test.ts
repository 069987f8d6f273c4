/**
 * The access-control matrix. For every route that takes an id, people who may not see the
 * thing (a user in no team, a user of another team, a teammate outside a private channel or
 * someone else's direct message) are refused WITHOUT learning whether it exists: the answer
 * is the same (status, content type, code and message) as for a random id that exists
 * nowhere. And none of these refusals writes anything.
 *
 * A coverage check makes every route in the OpenAPI document appear here: id-taking routes
 * (an id in the path or an `…_id(s)` field in the body) as a probe, or in GLOBAL with the
 * reason they are not member-scoped; every other route in NO_ID with the reason it needs no
 * per-resource decision.
 *
 * The app runs with authorization tracing (src/services/authz-trace.ts): every probe must
 * have made an authorization decision in Access, and no client-supplied id may reach the store
 * before the first decision (Access's own lookups excepted). A service that reads by id first
 * and checks afterwards fails here even when its answers look right.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, directChannel, envelope, registerUser, type TestUser } from '../helpers/factories.js';
import { dbDigest, locationOf } from '../helpers/store.js';
import { multipart, png, uploadFile } from '../helpers/uploads.js';

type Kind = 'team' | 'channel' | 'post' | 'session' | 'user' | 'file' | 'hook_in' | 'hook_out' | 'token' | 'bot' | 'command';

interface Probe {
  /** Route as in the OpenAPI document, e.g. `GET /api/v1/channels/{id}`. */
  readonly route: string;
  /** What `{id}` (or the body id) names. */
  readonly kind: Kind;
  /** Extra path parameters and the body, given the actor. */
  readonly params?: (w: World, actor: TestUser) => Record<string, string>;
  readonly body?: (w: World, actor: TestUser, id: string) => unknown;
  /** The id travels in the body, not in the path. */
  readonly idInBody?: boolean;
  /** The id travels in the query string as this parameter, with a multipart upload as the body. */
  readonly uploadTo?: string;
}

interface World {
  alice: TestUser; bob: TestUser; erin: TestUser; gina: TestUser; carol: TestUser; dave: TestUser;
  teamA: { id: string }; teamB: { id: string };
  pub: { id: string; name: string }; priv: { id: string; name: string }; daves: { id: string };
  dm: { id: string }; grp: { id: string };
  postPub: { id: string }; postPriv: { id: string }; postDm: { id: string }; postGrp: { id: string };
  bobSession: string;
  /** Bob's personal access token and the bot he owns. */
  bobToken: string; bobBot: string;
  /** A custom slash command of team A (made by alice, its admin). */
  cmd: string;
  /** Files posted in each channel, and bob's upload to the public channel that no post attached yet (only bob may see it). */
  filePub: string; filePriv: string; fileDm: string; fileGrp: string; fileBobUnposted: string;
  /** Webhooks: alice's (only she and system admins may see them), and bob's own. */
  hookIn: string; hookOut: string; bobHookIn: string; bobHookOut: string;
}

const member = (w: World) => ({ user_id: w.bob.id });
const PROBES: Probe[] = [
  // Teams
  { route: 'GET /api/v1/teams/{id}', kind: 'team' },
  { route: 'PATCH /api/v1/teams/{id}', kind: 'team', body: () => ({ display_name: 'Owned' }) },
  { route: 'DELETE /api/v1/teams/{id}', kind: 'team' },
  { route: 'POST /api/v1/teams/{id}/restore', kind: 'team' },
  { route: 'GET /api/v1/teams/{id}/members', kind: 'team' },
  { route: 'POST /api/v1/teams/{id}/members', kind: 'team', body: (_w, a) => ({ user_id: a.id }) },
  { route: 'PATCH /api/v1/teams/{id}/members/{user_id}', kind: 'team', params: member, body: () => ({ role: 'team_admin' }) },
  { route: 'DELETE /api/v1/teams/{id}/members/{user_id}', kind: 'team', params: member },
  { route: 'DELETE /api/v1/teams/{id}/members/{user_id}', kind: 'team', params: (_w, a) => ({ user_id: a.id }) },
  { route: 'GET /api/v1/teams/{id}/channels', kind: 'team' },
  { route: 'GET /api/v1/teams/{id}/channels/name/{name}', kind: 'team', params: (w) => ({ name: w.pub.name }) },
  { route: 'GET /api/v1/teams/{id}/channels/name/{name}', kind: 'team', params: (w) => ({ name: w.priv.name }) },
  { route: 'POST /api/v1/channels', kind: 'team', idInBody: true, body: (_w, _a, id) => ({ team_id: id, name: 'sneaky', channel_type: 'public' }) },
  // Channels
  { route: 'GET /api/v1/channels/{id}', kind: 'channel' },
  { route: 'PATCH /api/v1/channels/{id}', kind: 'channel', body: () => ({ header: 'defaced' }) },
  { route: 'PATCH /api/v1/channels/{id}', kind: 'channel', body: () => ({ display_name: 'Defaced' }) },
  { route: 'DELETE /api/v1/channels/{id}', kind: 'channel' },
  { route: 'POST /api/v1/channels/{id}/restore', kind: 'channel' },
  { route: 'GET /api/v1/channels/{id}/members', kind: 'channel' },
  { route: 'GET /api/v1/channels/{id}/members/{user_id}', kind: 'channel', params: member },
  { route: 'POST /api/v1/channels/{id}/members', kind: 'channel', body: (_w, a) => ({ user_id: a.id }) },
  { route: 'POST /api/v1/channels/{id}/members', kind: 'channel', body: (w) => ({ user_id: w.erin.id }) },
  { route: 'PATCH /api/v1/channels/{id}/members/{user_id}', kind: 'channel', params: member, body: () => ({ role: 'channel_admin' }) },
  { route: 'DELETE /api/v1/channels/{id}/members/{user_id}', kind: 'channel', params: member },
  { route: 'DELETE /api/v1/channels/{id}/members/{user_id}', kind: 'channel', params: (_w, a) => ({ user_id: a.id }) },
  { route: 'POST /api/v1/channels/{id}/read', kind: 'channel' },
  { route: 'GET /api/v1/channels/{id}/unread', kind: 'channel' },
  { route: 'GET /api/v1/channels/{id}/stats', kind: 'channel' },
  { route: 'GET /api/v1/channels/{id}/posts', kind: 'channel' },
  { route: 'POST /api/v1/channels/{id}/posts', kind: 'channel', body: () => ({ message: 'let me in', client_msg_id: 'intruder' }) },
  { route: 'GET /api/v1/channels/{id}/pinned', kind: 'channel' },
  // Posts (the post id may also travel as a thread root in the body of a post I may make).
  { route: 'GET /api/v1/posts/{id}', kind: 'post' },
  { route: 'PUT /api/v1/posts/{id}', kind: 'post', body: () => ({ message: 'rewritten' }) },
  { route: 'DELETE /api/v1/posts/{id}', kind: 'post' },
  { route: 'GET /api/v1/posts/{id}/thread', kind: 'post' },
  { route: 'POST /api/v1/posts/{id}/reactions', kind: 'post', body: () => ({ emoji_name: 'eyes' }) },
  { route: 'DELETE /api/v1/posts/{id}/reactions/{emoji}', kind: 'post', params: () => ({ emoji: 'tada' }) },
  { route: 'POST /api/v1/posts/{id}/pin', kind: 'post' },
  { route: 'DELETE /api/v1/posts/{id}/pin', kind: 'post' },
  { route: 'POST /api/v1/posts/{id}/save', kind: 'post' },
  { route: 'DELETE /api/v1/posts/{id}/save', kind: 'post' },
  // Access.post(…, 'mark_unread'): hidden like reading the post; a reader outside the channel gets 403 (test/http/posts.test.ts).
  { route: 'POST /api/v1/posts/{id}/unread', kind: 'post' },
  // Link previews: the image is as visible as the post (Access.post read), removing it is the author's (POST_POLICY.remove_preview).
  { route: 'GET /api/v1/posts/{id}/preview/image', kind: 'post' },
  { route: 'DELETE /api/v1/posts/{id}/preview', kind: 'post' },
  // Attachment images (a webhook's image_url / thumb_url, stored by the server): as visible as the post (Access.post read).
  { route: 'GET /api/v1/posts/{id}/attachments/{index}/{kind}', kind: 'post', params: () => ({ index: '0', kind: 'image' }) },
  { route: 'GET /api/v1/posts/{id}/attachments/{index}/{kind}', kind: 'post', params: () => ({ index: '0', kind: 'thumb' }) },
  { route: 'POST /api/v1/channels/{id}/posts', kind: 'post', idInBody: true, params: (w, a) => ({ id: a === w.erin ? w.pub.id : w.daves.id }), body: (_w, _a, id) => ({ message: 'reply', root_post_id: id }) },
  // Followed threads: a thread is named by its root post (Access.post), so a thread in a channel I cannot read is an unknown one.
  { route: 'GET /api/v1/users/me/threads/{id}', kind: 'post' },
  { route: 'PUT /api/v1/users/me/threads/{id}/following', kind: 'post' },
  { route: 'DELETE /api/v1/users/me/threads/{id}/following', kind: 'post' },
  { route: 'PUT /api/v1/users/me/threads/{id}/read', kind: 'post' },
  // Files: every route to the metadata or the bytes, and uploading into a channel.
  { route: 'GET /api/v1/files/{id}', kind: 'file' },
  { route: 'GET /api/v1/files/{id}/download', kind: 'file' },
  { route: 'GET /api/v1/files/{id}/thumbnail', kind: 'file' },
  { route: 'GET /api/v1/files/{id}/preview', kind: 'file' },
  { route: 'DELETE /api/v1/files/{id}', kind: 'file' },
  { route: 'GET /api/v1/channels/{id}/files', kind: 'channel' },
  { route: 'POST /api/v1/files', kind: 'channel', uploadTo: 'channel_id' },
  { route: 'POST /api/v1/channels/{id}/posts', kind: 'file', idInBody: true, params: (w, a) => ({ id: a === w.erin ? w.pub.id : w.daves.id }), body: (_w, _a, id) => ({ message: 'mine now', file_ids: [id] }) },
  // Sessions are per user.
  { route: 'DELETE /api/v1/users/me/sessions/{id}', kind: 'session' },
  // My sidebar: placing a channel in a category is decided per channel (CHANNEL_POLICY.arrange, members only).
  { route: 'PUT /api/v1/users/me/sidebar', kind: 'channel', idInBody: true, body: (_w, _a, id) => ({ categories: [{ id: 'mine', name: 'Mine', channel_ids: [id], collapsed: false }] }) },
  // My notification preferences for a channel (CHANNEL_POLICY.notify_props, members only), muting included.
  { route: 'GET /api/v1/channels/{id}/members/me/notify_props', kind: 'channel' },
  { route: 'PUT /api/v1/channels/{id}/members/me/notify_props', kind: 'channel', body: () => ({ desktop: 'all' }) },
  { route: 'PUT /api/v1/channels/{id}/members/me/mute', kind: 'channel' },
  { route: 'DELETE /api/v1/channels/{id}/members/me/mute', kind: 'channel' },
  // Admin routes: refused to non-admins before the id is even looked at.
  { route: 'POST /api/v1/admin/users/{id}/deactivate', kind: 'user' },
  { route: 'POST /api/v1/admin/users/{id}/reactivate', kind: 'user' },
  { route: 'PUT /api/v1/admin/users/{id}/role', kind: 'user', body: () => ({ role: 'system_admin' }) },
  { route: 'POST /api/v1/admin/users/{id}/revoke_sessions', kind: 'user' },
  { route: 'POST /api/v1/admin/users/{id}/password_reset', kind: 'user' },
  // SSO provider administration: system admins only, checked before the id is looked at.
  { route: 'GET /api/v1/admin/sso/{id}', kind: 'user' },
  // Personal access tokens and bots: someone else's are a 404 like a missing one (Access.tokenOwner, Access.accessToken, Access.bot).
  { route: 'POST /api/v1/users/{id}/tokens', kind: 'user', body: () => ({ description: 'mine now' }) },
  { route: 'GET /api/v1/users/{id}/tokens', kind: 'user' },
  { route: 'DELETE /api/v1/users/tokens/{id}', kind: 'token' },
  { route: 'GET /api/v1/bots/{id}', kind: 'bot' },
  { route: 'PATCH /api/v1/bots/{id}', kind: 'bot', body: () => ({ description: 'taken over' }) },
  { route: 'POST /api/v1/bots/{id}/disable', kind: 'bot' },
  { route: 'POST /api/v1/bots/{id}/enable', kind: 'bot' },
  { route: 'POST /api/v1/users/{id}/tokens', kind: 'bot', body: () => ({ description: 'the bot is mine now' }) },
  // Slash commands: run in a channel (Access.channel post: hidden is 404); a team's custom commands are managed by their creator and the team's admins (Access.command: 404 for anyone else, their token is no one else's business).
  { route: 'POST /api/v1/commands/execute', kind: 'channel', idInBody: true, body: (_w, _a, id) => ({ channel_id: id, command: '/echo let me in' }) },
  { route: 'POST /api/v1/commands', kind: 'team', idInBody: true, body: (_w, _a, id) => ({ team_id: id, trigger: 'sneaky', url: 'https://example.com/hook' }) },
  { route: 'GET /api/v1/commands/{id}', kind: 'command' },
  { route: 'PATCH /api/v1/commands/{id}', kind: 'command', body: () => ({ url: 'https://example.net/stolen' }) },
  { route: 'DELETE /api/v1/commands/{id}', kind: 'command' },
  { route: 'POST /api/v1/commands/{id}/regen_token', kind: 'command' },
  { route: 'PUT /api/v1/admin/sso/{id}', kind: 'user', body: () => ({ display_name: 'Taken over' }) },
  { route: 'DELETE /api/v1/admin/sso/{id}', kind: 'user' },
  // Webhooks: creating one is decided on its channel (may post there) or team (TEAM_POLICY.create_webhook); a hook itself is its creator's or a system admin's (WEBHOOK_POLICY), anyone else gets the 404 of a missing one.
  { route: 'POST /api/v1/hooks/incoming', kind: 'channel', idInBody: true, body: (_w, _a, id) => ({ channel_id: id, display_name: 'sneaky' }) },
  { route: 'POST /api/v1/hooks/outgoing', kind: 'team', idInBody: true, body: (_w, _a, id) => ({ team_id: id, trigger_words: ['x'], callback_urls: ['https://example.com/hook'] }) },
  { route: 'POST /api/v1/hooks/outgoing', kind: 'channel', idInBody: true, body: (w, _a, id) => ({ team_id: w.teamA.id, channel_id: id, callback_urls: ['https://example.com/hook'] }) },
  { route: 'GET /api/v1/hooks/incoming/{id}', kind: 'hook_in' },
  { route: 'PUT /api/v1/hooks/incoming/{id}', kind: 'hook_in', body: () => ({ display_name: 'mine now' }) },
  { route: 'PUT /api/v1/hooks/incoming/{id}', kind: 'hook_in', body: (w) => ({ channel_id: w.pub.id }) },
  { route: 'DELETE /api/v1/hooks/incoming/{id}', kind: 'hook_in' },
  { route: 'POST /api/v1/hooks/incoming/{id}/regen_token', kind: 'hook_in' },
  { route: 'GET /api/v1/hooks/outgoing/{id}', kind: 'hook_out' },
  { route: 'PUT /api/v1/hooks/outgoing/{id}', kind: 'hook_out', body: () => ({ callback_urls: ['https://example.com/stolen'] }) },
  { route: 'PUT /api/v1/hooks/outgoing/{id}', kind: 'hook_out', body: (w) => ({ team_id: w.teamA.id, channel_id: w.pub.id }) },
  { route: 'DELETE /api/v1/hooks/outgoing/{id}', kind: 'hook_out' },
  { route: 'POST /api/v1/hooks/outgoing/{id}/regen_token', kind: 'hook_out' },
  { route: 'GET /api/v1/hooks/outgoing/{id}/deliveries', kind: 'hook_out' },
];

/** Id-taking routes that are not member-scoped, and why. */
const GLOBAL: Record<string, string> = {
  'GET /api/v1/users/{id}': 'the user directory is server-wide (e-mail addresses stay hidden)',
  'GET /api/v1/users/{id}/status': 'presence is server-wide, like the directory',
  'GET /api/v1/users/{id}/avatar': 'avatars are server-wide, like the directory: decided by Access.user (USER_POLICY.view), checked below',
  'POST /api/v1/users/status/ids': 'presence is server-wide, like the directory: decided per user by Access.users (USER_POLICY.view), checked below',
  'GET /api/v1/emoji/{id}/image': 'custom emoji are server-wide, like avatars: decided by Access.customEmoji (EMOJI_POLICY.read), checked below',
  'GET /api/v1/emoji/name/{name}': 'custom emoji are server-wide: a lookup by name decided by Access.emoji (EMOJI_POLICY.read), checked below',
  'DELETE /api/v1/emoji/{id}': 'custom emoji are server-wide: Access.customEmoji (EMOJI_POLICY.delete: its creator or a system admin, 403 otherwise), checked below and in test/http/emoji.test.ts',
  'GET /api/v1/oauth2/{provider}/login': 'public sign-in entry; {provider} is a provider key on the login page (test/sso)',
  'GET /api/v1/oauth2/{provider}/callback': 'public sign-in return; guarded by the state bound to the browser (test/sso/state.test.ts)',
  'POST /hooks/commands/{token}': 'a custom command\'s delayed answer: the signed response URL is the credential (forged, altered or expired → 404); it acts as the command\'s caller through Access.channel(post), decided again at each call (test/http/commands.test.ts)',
  'POST /hooks/{token}': 'an incoming webhook: the token is the credential (hash lookup, unknown → 404); it posts as the hook\'s creator through Access.channel(post), decided at each call (test/http/webhooks.test.ts)',
};

/** Body fields named `…_id` that name no stored resource: an SSO provider's OAuth client id, the caller's own idempotency key, the caller's phone's push token. */
const NOT_RESOURCE_IDS = new Set(['client_id', 'client_msg_id', 'device_id']);

/** Routes that take no id of someone else's resource, and why no per-resource decision is needed. */
const NO_ID: Record<string, string> = Object.fromEntries(([
  ['the caller\'s own data (the session names the user)', [
    'GET /api/v1/auth/me', 'POST /api/v1/auth/logout', 'GET /api/v1/users/me', 'PATCH /api/v1/users/me', 'PUT /api/v1/users/me/avatar', 'DELETE /api/v1/users/me/avatar', 'GET /api/v1/users/me/sessions', 'POST /api/v1/users/me/password', 'GET /api/v1/users/me/sidebar',
    'GET /api/v1/teams', 'GET /api/v1/teams/joinable', 'GET /api/v1/channels', 'GET /api/v1/unreads/overview', 'POST /api/v1/unreads/mark_all_read',
  ]],
  ['lists the caller\'s saved posts, filtered through Access.canReadChannel', ['GET /api/v1/active_user/saved_posts']],
  ['lists the caller\'s followed threads, filtered through Access.canReadChannel (a team_id goes through Access.team first); test/http/threads.test.ts', ['GET /api/v1/users/me/threads']],
  ['the caller\'s own thread preference', ['GET /api/v1/users/me/preferences/threads', 'PUT /api/v1/users/me/preferences/threads']],
  ['the caller\'s own notification preferences, and the push device of the caller\'s own session', ['GET /api/v1/users/me/preferences/notifications', 'PUT /api/v1/users/me/preferences/notifications', 'PUT /api/v1/users/me/sessions/device']],
  ['anonymous: the unsubscribe link of notification e-mail; the signed single-purpose token names the user and does nothing else (test/http/notify-email.test.ts)', ['GET /api/v1/notifications/unsubscribe', 'POST /api/v1/notifications/unsubscribe']],
  ['creates a team owned by the caller', ['POST /api/v1/teams']],
  ['slash commands of a team: the team_id in the query string goes through Access.team (read) first (test/http/commands.test.ts)', ['GET /api/v1/commands', 'GET /api/v1/commands/autocomplete']],
  ['bots: creating one (Access.createBot: system admins, or anyone with RUSTCHAT_BOT_CREATORS=users) and listing the caller\'s own (all=true: system admins); test/http/tokens.test.ts', ['POST /api/v1/bots', 'GET /api/v1/bots']],
  ['search: filtered by Access.searchScope inside the query (a channel_id or team_id in the query string goes through Access.channel / Access.team first); the leak suite is test/http/search.test.ts', [
    'GET /api/v1/search', 'GET /api/v1/search/posts', 'GET /api/v1/search/files', 'GET /api/v1/search/channels',
  ]],
  ['the server-wide user directory, like GET /api/v1/users (e-mail addresses searched only by those who may see them)', ['GET /api/v1/search/users']],
  ['the server-wide user directory (e-mail addresses hidden), filtered through Access.visibleUsers (checked below)', ['GET /api/v1/users']],
  ['system admins only, checked in the service (test/services/system-admin.test.ts)', [
    'GET /api/v1/users/tokens', 'POST /api/v1/users/tokens/revoke_all',
    'GET /api/v1/admin/users', 'POST /api/v1/admin/users', 'GET /api/v1/admin/teams', 'GET /api/v1/admin/audit', 'GET /api/v1/admin/stats', 'GET /api/v1/admin/sso', 'POST /api/v1/admin/sso',
  ]],
  ['anonymous: sign-in, registration and password reset (rate limited, test/http/auth.test.ts, test/http/registration.test.ts)', [
    'GET /api/v1/auth/policy', 'POST /api/v1/auth/login', 'POST /api/v1/auth/register', 'POST /api/v1/auth/register/complete', 'POST /api/v1/auth/password/forgot', 'POST /api/v1/auth/password/reset',
    'POST /api/v1/oauth2/exchange', 'GET /api/v1/oauth2/providers',
  ]],
  ['custom emoji are server-wide: listing, lookup by name and adding one are decided by Access.emoji (EMOJI_POLICY), checked below', ['GET /api/v1/emoji', 'POST /api/v1/emoji']],
  ['anonymous: health', ['GET /api/v1/health/live', 'GET /api/v1/health/ready']],
  ['Mattermost v4 (src/http/routes/mattermost.ts): anonymous ping; the push device of the caller\'s own session, same service as PUT /api/v1/users/me/sessions/device (test/http/notify-push.test.ts, test/http/mattermost.test.ts)', ['GET /api/v4/system/ping', 'PUT /api/v4/users/sessions/device']],
  ['the caller\'s own webhooks (a system admin: everyone\'s), decided by Access.webhookList (test/http/webhooks.test.ts)', ['GET /api/v1/hooks/incoming', 'GET /api/v1/hooks/outgoing']],
] as const).flatMap(([why, routes]) => routes.map((r) => [r, why])));

describe.each(STORES)('access-control matrix (%s)', (kind) => {
  let t: TestApp;
  let w: World;
  beforeAll(async () => {
    t = await startApp(kind, { traceAuthorization: true, env: { RUSTCHAT_PERSONAL_ACCESS_TOKENS: 'true', RUSTCHAT_BOT_CREATORS: 'users' } });
    const [alice, bob, erin, gina, carol, dave] = await Promise.all(['alice', 'bob', 'erin', 'gina', 'carol', 'dave'].map((n) => registerUser(t.api, n)));
    const teamA = await createTeam(t.api, alice!, 'invite');
    await addTeamMember(t.api, alice!, teamA.id, bob!);
    await addTeamMember(t.api, alice!, teamA.id, erin!);
    const teamB = await createTeam(t.api, dave!, 'invite');
    const pub = await createChannel(t.api, alice!, teamA.id, 'public');
    const priv = await createChannel(t.api, alice!, teamA.id, 'private');
    await addChannelMember(t.api, alice!, pub.id, bob!);
    await addChannelMember(t.api, alice!, pub.id, erin!);
    await addChannelMember(t.api, alice!, priv.id, bob!);
    const daves = await createChannel(t.api, dave!, teamB.id, 'public');
    const dm = await directChannel(t.api, alice!, bob!);
    const grp = (await t.api.post('/api/v1/channels', { channel_type: 'group', user_ids: [bob!.id, gina!.id] }, alice!.token)).body;
    const postPub = await createPost(t.api, alice!, pub.id, 'public words');
    const postPriv = await createPost(t.api, alice!, priv.id, 'private words');
    const postDm = await createPost(t.api, alice!, dm.id, 'direct words');
    const postGrp = await createPost(t.api, alice!, grp.id, 'group words');
    for (const p of [postPub, postPriv, postDm, postGrp]) {
      await t.api.post(`/api/v1/posts/${p.id}/reactions`, { emoji_name: 'tada' }, bob!.token);
      await t.api.post(`/api/v1/posts/${p.id}/pin`, undefined, bob!.token);
    }
    await createPost(t.api, bob!, priv.id, 'a reply', { root_post_id: postPriv.id });
    const bobSession = (await t.api.get('/api/v1/users/me/sessions', bob!.token)).body[0].id;
    const bobToken = (await t.api.post(`/api/v1/users/${bob!.id}/tokens`, { description: 'matrix' }, bob!.token)).body.id;
    const bobBot = (await t.api.post('/api/v1/bots', { username: `matrixbot${kind}` }, bob!.token)).body.user_id;
    const cmd = (await t.api.post('/api/v1/commands', { team_id: teamA.id, trigger: 'deploy', url: 'https://example.com/deploy' }, alice!.token)).body.id;
    const image = await png(24, 24);
    const posted = async (channelId: string): Promise<string> => {
      const id = await uploadFile(t.api, alice!, channelId, { name: 'shared.png', data: image });
      await createPost(t.api, alice!, channelId, 'a file', { file_ids: [id] });
      return id;
    };
    const [filePub, filePriv, fileDm, fileGrp] = [await posted(pub.id), await posted(priv.id), await posted(dm.id), await posted(grp.id)];
    const fileBobUnposted = await uploadFile(t.api, bob!, pub.id, { name: 'draft.png', data: image });
    const hook = async (owner: TestUser, path: 'incoming' | 'outgoing'): Promise<string> => {
      const body = path === 'incoming' ? { channel_id: pub.id } : { team_id: teamA.id, trigger_words: ['matrix'], callback_urls: ['https://example.com/hook'] };
      const res = await t.api.post(`/api/v1/hooks/${path}`, body, owner.token);
      if (res.status !== 201) throw new Error(`hook failed: ${res.status} ${res.text}`);
      return res.body.id as string;
    };
    const [hookIn, hookOut, bobHookIn, bobHookOut] = [await hook(alice!, 'incoming'), await hook(alice!, 'outgoing'), await hook(bob!, 'incoming'), await hook(bob!, 'outgoing')];
    w = {
      alice: alice!, bob: bob!, erin: erin!, gina: gina!, carol: carol!, dave: dave!, teamA, teamB, pub, priv, daves, dm, grp, postPub, postPriv, postDm, postGrp, bobSession, bobToken, bobBot, cmd,
      filePub, filePriv, fileDm, fileGrp, fileBobUnposted, hookIn, hookOut, bobHookIn, bobHookOut,
    };
  });
  afterAll(async () => t?.close());

  /** The resources each kind of outsider must not see. */
  function targets(actor: TestUser, k: Kind): string[] {
    const strangers = actor === w.carol || actor === w.dave;
    switch (k) {
      case 'team': return strangers ? [w.teamA.id] : [];
      case 'channel': return [w.priv.id, w.dm.id, w.grp.id, ...(strangers ? [w.pub.id] : [])];
      case 'post': return [w.postPriv.id, w.postDm.id, w.postGrp.id, ...(strangers ? [w.postPub.id] : [])];
      case 'session': return [w.bobSession];
      case 'user': return [w.bob.id];
      case 'token': return [w.bobToken];
      case 'bot': return [w.bobBot];
      case 'command': return [w.cmd];
      // Someone else's upload that no post attached is hidden even from the channel's readers.
      case 'file': return [w.filePriv, w.fileDm, w.fileGrp, ...(actor === w.bob ? [] : [w.fileBobUnposted]), ...(strangers ? [w.filePub] : [])];
      // Another person's webhook, whoever asks (teammates included).
      case 'hook_in': return [w.hookIn];
      case 'hook_out': return [w.hookOut];
    }
  }

  /** What the authorization trace of each probe got wrong (checked at the end of each test). */
  let traceFailures: string[] = [];

  async function call(p: Probe, actor: TestUser, id: string) {
    const [method, template] = p.route.split(' ') as [string, string];
    const params: Record<string, string> = { ...(p.idInBody || p.uploadTo ? {} : { id }), ...(p.params?.(w, actor) ?? {}) };
    let url = template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name]!));
    const body = p.body?.(w, actor, id);
    let res;
    if (p.uploadTo !== undefined) {
      url += `?${p.uploadTo}=${encodeURIComponent(id)}`;
      const form = multipart([{ name: 'sneaky.txt', data: 'let me in' }]);
      res = await t.api.request(method, url, { token: actor.token, rawBody: form.body, headers: { 'content-type': form.contentType } });
    } else {
      res = await t.api.request(method, url, { token: actor.token, ...(body === undefined ? {} : { body }) });
    }
    const supplied = [id, ...Object.values(params), ...(body !== null && typeof body === 'object' ? Object.values(body).flat() : [])].filter((v): v is string => typeof v === 'string');
    audit(`${p.route} as ${actor.username} on ${id}`, String(res.headers['x-request-id']), new Set(supplied));
    return res;
  }

  /** The request decided through Access, and read nothing by a client-supplied id before its first decision. */
  function audit(label: string, requestId: string, supplied: ReadonlySet<string>): void {
    const trace = t.app.authzTraces!.get(requestId);
    if (trace === undefined) {
      traceFailures.push(`${label}: the route handler never ran`);
      return;
    }
    if (trace.decisions.length === 0) traceFailures.push(`${label}: no authorization decision`);
    const early = trace.storeCalls.find((c) => !c.byAccess && c.decisionsBefore === 0 && c.ids.some((x) => supplied.has(x)));
    if (early !== undefined) traceFailures.push(`${label}: store ${early.method}(${early.ids.join(', ')}) before any authorization decision`);
  }

  it('refuses outsiders exactly as it refuses a random id, and writes nothing', async () => {
    const before = await dbDigest(locationOf(t));
    const failures: string[] = [];
    let compared = 0;
    for (const actor of [w.carol, w.dave, w.erin, w.gina]) {
      for (const p of PROBES) {
        for (const id of targets(actor, p.kind)) {
          if (actor === w.gina && id === w.grp.id) continue;
          if (actor === w.gina && id === w.postGrp.id) continue;
          if (actor === w.gina && id === w.fileGrp) continue;
          const real = await call(p, actor, id);
          const random = await call(p, actor, randomUUID());
          compared++;
          const a = envelope(real);
          const b = envelope(random);
          const label = `${p.route} as ${actor.username} on ${id}`;
          if (JSON.stringify(a) !== JSON.stringify(b)) failures.push(`${label}: ${JSON.stringify(a)} vs random ${JSON.stringify(b)}`);
          else if (real.status < 400 || real.status >= 500) failures.push(`${label}: not refused (${real.status})`);
          else if (!(real.status === 404 || (p.kind === 'user' && real.status === 403) || (p.idInBody && (p.kind === 'post' || p.kind === 'file') && real.status === 422))) {
            failures.push(`${label}: unexpected ${real.status} ${real.text}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(traceFailures).toEqual([]);
    expect(compared).toBeGreaterThan(300);
    expect(await dbDigest(locationOf(t))).toBe(before);
  });

  it('still lets insiders in (the probes are not refused for everyone)', async () => {
    const ok = async (p: Probe, id: string) => (await call(p, w.bob, id)).status;
    const byRoute = (r: string) => PROBES.find((p) => p.route === r)!;
    expect(await ok(byRoute('GET /api/v1/channels/{id}'), w.priv.id)).toBe(200);
    expect(await ok(byRoute('GET /api/v1/channels/{id}/posts'), w.dm.id)).toBe(200);
    expect(await ok(byRoute('GET /api/v1/posts/{id}/thread'), w.postPriv.id)).toBe(200);
    expect(await ok(byRoute('GET /api/v1/teams/{id}/members'), w.teamA.id)).toBe(200);
    expect((await t.api.get(`/api/v1/channels/${w.pub.id}`, w.erin.token)).status).toBe(200);
    expect((await t.api.get(`/api/v1/posts/${w.postGrp.id}`, w.gina.token)).status).toBe(200);
    traceFailures = [];
    for (const p of PROBES) {
      // Every probe as an insider too: allowed paths must decide before reading as well.
      if (p.kind === 'session' || p.kind === 'user' || p.kind === 'token' || p.kind === 'bot' || p.kind === 'command' || p.route.startsWith('DELETE') || p.route.endsWith('/restore')) continue;
      const id = { team: w.teamA.id, channel: w.priv.id, post: w.postPriv.id, file: w.filePriv, hook_in: w.bobHookIn, hook_out: w.bobHookOut }[p.kind];
      await call(p, w.bob, id);
    }
    // Files: a channel's readers get the posted file's bytes; the uploader alone sees an unposted upload.
    expect((await t.api.get(`/api/v1/files/${w.filePriv}/download`, w.bob.token)).status).toBe(200);
    expect((await t.api.get(`/api/v1/files/${w.filePub}/thumbnail`, w.erin.token)).status).toBe(200);
    expect((await t.api.get(`/api/v1/files/${w.fileBobUnposted}`, w.bob.token)).status).toBe(200);
    expect((await t.api.get(`/api/v1/files/${w.fileGrp}/preview`, w.gina.token)).status).toBe(200);
    // Avatars are as public as the directory, decided through Access.user (404: bob has none).
    expect((await call({ route: 'GET /api/v1/users/{id}/avatar', kind: 'user' }, w.dave, w.bob.id)).status).toBe(404);
    // Server-wide routes answer anyone, but through a decision all the same.
    for (const route of ['GET /api/v1/users/{id}', 'GET /api/v1/users/{id}/status']) {
      expect((await call({ route, kind: 'user' }, w.dave, w.bob.id)).status).toBe(200);
    }
    // The directory decides about every user it lists.
    const directory = await t.api.get(`/api/v1/users?q=${encodeURIComponent(w.bob.username)}`, w.dave.token);
    expect(directory.status).toBe(200);
    expect(directory.body.map((u: { id: string }) => u.id)).toContain(w.bob.id);
    audit('GET /api/v1/users as dave', String(directory.headers['x-request-id']), new Set());
    expect(t.app.authzTraces!.get(String(directory.headers['x-request-id']))!.decisions.map((d) => d.id)).toContain(w.bob.id);
    const statuses: Probe = { route: 'POST /api/v1/users/status/ids', kind: 'user', idInBody: true, body: (_w, _a, id) => [id] };
    expect((await call(statuses, w.dave, w.bob.id)).status).toBe(200);
    // A bulk lookup learns no more than a single one: an id that is no user is the same 404.
    const unknown = await call(statuses, w.dave, randomUUID());
    expect(envelope(unknown)).toEqual(envelope(await t.api.get(`/api/v1/users/${randomUUID()}/status`, w.dave.token)));
    // Custom emoji: anyone sees them, only the creator (or a system admin) deletes one; every route decides through Access.
    const emojiForm = multipart([{ field: 'name', name: '', data: 'matrix_emoji', plain: true }, { field: 'image', name: 'e.png', data: await png(8, 8) }]);
    const added = await t.api.request('POST', '/api/v1/emoji', { token: w.bob.token, rawBody: emojiForm.body, headers: { 'content-type': emojiForm.contentType } });
    expect(added.status).toBe(201);
    audit('POST /api/v1/emoji as bob', String(added.headers['x-request-id']), new Set());
    for (const route of ['GET /api/v1/emoji', 'GET /api/v1/emoji/name/{name}']) {
      const res = await call({ route, kind: 'user', params: () => ({ name: 'matrix_emoji' }) }, w.dave, added.body.id);
      expect(res.status).toBe(200);
    }
    expect((await call({ route: 'GET /api/v1/emoji/{id}/image', kind: 'user' }, w.dave, added.body.id)).status).toBe(200);
    const notMine = await call({ route: 'DELETE /api/v1/emoji/{id}', kind: 'user' }, w.dave, added.body.id);
    expect(envelope(notMine).status).toBe(403);
    expect(envelope(await call({ route: 'DELETE /api/v1/emoji/{id}', kind: 'user' }, w.dave, randomUUID())).status).toBe(404);
    expect((await call({ route: 'DELETE /api/v1/emoji/{id}', kind: 'user' }, w.bob, added.body.id)).status).toBe(200);
    const conversation: Probe = { route: 'POST /api/v1/channels', kind: 'user', idInBody: true, body: (_w, _a, id) => ({ channel_type: 'direct', target_user_id: id }) };
    expect((await call(conversation, w.dave, w.bob.id)).status).toBe(201);
    expect(traceFailures).toEqual([]);
  });

  it('a token of a user removed from a channel cannot post there (the owner\'s current access, refused like a random channel)', async () => {
    const chan = await createChannel(t.api, w.alice, w.teamA.id, 'private');
    await addChannelMember(t.api, w.alice, chan.id, w.erin);
    const token = (await t.api.post(`/api/v1/users/${w.erin.id}/tokens`, { description: 'removed' }, w.erin.token)).body.token as string;
    expect((await t.api.post(`/api/v1/channels/${chan.id}/posts`, { message: 'in' }, token)).status).toBe(201);
    expect((await t.api.delete(`/api/v1/channels/${chan.id}/members/${w.erin.id}`, w.alice.token)).status).toBe(200);
    const real = await t.api.post(`/api/v1/channels/${chan.id}/posts`, { message: 'still in?' }, token);
    const random = await t.api.post(`/api/v1/channels/${randomUUID()}/posts`, { message: 'still in?' }, token);
    expect(real.status).toBe(404);
    expect(envelope(real)).toEqual(envelope(random));
  });

  it('covers every route of the API: id-taking ones with a probe (or GLOBAL), the rest in NO_ID', async () => {
    const doc = (await t.api.get('/api/v1/openapi.json')).body;
    const covered = new Set(PROBES.map((p) => p.route));
    const missing: string[] = [];
    const all = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } }>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const route = `${method.toUpperCase()} ${path}`;
        all.add(route);
        const bodyFields = Object.keys(op.requestBody?.content?.['application/json']?.schema?.properties ?? {});
        const takesId = path.includes('{') || bodyFields.some((f) => /_ids?$/.test(f) && !NOT_RESOURCE_IDS.has(f));
        if (covered.has(route) || GLOBAL[route] !== undefined) continue;
        if (takesId) missing.push(`${route}: takes an id, needs a probe (or a GLOBAL reason)`);
        else if (NO_ID[route] === undefined) missing.push(`${route}: needs a row (a probe, or NO_ID with its reason)`);
      }
    }
    expect(missing).toEqual([]);
    // No stale rows: every row names a route that exists.
    expect([...covered, ...Object.keys(GLOBAL), ...Object.keys(NO_ID)].filter((r) => !all.has(r))).toEqual([]);
  });
});
