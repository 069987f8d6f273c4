/** The store contract for sidebar arrangements and expiring custom statuses, on SQLite and PostgreSQL (see harness.ts). */
import { describe, expect, it } from 'vitest';
import { STORES } from '../../helpers/app.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: sidebars and status expiry (%s)', (kind) => {
  const { store, user } = contract(kind);

  it('keeps one arrangement per user, replaced as a whole', async () => {
    const a = await user();
    const b = await user();
    expect(await store.sidebars.get(a.id)).toBeUndefined();
    await store.sidebars.put(a.id, '[{"id":"favorites"}]', 10);
    await store.sidebars.put(b.id, '[]', 11);
    await store.sidebars.put(a.id, '[{"id":"work"}]', 12);
    expect(await store.sidebars.get(a.id)).toEqual({ user_id: a.id, categories: '[{"id":"work"}]', updated_at: 12 });
    expect(await store.sidebars.get(b.id)).toEqual({ user_id: b.id, categories: '[]', updated_at: 11 });
  });

  it('stores text of any size and character exactly', async () => {
    const a = await user();
    const text = JSON.stringify([{ id: 'x', name: 'é😀\u0301'.repeat(2000) }]);
    await store.sidebars.put(a.id, text, 1);
    expect((await store.sidebars.get(a.id))!.categories).toBe(text);
  });

  it('clears a custom status once it has expired, and only then', async () => {
    const a = await user();
    const keep = await user();
    expect((await store.users.get(a.id))!.status_expires_at).toBeNull();
    await store.users.update(a.id, { status_text: 'Away', status_emoji: 'palm_tree', status_expires_at: 1000 }, 1);
    await store.users.update(keep.id, { status_text: 'Forever' }, 1);
    expect(await store.users.clearExpiredStatus(a.id, 999)).toBe(false);
    expect(await store.users.clearExpiredStatus(keep.id, 5000)).toBe(false);
    expect(await store.users.expiredStatuses(999, 10)).not.toContain(a.id);
    expect(await store.users.expiredStatuses(1000, 10)).toContain(a.id);
    expect(await store.users.expiredStatuses(5000, 10)).not.toContain(keep.id);
    expect(await store.users.clearExpiredStatus(a.id, 1000)).toBe(true);
    expect(await store.users.clearExpiredStatus(a.id, 1000)).toBe(false);
    expect(await store.users.get(a.id)).toMatchObject({ status_text: '', status_emoji: '', status_expires_at: null, updated_at: 1000 });
    expect(await store.users.get(keep.id)).toMatchObject({ status_text: 'Forever', status_expires_at: null });
  });
});
