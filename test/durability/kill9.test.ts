/**
 * Durability: every write acknowledged to a client survives `kill -9` of the server. A real
 * `rustchat serve` process (its own data directory or PostgreSQL database, port 0) takes a
 * burst of posts, is killed with SIGKILL right after the last 201, and is started again on
 * the same data: every acknowledged post is there, sessions still work, and the bootstrap
 * admin was created once, not twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, strongSecret } from '../helpers/app.js';
import { http, startServerProcess, type ServerProcess } from '../helpers/process.js';
import { createTestDatabase } from '../helpers/services.js';
import { rawQuery } from '../helpers/store.js';

describe.each(STORES)('kill -9 durability (%s)', (kind) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rustchat-kill9-'));
  let databaseUrl: string | undefined;
  let drop: (() => Promise<void>) | undefined;
  let env: Record<string, string>;
  const running: ServerProcess[] = [];
  const admin = { email: 'boot.admin@example.com', password: 'bootstrap admin passphrase' };

  beforeAll(async () => {
    if (kind === 'postgres') {
      const db = await createTestDatabase();
      databaseUrl = db.url;
      drop = db.drop;
    }
    env = {
      RUSTCHAT_DATA_DIR: dataDir,
      RUSTCHAT_JWT_SECRET: strongSecret(),
      RUSTCHAT_ENCRYPTION_KEY: strongSecret(),
      RUSTCHAT_ADMIN_USER: admin.email,
      RUSTCHAT_ADMIN_PASSWORD: admin.password,
      // A primary and two workers: the first test kills the primary, the second a worker.
      RUSTCHAT_WORKERS: '2',
      ...(databaseUrl ? { RUSTCHAT_DATABASE_URL: databaseUrl } : {}),
    };
  });
  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) await p.kill('SIGKILL');
    if (drop) await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<ServerProcess> {
    const p = await startServerProcess(env);
    running.push(p);
    return p;
  }

  it('keeps every acknowledged post across SIGKILL and a restart', async () => {
    const first = await start();
    const bootLines = first.lines.filter((l) => l.includes('created the bootstrap system admin'));
    expect(bootLines).toHaveLength(1);
    const login = await http(first.url, 'POST', '/api/v1/auth/login', { body: { email: admin.email, password: admin.password } });
    expect(login.status).toBe(200);
    expect(login.body.user.role).toBe('system_admin');
    const token = login.body.token as string;

    const team = await http(first.url, 'POST', '/api/v1/teams', { token, body: { name: 'durable', display_name: 'Durable' } });
    expect(team.status).toBe(201);
    const channel = await http(first.url, 'POST', '/api/v1/channels', { token, body: { team_id: team.body.id, name: 'survivors', channel_type: 'public' } });
    expect(channel.status).toBe(201);

    // A burst of concurrent posts; the process dies the moment the last 201 has arrived.
    const acked = await Promise.all(Array.from({ length: 25 }, (_, i) => http(first.url, 'POST', `/api/v1/channels/${channel.body.id}/posts`, { token, body: { message: `post ${i}`, client_msg_id: `c${i}` } })));
    const exit = await first.kill('SIGKILL');
    expect(exit).toBe('SIGKILL');
    expect(acked.every((r) => r.status === 201)).toBe(true);

    const second = await start();
    // The admin exists already: not created twice, and there is one of them.
    expect(second.lines.some((l) => l.includes('created the bootstrap system admin'))).toBe(false);
    const admins = await rawQuery<{ n: number | string }>({ dataDir, databaseUrl }, 'SELECT COUNT(*) AS n FROM users WHERE email = ?', [admin.email]);
    expect(Number(admins[0]!.n)).toBe(1);

    // The session from before the crash still works; every acknowledged post is there.
    const history = await http(second.url, 'GET', `/api/v1/channels/${channel.body.id}/posts?limit=100`, { token });
    expect(history.status).toBe(200);
    const byId = new Map<string, any>(history.body.messages.map((p: any) => [p.id, p]));
    for (const r of acked) expect(byId.get(r.body.id)).toMatchObject({ message: r.body.message, seq: r.body.seq });
    expect(history.body.messages).toHaveLength(25);

    // A retry of an acknowledged post after the crash is recognised, not duplicated.
    const retry = await http(second.url, 'POST', `/api/v1/channels/${channel.body.id}/posts`, { token, body: { message: 'post 3', client_msg_id: 'c3' } });
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(acked[3]!.body.id);
    const next = await http(second.url, 'POST', `/api/v1/channels/${channel.body.id}/posts`, { token, body: { message: 'after the crash' } });
    expect(next.status).toBe(201);
    expect(next.body.seq).toBeGreaterThan(Math.max(...acked.map((r) => r.body.seq as number)));

    // A graceful stop exits 0.
    expect(await second.kill('SIGTERM')).toBe(0);
    // Two real server processes start and restart here: seconds each, more on a busy machine.
  }, 90_000);

  it('keeps every acknowledged post when a worker is killed with SIGKILL in the middle of a burst', async () => {
    const server = await start();
    const login = await http(server.url, 'POST', '/api/v1/auth/login', { body: { email: admin.email, password: admin.password } });
    const token = login.body.token as string;
    const team = await http(server.url, 'POST', '/api/v1/teams', { token, body: { name: 'midburst', display_name: 'Mid-burst' } });
    const channel = await http(server.url, 'POST', '/api/v1/channels', { token, body: { team_id: team.body.id, name: 'midburst', channel_type: 'public' } });
    expect(channel.status).toBe(201);
    const workerPid = (slot: number): number => {
      const line = server.lines.map((l) => { try { return JSON.parse(l); } catch { return {}; } }).filter((e) => e.msg === 'cluster: worker serving' && e.worker === slot).at(-1);
      return line.pid as number;
    };
    const victim = workerPid(1);
    // 60 posts in flight over several connections (both workers); worker 1 dies after the tenth answer.
    let answered = 0;
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) =>
      http(server.url, 'POST', `/api/v1/channels/${channel.body.id}/posts`, { token, body: { message: `mid ${i}` } }).then(
        (r) => {
          if (++answered === 10) process.kill(victim, 'SIGKILL');
          return r;
        },
        () => undefined, // its connection died with the worker: not acknowledged
      )));
    const acked = outcomes.filter((r) => r?.status === 201);
    expect(acked.length).toBeGreaterThanOrEqual(10);
    // The primary saw the death (its log reaches us through a pipe: wait for the line).
    const deadline = Date.now() + 15_000;
    while (!server.lines.some((l) => l.includes('cluster: a worker died') && l.includes('SIGKILL'))) {
      if (Date.now() > deadline) throw new Error(`the primary did not log the dead worker (killed ${victim}):\n${server.lines.filter((l) => l.includes('cluster')).slice(-12).join('\n')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    // Through the surviving worker (and the replacement): every acknowledged post is there.
    // (A pooled keep-alive connection may still point at the dead worker: one retry.)
    const read = (): ReturnType<typeof http> => http(server.url, 'GET', `/api/v1/channels/${channel.body.id}/posts?limit=100`, { token });
    const history = await read().catch(read);
    expect(history.status).toBe(200);
    const ids = new Set(history.body.messages.map((p: any) => p.id));
    for (const r of acked) expect(ids.has(r!.body.id)).toBe(true);
    expect(await server.kill('SIGTERM')).toBe(0);
  }, 90_000);
});
