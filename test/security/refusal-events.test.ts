/**
 * Every refusal is a security event with its reason (security contract §9), including reads
 * hidden as 404: the client sees exactly the 404 of a thing that does not exist, while the
 * log gets one `access_denied` line saying what was refused and why. A random id (nothing
 * refused, nothing there) gets no event.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type ApiResponse, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, directChannel, envelope, registerUser, type TestUser } from '../helpers/factories.js';
import { jsonLines } from './support.js';

describe.each(STORES)('refusals hidden as 404 are access_denied events (%s)', (kind) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let erin: TestUser;
  let dave: TestUser;
  let team: { id: string };
  let priv: { id: string };
  let dm: { id: string };
  let privPost: { id: string };
  let dmPost: { id: string };
  beforeAll(async () => {
    t = await startApp(kind);
    [alice, bob, erin, dave] = await Promise.all(['alice', 'bob', 'erin', 'dave'].map((n) => registerUser(t.api, n))) as [TestUser, TestUser, TestUser, TestUser];
    team = await createTeam(t.api, alice, 'invite');
    await addTeamMember(t.api, alice, team.id, bob);
    await addTeamMember(t.api, alice, team.id, erin);
    priv = await createChannel(t.api, alice, team.id, 'private');
    await addChannelMember(t.api, alice, priv.id, bob);
    dm = await directChannel(t.api, alice, bob);
    privPost = await createPost(t.api, alice, priv.id, 'private words');
    dmPost = await createPost(t.api, alice, dm.id, 'direct words');
  });
  afterAll(async () => t?.close());

  const deniedFor = (res: ApiResponse) => jsonLines(t.logs.text()).filter((l) => l.security_event === 'access_denied' && l.request_id === res.headers['x-request-id']);

  it.each([
    ['someone else\'s private channel', () => `/api/v1/channels/${priv.id}`, () => erin, 'channel', () => priv.id, 'private_channel'],
    ['a post in a private channel', () => `/api/v1/posts/${privPost.id}`, () => erin, 'post', () => privPost.id, 'private_channel'],
    ['a post in someone else\'s direct messages', () => `/api/v1/posts/${dmPost.id}/thread`, () => erin, 'post', () => dmPost.id, 'not_member'],
    ['someone else\'s direct channel', () => `/api/v1/channels/${dm.id}/posts`, () => dave, 'channel', () => dm.id, 'not_member'],
    ['a team one is not in', () => `/api/v1/teams/${team.id}`, () => dave, 'team', () => team.id, 'not_team_member'],
  ])('%s: the 404 of a missing thing, and one event with the reason', async (_name, url, who, resource, id, reason) => {
    const actor = who();
    const real = await t.api.request('GET', url(), { token: actor.token, ip: '192.0.2.44' });
    const missing = await t.api.request('GET', url().replace(id(), randomUUID()), { token: actor.token, ip: '192.0.2.44' });
    expect(real.status).toBe(404);
    expect(envelope(real)).toEqual(envelope(missing));
    expect(deniedFor(real)).toEqual([expect.objectContaining({ severity: 'info', client_ip: '192.0.2.44', user_id: actor.id, resource, resource_id: id(), reason, status: 404 })]);
    expect(deniedFor(missing)).toEqual([]);
  });

  it('an action on a hidden thing is also an event (the reason is why it is hidden)', async () => {
    const res = await t.api.put(`/api/v1/posts/${privPost.id}`, { message: 'rewritten' }, erin.token);
    expect(res.status).toBe(404);
    expect(deniedFor(res)).toEqual([expect.objectContaining({ resource: 'post', action: 'edit', reason: 'private_channel', status: 404 })]);
  });
});
