/** The embedded database's files are readable by their owner only (security: they hold password hashes and sessions). */
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { newUser } from '../helpers/store.js';

const mode = (file: string): number => statSync(file).mode & 0o777;

describe('SQLite file permissions', () => {
  const dirs: string[] = [];
  const umask = process.umask();
  afterEach(() => {
    process.umask(umask);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function openAndWrite(dataDir: string) {
    const { store } = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1 });
    // A write, so the -wal and -shm files exist while we look.
    await store.users.create(newUser());
    return store;
  }

  it('creates rustchat.db and its -wal and -shm files 0600 under a permissive umask', async () => {
    process.umask(0o022);
    const dataDir = mkdtempSync(join(tmpdir(), 'rustchat-mode-'));
    dirs.push(dataDir);
    const store = await openAndWrite(dataDir);
    try {
      for (const f of ['rustchat.db', 'rustchat.db-wal', 'rustchat.db-shm']) expect([f, mode(join(dataDir, f))]).toEqual([f, 0o600]);
    } finally {
      await store.close();
    }
  });

  it('tightens the files of an existing data directory to 0600', async () => {
    process.umask(0o022);
    const dataDir = mkdtempSync(join(tmpdir(), 'rustchat-mode-'));
    dirs.push(dataDir);
    await (await openAndWrite(dataDir)).close();
    const file = join(dataDir, 'rustchat.db');
    chmodSync(file, 0o644);
    writeFileSync(`${file}-wal`, '');
    chmodSync(`${file}-wal`, 0o644);
    const store = await openAndWrite(dataDir);
    try {
      expect(mode(file)).toBe(0o600);
      expect(mode(`${file}-wal`)).toBe(0o600);
    } finally {
      await store.close();
    }
  });
});
