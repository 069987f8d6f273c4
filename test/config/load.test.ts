/**
 * Configuration parsing and the startup rules of security contract §1, on `loadConfig`
 * (the child-process tests in startup.test.ts check the same refusals through the real
 * entry point).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { productionEnv, strongSecret } from '../helpers/env.js';
import { DEV_SECRETS_FILE, environmentWithDotenv, loadConfig, type Env } from '../../src/config/load.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'rustchat-config-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A production environment that passes every check. */
const production = (overrides: Env = {}): Env => productionEnv(tempDir(), overrides);
const load = (env: Env) => loadConfig(env, { persistGeneratedSecrets: false });

describe('production', () => {
  it('a complete, strong configuration loads, frozen, with no warnings', () => {
    const r = load(production());
    expect(r.errors).toEqual([]);
    expect(r.config?.isProduction).toBe(true);
    expect(Object.isFrozen(r.config)).toBe(true);
    expect(Object.isFrozen(r.config?.security)).toBe(true);
    expect(Object.isFrozen(r.config?.security.trustedProxies)).toBe(true);
    expect(r.warnings).toEqual([]);
  });

  it('`prod` is production too; anything else is development with a warning', () => {
    expect(load(production({ RUSTCHAT_ENVIRONMENT: 'PROD' })).config?.environment).toBe('production');
    const staging = load({ RUSTCHAT_ENVIRONMENT: 'staging', RUSTCHAT_DATA_DIR: tempDir() });
    expect(staging.config?.environment).toBe('development');
    expect(staging.warnings.join('\n')).toMatch(/RUSTCHAT_ENVIRONMENT=staging is not "production"/);
    expect(load({ RUSTCHAT_DATA_DIR: tempDir() }).config?.environment).toBe('development');
  });

  it.each([
    ['a missing JWT secret', { RUSTCHAT_JWT_SECRET: undefined }, /RUSTCHAT_JWT_SECRET is required in production/, true],
    ['a missing encryption key', { RUSTCHAT_ENCRYPTION_KEY: undefined }, /RUSTCHAT_ENCRYPTION_KEY is required in production/, true],
    ['a short JWT secret', { RUSTCHAT_JWT_SECRET: 'Zq8#vL2!pK9$' }, /RUSTCHAT_JWT_SECRET is too short/, true],
    ['a placeholder encryption key', { RUSTCHAT_ENCRYPTION_KEY: 'another-256-bit-secret-for-encryption-ops' }, /RUSTCHAT_ENCRYPTION_KEY contains a placeholder/, true],
    ['no site URL', { RUSTCHAT_SITE_URL: undefined }, /RUSTCHAT_SITE_URL is required in production/, false],
    ['an http:// site URL', { RUSTCHAT_SITE_URL: 'http://chat.example.com' }, /RUSTCHAT_SITE_URL must use https:\/\/ in production/, false],
    ['no issuer', { RUSTCHAT_JWT_ISSUER: undefined }, /RUSTCHAT_JWT_ISSUER is required in production/, false],
    ['no audience', { RUSTCHAT_JWT_AUDIENCE: undefined }, /RUSTCHAT_JWT_AUDIENCE is required in production/, false],
    ['a `*` CORS origin', { RUSTCHAT_CORS_ALLOWED_ORIGINS: 'https://chat.example.com,*' }, /RUSTCHAT_CORS_ALLOWED_ORIGINS must not contain "\*" in production/, false],
    ['an http:// CORS origin', { RUSTCHAT_CORS_ALLOWED_ORIGINS: 'http://admin.example.com' }, /RUSTCHAT_CORS_ALLOWED_ORIGINS entries must use https:\/\/ in production/, false],
  ])('refuses %s', (_label, overrides, message, weakSecret) => {
    const r = load(production(overrides));
    expect(r.config).toBeUndefined();
    expect(r.errors.join('\n')).toMatch(message);
    expect(r.weakSecret).toBe(weakSecret);
  });

  it('refuses a JWT secret equal to the encryption key, even a strong one', () => {
    const same = strongSecret();
    const r = load(production({ RUSTCHAT_JWT_SECRET: same, RUSTCHAT_ENCRYPTION_KEY: same }));
    expect(r.config).toBeUndefined();
    expect(r.errors).toEqual(['RUSTCHAT_JWT_SECRET and RUSTCHAT_ENCRYPTION_KEY must be different']);
    expect(r.weakSecret).toBe(true);
  });

  it('lists every problem together', () => {
    const r = load(production({ RUSTCHAT_JWT_SECRET: 'changeme', RUSTCHAT_SITE_URL: undefined, RUSTCHAT_JWT_AUDIENCE: undefined, RUSTCHAT_SECURITY_RATE_LIMIT_ENABLED: 'perhaps' }));
    expect(r.errors.length).toBeGreaterThanOrEqual(4);
    const text = r.errors.join('\n');
    for (const name of ['RUSTCHAT_JWT_SECRET', 'RUSTCHAT_SITE_URL', 'RUSTCHAT_JWT_AUDIENCE', 'RUSTCHAT_SECURITY_RATE_LIMIT_ENABLED']) expect(text).toContain(name);
  });

  it('never prints a secret in errors or warnings', () => {
    const secret = 'your-256-bit-secret-min-32-chars-long-random';
    const r = load(production({ RUSTCHAT_JWT_SECRET: secret, RUSTCHAT_JWT_SECRET_PREVIOUS: 'too-short-prev' }));
    const text = [...r.errors, ...r.warnings].join('\n');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('too-short-prev');
  });

  it('turning rate limiting off in production is a warning', () => {
    const r = load(production({ RUSTCHAT_SECURITY_RATE_LIMIT_ENABLED: 'false' }));
    expect(r.config?.security.rateLimitEnabled).toBe(false);
    expect(r.warnings.join('\n')).toMatch(/RUSTCHAT_SECURITY_RATE_LIMIT_ENABLED=false/);
  });
});

describe('development', () => {
  it('weak secrets are warnings and the server may start', () => {
    const r = load({ RUSTCHAT_JWT_SECRET: 'changeme', RUSTCHAT_ENCRYPTION_KEY: 'changeme', RUSTCHAT_DATA_DIR: tempDir() });
    expect(r.errors).toEqual([]);
    expect(r.config).toBeDefined();
    expect(r.weakSecret).toBe(true);
    const text = r.warnings.join('\n');
    expect(text).toMatch(/RUSTCHAT_JWT_SECRET is too short/);
    expect(text).toMatch(/must be different/);
  });

  it('missing secrets are generated once, kept with mode 0600 and reused after a restart', () => {
    const dir = tempDir();
    const first = loadConfig({ RUSTCHAT_DATA_DIR: dir });
    expect(first.errors).toEqual([]);
    expect(first.warnings.join('\n')).toMatch(/RUSTCHAT_JWT_SECRET is not set: using a random development value/);
    const file = join(dir, DEV_SECRETS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadConfig({ RUSTCHAT_DATA_DIR: dir });
    expect(second.config?.jwt.secret).toBe(first.config?.jwt.secret);
    expect(second.config?.encryption.key).toBe(first.config?.encryption.key);
    expect(first.config?.jwt.secret).not.toBe(first.config?.encryption.key);
    expect(readFileSync(file, 'utf8')).toContain(first.config!.jwt.secret);
    // The generated values pass the production checks.
    expect(load(production({ RUSTCHAT_JWT_SECRET: first.config!.jwt.secret, RUSTCHAT_ENCRYPTION_KEY: first.config!.encryption.key })).errors).toEqual([]);
  });

  it('a `*` CORS origin is a warning, not a crash', () => {
    const r = load({ RUSTCHAT_CORS_ALLOWED_ORIGINS: '*', RUSTCHAT_DATA_DIR: tempDir() });
    expect(r.errors).toEqual([]);
    expect(r.config?.corsAllowedOrigins).toEqual(['*']);
    expect(r.warnings.join()).toMatch(/contains "\*"/);
  });
});

describe('every environment', () => {
  it.each(['production', 'development'])('%s: OAUTH_TOKEN_DELIVERY other than cookie is refused', (environment) => {
    for (const value of ['query', 'fragment', 'url', 'token']) {
      const env = environment === 'production' ? production({ RUSTCHAT_SECURITY_OAUTH_TOKEN_DELIVERY: value }) : { RUSTCHAT_SECURITY_OAUTH_TOKEN_DELIVERY: value, RUSTCHAT_DATA_DIR: tempDir() };
      const r = load(env);
      expect(r.config).toBeUndefined();
      expect(r.errors.join()).toMatch(/RUSTCHAT_SECURITY_OAUTH_TOKEN_DELIVERY must be "cookie"/);
    }
    const ok = load(environment === 'production' ? production({ RUSTCHAT_SECURITY_OAUTH_TOKEN_DELIVERY: 'COOKIE' }) : { RUSTCHAT_SECURITY_OAUTH_TOKEN_DELIVERY: 'cookie', RUSTCHAT_DATA_DIR: tempDir() });
    expect(ok.config?.security.oauthTokenDelivery).toBe('cookie');
  });

  it.each(['production', 'development'])('%s: WS_ALLOW_QUERY_TOKEN=true is refused, false is a deprecation warning', (environment) => {
    const base = environment === 'production' ? production() : { RUSTCHAT_DATA_DIR: tempDir() };
    for (const value of ['true', 'TRUE', '1', 'yes', 'on']) {
      const r = load({ ...base, RUSTCHAT_SECURITY_WS_ALLOW_QUERY_TOKEN: value });
      expect(r.config).toBeUndefined();
      expect(r.errors.join()).toMatch(/query-token authentication has been removed/);
    }
    const off = load({ ...base, RUSTCHAT_SECURITY_WS_ALLOW_QUERY_TOKEN: 'false' });
    expect(off.config).toBeDefined();
    expect(off.warnings.join()).toMatch(/RUSTCHAT_SECURITY_WS_ALLOW_QUERY_TOKEN is deprecated/);
  });

  it('the PostgreSQL statement timeout: 30 s by default, 0 for none, a bad value names the variable', () => {
    expect(load({ RUSTCHAT_DATA_DIR: tempDir() }).config?.database.statementTimeoutMs).toBe(30_000);
    expect(load({ RUSTCHAT_DATA_DIR: tempDir(), RUSTCHAT_DATABASE_STATEMENT_TIMEOUT_MS: '0' }).config?.database.statementTimeoutMs).toBe(0);
    expect(load({ RUSTCHAT_DATA_DIR: tempDir(), RUSTCHAT_DATABASE_STATEMENT_TIMEOUT_MS: '2500' }).config?.database.statementTimeoutMs).toBe(2500);
    for (const bad of ['-1', 'soon', '99999999999']) {
      const r = load({ RUSTCHAT_DATA_DIR: tempDir(), RUSTCHAT_DATABASE_STATEMENT_TIMEOUT_MS: bad });
      expect(r.config).toBeUndefined();
      expect(r.errors.join()).toMatch(/RUSTCHAT_DATABASE_STATEMENT_TIMEOUT_MS/);
    }
  });

  it('`null` is never an allowed origin', () => {
    const r = load({ RUSTCHAT_CORS_ALLOWED_ORIGINS: 'null', RUSTCHAT_DATA_DIR: tempDir() });
    expect(r.errors.join()).toMatch(/must not contain "null"/);
  });

  it('booleans accept true/false/1/0/yes/no/on/off in any case; anything else names the variable', () => {
    for (const [v, want] of [['TRUE', true], ['off', false], ['Yes', true], ['0', false], ['ON', true], ['No', false]] as const) {
      expect(load({ RUSTCHAT_SECURITY_RATE_LIMIT_ENABLED: v, RUSTCHAT_DATA_DIR: tempDir() }).config?.security.rateLimitEnabled).toBe(want);
    }
    const bad = load({ RUSTCHAT_SECURITY_RATE_LIMIT_ENABLED: 'enabled', RUSTCHAT_ALLOW_REGISTRATION: 'nope', RUSTCHAT_LOG_LEVEL: 'loud', RUSTCHAT_DATA_DIR: tempDir() });
    expect(bad.config).toBeUndefined();
    expect(bad.errors.join('\n')).toMatch(/RUSTCHAT_SECURITY_RATE_LIMIT_ENABLED must be a boolean/);
    expect(bad.errors.join('\n')).toMatch(/RUSTCHAT_ALLOW_REGISTRATION must be a boolean/);
    expect(bad.errors.join('\n')).toMatch(/RUSTCHAT_LOG_LEVEL must be one of/);
  });

  it('the guide\'s RUSTCHAT_SECURITY_* variables take effect (the reference ignored them)', () => {
    const r = load({
      RUSTCHAT_SECURITY_RATE_LIMIT_ENABLED: 'false',
      RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '7',
      RUSTCHAT_SECURITY_RATE_LIMIT_WS_PER_MINUTE: '11',
      RUSTCHAT_SECURITY_RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_HOUR: '13',
      RUSTCHAT_SECURITY_TRUSTED_PROXIES: '10.0.0.0/8, ::1',
      RUSTCHAT_DATA_DIR: tempDir(),
    });
    expect(r.config?.security).toMatchObject({ rateLimitEnabled: false, authPerMinute: 7, wsPerMinute: 11, loginPerAccountPerHour: 13, trustedProxies: ['10.0.0.0/8', '::1'] });
    const defaults = load({ RUSTCHAT_DATA_DIR: tempDir() }).config!.security;
    expect(defaults).toMatchObject({ rateLimitEnabled: true, authPerMinute: 10, wsPerMinute: 30, loginPerAccountPerHour: 100, trustedProxies: [] });
    expect(load({ RUSTCHAT_SECURITY_TRUSTED_PROXIES: '10.0.0.0/33', RUSTCHAT_DATA_DIR: tempDir() }).errors.join()).toMatch(/RUSTCHAT_SECURITY_TRUSTED_PROXIES/);
    expect(load({ RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '0', RUSTCHAT_DATA_DIR: tempDir() }).errors.join()).toMatch(/RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE must be an integer/);
  });

  it('an unknown RUSTCHAT_* name is a warning (typo)', () => {
    const r = load({ RUSTCHAT_SECURITY_RATE_LIMITS_ENABLED: 'false', RUSTCHAT_DATA_DIR: tempDir() });
    expect(r.warnings.join()).toMatch(/RUSTCHAT_SECURITY_RATE_LIMITS_ENABLED is not a RustChat setting/);
  });
});

describe('.env file', () => {
  it('is read from the working directory, and the process environment wins', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.env'), 'RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE=5\nRUSTCHAT_SECURITY_RATE_LIMIT_WS_PER_MINUTE=6\n');
    const env = environmentWithDotenv({ RUSTCHAT_SECURITY_RATE_LIMIT_WS_PER_MINUTE: '9' }, dir);
    const r = load({ ...env, RUSTCHAT_DATA_DIR: tempDir() });
    expect(r.config?.security.authPerMinute).toBe(5);
    expect(r.config?.security.wsPerMinute).toBe(9);
  });
});

describe('in-process TLS', () => {
  it('needs both files, and a matching readable certificate and key', () => {
    const dir = tempDir();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const ok = load({ RUSTCHAT_TLS_CERT_FILE: join(dir, 'cert.pem'), RUSTCHAT_TLS_KEY_FILE: join(dir, 'key.pem'), RUSTCHAT_DATA_DIR: tempDir() });
    expect(ok.config?.tls).toEqual({ certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') });
    expect(load({ RUSTCHAT_TLS_CERT_FILE: join(dir, 'cert.pem'), RUSTCHAT_DATA_DIR: tempDir() }).errors.join()).toMatch(/must be set together/);
    const bad = load({ RUSTCHAT_TLS_CERT_FILE: join(dir, 'cert.pem'), RUSTCHAT_TLS_KEY_FILE: join(dir, 'missing.pem'), RUSTCHAT_DATA_DIR: tempDir() });
    expect(bad.errors.join()).toMatch(/RUSTCHAT_TLS_CERT_FILE\/RUSTCHAT_TLS_KEY_FILE are not a readable PEM/);
    expect(load({ RUSTCHAT_DATA_DIR: tempDir() }).config?.tls).toBeUndefined();
  });
});

describe('mail relay (RUSTCHAT_SMTP_URL)', () => {
  const withSmtp = (url: string, from?: string) => load({ RUSTCHAT_SMTP_URL: url, ...(from ? { RUSTCHAT_SMTP_FROM: from } : {}), RUSTCHAT_DATA_DIR: tempDir() });
  it('takes smtp:// and smtps:// with credentials; the sender defaults to the site host', () => {
    expect(withSmtp('smtp://user:p%40ss@mail.example.com:587').config?.smtp).toEqual({ url: 'smtp://user:p%40ss@mail.example.com:587', from: 'RustChat <no-reply@localhost>' });
    expect(withSmtp('smtps://mail.example.com:465', 'Chat <chat@example.com>').config?.smtp).toEqual({ url: 'smtps://mail.example.com:465', from: 'Chat <chat@example.com>' });
    expect(load({ RUSTCHAT_DATA_DIR: tempDir() }).config?.smtp).toBeUndefined();
  });
  it('refuses what is not a plain relay address: other schemes, broken URLs, query options that would override TLS or logging', () => {
    for (const url of ['http://mail.example.com', 'smtp://u:a/b@host', 'not a url']) expect(withSmtp(url).errors.join(), url).toMatch(/RUSTCHAT_SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/);
    for (const url of ['smtp://mail.example.com/?requireTLS=false', 'smtp://mail.example.com:25?logger=true', 'smtp://mail.example.com/path']) expect(withSmtp(url).errors.join(), url).toMatch(/no path or query options/);
    expect(withSmtp('smtp://mail.example.com', 'no address here').errors.join()).toMatch(/RUSTCHAT_SMTP_FROM must be an e-mail address/);
  });
  it('never prints the relay password in an error', () => {
    const r = withSmtp('smtp://user:hunter2-secret@mail.example.com/?x=1');
    expect(r.errors.join()).not.toContain('hunter2-secret');
  });
});
