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
