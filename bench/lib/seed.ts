/**
 * Seeds a benchmark database through the project's own store (same schema, same
 * migrations), faster than the API could: users share one precomputed Argon2id hash and
 * get sessions minted directly, with tokens signed by the server's own TokenService and
 * secret. Everything the server later reads is real rows.
 */
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../../src/security/passwords.js';
import { TokenService } from '../../src/security/tokens.js';
import { openStore } from '../../src/store/open.js';
import type { Channel } from '../../src/domain/entities.js';

export interface SeedOptions {
  readonly dataDir: string;
  readonly databaseUrl?: string | undefined;
  readonly jwtSecret: string;
  readonly users: number;
  /** Channels to create; every user is a member of every channel unless `membersPerChannel` limits it. */
  readonly channels: number;
  readonly membersPerChannel?: number;
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
              id: channelId, team_id: teamId, type: 'public', name: `bench-${n}`, display_name: `Bench ${n}`, purpose: '', header: '', creator_id: users[0]!.id,
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
      for (let k = 0; k < Math.min(per, options.users); k++) list.push((n * per + k) % options.users);
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
