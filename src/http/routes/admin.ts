/** /api/v1/admin: system administration (system admins only; checked in the services). */
import { Type } from 'typebox';
import { teamView } from '../../domain/presenters.js';
import type { HttpDeps } from '../server.js';
import { Body, Id, IdParams, Millis, Ok, Paging, SystemRole, TeamSchema, UserSchema, errors } from '../schemas.js';
import { callCtx, type App } from '../types.js';

export function adminRoutes(app: App, deps: HttpDeps): void {
  const { accounts } = deps.services;

  app.get('/api/v1/admin/users', {
    schema: { tags: ['admin'], summary: 'All users, deactivated ones included', querystring: Type.Intersect([Paging, Type.Object({ q: Type.Optional(Type.String({ maxLength: 64 })) })]), response: { 200: Type.Array(UserSchema), ...errors(401, 403) } },
  }, async (req) => {
    const ctx = callCtx(req);
    return (await accounts.adminList(ctx, req.query.q, req.query.page, req.query.per_page)).map((u) => accounts.view(u, ctx.actor));
  });

  app.post('/api/v1/admin/users', {
    schema: {
      tags: ['admin'], summary: 'Create a user',
      body: Body({ username: Type.String({ maxLength: 64 }), email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 1024 }), display_name: Type.Optional(Type.String({ maxLength: 256 })), role: Type.Optional(SystemRole) }),
      response: { 201: UserSchema, ...errors(400, 401, 403, 409, 422) },
    },
  }, async (req, reply) => {
    const ctx = callCtx(req);
    return reply.code(201).send(accounts.view(await accounts.adminCreate(ctx, req.body), ctx.actor));
  });

  for (const [verb, active] of [['deactivate', false], ['reactivate', true]] as const) {
    app.post(`/api/v1/admin/users/:id/${verb}`, {
      schema: { tags: ['admin'], summary: active ? 'Reactivate a user' : 'Deactivate a user (ends their sessions and sockets at once)', params: IdParams, response: { 200: UserSchema, ...errors(400, 401, 403, 404) } },
    }, async (req) => {
      const ctx = callCtx(req);
      return accounts.view(await accounts.adminSetActive(ctx, req.params.id, active), ctx.actor);
    });
  }

  app.put('/api/v1/admin/users/:id/role', {
    schema: { tags: ['admin'], summary: 'Set a user\'s system role', params: IdParams, body: Body({ role: SystemRole }), response: { 200: UserSchema, ...errors(400, 401, 403, 404) } },
  }, async (req) => {
    const ctx = callCtx(req);
    return accounts.view(await accounts.adminSetRole(ctx, req.params.id, req.body.role), ctx.actor);
  });

  app.post('/api/v1/admin/users/:id/revoke_sessions', {
    schema: { tags: ['admin'], summary: 'End every session of a user', params: IdParams, response: { 200: Type.Object({ revoked: Type.Integer() }), ...errors(401, 403, 404) } },
  }, async (req) => ({ revoked: await accounts.adminRevokeSessions(callCtx(req), req.params.id) }));

  app.post('/api/v1/admin/users/:id/password_reset', {
    schema: {
      tags: ['admin'], summary: 'E-mail the user a password-reset link (they choose the new password)', params: IdParams,
      response: { 200: Ok, ...errors(400, 401, 403, 404, 409, 503) },
    },
  }, async (req) => {
    await deps.services.passwordResets.adminSend(callCtx(req), req.params.id);
    return { status: 'ok' as const };
  });

  app.get('/api/v1/admin/teams', {
    schema: { tags: ['admin'], summary: 'All teams', querystring: Paging, response: { 200: Type.Array(TeamSchema), ...errors(401, 403) } },
  }, async (req) => {
    return (await deps.services.teams.listAll(callCtx(req), req.query.page, req.query.per_page)).map(teamView);
  });

  app.get('/api/v1/admin/audit', {
    schema: {
      tags: ['admin'], summary: 'The audit log, newest first', querystring: Paging,
      response: { 200: Type.Array(Type.Object({ id: Id, actor_id: Type.Union([Id, Type.Null()]), action: Type.String(), target_type: Type.String(), target_id: Type.String(), ip: Type.String(), details: Type.Object({}, { additionalProperties: true }), created_at: Millis })), ...errors(401, 403) },
    },
  }, async (req) => {
    const rows = await deps.services.accounts.auditLog(callCtx(req), req.query.page, req.query.per_page);
    return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
  });

  app.get('/api/v1/admin/stats', {
    schema: { tags: ['admin'], summary: 'Server statistics', response: { 200: Type.Object({ users: Type.Integer(), version: Type.String(), database: Type.String() }), ...errors(401, 403) } },
  }, async (req) => {
    return { ...(await deps.services.accounts.stats(callCtx(req))), version: deps.version };
  });
}
