/**
 * Seeds a benchmark database through the project's own store (same schema, same
 * migrations), faster than the API could: users share one precomputed Argon2id hash and
 * get sessions minted directly, with tokens signed by the server's own TokenService and
 * secret. Everything the server later reads is real rows.
 */
import { randomUUID } from 'node:crypto';
import { searchDocument } from '../../src/domain/search.js';
import { hashPassword } from '../../src/security/passwords.js';
import { TokenService } from '../../src/security/tokens.js';
import { openStore } from '../../src/store/open.js';
import type { Channel } from '../../src/domain/entities.js';

export interface SeedOptions {
  readonly dataDir: string;
  readonly databaseUrl?: string | undefined;
  readonly jwtSecret: string;
  readonly users: number;
  /** Channels to create; every user is a member of every channel unless `membersPerChannel` or `membersOf` limits it. */
  readonly channels: number;
  readonly membersPerChannel?: number;
  /** The member user indexes of channel n (overrides `membersPerChannel`). */
  readonly membersOf?: (n: number) => readonly number[];
  /** Whether channel n is private (default: every channel is public). */
  readonly privateChannel?: (n: number) => boolean;
}

export interface SeededUser {
  readonly id: string;
  readonly username: string;
  readonly token: string;
}

export interface Seeded {
  readonly teamId: string;
  readonly channelIds: readonly string[];
  readonly users: readonly SeededUser[];
  /** channel id → member user indexes */
  readonly members: ReadonlyMap<string, readonly number[]>;
}

export const BENCH_PASSWORD = 'bench-password-not-common-42';

export async function seed(options: SeedOptions): Promise<Seeded> {
  const { store } = await openStore({ databaseUrl: options.databaseUrl, dataDir: options.dataDir, poolSize: 4 });
  const tokens = new TokenService({ secret: options.jwtSecret, previousSecret: undefined, issuer: 'rustchat', audience: 'rustchat' });
  const hash = await hashPassword(BENCH_PASSWORD);
  const now = Date.now();
  const users: SeededUser[] = [];
  const sessions: Array<{ userId: string; sessionId: string }> = [];
  const teamId = randomUUID();
  const channelIds = Array.from({ length: options.channels }, () => randomUUID());
  const members = new Map<string, number[]>();
  try {
    const batch = 2000;
    for (let start = 0; start < options.users; start += batch) {
      await store.transaction(async (tx) => {
        if (start === 0) {
          // The team needs its creator to exist: create user 0 first.
        }
        for (let i = start; i < Math.min(options.users, start + batch); i++) {
          const id = randomUUID();
          const username = `bench${i}`;
          await tx.users.create({
            id, username, email: `${username}@bench.example`, password_hash: hash, display_name: `Bench ${i}`, first_name: '', last_name: '', nickname: '',
            position: '', avatar_url: null, avatar_key: null, is_bot: 0, role: 'system_user', status_text: '', status_emoji: '', timezone: '', email_verified: 1, created_at: now, updated_at: now,
          });
          const sessionId = randomUUID();
          await tx.sessions.create({ id: sessionId, user_id: id, kind: 'password', created_at: now, expires_at: now + 24 * 3600_000, revoked_at: null, user_agent: 'bench', ip: '127.0.0.1' });
          sessions.push({ userId: id, sessionId });
          users.push({ id, username, token: '' });
        }
        if (start === 0) {
          await tx.teams.create({ id: teamId, name: 'bench', display_name: 'Bench', description: '', type: 'open', creator_id: users[0]!.id, created_at: now, updated_at: now, archived_at: null });
          for (const [n, channelId] of channelIds.entries()) {
            const channel: Channel = {
              id: channelId, team_id: teamId, type: options.privateChannel?.(n) === true ? 'private' : 'public', name: `bench-${n}`, display_name: `Bench ${n}`, purpose: '', header: '', creator_id: users[0]!.id,
              created_at: now, updated_at: now, archived_at: null, last_post_at: now, last_post_seq: 0, event_seq: 0, member_key: null,
            };
            await tx.channels.create(channel);
          }
        }
        for (let i = start; i < Math.min(options.users, start + batch); i++) {
          await tx.teams.addMember({ team_id: teamId, user_id: users[i]!.id, role: i === 0 ? 'team_admin' : 'member', created_at: now });
        }
      });
    }
    const per = options.membersPerChannel ?? options.users;
    for (const [n, channelId] of channelIds.entries()) {
      const list: number[] = [];
      if (options.membersOf !== undefined) list.push(...options.membersOf(n));
      else for (let k = 0; k < Math.min(per, options.users); k++) list.push((n * per + k) % options.users);
      members.set(channelId, list);
      for (let start = 0; start < list.length; start += 2000) {
        await store.transaction(async (tx) => {
          for (const i of list.slice(start, start + 2000)) {
            await tx.channels.addMember({ channel_id: channelId, user_id: users[i]!.id, role: 'member', last_viewed_seq: 0, last_viewed_at: now, created_at: now });
          }
        });
      }
    }
  } finally {
    await store.close();
  }
  const signed = await Promise.all(sessions.map((s) => tokens.sign(s.userId, s.sessionId, now + 24 * 3600_000)));
  return { teamId, channelIds, users: users.map((u, i) => ({ ...u, token: signed[i]! })), members };
}

/** One post to seed: indexes into `Seeded.channelIds` and `Seeded.users`. */
export interface SeedPost {
  readonly channel: number;
  readonly user: number;
  readonly message: string;
  readonly createdAt: number;
}

export interface PostSeedOptions {
  readonly dataDir: string;
  readonly databaseUrl?: string | undefined;
  readonly seeded: Seeded;
  readonly count: number;
  /** Post i, asked for in order 0..count-1 (so a seeded generator gives the same posts every run). */
  readonly post: (i: number) => SeedPost;
  /** Posts per transaction (default 5,000). */
  readonly batch?: number;
  /**
   * Transactions at a time (default 1). Each takes the posts of its own channels only (channel
   * index mod parallel): on PostgreSQL a post locks its channel row until commit, so two
   * transactions sharing channels in different orders could deadlock.
   */
  readonly parallel?: number;
  readonly onProgress?: (done: number, seconds: number) => void;
}

export interface PostSeedResult {
  readonly posts: number;
  readonly seconds: number;
  readonly per_second: number;
  /** Of `seconds`, the time spent making the texts (the `post` callback), not the store. */
  readonly generate_seconds: number;
}

/**
 * Creates posts through PostStore.create with their search document, as the server does
 * (so they are indexed in the same step), in batches of one transaction each.
 */
export async function seedPosts(options: PostSeedOptions): Promise<PostSeedResult> {
  const parallel = options.parallel ?? 1;
  const batch = options.batch ?? 5000;
  const { store } = await openStore({ databaseUrl: options.databaseUrl, dataDir: options.dataDir, poolSize: parallel });
  const { channelIds, users } = options.seeded;
  const t0 = performance.now();
  let generating = 0;
  let done = 0;
  try {
    while (done < options.count) {
      const n = Math.min(batch * parallel, options.count - done);
      const g0 = performance.now();
      const parts: SeedPost[][] = Array.from({ length: parallel }, () => []);
      for (let i = done; i < done + n; i++) {
        const p = options.post(i);
        parts[p.channel % parallel]!.push(p);
      }
      generating += performance.now() - g0;
      await Promise.all(parts.filter((part) => part.length > 0).map((part) => store.transaction(async (tx) => {
        for (const p of part) {
          await tx.posts.create({
            id: randomUUID(), channel_id: channelIds[p.channel]!, user_id: users[p.user]!.id, root_post_id: null, message: p.message, props: '{}', file_ids: '[]',
            is_pinned: 0, created_at: p.createdAt, edited_at: null, deleted_at: null, reply_count: 0, last_reply_at: null, client_msg_id: null, mention_all: 0,
          }, { search: searchDocument(p.message) });
        }
      })));
      done += n;
      options.onProgress?.(done, (performance.now() - t0) / 1000);
    }
  } finally {
    await store.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { posts: done, seconds: Math.round(seconds * 10) / 10, per_second: Math.round(done / seconds), generate_seconds: Math.round(generating / 100) / 10 };
}
