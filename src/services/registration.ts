/**
 * Self-registration without an account oracle (security contract §9): the answer to
 * `register` is the same, in status, body, headers and time, whether or not the e-mail
 * address already has an account.
 *
 *   with a mail relay (RUSTCHAT_SMTP_URL)     register → 202 "check your e-mail"; after the
 *                                             answer, a queued job looks the address up and mails
 *                                             either a link to finish (free address) or a note
 *                                             that someone tried (taken address, with the reset
 *                                             hint); the link's token → complete → account + session
 *   without one (typical development)         register → 202 "sign in"; a free address gets its
 *                                             account at once (e-mail unverified, as before), a
 *                                             taken one nothing; the client then signs in with the
 *                                             password just typed, through the uniform login
 *
 * Both paths hash the password and look the username up before answering, whatever the
 * address. Usernames are public (anyone signed in can list them), so a taken one is still a
 * 409; it is checked before the address can matter, so no combination of a taken username
 * and an address tells anything about the address.
 *
 * The link's token is the registration itself, sealed (AES-256-GCM, RUSTCHAT_ENCRYPTION_KEY,
 * AAD `registration`): username, address, password hash, display name and expiry. Nothing is
 * stored until it is used; it works for an hour and only while no account has that address,
 * so once used it is spent. The account it creates has a verified address (its owner opened
 * the mail).
 */
import { randomUUID } from 'node:crypto';
import type { User } from '../domain/entities.js';
import { badRequest, conflict, forbidden, type AppError } from '../domain/errors.js';
import { checkPassword } from '../domain/password-policy.js';
import { validateDisplayName, validateEmail, validateUsername } from '../domain/rules.js';
import { DecryptError, type SecretBox } from '../security/crypto.js';
import { hashPassword } from '../security/passwords.js';
import { UniqueViolation } from '../store/errors.js';
import type { SignedIn, RegisterInput } from './accounts.js';
import type { AnonymousContext, ServiceDeps } from './context.js';
import { MailQueue, type Mailer } from './mail.js';
import type { SessionService } from './sessions.js';

export const REGISTRATION_LINK_TTL_MS = 60 * 60_000;
/** Mails about one address (either kind) per hour per node, so register cannot be used to flood a mailbox. */
export const REGISTRATION_MAILS_PER_HOUR = 3;
const TOKEN_AAD = 'registration';
const INVALID_LINK = 'This link to finish creating an account is invalid or has expired. Please register again.';

/** What the client does next: wait for the mail, or sign in with the password it just sent. */
export type RegisterNext = 'check_email' | 'sign_in';

interface PendingRegistration {
  readonly username: string;
  readonly email: string;
  readonly password_hash: string;
  readonly display_name: string;
  readonly expires_at: number;
}

export interface RegistrationOptions {
  readonly allowRegistration: boolean;
  readonly mailer: Mailer | undefined;
  readonly siteUrl: string;
}

export class RegistrationService {
  private readonly queue: MailQueue;
  private readonly mailed = new Map<string, number[]>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly sessions: SessionService,
    private readonly box: SecretBox,
    private readonly options: RegistrationOptions,
  ) {
    this.queue = new MailQueue(deps.logger);
  }

  /** The same for every request on this server: it depends on the configuration only. */
  get next(): RegisterNext {
    return this.options.mailer === undefined ? 'sign_in' : 'check_email';
  }

  async register(input: RegisterInput, ctx: AnonymousContext): Promise<RegisterNext> {
    if (!this.options.allowRegistration) throw registrationClosed();
    const username = validateUsername(input.username);
    const email = validateEmail(input.email);
    checkPassword(input.password, { username, email });
    const displayName = validateDisplayName('display_name', input.display_name ?? '', { allowEmpty: true });
    const passwordHash = await hashPassword(input.password);
    if ((await this.deps.store.users.getByUsernames([username])).length > 0) throw usernameTaken();
    const pending: PendingRegistration = { username, email, password_hash: passwordHash, display_name: displayName, expires_at: this.deps.clock() + REGISTRATION_LINK_TTL_MS };

    if (this.options.mailer === undefined) {
      try {
        await this.deps.store.users.create(this.userFrom(pending, false));
      } catch (err) {
        if (!(err instanceof UniqueViolation)) throw err;
        if (!err.constraint.includes('email')) throw usernameTaken();
        // The address has an account: nothing to do, and nothing to say about it.
      }
      return 'sign_in';
    }
    const token = this.box.seal(JSON.stringify(pending), TOKEN_AAD);
    this.queue.push('registration mail', ctx.requestId, () => this.mail(pending, token, ctx));
    return 'check_email';
  }

  /** Finishes a registration with the token from its mail: creates the account and signs in. */
  async complete(token: string, ctx: AnonymousContext): Promise<SignedIn> {
    // A link mailed before registration was closed must not open it again for its hour.
    if (!this.options.allowRegistration) throw registrationClosed();
    const pending = this.openToken(token);
    if (pending === undefined || pending.expires_at <= this.deps.clock()) {
      this.deps.security.emit('login_failure', { ip: ctx.ip, requestId: ctx.requestId, reason: 'registration_invalid_link' });
      throw badRequest(INVALID_LINK);
    }
    const user = this.userFrom(pending, true);
    try {
      const started = await this.deps.store.transaction(async (tx) => {
        await tx.users.create(user);
        return this.sessions.start(user, 'password', ctx, { store: tx });
      });
      return { started, user };
    } catch (err) {
      if (!(err instanceof UniqueViolation)) throw err;
      // Only the owner of the mailbox holds the link, so saying why is no oracle. Asked rather
      // than read from the constraint: with both taken, the database names either one.
      const owner = await this.deps.store.users.getByLogin(user.email);
      if (owner !== undefined && owner.email === user.email) throw conflict('An account with this e-mail address exists already (this link may have been used). Sign in, or reset your password.', { field: 'email' });
      throw usernameTaken();
    }
  }

  private userFrom(p: PendingRegistration, emailVerified: boolean): User {
    const now = this.deps.clock();
    return {
      id: randomUUID(), username: p.username, email: p.email, password_hash: p.password_hash, display_name: p.display_name, first_name: '', last_name: '', nickname: '',
      position: '', avatar_url: null, avatar_key: null, is_bot: 0, role: 'system_user', status_text: '', status_emoji: '', status_expires_at: null, timezone: '', email_verified: emailVerified ? 1 : 0,
      created_at: now, updated_at: now, deactivated_at: null,
    };
  }

  private openToken(token: string): PendingRegistration | undefined {
    let raw: unknown;
    try {
      raw = JSON.parse(this.box.open(token, TOKEN_AAD));
    } catch (err) {
      if (err instanceof DecryptError || err instanceof SyntaxError) return undefined;
      throw err;
    }
    const p = raw as Partial<Record<keyof PendingRegistration, unknown>>;
    if (typeof p.username !== 'string' || typeof p.email !== 'string' || typeof p.password_hash !== 'string' || typeof p.display_name !== 'string' || typeof p.expires_at !== 'number') return undefined;
    return p as PendingRegistration;
  }

  /** Whether another mail about `email` may go out now (and counts it). */
  private mayMail(email: string): boolean {
    const now = this.deps.clock();
    const recent = (this.mailed.get(email) ?? []).filter((t) => t > now - 3_600_000);
    if (recent.length >= REGISTRATION_MAILS_PER_HOUR) return false;
    recent.push(now);
    this.mailed.set(email, recent);
    // Bounded memory: forget addresses with nothing in the last hour once the map grows.
    if (this.mailed.size > 10_000) for (const [k, v] of this.mailed) if (v.every((t) => t <= now - 3_600_000)) this.mailed.delete(k);
    return true;
  }

  private async mail(p: PendingRegistration, token: string, ctx: AnonymousContext): Promise<void> {
    if (!this.mayMail(p.email)) {
      this.deps.logger.info({ request_id: ctx.requestId }, 'registration mail throttled: too many for this address this hour');
      return;
    }
    const site = this.options.siteUrl;
    const existing = await this.deps.store.users.getByLogin(p.email);
    if (existing !== undefined && existing.email.toLowerCase() === p.email.toLowerCase()) {
      if (existing.deactivated_at !== null) return;
      await this.options.mailer!.send({
        to: existing.email,
        subject: 'Someone tried to create a RustChat account with your address',
        text: [
          `Hello ${existing.display_name || existing.username},`,
          '',
          `Someone (maybe you) tried to create a new account at ${site} with this e-mail address.`,
          'You already have an account with it, so nothing was created.',
          '',
          existing.password_hash === null
            ? 'Your account signs in with single sign-on: use the sign-in page.'
            : `If you forgot your password, choose a new one: open ${site}/login and select "Forgot your password?".`,
          '',
          'If it was not you, you can ignore this e-mail: your account is unchanged.',
        ].join('\n'),
      });
      return;
    }
    await this.options.mailer!.send({
      to: p.email,
      subject: 'Finish creating your RustChat account',
      text: [
        'Hello,',
        '',
        `Someone (hopefully you) asked to create the account "${p.username}" at ${site} with this e-mail address.`,
        'To finish, open this link within an hour:',
        '',
        `${site}/register#token=${token}`,
        '',
        'If it was not you, ignore this e-mail: no account is created.',
      ].join('\n'),
    });
  }
}

function registrationClosed(): AppError {
  return forbidden('Registration is closed on this server; ask an administrator for an account');
}

function usernameTaken(): AppError {
  return conflict('That username is already taken', { field: 'username' });
}
