/**
 * Slash commands (issue #16) on both stores: built-ins through the same services as REST,
 * custom commands calling a real receiver on loopback (trusted by an explicit
 * RUSTCHAT_OUTBOUND_ALLOWED_HOSTS) with the exact Mattermost request, ephemeral answers that
 * reach only the caller's sockets and are never stored, the SSRF canary, bad input, CRUD with
 * audit, autocomplete and the metrics counter.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createTeam, makeSystemAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { WsClient } from '../helpers/ws-client.js';
import { listening, type Live } from '../realtime/helpers.js';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A loopback HTTP server recording every request and answering with `reply`. */
async function receiver(reply: (req: Received, res: ServerResponse) => void = (_r, res) => res.end()): Promise<{ server: Server; url: string; port: number; requests: Received[]; reply: typeof reply }> {
  const requests: Received[] = [];
  const state = { reply };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      state.reply(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server, port, url: `http://127.0.0.1:${port}`, requests,
    set reply(fn: typeof reply) {
      state.reply = fn;
    },
    get reply() {
      return state.reply;
    },
  };
}

const json = (body: unknown) => (_r: Received, res: ServerResponse) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
};

describe.each(STORES)('slash commands (%s)', (kind) => {
  let live: Live;
  let alice: TestUser;
  let bob: TestUser;
  let erin: TestUser;
  let team: { id: string; name: string };
  let channel: { id: string; name: string };
  let other: { id: string; name: string };
  let rx: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => {
    rx = await receiver();
    // @channel needs confirming in any channel of more than one member here.
    live = await listening(kind, { env: { RUSTCHAT_OUTBOUND_ALLOWED_HOSTS: '127.0.0.1', RUSTCHAT_NOTIFY_CHANNEL_MENTION_CONFIRM_MEMBERS: '1' } });
    alice = await registerUser(live.t.api, 'alice');
    bob = await registerUser(live.t.api, 'bob');
    erin = await registerUser(live.t.api, 'erin');
    team = await createTeam(live.t.api, alice, 'invite');
    await addTeamMember(live.t.api, alice, team.id, bob);
    await addTeamMember(live.t.api, alice, team.id, erin);
    channel = await createChannel(live.t.api, alice, team.id, 'public');
    await addChannelMember(live.t.api, alice, channel.id, bob);
    other = await createChannel(live.t.api, alice, team.id, 'public');
  });
  afterAll(async () => {
    await live?.t.close();
    rx?.server.close();
  });
  const api = () => live.t.api;
  const run = (user: TestUser, command: string, channelId = channel.id) => api().post('/api/v1/commands/execute', { channel_id: channelId, command }, user.token);

  it('/shrug, /me and /echo post as the caller, through the post service', async () => {
    const shrug = await run(bob, '/shrug oh well');
    expect(shrug.status, shrug.text).toBe(200);
    expect(shrug.body).toMatchObject({ response_type: 'in_channel', post: { user_id: bob.id, channel_id: channel.id, message: 'oh well ¯\\\\\\_(ツ)\\_/¯' } });
    expect((await run(bob, '/me waves')).body.post.message).toBe('*waves*');
    expect((await run(bob, '/echo plain words')).body.post.message).toBe('plain words');
    const page = await api().get(`/api/v1/channels/${channel.id}/posts`, bob.token);
    expect(page.body.messages.map((p: { message: string }) => p.message)).toEqual(expect.arrayContaining(['*waves*', 'plain words']));
    // What a command posts asks the same confirmation as a post, and takes the same answer.
    const loud = await run(bob, '/echo @channel standup now');
    expect(loud.status).toBe(409);
    expect(loud.body.error.code).toBe('CHANNEL_MENTION_CONFIRM_REQUIRED');
    const confirmed = await api().post('/api/v1/commands/execute', { channel_id: channel.id, command: '/echo @channel standup now', confirm_channel_mention: true }, bob.token);
    expect(confirmed.body.post.message).toBe('@channel standup now');
  });

  it('channel built-ins go through the channel service and its checks', async () => {
    expect((await run(bob, '/header Deploys at 5')).body.response_type).toBe('ephemeral');
    expect((await api().get(`/api/v1/channels/${channel.id}`, bob.token)).body.header).toBe('Deploys at 5');
    await run(bob, '/purpose Shipping');
    expect((await api().get(`/api/v1/channels/${channel.id}`, bob.token)).body.purpose).toBe('Shipping');
    const joined = await run(bob, `/join ~${other.name}`);
    expect(joined.status, joined.text).toBe(200);
    expect(joined.body.goto_location).toBe(`/channels/${other.id}`);
    expect((await api().get(`/api/v1/channels/${other.id}/members/${bob.id}`, bob.token)).status).toBe(200);
    expect((await run(bob, '/leave', other.id)).status).toBe(200);
    expect((await api().get(`/api/v1/channels/${other.id}/members/${bob.id}`, bob.token)).status).toBe(404);
    // Bob left that channel: inviting into it is refused as REST refuses it; alice, a member, may.
    expect((await run(bob, `/invite @${erin.username} ~${other.name}`)).status).toBe(403);
    expect((await run(alice, `/invite @${erin.username} ~${other.name}`)).status).toBe(200);
    expect((await api().get(`/api/v1/channels/${other.id}/members/${erin.id}`, alice.token)).status).toBe(200);
    // A private channel the caller cannot see is the same 404 as REST gives.
    const priv = await createChannel(api(), alice, team.id, 'private');
    expect((await run(bob, `/join ~${priv.name}`)).status).toBe(404);
    // /msg opens the direct channel and posts there.
    const msg = await run(bob, `/msg @${alice.username} psst`);
    expect(msg.status, msg.text).toBe(200);
    const dmId = String(msg.body.goto_location).replace('/channels/', '');
    expect((await api().get(`/api/v1/channels/${dmId}/posts`, alice.token)).body.messages[0].message).toBe('psst');
  });

  it('status, mute, search and help answer privately', async () => {
    expect((await run(bob, '/away')).body).toMatchObject({ response_type: 'ephemeral', text: 'You are now away.' });
    expect((await run(bob, '/online')).body.text).toBe('You are now online.');
    expect((await run(bob, '/dnd')).body.text).toContain('Do Not Disturb');
    await run(bob, '/status at lunch');
    expect((await api().get('/api/v1/users/me', bob.token)).body.status_text).toBe('at lunch');
    expect((await run(bob, '/status')).body.text).toContain('at lunch');
    await run(bob, '/status clear');
    expect((await api().get('/api/v1/users/me', bob.token)).body.status_text).toBe('');
    expect((await run(bob, '/mute')).body.text).toContain('is muted');
    // The same preference as the sidebar's Mute (PUT /channels/{id}/members/me/mute).
    expect((await api().get(`/api/v1/channels/${channel.id}/members/me/notify_props`, bob.token)).body).toMatchObject({ mark_unread: 'mention' });
    await run(alice, '/echo the zebrafish report');
    const search = await run(bob, '/search zebrafish');
    expect(search.body.text).toContain('zebrafish report');
    expect(search.body.props).toEqual({ search_terms: 'zebrafish' });
    const help = await run(bob, '/help');
    for (const t of ['/me', '/shrug', '/join ~channel', '/invite', '/msg', '/away', '/search', '/help']) expect(help.body.text).toContain(t);
  });

  it('an ephemeral answer reaches only the caller\'s sockets and is never stored', async () => {
    const bobWs = await WsClient.connect(live.url, { token: bob.token });
    const aliceWs = await WsClient.connect(live.url, { token: alice.token });
    const res = await run(bob, '/help');
    expect(res.body.ephemeral).toMatchObject({ user_id: bob.id, channel_id: channel.id, type: 'ephemeral' });
    const got = await bobWs.waitFor((e) => e.event === 'ephemeral_message');
    expect(got.data).toMatchObject({ channel_id: channel.id, post: { id: res.body.ephemeral.id, message: res.body.text } });
    expect(got.broadcast).toMatchObject({ user_id: bob.id });
    // Sentinel: a post both see, published after the ephemeral; alice's socket got it but nothing before it.
    const sentinel = await run(bob, '/echo sentinel');
    await aliceWs.waitFor((e) => e.event === 'posted' && (e.data as { post: { id: string } }).post.id === sentinel.body.post.id);
    expect(aliceWs.named('ephemeral_message')).toEqual([]);
    const page = await api().get(`/api/v1/channels/${channel.id}/posts`, bob.token);
    expect(page.body.messages.map((p: { id: string }) => p.id)).not.toContain(res.body.ephemeral.id);
    expect(JSON.stringify(page.body)).not.toContain('Commands you can run here');
    bobWs.close();
    aliceWs.close();
  });

  it('a custom command: managed by the team admin, called in Mattermost\'s exact format, answers posted or private', async () => {
    // Members may not register one by default.
    expect((await api().post('/api/v1/commands', { team_id: team.id, trigger: 'deploy', url: `${rx.url}/deploy` }, bob.token)).status).toBe(403);
    const created = await api().post('/api/v1/commands', { team_id: team.id, trigger: 'Deploy', url: `${rx.url}/deploy`, auto_complete: true, auto_complete_hint: '[env]', auto_complete_desc: 'Ship it' }, alice.token);
    expect(created.status, created.text).toBe(201);
    const cmd = created.body;
    expect(cmd).toMatchObject({ trigger: 'deploy', method: 'POST', token: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) });
    // The token is sealed at rest (RUSTCHAT_ENCRYPTION_KEY), not stored as it is.
    const stored = await live.t.app.store.commands.get(cmd.id);
    expect(stored!.token_sealed).not.toContain(cmd.token);
    // Bob sees it in autocomplete (hint, no URL or token), not in the managed list or by id.
    const ac = await api().get(`/api/v1/commands/autocomplete?team_id=${team.id}`, bob.token);
    expect(ac.body).toContainEqual({ trigger: 'deploy', hint: '[env]', description: 'Ship it', source: 'custom' });
    expect(ac.body).toContainEqual(expect.objectContaining({ trigger: 'shrug', source: 'builtin' }));
    expect(ac.text).not.toContain(cmd.token);
    expect((await api().get(`/api/v1/commands?team_id=${team.id}`, bob.token)).body).toEqual([]);
    expect((await api().get(`/api/v1/commands/${cmd.id}`, bob.token)).status).toBe(404);
    const listed = (await api().get(`/api/v1/commands?team_id=${team.id}`, alice.token)).body as { id: string; token?: string }[];
    expect(listed.map((c) => c.id)).toEqual([cmd.id]);
    // The token was shown once, at creation: lists and reads leave it out.
    expect(listed[0]!.token).toBeUndefined();
    expect((await api().get(`/api/v1/commands/${cmd.id}`, alice.token)).body.token).toBeUndefined();

    rx.reply = json({ response_type: 'in_channel', text: 'Deploying staging', username: 'impostor' });
    const before = rx.requests.length;
    const ran = await run(bob, '/deploy  staging now ');
    expect(ran.status, ran.text).toBe(200);
    expect(rx.requests.length).toBe(before + 1);
    const req = rx.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/deploy');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.headers.authorization).toBe(`Token ${cmd.token}`);
    const form = Object.fromEntries(new URLSearchParams(req.body));
    expect(form).toEqual({
      token: cmd.token, team_id: team.id, team_domain: team.name, channel_id: channel.id, channel_name: channel.name, user_id: bob.id, user_name: bob.username,
      command: '/deploy', text: 'staging now', response_url: expect.stringMatching(/^http:\/\/[^/]+\/hooks\/commands\/[A-Za-z0-9_-]{70}\.[A-Za-z0-9_-]{22}$/), trigger_id: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
    });
    expect(Object.keys(form)).toEqual(['token', 'team_id', 'team_domain', 'channel_id', 'channel_name', 'user_id', 'user_name', 'command', 'text', 'response_url', 'trigger_id']);
    // in_channel: posted as the caller (no username override).
    expect(ran.body).toMatchObject({ response_type: 'in_channel', post: { user_id: bob.id, message: 'Deploying staging' } });

    // ephemeral: to bob's sockets only.
    rx.reply = json({ response_type: 'ephemeral', text: 'Only you can see this', goto_location: 'javascript:alert(1)' });
    const bobWs = await WsClient.connect(live.url, { token: bob.token });
    const eph = await run(bob, '/deploy prod');
    expect(eph.body).toMatchObject({ response_type: 'ephemeral', text: 'Only you can see this', goto_location: null, post: null });
    await bobWs.waitFor((e) => e.event === 'ephemeral_message' && (e.data as { post: { message: string } }).post.message === 'Only you can see this');

    // Later answers through the response URL (the path only: the test talks to its own server).
    const responsePath = new URL(form.response_url!).pathname;
    const later = await live.t.app.http.inject({ method: 'POST', url: responsePath, payload: { response_type: 'in_channel', text: 'Deployed staging' } });
    expect(later.statusCode, later.body).toBe(200);
    expect(later.json()).toMatchObject({ response_type: 'in_channel', post: { user_id: bob.id, channel_id: channel.id, message: 'Deployed staging' } });
    // An answer with attachments is still the caller's post: @channel asks the caller, now or later.
    rx.reply = json({ response_type: 'in_channel', text: '@channel deployed', attachments: [{ text: 'build 42' }] });
    const loud = await run(bob, '/deploy prod');
    expect(loud.status, loud.text).toBe(409);
    expect(loud.body.error.code).toBe('CHANNEL_MENTION_CONFIRM_REQUIRED');
    const confirmedLoud = await api().post('/api/v1/commands/execute', { channel_id: channel.id, command: '/deploy prod', confirm_channel_mention: true }, bob.token);
    expect(confirmedLoud.body).toMatchObject({ response_type: 'in_channel', post: { user_id: bob.id, message: '@channel deployed', props: { attachments: [{ text: 'build 42' }] } } });
    const loudLater = await live.t.app.http.inject({ method: 'POST', url: responsePath, payload: { response_type: 'in_channel', text: '@channel later', attachments: [{ text: 'x' }] } });
    expect(loudLater.statusCode, loudLater.body).toBe(409);
    const newest = (await api().get(`/api/v1/channels/${channel.id}/posts?limit=1`, bob.token)).body.messages[0];
    expect(newest.message).toBe('@channel deployed');
    const privateLater = await live.t.app.http.inject({ method: 'POST', url: responsePath, payload: { text: 'Still working…' } });
    expect(privateLater.json()).toMatchObject({ response_type: 'ephemeral', post: null });
    await bobWs.waitFor((e) => e.event === 'ephemeral_message' && (e.data as { post: { message: string } }).post.message === 'Still working…');
    bobWs.close();
    // Altered or forged URLs are a 404; the signature is for this purpose only.
    const [payloadPart, sig] = responsePath.split('/').at(-1)!.split('.');
    const bytes = Buffer.from(payloadPart!, 'base64url');
    Buffer.from(other.id.replace(/-/g, ''), 'hex').copy(bytes, 16);
    const altered = bytes.toString('base64url');
    for (const bad of [`/hooks/commands/${altered}.${sig}`, `/hooks/commands/${payloadPart}.${'A'.repeat(22)}`, '/hooks/commands/nonsense']) {
      const res = await live.t.app.http.inject({ method: 'POST', url: bad, payload: { text: 'x' } });
      expect(res.statusCode, bad).toBe(404);
    }

    // An HTML answer, a non-2xx answer, invalid JSON: a clear private error, nothing posted.
    rx.reply = (_r, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<html>Login</html>');
    };
    const html = await run(bob, '/deploy');
    expect(html.body).toMatchObject({ response_type: 'ephemeral', post: null });
    expect(html.body.text).toBe('/deploy failed: its service answered text/html instead of JSON.');
    rx.reply = (_r, res) => {
      res.statusCode = 500;
      res.end();
    };
    expect((await run(bob, '/deploy')).body.text).toContain('HTTP 500');
    // A redirect is not followed: the request carries the command's token.
    rx.reply = (r, res) => {
      res.statusCode = 307;
      res.setHeader('location', r.url === '/deploy' ? '/elsewhere' : '/deploy');
      res.end();
    };
    const seen = rx.requests.length;
    expect((await run(bob, '/deploy')).body.text).toContain('HTTP 307');
    expect(rx.requests.length).toBe(seen + 1);
    rx.reply = (_r, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{not json');
    };
    expect((await run(bob, '/deploy')).body.text).toContain('invalid JSON');
    // An answer over the size cap is refused, not read.
    rx.reply = (_r, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ text: 'x'.repeat(200 * 1024) }));
    };
    expect((await run(bob, '/deploy')).body).toMatchObject({ response_type: 'ephemeral', post: null });

    // GET commands carry the fields in the query string.
    const get = await api().patch(`/api/v1/commands/${cmd.id}`, { method: 'GET' }, alice.token);
    expect(get.status, get.text).toBe(200);
    rx.reply = json({ text: 'ok' });
    await run(bob, '/deploy x');
    const q = new URL(rx.requests.at(-1)!.url, 'http://x');
    expect(rx.requests.at(-1)!.method).toBe('GET');
    expect(q.searchParams.get('command')).toBe('/deploy');
    expect(q.searchParams.get('text')).toBe('x');

    // Regenerate the token, delete; audited.
    const regen = await api().post(`/api/v1/commands/${cmd.id}/regen_token`, undefined, alice.token);
    expect(regen.body.token).not.toBe(cmd.token);
    expect((await api().delete(`/api/v1/commands/${cmd.id}`, bob.token)).status).toBe(404);
    expect((await api().delete(`/api/v1/commands/${cmd.id}`, alice.token)).status).toBe(200);
    expect((await run(bob, '/deploy')).status).toBe(404);
    // A deleted command's response URLs stop too.
    expect((await live.t.app.http.inject({ method: 'POST', url: responsePath, payload: { text: 'late' } })).statusCode).toBe(404);
    const root = await makeSystemAdmin(live.t.app, await registerUser(api(), 'root'));
    const audit = (await api().get('/api/v1/admin/audit?per_page=200', root.token)).body as { action: string; target_id: string }[];
    for (const action of ['command.create', 'command.update', 'command.regenerate_token', 'command.delete']) expect(audit.some((e) => e.action === action && e.target_id === cmd.id)).toBe(true);
    expect(await live.t.app.store.commands.getByTrigger(team.id, 'deploy')).toBeUndefined();
    // The command's token never reaches the logs.
    expect(live.t.logs.text()).not.toContain(cmd.token);
    const metrics = (await live.t.app.metrics.exposition()).text;
    expect(metrics).toMatch(/rustchat_command_executions_total\{command="custom",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/rustchat_command_executions_total\{command="shrug",outcome="ok"\} [1-9]/);
  });

  it('bad input: unknown command 404, too long, NUL bytes, not a command, not a member 403, a trigger taken by a built-in', async () => {
    const unknown = await run(bob, '/nosuchthing at all');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('/help');
    expect((await run(bob, `/echo ${'x'.repeat(4000)}`)).status).toBe(400);
    expect((await run(bob, '/echo a\u0000b')).status).toBe(400);
    expect((await run(bob, 'no slash')).status).toBe(422);
    expect((await run(bob, '/')).status).toBe(422);
    expect((await api().post('/api/v1/commands/execute', { channel_id: channel.id }, bob.token)).status).toBe(400);
    expect((await api().post('/api/v1/commands/execute', { channel_id: 'nope', command: '/help' }, bob.token)).status).toBe(400);
    expect((await api().request('POST', '/api/v1/commands/execute', { token: bob.token, rawBody: '{"channel_id":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    // erin is in the team but not in the channel: 403, nothing posted.
    const notMember = await run(erin, '/echo hi');
    expect(notMember.status).toBe(403);
    expect((await api().post('/api/v1/commands', { team_id: team.id, trigger: 'shrug', url: `${rx.url}/x` }, alice.token)).status).toBe(409);
    expect((await api().post('/api/v1/commands', { team_id: team.id, trigger: 'has space', url: `${rx.url}/x` }, alice.token)).status).toBe(422);
    expect((await api().post('/api/v1/commands', { team_id: team.id, trigger: 'ftp', url: 'ftp://example.com/x' }, alice.token)).status).toBe(422);
  });
});

describe('slash commands: a service that never answers', () => {
  it('is a private error once the deadline passes, and chat goes on meanwhile', async () => {
    const hung = await receiver(() => undefined);
    const live = await listening('sqlite', { env: { RUSTCHAT_OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' }, commandTimeoutMs: 300 });
    try {
      const alice = await registerUser(live.t.api, 'alice');
      const team = await createTeam(live.t.api, alice, 'invite');
      const channel = await createChannel(live.t.api, alice, team.id, 'public');
      expect((await live.t.api.post('/api/v1/commands', { team_id: team.id, trigger: 'slow', url: `${hung.url}/slow` }, alice.token)).status).toBe(201);
      const pending = live.t.api.post('/api/v1/commands/execute', { channel_id: channel.id, command: '/slow' }, alice.token);
      // The server is not blocked while the command waits.
      expect((await live.t.api.post(`/api/v1/channels/${channel.id}/posts`, { message: 'meanwhile' }, alice.token)).status).toBe(201);
      const res = await pending;
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ response_type: 'ephemeral', post: null });
      expect(res.body.text).toContain('did not answer in time');
      expect(hung.requests.length).toBe(1);
    } finally {
      await live.t.close();
      hung.server.closeAllConnections();
      hung.server.close();
    }
  });
});

describe('slash commands: SSRF', () => {
  it('never reaches an internal address it was not told to trust (the canary gets zero requests)', async () => {
    const canary = await receiver((_r, res) => json({ text: 'pwned' })(_r, res));
    const trusted = await receiver((_r, res) => {
      res.statusCode = 302;
      res.setHeader('location', `http://localhost:${canary.port}/`);
      res.end();
    });
    // Only "trusted.test" is trusted (it resolves to loopback); "sneaky.test" also resolves to loopback but is not trusted.
    const live = await listening('sqlite', {
      env: { RUSTCHAT_OUTBOUND_ALLOWED_HOSTS: 'trusted.test' },
      outboundResolve: (host) => Promise.resolve(host === 'trusted.test' || host === 'sneaky.test' ? [{ address: '127.0.0.1', family: 4 }] : []),
    });
    try {
      const alice = await registerUser(live.t.api, 'alice');
      const team = await createTeam(live.t.api, alice, 'invite');
      const channel = await createChannel(live.t.api, alice, team.id, 'public');
      // Saving a URL that names an internal address is refused outright, in any spelling.
      for (const url of [`http://127.0.0.1:${canary.port}/`, `http://2130706433:${canary.port}/`, `http://localhost:${canary.port}/`, 'http://169.254.169.254/latest/meta-data', `http://[::ffff:127.0.0.1]:${canary.port}/`]) {
        const res = await live.t.api.post('/api/v1/commands', { team_id: team.id, trigger: 'probe', url }, alice.token);
        expect(res.status, url).toBe(422);
      }
      // A name resolving to loopback, and a trusted host redirecting to loopback: refused at connect time.
      const sneaky = await live.t.api.post('/api/v1/commands', { team_id: team.id, trigger: 'sneaky', url: `http://sneaky.test:${canary.port}/` }, alice.token);
      expect(sneaky.status).toBe(201);
      const redirect = await live.t.api.post('/api/v1/commands', { team_id: team.id, trigger: 'redirect', url: `http://trusted.test:${trusted.port}/` }, alice.token);
      expect(redirect.status).toBe(201);
      const a = await live.t.api.post('/api/v1/commands/execute', { channel_id: channel.id, command: '/sneaky' }, alice.token);
      expect(a.body).toMatchObject({ response_type: 'ephemeral', post: null });
      expect(a.body.text).toContain('may not reach');
      const b = await live.t.api.post('/api/v1/commands/execute', { channel_id: channel.id, command: '/redirect' }, alice.token);
      expect(b.body).toMatchObject({ response_type: 'ephemeral', post: null });
      expect(trusted.requests.length).toBe(1);
      expect(canary.requests).toEqual([]);
    } finally {
      await live.t.close();
      canary.server.close();
      trusted.server.close();
    }
  });
});
