/** /api/v1/admin on both stores: system admins only, every change audited. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, type TestApp } from '../helpers/app.js';
import { createTeam, envelope, login, registerUser, startAppWithAdmin, uniqueName, type TestUser } from '../helpers/factories.js';

describe.each(STORES)('admin (%s)', (kind) => {
  let t: TestApp;
  let root: TestUser;
  let user: TestUser;
  beforeAll(async () => {
    ({ t, root, user } = await startAppWithAdmin(kind, 'user'));
  });
  afterAll(async () => t?.close());

  it('refuses every admin route to a plain user with the same 403', async () => {
    const id = user.id;
    const calls = [
      t.api.get('/api/v1/admin/users', user.token),
      t.api.post('/api/v1/admin/users', { username: 'x', email: 'x@example.com', password: 'long enough pw' }, user.token),
      t.api.post(`/api/v1/admin/users/${id}/deactivate`, undefined, user.token),
      t.api.post(`/api/v1/admin/users/${randomUUID()}/reactivate`, undefined, user.token),
      t.api.put(`/api/v1/admin/users/${id}/role`, { role: 'system_admin' }, user.token),
      t.api.post(`/api/v1/admin/users/${id}/revoke_sessions`, undefined, user.token),
      t.api.post(`/api/v1/admin/users/${id}/password_reset`, undefined, user.token),
      t.api.get('/api/v1/admin/teams', user.token),
      t.api.get('/api/v1/admin/audit', user.token),
      t.api.get('/api/v1/admin/stats', user.token),
    ];
    const results = await Promise.all(calls);
    for (const r of results) expect(envelope(r)).toEqual({ status: 403, contentType: 'application/json', error: { code: 'FORBIDDEN', message: 'System administrators only' } });
    expect((await t.app.store.users.get(user.id))?.role).toBe('system_user');
    expect((await t.api.get('/api/v1/admin/stats')).status).toBe(401);
  });

  it('lists users, deactivated ones included, with e-mails', async () => {
    const gone = await registerUser(t.api, 'gone');
    await t.api.post(`/api/v1/admin/users/${gone.id}/deactivate`, undefined, root.token);
    const list = await t.api.get(`/api/v1/admin/users?q=${gone.username}`, root.token);
    expect(list.body).toEqual([expect.objectContaining({ id: gone.id, email: gone.email, is_active: false })]);
  });

  it('creates users with a role; the password rules still apply', async () => {
    const username = uniqueName('made');
    const res = await t.api.post('/api/v1/admin/users', { username, email: `${username}@example.com`, password: 'made by root pw', role: 'system_admin' }, root.token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ username, role: 'system_admin', email: `${username}@example.com` });
    expect(await login(t.api, username, 'made by root pw')).toBeTruthy();
    expect((await t.api.post('/api/v1/admin/users', { username: uniqueName('weak'), email: `${uniqueName('w')}@example.com`, password: 'password' }, root.token)).status).toBe(422);
    expect((await t.api.post('/api/v1/admin/users', { username, email: `x${username}@example.com`, password: 'made by root pw' }, root.token)).status).toBe(409);
  });

  it('deactivates (sign-in refused, sessions ended) and reactivates', async () => {
    const u = await registerUser(t.api, 'cycle');
    const off = await t.api.post(`/api/v1/admin/users/${u.id}/deactivate`, undefined, root.token);
    expect(off.body).toMatchObject({ id: u.id, is_active: false });
    expect((await t.api.get('/api/v1/auth/me', u.token)).status).toBe(401);
    expect((await t.api.post('/api/v1/auth/login', { email: u.email, password: u.password })).status).toBe(401);
    // Deactivated users are left out of the directory and cannot be added anywhere.
    expect((await t.api.get(`/api/v1/users?q=${u.username}`, root.token)).body).toEqual([]);
    const team = await createTeam(t.api, root);
    expect((await t.api.post(`/api/v1/teams/${team.id}/members`, { user_id: u.id }, root.token)).status).toBe(404);
    const on = await t.api.post(`/api/v1/admin/users/${u.id}/reactivate`, undefined, root.token);
    expect(on.body.is_active).toBe(true);
    expect(await login(t.api, u.email, u.password)).toBeTruthy();
    // The old token stays dead: its session ended for good.
    expect((await t.api.get('/api/v1/auth/me', u.token)).status).toBe(401);
    expect((await t.api.post(`/api/v1/admin/users/${randomUUID()}/deactivate`, undefined, root.token)).status).toBe(404);
    expect((await t.api.post(`/api/v1/admin/users/${root.id}/deactivate`, undefined, root.token)).status).toBe(400);
  });

  it('sets roles, but never takes away its own', async () => {
    const u = await registerUser(t.api, 'promo');
    expect((await t.api.put(`/api/v1/admin/users/${u.id}/role`, { role: 'system_admin' }, root.token)).body.role).toBe('system_admin');
    expect((await t.api.get('/api/v1/admin/stats', u.token)).status).toBe(200);
    expect((await t.api.put(`/api/v1/admin/users/${u.id}/role`, { role: 'system_user' }, root.token)).body.role).toBe('system_user');
    expect((await t.api.get('/api/v1/admin/stats', u.token)).status).toBe(403);
    expect((await t.api.put(`/api/v1/admin/users/${root.id}/role`, { role: 'system_user' }, root.token)).status).toBe(400);
    expect((await t.api.put(`/api/v1/admin/users/${u.id}/role`, { role: 'god' }, root.token)).status).toBe(400);
  });

  it('keeps an audit log of admin actions, newest first', async () => {
    const u = await registerUser(t.api, 'audited');
    await t.api.put(`/api/v1/admin/users/${u.id}/role`, { role: 'system_admin' }, root.token);
    await t.api.post(`/api/v1/admin/users/${u.id}/revoke_sessions`, undefined, root.token);
    const log = await t.api.get('/api/v1/admin/audit?per_page=2', root.token);
    expect(log.body.map((e: any) => e.action)).toEqual(['user.revoke_sessions', 'user.role']);
    expect(log.body[1]).toMatchObject({ actor_id: root.id, target_type: 'user', target_id: u.id, details: { role: 'system_admin' }, ip: '127.0.0.1' });
  });

  it('reports server statistics and every team', async () => {
    const stats = await t.api.get('/api/v1/admin/stats', root.token);
    expect(stats.body).toEqual({ users: await t.app.store.users.count(), version: expect.any(String), database: kind });
    const team = await createTeam(t.api, user);
    expect((await t.api.get('/api/v1/admin/teams?per_page=200', root.token)).body.map((x: any) => x.id)).toContain(team.id);
  });
});
