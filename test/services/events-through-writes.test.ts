/**
 * Services publish only through the write path: events are queued on the transaction that
 * makes the change (`tx.publish`, `tx.control`) and reach the bus after its commit (the
 * store-level proof, rollback and group commit included, is test/store/publish-after-commit).
 *
 * Here: (1) no service can reach the bus directly, checked on the source so that a new write
 * cannot slip one in; (2) through a real app on both databases, every event a subscriber on
 * the bus receives describes rows that another connection can already read.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeEvent } from '../../src/domain/events.js';
import type { ServiceDeps } from '../../src/services/context.js';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addTeamMember, createChannel, createPost, createTeam, registerUser } from '../helpers/factories.js';
import { locationOf, rawQuery } from '../helpers/store.js';

const SERVICES = join(import.meta.dirname, '../../src/services');

/** Publishing calls in a service source that do not go through a transaction (`tx`). */
function directPublishes(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/([\w.]+)\s*\.\s*(publish|control)\s*\(/g)) {
    if (m[1] !== 'tx') found.push(m[0]);
  }
  if (/\bEventPublisher\b/.test(source)) found.push('EventPublisher');
  if (/from '\.\.\/realtime\//.test(source)) found.push('import from realtime/');
  if (/\.events\b/.test(source.replace(/security\.emit|deps\.security/g, ''))) found.push('.events');
  return found;
}

describe('services reach the bus only through a transaction', () => {
  it('no service source publishes, imports the bus or holds an event publisher', () => {
    const offenders: Record<string, string[]> = {};
    for (const file of readdirSync(SERVICES).filter((f) => f.endsWith('.ts'))) {
      const found = directPublishes(readFileSync(join(SERVICES, file), 'utf8'));
      if (found.length > 0) offenders[file] = found;
    }
    expect(offenders).toEqual({});
  });

  it('the check catches a direct publish', () => {
    expect(directPublishes("this.deps.events.publish({ event: 'posted' })")).not.toEqual([]);
    expect(directPublishes('bus.control({ kind })')).not.toEqual([]);
    expect(directPublishes("tx.publish({ event: 'posted' })")).toEqual([]);
  });

  it('ServiceDeps carries no bus', () => {
    const noBus: 'events' extends keyof ServiceDeps ? false : true = true;
    expect(noBus).toBe(true);
  });
});

describe.each(STORES)('events through the write path (%s)', (kind) => {
  let t: TestApp;
  /** One check per event: the rows it speaks of, read on a separate connection when it arrived. */
  const checks: Array<Promise<{ event: string; ok: boolean; detail: unknown }>> = [];

  async function rows(text: string, params: unknown[]): Promise<Array<Record<string, unknown>>> {
    return rawQuery(locationOf(t), text, params);
  }

  async function check(e: RealtimeEvent): Promise<{ event: string; ok: boolean; detail: unknown }> {
    const d = e.data as Record<string, any>;
    let found: Array<Record<string, unknown>> = [];
    let ok: (r: Array<Record<string, unknown>>) => boolean = (r) => r.length === 1;
    switch (e.event) {
      case 'posted':
        found = await rows('SELECT message FROM posts WHERE id = ?', [d.post.id]);
        break;
      case 'post_edited':
        found = await rows('SELECT message, is_pinned FROM posts WHERE id = ?', [d.post.id]);
        ok = (r) => r[0]?.message === d.post.message && Boolean(Number(r[0]?.is_pinned)) === d.post.is_pinned;
        break;
      case 'post_deleted':
        found = await rows('SELECT deleted_at FROM posts WHERE id = ?', [d.post.id]);
        ok = (r) => r[0]?.deleted_at !== null && r[0]?.deleted_at !== undefined;
        break;
      case 'reaction_added':
        found = await rows('SELECT 1 FROM reactions WHERE post_id = ? AND user_id = ? AND emoji_name = ?', [d.reaction.post_id, d.reaction.user_id, d.reaction.emoji_name]);
        break;
      case 'channel_created':
        found = await rows('SELECT 1 FROM channels WHERE id = ?', [d.channel.id]);
        break;
      case 'user_added':
        found = await rows('SELECT 1 FROM channel_members WHERE channel_id = ? AND user_id = ?', [d.channel_id, d.user_id]);
        break;
      case 'user_removed':
        found = await rows('SELECT 1 FROM channel_members WHERE channel_id = ? AND user_id = ?', [d.channel_id, d.user_id]);
        ok = (r) => r.length === 0;
        break;
      case 'channel_viewed':
      case 'post_unread':
        found = await rows('SELECT last_viewed_seq FROM channel_members WHERE channel_id = ? AND user_id = ?', [d.channel_id, e.broadcast.user_id]);
        ok = (r) => Number(r[0]?.last_viewed_seq) === d.last_viewed_seq;
        break;
      case 'thread_updated':
        found = await rows('SELECT reply_count FROM posts WHERE id = ?', [d.thread.id]);
        ok = (r) => Number(r[0]?.reply_count) === d.thread.reply_count;
        break;
      case 'thread_follow_changed':
        found = await rows('SELECT following FROM thread_memberships WHERE user_id = ? AND root_id = ?', [e.broadcast.user_id, d.thread_id]);
        ok = (r) => Boolean(Number(r[0]?.following)) === d.following;
        break;
      case 'thread_read_changed':
        found = await rows('SELECT last_viewed_at FROM thread_memberships WHERE user_id = ? AND root_id = ?', [e.broadcast.user_id, d.thread_id]);
        ok = (r) => Number(r[0]?.last_viewed_at) === d.last_viewed_at;
        break;
      default:
        return { event: e.event, ok: true, detail: 'not checked' };
    }
    return { event: e.event, ok: ok(found), detail: found };
  }

  beforeAll(async () => {
    t = await startApp(kind);
    t.app.bus.subscribe({
      // On SQLite the separate connection reads synchronously, at the moment the event arrives.
      onEvent: (e) => void checks.push(check(e)),
      onControl: () => undefined,
    });
  });
  afterAll(async () => t?.close());

  it('every event describes committed rows', async () => {
    const { api } = t;
    // Each step's events are published before its response; their checks finish before the
    // next step writes (on PostgreSQL the read is asynchronous and a later write could move the row).
    const step = async <T>(action: Promise<T>): Promise<T> => {
      const value = await action;
      await Promise.all(checks);
      return value;
    };
    const alice = await step(registerUser(api, 'alice'));
    const bob = await step(registerUser(api, 'bob'));
    const team = await step(createTeam(api, alice));
    await step(addTeamMember(api, alice, team.id, bob));
    const channel = await step(createChannel(api, alice, team.id));
    expect((await step(api.post(`/api/v1/channels/${channel.id}/members`, { user_id: bob.id }, alice.token))).status).toBe(201);
    const first = await step(createPost(api, alice, channel.id, 'hello'));
    const mention = await step(createPost(api, bob, channel.id, `@${alice.username} hi`));
    expect((await step(api.put(`/api/v1/posts/${first.id}`, { message: 'hello, edited' }, alice.token))).status).toBe(200);
    await step(createPost(api, bob, channel.id, 'a reply', { root_post_id: first.id }));
    expect((await step(api.put(`/api/v1/users/me/threads/${first.id}/read`, {}, alice.token))).status).toBe(200);
    expect((await step(api.request('DELETE', `/api/v1/users/me/threads/${first.id}/following`, { token: alice.token }))).status).toBe(200);
    expect((await step(api.post(`/api/v1/posts/${first.id}/reactions`, { emoji_name: 'thumbsup' }, bob.token))).status).toBeLessThan(300);
    expect((await step(api.post(`/api/v1/posts/${first.id}/pin`, {}, alice.token))).status).toBeLessThan(300);
    expect((await step(api.post(`/api/v1/posts/${mention.id}/unread`, {}, alice.token))).status).toBeLessThan(300);
    expect((await step(api.post(`/api/v1/channels/${channel.id}/read`, {}, alice.token))).status).toBeLessThan(300);
    expect((await step(api.request('DELETE', `/api/v1/posts/${mention.id}`, { token: bob.token }))).status).toBeLessThan(300);
    expect((await step(api.request('DELETE', `/api/v1/channels/${channel.id}/members/${bob.id}`, { token: bob.token }))).status).toBeLessThan(300);

    const results = await Promise.all(checks);
    const names = new Set(results.map((r) => r.event));
    for (const name of ['posted', 'post_edited', 'post_deleted', 'reaction_added', 'channel_created', 'user_added', 'user_removed', 'channel_viewed', 'post_unread', 'thread_updated', 'thread_follow_changed', 'thread_read_changed']) {
      expect(names, `a ${name} event`).toContain(name);
    }
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });
});
