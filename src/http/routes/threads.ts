/** /api/v1/users/me/threads and /api/v1/users/me/preferences/threads: followed threads (collapsed reply threads) and the preference. */
import { Type } from 'typebox';
import type { HttpDeps } from '../server.js';
import { Body, Id, IdParams, ThreadListSchema, ThreadPreferencesSchema, ThreadSchema, errors } from '../schemas.js';
import { callCtx, type App } from '../types.js';

export function threadRoutes(app: App, deps: HttpDeps): void {
  const { threads } = deps.services;

  app.get('/api/v1/users/me/threads', {
    schema: {
      tags: ['threads'], summary: 'Threads I follow, in channels I can read, newest activity first, with unread counts and totals',
      querystring: Type.Object({
        team_id: Type.Optional(Id),
        before: Type.Optional(Id),
        per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
        unread: Type.Optional(Type.Boolean()),
      }),
      response: { 200: ThreadListSchema, ...errors(400, 401, 404) },
    },
  }, async (req) => threads.list(callCtx(req), req.query));

  app.get('/api/v1/users/me/threads/:id', {
    schema: { tags: ['threads'], summary: 'One thread (by its root post) with my read state', params: IdParams, response: { 200: ThreadSchema, ...errors(400, 401, 404) } },
  }, async (req) => threads.get(callCtx(req), req.params.id));

  for (const [method, following] of [['put', true], ['delete', false]] as const) {
    app[method]('/api/v1/users/me/threads/:id/following', {
      schema: {
        tags: ['threads'], summary: following ? 'Follow a thread (by its root post)' : 'Stop following a thread', params: IdParams,
        response: { 200: ThreadSchema, ...errors(400, 401, 404) },
      },
    }, async (req) => threads.setFollowing(callCtx(req), req.params.id, following));
  }

  app.put('/api/v1/users/me/threads/:id/read', {
    schema: { tags: ['threads'], summary: 'Mark a thread read up to its newest reply (on all my devices)', params: IdParams, response: { 200: ThreadSchema, ...errors(400, 401, 404) } },
  }, async (req) => threads.markRead(callCtx(req), req.params.id));

  app.get('/api/v1/users/me/preferences/threads', {
    schema: { tags: ['threads'], summary: 'My thread preference: collapsed_threads (default true) keeps replies out of channel post lists', response: { 200: ThreadPreferencesSchema, ...errors(401) } },
  }, async (req) => threads.preferences(callCtx(req)));

  app.put('/api/v1/users/me/preferences/threads', {
    schema: {
      tags: ['threads'], summary: 'Set my thread preference', body: Body({ collapsed_threads: Type.Boolean() }),
      response: { 200: ThreadPreferencesSchema, ...errors(400, 401) },
    },
  }, async (req) => threads.setPreferences(callCtx(req), req.body));
}
