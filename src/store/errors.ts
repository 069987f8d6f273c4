/**
 * Store-level errors, independent of the database driver. The store throws only these (or
 * the driver's own errors for a broken database); services turn them into domain errors, so
 * nothing under store/ knows about HTTP statuses or error codes.
 */
export class UniqueViolation extends Error {
  constructor(readonly constraint: string, cause: unknown) {
    super(`unique constraint violated: ${constraint}`, { cause });
    this.name = 'UniqueViolation';
  }
}

/** A row the write depends on is gone (for example a post's channel, deleted after the caller's check). */
export class NotFound extends Error {
  constructor(readonly entity: string, cause?: unknown) {
    super(`${entity} not found`, cause === undefined ? undefined : { cause });
    this.name = 'NotFound';
  }
}

interface DriverError {
  code?: unknown;
  constraint?: unknown;
  message?: unknown;
}

/** Recognises a unique-key violation from better-sqlite3 or pg and names the constraint/columns. */
export function asUniqueViolation(err: unknown): UniqueViolation | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as DriverError;
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // "UNIQUE constraint failed: users.email"
    const m = /failed: (.+)$/.exec(String(e.message));
    return new UniqueViolation(m?.[1] ?? 'unknown', err);
  }
  if (e.code === '23505') return new UniqueViolation(typeof e.constraint === 'string' ? e.constraint : 'unknown', err);
  return undefined;
}

/** Runs a write, rethrowing a driver unique-key error as UniqueViolation. */
export async function unique<T>(op: Promise<T>): Promise<T> {
  try {
    return await op;
  } catch (err) {
    throw asUniqueViolation(err) ?? err;
  }
}

/** True for a foreign-key violation from better-sqlite3 or pg (a referenced row is missing). */
export function isForeignKeyViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as DriverError).code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}

/**
 * The database cannot be reached or cannot take work right now (connection refused or lost,
 * server shutting down, pool timeout, SQLite busy or failing I/O). Nothing about the request
 * is wrong: the same request may succeed in a moment.
 */
export class Unavailable extends Error {
  constructor(cause: unknown) {
    super('database unavailable', { cause });
    this.name = 'Unavailable';
  }
}

/** Socket errors of a lost or refused connection (Node's net and dns). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * PostgreSQL SQLSTATEs of a server that is going away or not taking connections (class 08 is
 * matched as a class), and 57014: a statement cancelled by the statement timeout
 * (RUSTCHAT_DATABASE_STATEMENT_TIMEOUT_MS: a lock held too long, an overloaded server, or a
 * query that is always too slow — logged as an error, see isStatementTimeout).
 */
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
/** `pg` and `pg-pool` report a dropped connection or a pool wait that timed out with a message only, no code. */
const PG_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable)/;

/** True for PostgreSQL's "canceling statement due to statement timeout" (57014). */
export function isStatementTimeout(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as DriverError).code === '57014';
}

/** Recognises a driver error meaning "the database is unavailable" (see Unavailable); undefined for any other error. */
export function asUnavailable(err: unknown): Unavailable | undefined {
  if (err instanceof Unavailable) return err;
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as DriverError & { errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (NETWORK_CODES.has(code) || PG_UNAVAILABLE.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return new Unavailable(err);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_IOERR')) return new Unavailable(err);
  if (code === '' && typeof e.message === 'string' && PG_MESSAGES.test(e.message)) return new Unavailable(err);
  // A connect to a host with several addresses fails with an AggregateError of the attempts.
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((x) => asUnavailable(x) !== undefined)) return new Unavailable(err);
  return undefined;
}
