/** SessionStore over Kysely. */
import { sql } from 'kysely';
import type { Session, User } from '../../domain/entities.js';
import type { ChannelAccessRow } from '../channels.js';
import type { SessionStore, SessionWithUser } from '../sessions.js';
import { accessRowOf, channelAccessSql, type AccessSqlRow } from './channels.js';
import type { Db } from './shared.js';

type SessionSqlRow = User & { s_id: string; s_user_id: string; s_kind: Session['kind']; s_created_at: number; s_expires_at: number; s_revoked_at: number | null; s_user_agent: string; s_ip: string };

const SESSION_COLUMNS = sql`s.id AS s_id, s.user_id AS s_user_id, s.kind AS s_kind, s.created_at AS s_created_at, s.expires_at AS s_expires_at,
       s.revoked_at AS s_revoked_at, s.user_agent AS s_user_agent, s.ip AS s_ip, u.*`;

/** Prefixes of the channel access columns (kysely/channels.ts) that may follow a session row: not the user's. */
const JOINED_PREFIX = /^(c|t|tm|cm)_/;

/** The session and its user from SESSION_COLUMNS; the user is every other column (`u.*`) but a joined access row's. */
function sessionWithUser(row: SessionSqlRow | undefined): SessionWithUser | undefined {
  if (row === undefined) return undefined;
  const { s_id, s_user_id, s_kind, s_created_at, s_expires_at, s_revoked_at, s_user_agent, s_ip, ...rest } = row;
  const user = Object.fromEntries(Object.entries(rest).filter(([key]) => !JOINED_PREFIX.test(key))) as unknown as User;
  return {
    session: { id: s_id, user_id: s_user_id, kind: s_kind, created_at: s_created_at, expires_at: s_expires_at, revoked_at: s_revoked_at, user_agent: s_user_agent, ip: s_ip },
    user,
  };
}

export class Sessions implements SessionStore {
  constructor(private readonly db: Db) {}
  async create(session: Session): Promise<void> {
    await this.db.insertInto('sessions').values({ ...session }).execute();
  }
  async getWithUser(id: string): Promise<SessionWithUser | undefined> {
    // Hot path (every authenticated request): plain SQL, cheaper to build than the query builder.
    const { rows } = await sql<SessionSqlRow>`SELECT ${SESSION_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ${id}`.execute(this.db);
    return sessionWithUser(rows[0]);
  }
  async getWithUserAndChannel(id: string, channelId: string): Promise<{ found: SessionWithUser; channel: ChannelAccessRow | undefined } | undefined> {
    const { columns, joins } = channelAccessSql;
    const { rows } = await sql<SessionSqlRow & AccessSqlRow>`
      SELECT ${SESSION_COLUMNS}, ${columns}
      FROM sessions s JOIN users u ON u.id = s.user_id
      LEFT JOIN channels c ON c.id = ${channelId} ${joins(sql.ref('s.user_id'))}
      WHERE s.id = ${id}`.execute(this.db);
    const row = rows[0];
    const found = sessionWithUser(row);
    return found === undefined ? undefined : { found, channel: accessRowOf(row, found.user.id) };
  }
  async revoke(id: string, at: number): Promise<boolean> {
    const r = await this.db.updateTable('sessions').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
  async revokeAllForUser(userId: string, at: number, exceptId?: string): Promise<string[]> {
    let q = this.db.updateTable('sessions').set({ revoked_at: at }).where('user_id', '=', userId).where('revoked_at', 'is', null).where('expires_at', '>', at);
    if (exceptId !== undefined) q = q.where('id', '<>', exceptId);
    const rows = await q.returning('id').execute();
    return rows.map((r) => r.id);
  }
  listActiveForUser(userId: string, now: number): Promise<Session[]> {
    // Personal access tokens have their own list (with descriptions and last use).
    return this.db.selectFrom('sessions').selectAll().where('user_id', '=', userId).where('kind', '<>', 'token').where('revoked_at', 'is', null).where('expires_at', '>', now).orderBy('created_at', 'desc').execute();
  }
}
