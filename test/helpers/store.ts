/**
 * Opens a bare Store (no HTTP, no services) on a temporary SQLite directory or a fresh
 * PostgreSQL database, for the store contract suite, plus row builders for it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll } from 'vitest';
import type { Channel, Post, Team, User } from '../../src/domain/entities.js';
import type { SsoProvider } from '../../src/domain/sso.js';
import { openStore, type OpenStoreOptions } from '../../src/store/open.js';
import { openPostgres } from '../../src/store/postgres/open.js';
import type { Database } from '../../src/store/schema.js';
import { openSqlite } from '../../src/store/sqlite/open.js';
import type { NewPost, NewUser, Store } from '../../src/store/store.js';
import type { StoreKind } from './app.js';
import { createTestDatabase } from './services.js';

export interface TestStore {
  readonly kind: StoreKind;
  readonly store: Store;
  /** Where the data lives: the SQLite data directory or the PostgreSQL URL. */
  readonly location: { readonly dataDir: string; readonly databaseUrl: string | undefined };
  /** Runs a read-only SQL query on a separate connection (to look at raw rows). */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** A fresh store of `kind` (its own data directory or database); `options` adds e.g. `events`. */
export async function openTestStore(kind: StoreKind, options: Partial<Pick<OpenStoreOptions, 'events' | 'onEventError' | 'log'>> = {}): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rustchat-store-'));
  let drop: (() => Promise<void>) | undefined;
  let databaseUrl: string | undefined;
  if (kind === 'postgres') {
    const db = await createTestDatabase();
    databaseUrl = db.url;
    drop = db.drop;
  }
  const { store } = await openStore({ databaseUrl, dataDir, poolSize: 4, ...options });
  return {
    kind,
    store,
    location: { dataDir, databaseUrl },
    query: (text, params = []) => rawQuery({ dataDir, databaseUrl }, text, params),
    async close() {
      await store.close();
      if (drop) await drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A query on a separate connection to the same data: `?` placeholders on SQLite, `$n` on
 * PostgreSQL (write the SQL with `?`; they are renumbered for PostgreSQL).
 */
export async function rawQuery<T = Record<string, unknown>>(location: { dataDir: string; databaseUrl: string | undefined }, text: string, params: unknown[] = []): Promise<T[]> {
  if (location.databaseUrl !== undefined) {
    const client = new pg.Client({ connectionString: location.databaseUrl });
    await client.connect();
    try {
      let n = 0;
      const res = await client.query(text.replace(/\?/g, () => `$${++n}`), params);
      return res.rows as T[];
    } finally {
      await client.end();
    }
  }
  const db = new BetterSqlite3(join(location.dataDir, 'rustchat.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(text).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Row counts of the tables that user actions write to (to prove a refused request wrote nothing). */
export async function tableCounts(location: { dataDir: string; databaseUrl: string | undefined }): Promise<Record<string, number>> {
  const tables = ['users', 'sessions', 'teams', 'team_members', 'channels', 'channel_members', 'posts', 'post_mentions', 'reactions', 'saved_posts', 'audit_log'];
  const rows = await rawQuery<Record<string, unknown>>(location, `SELECT ${tables.map((t) => `(SELECT COUNT(*) FROM ${t}) AS ${t}`).join(', ')}`);
  return Object.fromEntries(tables.map((t) => [t, Number(rows[0]![t])]));
}

let n = 0;
const next = (): number => ++n;

export function newUser(overrides: Partial<NewUser> = {}): NewUser {
  const i = next();
  const username = overrides.username ?? `u${i}${randomUUID().slice(0, 6)}`;
  return {
    id: randomUUID(), username, email: `${username}@example.com`, password_hash: null, display_name: '', first_name: '', last_name: '', nickname: '',
    position: '', avatar_url: null, avatar_key: null, is_bot: 0, role: 'system_user', status_text: '', status_emoji: '', timezone: '', email_verified: 0,
    created_at: 1_000 + i, updated_at: 1_000 + i, ...overrides,
  };
}

export function newTeam(creatorId: string, overrides: Partial<Team> = {}): Team {
  const i = next();
  return {
    id: randomUUID(), name: `team-${i}-${randomUUID().slice(0, 6)}`, display_name: `Team ${i}`, description: '', type: 'invite', creator_id: creatorId,
    created_at: 2_000 + i, updated_at: 2_000 + i, archived_at: null, ...overrides,
  };
}

export function newChannel(creatorId: string, teamId: string | null, overrides: Partial<Channel> = {}): Channel {
  const i = next();
  return {
    id: randomUUID(), team_id: teamId, type: teamId === null ? 'direct' : 'public', name: `chan-${i}-${randomUUID().slice(0, 6)}`, display_name: `Channel ${i}`,
    purpose: '', header: '', creator_id: creatorId, created_at: 3_000 + i, updated_at: 3_000 + i, archived_at: null, last_post_at: 0, last_post_seq: 0, event_seq: 0,
    member_key: null, ...overrides,
  };
}

export function newPost(channelId: string, userId: string, overrides: Partial<NewPost> = {}): NewPost {
  const i = next();
  return {
    id: randomUUID(), channel_id: channelId, user_id: userId, root_post_id: null, message: `message ${i}`, props: '{}', file_ids: '[]', is_pinned: 0,
    created_at: 4_000 + i, edited_at: null, deleted_at: null, reply_count: 0, last_reply_at: null, client_msg_id: null, mention_all: 0, ...overrides,
  };
}

export function newProvider(overrides: Partial<SsoProvider> = {}): SsoProvider {
  const key = `p${randomUUID().slice(0, 8)}`;
  return {
    id: randomUUID(), provider_key: key, provider_type: 'oidc', display_name: `Provider ${key}`, issuer_url: `https://${key}.example`, github_url: null,
    github_api_url: null, client_id: 'client', client_secret_sealed: 'v1.k.iv.body', scopes: 'openid email profile', auto_provision: 0, allow_domains: '',
    default_role: 'system_user', enabled: 1, created_at: 1_000, updated_at: 1_000, ...overrides,
  };
}

export type { Channel, Post, Team, User };

/**
 * Every row of the tables user actions write to, as one string: equal digests before and
 * after a batch of refused requests prove that none of them wrote anything.
 */
export async function dbDigest(location: { dataDir: string; databaseUrl: string | undefined }): Promise<string> {
  const order: Record<string, string> = {
    users: 'id', sessions: 'id', teams: 'id', team_members: 'team_id, user_id', channels: 'id', channel_members: 'channel_id, user_id',
    posts: 'seq', post_mentions: 'post_id, user_id', reactions: 'post_id, user_id, emoji_name', saved_posts: 'user_id, post_id', audit_log: 'id', thread_memberships: 'user_id, root_id', thread_settings: 'user_id',
    notify_prefs: 'user_id', channel_notify_props: 'channel_id, user_id', notify_email_queue: 'id', push_devices: 'session_id',
  };
  const parts: string[] = [];
  for (const [table, by] of Object.entries(order)) parts.push(`${table}:${JSON.stringify(await rawQuery(location, `SELECT * FROM ${table} ORDER BY ${by}`))}`);
  return parts.join('\n');
}

/** Where a test app keeps its data. */
export function locationOf(t: { dataDir: string; config: { database: { url: string | undefined } } }): { dataDir: string; databaseUrl: string | undefined } {
  return { dataDir: t.dataDir, databaseUrl: t.config.database.url };
}

/**
 * For migration tests: `open()` gives an empty database of `kind` with no migration applied
 * (SQLite in memory, or a fresh PostgreSQL database), all closed and dropped after the file.
 */
export function useEmptyDatabases(kind: StoreKind): { open: () => Promise<Kysely<Database>> } {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });
  return {
    open: async () => {
      if (kind === 'sqlite') {
        const { db } = openSqlite({ dataDir: ':memory:' });
        cleanups.push(() => db.destroy());
        return db;
      }
      const database = await createTestDatabase();
      const { db } = openPostgres({ url: database.url, poolSize: 2 });
      cleanups.push(async () => {
        await db.destroy();
        await database.drop();
      });
      return db;
    },
  };
}
