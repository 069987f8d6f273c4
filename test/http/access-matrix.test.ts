/**
 * The access-control matrix. For every route that takes an id, people who may not see the
 * thing (a user in no team, a user of another team, a teammate outside a private channel or
 * someone else's direct message) are refused WITHOUT learning whether it exists: the answer
 * is the same (status, content type, code and message) as for a random id that exists
 * nowhere. And none of these refusals writes anything.
 *
 * A coverage check makes every id-taking route in the OpenAPI document appear here, or in
 * GLOBAL with the reason it is not member-scoped.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, directChannel, envelope, registerUser, type TestUser } from '../helpers/factories.js';
import { dbDigest, locationOf } from '../helpers/store.js';

type Kind = 'team' | 'channel' | 'post' | 'session' | 'user';

interface Probe {
  /** Route as in the OpenAPI document, e.g. `GET /api/v1/channels/{id}`. */
  readonly route: string;
  /** What `{id}` (or the body id) names. */
  readonly kind: Kind;
  /** Extra path parameters and the body, given the actor. */
  readonly params?: (w: World, actor: TestUser) => Record<string, string>;
  readonly body?: (w: World, actor: TestUser, id: string) => unknown;
  /** The id travels in the body, not in the path. */
  readonly idInBody?: boolean;
}

interface World {
  alice: TestUser; bob: TestUser; erin: TestUser; gina: TestUser; carol: TestUser; dave: TestUser;
  teamA: { id: string }; teamB: { id: string };
  pub: { id: string; name: string }; priv: { id: string; name: string }; daves: { id: string };
  dm: { id: string }; grp: { id: string };
  postPub: { id: string }; postPriv: { id: string }; postDm: { id: string }; postGrp: { id: string };
  bobSession: string;
}

const member = (w: World) => ({ user_id: w.bob.id });
const PROBES: Probe[] = [
  // Teams
  { route: 'GET /api/v1/teams/{id}', kind: 'team' },
  { route: 'PATCH /api/v1/teams/{id}', kind: 'team', body: () => ({ display_name: 'Owned' }) },
  { route: 'DELETE /api/v1/teams/{id}', kind: 'team' },
  { route: 'POST /api/v1/teams/{id}/restore', kind: 'team' },
  { route: 'GET /api/v1/teams/{id}/members', kind: 'team' },
  { route: 'POST /api/v1/teams/{id}/members', kind: 'team', body: (_w, a) => ({ user_id: a.id }) },
  { route: 'PATCH /api/v1/teams/{id}/members/{user_id}', kind: 'team', params: member, body: () => ({ role: 'team_admin' }) },
  { route: 'DELETE /api/v1/teams/{id}/members/{user_id}', kind: 'team', params: member },
  { route: 'DELETE /api/v1/teams/{id}/members/{user_id}', kind: 'team', params: (_w, a) => ({ user_id: a.id }) },
  { route: 'GET /api/v1/teams/{id}/channels', kind: 'team' },
  { route: 'GET /api/v1/teams/{id}/channels/name/{name}', kind: 'team', params: (w) => ({ name: w.pub.name }) },
  { route: 'GET /api/v1/teams/{id}/channels/name/{name}', kind: 'team', params: (w) => ({ name: w.priv.name }) },
  { route: 'POST /api/v1/channels', kind: 'team', idInBody: true, body: (_w, _a, id) => ({ team_id: id, name: 'sneaky', channel_type: 'public' }) },
  // Channels
  { route: 'GET /api/v1/channels/{id}', kind: 'channel' },
  { route: 'PATCH /api/v1/channels/{id}', kind: 'channel', body: () => ({ header: 'defaced' }) },
  { route: 'PATCH /api/v1/channels/{id}', kind: 'channel', body: () => ({ display_name: 'Defaced' }) },
  { route: 'DELETE /api/v1/channels/{id}', kind: 'channel' },
  { route: 'POST /api/v1/channels/{id}/restore', kind: 'channel' },
  { route: 'GET /api/v1/channels/{id}/members', kind: 'channel' },
  { route: 'GET /api/v1/channels/{id}/members/{user_id}', kind: 'channel', params: member },
  { route: 'POST /api/v1/channels/{id}/members', kind: 'channel', body: (_w, a) => ({ user_id: a.id }) },
  { route: 'POST /api/v1/channels/{id}/members', kind: 'channel', body: (w) => ({ user_id: w.erin.id }) },
  { route: 'PATCH /api/v1/channels/{id}/members/{user_id}', kind: 'channel', params: member, body: () => ({ role: 'channel_admin' }) },
  { route: 'DELETE /api/v1/channels/{id}/members/{user_id}', kind: 'channel', params: member },
  { route: 'DELETE /api/v1/channels/{id}/members/{user_id}', kind: 'channel', params: (_w, a) => ({ user_id: a.id }) },
  { route: 'POST /api/v1/channels/{id}/read', kind: 'channel' },
  { route: 'GET /api/v1/channels/{id}/unread', kind: 'channel' },
  { route: 'GET /api/v1/channels/{id}/stats', kind: 'channel' },
  { route: 'GET /api/v1/channels/{id}/posts', kind: 'channel' },
  { route: 'POST /api/v1/channels/{id}/posts', kind: 'channel', body: () => ({ message: 'let me in', client_msg_id: 'intruder' }) },
  { route: 'GET /api/v1/channels/{id}/pinned', kind: 'channel' },
  // Posts (the post id may also travel as a thread root in the body of a post I may make).
  { route: 'GET /api/v1/posts/{id}', kind: 'post' },
  { route: 'PUT /api/v1/posts/{id}', kind: 'post', body: () => ({ message: 'rewritten' }) },
  { route: 'DELETE /api/v1/posts/{id}', kind: 'post' },
  { route: 'GET /api/v1/posts/{id}/thread', kind: 'post' },
  { route: 'POST /api/v1/posts/{id}/reactions', kind: 'post', body: () => ({ emoji_name: 'eyes' }) },
  { route: 'DELETE /api/v1/posts/{id}/reactions/{emoji}', kind: 'post', params: () => ({ emoji: 'tada' }) },
  { route: 'POST /api/v1/posts/{id}/pin', kind: 'post' },
  { route: 'DELETE /api/v1/posts/{id}/pin', kind: 'post' },
  { route: 'POST /api/v1/posts/{id}/save', kind: 'post' },
  { route: 'DELETE /api/v1/posts/{id}/save', kind: 'post' },
  { route: 'POST /api/v1/posts/{id}/unread', kind: 'post' },
  { route: 'POST /api/v1/channels/{id}/posts', kind: 'post', idInBody: true, params: (w, a) => ({ id: a === w.erin ? w.pub.id : w.daves.id }), body: (_w, _a, id) => ({ message: 'reply', root_post_id: id }) },
  // Sessions are per user.
  { route: 'DELETE /api/v1/users/me/sessions/{id}', kind: 'session' },
  // Admin routes: refused to non-admins before the id is even looked at.
  { route: 'POST /api/v1/admin/users/{id}/deactivate', kind: 'user' },
  { route: 'POST /api/v1/admin/users/{id}/reactivate', kind: 'user' },
  { route: 'PUT /api/v1/admin/users/{id}/role', kind: 'user', body: () => ({ role: 'system_admin' }) },
  { route: 'POST /api/v1/admin/users/{id}/revoke_sessions', kind: 'user' },
  { route: 'POST /api/v1/admin/users/{id}/password_reset', kind: 'user' },
  // SSO provider administration: system admins only, checked before the id is looked at.
  { route: 'GET /api/v1/admin/sso/{id}', kind: 'user' },
  { route: 'PUT /api/v1/admin/sso/{id}', kind: 'user', body: () => ({ display_name: 'Taken over' }) },
  { route: 'DELETE /api/v1/admin/sso/{id}', kind: 'user' },
];

/** Id-taking routes that are not member-scoped, and why. */
const GLOBAL: Record<string, string> = {
  'GET /api/v1/users/{id}': 'the user directory is server-wide (e-mail addresses stay hidden)',
  'GET /api/v1/users/{id}/status': 'presence is server-wide, like the directory',
  'GET /api/v1/oauth2/{provider}/login': 'public sign-in entry; {provider} is a provider key on the login page (test/sso)',
  'GET /api/v1/oauth2/{provider}/callback': 'public sign-in return; guarded by the state bound to the browser (test/sso/state.test.ts)',
};

describe.each(STORES)('access-control matrix (%s)', (kind) => {
  let t: TestApp;
  let w: World;
  beforeAll(async () => {
    t = await startApp(kind);
    const [alice, bob, erin, gina, carol, dave] = await Promise.all(['alice', 'bob', 'erin', 'gina', 'carol', 'dave'].map((n) => registerUser(t.api, n)));
    const teamA = await createTeam(t.api, alice!, 'invite');
    await addTeamMember(t.api, alice!, teamA.id, bob!);
    await addTeamMember(t.api, alice!, teamA.id, erin!);
    const teamB = await createTeam(t.api, dave!, 'invite');
    const pub = await createChannel(t.api, alice!, teamA.id, 'public');
    const priv = await createChannel(t.api, alice!, teamA.id, 'private');
    await addChannelMember(t.api, alice!, pub.id, bob!);
    await addChannelMember(t.api, alice!, pub.id, erin!);
    await addChannelMember(t.api, alice!, priv.id, bob!);
    const daves = await createChannel(t.api, dave!, teamB.id, 'public');
    const dm = await directChannel(t.api, alice!, bob!);
    const grp = (await t.api.post('/api/v1/channels', { channel_type: 'group', user_ids: [bob!.id, gina!.id] }, alice!.token)).body;
    const postPub = await createPost(t.api, alice!, pub.id, 'public words');
    const postPriv = await createPost(t.api, alice!, priv.id, 'private words');
    const postDm = await createPost(t.api, alice!, dm.id, 'direct words');
    const postGrp = await createPost(t.api, alice!, grp.id, 'group words');
    for (const p of [postPub, postPriv, postDm, postGrp]) {
      await t.api.post(`/api/v1/posts/${p.id}/reactions`, { emoji_name: 'tada' }, bob!.token);
      await t.api.post(`/api/v1/posts/${p.id}/pin`, undefined, bob!.token);
    }
    await createPost(t.api, bob!, priv.id, 'a reply', { root_post_id: postPriv.id });
    const bobSession = (await t.api.get('/api/v1/users/me/sessions', bob!.token)).body[0].id;
    w = { alice: alice!, bob: bob!, erin: erin!, gina: gina!, carol: carol!, dave: dave!, teamA, teamB, pub, priv, daves, dm, grp, postPub, postPriv, postDm, postGrp, bobSession };
  });
  afterAll(async () => t?.close());

  /** The resources each kind of outsider must not see. */
  function targets(actor: TestUser, k: Kind): string[] {
    const strangers = actor === w.carol || actor === w.dave;
    switch (k) {
      case 'team': return strangers ? [w.teamA.id] : [];
      case 'channel': return [w.priv.id, w.dm.id, w.grp.id, ...(strangers ? [w.pub.id] : [])];
      case 'post': return [w.postPriv.id, w.postDm.id, w.postGrp.id, ...(strangers ? [w.postPub.id] : [])];
      case 'session': return [w.bobSession];
      case 'user': return [w.bob.id];
    }
  }

  function call(p: Probe, actor: TestUser, id: string) {
    const [method, template] = p.route.split(' ') as [string, string];
    const params: Record<string, string> = { ...(p.idInBody ? {} : { id }), ...(p.params?.(w, actor) ?? {}) };
    const url = template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name]!));
    const body = p.body?.(w, actor, id);
    return t.api.request(method, url, { token: actor.token, ...(body === undefined ? {} : { body }) });
  }

  it('refuses outsiders exactly as it refuses a random id, and writes nothing', async () => {
    const before = await dbDigest(locationOf(t));
    const failures: string[] = [];
    let compared = 0;
    for (const actor of [w.carol, w.dave, w.erin, w.gina]) {
      for (const p of PROBES) {
        for (const id of targets(actor, p.kind)) {
          if (actor === w.gina && id === w.grp.id) continue;
          if (actor === w.gina && id === w.postGrp.id) continue;
          const real = await call(p, actor, id);
          const random = await call(p, actor, randomUUID());
          compared++;
          const a = envelope(real);
          const b = envelope(random);
          const label = `${p.route} as ${actor.username} on ${id}`;
          if (JSON.stringify(a) !== JSON.stringify(b)) failures.push(`${label}: ${JSON.stringify(a)} vs random ${JSON.stringify(b)}`);
          else if (real.status < 400 || real.status >= 500) failures.push(`${label}: not refused (${real.status})`);
          else if (!(real.status === 404 || (p.kind === 'user' && real.status === 403) || (p.idInBody && p.kind === 'post' && real.status === 422))) {
            failures.push(`${label}: unexpected ${real.status} ${real.text}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(compared).toBeGreaterThan(300);
    expect(await dbDigest(locationOf(t))).toBe(before);
  });

  it('still lets insiders in (the probes are not refused for everyone)', async () => {
    const ok = async (p: Probe, id: string) => (await call(p, w.bob, id)).status;
    const byRoute = (r: string) => PROBES.find((p) => p.route === r)!;
    expect(await ok(byRoute('GET /api/v1/channels/{id}'), w.priv.id)).toBe(200);
    expect(await ok(byRoute('GET /api/v1/channels/{id}/posts'), w.dm.id)).toBe(200);
    expect(await ok(byRoute('GET /api/v1/posts/{id}/thread'), w.postPriv.id)).toBe(200);
    expect(await ok(byRoute('GET /api/v1/teams/{id}/members'), w.teamA.id)).toBe(200);
    expect((await t.api.get(`/api/v1/channels/${w.pub.id}`, w.erin.token)).status).toBe(200);
    expect((await t.api.get(`/api/v1/posts/${w.postGrp.id}`, w.gina.token)).status).toBe(200);
  });

  it('covers every id-taking route of the API', async () => {
    const doc = (await t.api.get('/api/v1/openapi.json')).body;
    const idRoutes: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      if (!path.includes('{')) continue;
      for (const method of Object.keys(ops)) idRoutes.push(`${method.toUpperCase()} ${path}`);
    }
    const covered = new Set(PROBES.map((p) => p.route));
    expect(idRoutes.filter((r) => !covered.has(r) && GLOBAL[r] === undefined)).toEqual([]);
  });
});
