/** /api/v1/users on both stores: the directory, profiles and presence. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { makeSystemAdmin, registerUser, type TestUser } from '../helpers/factories.js';

describe.each(STORES)('users (%s)', (kind) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let root: TestUser;
  beforeAll(async () => {
    t = await startApp(kind);
    alice = await registerUser(t.api, 'alice');
    bob = await registerUser(t.api, 'bob');
    root = await makeSystemAdmin(t.app, await registerUser(t.api, 'root'));
  });
  afterAll(async () => t?.close());

  it('shows a user to anyone signed in; the e-mail only to themself and system admins', async () => {
    const byBob = await t.api.get(`/api/v1/users/${alice.id}`, bob.token);
    expect(byBob.status).toBe(200);
    expect(byBob.body).toMatchObject({ id: alice.id, username: alice.username, role: 'system_user', presence: 'offline', is_active: true });
    expect(byBob.body).not.toHaveProperty('email');
    expect(byBob.body).not.toHaveProperty('password_hash');
    expect((await t.api.get(`/api/v1/users/${alice.id}`, alice.token)).body.email).toBe(alice.email);
    expect((await t.api.get(`/api/v1/users/${alice.id}`, root.token)).body.email).toBe(alice.email);
    expect((await t.api.get(`/api/v1/users/${randomUUID()}`, bob.token)).status).toBe(404);
    expect((await t.api.get(`/api/v1/users/${alice.id}`)).status).toBe(401);
  });

  it('searches active users by username or name, paged', async () => {
    const tag = `dir${Array.from({ length: 6 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('')}`;
    const a = await registerUser(t.api, tag);
    const b = await registerUser(t.api, tag);
    await t.api.patch('/api/v1/users/me', { first_name: 'Grace', last_name: `Hopper${tag}` }, b.token);
    const gone = await registerUser(t.api, tag);
    await t.app.store.users.setDeactivated(gone.id, Date.now(), Date.now());
    const found = await t.api.get(`/api/v1/users?q=${tag}`, alice.token);
    expect(found.body.map((u: any) => u.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(found.body.map((u: any) => u.id)).not.toContain(gone.id);
    expect(found.body.every((u: any) => u.email === undefined)).toBe(true);
    expect((await t.api.get(`/api/v1/users?q=${encodeURIComponent(`grace hopper${tag}`)}`, alice.token)).body.map((u: any) => u.id)).toEqual([b.id]);
    const page0 = await t.api.get('/api/v1/users?per_page=2&page=0', alice.token);
    const page1 = await t.api.get('/api/v1/users?per_page=2&page=1', alice.token);
    expect(page0.body).toHaveLength(2);
    expect(page1.body.map((u: any) => u.id)).not.toContain(page0.body[0].id);
  });

  it('answers presence for one or several users', async () => {
    expect((await t.api.get(`/api/v1/users/${bob.id}/status`, alice.token)).body).toEqual({ user_id: bob.id, status: 'offline' });
    expect((await t.api.get(`/api/v1/users/${randomUUID()}/status`, alice.token)).status).toBe(404);
    const many = await t.api.post('/api/v1/users/status/ids', [alice.id, bob.id, alice.id], alice.token);
    expect(many.body).toEqual([{ user_id: alice.id, status: 'offline' }, { user_id: bob.id, status: 'offline' }]);
    expect((await t.api.post('/api/v1/users/status/ids', [bob.id, randomUUID()], alice.token)).status).toBe(404);
    expect((await t.api.post('/api/v1/users/status/ids', [], alice.token)).body).toEqual([]);
    expect((await t.api.post('/api/v1/users/status/ids', [alice.id])).status).toBe(401);
    expect((await t.api.post('/api/v1/users/status/ids', ['not-a-uuid'], alice.token)).status).toBe(400);
  });

  it('returns me at /users/me as at /auth/me', async () => {
    const me = await t.api.get('/api/v1/users/me', bob.token);
    expect(me.body).toEqual((await t.api.get('/api/v1/auth/me', bob.token)).body);
    expect(me.body.email).toBe(bob.email);
  });
});
