/**
 * Accounts: password login, profile, password change and the admin verbs on
 * users. Login answers the same (status, body and time) for an unknown user, a wrong
 * password, a deactivated account and an SSO-only account.
 */
import { randomUUID } from 'node:crypto';
import type { Session, SystemRole, User } from '../domain/entities.js';
import { AppError, RateLimitedError, conflict, invalid, notFound, unauthorized } from '../domain/errors.js';
import { checkPassword } from '../domain/password-policy.js';
import { userCan } from '../domain/policy.js';
import { statusExpired, userView, type UserView } from '../domain/presenters.js';
import { validateDisplayName, validateEmail, validateText, validateUsername } from '../domain/rules.js';
import { UniqueViolation } from '../store/errors.js';
import type { AuditEntry, Tx, UserPatch } from '../store/store.js';
import { hashPassword, verifyOrDummy } from '../security/passwords.js';
import type { RateLimits } from '../security/rate-limit.js';
import type { Access } from './access.js';
import type { AnonymousContext, CallContext, PresenceReader, ServiceDeps } from './context.js';
import { clampPage } from './context.js';
import type { SessionService, StartedSession } from './sessions.js';

export interface RegisterInput {
  readonly username: string;
  readonly email: string;
  readonly password: string;
  readonly display_name?: string | undefined;
}

export interface ProfilePatch {
  readonly username?: string | undefined;
  readonly email?: string | undefined;
  readonly current_password?: string | undefined;
  readonly display_name?: string | undefined;
  readonly first_name?: string | undefined;
  readonly last_name?: string | undefined;
  readonly nickname?: string | undefined;
  readonly position?: string | undefined;
  readonly status_text?: string | undefined;
  readonly status_emoji?: string | undefined;
  /** When the custom status ends (a future time, at most a year ahead); null: never. */
  readonly status_expires_at?: number | null | undefined;
  readonly timezone?: string | undefined;
}

export interface SignedIn {
  readonly started: StartedSession;
  readonly user: User;
}

const INVALID_LOGIN = 'Invalid email or password';

function uniqueToConflict(err: unknown): never {
  if (err instanceof UniqueViolation) {
    const field = err.constraint.includes('email') ? 'email' : 'username';
    throw conflict(`That ${field === 'email' ? 'e-mail address' : 'username'} is already taken`, { field });
  }
  throw err;
}

export class AccountService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly sessions: SessionService,
    private readonly access: Access,
    private readonly limits: RateLimits,
    private readonly presence: PresenceReader,
  ) {}

  view(user: User, viewer: { userId: string; role: SystemRole }, presence?: UserView['presence']): UserView {
    return userView(user, { showEmail: userCan(viewer, 'see_email', { user }), now: this.deps.clock(), ...(presence ? { presence } : {}) });
  }

  /**
   * Ends custom statuses that have expired among `users` (as read): the row is emptied and
   * `user_updated` sent, once (the conditional update decides who sends it). The views already
   * show an expired status as empty; this makes the store and everyone's clients agree.
   */
  async expireStatuses(users: readonly User[]): Promise<void> {
    const now = this.deps.clock();
    for (const user of users) if (statusExpired(user, now)) await this.expireStatus(user.id, now);
  }

  private async expireStatus(userId: string, now: number): Promise<void> {
    const channelIds = await this.deps.store.channels.channelIdsForUser(userId);
    await this.deps.store.write(async (tx) => {
      if (!(await tx.users.clearExpiredStatus(userId, now))) return;
      const user = await tx.users.get(userId);
      if (user !== undefined) this.publishUpdated(tx, user, channelIds);
    });
  }

  /** `user_updated` to the user and the members of their channels (the view without e-mail). */
  private publishUpdated(tx: Tx, user: User, channelIds: readonly string[]): void {
    const view = userView(user, { showEmail: false, now: this.deps.clock() });
    tx.publish({ event: 'user_updated', data: { user: view }, broadcast: { user_id: user.id, channel_ids: channelIds } });
  }

  /** One sweep: ends every custom status that has expired (so that people see it go without reading anything). */
  async sweepStatuses(): Promise<number> {
    const now = this.deps.clock();
    const ids = await this.deps.store.users.expiredStatuses(now, 500);
    for (const id of ids) await this.expireStatus(id, now);
    return ids.length;
  }

  /** Sweeps expired statuses every `intervalMs`; returns the stop function. */
  startStatusExpiry(intervalMs = 15_000): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.sweepStatuses()
        .catch((err: unknown) => this.deps.logger.warn({ err }, 'accounts: status expiry sweep failed; retrying at the next one'))
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async newUser(input: RegisterInput, role: SystemRole, emailVerified: boolean): Promise<User> {
    const username = validateUsername(input.username);
    const email = validateEmail(input.email);
    checkPassword(input.password, { username, email });
    const displayName = validateDisplayName('display_name', input.display_name ?? '', { allowEmpty: true });
    const now = this.deps.clock();
    const passwordHash = await hashPassword(input.password);
    return this.deps.store.users
      .create({
        id: randomUUID(), username, email, password_hash: passwordHash, display_name: displayName, first_name: '', last_name: '', nickname: '', position: '',
        avatar_url: null, avatar_key: null, is_bot: 0, role, status_text: '', status_emoji: '', timezone: '', email_verified: emailVerified ? 1 : 0, created_at: now, updated_at: now,
      })
      .catch(uniqueToConflict);
  }

  async login(login: string, password: string, ctx: AnonymousContext): Promise<SignedIn> {
    const user = await this.deps.store.users.getByLogin(login);
    const account = user?.id ?? `login:${login.trim().toLowerCase()}`;
    const gate = await this.limits.loginAllowed(account, ctx.ip);
    if (!gate.allowed) throw new RateLimitedError(gate.limit, gate.resetAt, gate.retryAfter, 'login_account', user?.id);
    const ok = await verifyOrDummy(user?.password_hash, password);
    if (!ok || user === undefined || user.deactivated_at !== null || user.is_bot === 1) {
      await this.limits.loginFailed(account, ctx.ip);
      this.deps.security.emit('login_failure', { ip: ctx.ip, requestId: ctx.requestId, userId: user?.id, reason: 'invalid_credentials' });
      throw unauthorized(INVALID_LOGIN);
    }
    await this.limits.loginSucceeded(account, ctx.ip);
    const started = await this.sessions.start(user, 'password', ctx);
    return { started, user };
  }

  async logout(ctx: CallContext): Promise<void> {
    await this.sessions.end(ctx.actor.sessionId, ctx.actor.userId, 'logout', ctx);
  }

  async me(ctx: CallContext): Promise<User> {
    const user = await this.deps.store.users.get(ctx.actor.userId);
    if (user === undefined) throw notFound('User');
    return user;
  }

  async updateProfile(ctx: CallContext, patch: ProfilePatch): Promise<User> {
    const current = await this.me(ctx);
    const set: { -readonly [K in keyof UserPatch]: UserPatch[K] } = {};
    if (patch.username !== undefined) set.username = validateUsername(patch.username);
    if (patch.email !== undefined) {
      const email = validateEmail(patch.email);
      if (email !== current.email) {
        // Changing the sign-in e-mail needs the password (when the account has one).
        if (current.password_hash !== null && !(await verifyOrDummy(current.password_hash, patch.current_password ?? ''))) {
          throw invalid('current_password', 'Enter your current password to change your e-mail address');
        }
        set.email = email;
        set.email_verified = 0;
      }
    }
    for (const key of ['display_name', 'first_name', 'last_name', 'nickname', 'position'] as const) {
      const v = patch[key];
      if (v !== undefined) set[key] = validateDisplayName(key, v, { allowEmpty: true });
    }
    if (patch.status_text !== undefined) set.status_text = validateText('status_text', patch.status_text.trim(), 100);
    if (patch.status_emoji !== undefined) set.status_emoji = validateText('status_emoji', patch.status_emoji.trim(), 64);
    if (patch.status_expires_at !== undefined) set.status_expires_at = validateStatusExpiry(patch.status_expires_at, this.deps.clock());
    // A status set without an expiry keeps none; clearing the status clears its expiry.
    else if (patch.status_text !== undefined || patch.status_emoji !== undefined) set.status_expires_at = null;
    if (patch.timezone !== undefined) set.timezone = validateTimezone(patch.timezone);
    const now = this.deps.clock();
    const channelIds = await this.deps.store.channels.channelIdsForUser(current.id);
    const user = await this.deps.store
      .transaction(async (tx) => {
        const updated = await tx.users.update(current.id, set, now);
        // Reset links sent to the old address must not work once it is no longer the account's.
        if (updated !== undefined && set.email !== undefined) await tx.passwordResets.useAllForUser(current.id, now);
        if (updated !== undefined) this.publishUpdated(tx, updated, channelIds);
        return updated;
      })
      .catch(uniqueToConflict);
    if (user === undefined) throw notFound('User');
    return user;
  }

  /** Changes the password and ends every session; the caller gets a fresh one. */
  async changePassword(ctx: CallContext & { userAgent: string }, currentPassword: string, newPassword: string): Promise<SignedIn> {
    const user = await this.me(ctx);
    if (!(await verifyOrDummy(user.password_hash, currentPassword))) {
      this.deps.security.emit('login_failure', { ip: ctx.ip, requestId: ctx.requestId, userId: user.id, reason: 'password_change_wrong_current' });
      throw invalid('current_password', 'Current password is not correct');
    }
    checkPassword(newPassword, { username: user.username, email: user.email });
    const hash = await hashPassword(newPassword);
    const now = this.deps.clock();
    // One transaction: a new password never coexists with the sessions it was meant to end.
    const revoked = await this.deps.store.transaction(async (tx) => {
      await tx.users.setPasswordHash(user.id, hash, now);
      // Reset links asked for before the change must not undo it.
      await tx.passwordResets.useAllForUser(user.id, now);
      return this.sessions.revokeAll(tx, user.id, now);
    });
    this.sessions.logRevoked(user.id, revoked, 'password_change', ctx);
    const started = await this.sessions.start(user, 'password', ctx);
    return { started, user };
  }

  /** My live sessions (for the "signed-in devices" list). */
  sessionsOf(ctx: CallContext): Promise<Session[]> {
    return this.deps.store.sessions.listActiveForUser(ctx.actor.userId, this.deps.clock());
  }

  /** Signs out one of the caller's own live sessions (anyone else's is a 404). */
  async endSession(ctx: CallContext, sessionId: string): Promise<void> {
    await this.access.session(ctx, sessionId);
    await this.sessions.end(sessionId, ctx.actor.userId, 'user_revoke', ctx);
  }

  // ---- users (any signed-in user) ----

  /** Anyone's profile (USER_POLICY.view), as the directory shows it. */
  async profile(ctx: CallContext, id: string): Promise<User> {
    return this.access.user(ctx, id, 'view');
  }

  async get(id: string): Promise<User> {
    const user = await this.deps.store.users.get(id);
    if (user === undefined) throw notFound('User');
    return user;
  }

  /** The directory: active users matching `q`, each one the caller may see (USER_POLICY.view, decided by Access). */
  async search(ctx: CallContext, q: string | undefined, page?: number, perPage?: number): Promise<User[]> {
    // E-mail addresses are searched only for callers who may see everyone's (USER_POLICY.see_email).
    return this.access.visibleUsers(ctx, await this.deps.store.users.search({ q, matchEmail: this.access.maySeeEveryEmail(ctx), ...clampPage(page, perPage) }), 'view');
  }

  async presenceOf(ids: readonly string[]): Promise<Map<string, UserView['presence']>> {
    return this.presence.presenceOf(ids);
  }

  /**
   * Presence of several users, decided like the directory (USER_POLICY.view, one decision per
   * user): an id that names no user is a 404, as for one user's status.
   */
  async statuses(ctx: CallContext, ids: readonly string[]): Promise<Array<{ user_id: string; status: UserView['presence'] }>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    await this.access.users(ctx, unique, 'view');
    const presence = await this.presenceOf(unique);
    return unique.map((id) => ({ user_id: id, status: presence.get(id) ?? 'offline' }));
  }

  // ---- administration (system admins) ----

  private requireAdmin(ctx: CallContext, action: string): void {
    this.access.requireSystemAdmin(ctx, action);
  }

  async adminList(ctx: CallContext, q: string | undefined, page?: number, perPage?: number): Promise<User[]> {
    this.requireAdmin(ctx, 'user.list');
    return this.deps.store.users.search({ q, includeInactive: true, ...clampPage(page, perPage) });
  }

  async adminCreate(ctx: CallContext, input: RegisterInput & { role?: SystemRole | undefined }): Promise<User> {
    this.requireAdmin(ctx, 'user.create');
    const user = await this.newUser(input, input.role ?? 'system_user', true);
    await this.audit(ctx, 'user.create', user.id, { role: user.role });
    return user;
  }

  async adminSetActive(ctx: CallContext, userId: string, active: boolean): Promise<User> {
    this.requireAdmin(ctx, 'user.set_active');
    if (userId === ctx.actor.userId && !active) throw new AppError('BAD_REQUEST', 'You cannot deactivate yourself');
    const user = await this.get(userId);
    const now = this.deps.clock();
    const revoked = await this.deps.store.transaction(async (tx) => {
      await tx.users.setDeactivated(userId, active ? null : now, now);
      if (active) return [];
      // Their bots go with them (as in Mattermost): a bot's token must not outlive its owner's access.
      const bots = (await tx.bots.list(userId, 0, 10_000)).filter((b) => b.user.deactivated_at === null).map((b) => b.user.id);
      const ended: { userId: string; ids: string[] }[] = [];
      for (const id of [userId, ...bots]) {
        if (id !== userId) await tx.users.setDeactivated(id, now, now);
        ended.push({ userId: id, ids: await this.sessions.revokeAll(tx, id, now) });
        tx.control({ kind: 'user_deactivated', userId: id });
      }
      return ended;
    });
    for (const e of revoked) this.sessions.logRevoked(e.userId, e.ids, e.userId === userId ? 'deactivation' : 'owner_deactivated', ctx);
    await this.audit(ctx, active ? 'user.reactivate' : 'user.deactivate', userId, {});
    return { ...user, deactivated_at: active ? null : now };
  }

  async adminSetRole(ctx: CallContext, userId: string, role: SystemRole): Promise<User> {
    this.requireAdmin(ctx, 'user.role');
    if (userId === ctx.actor.userId && role !== 'system_admin') throw new AppError('BAD_REQUEST', 'You cannot remove your own admin role');
    const user = await this.get(userId);
    await this.deps.store.users.setRole(userId, role, this.deps.clock());
    await this.audit(ctx, 'user.role', userId, { role });
    return { ...user, role };
  }

  async adminRevokeSessions(ctx: CallContext, userId: string): Promise<number> {
    this.requireAdmin(ctx, 'user.revoke_sessions');
    await this.get(userId);
    const n = await this.sessions.endAll(userId, 'admin_revoke', ctx);
    await this.audit(ctx, 'user.revoke_sessions', userId, { sessions: n });
    return n;
  }

  /** `rustchat create-admin`: a system admin with a chosen username. */
  async createAdmin(email: string, username: string, password: string): Promise<'created' | 'exists'> {
    const existing = await this.deps.store.users.getByLogin(validateEmail(email));
    if (existing !== undefined) return 'exists';
    await this.newUser({ username, email, password }, 'system_admin', true);
    return 'created';
  }

  /** Creates the configured admin when no user has that e-mail (RUSTCHAT_ADMIN_USER). */
  async bootstrapAdmin(email: string, password: string): Promise<'created' | 'exists'> {
    const normalized = validateEmail(email);
    const existing = await this.deps.store.users.getByLogin(normalized);
    if (existing !== undefined) return 'exists';
    const base = normalized.split('@')[0]!.toLowerCase().replace(/[^a-z0-9._-]/g, '').replace(/^[^a-z]+/, '');
    let username = (base.length >= 3 ? base : `admin-${base}`).slice(0, 22);
    if (username.length < 3 || ['admin', 'root', 'system'].includes(username)) username = 'sysadmin';
    for (let attempt = 0; ; attempt++) {
      const candidate = attempt === 0 ? username : `${username.slice(0, 17)}-${attempt}`;
      try {
        await this.newUser({ username: candidate, email: normalized, password, display_name: 'Administrator' }, 'system_admin', true);
        return 'created';
      } catch (err) {
        if (err instanceof AppError && err.code === 'CONFLICT' && err.details?.field === 'username' && attempt < 20) continue;
        throw err;
      }
    }
  }

  /** The audit log, newest first (system admins). */
  async auditLog(ctx: CallContext, page?: number, perPage?: number): Promise<AuditEntry[]> {
    this.requireAdmin(ctx, 'audit.read');
    const { offset, limit } = clampPage(page, perPage);
    return this.deps.store.audit.list(offset, limit);
  }

  /** Server statistics (system admins). */
  async stats(ctx: CallContext): Promise<{ users: number; database: string }> {
    this.requireAdmin(ctx, 'stats.read');
    return { users: await this.deps.store.users.count(), database: this.deps.store.dialect };
  }

  async audit(ctx: CallContext, action: string, targetId: string, details: Record<string, unknown>): Promise<void> {
    await this.deps.store.audit.append({
      id: randomUUID(), actor_id: ctx.actor.userId, action, target_type: action.split('.')[0] ?? '', target_id: targetId, ip: ctx.ip,
      details: JSON.stringify(details), created_at: this.deps.clock(),
    });
  }
}

function validateTimezone(tz: string): string {
  const t = tz.trim();
  if (t === '') return '';
  try {
    new Intl.DateTimeFormat('en', { timeZone: t });
    return t;
  } catch {
    throw invalid('timezone', 'Unknown time zone (use an IANA name such as Europe/Paris)');
  }
}

const MAX_STATUS_EXPIRY_MS = 366 * 24 * 3600 * 1000;

function validateStatusExpiry(at: number | null, now: number): number | null {
  if (at === null) return null;
  if (!Number.isSafeInteger(at) || at <= now || at > now + MAX_STATUS_EXPIRY_MS) throw invalid('status_expires_at', 'The status must expire in the future, within a year');
  return at;
}
