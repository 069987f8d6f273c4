/**
 * /api/v1/search: posts (the query language of domain/search.ts), files, channels and people.
 * Every search is filtered by the caller's read scope inside its query (services/search.ts).
 */
import { Type } from 'typebox';
import { channelView } from '../../domain/presenters.js';
import type { HttpDeps } from '../server.js';
import { ChannelSchema, FileSchema, Id, Paging, PostSchema, UserSchema, errors } from '../schemas.js';
import { callCtx, type App } from '../types.js';

/** Long enough for the parser to answer with its own limit (2,000 characters) and a clear message. */
const Query = Type.String({ minLength: 0, maxLength: 20_000, description: 'The query (see the README: words, "phrases", -excluded, prefix*, from:, in:, before:, after:, on:, #tags, is:pinned, has:file, has:image)' });

const ChannelSummary = Type.Object({ id: Id, team_id: Type.Union([Id, Type.Null()]), type: Type.String(), name: Type.String(), display_name: Type.String() });
const Range = Type.Tuple([Type.Integer(), Type.Integer()]);
const Excerpt = Type.Object({
  text: Type.String(),
  highlights: Type.Array(Range, { description: 'UTF-16 [start, end) offsets of matches in `text`' }),
  truncated_start: Type.Boolean(),
  truncated_end: Type.Boolean(),
});

export function searchRoutes(app: App, deps: HttpDeps): void {
  const { search, accounts } = deps.services;

  app.get('/api/v1/search', {
    schema: {
      tags: ['search'], summary: 'Search posts (the reference shape): newest first, in channels I can read',
      querystring: Type.Intersect([Paging, Type.Object({ q: Query, channel_id: Type.Optional(Id) })]),
      response: { 200: Type.Object({ posts: Type.Array(PostSchema), total: Type.Integer(), page: Type.Integer(), per_page: Type.Integer() }), ...errors(400, 401, 404) },
    },
  }, async (req) => {
    const r = await search.searchPosts(callCtx(req), { q: req.query.q, channel_id: req.query.channel_id, page: req.query.page, per_page: req.query.per_page });
    return { posts: r.results.map((h) => h.post), total: r.total, page: r.page, per_page: r.per_page };
  });

  app.get('/api/v1/search/posts', {
    schema: {
      tags: ['search'], summary: 'Search posts with channels and highlighted excerpts; newest first (cursor paging) or by relevance (page paging)',
      querystring: Type.Intersect([Paging, Type.Object({
        q: Query,
        team_id: Type.Optional(Id),
        channel_id: Type.Optional(Id),
        order: Type.Optional(Type.Union([Type.Literal('newest'), Type.Literal('relevance')])),
        cursor: Type.Optional(Type.String({ maxLength: 20 })),
      })]),
      response: {
        200: Type.Object({
          results: Type.Array(Type.Object({ post: PostSchema, channel: ChannelSummary, excerpt: Excerpt })),
          total: Type.Integer(), total_capped: Type.Boolean(), order: Type.String(), next_cursor: Type.Union([Type.String(), Type.Null()]),
          page: Type.Integer(), per_page: Type.Integer(),
        }),
        ...errors(400, 401, 404),
      },
    },
  }, async (req) => search.searchPosts(callCtx(req), req.query));

  app.get('/api/v1/search/files', {
    schema: {
      tags: ['search'], summary: 'Search posted files by name (and ext:, type:, from:, in:, before:, after:, on:) in channels I can read',
      querystring: Type.Intersect([Paging, Type.Object({ q: Query, team_id: Type.Optional(Id) })]),
      response: { 200: Type.Object({ files: Type.Array(Type.Intersect([FileSchema, Type.Object({ channel: ChannelSummary })])), total: Type.Integer(), page: Type.Integer(), per_page: Type.Integer() }), ...errors(400, 401, 404) },
    },
  }, async (req) => search.searchFiles(callCtx(req), req.query));

  app.get('/api/v1/search/channels', {
    schema: {
      tags: ['search'], summary: 'Search channels by name and purpose: public ones of my teams and private ones I am in',
      querystring: Type.Object({ q: Query, team_id: Type.Optional(Id), include_archived: Type.Optional(Type.Boolean()) }),
      response: { 200: Type.Array(ChannelSchema), ...errors(400, 401, 404) },
    },
  }, async (req) => (await search.searchChannels(callCtx(req), req.query)).map(channelView));

  app.get('/api/v1/search/users', {
    schema: {
      tags: ['search'], summary: 'Search people by username, name and nickname (and e-mail, for those who may see e-mail addresses)',
      querystring: Type.Intersect([Paging, Type.Object({ q: Type.String({ minLength: 1, maxLength: 64 }) })]),
      response: { 200: Type.Array(UserSchema), ...errors(400, 401) },
    },
  }, async (req) => {
    const ctx = callCtx(req);
    const users = await accounts.search(ctx, req.query.q, req.query.page, req.query.per_page);
    const presence = await accounts.presenceOf(users.map((u) => u.id));
    return users.map((u) => accounts.view(u, ctx.actor, presence.get(u.id)));
  });
}
