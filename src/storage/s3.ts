/**
 * S3-compatible storage (AWS S3, MinIO, Ceph, ...): objects live in one bucket under their key.
 *
 * Failing fast: readiness and the HTTP layer need an answer, not a hung request, when the store
 * is down, so the client retries once at most, gives up connecting after a few seconds, and
 * gives every short request (head, get up to the headers, small put, single delete) a few
 * seconds. Batches of 1000 keys and multipart parts get longer: a 5 MB part on a slow uplink
 * legitimately takes a while. A GetObject body is not timed once the headers are in: a slow
 * client holding the stream back must not cut its own download.
 *
 * Errors: an absent object is ObjectNotFound; anything else (refused connection, timeout, 5xx,
 * access denied, a missing bucket) is StorageUnavailable. The cause attached to a service
 * error is a copy holding only its name, code, status and message, because some S3 error
 * bodies echo the access key id.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Config } from '../config/config.js';
import { assertObjectKey, assertPrefix, ObjectNotFound, StorageUnavailable, type BlobStorage, type ByteRange, type StoredObject } from './blob-storage.js';

const CONNECT_TIMEOUT_MS = 3_000;
/** Requests without a large body: the server should answer (headers at least) in this time. */
const SHORT_REQUEST_TIMEOUT_MS = 3_000;
/** DeleteObjects and ListObjectsV2 pages: up to 1000 keys each, so allowed more time. */
const BATCH_REQUEST_TIMEOUT_MS = 30_000;
/** Each multipart part (or a small file's single PUT) until the server's answer. */
const PART_REQUEST_TIMEOUT_MS = 120_000;
const MIN_PART_SIZE = 5 * 1024 * 1024;
/** S3's limit on parts per multipart upload. */
const MAX_PARTS = 10_000;
/** Parts in flight per upload: bounds the memory one upload buffers (queue × part size). */
const UPLOAD_QUEUE = 2;
/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

function asSdkError(err: unknown): SdkError {
  return typeof err === 'object' && err !== null ? err : {};
}

function statusOf(err: unknown): number | undefined {
  return asSdkError(err).$metadata?.httpStatusCode;
}

/** An absent object (not an absent bucket: that is a misconfigured or unreachable store). */
function isNotFound(err: unknown): boolean {
  const e = asSdkError(err);
  if (e.name === 'NoSuchBucket') return false;
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || statusOf(err) === 404;
}

/** The server answered, so it is a service error (name, status, message) rather than a network one. */
function isServiceError(err: unknown): boolean {
  return asSdkError(err).$fault !== undefined && statusOf(err) !== undefined;
}

/** `ECONNREFUSED`, `AccessDenied, HTTP 403`, `HTTP 403` (a HEAD error has no body to name it). */
function explain(err: unknown): string {
  const e = asSdkError(err);
  const name = e.code ?? e.name;
  const what = name === undefined || name === 'Unknown' || name === 'UnknownError' ? undefined : name;
  const status = statusOf(err);
  if (status === undefined) return what ?? 'error';
  return what === undefined ? `HTTP ${status}` : `${what}, HTTP ${status}`;
}

/** The cause to attach: network errors as they are, service errors reduced to safe fields. */
function safeCause(err: unknown): unknown {
  if (!isServiceError(err)) return err;
  const e = asSdkError(err);
  const copy = new Error(e.message ?? explain(err));
  copy.name = e.name ?? 'S3Error';
  return Object.assign(copy, { code: e.code, $fault: e.$fault, $metadata: { httpStatusCode: statusOf(err) } });
}

function unavailable(action: string, err: unknown): StorageUnavailable {
  return new StorageUnavailable(`s3 storage: ${action} failed (${explain(err)})`, { cause: safeCause(err) });
}

/** A server that answers DeleteObjects with "not supported" rather than failing. */
function refusesBulkDelete(err: unknown): boolean {
  const status = statusOf(err);
  if (!isServiceError(err) || status === undefined) return false;
  return status === 501 || status === 405 || status === 400;
}

interface ServedRange {
  readonly start: number;
  readonly end: number;
  readonly total: number;
}

/** `bytes 0-9/1234` -> { start: 0, end: 9, total: 1234 } (undefined when absent or malformed). */
function parseContentRange(contentRange: string | undefined): ServedRange | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange ?? '');
  return match ? { start: Number(match[1]), end: Number(match[2]), total: Number(match[3]) } : undefined;
}

/** The `length` bytes of `body` that start `skip` bytes in; the rest is not read (body destroyed). */
function slice(body: Readable, skip: number, length: number): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    let toSkip = skip;
    let left = length;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      let part = chunk;
      if (toSkip > 0) {
        const dropped = Math.min(toSkip, part.length);
        part = part.subarray(dropped);
        toSkip -= dropped;
      }
      if (part.length === 0) continue;
      if (part.length >= left) {
        yield part.subarray(0, left);
        return;
      }
      yield part;
      left -= part.length;
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}

export class S3Storage implements BlobStorage {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  /** Cleared once the server refuses DeleteObjects, so later deletes go straight to one by one. */
  private bulkDelete = true;

  constructor(config: S3Config) {
    this.bucket = config.bucket;
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
      forcePathStyle: config.forcePathStyle,
      ...(config.credentials === undefined ? {} : { credentials: { ...config.credentials } }),
      maxAttempts: 2,
      // Checksums only where the API requires them: S3-compatible servers differ in their
      // support for the newer checksum headers and aws-chunked trailers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: CONNECT_TIMEOUT_MS,
        requestTimeout: PART_REQUEST_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      },
    });
  }

  private async send<T>(action: string, run: (options: { requestTimeout: number }) => Promise<T>, requestTimeout = SHORT_REQUEST_TIMEOUT_MS): Promise<T> {
    try {
      return await run({ requestTimeout });
    } catch (err) {
      throw unavailable(action, err);
    }
  }

  async putFile(key: string, sourcePath: string, contentType: string): Promise<void> {
    assertObjectKey(key);
    let size: number;
    try {
      size = (await stat(sourcePath)).size;
    } catch (err) {
      throw unavailable('write', err);
    }
    const body = createReadStream(sourcePath);
    try {
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: key, Body: body, ContentType: contentType, ContentLength: size },
        partSize: Math.max(MIN_PART_SIZE, Math.ceil(size / MAX_PARTS)),
        queueSize: UPLOAD_QUEUE,
      });
      await upload.done();
    } catch (err) {
      throw unavailable('write', err);
    } finally {
      body.destroy();
    }
  }

  async putBuffer(key: string, bytes: Buffer, contentType: string): Promise<void> {
    assertObjectKey(key);
    await this.send('write', (options) =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentType: contentType }), options),
    );
  }

  async open(key: string, range?: ByteRange): Promise<StoredObject> {
    assertObjectKey(key);
    let out;
    try {
      out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
        { requestTimeout: SHORT_REQUEST_TIMEOUT_MS },
      );
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFound(key, { cause: safeCause(err) });
      throw unavailable('read', err);
    }
    const body = out.Body;
    if (!(body instanceof Readable)) throw new StorageUnavailable('s3 storage: read failed (no body stream)');
    const served = parseContentRange(out.ContentRange) ?? (out.ContentLength === undefined ? undefined : { start: 0, end: out.ContentLength - 1, total: out.ContentLength });
    if (served === undefined) {
      body.destroy();
      throw new StorageUnavailable('s3 storage: read failed (an answer with neither Content-Range nor Content-Length)');
    }
    if (!range) return { size: served.total, body };
    if (served.start === range.start && served.end === range.end) return { size: served.total, body };
    // Some S3-compatible servers ignore the Range header (whole object, 200) or widen it
    // (s3rver answers `bytes=0-0` with the whole object): cut the requested bytes out of it.
    if (served.start > range.start || served.end < range.end) {
      body.destroy();
      throw new StorageUnavailable(`s3 storage: read failed (asked for bytes ${range.start}-${range.end}, got ${served.start}-${served.end})`);
    }
    return { size: served.total, body: slice(body, range.start - served.start, range.end - range.start + 1) };
  }

  async size(key: string): Promise<number | undefined> {
    assertObjectKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), {
        requestTimeout: SHORT_REQUEST_TIMEOUT_MS,
      });
      return out.ContentLength ?? 0;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw unavailable('stat', err);
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    // Every key is checked before anything is deleted: one bad key refuses the whole call.
    for (const key of keys) assertObjectKey(key);
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      if (this.bulkDelete) {
        try {
          await this.deleteBatch(batch);
          continue;
        } catch (err) {
          if (err instanceof StorageUnavailable) throw err;
          if (!refusesBulkDelete(err)) throw unavailable('delete', err);
          this.bulkDelete = false;
        }
      }
      for (const key of batch) await this.send('delete', (options) => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), options));
    }
  }

  private async deleteBatch(batch: readonly string[]): Promise<void> {
    const out = await this.client.send(
      new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      { requestTimeout: BATCH_REQUEST_TIMEOUT_MS },
    );
    const failed = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
    if (failed.length > 0) {
      const first = failed[0]!;
      throw new StorageUnavailable(`s3 storage: delete failed for ${failed.length} object(s) (${first.Code ?? 'error'}: ${first.Key ?? '?'})`);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    assertPrefix(prefix);
    // Like a directory on disk: `files` lists files/..., not filesystem/...
    const dirPrefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    let token: string | undefined;
    do {
      const continuation = token;
      const page = await this.send('list', (options) =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: dirPrefix, ...(continuation ? { ContinuationToken: continuation } : {}) }),
          options,
        ),
        BATCH_REQUEST_TIMEOUT_MS,
      );
      for (const object of page.Contents ?? []) if (object.Key !== undefined) yield object.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async ping(): Promise<void> {
    await this.send('ping', (options) => this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), options));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
