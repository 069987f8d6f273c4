/** Store-level errors, independent of the database driver. Services turn them into domain errors. */
export class UniqueViolation extends Error {
  constructor(readonly constraint: string, cause: unknown) {
    super(`unique constraint violated: ${constraint}`, { cause });
    this.name = 'UniqueViolation';
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
