/**
 * Startup refusals through the real entry point (`node --import tsx src/cli.ts serve`), as
 * an operator would meet them: exit status 1, every problem named, no secret printed, and
 * nothing opened or listened to. A positive control proves the same setup does start.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { productionEnv as production, strongSecret } from '../helpers/env.js';
import { freePort, jsonLines, runCli, startCli, waitFor } from '../security/support.js';

// Each test starts real processes on a shared 2-core machine: be generous.
vi.setConfig({ testTimeout: 180_000 });

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rustchat-startup-'));
  dirs.push(d);
  return d;
}

type Env = Record<string, string | undefined>;
/** A production environment that passes every check, listening on loopback only. */
const productionEnv = (overrides: Env = {}): Env =>
  production(tempDir(), { RUSTCHAT_SERVER_HOST: '127.0.0.1', RUSTCHAT_METRICS_PORT: '0', ...overrides });

const warningsOf = (output: string) => jsonLines(output).filter((l) => l.level === 'warn').map((l) => String(l.msg)).join('\n');

const SECRET_VARS = ['RUSTCHAT_JWT_SECRET', 'RUSTCHAT_ENCRYPTION_KEY', 'RUSTCHAT_JWT_SECRET_PREVIOUS', 'RUSTCHAT_ENCRYPTION_KEY_PREVIOUS', 'RUSTCHAT_ADMIN_PASSWORD', 'RUSTCHAT_METRICS_TOKEN'];

/** Runs `serve` with `env` and checks everything a refusal must be. */
async function expectRefusal(env: Env, named: readonly RegExp[], opts: { weakSecret: boolean; cwd?: string }): Promise<string> {
  env.RUSTCHAT_SERVER_PORT ??= String(await freePort());
  const { code, output } = await runCli(['serve'], env, opts.cwd);
  expect(code, output).toBe(1);
  const lines = jsonLines(output);
  const messages = lines.map((l) => String(l.msg)).join('\n');
  for (const re of named) expect(messages).toMatch(re);
  for (const name of SECRET_VARS) {
    const value = env[name];
    if (value !== undefined && value.length >= 6) expect(output).not.toContain(value);
  }
  expect(lines.some((l) => /listening/i.test(String(l.msg)))).toBe(false);
  expect(lines.some((l) => l.msg === `configuration has ${lines.filter((x) => x.level === 'fatal').length - 1} problem(s); not starting`)).toBe(true);
  // Not even the database was opened: startup stopped before anything else.
  const dataDir = env.RUSTCHAT_DATA_DIR!;
  expect(existsSync(dataDir) ? readdirSync(dataDir) : []).toEqual([]);
  const event = lines.find((l) => l.security_event === 'weak_secret_detected');
  if (opts.weakSecret) expect(event).toMatchObject({ severity: 'critical', level: 'error' });
  else expect(event).toBeUndefined();
  return output;
}

describe.concurrent('production refuses to start', () => {
  it('without RUSTCHAT_JWT_SECRET', async () => {
    await expectRefusal(productionEnv({ RUSTCHAT_JWT_SECRET: undefined }), [/RUSTCHAT_JWT_SECRET is required in production/], { weakSecret: true });
  });
  it('with a secret shorter than 32 characters', async () => {
    await expectRefusal(productionEnv({ RUSTCHAT_JWT_SECRET: 'Kz81!vQ#m2Lp@x9' }), [/RUSTCHAT_JWT_SECRET is too short: 15 characters/], { weakSecret: true });
  });
  it('with a low-entropy secret', async () => {
    await expectRefusal(productionEnv({ RUSTCHAT_ENCRYPTION_KEY: 'ab.ba.aab..bba.b.a.abb.ba..bab.a..ab.aab' }), [/RUSTCHAT_ENCRYPTION_KEY has too little entropy/], { weakSecret: true });
  });
  it('with the guide\'s placeholder secret', async () => {
    await expectRefusal(productionEnv({ RUSTCHAT_JWT_SECRET: 'your-256-bit-secret-min-32-chars-long-random' }), [/RUSTCHAT_JWT_SECRET contains a placeholder or default word/], { weakSecret: true });
  });
  it('with a run-of-characters secret', async () => {
    await expectRefusal(productionEnv({ RUSTCHAT_ENCRYPTION_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789' }), [/RUSTCHAT_ENCRYPTION_KEY is made of weak patterns/], { weakSecret: true });
  });
  it('with RUSTCHAT_JWT_SECRET equal to RUSTCHAT_ENCRYPTION_KEY', async () => {
    const same = strongSecret();
    await expectRefusal(productionEnv({ RUSTCHAT_JWT_SECRET: same, RUSTCHAT_ENCRYPTION_KEY: same }), [/RUSTCHAT_JWT_SECRET and RUSTCHAT_ENCRYPTION_KEY must be different/], { weakSecret: true });
  });
  it('without an https:// site URL', async () => {
    await expectRefusal(productionEnv({ RUSTCHAT_SITE_URL: 'http://chat.example.com' }), [/RUSTCHAT_SITE_URL must use https:\/\/ in production/], { weakSecret: false });
    await expectRefusal(productionEnv({ RUSTCHAT_SITE_URL: undefined }), [/RUSTCHAT_SITE_URL is required in production/], { weakSecret: false });
  });
  it('without issuer or audience', async () => {
    await expectRefusal(productionEnv({ RUSTCHAT_JWT_ISSUER: undefined, RUSTCHAT_JWT_AUDIENCE: undefined }), [/RUSTCHAT_JWT_ISSUER is required in production/, /RUSTCHAT_JWT_AUDIENCE is required in production/], { weakSecret: false });
  });
  it('with `*` in the CORS list (a clear message, not a crash)', async () => {
    const out = await expectRefusal(productionEnv({ RUSTCHAT_CORS_ALLOWED_ORIGINS: 'https://chat.example.com,*' }), [/RUSTCHAT_CORS_ALLOWED_ORIGINS must not contain "\*" in production/], { weakSecret: false });
    expect(out).not.toMatch(/TypeError|\n\s+at /);
  });
  it('with an http:// CORS origin', async () => {
    await expectRefusal(productionEnv({ RUSTCHAT_CORS_ALLOWED_ORIGINS: 'http://admin.example.com' }), [/RUSTCHAT_CORS_ALLOWED_ORIGINS entries must use https:\/\//], { weakSecret: false });
  });
  it('with OAUTH_TOKEN_DELIVERY other than cookie', async () => {
    await expectRefusal(productionEnv({ RUSTCHAT_SECURITY_OAUTH_TOKEN_DELIVERY: 'query' }), [/RUSTCHAT_SECURITY_OAUTH_TOKEN_DELIVERY must be "cookie"/], { weakSecret: false });
  });
  it('with WS_ALLOW_QUERY_TOKEN=true', async () => {
    await expectRefusal(productionEnv({ RUSTCHAT_SECURITY_WS_ALLOW_QUERY_TOKEN: 'true' }), [/query-token authentication has been removed/], { weakSecret: false });
  });
  it('with a value that is not a boolean', async () => {
    await expectRefusal(productionEnv({ RUSTCHAT_SECURITY_RATE_LIMIT_ENABLED: 'sometimes' }), [/RUSTCHAT_SECURITY_RATE_LIMIT_ENABLED must be a boolean/], { weakSecret: false });
  });
  it('and names every problem at once', async () => {
    const env = productionEnv({
      RUSTCHAT_JWT_SECRET: 'changeme-changeme-changeme-changeme',
      RUSTCHAT_ENCRYPTION_KEY: 'short',
      RUSTCHAT_SITE_URL: 'http://chat.example.com',
      RUSTCHAT_JWT_AUDIENCE: undefined,
      RUSTCHAT_CORS_ALLOWED_ORIGINS: '*',
      RUSTCHAT_SECURITY_OAUTH_TOKEN_DELIVERY: 'query',
      RUSTCHAT_SECURITY_WS_ALLOW_QUERY_TOKEN: 'yes',
      RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: 'ten',
    });
    await expectRefusal(env, [
      /RUSTCHAT_JWT_SECRET contains a placeholder/, /RUSTCHAT_ENCRYPTION_KEY is too short/, /RUSTCHAT_SITE_URL must use https/, /RUSTCHAT_JWT_AUDIENCE is required/,
      /RUSTCHAT_CORS_ALLOWED_ORIGINS must not contain "\*"/, /RUSTCHAT_SECURITY_OAUTH_TOKEN_DELIVERY must be "cookie"/, /query-token authentication has been removed/,
      /RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE must be an integer/,
    ], { weakSecret: true });
  });
  it('when the weak secret comes from a .env file in the working directory', async () => {
    const cwd = tempDir();
    const secret = 'password-password-password-password-1';
    writeFileSync(join(cwd, '.env'), `RUSTCHAT_JWT_SECRET=${secret}\nRUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE=3\n`);
    const env = productionEnv({ RUSTCHAT_JWT_SECRET: undefined });
    const out = await expectRefusal(env, [/RUSTCHAT_JWT_SECRET contains a placeholder/], { weakSecret: true, cwd });
    expect(out).not.toContain(secret);
  });
});

describe.concurrent('every environment refuses', () => {
  it('OAUTH_TOKEN_DELIVERY other than cookie in development', async () => {
    await expectRefusal({ RUSTCHAT_DATA_DIR: tempDir(), RUSTCHAT_SERVER_HOST: '127.0.0.1', RUSTCHAT_METRICS_PORT: '0', RUSTCHAT_SECURITY_OAUTH_TOKEN_DELIVERY: 'fragment' }, [/RUSTCHAT_SECURITY_OAUTH_TOKEN_DELIVERY must be "cookie"/], { weakSecret: false });
  });
  it('WS_ALLOW_QUERY_TOKEN=true in development', async () => {
    await expectRefusal({ RUSTCHAT_DATA_DIR: tempDir(), RUSTCHAT_SERVER_HOST: '127.0.0.1', RUSTCHAT_METRICS_PORT: '0', RUSTCHAT_SECURITY_WS_ALLOW_QUERY_TOKEN: 'on' }, [/query-token authentication has been removed/], { weakSecret: false });
  });
  it('check-config gives the same verdict without starting anything', async () => {
    const env = productionEnv({ RUSTCHAT_JWT_SECRET: 'your-256-bit-secret-min-32-chars-long-random' });
    const bad = await runCli(['check-config'], env);
    expect(bad.code).toBe(1);
    expect(jsonLines(bad.output).map((l) => l.msg).join('\n')).toMatch(/RUSTCHAT_JWT_SECRET contains a placeholder/);
    expect(bad.output).not.toContain(env.RUSTCHAT_JWT_SECRET);
    const good = await runCli(['check-config'], productionEnv());
    expect(good.code, good.output).toBe(0);
  });
});

describe('starting', () => {
  it('stops with exit status 1 when the port is taken, with several workers too (the first worker cannot serve)', async () => {
    const { createServer } = await import('node:net');
    const port = await freePort();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const result = await runCli(['serve'], productionEnv({ RUSTCHAT_SERVER_PORT: String(port), RUSTCHAT_WORKERS: '2' }));
      expect(result.code, result.output).toBe(1);
      expect(result.output).toMatch(/EADDRINUSE/);
      expect(jsonLines(result.output).some((l) => l.msg === 'cluster: the first worker could not start (see its log above); stopping')).toBe(true);
    } finally {
      squatter.close();
    }
  });

  it('production with a strong configuration listens, answers, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const env = productionEnv({ RUSTCHAT_SERVER_PORT: String(port) });
    const run = startCli(['serve'], env);
    try {
      await waitFor('the listening log line', () => /RustChat listening on/.test(run.output()), 60_000);
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/health/live`);
      expect(res.status).toBe(200);
      expect(res.headers.get('strict-transport-security')).toBe('max-age=63072000');
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.output()).not.toContain(env.RUSTCHAT_JWT_SECRET);
      expect(run.output()).not.toContain(env.RUSTCHAT_ENCRYPTION_KEY);
      expect(jsonLines(run.output()).some((l) => l.security_event !== undefined)).toBe(false);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('development with no configuration at all starts, keeps its generated secrets (0600), and sessions survive a restart', async () => {
    const dataDir = tempDir();
    const boot = async () => {
      const port = await freePort();
      const run = startCli(['serve'], { RUSTCHAT_DATA_DIR: dataDir, RUSTCHAT_SERVER_HOST: '127.0.0.1', RUSTCHAT_SERVER_PORT: String(port), RUSTCHAT_METRICS_PORT: '0' });
      await waitFor('the listening log line', () => /RustChat listening on/.test(run.output()), 60_000);
      return { run, base: `http://127.0.0.1:${port}` };
    };
    const first = await boot();
    let token: string;
    try {
      expect(warningsOf(first.run.output())).toMatch(/RUSTCHAT_JWT_SECRET is not set: using a random development value/);
      const reg = await fetch(`${first.base}/api/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'restarter', email: 'restart@example.com', password: 'restart-password-1' }) });
      expect(reg.status).toBe(202);
      const signedIn = await fetch(`${first.base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'restart@example.com', password: 'restart-password-1' }) });
      expect(signedIn.status).toBe(200);
      token = ((await signedIn.json()) as { token: string }).token;
    } finally {
      first.run.child.kill('SIGTERM');
      await first.run.exited;
    }
    expect(statSync(join(dataDir, 'dev-secrets.json')).mode & 0o777).toBe(0o600);
    const second = await boot();
    try {
      expect((await fetch(`${second.base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      second.run.child.kill('SIGTERM');
      await second.run.exited;
    }
  });

  it('development with weak secrets starts with warnings and a weak_secret_detected event (counted in /metrics), never printing them', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const jwt = 'changeme-changeme-changeme-changeme';
    const key = 'Kz81!vQ#m2Lp@x9';
    const run = startCli(['serve'], { RUSTCHAT_JWT_SECRET: jwt, RUSTCHAT_ENCRYPTION_KEY: key, RUSTCHAT_DATA_DIR: tempDir(), RUSTCHAT_SERVER_HOST: '127.0.0.1', RUSTCHAT_SERVER_PORT: String(port), RUSTCHAT_METRICS_PORT: String(metricsPort) });
    try {
      await waitFor('the listening log line', () => /RustChat listening on/.test(run.output()), 60_000);
      const lines = jsonLines(run.output());
      const warnings = lines.filter((l) => l.level === 'warn').map((l) => String(l.msg)).join('\n');
      expect(warnings).toMatch(/RUSTCHAT_JWT_SECRET contains a placeholder/);
      expect(warnings).toMatch(/RUSTCHAT_ENCRYPTION_KEY is too short/);
      expect(lines.find((l) => l.security_event === 'weak_secret_detected')).toMatchObject({ severity: 'critical' });
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/rustchat_security_events_total\{event="weak_secret_detected"\} 1/);
      expect(run.output()).not.toContain(jwt);
      expect(run.output()).not.toContain(key);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});
