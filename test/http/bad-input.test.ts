/**
 * The bad-input table: for the main write routes, every kind of malformed request gets a
 * 4xx JSON error envelope (never a 500 or a stack trace) and writes nothing. The database
 * digest is compared before and after the whole table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type ApiResponse, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { dbDigest, locationOf } from '../helpers/store.js';

interface Route {
  readonly method: string;
  readonly url: (w: World) => string;
  /** A body the route accepts (the table checks that it does, then breaks it). */
  readonly valid: (w: World) => Record<string, unknown>;
  readonly auth: boolean;
}

interface World {
  owner: TestUser; member: TestUser; stranger: TestUser;
  team: { id: string }; channel: { id: string }; post: { id: string };
}

const ROUTES: Record<string, Route> = {
  register: { method: 'POST', url: () => '/api/v1/auth/register', valid: () => ({ username: 'newcomer', email: 'newcomer@example.com', password: 'a fine passphrase' }), auth: false },
  login: { method: 'POST', url: () => '/api/v1/auth/login', valid: (w) => ({ email: w.member.email, password: w.member.password }), auth: false },
  'update profile': { method: 'PATCH', url: () => '/api/v1/users/me', valid: () => ({ nickname: 'nick' }), auth: true },
  'custom status': { method: 'PATCH', url: () => '/api/v1/users/me', valid: () => ({ status_text: 'Away', status_emoji: 'palm_tree', status_expires_at: Date.now() + 3_600_000 }), auth: true },
  'arrange sidebar': { method: 'PUT', url: () => '/api/v1/users/me/sidebar', valid: (w) => ({ categories: [{ id: 'work', name: 'Work', channel_ids: [w.channel.id], collapsed: false }] }), auth: true },
  'change password': { method: 'POST', url: () => '/api/v1/users/me/password', valid: (w) => ({ current_password: w.member.password, new_password: 'a new passphrase' }), auth: true },
  'create team': { method: 'POST', url: () => '/api/v1/teams', valid: () => ({ name: 'bad-input-team', display_name: 'Bad Input' }), auth: true },
  'update team': { method: 'PATCH', url: (w) => `/api/v1/teams/${w.team.id}`, valid: () => ({ display_name: 'Renamed' }), auth: true },
  'add team member': { method: 'POST', url: (w) => `/api/v1/teams/${w.team.id}/members`, valid: (w) => ({ user_id: w.stranger.id }), auth: true },
  'create channel': { method: 'POST', url: () => '/api/v1/channels', valid: (w) => ({ team_id: w.team.id, name: 'bad-input-chan', channel_type: 'public' }), auth: true },
  'update channel': { method: 'PATCH', url: (w) => `/api/v1/channels/${w.channel.id}`, valid: () => ({ header: 'new header' }), auth: true },
  'create post': { method: 'POST', url: (w) => `/api/v1/channels/${w.channel.id}/posts`, valid: () => ({ message: 'hello', props: { a: 1 } }), auth: true },
  'edit post': { method: 'PUT', url: (w) => `/api/v1/posts/${w.post.id}`, valid: () => ({ message: 'edited' }), auth: true },
  react: { method: 'POST', url: (w) => `/api/v1/posts/${w.post.id}/reactions`, valid: () => ({ emoji_name: 'tada' }), auth: true },
  'forgot password': { method: 'POST', url: () => '/api/v1/auth/password/forgot', valid: (w) => ({ email: w.member.email }), auth: false },
  'reset password': { method: 'POST', url: () => '/api/v1/auth/password/reset', valid: () => ({ token: 'A'.repeat(43), new_password: 'a new passphrase' }), auth: false },
};

type Breaker = (valid: Record<string, unknown>, w: World) => { raw?: string | Buffer; body?: unknown; contentType?: string | null; expect: number };

const firstString = (v: Record<string, unknown>): string => Object.keys(v).find((k) => typeof v[k] === 'string')!;
const json = (raw: string, status = 400): ReturnType<Breaker> => ({ raw, expect: status });

const BREAKERS: Record<string, Breaker> = {
  'malformed JSON': (v) => json(JSON.stringify(v).slice(0, -1)),
  'trailing garbage': (v) => json(`${JSON.stringify(v)}x`),
  'empty body': () => json(''),
  'whitespace body': () => json('  \n '),
  'JSON null': () => json('null'),
  'JSON array': (v) => json(JSON.stringify([v])),
  'JSON string': () => json('"hello"'),
  'JSON number': () => json('42'),
  'number instead of string': (v) => ({ body: { ...v, [firstString(v)]: 12345 }, expect: 400 }),
  'array instead of string': (v) => ({ body: { ...v, [firstString(v)]: ['a'] }, expect: 400 }),
  'object instead of string': (v) => ({ body: { ...v, [firstString(v)]: { $gt: '' } }, expect: 400 }),
  'null instead of string': (v) => ({ body: { ...v, [firstString(v)]: null }, expect: 400 }),
  'boolean instead of string': (v) => ({ body: { ...v, [firstString(v)]: true }, expect: 400 }),
  'unknown field': (v) => ({ body: { ...v, surprise: 'x' }, expect: 400 }),
  'mass-assigned role': (v) => ({ body: { ...v, role: 'system_admin' }, expect: 400 }),
  'mass-assigned user_id': (v, w) => ({ body: { ...v, user_id: w.owner.id, ...(v.user_id !== undefined ? { creator_id: w.owner.id } : {}) }, expect: v.user_id !== undefined ? 400 : 400 }),
  'mass-assigned id and timestamps': (v) => ({ body: { ...v, id: '00000000-0000-4000-8000-000000000000', created_at: 1 }, expect: 400 }),
  'mass-assigned seq / is_pinned': (v) => ({ body: { ...v, seq: 1, is_pinned: true }, expect: 400 }),
  'NUL byte in a string': (v) => ({ body: { ...v, [firstString(v)]: `a\u0000b` }, expect: 400 }),
  'escaped lone surrogate': (v) => json(JSON.stringify(v).replace(/":"/, '":"\\ud800')),
  'escaped lone low surrogate': (v) => json(JSON.stringify(v).replace(/":"/, '":"x\\udc00')),
  'NUL in a key': (v) => json(`{"a\\u0000b":1,${JSON.stringify(v).slice(1)}`),
  '__proto__ key': (v) => json(`{"__proto__":{"role":"system_admin"},${JSON.stringify(v).slice(1)}`),
  'nested __proto__': (v) => json(`{"x":{"__proto__":{"isAdmin":true}},${JSON.stringify(v).slice(1)}`),
  'constructor.prototype': (v) => json(`{"constructor":{"prototype":{"isAdmin":true}},${JSON.stringify(v).slice(1)}`),
  'deeply nested JSON (objects)': (v) => json(`{"deep":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)},${JSON.stringify(v).slice(1)}`),
  'deeply nested JSON (arrays)': () => json(`${'['.repeat(100_000)}${']'.repeat(100_000)}`),
  'huge number (1e400)': (v) => json(JSON.stringify({ ...v, [firstString(v)]: 0 }).replace(/:0([,}])/, ':1e400$1')),
  'huge integer (2^70)': (v) => json(JSON.stringify({ ...v, [firstString(v)]: 0 }).replace(/:0([,}])/, ':1180591620717411303424$1')),
  'oversized body (> 1 MiB)': (v) => ({ body: { ...v, [firstString(v)]: 'x'.repeat(1_100_000) }, expect: 413 }),
  'oversized body, wrong type': () => ({ raw: 'x'.repeat(1_100_000), contentType: 'text/plain', expect: 415 }),
  'text/plain content type': (v) => ({ raw: JSON.stringify(v), contentType: 'text/plain', expect: 415 }),
  'form content type': () => ({ raw: 'name=x&role=system_admin', contentType: 'application/x-www-form-urlencoded', expect: 415 }),
  'multipart content type': () => ({ raw: '--b\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n--b--\r\n', contentType: 'multipart/form-data; boundary=b', expect: 415 }),
  'xml content type': () => ({ raw: '<x/>', contentType: 'application/xml', expect: 415 }),
  'no content type': (v) => ({ raw: JSON.stringify(v), contentType: null, expect: 415 }),
};

describe.each(STORES)('bad input (%s)', (kind) => {
  let t: TestApp;
  let w: World;
  beforeAll(async () => {
    t = await startApp(kind);
    const [owner, member, stranger] = await Promise.all(['owner', 'member', 'stranger'].map((n) => registerUser(t.api, n)));
    const team = await createTeam(t.api, owner!);
    await addTeamMember(t.api, owner!, team.id, member!);
    const channel = await createChannel(t.api, owner!, team.id);
    await addChannelMember(t.api, owner!, channel.id, member!);
    const post = await createPost(t.api, owner!, channel.id, 'original');
    w = { owner: owner!, member: member!, stranger: stranger!, team, channel, post };
  });
  afterAll(async () => t?.close());

  function send(route: Route, b: ReturnType<Breaker>, as: TestUser): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    let rawBody: string | Buffer;
    if (b.raw !== undefined) rawBody = b.raw;
    else rawBody = JSON.stringify(b.body);
    if (b.contentType !== null) headers['content-type'] = b.contentType ?? 'application/json';
    return t.api.request(route.method, route.url(w), { token: route.auth ? as.token : undefined, rawBody, headers });
  }

  function checkEnvelope(res: ApiResponse, label: string, problems: string[], expected: number): void {
    const ok = res.status === expected && /^application\/json/.test(String(res.headers['content-type'])) && typeof res.body?.error?.code === 'string'
      && typeof res.body?.error?.message === 'string' && res.body.error.request_id === res.headers['x-request-id'];
    if (!ok) problems.push(`${label}: ${res.status} ${res.text.slice(0, 200)}`);
    if (/at .+\.(ts|js):\d+/.test(res.text)) problems.push(`${label}: stack trace in the answer`);
  }

  it('sanity: each route accepts its valid body (so the table breaks working requests)', async () => {
    // Probed on a throwaway account so the real fixtures stay as they are.
    const u = await registerUser(t.api, 'sane');
    const res = await t.api.request('PATCH', '/api/v1/users/me', { token: u.token, body: ROUTES['update profile']!.valid(w) });
    expect(res.status).toBe(200);
    const post = await t.api.request('POST', ROUTES['create post']!.url(w), { token: w.member.token, body: ROUTES['create post']!.valid(w) });
    expect(post.status).toBe(201);
    for (const name of ['custom status', 'arrange sidebar']) {
      const r = ROUTES[name]!;
      expect((await t.api.request(r.method, r.url(w), { token: w.member.token, body: r.valid(w) })).status).toBe(200);
    }
  });

  it('answers every malformed request with a 4xx JSON envelope and writes nothing', async () => {
    const before = await dbDigest(locationOf(t));
    const problems: string[] = [];
    let n = 0;
    for (const [routeName, route] of Object.entries(ROUTES)) {
      for (const [breakerName, breaker] of Object.entries(BREAKERS)) {
        const b = breaker(route.valid(w), w);
        const res = await send(route, b, w.owner);
        n++;
        checkEnvelope(res, `${routeName} / ${breakerName}`, problems, b.expect);
      }
    }
    expect(problems).toEqual([]);
    expect(n).toBe(Object.keys(ROUTES).length * Object.keys(BREAKERS).length);
    expect(await dbDigest(locationOf(t))).toBe(before);
    expect(t.logs.text()).not.toContain('unhandled error');
  });

  it('refuses malformed path ids and query strings with 400', async () => {
    const before = await dbDigest(locationOf(t));
    const problems: string[] = [];
    const urls = [
      ['GET', '/api/v1/channels/not-a-uuid'],
      ['GET', '/api/v1/channels/12345'],
      ['GET', `/api/v1/channels/${w.channel.id}x`],
      ['GET', `/api/v1/channels/${w.channel.id.toUpperCase().replace(/-/g, '')}`],
      ['GET', '/api/v1/channels/%00'],
      ['GET', '/api/v1/channels/..%2F..%2Fetc%2Fpasswd'],
      ['GET', "/api/v1/channels/'%20OR%201=1--"],
      ['DELETE', `/api/v1/teams/${w.team.id}/members/not-a-uuid`],
      ['POST', '/api/v1/posts/not-a-uuid/pin'],
      ['GET', '/api/v1/posts/%ED%A0%80'],
      ['GET', `/api/v1/channels/${w.channel.id}/posts?limit=1e309`],
      ['GET', `/api/v1/channels/${w.channel.id}/posts?limit=-1`],
      ['GET', `/api/v1/channels/${w.channel.id}/posts?limit=abc`],
      ['GET', `/api/v1/channels/${w.channel.id}/posts?limit=99999999999999999999999`],
      ['GET', `/api/v1/channels/${w.channel.id}/posts?before=${'9'.repeat(40)}`],
      ['GET', `/api/v1/channels/${w.channel.id}/posts?before=%00`],
      ['GET', `/api/v1/channels/${w.channel.id}/posts?after=-5`],
      ['GET', '/api/v1/users?page=-1'],
      ['GET', '/api/v1/users?per_page=1e9'],
      ['GET', '/api/v1/users?q=a%00b'],
      ['GET', `/api/v1/users?q=${'x'.repeat(65)}`],
      ['GET', '/api/v1/teams?include_archived=maybe'],
      ['GET', `/api/v1/posts/${w.post.id}/thread?cursor=1e5`],
      ['GET', `/api/v1/posts/${w.post.id}/thread?limit=0`],
      ['POST', '/api/v1/users/status/ids'],
    ] as const;
    for (const [method, url] of urls) {
      const res = await t.api.request(method, url, { token: w.owner.token, ...(method === 'POST' && url.endsWith('/ids') ? { body: ['nope'] } : {}) });
      checkEnvelope(res, `${method} ${url}`, problems, 400);
    }
    expect(problems).toEqual([]);
    expect(await dbDigest(locationOf(t))).toBe(before);
  });

  it('leaves no half-written state when a multi-row write fails half way', async () => {
    // A team name collision is only discovered by the database, after the checks: the
    // team, its town-square and both memberships must all be absent afterwards.
    const before = await dbDigest(locationOf(t));
    const taken = (await t.api.get(`/api/v1/teams/${w.team.id}`, w.owner.token)).body.name;
    const res = await t.api.post('/api/v1/teams', { name: taken, display_name: 'Clash' }, w.member.token);
    expect(res.status).toBe(409);
    const dup = await t.api.post('/api/v1/channels', { team_id: w.team.id, name: 'town-square', channel_type: 'public' }, w.member.token);
    expect(dup.status).toBe(409);
    expect(await dbDigest(locationOf(t))).toBe(before);
  });

  it('stays up and correct afterwards', async () => {
    expect((await t.api.get('/api/v1/health/ready')).status).toBe(200);
    const me = await t.api.get('/api/v1/auth/me', w.owner.token);
    expect(me.body.role).toBe('system_user');
    expect(({} as Record<string, unknown>).role).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });
});
