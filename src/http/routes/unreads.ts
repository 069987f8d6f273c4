/** /api/v1/unreads: unread and mention counts across my channels. */
import { Type } from 'typebox';
import type { HttpDeps } from '../server.js';
import { Id, UnreadOverviewSchema, errors } from '../schemas.js';
import { callCtx, type App } from '../types.js';

export function unreadRoutes(app: App, deps: HttpDeps): void {
  const { channels } = deps.services;

  app.get('/api/v1/unreads/overview', {
    schema: {
      tags: ['unreads'], summary: 'Unread and mention counts per channel, with totals',
      response: { 200: UnreadOverviewSchema, ...errors(401) },
    },
  }, async (req) => {
    const rows = await channels.overview(callCtx(req));
    return { channels: rows, total_unread: rows.reduce((n, r) => n + r.unread_count, 0), total_mentions: rows.reduce((n, r) => n + r.mention_count, 0) };
  });

  app.post('/api/v1/unreads/mark_all_read', {
    schema: { tags: ['unreads'], summary: 'Mark every channel read', response: { 200: Type.Object({ channel_ids: Type.Array(Id) }), ...errors(401) } },
  }, async (req) => ({ channel_ids: await channels.markAllRead(callCtx(req)) }));
}
