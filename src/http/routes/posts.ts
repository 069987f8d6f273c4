/** /api/v1/posts: single posts, threads, reactions, pins, saved posts and unread marks. */
import { Type } from 'typebox';
import { MAX_ATTACHMENTS } from '../../domain/webhooks.js';
import type { HttpDeps } from '../server.js';
import { Body, Id, IdParams, Ok, Paging, PostSchema, ThreadPageSchema, errors } from '../schemas.js';
import { callCtx, type App } from '../types.js';
import { sendStoredImage } from './files.js';

export function postRoutes(app: App, deps: HttpDeps): void {
  const { posts, linkPreviews, attachmentImages } = deps.services;

  app.get('/api/v1/posts/:id', {
    schema: { tags: ['posts'], summary: 'A post', params: IdParams, response: { 200: PostSchema, ...errors(401, 404) } },
  }, async (req) => posts.get(callCtx(req), req.params.id));

  app.put('/api/v1/posts/:id', {
    schema: {
      tags: ['posts'], summary: 'Edit a post (author only)', params: IdParams,
      body: Body({ message: Type.String({ maxLength: 65536 }) }),
      response: { 200: PostSchema, ...errors(400, 401, 403, 404, 422) },
    },
  }, async (req) => posts.edit(callCtx(req), req.params.id, req.body.message));

  app.delete('/api/v1/posts/:id', {
    schema: { tags: ['posts'], summary: 'Delete a post (author or channel admin); replies of a root go with it', params: IdParams, response: { 200: Ok, ...errors(401, 403, 404) } },
  }, async (req) => {
    await posts.delete(callCtx(req), req.params.id);
    return { status: 'ok' as const };
  });

  app.get('/api/v1/posts/:id/thread', {
    schema: {
      tags: ['posts'], summary: 'The thread of a post: root first, then replies in order', params: IdParams,
      querystring: Type.Object({ cursor: Type.Optional(Type.String({ maxLength: 20 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }),
      response: {
        200: ThreadPageSchema,
        ...errors(400, 401, 404),
      },
    },
  }, async (req) => posts.thread(callCtx(req), req.params.id, req.query));

  app.post('/api/v1/posts/:id/reactions', {
    schema: { tags: ['posts'], summary: 'React to a post', params: IdParams, body: Body({ emoji_name: Type.String({ maxLength: 64 }) }), response: { 200: PostSchema, ...errors(400, 401, 403, 404, 422) } },
  }, async (req) => posts.react(callCtx(req), req.params.id, req.body.emoji_name, true));

  app.delete('/api/v1/posts/:id/reactions/:emoji', {
    schema: { tags: ['posts'], summary: 'Remove my reaction', params: Type.Object({ id: Id, emoji: Type.String({ maxLength: 64 }) }), response: { 200: PostSchema, ...errors(401, 403, 404, 422) } },
  }, async (req) => posts.react(callCtx(req), req.params.id, req.params.emoji, false));

  for (const [method, pinned] of [['post', true], ['delete', false]] as const) {
    app[method]('/api/v1/posts/:id/pin', {
      schema: { tags: ['posts'], summary: pinned ? 'Pin a post' : 'Unpin a post', params: IdParams, response: { 200: PostSchema, ...errors(401, 403, 404) } },
    }, async (req) => posts.pin(callCtx(req), req.params.id, pinned));

    app[method]('/api/v1/posts/:id/save', {
      schema: { tags: ['posts'], summary: pinned ? 'Save a post for later' : 'Remove a saved post', params: IdParams, response: { 200: Ok, ...errors(401, 404) } },
    }, async (req) => {
      await posts.save(callCtx(req), req.params.id, pinned);
      return { status: 'ok' as const };
    });
  }

  // ---- link previews (services/link-previews.ts) ----
  app.delete('/api/v1/posts/:id/preview', {
    schema: {
      tags: ['posts'], summary: 'Remove the link preview from my post (author only); an edit to another link brings a new one', params: IdParams,
      response: { 200: PostSchema, ...errors(401, 403, 404) },
    },
  }, async (req) => linkPreviews.remove(callCtx(req), req.params.id));

  app.get('/api/v1/posts/:id/preview/image', {
    config: { fileResponse: true },
    schema: {
      tags: ['posts'], summary: 'The image of a post\'s link preview (WebP, stored by the server; for those who may read the post)', params: IdParams,
      querystring: Type.Object({ v: Type.Optional(Type.String({ maxLength: 20 })) }),
      response: { 200: Type.Any({ description: 'The image' }), 304: Type.Any({ description: 'Not modified (ETag)' }), ...errors(401, 404, 503) },
    },
  }, async (req, reply) => {
    const { object, etag } = await linkPreviews.openImage(callCtx(req), req.params.id);
    // Like a file's bytes: revalidated every time (which re-checks access), never kept by a shared cache.
    return sendStoredImage(req, reply, object, etag, { cacheControl: 'private, no-cache', filename: 'preview.webp' });
  });

  // ---- attachment images (services/attachment-images.ts) ----
  app.get('/api/v1/posts/:id/attachments/:index/:kind', {
    config: { fileResponse: true },
    schema: {
      tags: ['posts'],
      summary: 'An image of a post\'s Slack attachment (kind image: its image_url, thumb: its thumb_url), fetched and stored by the server as WebP; for those who may read the post. 404 when the server has none (not fetched, not fetchable, or RUSTCHAT_LINK_PREVIEWS=false)',
      params: Type.Object({
        id: Id,
        index: Type.Integer({ minimum: 0, maximum: MAX_ATTACHMENTS - 1, description: 'The attachment\'s position in props.attachments' }),
        kind: Type.Union([Type.Literal('image'), Type.Literal('thumb')]),
      }),
      querystring: Type.Object({ v: Type.Optional(Type.String({ maxLength: 20 })) }),
      response: { 200: Type.Any({ description: 'The image' }), 304: Type.Any({ description: 'Not modified (ETag)' }), ...errors(400, 401, 404, 503) },
    },
  }, async (req, reply) => {
    const { object, etag } = await attachmentImages.openImage(callCtx(req), req.params.id, req.params.index, req.params.kind);
    // As a preview's image: revalidated every time (which re-checks access), never kept by a shared cache.
    return sendStoredImage(req, reply, object, etag, { cacheControl: 'private, no-cache', filename: `attachment-${req.params.index}-${req.params.kind}.webp` });
  });

  app.post('/api/v1/posts/:id/unread', {
    schema: {
      tags: ['unreads'], summary: 'Mark the channel unread from this post on', params: IdParams,
      response: { 200: Type.Object({ channel_id: Id, last_viewed_seq: Type.Integer(), unread_count: Type.Integer(), mention_count: Type.Integer() }), ...errors(401, 403, 404) },
    },
  }, async (req) => posts.markUnread(callCtx(req), req.params.id));

  app.get('/api/v1/active_user/saved_posts', {
    schema: { tags: ['posts'], summary: 'My saved posts (in channels I can still read)', querystring: Paging, response: { 200: Type.Array(PostSchema), ...errors(401) } },
  }, async (req) => posts.saved(callCtx(req), req.query.page, req.query.per_page));
}
