/** /api/v1/users: directory, profiles, presence and my sessions. */
import { Type } from 'typebox';
import type { User } from '../../domain/entities.js';
import { SIDEBAR_LIMITS } from '../../domain/sidebar.js';
import type { Actor } from '../../domain/policy.js';
import type { HttpDeps } from '../server.js';
import { Body, Id, IdParams, Millis, Nullable, Ok, Paging, Presence, UserSchema, errors } from '../schemas.js';
import { callCtx, type App } from '../types.js';

const StatusSchema = Type.Object({ user_id: Id, status: Presence });
const SidebarCategorySchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: SIDEBAR_LIMITS.idLength }),
  name: Type.String({ maxLength: 256 }),
  channel_ids: Type.Array(Id, { maxItems: SIDEBAR_LIMITS.channels }),
  collapsed: Type.Boolean(),
}, { additionalProperties: false });
const SidebarSchema = Type.Object({ categories: Type.Array(SidebarCategorySchema), updated_at: Millis });
const SessionSchema = Type.Object({ id: Id, kind: Type.String(), created_at: Millis, expires_at: Millis, user_agent: Type.String(), ip: Type.String(), current: Type.Boolean() });

export function userRoutes(app: App, deps: HttpDeps): void {
  const { accounts } = deps.services;

  async function views(users: readonly User[], actor: Actor) {
    await accounts.expireStatuses(users);
    const presence = await accounts.presenceOf(users.map((u) => u.id));
    return users.map((u) => accounts.view(u, actor, presence.get(u.id)));
  }

  app.get('/api/v1/users', {
    schema: {
      tags: ['users'], summary: 'Search active users by username or name',
      querystring: Type.Intersect([Paging, Type.Object({ q: Type.Optional(Type.String({ maxLength: 64 })) })]),
      response: { 200: Type.Array(UserSchema), ...errors(400, 401) },
    },
  }, async (req) => {
    const ctx = callCtx(req);
    return views(await accounts.search(ctx, req.query.q, req.query.page, req.query.per_page), ctx.actor);
  });

  app.get('/api/v1/users/me', {
    schema: { tags: ['users'], summary: 'The signed-in user', response: { 200: UserSchema, ...errors(401) } },
  }, async (req) => {
    const ctx = callCtx(req);
    return (await views([await accounts.me(ctx)], ctx.actor))[0]!;
  });

  app.patch('/api/v1/users/me', {
    schema: {
      tags: ['users'], summary: 'Update my profile (changing the e-mail needs current_password)',
      body: Body({
        username: Type.Optional(Type.String({ maxLength: 64 })),
        email: Type.Optional(Type.String({ maxLength: 254 })),
        current_password: Type.Optional(Type.String({ maxLength: 1024 })),
        display_name: Type.Optional(Type.String({ maxLength: 256 })),
        first_name: Type.Optional(Type.String({ maxLength: 256 })),
        last_name: Type.Optional(Type.String({ maxLength: 256 })),
        nickname: Type.Optional(Type.String({ maxLength: 256 })),
        position: Type.Optional(Type.String({ maxLength: 256 })),
        status_text: Type.Optional(Type.String({ maxLength: 400 })),
        status_emoji: Type.Optional(Type.String({ maxLength: 256 })),
        status_expires_at: Type.Optional(Nullable(Millis)),
        timezone: Type.Optional(Type.String({ maxLength: 64 })),
      }),
      response: { 200: UserSchema, ...errors(400, 401, 409, 422) },
    },
  }, async (req) => {
    const ctx = callCtx(req);
    return (await views([await accounts.updateProfile(ctx, req.body)], ctx.actor))[0]!;
  });

  app.get('/api/v1/users/me/sessions', {
    schema: { tags: ['users'], summary: 'My active sessions', response: { 200: Type.Array(SessionSchema), ...errors(401) } },
  }, async (req) => {
    const ctx = callCtx(req);
    const list = await deps.services.accounts.sessionsOf(ctx);
    return list.map((s) => ({ id: s.id, kind: s.kind, created_at: s.created_at, expires_at: s.expires_at, user_agent: s.user_agent, ip: s.ip, current: s.id === ctx.actor.sessionId }));
  });

  app.delete('/api/v1/users/me/sessions/:id', {
    schema: { tags: ['users'], summary: 'Sign out one of my sessions', params: IdParams, response: { 200: Ok, ...errors(401, 404) } },
  }, async (req) => {
    await accounts.endSession(callCtx(req), req.params.id);
    return { status: 'ok' as const };
  });

  app.get('/api/v1/users/me/sidebar', {
    schema: { tags: ['users'], summary: 'My sidebar arrangement: favourites and custom categories', response: { 200: SidebarSchema, ...errors(401) } },
  }, async (req) => deps.services.sidebar.get(callCtx(req)));

  app.put('/api/v1/users/me/sidebar', {
    schema: {
      tags: ['users'],
      summary: 'Replace my sidebar arrangement (channels I am a member of only: another id is a 404, a channel I could join a 403); sent as sidebar_updated to my connections',
      body: Body({ categories: Type.Array(SidebarCategorySchema, { maxItems: SIDEBAR_LIMITS.categories }) }),
      response: { 200: SidebarSchema, ...errors(400, 401, 403, 404, 422) },
    },
  }, async (req) => deps.services.sidebar.put(callCtx(req), req.body.categories));

  app.get('/api/v1/users/:id', {
    schema: { tags: ['users'], summary: 'A user', params: IdParams, response: { 200: UserSchema, ...errors(401, 404) } },
  }, async (req) => {
    const ctx = callCtx(req);
    return (await views([await accounts.profile(ctx, req.params.id)], ctx.actor))[0]!;
  });

  app.get('/api/v1/users/:id/status', {
    schema: { tags: ['users'], summary: 'A user\'s presence', params: IdParams, response: { 200: StatusSchema, ...errors(401, 404) } },
  }, async (req) => {
    const user = await accounts.profile(callCtx(req), req.params.id);
    const presence = await accounts.presenceOf([user.id]);
    return { user_id: user.id, status: presence.get(user.id) ?? 'offline' };
  });

  app.post('/api/v1/users/status/ids', {
    schema: {
      tags: ['users'], summary: 'Presence of several users',
      body: Type.Array(Id, { maxItems: 500 }),
      response: { 200: Type.Array(StatusSchema), ...errors(400, 401, 404) },
    },
  }, async (req) => accounts.statuses(callCtx(req), req.body));
}
