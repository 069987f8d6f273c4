/**
 * Password reset by e-mail.
 *
 * `forgot(email)` answers the same whatever the address (no way to learn who has an account):
 * the lookup and the mail happen after the answer, in a bounded queue. An account gets at most
 * RESETS_PER_HOUR links an hour (no mail bombing); SSO-only and deactivated accounts get none.
 * The link is `<site>/reset-password#token=…`: the token travels in the URL fragment, which
 * browsers never send to a server, so it stays out of access logs and Referer headers. The
 * database keeps only its SHA-256 hash.
 *
 * `reset(token, password)` checks the password rules first (a weak password does not burn
 * the link), then in one transaction uses the token (once, on any node), sets the password,
 * ends every session of the account and voids its other links.
 */
import { randomUUID } from 'node:crypto';
import type { User } from '../domain/entities.js';
import { AppError, badRequest, conflict, notFound } from '../domain/errors.js';
import { checkPassword } from '../domain/password-policy.js';
import { validateEmail } from '../domain/rules.js';
import { hashSecret, randomToken } from '../security/crypto.js';
import { hashPassword } from '../security/passwords.js';
import type { Access } from './access.js';
import type { AnonymousContext, CallContext, ServiceDeps } from './context.js';
import { MailQueue, type Mailer } from './mail.js';
import type { SessionService } from './sessions.js';

export const RESET_TOKEN_TTL_MS = 30 * 60_000;
export const RESETS_PER_HOUR = 3;
const INVALID_LINK = 'This password reset link is invalid or has expired';


export class PasswordResetService {
  private readonly queue: MailQueue;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly sessions: SessionService,
    private readonly access: Access,
    private readonly mailer: Mailer | undefined,
    private readonly siteUrl: string,
  ) {
    this.queue = new MailQueue(deps.logger);
  }

  get enabled(): boolean {
    return this.mailer !== undefined;
  }

  /**
   * Starts a reset for `email`. Nothing about the account is looked at before the answer
   * goes out: the work is queued for after this tick (see MailQueue: bounded, drops with a log
   * line beyond its limits).
   */
  forgot(email: string, ctx: AnonymousContext): void {
    if (this.mailer === undefined) throw new AppError('SERVICE_UNAVAILABLE', 'Password reset by e-mail is not set up on this server: ask an administrator');
    const address = validateEmail(email);
    this.queue.push('password reset mail', ctx.requestId, () => this.sendLink(address, ctx));
  }

  private async sendLink(email: string, ctx: AnonymousContext): Promise<void> {
    const user = await this.deps.store.users.getByLogin(email);
    if (user === undefined || user.email.toLowerCase() !== email.toLowerCase() || user.deactivated_at !== null || user.password_hash === null) return;
    if ((await this.issueAndMail(user, 'Someone (hopefully you) asked')) === 'throttled') {
      this.deps.logger.info({ user_id: user.id, request_id: ctx.requestId }, 'password reset throttled: too many links this hour');
    }
  }

  /**
   * A system admin mails a reset link to a user (who then chooses a password themself; the
   * admin never sees it). Same link, limits and throttle as `forgot`; waits for the relay so
   * that the admin learns when it refused. System admins only, checked here first.
   */
  async adminSend(ctx: CallContext, userId: string): Promise<void> {
    this.access.requireSystemAdmin(ctx, 'user.password_reset');
    if (this.mailer === undefined) throw new AppError('SERVICE_UNAVAILABLE', 'Password reset by e-mail is not set up on this server');
    const user = await this.deps.store.users.get(userId);
    if (user === undefined) throw notFound('User');
    if (user.deactivated_at !== null) throw badRequest('The account is deactivated');
    if (user.password_hash === null) throw badRequest('The account signs in with single sign-on only');
    let outcome: 'sent' | 'throttled';
    try {
      outcome = await this.issueAndMail(user, 'An administrator asked');
    } catch (err) {
      this.deps.logger.error({ err, request_id: ctx.requestId }, 'password reset mail failed');
      throw new AppError('SERVICE_UNAVAILABLE', 'The mail relay did not accept the message; try again later');
    }
    if (outcome === 'throttled') throw conflict(`${RESETS_PER_HOUR} reset links were sent to this account in the last hour; try again later`);
    await this.deps.store.audit.append({
      id: randomUUID(), actor_id: ctx.actor.userId, action: 'user.password_reset_sent', target_type: 'user', target_id: user.id, ip: ctx.ip, details: '{}', created_at: this.deps.clock(),
    });
  }

  /** Stores a new token unless the account is throttled, then mails its link. */
  private async issueAndMail(user: User, who: string): Promise<'sent' | 'throttled'> {
    const now = this.deps.clock();
    const token = randomToken();
    // Count and insert in one transaction (the user row locked on PostgreSQL), so that
    // concurrent requests cannot all see "fewer than RESETS_PER_HOUR".
    const issued = await this.deps.store.transaction((tx) =>
      tx.passwordResets.issue({ token_hash: hashSecret(token), user_id: user.id, created_at: now, expires_at: now + RESET_TOKEN_TTL_MS, used_at: null }, now - 3_600_000, RESETS_PER_HOUR),
    );
    if (!issued) return 'throttled';
    await this.mailer!.send({
      to: user.email,
      subject: 'Reset your RustChat password',
      text: [
        `Hello ${user.display_name || user.username},`,
        '',
        `${who} to reset the password of your RustChat account at ${this.siteUrl}.`,
        'To choose a new password, open this link within 30 minutes:',
        '',
        `${this.siteUrl}/reset-password#token=${token}`,
        '',
        'If you did not expect this, ignore this e-mail: your password stays as it is.',
      ].join('\n'),
    });
    return 'sent';
  }

  async reset(token: string, newPassword: string, ctx: AnonymousContext): Promise<void> {
    const tokenHash = hashSecret(token);
    const now = this.deps.clock();
    const live = /^[A-Za-z0-9_-]{20,100}$/.test(token) ? await this.deps.store.passwordResets.getLive(tokenHash, now) : undefined;
    const user = live === undefined ? undefined : await this.deps.store.users.get(live.user_id);
    if (live === undefined || user === undefined || user.deactivated_at !== null) {
      this.deps.security.emit('login_failure', { ip: ctx.ip, requestId: ctx.requestId, reason: 'password_reset_invalid_token' });
      throw badRequest(INVALID_LINK);
    }
    checkPassword(newPassword, { username: user.username, email: user.email });
    const hash = await hashPassword(newPassword);
    const at = this.deps.clock();
    const revoked = await this.deps.store.transaction(async (tx) => {
      if ((await tx.passwordResets.use(tokenHash, at)) !== user.id) return undefined;
      await tx.users.setPasswordHash(user.id, hash, at);
      await tx.passwordResets.useAllForUser(user.id, at);
      await tx.audit.append({ id: randomUUID(), actor_id: user.id, action: 'user.password_reset', target_type: 'user', target_id: user.id, ip: ctx.ip, details: '{}', created_at: at });
      return this.sessions.revokeAll(tx, user.id, at);
    });
    if (revoked === undefined) {
      // Used (or expired) between the check and now: a concurrent reset won.
      this.deps.security.emit('login_failure', { ip: ctx.ip, requestId: ctx.requestId, userId: user.id, reason: 'password_reset_invalid_token' });
      throw badRequest(INVALID_LINK);
    }
    this.sessions.logRevoked(user.id, revoked, 'password_reset', ctx);
  }
}
