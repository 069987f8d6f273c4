/**
 * The one error renderer: domain errors keep their code and message, framework errors map
 * to the 4xx they mean, everything else is a generic 500 (logged with the request id, never
 * shown to the client).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, RateLimitedError, type ErrorCode } from '../domain/errors.js';
import type { SecurityEvents } from '../security/events.js';
import { refuseRateLimited, type LimitDecision, type RateLimitRefusal } from '../security/rate-limit.js';
import { domainError, isStatementTimeout } from '../services/store-errors.js';

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'BAD_REQUEST',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'VALIDATION_ERROR',
  429: 'RATE_LIMIT_EXCEEDED',
};

const FRAMEWORK_MESSAGES: Record<string, [number, string]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'Unsupported Content-Type: send application/json'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'Request body is too large'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'Content-Length does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'Request body is empty'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'Malformed JSON body'],
  FST_ERR_BAD_URL: [400, 'Malformed URL'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'A path segment of the URL is too long'],
  FST_ERR_ASYNC_CONSTRAINT: [400, 'Bad request'],
};

export interface ErrorBody {
  error: { code: string; message: string; request_id: string; [k: string]: unknown };
}

/** The one error envelope, for HTTP responses and WebSocket handshake refusals alike. */
export function errorEnvelope(code: string, message: string, requestId: string, details?: Readonly<Record<string, unknown>>): ErrorBody {
  return { error: { code, message, ...(details ?? {}), request_id: requestId } };
}

export function errorBody(req: FastifyRequest, code: ErrorCode, message: string, details?: Readonly<Record<string, unknown>>): ErrorBody {
  return errorEnvelope(code, message, req.id, details);
}

/** Sends the one 429 answer, with its event (security/rate-limit.ts). */
export function sendRateLimited(
  reply: FastifyReply, security: SecurityEvents, decision: Pick<LimitDecision, 'limit' | 'resetAt' | 'retryAfter'>, who: RateLimitRefusal,
): FastifyReply {
  const answer = refuseRateLimited(security, decision, who);
  return reply.code(answer.status).headers(answer.headers).type('application/json').send(answer.body);
}

/** What an error means to the client: its status and envelope fields (a 5xx cause and an unknown error are logged here). */
export interface ErrorAnswer {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The one mapping from a thrown error to its answer: domain errors keep their code and message,
 * framework errors map to the 4xx they mean, anything else is a 500 (logged with the request id).
 * A rate-limit refusal is returned as is: it is answered by sendRateLimited (headers, event).
 */
export function classifyError(thrown: FastifyError | Error, req: FastifyRequest): ErrorAnswer | RateLimitedError {
  const err = domainError(thrown) as FastifyError | Error;
  if (err instanceof RateLimitedError) return err;
  if (err instanceof AppError) {
    // A dependency failure (the database down) keeps the driver's error as its cause: log it, the client sees only the envelope.
    // A statement cancelled by the statement timeout is an error, not a blip: a query that is
    // always too slow (a missing index) would otherwise hide among outage warnings.
    if (err.status >= 500 && err.cause !== undefined) {
      if (isStatementTimeout(err.cause)) req.log.error({ err: err.cause, request_id: req.id }, 'database statement timed out (RUSTCHAT_DATABASE_STATEMENT_TIMEOUT_MS)');
      else req.log.warn({ err: err.cause, request_id: req.id }, err.message);
    }
    return { status: err.status, code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) };
  }
  const fe = err as FastifyError;
  if (fe.validation) return { status: 400, code: 'BAD_REQUEST', message: `Invalid request: ${fe.message}` };
  const known = fe.code ? FRAMEWORK_MESSAGES[fe.code] : undefined;
  if (known) return { status: known[0], code: BY_STATUS[known[0]] ?? 'BAD_REQUEST', message: known[1] };
  // JSON syntax and prototype-pollution refusals from the body parser.
  if (err instanceof SyntaxError || (fe.statusCode === 400 && /JSON|prototype|constructor/i.test(fe.message))) {
    return { status: 400, code: 'BAD_REQUEST', message: 'Malformed JSON body' };
  }
  const status = fe.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const code = BY_STATUS[status] ?? 'BAD_REQUEST';
    return { status, code, message: code === 'BAD_REQUEST' ? 'Bad request' : code.toLowerCase().replace(/_/g, ' ') };
  }
  req.log.error({ err, request_id: req.id }, 'unhandled error');
  return { status: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' };
}

export function renderError(thrown: FastifyError | Error, req: FastifyRequest, reply: FastifyReply, security: SecurityEvents): FastifyReply {
  const answer = classifyError(thrown, req);
  if (answer instanceof RateLimitedError) {
    return sendRateLimited(reply, security, answer, { ip: req.clientIp, requestId: req.id, limiter: answer.limiter, userId: answer.userId });
  }
  if (answer.status === 503 && typeof answer.details?.retry_after === 'number') void reply.header('Retry-After', String(answer.details.retry_after));
  return reply.code(answer.status).type('application/json').send(errorBody(req, answer.code, answer.message, answer.details));
}
