/**
 * Slash commands (services/commands.ts): run one in a channel, the composer's autocomplete,
 * and a team's custom commands (CRUD; the token is shown to those who manage the command and
 * can be regenerated). Decided through Access (CHANNEL_POLICY.post to run, TEAM_POLICY and
 * COMMAND_POLICY to manage).
 */
import { Type } from 'typebox';
import { MAX_COMMAND_LENGTH } from '../../services/commands.js';
import type { HttpDeps } from '../server.js';
import { Body, IdParams, Id, Millis, Nullable, Ok, PostSchema, errors } from '../schemas.js';
import { callCtx, type App } from '../types.js';

const Method = Type.Union([Type.Literal('POST'), Type.Literal('GET')]);

export const EphemeralPostSchema = Type.Object({
  id: Id, channel_id: Id, user_id: Id, message: Type.String(), props: Type.Record(Type.String(), Type.Unknown()), created_at: Millis, type: Type.Literal('ephemeral'),
});

const CommandResultSchema = Type.Object({
  response_type: Type.Union([Type.Literal('ephemeral'), Type.Literal('in_channel')]),
  text: Type.String(),
  goto_location: Nullable(Type.String()),
  props: Type.Record(Type.String(), Type.Unknown()),
  post: Nullable(PostSchema),
  ephemeral: Nullable(EphemeralPostSchema),
});

export const CommandSchema = Type.Object({
  id: Id,
  team_id: Id,
  creator_id: Id,
  trigger: Type.String(),
  url: Type.String(),
  method: Method,
  token: Type.Optional(Type.String({ description: 'Sent as `token` with every request: the service checks it. Shown once: in the answers of create and regen_token only' })),
  auto_complete: Type.Boolean(),
  auto_complete_hint: Type.String(),
  auto_complete_desc: Type.String(),
  display_name: Type.String(),
  description: Type.String(),
  created_at: Millis,
  updated_at: Millis,
});

const fields = {
  trigger: Type.String({ maxLength: 129 }),
  url: Type.String({ maxLength: 1024 }),
  method: Type.Optional(Method),
  auto_complete: Type.Optional(Type.Boolean()),
  auto_complete_hint: Type.Optional(Type.String({ maxLength: 1024 })),
  auto_complete_desc: Type.Optional(Type.String({ maxLength: 1024 })),
  display_name: Type.Optional(Type.String({ maxLength: 64 })),
  description: Type.Optional(Type.String({ maxLength: 1024 })),
};

export function commandRoutes(app: App, deps: HttpDeps): void {
  const { commands } = deps.services;

  app.post('/api/v1/commands/execute', {
    schema: {
      tags: ['commands'],
      summary: 'Run a slash command in a channel I am a member of: a built-in (/help lists them) or one of the team\'s custom commands. An ephemeral answer goes to my own connections only (ephemeral_message) and is never stored',
      body: Body({ channel_id: Id, command: Type.String({ minLength: 1, maxLength: MAX_COMMAND_LENGTH }), team_id: Type.Optional(Id), confirm_channel_mention: Type.Optional(Type.Boolean({ description: 'As for a post: what the command posts may notify a large channel (@channel, @all, @here); without it such a post is a 409 CHANNEL_MENTION_CONFIRM_REQUIRED' })) }),
      response: { 200: CommandResultSchema, ...errors(400, 401, 403, 404, 409, 422, 429, 503) },
    },
  }, async (req) => commands.execute(callCtx(req), req.body));

  app.get('/api/v1/commands/autocomplete', {
    schema: {
      tags: ['commands'], summary: 'The commands the composer offers: built-ins and the team\'s custom commands, with their hints',
      querystring: Type.Object({ team_id: Type.Optional(Id) }),
      response: { 200: Type.Array(Type.Object({ trigger: Type.String(), hint: Type.String(), description: Type.String(), source: Type.Union([Type.Literal('builtin'), Type.Literal('custom')]) })), ...errors(400, 401, 404) },
    },
  }, async (req) => commands.autocomplete(callCtx(req), req.query.team_id));

  app.post('/api/v1/commands', {
    schema: {
      tags: ['commands'], summary: 'Register a custom slash command for a team (RUSTCHAT_CUSTOM_COMMAND_CREATORS: team admins, or any member)',
      body: Body({ team_id: Id, ...fields }),
      response: { 201: CommandSchema, ...errors(400, 401, 403, 404, 409, 422) },
    },
  }, async (req, reply) => {
    const { team_id, ...input } = req.body;
    return reply.code(201).send(await commands.create(callCtx(req), team_id, input));
  });

  app.get('/api/v1/commands', {
    schema: {
      tags: ['commands'], summary: 'A team\'s custom commands I manage (all of them for team and system admins)',
      querystring: Type.Object({ team_id: Id }),
      response: { 200: Type.Array(CommandSchema), ...errors(400, 401, 404) },
    },
  }, async (req) => commands.list(callCtx(req), req.query.team_id));

  app.get('/api/v1/commands/:id', {
    schema: { tags: ['commands'], summary: 'A custom command I manage', params: IdParams, response: { 200: CommandSchema, ...errors(401, 404) } },
  }, async (req) => commands.get(callCtx(req), req.params.id));

  app.patch('/api/v1/commands/:id', {
    schema: {
      tags: ['commands'], summary: 'Change a custom command', params: IdParams,
      body: Body({ ...fields, trigger: Type.Optional(fields.trigger), url: Type.Optional(fields.url) }),
      response: { 200: CommandSchema, ...errors(400, 401, 404, 409, 422) },
    },
  }, async (req) => commands.update(callCtx(req), req.params.id, req.body));

  app.post('/api/v1/commands/:id/regen_token', {
    schema: { tags: ['commands'], summary: 'Give a custom command a new token (the old one stops being sent)', params: IdParams, response: { 200: CommandSchema, ...errors(401, 404) } },
  }, async (req) => commands.regenerateToken(callCtx(req), req.params.id));

  app.delete('/api/v1/commands/:id', {
    schema: { tags: ['commands'], summary: 'Delete a custom command', params: IdParams, response: { 200: Ok, ...errors(401, 404) } },
  }, async (req) => {
    await commands.delete(callCtx(req), req.params.id);
    return { status: 'ok' as const };
  });

  // A custom command's delayed answers: the signed URL is the credential (no session).
  app.post('/hooks/commands/:token', {
    bodyLimit: 64 * 1024,
    config: { public: true },
    schema: {
      tags: ['commands'],
      security: [],
      summary: 'A custom command\'s delayed answer through the response_url it was given (30 minutes; Mattermost\'s format: text, response_type, props, goto_location). Decided again as the caller: still active, still allowed to post in the channel',
      params: Type.Object({ token: Type.String({ maxLength: 1200 }) }),
      response: { 200: CommandResultSchema, ...errors(400, 403, 404, 413, 415, 429, 503) },
    },
  }, async (req) => commands.respond({ ip: req.clientIp, requestId: req.id }, req.params.token, req.body));
}
