export interface PasswordResetToken {
  readonly token_hash: string;
  readonly user_id: string;
  readonly created_at: number;
  readonly expires_at: number;
  readonly used_at: number | null;
}

/** Password-reset tokens, by the SHA-256 hash of the token (the token is only in the e-mail). */
export interface PasswordResetStore {
  create(token: PasswordResetToken): Promise<void>;
  /** A live token: unused and not expired at `now`. */
  getLive(tokenHash: string, now: number): Promise<PasswordResetToken | undefined>;
  /**
   * Uses a live token in one conditional UPDATE: of concurrent callers exactly one gets the
   * user id, the others (and any later one) undefined.
   */
  use(tokenHash: string, now: number): Promise<string | undefined>;
  /** Marks every unused token of the user used (after a reset or a password change). */
  useAllForUser(userId: string, now: number): Promise<void>;
  /**
   * Stores the token unless `max` or more were issued to its user since `since` (the
   * per-account mail throttle); true when stored. Call it inside a transaction: on
   * PostgreSQL the user row is locked first, so concurrent calls count one after another.
   */
  issue(token: PasswordResetToken, since: number, max: number): Promise<boolean>;
}
