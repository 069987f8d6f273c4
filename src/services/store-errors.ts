/**
 * The store errors that mean the same on every path: a database outage is a 503 whatever
 * the operation. The HTTP error renderer passes every error through here first, so no service
 * has to catch it. Store errors whose meaning depends on the operation (UniqueViolation: "that
 * name is taken"; NotFound: which thing is missing, and whether the caller may know) are
 * mapped by the service that called the store; one that reaches the renderer unmapped is a
 * bug and stays a logged 500.
 */
import { AppError, unavailable } from '../domain/errors.js';
import { StorageUnavailable } from '../storage/blob-storage.js';
import { asUnavailable } from '../store/errors.js';

export { isStatementTimeout } from '../store/errors.js';

/**
 * How long a client should wait before retrying while the database is unavailable: long
 * enough not to hammer a recovering database, short enough that a blip (a failover, a
 * restart) costs users a few seconds. The pool reconnects on the next request by itself.
 */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export function domainError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  const down = asUnavailable(err);
  if (down !== undefined) {
    const e = unavailable('The service is temporarily unavailable. Please try again shortly.', DATABASE_RETRY_AFTER_SECONDS);
    // The driver's error, for the log (the renderer logs a 5xx with a cause); the client sees only the envelope.
    return Object.assign(e, { cause: down.cause });
  }
  if (err instanceof StorageUnavailable) {
    // File storage (disk or S3) down: nothing was written (uploads store before they record).
    return Object.assign(unavailable('File storage is temporarily unavailable. Please try again shortly.', DATABASE_RETRY_AFTER_SECONDS), { cause: err });
  }
  return err;
}
