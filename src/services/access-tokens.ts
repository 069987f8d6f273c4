/**
 * Personal access tokens and bot accounts (issue #16).
 *
 * A token is a random secret (`rcpat_` + 256 bits) shown once; the server keeps its SHA-256
 * and a session of kind `token` with the same id, so SessionService authenticates, revokes
 * and closes it exactly like a sign-in session. A token has no permissions of its own: every
 * request it makes is its owner's request, judged by the owner's current roles and
 * memberships; deactivating the owner revokes every session, tokens included.
 *
 * A bot is a user (is_bot = 1) with no password and an owner. It never signs in with a
 * password (AccountService.login and SSO refuse bots); it works through tokens made by its
 * owner or a system admin (TOKEN_POLICY). Disabling a bot deactivates its user.
 */
import { randomUUID } from 'node:crypto';
import type { AccessToken, Bot, User } from '../domain/entities.js';
import { AppError, badRequest, conflict } from '../domain/errors.js';
import { validateDisplayName, validateText, validateUsername } from '../domain/rules.js';
import { hashSecret, randomToken } from '../security/crypto.js';
import { UniqueViolation } from '../store/errors.js';
import type { Access } from './access.js';
import type { CallContext, ServiceDeps } from './context.js';
import { clampPage } from './context.js';
import { ACCESS_TOKEN_PREFIX, type SessionService } from './sessions.js';

/** A token's session never expires by itself (year 9999): it ends when revoked or its owner is deactivated. */
const NEVER = 253_402_300_799_000;
const MAX_TOKENS_PER_USER = 100;

export interface AccessTokenOptions {
  /** RUSTCHAT_PERSONAL_ACCESS_TOKENS. */
  readonly enabled: boolean;
  /** RUSTCHAT_BOT_CREATORS. */
  readonly botCreators: 'admins' | 'users';
}

export interface AccessTokenView {
  readonly id: string;
  readonly user_id: string;
  readonly description: string;
  readonly created_by: string;
  readonly created_at: number;
  readonly last_used_at: number | null;
}

export interface BotView {
  readonly user_id: string;
  readonly username: string;
  readonly display_name: string;
  readonly description: string;
  readonly owner_id: string;
  readonly created_at: number;
  readonly updated_at: number;
  readonly deactivated_at: number | null;
}

export const tokenView = (t: AccessToken): AccessTokenView => ({ id: t.id, user_id: t.user_id, description: t.description, created_by: t.created_by, created_at: t.created_at, last_used_at: t.last_used_at });
const botView = (bot: Bot, user: User): BotView => ({
  user_id: user.id, username: user.username, display_name: user.display_name, description: bot.description, owner_id: bot.owner_id, created_at: bot.created_at, updated_at: bot.updated_at, deactivated_at: user.deactivated_at,
});

export class AccessTokenService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly access: Access,
    private readonly sessions: SessionService,
    private readonly options: AccessTokenOptions,
  ) {}

  private requireEnabled(): void {
    if (!this.options.enabled) throw new AppError('FORBIDDEN', 'Personal access tokens are turned off on this server (RUSTCHAT_PERSONAL_ACCESS_TOKENS)');
  }

  /** Creates a token for `userId` (themselves, their bot, or anyone for a system admin); the secret is in the answer only. */
  async create(ctx: CallContext, userId: string, description: string): Promise<AccessTokenView & { token: string }> {
    const { user } = await this.access.tokenOwner(ctx, userId);
    await this.access.mintToken(ctx, user.id);
    this.requireEnabled();
    if (user.deactivated_at !== null) throw badRequest('The account is deactivated');
    const desc = validateText('description', description.trim(), 255);
    if (desc === '') throw badRequest('A token needs a description (what it is for)');
    const secret = `${ACCESS_TOKEN_PREFIX}${randomToken(32)}`;
    const now = this.deps.clock();
    const token: AccessToken = { id: randomUUID(), user_id: user.id, token_hash: hashSecret(secret), description: desc, created_by: ctx.actor.userId, created_at: now, last_used_at: null };
    await this.deps.store.transaction(async (tx) => {
      if ((await tx.accessTokens.listLiveForUser(user.id)).length >= MAX_TOKENS_PER_USER) throw conflict(`A user may hold at most ${MAX_TOKENS_PER_USER} tokens; revoke one first`);
      await tx.sessions.create({ id: token.id, user_id: user.id, kind: 'token', created_at: now, expires_at: NEVER, revoked_at: null, user_agent: '', ip: ctx.ip });
      await tx.accessTokens.create(token);
      await this.audit(tx, ctx, 'token.create', token.id, { user_id: user.id });
    });
    return { ...tokenView(token), token: secret };
  }

  /** A user's live tokens (no secrets), newest first. */
  async list(ctx: CallContext, userId: string): Promise<AccessTokenView[]> {
    await this.access.tokenOwner(ctx, userId);
    return (await this.deps.store.accessTokens.listLiveForUser(userId)).map(tokenView);
  }

  /** Every live token on the server (system admins). */
  async listAll(ctx: CallContext, page?: number, perPage?: number): Promise<AccessTokenView[]> {
    this.access.requireSystemAdmin(ctx, 'token.list');
    const { offset, limit } = clampPage(page, perPage);
    return (await this.deps.store.accessTokens.listLive(offset, limit)).map(tokenView);
  }

  /** Revokes one token: it stops on REST at once and its WebSockets close (the session_revoked control). */
  async revoke(ctx: CallContext, tokenId: string): Promise<void> {
    const token = await this.access.accessToken(ctx, tokenId);
    const revoked = await this.deps.store.transaction(async (tx) => {
      if (!(await tx.sessions.revoke(token.id, this.deps.clock()))) return false;
      tx.control({ kind: 'session_revoked', sessionIds: [token.id], userId: token.user_id });
      await this.audit(tx, ctx, 'token.revoke', token.id, { user_id: token.user_id });
      return true;
    });
    if (revoked) this.sessions.logRevoked(token.user_id, [token.id], 'token_revoked', ctx);
  }

  /** Revokes every personal access token on the server (system admins). */
  async revokeAll(ctx: CallContext): Promise<number> {
    this.access.requireSystemAdmin(ctx, 'token.revoke_all');
    const rows = await this.deps.store.transaction(async (tx) => {
      const revoked = await tx.accessTokens.revokeAll(this.deps.clock());
      const byUser = new Map<string, string[]>();
      for (const r of revoked) byUser.set(r.user_id, [...(byUser.get(r.user_id) ?? []), r.id]);
      for (const [userId, ids] of byUser) tx.control({ kind: 'session_revoked', sessionIds: ids, userId });
      await this.audit(tx, ctx, 'token.revoke_all', ctx.actor.userId, { tokens: revoked.length });
      return byUser;
    });
    let n = 0;
    for (const [userId, ids] of rows) {
      this.sessions.logRevoked(userId, ids, 'token_revoke_all', ctx);
      n += ids.length;
    }
    return n;
  }

  // ---- bots ----

  async createBot(ctx: CallContext, input: { username: string; display_name?: string | undefined; description?: string | undefined }): Promise<BotView> {
    await this.access.createBot(ctx, this.options.botCreators === 'users');
    const username = validateUsername(input.username);
    const displayName = validateDisplayName('display_name', input.display_name ?? '', { allowEmpty: true });
    const description = validateText('description', input.description ?? '', 1024);
    const now = this.deps.clock();
    const id = randomUUID();
    const user = {
      id, username, email: `${id}@bots.invalid`, password_hash: null, display_name: displayName, first_name: '', last_name: '', nickname: '', position: '',
      avatar_url: null, avatar_key: null, is_bot: 1, role: 'system_user' as const, status_text: '', status_emoji: '', timezone: '', email_verified: 0, created_at: now, updated_at: now,
    };
    const bot: Bot = { user_id: id, owner_id: ctx.actor.userId, description, created_at: now, updated_at: now };
    try {
      const created = await this.deps.store.transaction(async (tx) => {
        const u = await tx.users.create(user);
        await tx.bots.create(bot);
        await this.audit(tx, ctx, 'bot.create', id, { username });
        return u;
      });
      return botView(bot, created);
    } catch (err) {
      if (err instanceof UniqueViolation) throw conflict('That username is already taken', { field: 'username' });
      throw err;
    }
  }

  /** The caller's bots; every bot for a system admin with `all`. */
  async listBots(ctx: CallContext, all: boolean, page?: number, perPage?: number): Promise<BotView[]> {
    if (all) this.access.requireSystemAdmin(ctx, 'bot.list');
    else this.access.ownBots(ctx);
    const { offset, limit } = clampPage(page, perPage);
    return (await this.deps.store.bots.list(all ? undefined : ctx.actor.userId, offset, limit)).map(({ bot, user }) => botView(bot, user));
  }

  async getBot(ctx: CallContext, botUserId: string): Promise<BotView> {
    const { bot, user } = await this.access.bot(ctx, botUserId);
    return botView(bot, user);
  }

  async updateBot(ctx: CallContext, botUserId: string, patch: { display_name?: string | undefined; description?: string | undefined }): Promise<BotView> {
    await this.access.bot(ctx, botUserId);
    const now = this.deps.clock();
    const displayName = patch.display_name === undefined ? undefined : validateDisplayName('display_name', patch.display_name, { allowEmpty: true });
    const description = patch.description === undefined ? undefined : validateText('description', patch.description, 1024);
    await this.deps.store.transaction(async (tx) => {
      if (displayName !== undefined) await tx.users.update(botUserId, { display_name: displayName }, now);
      if (description !== undefined) await tx.bots.setDescription(botUserId, description, now);
      await this.audit(tx, ctx, 'bot.update', botUserId, { display_name: displayName !== undefined, description: description !== undefined });
    });
    return this.getBot(ctx, botUserId);
  }

  /** Disables (deactivates) or enables a bot: disabling ends every session and token of it at once. */
  async setBotActive(ctx: CallContext, botUserId: string, active: boolean): Promise<BotView> {
    await this.access.bot(ctx, botUserId);
    const now = this.deps.clock();
    const revoked = await this.deps.store.transaction(async (tx) => {
      await tx.users.setDeactivated(botUserId, active ? null : now, now);
      await this.audit(tx, ctx, active ? 'bot.enable' : 'bot.disable', botUserId, {});
      if (active) return [];
      const ids = await this.sessions.revokeAll(tx, botUserId, now);
      tx.control({ kind: 'user_deactivated', userId: botUserId });
      return ids;
    });
    this.sessions.logRevoked(botUserId, revoked, 'bot_disabled', ctx);
    return this.getBot(ctx, botUserId);
  }

  private async audit(tx: ServiceDeps['store'], ctx: CallContext, action: string, targetId: string, details: Record<string, unknown>): Promise<void> {
    await tx.audit.append({
      id: randomUUID(), actor_id: ctx.actor.userId, action, target_type: action.split('.')[0] ?? '', target_id: targetId, ip: ctx.ip, details: JSON.stringify(details), created_at: this.deps.clock(),
    });
  }
}
