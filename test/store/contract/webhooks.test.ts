/** The store contract for webhooks and their delivery log, on SQLite and PostgreSQL (see harness.ts). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { IncomingWebhook, OutgoingWebhook, WebhookDelivery } from '../../../src/domain/webhooks.js';
import { UniqueViolation } from '../../../src/store/errors.js';
import { STORES } from '../../helpers/app.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: webhooks (%s)', (kind) => {
  const { store, world } = contract(kind);

  const incoming = (w: Awaited<ReturnType<typeof world>>, creatorId: string, at: number): IncomingWebhook => ({
    id: randomUUID(), token_hash: randomUUID(), channel_id: w.channel.id, team_id: w.team.id, creator_id: creatorId, display_name: 'CI', description: '',
    channel_locked: 0, created_at: at, updated_at: at,
  });
  const outgoing = (w: Awaited<ReturnType<typeof world>>, creatorId: string, at: number): OutgoingWebhook => ({
    id: randomUUID(), token_sealed: 'v1.x.y.z', team_id: w.team.id, channel_id: null, creator_id: creatorId, display_name: 'Deploy', description: '',
    trigger_words: '["deploy"]', trigger_when: 1, callback_urls: '["https://example.com/a"]', content_type: 'application/json', created_at: at, updated_at: at,
  });

  it('incoming: creates, finds by id and token hash (unique), lists by creator and team newest first, updates and deletes', async () => {
    const w = await world(2);
    const a = w.users[0]!;
    const b = w.users[1]!;
    const first = incoming(w, a.id, 5_000_000_000_000);
    const second = incoming(w, a.id, 5_000_000_000_001);
    const bobs = incoming(w, b.id, 5_000_000_000_002);
    for (const h of [first, second, bobs]) await store.webhooks.createIncoming(h);
    await expect(store.webhooks.createIncoming({ ...incoming(w, a.id, 1), token_hash: first.token_hash })).rejects.toBeInstanceOf(UniqueViolation);
    expect(await store.webhooks.getIncoming(first.id)).toEqual(first);
    expect(await store.webhooks.getIncomingByTokenHash(second.token_hash)).toEqual(second);
    expect(await store.webhooks.getIncomingByTokenHash(randomUUID())).toBeUndefined();
    expect((await store.webhooks.listIncoming(a.id, undefined, 0, 10)).map((h) => h.id)).toEqual([second.id, first.id]);
    expect((await store.webhooks.listIncoming(undefined, w.team.id, 0, 10)).map((h) => h.id)).toEqual([bobs.id, second.id, first.id]);
    expect((await store.webhooks.listIncoming(undefined, w.team.id, 1, 1)).map((h) => h.id)).toEqual([second.id]);
    expect(await store.webhooks.updateIncoming(first.id, { display_name: 'Renamed', channel_locked: 1 }, 7)).toEqual({ ...first, display_name: 'Renamed', channel_locked: 1, updated_at: 7 });
    expect(await store.webhooks.updateIncoming(randomUUID(), { display_name: 'x' }, 7)).toBeUndefined();
    expect(await store.webhooks.deleteIncoming(first.id)).toEqual({ ...first, display_name: 'Renamed', channel_locked: 1, updated_at: 7 });
    expect(await store.webhooks.deleteIncoming(first.id)).toBeUndefined();
    expect(await store.webhooks.getIncoming(first.id)).toBeUndefined();
  });

  it('outgoing: creates, lists, finds a team\'s hooks, updates, and deletes with its delivery log', async () => {
    const w = await world(1);
    const a = w.users[0]!;
    const hook = outgoing(w, a.id, 5_000_000_000_000);
    await store.webhooks.createOutgoing(hook);
    expect(await store.webhooks.getOutgoing(hook.id)).toEqual(hook);
    expect((await store.webhooks.outgoingForTeam(w.team.id)).map((h) => h.id)).toEqual([hook.id]);
    expect(await store.webhooks.outgoingForTeam(randomUUID())).toEqual([]);
    expect((await store.webhooks.listOutgoing(a.id, w.team.id, 0, 10)).map((h) => h.id)).toEqual([hook.id]);
    const updated = await store.webhooks.updateOutgoing(hook.id, { channel_id: w.channel.id, trigger_when: 0 }, 9);
    expect(updated).toEqual({ ...hook, channel_id: w.channel.id, trigger_when: 0, updated_at: 9 });
    await store.webhooks.addDelivery({ id: randomUUID(), hook_id: hook.id, url: 'https://example.com/a', attempt: 1, status: 200, error: null, duration_ms: 3, created_at: 1 }, 10);
    expect(await store.webhooks.deleteOutgoing(hook.id)).toEqual(updated);
    expect(await store.webhooks.getOutgoing(hook.id)).toBeUndefined();
    expect(await store.webhooks.deliveries(hook.id, 10)).toEqual([]);
  });

  it('keeps the newest N deliveries of each hook, newest first', async () => {
    const hookId = randomUUID();
    const otherId = randomUUID();
    const made: WebhookDelivery[] = [];
    for (let i = 0; i < 7; i++) {
      const d: WebhookDelivery = { id: randomUUID(), hook_id: hookId, url: 'https://example.com/a', attempt: i + 1, status: i % 2 === 0 ? null : 503, error: i % 2 === 0 ? 'refused: loopback address' : null, duration_ms: i, created_at: 100 + i };
      made.push(d);
      await store.webhooks.addDelivery(d, 5);
    }
    await store.webhooks.addDelivery({ ...made[0]!, id: randomUUID(), hook_id: otherId }, 5);
    expect(await store.webhooks.deliveries(hookId, 50)).toEqual(made.slice(2).reverse());
    expect(await store.webhooks.deliveries(hookId, 2)).toEqual(made.slice(5).reverse());
    expect(await store.webhooks.deliveries(otherId, 50)).toHaveLength(1);
  });
});
