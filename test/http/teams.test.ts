/** /api/v1/teams on both stores: teams, members and roles, open and invite-only teams. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addTeamMember, createChannel, createTeam, envelope, makeSystemAdmin, registerUser, uniqueName, type TestUser } from '../helpers/factories.js';

describe.each(STORES)('teams (%s)', (kind) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  beforeAll(async () => {
    t = await startApp(kind);
    alice = await registerUser(t.api, 'alice');
    bob = await registerUser(t.api, 'bob');
    carol = await registerUser(t.api, 'carol');
  });
  afterAll(async () => t?.close());

  it('creates a team: the creator is its admin and sits in its town-square', async () => {
    const name = uniqueName('team');
    const res = await t.api.post('/api/v1/teams', { name: name.toUpperCase(), display_name: ' The Team ', description: 'about', type: 'open' }, alice.token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name, display_name: 'The Team', description: 'about', type: 'open', creator_id: alice.id, is_archived: false });
    const members = await t.api.get(`/api/v1/teams/${res.body.id}/members`, alice.token);
    expect(members.body).toEqual([expect.objectContaining({ user_id: alice.id, role: 'team_admin' })]);
    const channels = await t.api.get(`/api/v1/teams/${res.body.id}/channels`, alice.token);
    expect(channels.body.map((c: any) => c.name)).toEqual(['town-square']);
    const square = await t.api.get(`/api/v1/teams/${res.body.id}/channels/name/town-square`, alice.token);
    expect(square.status).toBe(200);
    expect((await t.api.get(`/api/v1/channels/${square.body.id}/members/${alice.id}`, alice.token)).body.role).toBe('channel_admin');
  });

  it('defaults to invite-only and refuses taken or malformed names', async () => {
    const team = await createTeam(t.api, alice);
    expect((await t.api.get(`/api/v1/teams/${team.id}`, alice.token)).body.type).toBe('invite');
    const dup = await t.api.post('/api/v1/teams', { name: team.name, display_name: 'Dup' }, bob.token);
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: 'CONFLICT', field: 'name' });
    const bad = await t.api.post('/api/v1/teams', { name: '-bad name-', display_name: 'Bad' }, bob.token);
    expect(bad.status).toBe(422);
    expect(bad.body.error.field).toBe('name');
    expect((await t.api.post('/api/v1/teams', { name: uniqueName('t'), display_name: '   ' }, bob.token)).status).toBe(422);
  });

  it('lists my teams, archived ones on request', async () => {
    const t1 = await createTeam(t.api, bob);
    const t2 = await createTeam(t.api, bob);
    expect((await t.api.delete(`/api/v1/teams/${t2.id}`, bob.token)).body.is_archived).toBe(true);
    const mine = (await t.api.get('/api/v1/teams', bob.token)).body.map((x: any) => x.id);
    expect(mine).toContain(t1.id);
    expect(mine).not.toContain(t2.id);
    expect((await t.api.get('/api/v1/teams?include_archived=true', bob.token)).body.map((x: any) => x.id)).toContain(t2.id);
    expect((await t.api.get('/api/v1/teams', carol.token)).body.map((x: any) => x.id)).not.toContain(t1.id);
  });

  it('shows open teams to everyone (to join them) and invite-only teams to members only', async () => {
    const open = await createTeam(t.api, alice, 'open');
    const invite = await createTeam(t.api, alice, 'invite');
    expect((await t.api.get(`/api/v1/teams/${open.id}`, carol.token)).status).toBe(200);
    const hidden = await t.api.get(`/api/v1/teams/${invite.id}`, carol.token);
    expect(hidden.status).toBe(404);
    expect(envelope(hidden)).toEqual(envelope(await t.api.get(`/api/v1/teams/${randomUUID()}`, carol.token)));
    const joinable = (await t.api.get('/api/v1/teams/joinable', carol.token)).body.map((x: any) => x.id);
    expect(joinable).toContain(open.id);
    expect(joinable).not.toContain(invite.id);
    // Seeing an open team is not reading it.
    expect((await t.api.get(`/api/v1/teams/${open.id}/members`, carol.token)).status).toBe(403);
    expect((await t.api.get(`/api/v1/teams/${open.id}/channels`, carol.token)).status).toBe(403);
  });

  it('lets anyone join an open team themself, never an invite-only one', async () => {
    const open = await createTeam(t.api, alice, 'open');
    const invite = await createTeam(t.api, alice, 'invite');
    const joined = await t.api.post(`/api/v1/teams/${open.id}/members`, { user_id: carol.id }, carol.token);
    expect(joined.status).toBe(201);
    expect(joined.body).toMatchObject({ team_id: open.id, user_id: carol.id, role: 'member' });
    expect((await t.api.get(`/api/v1/teams/${open.id}/channels`, carol.token)).body.map((c: any) => c.name)).toContain('town-square');
    expect((await t.api.get('/api/v1/channels', carol.token)).body.map((c: any) => c.team_id)).toContain(open.id);
    // Joining again is harmless.
    expect((await t.api.post(`/api/v1/teams/${open.id}/members`, { user_id: carol.id }, carol.token)).status).toBe(201);
    expect((await t.api.get(`/api/v1/teams/${open.id}/members`, carol.token)).body).toHaveLength(2);
    const refused = await t.api.post(`/api/v1/teams/${invite.id}/members`, { user_id: carol.id }, carol.token);
    expect(refused.status).toBe(404);
    // A member of an open team still cannot add other people.
    expect((await t.api.post(`/api/v1/teams/${open.id}/members`, { user_id: bob.id }, carol.token)).status).toBe(403);
  });

  it('team admins invite people, set roles and remove members; members cannot', async () => {
    const team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    expect((await t.api.post(`/api/v1/teams/${team.id}/members`, { user_id: carol.id }, bob.token)).status).toBe(403);
    expect((await t.api.post(`/api/v1/teams/${team.id}/members`, { user_id: randomUUID() }, alice.token)).status).toBe(404);
    expect((await t.api.patch(`/api/v1/teams/${team.id}/members/${alice.id}`, { role: 'member' }, bob.token)).status).toBe(403);
    const promoted = await t.api.patch(`/api/v1/teams/${team.id}/members/${bob.id}`, { role: 'team_admin' }, alice.token);
    expect(promoted.body).toMatchObject({ user_id: bob.id, role: 'team_admin' });
    expect((await t.api.post(`/api/v1/teams/${team.id}/members`, { user_id: carol.id }, bob.token)).status).toBe(201);
    expect((await t.api.patch(`/api/v1/teams/${team.id}/members/${randomUUID()}`, { role: 'member' }, alice.token)).status).toBe(404);
    expect((await t.api.patch(`/api/v1/teams/${team.id}/members/${carol.id}`, { role: 'owner' }, alice.token)).status).toBe(400);
    expect((await t.api.delete(`/api/v1/teams/${team.id}/members/${carol.id}`, bob.token)).status).toBe(200);
    expect((await t.api.get(`/api/v1/teams/${team.id}`, carol.token)).status).toBe(404);
    expect((await t.api.delete(`/api/v1/teams/${team.id}/members/${carol.id}`, bob.token)).status).toBe(404);
  });

  it('a team with other members keeps a team admin: the last one cannot leave, be removed or be demoted', async () => {
    const team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    const lastAdmin = { status: 409, contentType: 'application/json', error: { code: 'CONFLICT', message: 'The team needs a team admin: make another member team admin first' } };
    expect(envelope(await t.api.delete(`/api/v1/teams/${team.id}/members/${alice.id}`, alice.token))).toEqual(lastAdmin);
    expect(envelope(await t.api.patch(`/api/v1/teams/${team.id}/members/${alice.id}`, { role: 'member' }, alice.token))).toEqual(lastAdmin);
    // Not even a system admin can leave the team without one; nothing changed.
    const root = await makeSystemAdmin(t.app, await registerUser(t.api, 'root'));
    expect(envelope(await t.api.delete(`/api/v1/teams/${team.id}/members/${alice.id}`, root.token))).toEqual(lastAdmin);
    expect((await t.api.get(`/api/v1/teams/${team.id}/members`, bob.token)).body.map((m: any) => [m.user_id, m.role]).sort()).toEqual([[alice.id, 'team_admin'], [bob.id, 'member']].sort());
    // Once Bob is an admin too, Alice may step down, and then leave.
    expect((await t.api.patch(`/api/v1/teams/${team.id}/members/${bob.id}`, { role: 'team_admin' }, alice.token)).status).toBe(200);
    expect((await t.api.patch(`/api/v1/teams/${team.id}/members/${alice.id}`, { role: 'member' }, alice.token)).body).toMatchObject({ user_id: alice.id, role: 'member' });
    expect((await t.api.delete(`/api/v1/teams/${team.id}/members/${alice.id}`, alice.token)).status).toBe(200);
    // The sole member, admin or not, may leave.
    expect((await t.api.delete(`/api/v1/teams/${team.id}/members/${bob.id}`, bob.token)).status).toBe(200);
  });

  it('a deactivated admin does not count: the last active one still cannot leave', async () => {
    const dora = await registerUser(t.api, 'dora');
    const team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, dora);
    await addTeamMember(t.api, alice, team.id, carol);
    expect((await t.api.patch(`/api/v1/teams/${team.id}/members/${dora.id}`, { role: 'team_admin' }, alice.token)).status).toBe(200);
    const root = await makeSystemAdmin(t.app, await registerUser(t.api, 'root'));
    expect((await t.api.post(`/api/v1/admin/users/${dora.id}/deactivate`, {}, root.token)).status).toBe(200);
    expect((await t.api.delete(`/api/v1/teams/${team.id}/members/${alice.id}`, alice.token)).status).toBe(409);
    expect((await t.api.patch(`/api/v1/teams/${team.id}/members/${carol.id}`, { role: 'team_admin' }, alice.token)).status).toBe(200);
    expect((await t.api.delete(`/api/v1/teams/${team.id}/members/${alice.id}`, alice.token)).status).toBe(200);
  });

  it('an emptied team gets an admin only from a system admin, never by joining it', async () => {
    const team = await createTeam(t.api, alice, 'open');
    expect((await t.api.delete(`/api/v1/teams/${team.id}/members/${alice.id}`, alice.token)).status).toBe(200);
    const joined = await t.api.post(`/api/v1/teams/${team.id}/members`, { user_id: carol.id }, carol.token);
    expect(joined.status).toBe(201);
    expect(joined.body).toMatchObject({ user_id: carol.id, role: 'member' });
    const root = await makeSystemAdmin(t.app, await registerUser(t.api, 'rootjoin'));
    expect((await t.api.post(`/api/v1/teams/${team.id}/members`, { user_id: bob.id }, root.token)).body).toMatchObject({ user_id: bob.id, role: 'team_admin' });
    // With an admin in place, the next one added is an ordinary member again.
    const dave = await registerUser(t.api, 'davejoin');
    expect((await t.api.post(`/api/v1/teams/${team.id}/members`, { user_id: dave.id }, root.token)).body).toMatchObject({ user_id: dave.id, role: 'member' });
  });

  it('two admins demoting each other at once leave one admin, never none', async () => {
    const team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    await addTeamMember(t.api, alice, team.id, carol);
    expect((await t.api.patch(`/api/v1/teams/${team.id}/members/${bob.id}`, { role: 'team_admin' }, alice.token)).status).toBe(200);
    const [a, b] = await Promise.all([
      t.api.patch(`/api/v1/teams/${team.id}/members/${bob.id}`, { role: 'member' }, alice.token),
      t.api.patch(`/api/v1/teams/${team.id}/members/${alice.id}`, { role: 'member' }, bob.token),
    ]);
    // The loser is refused as if the two requests had come one after the other: by the time
    // its change runs (under the team lock) it is no longer an admin, so 403, never the
    // last-admin 409.
    expect([a.status, b.status].sort()).toEqual([200, 403]);
    const admins = (await t.api.get(`/api/v1/teams/${team.id}/members`, carol.token)).body.filter((m: any) => m.role === 'team_admin');
    expect(admins).toHaveLength(1);
  });

  it('removing a member takes them out of every channel of the team, private ones included', async () => {
    const team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    const priv = await createChannel(t.api, alice, team.id, 'private');
    await t.api.post(`/api/v1/channels/${priv.id}/members`, { user_id: bob.id }, alice.token);
    expect((await t.api.get(`/api/v1/channels/${priv.id}`, bob.token)).status).toBe(200);
    // Bob leaves by himself.
    expect((await t.api.delete(`/api/v1/teams/${team.id}/members/${bob.id}`, bob.token)).status).toBe(200);
    expect((await t.api.get(`/api/v1/channels/${priv.id}`, bob.token)).status).toBe(404);
    expect((await t.api.get('/api/v1/channels', bob.token)).body.map((c: any) => c.team_id)).not.toContain(team.id);
    expect((await t.api.get(`/api/v1/channels/${priv.id}/members`, alice.token)).body.map((m: any) => m.user_id)).toEqual([alice.id]);
  });

  it('team admins update, archive and restore; an archived team is read-only', async () => {
    const team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    const chan = await createChannel(t.api, alice, team.id);
    expect((await t.api.patch(`/api/v1/teams/${team.id}`, { display_name: 'Nope' }, bob.token)).status).toBe(403);
    const updated = await t.api.patch(`/api/v1/teams/${team.id}`, { display_name: 'Renamed', description: 'New words', type: 'open' }, alice.token);
    expect(updated.body).toMatchObject({ display_name: 'Renamed', description: 'New words', type: 'open' });
    expect((await t.api.delete(`/api/v1/teams/${team.id}`, bob.token)).status).toBe(403);
    const archived = await t.api.delete(`/api/v1/teams/${team.id}`, alice.token);
    expect(archived.status).toBe(200);
    expect(archived.body.is_archived).toBe(true);
    // Archiving twice is harmless; the team stays readable to members but nothing new happens in it.
    expect((await t.api.delete(`/api/v1/teams/${team.id}`, alice.token)).status).toBe(200);
    expect((await t.api.get(`/api/v1/teams/${team.id}`, bob.token)).status).toBe(200);
    expect((await t.api.post(`/api/v1/channels/${chan.id}/posts`, { message: 'still here?' }, alice.token)).status).toBe(403);
    expect((await t.api.post('/api/v1/channels', { team_id: team.id, name: 'late', channel_type: 'public' }, alice.token)).status).toBe(403);
    expect((await t.api.patch(`/api/v1/teams/${team.id}`, { display_name: 'x' }, alice.token)).status).toBe(403);
    expect((await t.api.post(`/api/v1/teams/${team.id}/members`, { user_id: carol.id }, alice.token)).status).toBe(403);
    expect((await t.api.get('/api/v1/teams/joinable', carol.token)).body.map((x: any) => x.id)).not.toContain(team.id);
    // Restoring brings it back.
    expect((await t.api.post(`/api/v1/teams/${team.id}/restore`, undefined, bob.token)).status).toBe(403);
    const restored = await t.api.post(`/api/v1/teams/${team.id}/restore`, undefined, alice.token);
    expect(restored.body.is_archived).toBe(false);
    expect((await t.api.post(`/api/v1/teams/${team.id}/restore`, undefined, alice.token)).status).toBe(200);
    expect((await t.api.post(`/api/v1/channels/${chan.id}/posts`, { message: 'back again' }, alice.token)).status).toBe(201);
    expect((await t.api.get('/api/v1/teams', bob.token)).body.map((x: any) => x.id)).toContain(team.id);
  });

  it('lists the channels of a team I can see: public ones and my private ones', async () => {
    const team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    const pub = await createChannel(t.api, alice, team.id, 'public');
    const priv = await createChannel(t.api, alice, team.id, 'private');
    const bobs = await createChannel(t.api, bob, team.id, 'private');
    const seen = (await t.api.get(`/api/v1/teams/${team.id}/channels`, bob.token)).body.map((c: any) => c.id);
    expect(seen).toEqual(expect.arrayContaining([pub.id, bobs.id]));
    expect(seen).not.toContain(priv.id);
    expect((await t.api.get(`/api/v1/teams/${team.id}/channels/name/${priv.name}`, bob.token)).status).toBe(404);
    expect((await t.api.get(`/api/v1/teams/${team.id}/channels/name/${pub.name.toUpperCase()}`, bob.token)).body.id).toBe(pub.id);
    expect((await t.api.get(`/api/v1/teams/${team.id}/channels/name/nothing-here`, bob.token)).status).toBe(404);
  });

  it('lets a system admin manage a team without being in it', async () => {
    const root = await makeSystemAdmin(t.app, await registerUser(t.api, 'root'));
    const team = await createTeam(t.api, alice);
    expect((await t.api.get(`/api/v1/teams/${team.id}`, root.token)).status).toBe(200);
    expect((await t.api.post(`/api/v1/teams/${team.id}/members`, { user_id: carol.id }, root.token)).status).toBe(201);
    expect((await t.api.patch(`/api/v1/teams/${team.id}`, { description: 'by root' }, root.token)).status).toBe(200);
    expect((await t.api.get('/api/v1/admin/teams?per_page=200', root.token)).body.map((x: any) => x.id)).toContain(team.id);
  });
});
