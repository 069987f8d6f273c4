/**
 * The start of the Mattermost API v4 compatibility layer (../shared/docs/mattermost-wire.md):
 * the conventions Mattermost's own clients depend on, and the first routes on them.
 *
 * Conventions (every /api/v4 route, and routes added here later):
 * - A JSON answer's Content-Type is exactly `application/json` (the official client parses a
 *   body as JSON only then);
 * - errors are Mattermost's envelope `{id, message, detailed_error, request_id, status_code}`
 *   with the status our own envelope would have (errors.ts classifyError decides both), also
 *   for refusals raised before the route runs (origin, authentication) and for 405s;
 * - an /api/v4 path we do not serve answers 501 `api.route.not_implemented.app_error`
 *   (server.ts's not-found handler), so a client can tell "not built" from "not found".
 * Authentication is the server's one path (server.ts onRequest): `Authorization: BEARER <token>`
 * (the scheme case-insensitively), the same sessions, limits and events as /api/v1.
 *
 * Routes: `GET /api/v4/system/ping` (public) and `PUT /api/v4/users/sessions/device`, by which
 * the Mattermost mobile app registers its phone's push token with its session (the same
 * service as `PUT /api/v1/users/me/sessions/device`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { RateLimitedError } from '../../domain/errors.js';
import { classifyError, sendRateLimited } from '../errors.js';
import type { SecurityEvents } from '../../security/events.js';
import type { HttpDeps } from '../server.js';
import { Body } from '../schemas.js';
import { callCtx, type App } from '../types.js';

/** Mattermost's error ids for our statuses (clients branch on a few of them, 401 above all). */
const ERROR_IDS: Readonly<Record<number, string>> = {
  400: 'api.context.invalid_body_param.app_error',
  401: 'api.context.session_expired.app_error',
  403: 'api.context.permissions.app_error',
  404: 'app.route.not_found.app_error',
  413: 'api.context.request_body_too_large.app_error',
  415: 'api.context.invalid_body_param.app_error',
  422: 'api.context.invalid_body_param.app_error',
  503: 'api.context.server_unavailable.app_error',
};

export interface MattermostError {
  readonly id: string;
  readonly message: string;
  readonly detailed_error: string;
  readonly request_id: string;
  readonly status_code: number;
}

export function mattermostError(id: string, message: string, requestId: string, status: number): MattermostError {
  return { id, message, detailed_error: '', request_id: requestId, status_code: status };
}

/** An /api/v4 path this server does not serve (yet): 501, so that clients know it is missing rather than gone. */
export function notImplemented(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.code(501).type('application/json')
    .send(mattermostError('api.route.not_implemented.app_error', 'This API route is not implemented by this server.', req.id, 501));
}

export const MATTERMOST_PREFIX = '/api/v4/';

/**
 * Every /api/v4 answer (routes, 501s, 429s, errors raised before a route ran): a JSON body's
 * Content-Type is exactly `application/json`. Fastify adds `; charset=utf-8`, after which the
 * official client no longer parses the body. Called by the server's onSend hook.
 */
export function exactJsonType(req: FastifyRequest, reply: FastifyReply): void {
  if (req.url.startsWith(MATTERMOST_PREFIX) && /^application\/json\s*;/i.test(String(reply.getHeader('content-type') ?? ''))) void reply.header('content-type', 'application/json');
}

/**
 * An error on an /api/v4 path, in Mattermost's envelope: the route's own errors and those raised
 * before it ran (an origin refusal, authentication). Called by the server's one error handler.
 */
export function renderMattermostError(err: Error, req: FastifyRequest, reply: FastifyReply, security: SecurityEvents): FastifyReply {
  const answer = classifyError(err, req);
  if (answer instanceof RateLimitedError) {
    return sendRateLimited(reply, security, answer, { ip: req.clientIp, requestId: req.id, limiter: answer.limiter, userId: answer.userId });
  }
  if (answer.status === 503 && typeof answer.details?.retry_after === 'number') void reply.header('Retry-After', String(answer.details.retry_after));
  const id = ERROR_IDS[answer.status] ?? (answer.status >= 500 ? 'app.internal_error.app_error' : 'api.context.invalid_param.app_error');
  return reply.code(answer.status).type('application/json').send(mattermostError(id, answer.message, req.id, answer.status));
}

/** An /api/v4 path asked with a method it does not answer: 405 with Allow, in Mattermost's envelope. */
export function methodNotAllowed(req: FastifyRequest, reply: FastifyReply, allow: readonly string[]): FastifyReply {
  return reply.code(405).header('Allow', allow.join(', ')).type('application/json')
    .send(mattermostError('api.context.method_not_allowed.app_error', `Method ${req.method} not allowed here`, req.id, 405));
}

export async function mattermostRoutes(app: App, deps: HttpDeps): Promise<void> {
  await app.register(async (v4: App) => {
    v4.get('/api/v4/system/ping', {
      config: { public: true },
      schema: { tags: ['mattermost'], summary: 'Mattermost v4: is the server up (`{"status":"OK"}`)', response: { 200: Type.Object({ status: Type.Literal('OK') }) } },
    }, async () => ({ status: 'OK' as const }));

    v4.put('/api/v4/users/sessions/device', {
      schema: {
        tags: ['mattermost'],
        summary: 'Mattermost v4: register the phone of this session for push notifications (`device_id` `<platform>:<token>`, as the Mattermost mobile app sends it)',
        body: Body({
          device_id: Type.String({ minLength: 3, maxLength: 1100 }),
          // Sent by the app alongside; not used (yet): whether the phone has notifications off, and the app's version.
          device_notification_disabled: Type.Optional(Type.String({ maxLength: 16 })),
          mobile_version: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: { 200: Type.Object({ status: Type.Literal('OK') }) },
      },
    }, async (req) => {
      await deps.services.push.registerDevice(callCtx(req), req.body.device_id);
      return { status: 'OK' as const };
    });
  });
}
