/**
 * Personal access tokens and bot accounts (services/access-tokens.ts). A token's secret is
 * in the creation answer only; lists carry descriptions and last use. Decided through Access
 * (TOKEN_POLICY, BOT_POLICY): someone else's tokens or bots are a 404.
 */
import { Type } from 'typebox';
import type { HttpDeps } from '../server.js';
import { Body, IdParams, Id, Millis, Nullable, Ok, Paging, errors } from '../schemas.js';
import { callCtx, type App } from '../types.js';

export const AccessTokenSchema = Type.Object({
  id: Id,
  user_id: Id,
  description: Type.String(),
  created_by: Id,
  created_at: Millis,
  last_used_at: Nullable(Millis),
});

export const BotSchema = Type.Object({
  user_id: Id,
  username: Type.String(),
  display_name: Type.String(),
  description: Type.String(),
  owner_id: Id,
  created_at: Millis,
  updated_at: Millis,
  deactivated_at: Nullable(Millis),
});

export function tokenRoutes(app: App, deps: HttpDeps): void {
  const tokens = deps.services.accessTokens;

  app.post('/api/v1/users/:id/tokens', {
    schema: {
      tags: ['tokens'],
      summary: 'Create a personal access token for a user (myself, a bot I own, anyone for a system admin); the token is shown in this answer only',
      params: IdParams,
      body: Body({ description: Type.String({ maxLength: 255 }) }),
      response: { 201: Type.Intersect([AccessTokenSchema, Type.Object({ token: Type.String() })]), ...errors(400, 401, 403, 404, 409, 422) },
    },
  }, async (req, reply) => reply.code(201).send(await tokens.create(callCtx(req), req.params.id, req.body.description)));

  app.get('/api/v1/users/:id/tokens', {
    schema: { tags: ['tokens'], summary: 'A user\'s live personal access tokens with their last use (no secrets)', params: IdParams, response: { 200: Type.Array(AccessTokenSchema), ...errors(401, 404) } },
  }, async (req) => tokens.list(callCtx(req), req.params.id));

  app.get('/api/v1/users/tokens', {
    schema: { tags: ['tokens'], summary: 'Every live personal access token (system admins)', querystring: Paging, response: { 200: Type.Array(AccessTokenSchema), ...errors(401, 403) } },
  }, async (req) => tokens.listAll(callCtx(req), req.query.page, req.query.per_page));

  app.delete('/api/v1/users/tokens/:id', {
    schema: { tags: ['tokens'], summary: 'Revoke a personal access token: it stops at once, its WebSockets close', params: IdParams, response: { 200: Ok, ...errors(401, 404) } },
  }, async (req) => {
    await tokens.revoke(callCtx(req), req.params.id);
    return { status: 'ok' as const };
  });

  app.post('/api/v1/users/tokens/revoke_all', {
    schema: { tags: ['tokens'], summary: 'Revoke every personal access token on the server (system admins)', response: { 200: Type.Object({ revoked: Type.Integer() }), ...errors(401, 403) } },
  }, async (req) => ({ revoked: await tokens.revokeAll(callCtx(req)) }));

  app.post('/api/v1/bots', {
    schema: {
      tags: ['bots'],
      summary: 'Create a bot account owned by me (RUSTCHAT_BOT_CREATORS: system admins, or any user); a bot never signs in with a password',
      body: Body({ username: Type.String({ maxLength: 64 }), display_name: Type.Optional(Type.String({ maxLength: 128 })), description: Type.Optional(Type.String({ maxLength: 1024 })) }),
      response: { 201: BotSchema, ...errors(400, 401, 403, 409, 422) },
    },
  }, async (req, reply) => reply.code(201).send(await tokens.createBot(callCtx(req), req.body)));

  app.get('/api/v1/bots', {
    schema: {
      tags: ['bots'], summary: 'My bots (`all=true`: every bot, system admins)',
      querystring: Type.Object({ ...Paging.properties, all: Type.Optional(Type.Boolean()) }),
      response: { 200: Type.Array(BotSchema), ...errors(401, 403) },
    },
  }, async (req) => tokens.listBots(callCtx(req), req.query.all === true, req.query.page, req.query.per_page));

  app.get('/api/v1/bots/:id', {
    schema: { tags: ['bots'], summary: 'A bot I own (or any, for a system admin)', params: IdParams, response: { 200: BotSchema, ...errors(401, 404) } },
  }, async (req) => tokens.getBot(callCtx(req), req.params.id));

  app.patch('/api/v1/bots/:id', {
    schema: {
      tags: ['bots'], summary: 'Change a bot\'s display name or description', params: IdParams,
      body: Body({ display_name: Type.Optional(Type.String({ maxLength: 128 })), description: Type.Optional(Type.String({ maxLength: 1024 })) }),
      response: { 200: BotSchema, ...errors(400, 401, 404, 422) },
    },
  }, async (req) => tokens.updateBot(callCtx(req), req.params.id, req.body));

  app.post('/api/v1/bots/:id/disable', {
    schema: { tags: ['bots'], summary: 'Disable a bot: its tokens stop at once', params: IdParams, response: { 200: BotSchema, ...errors(401, 404) } },
  }, async (req) => tokens.setBotActive(callCtx(req), req.params.id, false));

  app.post('/api/v1/bots/:id/enable', {
    schema: { tags: ['bots'], summary: 'Enable a disabled bot (its old tokens stay revoked)', params: IdParams, response: { 200: BotSchema, ...errors(401, 404) } },
  }, async (req) => tokens.setBotActive(callCtx(req), req.params.id, true));
}
