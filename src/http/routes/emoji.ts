/**
 * /api/v1/emoji: custom emoji. Upload (multipart: the field "name", then the file field
 * "image"), list, look up by name, the image, delete. Decided in EmojiService through Access
 * (EMOJI_POLICY). The image is served like file bytes (route config `fileResponse`: FILE_CSP
 * sandbox, nosniff) with a strong ETag; it is server-wide, like avatars.
 */
import { Type } from 'typebox';
import { AppError, badRequest } from '../../domain/errors.js';
import { MAX_EMOJI_BYTES } from '../../services/emoji.js';
import type { HttpDeps } from '../server.js';
import { IdParams, Millis, Ok, errors, Id } from '../schemas.js';
import { callCtx, type App } from '../types.js';
import { multipartError, sendStoredImage, unsupported } from './files.js';

export const CustomEmojiSchema = Type.Object({
  id: Id,
  name: Type.String(),
  creator_id: Id,
  created_at: Millis,
});

export function emojiRoutes(app: App, deps: HttpDeps): void {
  const { emoji } = deps.services;

  app.post('/api/v1/emoji', {
    config: { multipart: true },
    schema: {
      tags: ['emoji'],
      summary: `Add a custom emoji (multipart: field "name", then file field "image": PNG, JPEG, GIF or WebP, at most ${MAX_EMOJI_BYTES / 1024} KB; stored as WebP fitting 128 × 128)`,
      consumes: ['multipart/form-data'],
      response: { 201: CustomEmojiSchema, ...errors(400, 401, 403, 409, 413, 415, 422, 503) },
    },
  }, async (req, reply) => {
    const ctx = callCtx(req);
    if (!req.isMultipart()) throw unsupported();
    await emoji.beginCreate(ctx);
    if (Number(req.headers['content-length']) > MAX_EMOJI_BYTES + 64 * 1024) throw new AppError('PAYLOAD_TOO_LARGE', `A custom emoji image may be at most ${MAX_EMOJI_BYTES / 1024} KB`);
    let name: string | undefined;
    let image: Buffer | undefined;
    try {
      for await (const part of req.parts()) {
        if (part.type === 'field') {
          if (part.fieldname === 'name' && typeof part.value === 'string') {
            name = part.value;
            // Refused before the image is read when it comes first, as browsers send it.
            if (image === undefined) await emoji.checkName(name);
          }
          continue;
        }
        if (part.fieldname !== 'image') throw badRequest(`Unexpected file field "${part.fieldname}": send the image in the field "image"`);
        if (image !== undefined) throw badRequest('One image per custom emoji');
        image = await emoji.readImage(part.file);
      }
    } catch (err) {
      throw multipartError(err, 1);
    }
    if (image === undefined) throw badRequest('No image in the request: send it in the multipart field "image"');
    return reply.code(201).send(await emoji.create(ctx, name, image));
  });

  app.get('/api/v1/emoji', {
    schema: {
      tags: ['emoji'], summary: 'Custom emoji, by name',
      querystring: Type.Object({ page: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })), per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }),
      response: { 200: Type.Array(CustomEmojiSchema), ...errors(400, 401, 503) },
    },
  }, async (req) => emoji.list(callCtx(req), req.query.page, req.query.per_page));

  app.get('/api/v1/emoji/name/:name', {
    schema: { tags: ['emoji'], summary: 'A custom emoji by name', params: Type.Object({ name: Type.String({ maxLength: 64 }) }), response: { 200: CustomEmojiSchema, ...errors(401, 404, 503) } },
  }, async (req) => emoji.byName(callCtx(req), req.params.name));

  app.get('/api/v1/emoji/:id/image', {
    config: { fileResponse: true },
    schema: {
      tags: ['emoji'], summary: 'A custom emoji\'s image (WebP)', params: IdParams,
      response: { 200: Type.Any({ description: 'The image' }), 304: Type.Any({ description: 'Not modified (ETag)' }), ...errors(401, 404, 503) },
    },
  }, async (req, reply) => {
    const { object, etag } = await emoji.openImage(callCtx(req), req.params.id);
    return sendStoredImage(req, reply, object, etag, { cacheControl: 'private, max-age=3600', filename: 'emoji.webp' });
  });

  app.delete('/api/v1/emoji/:id', {
    schema: { tags: ['emoji'], summary: 'Delete a custom emoji (its creator or a system admin)', params: IdParams, response: { 200: Ok, ...errors(401, 403, 404, 503) } },
  }, async (req) => {
    await emoji.delete(callCtx(req), req.params.id);
    return { status: 'ok' as const };
  });
}
