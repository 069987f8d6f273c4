/**
 * SearchStore over both engines. Clauses arrive as plain tokens (letters and digits only,
 * domain/search.ts), so rendering them in an engine's syntax needs no escaping beyond quoting:
 *   SQLite FTS5:  words : "deploy prod"   stems : "deploy"   words : "depl" *
 *   PostgreSQL:   words @@ 'deploy' <-> 'prod'   stems @@ 'deploy'   words @@ 'depl':*
 * Each clause targets one column; all positive clauses must match (AND), no negated one may.
 *
 * The read scope (ChannelReadScope) is a condition of the same statement (index tokens, a
 * list of channels or the membership subquery: Scope, scopeOf): nothing is fetched and then
 * dropped, and the count only counts what the caller may read.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Channel, FileInfo, Post } from '../../domain/entities.js';
import type { ChannelReadScope } from '../../domain/policy.js';
import type { SearchClause, SearchColumn } from '../../domain/search.js';
import type { Dialect } from '../migrations.js';
import { SEARCH_COUNT_CAP, type FileQuery, type PostPageRequest, type PostQuery, type SearchDocument, type SearchStore } from '../search.js';
import { likePattern, num, UNNAMED_STATEMENT, type Db } from './shared.js';

const COLUMNS: readonly SearchColumn[] = ['words', 'stems', 'tags'];

/**
 * Up to this many tokens, the read scope becomes part of the engine's match (the `chan`
 * column: "in one of these channels", on PostgreSQL also "in a public channel of one of these
 * teams"), so the engine intersects its own posting lists and the newest matches come straight
 * from the index, already authorised. An OR over many tokens costs more than it saves: timing
 * SearchStore.posts on 300,000 posts of the `search` scenario (2026-12-03, busy machine), 20
 * channels in the FTS5 match were 2–5× faster than the list for common words, 150 were up to
 * 7× slower for rare ones, 513 were 5–10× slower for every kind; on PostgreSQL the index scan of
 * a common word grew from 0.6 ms with one token to 2.5 ms with 64 (100,000 posts), still no
 * slower than checking every match's channel in the table.
 * Beyond it the scope is a SQL condition on the matches (a list, or the subquery).
 */
const SCOPE_IN_MATCH_MAX = 64;
/**
 * Up to this many, the readable channels are bound as a list (`p.channel_id IN (?, …)`);
 * beyond it (and for a system admin's every-channel scope) the scope is a subquery over the
 * memberships, evaluated inside the statement.
 */
const SCOPE_LIST_MAX = 5000;

/**
 * How a statement limits itself to the readable channels: tokens of the index's `chan` column
 * in the engine's match (`c<channel>`; on PostgreSQL also `p<team>`, every public channel of a
 * team), a bound list of channel ids, or the membership subquery. Already narrowed to the
 * query's team and `in:` channels (match, list).
 */
type Scope = { readonly kind: 'match'; readonly tokens: readonly string[] } | { readonly kind: 'list'; readonly ids: readonly string[] } | { readonly kind: 'subquery' };
const TOKEN = /^[\p{L}\p{N}]{1,64}$/u;

function checkTokens(tokens: readonly string[]): void {
  // Defence in depth: the parser only makes such tokens; anything else must never reach an engine.
  for (const t of tokens) if (!TOKEN.test(t)) throw new Error('search token with characters other than letters and digits');
}

/** FTS5: one clause. */
function fts5Clause(c: SearchClause): string {
  checkTokens(c.atom.tokens);
  return `${c.column} : "${c.atom.tokens.join(' ')}"${c.atom.prefix ? ' *' : ''}`;
}

/** tsquery: one clause (its column is chosen by the caller). */
function tsClause(c: SearchClause): string {
  checkTokens(c.atom.tokens);
  const parts = c.atom.tokens.map((t, i) => `'${t}'${c.atom.prefix && i === c.atom.tokens.length - 1 ? ':*' : ''}`);
  return parts.length === 1 ? parts[0]! : `(${parts.join(' <-> ')})`;
}

/** A tsvector literal with positions, from space-separated tokens (no PostgreSQL text analysis). */
export function tsvectorLiteral(text: string): string {
  if (text === '') return '';
  const positions = new Map<string, number[]>();
  text.split(' ').forEach((t, i) => {
    if (t === '') return;
    checkTokens([t]);
    // tsvector positions stop at 16383; later repeats add nothing for matching.
    if (i >= 16383) return;
    const list = positions.get(t);
    if (list) list.push(i + 1);
    else positions.set(t, [i + 1]);
  });
  return [...positions].map(([t, ps]) => `'${t}':${ps.slice(0, 256).join(',')}`).join(' ');
}

/**
 * The channels the scope may read (CHANNEL_POLICY.read, as policy.ts ChannelReadScope states
 * it): their ids, or with `withTeam` their ids and teams (null for direct and group channels).
 */
export function readableChannels(scope: ChannelReadScope, withTeam = false): RawBuilder<unknown> {
  const base = withTeam
    ? sql`SELECT cm.channel_id, mc.team_id FROM channel_members cm JOIN channels mc ON mc.id = cm.channel_id WHERE cm.user_id = ${scope.userId}
      UNION SELECT rc.id, rc.team_id FROM channels rc JOIN team_members rtm ON rtm.team_id = rc.team_id AND rtm.user_id = ${scope.userId} WHERE rc.type = 'public'`
    : sql`SELECT cm.channel_id FROM channel_members cm WHERE cm.user_id = ${scope.userId}
      UNION SELECT rc.id FROM channels rc JOIN team_members rtm ON rtm.team_id = rc.team_id AND rtm.user_id = ${scope.userId} WHERE rc.type = 'public'`;
  if (!scope.allTeamChannels) return base;
  return withTeam ? sql`${base} UNION SELECT ac.id, ac.team_id FROM channels ac WHERE ac.type IN ('public', 'private')` : sql`${base} UNION SELECT ac.id FROM channels ac WHERE ac.type IN ('public', 'private')`;
}

const list = (values: readonly string[]) => sql.join(values.map((v) => sql`${v}`));

/**
 * Channel ids as one PostgreSQL `text[]` for `= ANY(…)`, bound as one comma-separated string
 * and split by `string_to_array`: PostgreSQL folds it into a constant array when it plans the
 * (unnamed) statement, so the filter is still a hashed lookup, and the 500 ids of a large read
 * scope cost about 0.3 ms less per statement than a bound array (`pg` quoting each element,
 * PostgreSQL's array parser reading them back). Ids are UUIDs; one with a comma goes as an array.
 */
function channelArray(ids: readonly string[]): RawBuilder<unknown> {
  return ids.some((id) => id.includes(',')) ? sql`${[...ids]}::text[]` : sql`string_to_array(${ids.join(',')}, ',')`;
}

/**
 * Leads a statement that store/postgres/open.ts must send unnamed: its text varies with the
 * caller's channels, and a reused generic plan cannot know how selective a tsquery is (a
 * rare word and a common one need different plans), so PostgreSQL plans it with the values.
 */
const UNNAMED = sql.raw(UNNAMED_STATEMENT);

/** The FROM and WHERE of an index-driven search; `indexOnly`: the same matches from the index alone, when no condition needs `posts`. */
interface IndexDriven {
  readonly from: RawBuilder<unknown>;
  readonly where: RawBuilder<unknown>[];
  readonly seq: RawBuilder<unknown>;
  /** Best match first in ascending order (FTS5's bm25 is lower for better matches; PostgreSQL's ts_rank negated). */
  readonly rank: RawBuilder<unknown> | undefined;
  readonly indexOnly: { readonly from: RawBuilder<unknown>; readonly where: RawBuilder<unknown> } | undefined;
}

export class Search implements SearchStore {
  /** `scopeInMatchMax`, `scopeListMax`: SCOPE_IN_MATCH_MAX, SCOPE_LIST_MAX (tests set 0 to take the other paths). */
  constructor(private readonly db: Db, private readonly dialect: Dialect, private readonly scopeInMatchMax = SCOPE_IN_MATCH_MAX, private readonly scopeListMax = SCOPE_LIST_MAX) {}

  /**
   * Excluded words as conditions on post `p`, for statements not driven by the index (no
   * positive clause: operators alone, or only excluded words). Positive clauses always take
   * the index-driven path (`indexDriven`).
   */
  private excludedConditions(clauses: readonly SearchClause[]): RawBuilder<unknown>[] {
    const negative = clauses.filter((c) => c.negated);
    if (negative.length === 0) return [];
    if (this.dialect === 'sqlite') return [sql`p.seq NOT IN (SELECT rowid FROM post_search WHERE post_search MATCH ${negative.map(fts5Clause).join(' OR ')})`];
    const neg = COLUMNS.map((col) => {
      const mine = negative.filter((c) => c.column === col);
      return mine.length === 0 ? undefined : sql`${sql.ref(`ns.${col}`)} @@ ${mine.map(tsClause).join(' | ')}::tsquery`;
    }).filter((e): e is RawBuilder<unknown> => e !== undefined);
    return [sql`p.seq NOT IN (SELECT ns.seq FROM post_search ns WHERE ${sql.join(neg, sql` OR `)})`];
  }

  /**
   * The conditions on post `p`: the read scope as SQL (a list or the subquery: a query without
   * words on PostgreSQL, or with a scope too long for the match on SQLite), the excluded words,
   * the operators' filters.
   */
  private postConditions(q: PostQuery, scope: Scope): RawBuilder<unknown>[] {
    if (scope.kind === 'match') throw new Error('a scope of index tokens needs the index-driven statements');
    const inScope = scope.kind === 'subquery' ? sql`p.channel_id IN (${readableChannels(q.scope)})` : this.dialect === 'postgres' ? sql`p.channel_id = ANY(${channelArray(scope.ids)})` : sql`p.channel_id IN (${list(scope.ids)})`;
    const where: RawBuilder<unknown>[] = [inScope, ...this.excludedConditions(q.clauses)];
    return [...where, ...this.filters(q, scope)];
  }

  /** The operators' conditions on post `p` (team and `in:` only when the scope is not a list that already applies them). */
  private filters(q: PostQuery, scope: Scope): RawBuilder<unknown>[] {
    const where: RawBuilder<unknown>[] = [];
    if (scope.kind === 'subquery' && q.teamId !== undefined) where.push(sql`p.channel_id IN (SELECT tc.id FROM channels tc WHERE tc.team_id = ${q.teamId} OR tc.team_id IS NULL)`);
    if (scope.kind === 'subquery' && q.channelIds !== undefined) where.push(q.channelIds.length === 0 ? sql`1 = 0` : sql`p.channel_id IN (${list(q.channelIds)})`);
    if (q.userIds !== undefined) where.push(q.userIds.length === 0 ? sql`1 = 0` : sql`p.user_id IN (${list(q.userIds)})`);
    if (q.createdFrom !== undefined) where.push(sql`p.created_at >= ${q.createdFrom}`);
    if (q.createdBefore !== undefined) where.push(sql`p.created_at < ${q.createdBefore}`);
    if (q.isPinned) where.push(sql`p.is_pinned = 1`);
    if (q.hasFile) where.push(sql`p.file_ids <> '[]'`);
    if (q.hasImage) where.push(sql`EXISTS (SELECT 1 FROM files f WHERE f.post_id = p.id AND f.deleted_at IS NULL AND f.mime_type LIKE 'image/%')`);
    return where;
  }

  /**
   * The read scope for this query. `viaIndex`: the statements will be index-driven (the scope
   * may be index tokens).
   *
   * PostgreSQL, for an index-driven query without `in:`: the caller's teams and channel
   * memberships (one short statement), as index tokens: `p<team>` for each team (every public
   * channel of it: CHANNEL_POLICY.read's "public channel of one of my teams", which the index
   * row of a post in a public channel carries, migration 19) and `c<channel>` for each channel
   * the caller is a member of and which no team token covers (private, direct, group). The
   * multi-column GIN indexes of migration 19 then intersect the words with the scope inside
   * one index scan, and the count reads only readable matches from the table.
   *
   * Otherwise the readable channels are listed in one statement and narrowed to the team and
   * `in:` channels here (SQLite plans the same filters inside the statement badly: 13–50 ms
   * against 1 ms for 500 channels), then used as channel tokens or a list by size. A system
   * admin's every-channel scope stays a subquery.
   */
  private async scopeOf(q: PostQuery, viaIndex: boolean): Promise<Scope> {
    if (q.scope.allTeamChannels) return { kind: 'subquery' };
    if (this.dialect === 'postgres' && viaIndex && q.channelIds === undefined) {
      const tokens = await this.teamScopeTokens(q);
      if (tokens.length <= this.scopeInMatchMax) return { kind: 'match', tokens };
    }
    let rows: ReadonlyArray<{ readonly channel_id: string; readonly team_id: string | null }>;
    if (this.dialect === 'postgres') {
      // On PostgreSQL narrowed to the team in the statement and answered as one string (ids
      // separated by U+001F, which no id contains): one row to read instead of hundreds (0.5
      // against 0.7 ms for 500 channels).
      const inTeam = q.teamId === undefined ? sql`` : sql` WHERE r.team_id = ${q.teamId} OR r.team_id IS NULL`;
      const joined = (await sql<{ ids: string | null }>`SELECT string_agg(r.channel_id, chr(31)) AS ids FROM (${readableChannels(q.scope, true)}) r${inTeam}`.execute(this.db)).rows[0]?.ids ?? null;
      rows = joined === null ? [] : joined.split('\x1f').map((id) => ({ channel_id: id, team_id: null }));
    } else {
      rows = (await sql<{ channel_id: string; team_id: string | null }>`${readableChannels(q.scope, true)}`.execute(this.db)).rows;
    }
    const only = q.channelIds === undefined ? undefined : new Set(q.channelIds);
    const ids = new Set<string>();
    for (const r of rows) {
      if (q.teamId !== undefined && r.team_id !== null && r.team_id !== q.teamId) continue;
      if (only !== undefined && !only.has(r.channel_id)) continue;
      ids.add(r.channel_id);
    }
    // PostgreSQL matches channel tokens only in index-driven statements; the others take the list.
    if (ids.size <= this.scopeInMatchMax && (viaIndex || this.dialect === 'sqlite')) return { kind: 'match', tokens: [...ids].map(channelToken) };
    if (ids.size <= this.scopeListMax) return { kind: 'list', ids: [...ids] };
    return { kind: 'subquery' };
  }

  /**
   * PostgreSQL: the read scope (CHANNEL_POLICY.read, as readableChannels states it in SQL) as
   * `chan` tokens, narrowed to the query's team: a team token for each of the caller's teams,
   * a channel token for each membership no team token covers.
   */
  private async teamScopeTokens(q: PostQuery): Promise<string[]> {
    const { rows } = await sql<{ id: string; type: string | null; team_id: string | null }>`
      SELECT cm.channel_id AS id, mc.type, mc.team_id FROM channel_members cm JOIN channels mc ON mc.id = cm.channel_id WHERE cm.user_id = ${q.scope.userId}
      UNION ALL SELECT tm.team_id, NULL, NULL FROM team_members tm WHERE tm.user_id = ${q.scope.userId}`.execute(this.db);
    const teams = new Set(rows.filter((r) => r.type === null && (q.teamId === undefined || r.id === q.teamId)).map((r) => r.id));
    const tokens = new Set([...teams].map(teamToken));
    for (const r of rows) {
      if (r.type === null) continue;
      if (q.teamId !== undefined && r.team_id !== null && r.team_id !== q.teamId) continue;
      if (r.type === 'public' && r.team_id !== null && teams.has(r.team_id)) continue;
      tokens.add(channelToken(r.id));
    }
    return [...tokens];
  }

  async posts(q: PostQuery, page: PostPageRequest): Promise<{ posts: Post[]; total: number }> {
    const positive = q.clauses.filter((c) => !c.negated);
    const scope = await this.scopeOf(q, positive.length > 0);
    if ((scope.kind === 'match' && scope.tokens.length === 0) || (scope.kind === 'list' && scope.ids.length === 0)) return { posts: [], total: 0 };
    const { from, where, seq, rank, indexOnly } = positive.length > 0 || (scope.kind === 'match' && this.dialect === 'sqlite')
      ? this.indexDriven(q, scope)
      : { from: sql`posts p`, where: this.postConditions(q, scope), seq: sql`p.seq`, rank: undefined, indexOnly: undefined };
    const whereSql = sql.join([...where, sql`p.deleted_at IS NULL`], sql` AND `);
    const byRank = page.order === 'relevance' && rank !== undefined ? rank : undefined;
    const cursor = byRank === undefined && page.beforeSeq !== undefined ? sql` AND ${seq} < ${page.beforeSeq}` : sql``;
    const skip = byRank !== undefined || (page.beforeSeq === undefined && page.offset > 0) ? sql` OFFSET ${page.offset}` : sql``;
    const order = byRank === undefined ? sql`${seq} DESC` : sql`${byRank}, ${seq} DESC`;
    const rankColumn = byRank === undefined ? sql`` : sql`, ${byRank} AS rc_rank`;
    let pageSql: RawBuilder<unknown>;
    if (this.dialect === 'postgres' && indexOnly !== undefined) {
      // The page's matches from the index alone, then their posts by primary key: PostgreSQL
      // otherwise estimates the join before the LIMIT and may merge-join thousands of `posts`
      // rows (newest first) to keep 20 (a common phrase: 3,600 rows read, the page 6.4 ms; 1.4 ms this way).
      pageSql = sql`SELECT p.*${byRank === undefined ? sql`` : sql`, m.rc_rank`} FROM (SELECT ${seq} AS seq${rankColumn} FROM ${indexOnly.from} WHERE ${indexOnly.where}${cursor} ORDER BY ${order} LIMIT ${page.limit}${skip}) m
        JOIN posts p ON p.seq = m.seq WHERE p.deleted_at IS NULL`;
    } else {
      pageSql = sql`SELECT p.*${rankColumn} FROM ${from} WHERE ${whereSql}${cursor} ORDER BY ${order} LIMIT ${page.limit}${skip}`;
    }
    // The index holds live posts only (a delete removes the entry in its transaction): with
    // nothing to check on `posts`, the engine counts on its own.
    const counted = indexOnly === undefined
      ? sql`SELECT 1 FROM ${from} WHERE ${whereSql} LIMIT ${SEARCH_COUNT_CAP}`
      : sql`SELECT 1 FROM ${indexOnly.from} WHERE ${indexOnly.where} LIMIT ${SEARCH_COUNT_CAP}`;
    const countSql = sql`SELECT COUNT(*) AS n FROM (${counted}) capped`;
    // A first page shorter than asked is the whole answer: no count.
    const firstPage = page.beforeSeq === undefined && page.offset === 0;
    let rows: Array<Post & { rc_rank?: unknown; rc_total?: number | string | null }>;
    let total: number | undefined;
    if (this.dialect === 'postgres') {
      // One statement: the page, and the count when the page does not already answer it (a
      // scalar subquery PostgreSQL runs only when the CASE reaches it). The scope's channel list
      // is sent and planned once instead of twice, and one round trip is saved.
      const needed = firstPage ? sql`(SELECT COUNT(*) FROM page) >= ${page.limit}` : sql`TRUE`;
      const pageOrder = byRank !== undefined ? sql`page.rc_rank, page.seq DESC` : sql`page.seq DESC`;
      rows = (await sql<Post & { rc_total: number | string | null }>`${UNNAMED} WITH page AS MATERIALIZED (${pageSql})
        SELECT page.*, CASE WHEN ${needed} THEN (${countSql}) END AS rc_total FROM page ORDER BY ${pageOrder}`.execute(this.db)).rows;
      const counted = rows[0]?.rc_total;
      if (counted !== undefined && counted !== null) total = num(counted);
      else if (firstPage && rows.length < page.limit) total = rows.length;
      // else: a later page with nothing on it (past the end): counted on its own below.
    } else {
      rows = (await sql<Post>`${UNNAMED} ${pageSql}`.execute(this.db)).rows;
      if (firstPage && rows.length < page.limit) total = rows.length;
    }
    total ??= num((await sql<{ n: number | string }>`${UNNAMED} ${countSql}`.execute(this.db)).rows[0]?.n ?? 0);
    return { posts: rows.map(({ rc_rank: _rank, rc_total: _total, ...r }) => ({ ...r, seq: num(r.seq) })), total };
  }

  /**
   * Statements driven by the index: the engine yields matches newest first (its row id is
   * the post's seq) and `posts` is read by primary key for the few it yields, instead of
   * collecting every match into a temporary set first (a common word is in 3–12 % of posts).
   *   SQLite: one FTS5 MATCH with the positive clauses, the read scope as `chan` tokens when
   *           it is a short list, and the excluded words as FTS5 NOT.
   *   PostgreSQL: the GIN lookups of each column (and `chan`) ANDed, excluded words as NOT.
   * A larger scope (a system admin, hundreds of public channels) stays a SQL condition.
   */
  private indexDriven(q: PostQuery, scope: Scope): IndexDriven {
    const positive = q.clauses.filter((c) => !c.negated);
    const negative = q.clauses.filter((c) => c.negated);
    const filters = this.filters(q, scope);
    const tokens = scope.kind === 'match' ? scope.tokens : undefined;
    if (tokens !== undefined) checkTokens(tokens);
    if (this.dialect === 'sqlite') {
      const scopeSql = scope.kind === 'subquery' ? [sql`p.channel_id IN (${readableChannels(q.scope)})`] : scope.kind === 'list' ? [sql`p.channel_id IN (${list(scope.ids)})`] : [];
      const scopeMatch = tokens === undefined ? undefined : `chan : (${tokens.map((t) => `"${t}"`).join(' OR ')})`;
      const parts = [...(positive.length > 0 ? [`(${positive.map(fts5Clause).join(' AND ')})`] : []), ...(scopeMatch === undefined ? [] : [scopeMatch])];
      let match = parts.join(' AND ');
      if (negative.length > 0) match = `(${match}) NOT (${negative.map(fts5Clause).join(' OR ')})`;
      return {
        from: sql`post_search JOIN posts p ON p.seq = post_search.rowid`,
        where: [sql`post_search MATCH ${match}`, ...scopeSql, ...filters],
        seq: sql`post_search.rowid`,
        rank: positive.length > 0 ? sql`bm25(post_search)` : undefined,
        indexOnly: scopeSql.length === 0 && filters.length === 0 ? { from: sql`post_search`, where: sql`post_search MATCH ${match}` } : undefined,
      };
    }
    const per = (cs: readonly SearchClause[], column: SearchColumn, join: string): string | undefined => {
      const mine = cs.filter((c) => c.column === column);
      return mine.length === 0 ? undefined : mine.map(tsClause).join(join);
    };
    const pos = COLUMNS.map((col) => [col, per(positive, col, ' & ')] as const).filter((e): e is readonly [SearchColumn, string] => e[1] !== undefined);
    const match: RawBuilder<unknown>[] = pos.map(([col, t]) => sql`${sql.ref(`ps.${col}`)} @@ ${t}::tsquery`);
    if (tokens !== undefined) match.push(sql`ps.chan @@ ${tokens.map((t) => `'${t}'`).join(' | ')}::tsquery`);
    const neg = COLUMNS.map((col) => [col, per(negative, col, ' | ')] as const).filter((e): e is readonly [SearchColumn, string] => e[1] !== undefined);
    for (const [col, t] of neg) match.push(sql`NOT (${sql.ref(`ps.${col}`)} @@ ${t}::tsquery)`);
    // The scope on the index row's own channel (migration 15): the count needs no `posts` for
    // it, and the list is one array parameter, which PostgreSQL plans in a fraction of the time
    // of hundreds of `IN` values.
    if (scope.kind === 'subquery') match.push(sql`ps.channel_id IN (${readableChannels(q.scope)})`);
    else if (scope.kind === 'list') match.push(sql`ps.channel_id = ANY(${channelArray(scope.ids)})`);
    const rank = pos.map(([col, t]) => sql`ts_rank(${sql.ref(`ps.${col}`)}, ${t}::tsquery)`);
    return {
      from: sql`post_search ps JOIN posts p ON p.seq = ps.seq`,
      where: [...match, ...filters],
      seq: sql`ps.seq`,
      rank: rank.length > 0 ? sql`-(${sql.join(rank, sql` + `)})` : undefined,
      indexOnly: filters.length === 0 ? { from: sql`post_search ps`, where: sql.join(match, sql` AND `) } : undefined,
    };
  }

  async files(q: FileQuery, offset: number, limit: number): Promise<{ files: FileInfo[]; total: number }> {
    const where: RawBuilder<unknown>[] = [sql`f.deleted_at IS NULL`, sql`f.post_id IS NOT NULL`, sql`f.channel_id IN (${readableChannels(q.scope)})`];
    for (const w of q.nameWords) where.push(sql`LOWER(f.name) LIKE ${likePattern(w)} ESCAPE '\\'`);
    if (q.teamId !== undefined) where.push(sql`f.channel_id IN (SELECT tc.id FROM channels tc WHERE tc.team_id = ${q.teamId} OR tc.team_id IS NULL)`);
    if (q.channelIds !== undefined) where.push(q.channelIds.length === 0 ? sql`1 = 0` : sql`f.channel_id IN (${list(q.channelIds)})`);
    if (q.userIds !== undefined) where.push(q.userIds.length === 0 ? sql`1 = 0` : sql`f.user_id IN (${list(q.userIds)})`);
    if (q.createdFrom !== undefined) where.push(sql`f.created_at >= ${q.createdFrom}`);
    if (q.createdBefore !== undefined) where.push(sql`f.created_at < ${q.createdBefore}`);
    if (q.extensions !== undefined && q.extensions.length > 0) where.push(sql`(${sql.join(q.extensions.map((e) => sql`LOWER(f.name) LIKE ${`%.${e.replace(/[\\%_]/g, (c) => `\\${c}`)}`} ESCAPE '\\'`), sql` OR `)})`);
    if (q.mimePrefixes !== undefined && q.mimePrefixes.length > 0) where.push(sql`(${sql.join(q.mimePrefixes.map((m) => sql`f.mime_type LIKE ${`${m.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} ESCAPE '\\'`), sql` OR `)})`);
    const whereSql = sql.join(where, sql` AND `);
    const { rows: counted } = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM (SELECT 1 FROM files f WHERE ${whereSql} LIMIT ${SEARCH_COUNT_CAP}) capped`.execute(this.db);
    const { rows } = await sql<FileInfo>`SELECT f.* FROM files f WHERE ${whereSql} ORDER BY f.created_at DESC, f.id DESC LIMIT ${limit} OFFSET ${offset}`.execute(this.db);
    return {
      files: rows.map((r) => ({ ...r, size: num(r.size), created_at: num(r.created_at), deleted_at: r.deleted_at === null ? null : num(r.deleted_at) })),
      total: num(counted[0]?.n ?? 0),
    };
  }

  async channels(scope: ChannelReadScope, words: readonly string[], opts: { teamId?: string | undefined; includeArchived: boolean; limit: number }): Promise<Channel[]> {
    const where: RawBuilder<unknown>[] = [sql`c.type IN ('public', 'private')`, sql`c.id IN (${readableChannels(scope)})`];
    for (const w of words) {
      const pattern = likePattern(w);
      where.push(sql`(LOWER(c.name) LIKE ${pattern} ESCAPE '\\' OR LOWER(c.display_name) LIKE ${pattern} ESCAPE '\\' OR LOWER(c.purpose) LIKE ${pattern} ESCAPE '\\')`);
    }
    if (opts.teamId !== undefined) where.push(sql`c.team_id = ${opts.teamId}`);
    if (!opts.includeArchived) where.push(sql`c.archived_at IS NULL`);
    const { rows } = await sql<Channel>`SELECT c.* FROM channels c WHERE ${sql.join(where, sql` AND `)} ORDER BY c.last_post_seq DESC, c.id LIMIT ${opts.limit}`.execute(this.db);
    return rows.map((r) => ({ ...r, created_at: num(r.created_at), updated_at: num(r.updated_at), archived_at: r.archived_at === null ? null : num(r.archived_at), last_post_at: num(r.last_post_at), last_post_seq: num(r.last_post_seq), event_seq: num(r.event_seq) }));
  }

  async backfill(limit: number, analyze: (message: string) => SearchDocument): Promise<{ indexed: number; remaining: number }> {
    if (!this.db.isTransaction) return this.db.transaction().execute((trx) => new Search(trx, this.dialect, this.scopeInMatchMax, this.scopeListMax).backfill(limit, analyze));
    // Background work, not a request: waiting for another node's batch is fine (no statement timeout).
    if (this.dialect === 'postgres') await sql`SET LOCAL statement_timeout = 0`.execute(this.db);
    const state = (await sql<{ pending_through: number | string }>`SELECT pending_through FROM search_backfill${this.dialect === 'postgres' ? sql` FOR UPDATE` : sql``}`.execute(this.db)).rows[0];
    const through = num(state?.pending_through ?? 0);
    if (through <= 0) return { indexed: 0, remaining: 0 };
    // The batch's rows stay locked until commit, so an edit cannot slip between read and index.
    const { rows } = await sql<{ seq: number | string; channel_id: string; message: string; deleted_at: number | null }>`
      SELECT seq, channel_id, message, deleted_at FROM posts WHERE seq <= ${through} ORDER BY seq DESC LIMIT ${limit}${this.dialect === 'postgres' ? sql` FOR UPDATE` : sql``}`.execute(this.db);
    let indexed = 0;
    for (const r of rows) {
      if (r.deleted_at !== null) continue;
      await writeIndex(this.db, this.dialect, num(r.seq), r.channel_id, analyze(r.message));
      indexed++;
    }
    const next = rows.length < limit ? 0 : num(rows[rows.length - 1]!.seq) - 1;
    await sql`UPDATE search_backfill SET pending_through = ${next}`.execute(this.db);
    const left = next <= 0 ? 0 : num((await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM posts WHERE seq <= ${next}`.execute(this.db)).rows[0]?.n ?? 0);
    return { indexed, remaining: left };
  }
}

/** Replaces the index entry of post `seq` (inside the caller's transaction or statement). */
export async function writeIndex(db: Db, dialect: Dialect, seq: number, channelId: string, doc: SearchDocument): Promise<void> {
  const chan = channelToken(channelId);
  if (dialect === 'sqlite') {
    await sql`DELETE FROM post_search WHERE rowid = ${seq}`.execute(db);
    await sql`INSERT INTO post_search (rowid, words, stems, tags, chan) VALUES (${seq}, ${doc.words}, ${doc.stems}, ${doc.tags}, ${chan})`.execute(db);
    return;
  }
  await sql`
    INSERT INTO post_search (seq, words, stems, tags, chan, channel_id)
    VALUES (${seq}, ${tsvectorLiteral(doc.words)}::tsvector, ${tsvectorLiteral(doc.stems)}::tsvector, ${tsvectorLiteral(doc.tags)}::tsvector,
            ${tsvectorLiteral(chan)}::tsvector || COALESCE((SELECT ${teamTokenOf('tc')} FROM channels tc WHERE tc.id = ${channelId}), ''::tsvector), ${channelId})
    ON CONFLICT (seq) DO UPDATE SET words = EXCLUDED.words, stems = EXCLUDED.stems, tags = EXCLUDED.tags, chan = EXCLUDED.chan, channel_id = EXCLUDED.channel_id`.execute(db);
}

/** A channel id as one index token (letters and digits only: the UUID without its dashes). */
export function channelToken(channelId: string): string {
  return `c${channelId.replace(/[^0-9a-zA-Z]/g, '').toLowerCase()}`;
}

/** PostgreSQL: a team id as one index token, carried by the index rows of its public channels' posts. */
export function teamToken(teamId: string): string {
  return `p${teamId.replace(/[^0-9a-zA-Z]/g, '').toLowerCase()}`;
}

/**
 * PostgreSQL: the team token of channel row `alias` (its `type` and `team_id`) as a tsvector,
 * empty unless the channel is public: the same token as teamToken, made in SQL. A channel's
 * type and team never change (ChannelStore.update cannot set them); a change that could would
 * have to rewrite the `chan` of the channel's index rows in the same transaction.
 */
export function teamTokenOf(alias: string): RawBuilder<unknown> {
  const type = sql.ref(`${alias}.type`);
  const team = sql.ref(`${alias}.team_id`);
  return sql`CASE WHEN ${type} = 'public' AND ${team} IS NOT NULL THEN ('p' || lower(regexp_replace(${team}, '[^0-9a-zA-Z]', '', 'g')))::tsvector ELSE ''::tsvector END`;
}

/** Removes the index entries of these posts (by id). */
export async function removeIndex(db: Db, dialect: Dialect, postIds: readonly string[]): Promise<void> {
  if (postIds.length === 0) return;
  const key = dialect === 'sqlite' ? sql`rowid` : sql`seq`;
  await sql`DELETE FROM post_search WHERE ${key} IN (SELECT seq FROM posts WHERE id IN (${list(postIds)}))`.execute(db);
}
