/**
 * System-admin checks live in the services, not in the routes: every service method that
 * needs a system admin refuses a plain user when called directly (as a future v4 route, CLI
 * or integration would call it), with one `access_denied` event naming the action, and
 * nothing is read or sent first.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import type { CallContext } from '../../src/services/context.js';
import { STORES, type TestApp } from '../helpers/app.js';
import { startAppWithAdmin, type TestUser } from '../helpers/factories.js';
import { jsonLines } from '../security/support.js';

function ctxOf(user: TestUser, role: 'system_admin' | 'system_user'): CallContext {
  return { actor: { userId: user.id, username: user.username, role, sessionId: randomUUID() }, ip: '192.0.2.33', requestId: randomUUID() };
}

describe.each(STORES)('system-admin checks inside the services (%s)', (kind) => {
  let t: TestApp;
  let root: TestUser;
  let user: TestUser;
  beforeAll(async () => {
    ({ t, root, user } = await startAppWithAdmin(kind, 'plain'));
  });
  afterAll(async () => t?.close());

  /** Every admin-only service method, called as `ctx` would call it. */
  const calls = (ctx: CallContext): Array<[string, () => Promise<unknown>]> => {
    const { accounts, teams, passwordResets, sso } = t.app.services;
    return [
      ['user.list', () => accounts.adminList(ctx, undefined)],
      ['user.create', () => accounts.adminCreate(ctx, { username: `made${randomUUID().slice(0, 6)}`, email: `${randomUUID()}@example.com`, password: 'a long enough password 1' })],
      ['user.set_active', () => accounts.adminSetActive(ctx, user.id, false)],
      ['user.role', () => accounts.adminSetRole(ctx, user.id, 'system_admin')],
      ['user.revoke_sessions', () => accounts.adminRevokeSessions(ctx, user.id)],
      ['user.password_reset', () => passwordResets.adminSend(ctx, user.id)],
      ['audit.read', () => accounts.auditLog(ctx)],
      ['stats.read', () => accounts.stats(ctx)],
      ['team.list_all', () => teams.listAll(ctx)],
      ['sso_provider.list', () => sso.list(ctx)],
      ['sso_provider.read', () => sso.get(ctx, randomUUID())],
      ['sso_provider.delete', () => sso.remove(ctx, randomUUID())],
    ];
  };

  it('refuses a plain user with FORBIDDEN and an access_denied event (reason not_system_admin), changing nothing', async () => {
    const ctx = ctxOf(user, 'system_user');
    for (const [action, call] of calls(ctx)) {
      const before = jsonLines(t.logs.text()).filter((l) => l.security_event === 'access_denied' && l.request_id === ctx.requestId).length;
      const err = await call().then(() => undefined, (e: unknown) => e);
      expect(err, action).toBeInstanceOf(AppError);
      expect((err as AppError).code, action).toBe('FORBIDDEN');
      const events = jsonLines(t.logs.text()).filter((l) => l.security_event === 'access_denied' && l.request_id === ctx.requestId);
      expect(events.length - before, action).toBe(1);
      expect(events.at(-1), action).toMatchObject({ user_id: user.id, client_ip: '192.0.2.33', resource: 'system', action, reason: 'not_system_admin', status: 403 });
    }
    const me = await t.app.store.users.get(user.id);
    expect(me).toMatchObject({ role: 'system_user', deactivated_at: null });
  });

  it('lets a system admin through (the check is not a blanket refusal)', async () => {
    const ctx = ctxOf(root, 'system_admin');
    const { accounts, teams } = t.app.services;
    expect(Array.isArray(await accounts.auditLog(ctx))).toBe(true);
    expect(await accounts.stats(ctx)).toMatchObject({ users: expect.any(Number), database: kind });
    expect(Array.isArray(await teams.listAll(ctx))).toBe(true);
    // No mail relay in this app: past the admin check, the service says so.
    await expect(t.app.services.passwordResets.adminSend(ctx, user.id)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});
