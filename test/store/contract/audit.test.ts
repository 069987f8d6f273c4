/** The store contract for audit log, on SQLite and PostgreSQL (see harness.ts). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STORES } from '../../helpers/app.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: audit log (%s)', (kind) => {
  const { store, user } = contract(kind);

  it('appends entries and lists them newest first', async () => {
    const a = await user();
    const e1 = { id: randomUUID(), actor_id: a.id, action: 'user.role', target_type: 'user', target_id: a.id, ip: '::1', details: '{"role":"x"}', created_at: 9_000_000_000_001 };
    const e2 = { ...e1, id: randomUUID(), actor_id: null, created_at: 9_000_000_000_002 };
    await store.audit.append(e1);
    await store.audit.append(e2);
    expect(await store.audit.list(0, 2)).toEqual([e2, e1]);
    expect(await store.audit.list(1, 1)).toEqual([e1]);
  });
});
