/**
 * Several worker processes on one machine (RUSTCHAT_WORKERS=2), on the embedded database and
 * on PostgreSQL, without Redis: a real `rustchat serve` (primary + two workers), clients that
 * land on both workers (the kernel hands each new TCP connection to one of them), and
 * every guarantee of a single process checked across the two: delivery and per-connection seq,
 * client_msg_id idempotency, rate limits counted once, revocation and deactivation closing
 * sockets in every worker within 2 s, resume on whichever worker the client lands, presence and
 * the connection cap counted once, and a worker killed with SIGKILL being replaced.
 */
import { createServer, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, strongSecret } from '../helpers/app.js';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';
import { createTestDatabase } from '../helpers/services.js';
import { WsClient } from '../helpers/ws-client.js';

interface Res {
  readonly status: number;
  readonly body: any;
}

/** One request on a fresh TCP connection (so that requests spread over the workers). */
function req(base: string, method: string, path: string, opts: { token?: string; body?: unknown; from?: string } = {}): Promise<Res> {
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const r = request(new URL(path, base), {
      method,
      agent: false,
      ...(opts.from === undefined ? {} : { localAddress: opts.from }),
      headers: {
        ...(opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` }),
        ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // keep the text
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    r.on('error', reject);
    r.end(payload);
  });
}

const parsed = (lines: readonly string[]): any[] => lines.flatMap((l) => {
  try {
    return [JSON.parse(l)];
  } catch {
    return [];
  }
});

/** Waits (polling the log the process already wrote) until `pred` matches a line. */
async function waitForLog(server: ServerProcess, pred: (entry: any) => boolean, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = parsed(server.lines).find(pred);
    if (hit !== undefined) return hit;
    if (Date.now() > deadline) throw new Error(`no log line matched within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const METRICS_TOKEN = 'workers-metrics-token-0123456789';

/** The summed value of every sample of `name` whose labels include `labels`, from a Prometheus exposition. */
function sample(text: string, name: string, labels: string): number {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) && l.includes(labels)).reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe.each(STORES)('two workers on one machine (%s)', (kind) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rustchat-workers-'));
  let drop: (() => Promise<void>) | undefined;
  let server: ServerProcess;
  let base: string;
  const admin = { email: 'workers.admin@example.com', password: 'workers admin passphrase' };
  let adminToken: string;
  let teamId: string;
  let channelId: string;
  const sockets: WsClient[] = [];

  /** The worker slot that holds a connection (from its "websocket connected" line). */
  const workerOf = async (connectionId: string): Promise<number> =>
    (await waitForLog(server, (e) => e.msg === 'websocket hello' && e.connection_id === connectionId)).worker as number;

  /** Opens sockets until one lands on `worker` (the others are closed; the kernel picks the worker). */
  async function connectOn(worker: number, token: string): Promise<WsClient> {
    for (let i = 0; i < 40; i++) {
      const ws = await WsClient.connect(base, { token, via: 'protocol' });
      if ((await workerOf(ws.connectionId!)) === worker) {
        sockets.push(ws);
        return ws;
      }
      ws.close();
      await ws.waitClose();
    }
    throw new Error(`no connection landed on worker ${worker} in 40 tries`);
  }

  let userCount = 0;
  async function user(name: string): Promise<{ id: string; token: string }> {
    const username = `${name}${++userCount}`;
    const created = await req(base, 'POST', '/api/v1/admin/users', { token: adminToken, body: { username, email: `${username}@example.com`, password: 'correct horse battery staple 1' } });
    expect(created.status).toBe(201);
    // Each from its own address: the auth limit (10 a minute per address) is under test below.
    const login = await req(base, 'POST', '/api/v1/auth/login', { from: `127.0.1.${userCount}`, body: { email: `${username}@example.com`, password: 'correct horse battery staple 1' } });
    expect(login.status).toBe(200);
    const id = login.body.user.id as string;
    expect((await req(base, 'POST', `/api/v1/teams/${teamId}/members`, { token: adminToken, body: { user_id: id } })).status).toBe(201);
    expect((await req(base, 'POST', `/api/v1/channels/${channelId}/members`, { token: adminToken, body: { user_id: id } })).status).toBe(201);
    return { id, token: login.body.token as string };
  }

  const post = async (token: string, message: string, extra: Record<string, unknown> = {}): Promise<Res> =>
    req(base, 'POST', `/api/v1/channels/${channelId}/posts`, { token, body: { message, ...extra } });

  beforeAll(async () => {
    let databaseUrl: string | undefined;
    if (kind === 'postgres') {
      const db = await createTestDatabase();
      databaseUrl = db.url;
      drop = db.drop;
    }
    server = await startServerProcess({
      RUSTCHAT_WORKERS: '2',
      RUSTCHAT_DATA_DIR: dataDir,
      RUSTCHAT_JWT_SECRET: strongSecret(),
      RUSTCHAT_ENCRYPTION_KEY: strongSecret(),
      RUSTCHAT_ADMIN_USER: admin.email,
      RUSTCHAT_ADMIN_PASSWORD: admin.password,
      RUSTCHAT_SERVER_HOST: '127.0.0.1',
      RUSTCHAT_SERVER_PORT: '0',
      RUSTCHAT_METRICS_PORT: '0',
      // /metrics on the main port (aggregated over the workers by the primary).
      RUSTCHAT_METRICS_TOKEN: METRICS_TOKEN,
      RUSTCHAT_LOG_LEVEL: 'debug',
      RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '10',
      RUSTCHAT_WS_MAX_CONNECTIONS_PER_USER: '3',
      // The outgoing webhook test's receiver.
      RUSTCHAT_OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
      ...(databaseUrl === undefined ? {} : { RUSTCHAT_DATABASE_URL: databaseUrl }),
    });
    base = server.url;
    // Two workers serve, and the admin was created once.
    expect(parsed(server.lines).filter((e) => e.msg === 'cluster: worker serving').map((e) => e.worker).sort()).toEqual([0, 1]);
    const login = await req(base, 'POST', '/api/v1/auth/login', { body: admin });
    expect(login.status).toBe(200);
    adminToken = login.body.token;
    const team = await req(base, 'POST', '/api/v1/teams', { token: adminToken, body: { name: 'workers', display_name: 'Workers' } });
    expect(team.status).toBe(201);
    teamId = team.body.id;
    const channel = await req(base, 'POST', '/api/v1/channels', { token: adminToken, body: { team_id: teamId, name: 'both-cores', channel_type: 'public' } });
    expect(channel.status).toBe(201);
    channelId = channel.body.id;
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.terminate();
    if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null) await server.kill('SIGTERM');
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('delivers every post to every connection on either worker, in order, with gap-free seq', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const watchers = [await connectOn(0, alice.token), await connectOn(1, alice.token), await connectOn(0, bob.token), await connectOn(1, bob.token)];
    const sent: string[] = [];
    // Posts alternate between the workers (one fresh connection per request).
    for (let i = 0; i < 12; i++) {
      const res = await post(i % 2 === 0 ? alice.token : bob.token, `both cores ${i}`);
      expect(res.status).toBe(201);
      sent.push(res.body.id);
    }
    for (const ws of watchers) {
      await ws.waitForEvent('posted', (d) => d.post.id === sent[sent.length - 1]);
      const seen = ws.named('posted').map((e) => (e.data as any).post.id as string).filter((id) => sent.includes(id));
      expect(seen).toEqual(sent);
      expect(ws.seqErrors).toEqual([]);
    }
    const servedBy = new Set(parsed(server.lines).filter((e) => e.msg === 'websocket hello').map((e) => e.worker));
    expect(servedBy).toEqual(new Set([0, 1]));
  }, 60_000);

  it('takes concurrent writes on both workers without a failure (one database file, two writers)', async () => {
    const writers = [await user('mallory'), await user('niaj')];
    const answers = await Promise.all(Array.from({ length: 90 }, (_, i) => post(writers[i % 2]!.token, `burst ${i}`, { client_msg_id: `burst-${i}` })));
    expect(answers.map((a) => a.status).filter((s) => s !== 201)).toEqual([]);
    const history = await req(base, 'GET', `/api/v1/channels/${channelId}/posts?limit=100`, { token: writers[0]!.token });
    expect(history.status, JSON.stringify(history.body)).toBe(200);
    expect(history.body.messages.filter((p: any) => String(p.message).startsWith('burst '))).toHaveLength(90);
    // On the embedded database the workers took turns to write (granted by the primary), none
    // waited out its turn; PostgreSQL has no turns.
    const metrics = await req(base, 'GET', '/metrics', { token: METRICS_TOKEN });
    expect(metrics.status).toBe(200);
    const granted = sample(String(metrics.body), 'rustchat_db_write_turn_wait_seconds_count', 'outcome="granted"');
    if (kind === 'sqlite') expect(granted).toBeGreaterThan(0);
    else expect(granted).toBe(0);
    expect(sample(String(metrics.body), 'rustchat_db_write_turn_wait_seconds_count', 'outcome="timeout"')).toBe(0);
  }, 60_000);

  it('keeps a channel\'s order for concurrent posts written by both workers, on every connection', async () => {
    const writers = [await user('olivia'), await user('peggy')];
    const watchers = [await connectOn(0, writers[0]!.token), await connectOn(1, writers[0]!.token), await connectOn(0, writers[1]!.token), await connectOn(1, writers[1]!.token)];
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => post(writers[i % 2]!.token, `race ${i}`)));
    expect(answers.every((a) => a.status === 201)).toBe(true);
    const ids = new Set(answers.map((a) => a.body.id as string));
    const last = answers.reduce((a, b) => (a.body.seq > b.body.seq ? a : b)).body.id as string;
    for (const ws of watchers) {
      await ws.waitForEvent('posted', (d) => d.post.id === last);
      const seqs = ws.named('posted').map((e) => (e.data as any).post).filter((p) => ids.has(p.id)).map((p) => p.seq as number);
      expect(seqs).toHaveLength(40);
      // In the order the posts were committed (their channel sequence), whichever worker wrote them.
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(ws.seqErrors).toEqual([]);
    }
  }, 60_000);

  it('creates a post once when the same client_msg_id reaches both workers at once', async () => {
    const carol = await user('carol');
    const answers = await Promise.all(Array.from({ length: 6 }, () => post(carol.token, 'only once', { client_msg_id: 'same-everywhere' })));
    for (const a of answers) expect([200, 201]).toContain(a.status);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    const history = await req(base, 'GET', `/api/v1/channels/${channelId}/posts?limit=100`, { token: carol.token });
    expect(history.body.messages.filter((p: any) => p.message === 'only once')).toHaveLength(1);
  }, 60_000);

  it('counts the auth rate limit once for the machine: 10 a minute is 10, not 10 per worker', async () => {
    // From an address of its own, so the other tests' logins do not count.
    const from = '127.0.0.7';
    const answers: number[] = [];
    for (let i = 0; i < 14; i++) answers.push((await req(base, 'POST', '/api/v1/auth/login', { from, body: { email: 'nobody@example.com', password: 'wrong password here' } })).status);
    expect(answers.filter((s) => s !== 429)).toHaveLength(10);
    expect(answers.slice(10)).toEqual([429, 429, 429, 429]);
    // Both workers answered some of them.
    const answeredBy = new Set(parsed(server.lines).filter((e) => e.security_event !== undefined && e.client_ip === from).map((e) => e.worker));
    expect(answeredBy).toEqual(new Set([0, 1]));
  }, 60_000);

  it('closes a revoked session\'s sockets in every worker within 2 s, and a deactivated user\'s', async () => {
    const dave = await user('dave');
    const onZero = await connectOn(0, dave.token);
    const onOne = await connectOn(1, dave.token);
    expect((await req(base, 'POST', '/api/v1/auth/logout', { token: dave.token })).status).toBeLessThan(300);
    const closed = await Promise.all([onZero.waitClose(2000), onOne.waitClose(2000)]);
    for (const c of closed) expect(c.code).toBe(1008);

    const erin = await user('erin');
    const e0 = await connectOn(0, erin.token);
    const e1 = await connectOn(1, erin.token);
    expect((await req(base, 'POST', `/api/v1/admin/users/${erin.id}/deactivate`, { token: adminToken })).status).toBeLessThan(300);
    await Promise.all([e0.waitClose(2000), e1.waitClose(2000)]);
  }, 60_000);

  it('resumes a connection whichever worker the reconnect lands on, replaying what it missed', async () => {
    const frank = await user('frank');
    const talker = await user('grace');
    let ws = await connectOn(0, frank.token);
    const id = ws.connectionId!;
    const handedOver = (): boolean => parsed(server.lines).some((e) => e.worker === 1 && e.connection_id === id && e.msg === 'websocket: resume handed to the worker holding the connection');
    // At least four reconnects, and on until one has landed on worker 1 (the kernel picks).
    let rounds = 0;
    for (let round = 0; round < 4 || (!handedOver() && round < 30); round++) {
      rounds++;
      ws.terminate();
      await waitForLog(server, (e) => e.connection_id === id && typeof e.msg === 'string' && e.msg.startsWith('websocket dropped'));
      const missed: string[] = [];
      for (let i = 0; i < 2; i++) missed.push((await post(talker.token, `while away ${round}.${i}`)).body.id);
      const resumedFrom = ws;
      ws = await resumedFrom.resume(base, { token: frank.token, via: 'protocol' });
      sockets.push(ws);
      await ws.waitForEvent('posted', (d) => d.post.id === missed.at(-1));
      expect(ws.named('hello')).toEqual([]);
      expect(ws.named('posted').map((e) => (e.data as any).post.id)).toEqual(missed);
      expect(ws.seqErrors).toEqual([]);
      expect(ws.connectionId).toBe(id);
    }
    // Some of those reconnects reached worker 1 first and were handed to worker 0.
    expect(handedOver()).toBe(true);
    // (The log reaches the test through a pipe, possibly after the frames: wait for the last line.)
    const resumedLine = (e: any): boolean => e.msg === 'websocket connected' && e.resumed === true && e.user_id === frank.id;
    await waitForLog(server, (e) => resumedLine(e) && parsed(server.lines).filter(resumedLine).length >= rounds);
    expect(parsed(server.lines).filter(resumedLine).map((e) => e.worker)).toEqual(Array.from({ length: rounds }, () => 0));
  }, 90_000);

  it('counts presence and the connection cap once across workers', async () => {
    const heidi = await user('heidi');
    const ivan = await user('ivan');
    const watcher = await connectOn(0, ivan.token);
    const h0 = await connectOn(0, heidi.token);
    await watcher.waitForEvent('status_change', (d) => d.user_id === heidi.id && d.status === 'online');
    const h1 = await connectOn(1, heidi.token);
    const h2 = await WsClient.connect(base, { token: heidi.token, via: 'protocol' });
    sockets.push(h2);
    // (connectOn may have opened and closed a socket on the wrong worker first: status flapped.)
    const settled = watcher.events.length;
    // A fourth connection is over the cap of 3, on whichever worker it lands.
    for (let i = 0; i < 2; i++) await expect(WsClient.connect(base, { token: heidi.token, via: 'protocol' })).rejects.toThrow(/429/);
    const status = async (): Promise<string> => (await req(base, 'POST', '/api/v1/users/status/ids', { token: ivan.token, body: [heidi.id] })).body[0]?.status;
    expect(await status()).toBe('online');
    // Closing two of three keeps her online on the other worker: no offline status_change.
    h0.close();
    h2.close();
    await Promise.all([h0.waitClose(), h2.waitClose()]);
    expect(await status()).toBe('online');
    h1.close();
    await watcher.waitForEvent('status_change', (d) => d.user_id === heidi.id && d.status === 'offline', { from: settled });
    const after = watcher.events.slice(settled).filter((e) => e.event === 'status_change' && (e.data as any).user_id === heidi.id);
    expect(after.map((e) => (e.data as any).status)).toEqual(['offline']);
    expect(await status()).toBe('offline');
  }, 60_000);

  it('matches posts on either worker against the team\'s outgoing webhooks as they are now: a hook made through one worker fires on the other', async () => {
    const texts: string[] = [];
    const receiver = createServer((r, res) => {
      let body = '';
      r.on('data', (c: Buffer) => (body += c.toString('utf8')));
      r.on('end', () => {
        texts.push(JSON.parse(body).text as string);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const port = (receiver.address() as { port: number }).port;
      const judy = await user('judy');
      const postsPath = `/api/v1/channels/${channelId}/posts`;
      const servedSince = (from: number): number[] => parsed(server.lines.slice(from)).filter((e) => e.msg === 'request' && e.method === 'POST' && e.path === postsPath && e.status === 201).map((e) => e.worker as number);
      /** Posts `text n` on fresh connections until both workers took at least one; the texts posted. */
      const postOnBoth = async (text: string): Promise<string[]> => {
        const from = server.lines.length;
        const sent: string[] = [];
        for (let i = 0; i < 40 && new Set(servedSince(from)).size < 2; i++) {
          const message = `${text} ${i}`;
          expect((await post(judy.token, message)).status).toBe(201);
          sent.push(message);
          await waitForLog(server, () => servedSince(from).length === sent.length);
        }
        expect(new Set(servedSince(from))).toEqual(new Set([0, 1]));
        return sent;
      };
      const receivedAll = async (expected: readonly string[]): Promise<void> => {
        const deadline = Date.now() + 20_000;
        while (!expected.every((m) => texts.includes(m))) {
          if (Date.now() > deadline) throw new Error(`callbacks missing: ${expected.filter((m) => !texts.includes(m)).join(', ')}`);
          await new Promise((r) => setTimeout(r, 25));
        }
      };
      // Both workers read (and keep) the team's list while it has no hook.
      await postOnBoth('ping before');
      const created = await req(base, 'POST', '/api/v1/hooks/outgoing', { token: adminToken, body: { team_id: teamId, trigger_words: ['ping'], callback_urls: [`http://127.0.0.1:${port}/hook`] } });
      expect(created.status).toBe(201);
      await receivedAll(await postOnBoth('ping after'));
      expect(texts.some((m) => m.startsWith('ping before'))).toBe(false);
      // Changed through one worker: the new word fires on both.
      expect((await req(base, 'PUT', `/api/v1/hooks/outgoing/${created.body.id}`, { token: adminToken, body: { trigger_words: ['pong'] } })).status).toBe(200);
      await receivedAll(await postOnBoth('pong'));
      expect((await req(base, 'DELETE', `/api/v1/hooks/outgoing/${created.body.id}`, { token: adminToken })).status).toBe(200);
    } finally {
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  }, 60_000);

  it('replaces a worker killed with SIGKILL; the other keeps serving, nothing acknowledged is lost', async () => {
    const judy = await user('judy');
    const kim = await user('kim');
    const survivor = await connectOn(0, judy.token);
    const victim = await connectOn(1, kim.token);
    const before = (await post(judy.token, 'before the crash')).body.id as string;
    await survivor.waitForEvent('posted', (d) => d.post.id === before);
    const pid = parsed(server.lines).filter((e) => e.msg === 'cluster: worker serving' && e.worker === 1).at(-1).pid as number;
    const servingLines = parsed(server.lines).filter((e) => e.msg === 'cluster: worker serving').length;
    process.kill(pid, 'SIGKILL');
    await victim.waitClose(5000);
    await waitForLog(server, (e) => e.msg?.startsWith('cluster: a worker died') && e.pid === pid && e.signal === 'SIGKILL');
    // Kim's last connection was there: everyone sharing a channel with him sees him go offline.
    await survivor.waitForEvent('status_change', (d) => d.user_id === kim.id && d.status === 'offline');
    // The survivor's socket never noticed; posts go on, through whichever worker.
    const during: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await post(kim.token, `during ${i}`);
      expect(r.status).toBe(201);
      during.push(r.body.id as string);
    }
    await survivor.waitForEvent('posted', (d) => d.post.id === during[3]);
    expect(survivor.isOpen).toBe(true);
    expect(survivor.seqErrors).toEqual([]);
    // A replacement starts, and serves.
    const deadline = Date.now() + 30_000;
    while (parsed(server.lines).filter((e) => e.msg === 'cluster: worker serving').length === servingLines) {
      if (Date.now() > deadline) throw new Error('no replacement worker');
      await new Promise((r) => setTimeout(r, 50));
    }
    const again = await connectOn(1, kim.token);
    const after = (await post(judy.token, 'after the replacement')).body.id as string;
    await again.waitForEvent('posted', (d) => d.post.id === after);
    const history = await req(base, 'GET', `/api/v1/channels/${channelId}/posts?limit=100`, { token: judy.token });
    const ids = new Set(history.body.messages.map((p: any) => p.id));
    for (const id of [before, ...during, after]) expect(ids.has(id)).toBe(true);
  }, 120_000);

  it('stops every worker on SIGTERM and exits 0', async () => {
    const pids = parsed(server.lines).filter((e) => e.msg === 'cluster: worker serving').map((e) => e.pid as number);
    expect(await server.kill('SIGTERM')).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 60_000);
});
