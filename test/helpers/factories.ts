/** Small builders for test data, all through the public API. */
import { randomBytes } from 'node:crypto';
import { startApp, type Api, type StoreKind, type TestApp } from './app.js';
import { registrationTokenIn, type SmtpSink } from './smtp-sink.js';

export interface TestUser {
  readonly id: string;
  readonly username: string;
  readonly email: string;
  readonly password: string;
  readonly token: string;
}

let counter = 0;
export function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}${counter}${randomBytes(3).toString('hex')}`.toLowerCase().slice(0, 22);
}

/**
 * Registers a user the way the web client does. Without a mail relay (the test default):
 * register (202, `next: sign_in`), then sign in with the same password. With one (`mail`, the
 * sink the app sends to): register (202, `next: check_email`), then finish with the link of
 * the mail that arrives.
 */
export async function registerUser(api: Api, prefix = 'user', mail?: SmtpSink): Promise<TestUser> {
  const username = uniqueName(prefix.replace(/[^a-z]/g, '') || 'user');
  const email = `${username}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const mailed = mail?.next(email);
  const res = await api.post('/api/v1/auth/register', { username, email, password });
  if (res.status !== 202 || res.body.next !== (mail === undefined ? 'sign_in' : 'check_email')) throw new Error(`register failed: ${res.status} ${res.text}`);
  const signedIn = mailed === undefined
    ? await api.post('/api/v1/auth/login', { email, password })
    : await api.post('/api/v1/auth/register/complete', { token: registrationTokenIn(await mailed) });
  if (signedIn.status !== (mailed === undefined ? 200 : 201)) throw new Error(`signing in after register failed: ${signedIn.status} ${signedIn.text}`);
  return { id: signedIn.body.user.id, username, email, password, token: signedIn.body.token };
}

export async function createTeam(api: Api, owner: TestUser, type: 'open' | 'invite' = 'invite'): Promise<{ id: string; name: string }> {
  const name = uniqueName('team');
  const res = await api.post('/api/v1/teams', { name, display_name: `Team ${name}`, type }, owner.token);
  if (res.status !== 201) throw new Error(`team create failed: ${res.status} ${res.text}`);
  return res.body;
}

export async function addTeamMember(api: Api, admin: TestUser, teamId: string, user: TestUser): Promise<void> {
  const res = await api.post(`/api/v1/teams/${teamId}/members`, { user_id: user.id }, admin.token);
  if (res.status !== 201) throw new Error(`team add failed: ${res.status} ${res.text}`);
}

export async function createChannel(api: Api, owner: TestUser, teamId: string, type: 'public' | 'private' = 'public'): Promise<{ id: string; name: string }> {
  const name = uniqueName('chan');
  const res = await api.post('/api/v1/channels', { team_id: teamId, name, display_name: `Channel ${name}`, channel_type: type }, owner.token);
  if (res.status !== 201) throw new Error(`channel create failed: ${res.status} ${res.text}`);
  return res.body;
}

export async function addChannelMember(api: Api, by: TestUser, channelId: string, user: TestUser): Promise<void> {
  const res = await api.post(`/api/v1/channels/${channelId}/members`, { user_id: user.id }, by.token);
  if (res.status !== 201) throw new Error(`channel add failed: ${res.status} ${res.text}`);
}

export async function createPost(api: Api, user: TestUser, channelId: string, message: string, extra: Record<string, unknown> = {}): Promise<any> {
  const res = await api.post(`/api/v1/channels/${channelId}/posts`, { message, ...extra }, user.token);
  if (res.status !== 201) throw new Error(`post failed: ${res.status} ${res.text}`);
  return res.body;
}

/** Signs in through the API (e-mail or username in `email`); returns the new token. */
export async function login(api: Api, loginName: string, password: string): Promise<string> {
  const res = await api.post('/api/v1/auth/login', { email: loginName, password });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return res.body.token as string;
}

/** Makes an existing user a system admin, straight in the database (as `rustchat create-admin` would). */
export async function makeSystemAdmin(app: { store: { users: { setRole(id: string, role: 'system_admin' | 'system_user', now: number): Promise<void> } } }, user: TestUser): Promise<TestUser> {
  await app.store.users.setRole(user.id, 'system_admin', Date.now());
  return user;
}

/** Opens (or finds) the direct channel between two users. */
export async function directChannel(api: Api, a: TestUser, b: TestUser): Promise<{ id: string }> {
  const res = await api.post('/api/v1/channels', { channel_type: 'direct', target_user_id: b.id }, a.token);
  if (res.status !== 201 && res.status !== 200) throw new Error(`direct channel failed: ${res.status} ${res.text}`);
  return res.body;
}

/** The error envelope without its per-request id, for comparing two refusals. */
export function envelope(res: { status: number; body: any; headers: Record<string, string | string[] | undefined> }): { status: number; contentType: string; error: Record<string, unknown> } {
  const { request_id: _rid, ...error } = (res.body?.error ?? {}) as Record<string, unknown>;
  const type = res.headers['content-type'];
  return { status: res.status, contentType: (Array.isArray(type) ? type.join() : type ?? '').split(';')[0]!, error };
}

/** A fresh app of `kind` with a system admin ("root") and a plain user: the admin tests' world. */
export async function startAppWithAdmin(kind: StoreKind, plainPrefix = 'user'): Promise<{ t: TestApp; root: TestUser; user: TestUser }> {
  const t = await startApp(kind);
  const root = await makeSystemAdmin(t.app, await registerUser(t.api, 'root'));
  const user = await registerUser(t.api, plainPrefix);
  return { t, root, user };
}

/** Alice (team and channel owner) and Bob, both in a new team and a new channel of it: the usual start of a two-person test. */
export async function twoInAChannel(api: Api, type: 'public' | 'private' = 'public'): Promise<{ alice: TestUser; bob: TestUser; team: { id: string; name: string }; channel: { id: string; name: string } }> {
  const alice = await registerUser(api, 'alice');
  const bob = await registerUser(api, 'bob');
  const team = await createTeam(api, alice, 'invite');
  await addTeamMember(api, alice, team.id, bob);
  const channel = await createChannel(api, alice, team.id, type);
  await addChannelMember(api, alice, channel.id, bob);
  return { alice, bob, team, channel };
}
