/**
 * Webhooks. `/api/v1/hooks/incoming` and `/api/v1/hooks/outgoing`: manage them (Mattermost's
 * fields), decided in WebhookService through Access. `POST /hooks/{token}`: run an incoming
 * webhook, Slack's way: no session (the token in the URL is the credential), a JSON body or a
 * form with a `payload` field holding the JSON, at most INCOMING_BODY_BYTES (413 beyond), the
 * answer `ok` as text/plain as Slack and Mattermost answer it (errors keep the JSON envelope).
 */
import { Type } from 'typebox';
import { badRequest } from '../../domain/errors.js';
import { INCOMING_BODY_BYTES } from '../../services/webhooks.js';
import type { HttpDeps } from '../server.js';
import { Body, errors, Id, IdParams, Millis, Nullable, Ok } from '../schemas.js';
import { callCtx, type App } from '../types.js';

const Name = Type.String({ maxLength: 64 });
const Description = Type.String({ maxLength: 500 });

const IncomingSchema = Type.Object({
  id: Id, channel_id: Id, team_id: Id, creator_id: Id, display_name: Type.String(), description: Type.String(), channel_locked: Type.Boolean(), created_at: Millis, updated_at: Millis,
});
const IncomingCreated = Type.Intersect([IncomingSchema, Type.Object({ token: Type.String({ description: 'Shown once' }), url: Type.String({ description: 'The URL to POST to (shown once)' }) })]);

const OutgoingSchema = Type.Object({
  id: Id, team_id: Id, channel_id: Nullable(Id), creator_id: Id, display_name: Type.String(), description: Type.String(),
  trigger_words: Type.Array(Type.String()), trigger_when: Type.Integer(), callback_urls: Type.Array(Type.String()), content_type: Type.String(),
  created_at: Millis, updated_at: Millis,
});
const OutgoingCreated = Type.Intersect([OutgoingSchema, Type.Object({ token: Type.String({ description: 'Sent with every callback; shown once' }) })]);

const DeliverySchema = Type.Object({ id: Id, url: Type.String(), attempt: Type.Integer(), status: Nullable(Type.Integer()), error: Nullable(Type.String()), duration_ms: Type.Integer(), created_at: Millis });

const ListQuery = Type.Object({
  team_id: Type.Optional(Id),
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

const IncomingFields = {
  display_name: Type.Optional(Name),
  description: Type.Optional(Description),
  channel_locked: Type.Optional(Type.Boolean({ description: 'Refuse the payload\'s `channel` override' })),
};

const OutgoingFields = {
  channel_id: Type.Optional(Nullable(Id)),
  display_name: Type.Optional(Name),
  description: Type.Optional(Description),
  trigger_words: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 20 })),
  trigger_when: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)], { description: '0: the first word is a trigger word; 1: the message starts with one' })),
  callback_urls: Type.Optional(Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 10 })),
  content_type: Type.Optional(Type.String({ maxLength: 64, description: 'application/json (default) or application/x-www-form-urlencoded' })),
};

export function webhookRoutes(app: App, deps: HttpDeps): void {
  const { webhooks } = deps.services;

  // ---- incoming ----
  app.post('/api/v1/hooks/incoming', {
    schema: {
      tags: ['webhooks'], summary: 'Create an incoming webhook in a channel you may post in (the token and URL are shown once)',
      body: Body({ channel_id: Id, ...IncomingFields }), response: { 201: IncomingCreated, ...errors(400, 401, 403, 404, 422, 503) },
    },
  }, async (req, reply) => reply.code(201).send(await webhooks.createIncoming(callCtx(req), req.body)));

  app.get('/api/v1/hooks/incoming', {
    schema: { tags: ['webhooks'], summary: 'Your incoming webhooks (a system admin: everyone\'s)', querystring: ListQuery, response: { 200: Type.Array(IncomingSchema), ...errors(400, 401, 503) } },
  }, async (req) => webhooks.listIncoming(callCtx(req), req.query.team_id, req.query.page, req.query.per_page));

  app.get('/api/v1/hooks/incoming/:id', {
    schema: { tags: ['webhooks'], summary: 'An incoming webhook (its creator or a system admin)', params: IdParams, response: { 200: IncomingSchema, ...errors(401, 404, 503) } },
  }, async (req) => webhooks.getIncoming(callCtx(req), req.params.id));

  app.put('/api/v1/hooks/incoming/:id', {
    schema: {
      tags: ['webhooks'], summary: 'Change an incoming webhook (its creator or a system admin; a new channel must be one you may post in)', params: IdParams,
      body: Body({ channel_id: Type.Optional(Id), ...IncomingFields }), response: { 200: IncomingSchema, ...errors(400, 401, 403, 404, 422, 503) },
    },
  }, async (req) => webhooks.updateIncoming(callCtx(req), req.params.id, req.body));

  app.delete('/api/v1/hooks/incoming/:id', {
    schema: { tags: ['webhooks'], summary: 'Delete an incoming webhook (its creator or a system admin)', params: IdParams, response: { 200: Ok, ...errors(401, 404, 503) } },
  }, async (req) => {
    await webhooks.deleteIncoming(callCtx(req), req.params.id);
    return { status: 'ok' as const };
  });

  app.post('/api/v1/hooks/incoming/:id/regen_token', {
    schema: { tags: ['webhooks'], summary: 'A new secret URL for an incoming webhook (the old one stops working; shown once)', params: IdParams, response: { 200: IncomingCreated, ...errors(401, 404, 503) } },
  }, async (req) => webhooks.regenerateIncoming(callCtx(req), req.params.id));

  // ---- outgoing ----
  app.post('/api/v1/hooks/outgoing', {
    schema: {
      tags: ['webhooks'], summary: 'Create an outgoing webhook in a team you belong to (the token is shown once)',
      body: Body({ team_id: Id, ...OutgoingFields }), response: { 201: OutgoingCreated, ...errors(400, 401, 403, 404, 422, 503) },
    },
  }, async (req, reply) => reply.code(201).send(await webhooks.createOutgoing(callCtx(req), req.body)));

  app.get('/api/v1/hooks/outgoing', {
    schema: { tags: ['webhooks'], summary: 'Your outgoing webhooks (a system admin: everyone\'s)', querystring: ListQuery, response: { 200: Type.Array(OutgoingSchema), ...errors(400, 401, 503) } },
  }, async (req) => webhooks.listOutgoing(callCtx(req), req.query.team_id, req.query.page, req.query.per_page));

  app.get('/api/v1/hooks/outgoing/:id', {
    schema: { tags: ['webhooks'], summary: 'An outgoing webhook (its creator or a system admin)', params: IdParams, response: { 200: OutgoingSchema, ...errors(401, 404, 503) } },
  }, async (req) => webhooks.getOutgoing(callCtx(req), req.params.id));

  app.put('/api/v1/hooks/outgoing/:id', {
    schema: {
      tags: ['webhooks'], summary: 'Change an outgoing webhook (its creator or a system admin)', params: IdParams,
      body: Body({ team_id: Type.Optional(Id), ...OutgoingFields }), response: { 200: OutgoingSchema, ...errors(400, 401, 403, 404, 422, 503) },
    },
  }, async (req) => webhooks.updateOutgoing(callCtx(req), req.params.id, req.body));

  app.delete('/api/v1/hooks/outgoing/:id', {
    schema: { tags: ['webhooks'], summary: 'Delete an outgoing webhook and its delivery log (its creator or a system admin)', params: IdParams, response: { 200: Ok, ...errors(401, 404, 503) } },
  }, async (req) => {
    await webhooks.deleteOutgoing(callCtx(req), req.params.id);
    return { status: 'ok' as const };
  });

  app.post('/api/v1/hooks/outgoing/:id/regen_token', {
    schema: { tags: ['webhooks'], summary: 'A new token for an outgoing webhook (shown once)', params: IdParams, response: { 200: OutgoingCreated, ...errors(401, 404, 503) } },
  }, async (req) => webhooks.regenerateOutgoing(callCtx(req), req.params.id));

  app.get('/api/v1/hooks/outgoing/:id/deliveries', {
    schema: { tags: ['webhooks'], summary: 'The last delivery attempts of an outgoing webhook, newest first (its creator or a system admin)', params: IdParams, response: { 200: Type.Array(DeliverySchema), ...errors(401, 404, 503) } },
  }, async (req) => webhooks.deliveries(callCtx(req), req.params.id));

  // ---- executing an incoming webhook ----
  // In a scope of its own: only this route reads form bodies.
  void app.register(async (scope) => {
    const json = scope.getDefaultJsonParser('error', 'error');
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
      const payload = new URLSearchParams(body as string).get('payload');
      if (payload === null || payload.trim() === '') {
        done(badRequest('A form body must carry the JSON payload in its "payload" field'), undefined);
        return;
      }
      void json(req, payload, done);
    });
    scope.post('/hooks/:token', {
      bodyLimit: INCOMING_BODY_BYTES,
      config: { public: true },
      schema: {
        tags: ['webhooks'],
        security: [],
        summary: 'Run an incoming webhook (Slack/Mattermost payload: text, channel, username, icon_url, attachments, props), as JSON or as a form field "payload"',
        params: Type.Object({ token: Type.String({ maxLength: 128 }) }),
        consumes: ['application/json', 'application/x-www-form-urlencoded'],
        response: { 200: Type.String({ description: 'ok (text/plain)' }), ...errors(400, 403, 404, 413, 415, 422, 429, 503) },
      },
    }, async (req, reply) => {
      if (req.body === undefined) throw badRequest('The request has no payload');
      await webhooks.executeIncoming({ ip: req.clientIp, requestId: req.id }, (req.params as { token: string }).token, req.body);
      return reply.type('text/plain; charset=utf-8').send('ok');
    });
  });
}
