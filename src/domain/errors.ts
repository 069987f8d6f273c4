/**
 * Domain errors: a stable code and an HTTP status. The HTTP error renderer turns these into
 * the JSON envelope; anything else becomes a generic 500.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  /** @channel/@all/@here in a big channel: send again with `confirm_channel_mention: true`. */
  | 'CHANNEL_MENTION_CONFIRM_REQUIRED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'VALIDATION_ERROR'
  | 'RATE_LIMIT_EXCEEDED'
  | 'INTERNAL_ERROR'
  | 'SERVICE_UNAVAILABLE';

const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  CHANNEL_MENTION_CONFIRM_REQUIRED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_ERROR: 422,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
};

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra fields for the error envelope (e.g. `field`, `retry_after`). */
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = STATUS[code];
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>): AppError => new AppError('BAD_REQUEST', message, details);
export const unauthorized = (message = 'Authentication required'): AppError => new AppError('UNAUTHORIZED', message);
export const forbidden = (message = 'You do not have permission to do that'): AppError => new AppError('FORBIDDEN', message);
export const notFound = (what = 'Resource'): AppError => new AppError('NOT_FOUND', `${what} not found`);
export const conflict = (message: string, details?: Record<string, unknown>): AppError => new AppError('CONFLICT', message, details);
export const invalid = (field: string, message: string): AppError => new AppError('VALIDATION_ERROR', message, { field });
/** A dependency (the database) is down for now; the client should retry after `retryAfter` seconds (sent as Retry-After). */
export const unavailable = (message: string, retryAfter: number): AppError => new AppError('SERVICE_UNAVAILABLE', message, { retry_after: retryAfter });

/**
 * A rate-limit refusal raised inside a service; the HTTP layer renders the exact 429 of
 * security contract §5 and emits its event (security/rate-limit.ts `refuseRateLimited`), so
 * it carries what the event needs.
 */
export class RateLimitedError extends AppError {
  constructor(
    readonly limit: number,
    readonly resetAt: number,
    readonly retryAfter: number,
    readonly limiter: string,
    readonly userId?: string,
  ) {
    super('RATE_LIMIT_EXCEEDED', 'Too many requests. Please try again later.', { retry_after: retryAfter });
    this.name = 'RateLimitedError';
  }
}
