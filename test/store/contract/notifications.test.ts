/** The store contract for notification preferences, the e-mail notification queue and push devices, on SQLite and PostgreSQL (see harness.ts). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STORES } from '../../helpers/app.js';
import type { NewQueuedEmail } from '../../../src/store/store.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: notifications (%s)', (kind) => {
  const { store, user, world } = contract(kind);

  const queued = (userId: string, channelId: string, seq: number, due: number): NewQueuedEmail => ({
    user_id: userId, post_id: randomUUID(), channel_id: channelId, post_seq: seq, reason: 'mention', created_at: seq, due_at: due,
  });

  it('keeps one global document per user and one per channel membership', async () => {
    const w = await world(2);
    const [a, b] = w.users;
    expect(await store.notifications.getPrefs(a!.id)).toBeUndefined();
    const schedule = '{"enabled":true,"days":[{"day":1,"start":"22:00","end":"07:00"}]}';
    await store.notifications.putPrefs(a!.id, { props: '{"desktop":"all"}', dnd_schedule: schedule }, 1);
    expect(await store.notifications.getPrefs(a!.id)).toEqual({ props: '{"desktop":"all"}', dnd_schedule: schedule });
    // Both columns are replaced together; a schedule may be absent (rows from before migration 16).
    await store.notifications.putPrefs(a!.id, { props: '{"desktop":"none"}', dnd_schedule: null }, 2);
    expect(await store.notifications.getPrefs(a!.id)).toEqual({ props: '{"desktop":"none"}', dnd_schedule: null });
    await store.notifications.putPrefs(b!.id, { props: '{}', dnd_schedule: schedule }, 3);
    await store.notifications.putChannelProps(w.channel.id, b!.id, '{"mark_unread":"mention"}', 3);
    await store.notifications.putChannelProps(w.channel.id, b!.id, '{"mark_unread":"all"}', 4);
    expect(await store.notifications.getChannelProps(w.channel.id, b!.id)).toBe('{"mark_unread":"all"}');
    expect(await store.notifications.getChannelProps(w.channel.id, a!.id)).toBeUndefined();
  });

  it('reads a post\'s possible recipients with both preference documents in one call: members only, never the author, bots or the deactivated', async () => {
    const w = await world(4);
    const [author, b, c, gone] = w.users;
    const bot = await user({ is_bot: 1 });
    const outsider = await user();
    await store.channels.addMember({ channel_id: w.channel.id, user_id: bot.id, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 20 });
    await store.users.setDeactivated(gone!.id, 5, 5);
    const schedule = '{"enabled":true,"days":[]}';
    await store.notifications.putPrefs(b!.id, { props: '{"desktop":"all"}', dnd_schedule: schedule }, 1);
    await store.notifications.putPrefs(outsider.id, { props: '{"desktop":"all"}', dnd_schedule: null }, 1);
    await store.notifications.putChannelProps(w.channel.id, c!.id, '{"desktop":"none"}', 2);
    const rows = await store.notifications.recipientsOf(w.channel.id, author!.id);
    expect(rows.sort((x, y) => (x.user_id < y.user_id ? -1 : 1))).toEqual([
      { user_id: b!.id, username: b!.username, first_name: b!.first_name, timezone: b!.timezone, prefs: { props: '{"desktop":"all"}', dnd_schedule: schedule }, channel_props: undefined },
      { user_id: c!.id, username: c!.username, first_name: c!.first_name, timezone: c!.timezone, prefs: undefined, channel_props: '{"desktop":"none"}' },
    ].sort((x, y) => (x.user_id < y.user_id ? -1 : 1)));
    expect(await store.notifications.recipientsOf(w.channel.id, b!.id)).toHaveLength(2);
    // Narrowed: those with preferences of their own (b globally, c for this channel), the named, the listed.
    const plainB = await user();
    const plainC = await user();
    for (const [i, u] of [plainB, plainC].entries()) await store.channels.addMember({ channel_id: w.channel.id, user_id: u.id, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 30 + i });
    const ids = async (only: { usernames: string[]; userIds: string[] }): Promise<string[]> => (await store.notifications.recipientsOf(w.channel.id, author!.id, only)).map((r) => r.user_id).sort();
    expect(await ids({ usernames: [], userIds: [] })).toEqual([b!.id, c!.id].sort());
    expect(await ids({ usernames: [plainB.username, 'nobody'], userIds: [plainC.id] })).toEqual([b!.id, c!.id, plainB.id, plainC.id].sort());
    // Never the author, a bot, the deactivated or an outsider, even when named or listed.
    expect(await ids({ usernames: [author!.username, bot.username, gone!.username, outsider.username], userIds: [author!.id, bot.id, outsider.id] })).toEqual([b!.id, c!.id].sort());
  });

  it('claims all of a person\'s rows once one is due, once, and deletes them when finished', async () => {
    const w = await world(3);
    const [a, b, c] = w.users;
    const first = queued(a!.id, w.channel.id, 1, 100);
    await store.notifications.enqueueEmails([first, queued(a!.id, w.channel.id, 2, 500), queued(b!.id, w.channel.id, 3, 900), queued(c!.id, w.channel.id, 4, 100)]);
    // The same (person, post) again changes nothing.
    await store.notifications.enqueueEmails([{ ...first, due_at: 5 }]);
    expect((await store.notifications.queuedFor(a!.id)).map((r) => r.due_at)).toEqual([100, 500]);
    expect(await store.transaction((tx) => tx.notifications.claimEmails(99, 'early', 1000, 10))).toEqual([]);
    const claimed = await store.transaction((tx) => tx.notifications.claimEmails(100, 't1', 1000, 10));
    expect(claimed.map((r) => [r.user_id, r.post_seq, r.claim_token])).toEqual([[a!.id, 1, 't1'], [a!.id, 2, 't1'], [c!.id, 4, 't1']].sort((x, y) => (x[0]! < y[0]! ? -1 : x[0]! > y[0]! ? 1 : Number(x[1]) - Number(y[1]))));
    // Claimed rows are not claimed again while the claim holds; b's row is not due.
    expect(await store.transaction((tx) => tx.notifications.claimEmails(950, 't2', 2000, 10))).toMatchObject([{ user_id: b!.id, claim_token: 't2' }]);
    expect(await store.notifications.finishEmails('t1')).toBe(3);
    expect(await store.notifications.queuedFor(a!.id)).toEqual([]);
    // A retry gives the rows back, later, counting the attempt.
    await store.notifications.retryEmails('t2', 3000);
    expect(await store.notifications.queuedFor(b!.id)).toMatchObject([{ due_at: 3000, attempts: 1, claim_token: null, claimed_until: null }]);
    expect(await store.transaction((tx) => tx.notifications.claimEmails(2999, 't3', 4000, 10))).toEqual([]);
    expect(await store.transaction((tx) => tx.notifications.claimEmails(3000, 't3', 4000, 10))).toHaveLength(1);
    // A lapsed claim (its sender died) can be taken over.
    expect(await store.transaction((tx) => tx.notifications.claimEmails(4001, 't4', 5000, 10))).toMatchObject([{ user_id: b!.id, claim_token: 't4' }]);
    expect(await store.notifications.finishEmails('t3')).toBe(0);
    expect(await store.notifications.dropQueued(b!.id)).toBe(1);
  });

  it('lets only one of two concurrent claimers have a row', async () => {
    const w = await world(2);
    const rows = Array.from({ length: 20 }, (_, i) => queued(w.users[i % 2]!.id, w.channel.id, 100 + i, 10));
    await store.notifications.enqueueEmails(rows);
    const [x, y] = await Promise.all([
      store.transaction((tx) => tx.notifications.claimEmails(10, 'x', 1000, 10)),
      store.transaction((tx) => tx.notifications.claimEmails(10, 'y', 1000, 10)),
    ]);
    const ids = [...x, ...y].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(20);
    await store.notifications.finishEmails('x');
    await store.notifications.finishEmails('y');
  });

  it('keeps push devices of live sessions and forgets a device everywhere', async () => {
    const a = await user();
    const live = { id: randomUUID(), user_id: a.id, kind: 'password' as const, created_at: 1, expires_at: 10_000, revoked_at: null, user_agent: '', ip: '' };
    const old = { ...live, id: randomUUID(), expires_at: 50 };
    await store.sessions.create(live);
    await store.sessions.create(old);
    await store.notifications.putDevice({ session_id: live.id, user_id: a.id, device_id: 'apple_rn:dev1', created_at: 1 });
    await store.notifications.putDevice({ session_id: live.id, user_id: a.id, device_id: 'apple_rn:dev2', created_at: 2 });
    await store.notifications.putDevice({ session_id: old.id, user_id: a.id, device_id: 'android_rn:dev3', created_at: 3 });
    expect((await store.notifications.devicesFor(a.id, 100)).map((d) => d.device_id)).toEqual(['apple_rn:dev2']);
    expect(await store.notifications.removeDevice('apple_rn:dev2')).toBe(1);
    expect(await store.notifications.devicesFor(a.id, 100)).toEqual([]);
  });
});
