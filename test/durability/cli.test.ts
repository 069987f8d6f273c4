/** The `rustchat` command: `migrate` on both databases and `create-admin`, as real processes. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openStore } from '../../src/store/open.js';
import { STORES, strongSecret } from '../helpers/app.js';
import { runCli } from '../helpers/process.js';
import { createTestDatabase } from '../helpers/services.js';
import { rawQuery } from '../helpers/store.js';

describe.each(STORES)('rustchat CLI (%s)', (kind) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rustchat-cli-'));
  let databaseUrl: string | undefined;
  let drop: (() => Promise<void>) | undefined;
  let env: Record<string, string>;
  beforeAll(async () => {
    if (kind === 'postgres') ({ url: databaseUrl, drop } = await createTestDatabase());
    env = { RUSTCHAT_DATA_DIR: dataDir, RUSTCHAT_JWT_SECRET: strongSecret(), RUSTCHAT_ENCRYPTION_KEY: strongSecret(), ...(databaseUrl ? { RUSTCHAT_DATABASE_URL: databaseUrl } : {}) };
  });
  afterAll(async () => {
    if (drop) await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const location = () => ({ dataDir, databaseUrl });

  it('migrate creates the schema; migrating again changes nothing', async () => {
    const first = await runCli(['migrate'], env);
    expect(first.code).toBe(0);
    const applied = await rawQuery<{ version: number | string }>(location(), 'SELECT version FROM schema_migrations ORDER BY version');
    expect(applied.map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
    const log = first.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.msg === 'migrations up to date');
    expect(log).toMatchObject({ applied: MIGRATIONS.map((m) => m.version), schema_version: Math.max(...MIGRATIONS.map((m) => m.version)) });

    // Again (in process, to keep the suite fast): nothing left to apply.
    const { store, migrations } = await openStore({ databaseUrl, dataDir, poolSize: 1 });
    await store.close();
    expect(migrations).toEqual({ applied: [], current: Math.max(...MIGRATIONS.map((m) => m.version)) });
    expect(await rawQuery(location(), 'SELECT version FROM schema_migrations')).toHaveLength(MIGRATIONS.length);
    // The schema is usable: the tables are there and empty.
    expect(await rawQuery(location(), 'SELECT id FROM users')).toEqual([]);
  });
});

describe('rustchat create-admin', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rustchat-cli-'));
  const env = { RUSTCHAT_DATA_DIR: dataDir, RUSTCHAT_JWT_SECRET: strongSecret(), RUSTCHAT_ENCRYPTION_KEY: strongSecret() };
  const location = () => ({ dataDir, databaseUrl: undefined });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates a system admin, reading the password from stdin', async () => {
    const made = await runCli(['create-admin', 'Root@Example.com', 'rooty'], env, { input: 'a root passphrase\n' });
    expect(made.code).toBe(0);
    const rows = await rawQuery<{ username: string; role: string; email: string }>(location(), 'SELECT username, role, email FROM users');
    expect(rows).toEqual([{ username: 'rooty', role: 'system_admin', email: 'root@example.com' }]);
    expect(made.lines.join('\n')).not.toContain('a root passphrase');
  });
});
