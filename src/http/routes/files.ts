/**
 * /api/v1/files and avatars: uploads (multipart, streamed), metadata, the bytes and their
 * thumbnail and preview, deletion, a channel's files. Every answer starts in FileService with
 * Access (a file is as visible as the channel it was posted in).
 *
 * The bytes are served so that a browser can never run them as part of this site: nosniff,
 * `Content-Security-Policy: sandbox` (route config `fileResponse`, set in server.ts),
 * `attachment` for anything but raster images, and caching that no shared cache may keep
 * (`private, no-cache` with a strong ETag: the browser revalidates, which re-checks access).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, badRequest } from '../../domain/errors.js';
import type { FileView } from '../../domain/presenters.js';
import { contentDisposition, AVATAR_SIZES, type AvatarSize } from '../../services/file-content.js';
import type { FileVariant, OpenedFile } from '../../services/files.js';
import type { StoredObject } from '../../storage/blob-storage.js';
import { errorEnvelope } from '../errors.js';
import type { HttpDeps } from '../server.js';
import { FileSchema, Id, IdParams, Millis, Ok, UserSchema, errors } from '../schemas.js';
import { callCtx, type App } from '../types.js';

/** Files one upload request may carry. */
export const MAX_FILES_PER_REQUEST = 10;

const UploadAnswer = Type.Intersect([
  FileSchema,
  Type.Object({ files: Type.Array(FileSchema, { description: 'Every file of the request, in order (the top-level fields are the first one)' }) }),
]);

export const unsupported = (): AppError => new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as multipart/form-data in the field "file"');

/** The parser's own errors (limits, a broken body) as the 4xx they mean; anything else unchanged. */
export function multipartError(err: unknown, maxFiles: number): unknown {
  if (err instanceof AppError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') return badRequest(`At most ${maxFiles} files per request`);
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || code === 'FST_NO_FORM_DATA') return unsupported();
  if (typeof code === 'string' && code.startsWith('FST_')) return badRequest('Malformed multipart body');
  if (err instanceof Error && /multipart|Malformed part header|Boundary not found|Unexpected end of form/i.test(err.message)) return badRequest('Malformed multipart body');
  return err;
}

/** The multipart file parts of the request, in the field `field`. */
async function* fileParts(req: FastifyRequest, field: string, maxFiles: number) {
  if (!req.isMultipart()) throw unsupported();
  let count = 0;
  for await (const part of req.parts()) {
    if (part.type !== 'file') continue;
    if (part.fieldname !== field) throw badRequest(`Unexpected file field "${part.fieldname}": send files in the field "${field}"`);
    if (++count > maxFiles) throw badRequest(`At most ${maxFiles} files per request`);
    yield part;
  }
}

function sendOpened(req: FastifyRequest, reply: FastifyReply, opened: OpenedFile): FastifyReply {
  void reply.header('ETag', opened.etag).header('Cache-Control', 'private, no-cache').header('Vary', 'Cookie, Authorization').header('Accept-Ranges', 'bytes');
  void reply.header('Content-Disposition', contentDisposition(opened.file.name, opened.mimeType)).type(opened.mimeType);
  if (opened.object === undefined) {
    void reply.header('Content-Range', `bytes */${opened.size}`);
    return reply.code(416).type('application/json').send(errorEnvelope('RANGE_NOT_SATISFIABLE', 'The requested range is outside the file', req.id));
  }
  const { range } = opened;
  if (range !== undefined) {
    void reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${opened.size}`).header('Content-Length', String(range.end - range.start + 1));
  } else {
    void reply.header('Content-Length', String(opened.size));
  }
  if (req.method === 'HEAD') {
    opened.object.body.destroy();
    return reply.send();
  }
  return reply.send(opened.object.body);
}

/** The conditional headers: a matching If-None-Match is a 304 (after the access check), an If-Range that does not match drops the Range. */
function conditionals(req: FastifyRequest): { ifNoneMatch: string | undefined; range: string | undefined } {
  const inm = req.headers['if-none-match'];
  const ifRange = req.headers['if-range'];
  const range = req.headers.range;
  return { ifNoneMatch: typeof inm === 'string' ? inm : undefined, range: typeof ifRange === 'string' ? undefined : range };
}

export function fileRoutes(app: App, deps: HttpDeps): void {
  const { files } = deps.services;
  const binary = { 200: Type.Any({ description: 'The bytes' }), 206: Type.Any({ description: 'A byte range' }), 304: Type.Any({ description: 'Not modified (ETag)' }) };

  app.post('/api/v1/files', {
    config: { multipart: true },
    schema: {
      tags: ['files'], summary: 'Upload files to a channel (multipart field "file", several allowed); attach them with a post\'s file_ids',
      querystring: Type.Object({ channel_id: Id }),
      consumes: ['multipart/form-data'],
      response: { 201: UploadAnswer, ...errors(400, 401, 403, 404, 413, 415, 503) },
    },
  }, async (req, reply) => {
    const ctx = callCtx(req);
    const channelId = req.query.channel_id;
    // Refused before a byte of the body is read: no access, no quota, a body that cannot fit.
    if (!req.isMultipart()) throw unsupported();
    if (Number(req.headers['content-length']) > files.maxFileSize * MAX_FILES_PER_REQUEST + 1024 * 1024) {
      throw new AppError('PAYLOAD_TOO_LARGE', `At most ${MAX_FILES_PER_REQUEST} files of the size limit per request`);
    }
    await files.beginUpload(ctx, channelId);
    const stored: FileView[] = [];
    try {
      for await (const part of fileParts(req, 'file', MAX_FILES_PER_REQUEST)) stored.push(await files.receive(ctx, channelId, part.filename, part.file));
    } catch (err) {
      // All or nothing: the files this request already stored go too.
      await files.discard(stored.map((f) => f.id));
      throw multipartError(err, MAX_FILES_PER_REQUEST);
    }
    if (stored.length === 0) throw badRequest('No file in the request: send it in the multipart field "file"');
    return reply.code(201).send({ ...stored[0]!, files: stored });
  });

  app.get('/api/v1/files/:id', {
    schema: { tags: ['files'], summary: 'A file\'s metadata', params: IdParams, response: { 200: FileSchema, ...errors(401, 404) } },
  }, async (req) => files.get(callCtx(req), req.params.id));

  for (const variant of ['download', 'thumbnail', 'preview'] as const satisfies readonly FileVariant[]) {
    app.get(`/api/v1/files/:id/${variant}`, {
      config: { fileResponse: true },
      schema: {
        tags: ['files'],
        summary: variant === 'download' ? 'The file\'s bytes (Range requests supported)' : `The image's ${variant} (WebP; 404 for files without one)`,
        params: IdParams,
        response: { ...binary, ...errors(401, 404, 416, 503) },
      },
    }, async (req, reply) => {
      const ctx = callCtx(req);
      const { ifNoneMatch, range } = conditionals(req);
      const opened = await files.open(ctx, req.params.id, variant, range, ifNoneMatch);
      if (opened === 'not_modified') return reply.code(304).header('Cache-Control', 'private, no-cache').header('Vary', 'Cookie, Authorization').send();
      return sendOpened(req, reply, opened);
    });
  }

  app.delete('/api/v1/files/:id', {
    schema: { tags: ['files'], summary: 'Delete a file (its uploader, or a channel admin for a posted file)', params: IdParams, response: { 200: Ok, ...errors(401, 403, 404, 503) } },
  }, async (req) => {
    await files.delete(callCtx(req), req.params.id);
    return { status: 'ok' as const };
  });

  app.get('/api/v1/channels/:id/files', {
    schema: {
      tags: ['files'], summary: 'Files posted in a channel, newest first', params: IdParams,
      querystring: Type.Object({
        before: Type.Optional(Millis),
        before_id: Type.Optional(Type.String({ maxLength: 64, description: 'With `before`: the id of the last file of the previous page (files of one upload share a time)' })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
      }),
      response: { 200: Type.Array(FileSchema), ...errors(400, 401, 404) },
    },
  }, async (req) => {
    const { before, before_id: beforeId } = req.query;
    // Without before_id every file of that millisecond counts as seen (no id sorts below '').
    return files.listChannel(callCtx(req), req.params.id, before === undefined ? undefined : { at: before, id: beforeId ?? '' }, req.query.limit ?? 50);
  });

  // ---- avatars ----
  app.put('/api/v1/users/me/avatar', {
    config: { multipart: true },
    schema: {
      tags: ['users'], summary: 'Set my avatar (multipart field "image": PNG, JPEG, GIF or WebP; cropped square)',
      consumes: ['multipart/form-data'],
      response: { 200: UserSchema, ...errors(400, 401, 413, 415, 503) },
    },
  }, async (req) => {
    const ctx = callCtx(req);
    if (!req.isMultipart()) throw unsupported();
    let user;
    try {
      for await (const part of fileParts(req, 'image', 1)) user = await files.setAvatar(ctx, part.file);
    } catch (err) {
      throw multipartError(err, 1);
    }
    if (user === undefined) throw badRequest('No image in the request: send it in the multipart field "image"');
    const { accounts } = deps.services;
    return accounts.view(user, ctx.actor, (await accounts.presenceOf([user.id])).get(user.id));
  });

  app.delete('/api/v1/users/me/avatar', {
    schema: { tags: ['users'], summary: 'Remove my avatar (back to initials)', response: { 200: Ok, ...errors(401, 503) } },
  }, async (req) => {
    await files.clearAvatar(callCtx(req));
    return { status: 'ok' as const };
  });

  app.get('/api/v1/users/:id/avatar', {
    config: { fileResponse: true },
    schema: {
      tags: ['users'], summary: 'A user\'s avatar (WebP, square; 404 when they have none)', params: IdParams,
      querystring: Type.Object({ size: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096, description: `Wanted size in pixels; served: the smallest of ${AVATAR_SIZES.join(', ')} at least as large (else the largest)` })), v: Type.Optional(Type.String({ maxLength: 20 })) }),
      response: { 200: Type.Any({ description: 'The image' }), 304: Type.Any({ description: 'Not modified (ETag)' }), ...errors(401, 404, 503) },
    },
  }, async (req, reply) => {
    const wanted = req.query.size ?? 128;
    const size: AvatarSize = [...AVATAR_SIZES].sort((a, b) => a - b).find((s) => s >= wanted) ?? Math.max(...AVATAR_SIZES) as AvatarSize;
    const { object, etag } = await files.openAvatar(callCtx(req), req.params.id, size);
    return sendStoredImage(req, reply, object, etag, { cacheControl: 'private, max-age=300', filename: 'avatar.webp' });
  });
}

/**
 * Sends an image the server made and stored (an avatar, a custom emoji, a link preview's
 * image: always WebP) with its ETag: 304 when the client has it (any of the tags it sends),
 * headers only for HEAD. `cacheControl` says how long a browser may keep it without asking.
 */
export function sendStoredImage(req: FastifyRequest, reply: FastifyReply, object: StoredObject, etag: string, opts: { readonly cacheControl: string; readonly filename: string }): FastifyReply {
  void reply.header('ETag', etag).header('Cache-Control', opts.cacheControl).header('Vary', 'Cookie, Authorization').header('Content-Disposition', `inline; filename="${opts.filename}"`);
  const inm = req.headers['if-none-match'];
  if (typeof inm === 'string' && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
    object.body.destroy();
    return reply.code(304).send();
  }
  void reply.type('image/webp').header('Content-Length', String(object.size));
  if (req.method === 'HEAD') {
    object.body.destroy();
    return reply.send();
  }
  return reply.send(object.body);
}
