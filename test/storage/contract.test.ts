/**
 * The BlobStorage contract, run on every driver: local disk (a temporary directory) and S3
 * (a real s3rver on loopback). Then what only one driver can show: S3 failing fast and
 * cleanly when the store is unreachable, and the local driver moving an upload in place.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Config } from '../../src/config/config.js';
import { derivedKey, newObjectKey, ObjectNotFound, StorageUnavailable, type BlobStorage } from '../../src/storage/blob-storage.js';
import { LocalStorage } from '../../src/storage/local.js';
import { S3Storage } from '../../src/storage/s3.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

interface OpenDriver {
  readonly storage: BlobStorage;
  /** A directory for source files (same filesystem as the local root). */
  readonly scratch: string;
  /** Where `../name` from the storage root would land, to prove nothing escaped there. */
  readonly outside: string | undefined;
  /** Requests the store has received so far, where it can tell (S3), to prove none was sent. */
  requestCount(): Promise<number | undefined>;
  close(): Promise<void>;
}

interface DriverFactory {
  readonly name: string;
  open(): Promise<OpenDriver>;
}

const factories: DriverFactory[] = [
  {
    name: 'local',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'rustchat-storage-'));
      const scratch = join(dir, 'scratch');
      await mkdir(scratch);
      const storage = new LocalStorage(join(dir, 'root'));
      return {
        storage,
        scratch,
        outside: dir,
        requestCount: async () => undefined,
        async close() {
          await storage.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 's3',
    async open() {
      const s3 = await startS3();
      const scratch = await mkdtemp(join(tmpdir(), 'rustchat-storage-'));
      const storage = new S3Storage(s3.config);
      return {
        storage,
        scratch,
        outside: undefined,
        requestCount: async () => (await s3.requests()).length,
        async close() {
          await storage.close();
          await s3.stop();
          await rm(scratch, { recursive: true, force: true });
        },
      };
    },
  },
];

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function sourceFile(dir: string, bytes: Buffer): Promise<string> {
  const path = join(dir, `${randomUUID()}.upload`);
  await writeFile(path, bytes);
  return path;
}

/** Rejects as a refused key: a plain error naming the problem, not a storage outcome. */
async function expectRefused(action: Promise<unknown>): Promise<void> {
  const err: unknown = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the call should have been refused').toBeInstanceOf(Error);
  expect(err).not.toBeInstanceOf(ObjectNotFound);
  expect(err).not.toBeInstanceOf(StorageUnavailable);
  expect((err as Error).message).toMatch(/not a storage key/);
}

const uuid = randomUUID();
const BAD_KEYS = [
  '../x',
  'files/../../etc/passwd',
  '/etc/passwd',
  `/files/2024/01/${uuid}`,
  `files/2024/01/${uuid}\0`,
  `files/2024/01/${uuid}\0/../../../x`,
  `files/2024/01/${uuid}/../../../../x`,
  `files/2024/01/${uuid}\n`,
  `files\\2024\\01\\${uuid}`,
  `FILES/2024/01/${uuid}`,
  `files/2024/01/${uuid}.`,
  `files/2024/01/${uuid}./..`,
  '',
  '.',
  'files',
];

describe.each(factories)('BlobStorage contract: $name', (factory) => {
  let d: OpenDriver;

  beforeAll(async () => {
    d = await factory.open();
  });

  afterAll(async () => {
    await d?.close();
  });

  it('answers ping', async () => {
    await d.storage.ping();
  });

  it('putFile stores a small file and open reads it back whole', async () => {
    const bytes = randomBytes(1000);
    const key = newObjectKey('files');
    await d.storage.putFile(key, await sourceFile(d.scratch, bytes), 'application/octet-stream');
    const object = await d.storage.open(key);
    expect(object.size).toBe(bytes.length);
    expect((await readAll(object.body)).equals(bytes)).toBe(true);
  });

  it('putFile stores a 12 MB file (multipart on S3) byte for byte', async () => {
    const bytes = randomBytes(12 * 1024 * 1024);
    const key = newObjectKey('files');
    await d.storage.putFile(key, await sourceFile(d.scratch, bytes), 'video/mp4');
    expect(await d.storage.size(key)).toBe(bytes.length);
    const object = await d.storage.open(key);
    expect(object.size).toBe(bytes.length);
    const back = await readAll(object.body);
    expect(back.length).toBe(bytes.length);
    expect(back.equals(bytes)).toBe(true);
  });

  it('putFile stores an empty file', async () => {
    const key = newObjectKey('files');
    await d.storage.putFile(key, await sourceFile(d.scratch, Buffer.alloc(0)), 'text/plain');
    expect(await d.storage.size(key)).toBe(0);
    const object = await d.storage.open(key);
    expect(object.size).toBe(0);
    expect((await readAll(object.body)).length).toBe(0);
  });

  it('putBuffer stores bytes and open reads them back', async () => {
    const bytes = randomBytes(4321);
    const key = derivedKey(newObjectKey('files'), 'thumb');
    await d.storage.putBuffer(key, bytes, 'image/webp');
    const object = await d.storage.open(key);
    expect(object.size).toBe(bytes.length);
    expect((await readAll(object.body)).equals(bytes)).toBe(true);
  });

  it('open with a byte range returns exactly those bytes and the full size', async () => {
    const bytes = randomBytes(100_000);
    const key = newObjectKey('files');
    await d.storage.putBuffer(key, bytes, 'application/octet-stream');
    const last = bytes.length - 1;
    for (const range of [
      // s3rver answers bytes=0-0 with the whole object: the driver must cut the byte out.
      { start: 0, end: 0 },
      { start: 0, end: 9 },
      { start: 40_000, end: 59_999 },
      { start: last, end: last },
      { start: 99_990, end: last },
      { start: 0, end: last },
    ]) {
      const object = await d.storage.open(key, range);
      expect(object.size, JSON.stringify(range)).toBe(bytes.length);
      const back = await readAll(object.body);
      expect(back.equals(bytes.subarray(range.start, range.end + 1)), JSON.stringify(range)).toBe(true);
    }
  });

  it('size answers for a present object and undefined for an absent one', async () => {
    const key = newObjectKey('avatars');
    await d.storage.putBuffer(key, Buffer.from('hello'), 'text/plain');
    expect(await d.storage.size(key)).toBe(5);
    expect(await d.storage.size(newObjectKey('files'))).toBeUndefined();
  });

  it('open of an absent key rejects with ObjectNotFound', async () => {
    const key = newObjectKey('files');
    const err: unknown = await d.storage.open(key).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ObjectNotFound);
    expect((err as ObjectNotFound).key).toBe(key);
    await expect(d.storage.open(key, { start: 0, end: 0 })).rejects.toBeInstanceOf(ObjectNotFound);
  });

  it('delete removes present objects and ignores absent ones', async () => {
    const present = [newObjectKey('files'), newObjectKey('files')];
    for (const key of present) await d.storage.putBuffer(key, randomBytes(10), 'application/octet-stream');
    const keep = newObjectKey('files');
    await d.storage.putBuffer(keep, randomBytes(10), 'application/octet-stream');
    await d.storage.delete([present[0]!, newObjectKey('files'), present[1]!]);
    for (const key of present) {
      expect(await d.storage.size(key)).toBeUndefined();
      await expect(d.storage.open(key)).rejects.toBeInstanceOf(ObjectNotFound);
    }
    expect(await d.storage.size(keep)).toBe(10);
    await d.storage.delete([]);
    await d.storage.delete([newObjectKey('avatars')]);
    // Deleting again is as fine as deleting something that never existed.
    await d.storage.delete(present);
  });

  it('delete handles more keys than one S3 DeleteObjects batch', async () => {
    const when = new Date(Date.UTC(2003, 4, 5));
    const keys = Array.from({ length: 1003 }, () => newObjectKey('files', when));
    const stored = [keys[0]!, keys[999]!, keys[1000]!, keys[1002]!];
    for (const key of stored) await d.storage.putBuffer(key, Buffer.from('x'), 'text/plain');
    await d.storage.delete(keys);
    for (const key of stored) expect(await d.storage.size(key)).toBeUndefined();
    expect(await collect(d.storage.list('files/2003/05'))).toEqual([]);
  });

  it('list(prefix) returns exactly the keys stored under that prefix', async () => {
    // Months nothing else in this suite writes to, so the listing is exactly ours.
    const feb = new Date(Date.UTC(2001, 1, 3));
    const mar = new Date(Date.UTC(2001, 2, 3));
    const files = [newObjectKey('files', feb), newObjectKey('files', feb), newObjectKey('files', mar)];
    const thumb = derivedKey(files[0]!, 'thumb');
    const avatars = [newObjectKey('avatars', feb)];
    for (const key of [...files, thumb, ...avatars]) await d.storage.putBuffer(key, Buffer.from(key), 'text/plain');

    expect((await collect(d.storage.list('files/2001/02'))).sort()).toEqual([files[0]!, files[1]!, thumb].sort());
    expect((await collect(d.storage.list('files/2001/02/'))).sort()).toEqual([files[0]!, files[1]!, thumb].sort());
    expect((await collect(d.storage.list('files/2001'))).sort()).toEqual([...files, thumb].sort());
    expect(await collect(d.storage.list('avatars/2001'))).toEqual(avatars);
    expect(await collect(d.storage.list('files/2001/04'))).toEqual([]);
    // A prefix names a directory of keys; nothing else is listed (on disk it could climb out of the root).
    await expect(collect(d.storage.list('../..'))).rejects.toThrow(/not a storage prefix/);
    expect(await collect(d.storage.list('files/1999'))).toEqual([]);

    const everything = await collect(d.storage.list('files'));
    for (const key of [...files, thumb]) expect(everything).toContain(key);
    for (const key of everything) expect(key.startsWith('files/')).toBe(true);
  });

  it('putFile, putBuffer and open refuse keys that do not match OBJECT_KEY, before touching storage', async () => {
    const before = await d.requestCount();
    for (const key of BAD_KEYS) {
      const source = await sourceFile(d.scratch, Buffer.from('secret'));
      await expectRefused(d.storage.putFile(key, source, 'text/plain'));
      expect(existsSync(source), `putFile(${JSON.stringify(key)}) left the source alone`).toBe(true);
      await expectRefused(d.storage.putBuffer(key, Buffer.from('x'), 'text/plain'));
      await expectRefused(d.storage.open(key));
      await expectRefused(d.storage.open(key, { start: 0, end: 0 }));
    }
    if (d.outside !== undefined) expect(existsSync(join(d.outside, 'x'))).toBe(false);
    expect(await d.requestCount()).toBe(before);
  });


  it('size and delete refuse keys that do not match OBJECT_KEY, as a refusal', async () => {
    const before = await d.requestCount();
    for (const key of BAD_KEYS) {
      await expectRefused(d.storage.size(key));
      await expectRefused(d.storage.delete([key]));
    }
    expect(await d.requestCount()).toBe(before);
  });

  it('delete refuses a batch containing a bad key without deleting any of it', async () => {
    const good = newObjectKey('files');
    await d.storage.putBuffer(good, Buffer.from('keep me'), 'text/plain');
    const before = await d.requestCount();
    await expectRefused(d.storage.delete([good, '../x']));
    expect(await d.requestCount()).toBe(before);
    expect(await d.storage.size(good)).toBe(7);
  });
});

async function collect(keys: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of keys) out.push(key);
  return out;
}

/** A loopback port nothing listens on (bound, noted, released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return address.port;
}

/** A server that accepts connections and never answers (a hung store). */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return {
    port: address.port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * An HTTP proxy in front of `target` that answers DeleteObjects (POST ?delete) with 501
 * NotImplemented, as some S3-compatible stores do, and passes everything else through.
 */
async function refusingBulkDelete(target: string): Promise<{ endpoint: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server = createHttpServer((req, res) => {
    if (req.method === 'POST' && /[?&]delete(=|&|$)/.test(req.url ?? '')) {
      req.resume();
      res.writeHead(501, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code><Message>not here</Message></Error>');
      return;
    }
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The error `action` rejects with and how long it took. */
async function failure(action: () => Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const started = performance.now();
  const err = await action().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, ms: performance.now() - started };
}

describe('S3 storage only', () => {
  let s3: TestS3;

  beforeAll(async () => {
    s3 = await startS3();
  });

  afterAll(async () => {
    await s3?.stop();
  });

  function pointedAt(config: Partial<S3Config>): S3Storage {
    return new S3Storage({ ...s3.config, ...config });
  }

  it('putFile sends a 12 MB file in 5 MB multipart parts', async () => {
    const storage = new S3Storage(s3.config);
    const dir = await mkdtemp(join(tmpdir(), 'rustchat-storage-'));
    try {
      const bytes = randomBytes(12 * 1024 * 1024);
      const key = newObjectKey('files');
      const seen = (await s3.requests()).length;
      await storage.putFile(key, await sourceFile(dir, bytes), 'application/octet-stream');
      const forKey = (await s3.requests()).slice(seen).filter((r) => r.url.startsWith(`/${s3.config.bucket}/${key}?`));
      const parts = forKey.filter((r) => r.method === 'PUT' && /[?&]partNumber=\d+/.test(r.url) && /[?&]uploadId=/.test(r.url));
      expect(parts.length).toBe(3);
      expect(forKey.some((r) => r.method === 'POST' && /[?&]uploads\b/.test(r.url))).toBe(true);
      expect((await readAll((await storage.open(key)).body)).equals(bytes)).toBe(true);
    } finally {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('list pages through more keys than one ListObjectsV2 answer holds', async () => {
    const storage = new S3Storage(s3.config);
    try {
      const when = new Date(Date.UTC(2002, 6, 1));
      const keys = Array.from({ length: 1010 }, () => newObjectKey('files', when));
      for (let i = 0; i < keys.length; i += 20) {
        await Promise.all(keys.slice(i, i + 20).map((key) => storage.putBuffer(key, Buffer.from('x'), 'text/plain')));
      }
      const seen = (await s3.requests()).length;
      expect((await collect(storage.list('files/2002/07'))).sort()).toEqual([...keys].sort());
      const pages = (await s3.requests()).slice(seen).filter((r) => r.method === 'GET' && /[?&]list-type=2\b/.test(r.url));
      expect(pages.length).toBeGreaterThanOrEqual(2);
      await storage.delete(keys);
    } finally {
      await storage.close();
    }
  });

  it('delete sends DeleteObjects in batches of at most 1000 keys', async () => {
    const storage = new S3Storage(s3.config);
    try {
      const keys = Array.from({ length: 2500 }, () => newObjectKey('files'));
      const stored = [keys[0]!, keys[1500]!, keys[2499]!];
      for (const key of stored) await storage.putBuffer(key, Buffer.from('x'), 'text/plain');
      const seen = (await s3.requests()).length;
      await storage.delete(keys);
      const bulk = (await s3.requests()).slice(seen).filter((r) => r.method === 'POST' && /[?&]delete\b/.test(r.url));
      expect(bulk.length).toBe(3);
      for (const key of stored) expect(await storage.size(key)).toBeUndefined();
    } finally {
      await storage.close();
    }
  });

  it('delete falls back to one DeleteObject per key when the server refuses DeleteObjects', async () => {
    const proxy = await refusingBulkDelete(s3.config.endpoint!);
    const storage = pointedAt({ endpoint: proxy.endpoint });
    try {
      const first = [newObjectKey('files'), newObjectKey('files')];
      const second = [newObjectKey('files')];
      for (const key of [...first, ...second]) await storage.putBuffer(key, Buffer.from('x'), 'text/plain');
      const seen = (await s3.requests()).length;
      await storage.delete([...first, newObjectKey('files')]);
      for (const key of first) expect(await storage.size(key)).toBeUndefined();
      await storage.delete(second);
      expect(await storage.size(second[0]!)).toBeUndefined();
      const reached = (await s3.requests()).slice(seen);
      expect(reached.filter((r) => r.method === 'DELETE').length).toBe(4);
      expect(reached.some((r) => r.method === 'POST')).toBe(false);
    } finally {
      await storage.close();
      await proxy.close();
    }
  });

  it('a closed port: putBuffer, open, size, delete, ping reject with StorageUnavailable within seconds', async () => {
    const storage = pointedAt({ endpoint: `http://127.0.0.1:${await closedPort()}` });
    try {
      const key = newObjectKey('files');
      for (const [name, action] of [
        ['putBuffer', () => storage.putBuffer(key, Buffer.from('x'), 'text/plain')],
        ['open', () => storage.open(key)],
        ['size', () => storage.size(key)],
        ['delete', () => storage.delete([key])],
        ['ping', () => storage.ping()],
      ] as const) {
        const { err, ms } = await failure(action);
        expect(err, name).toBeInstanceOf(StorageUnavailable);
        expect((err as Error).message, name).toMatch(/^s3 storage: \w+ failed \(ECONNREFUSED\)$/);
        expect((err as Error).cause, name).toBeDefined();
        expect(ms, name).toBeLessThan(10_000);
      }
    } finally {
      await storage.close();
    }
  });

  it('a closed port: putFile rejects with StorageUnavailable within seconds', async () => {
    const storage = pointedAt({ endpoint: `http://127.0.0.1:${await closedPort()}` });
    const dir = await mkdtemp(join(tmpdir(), 'rustchat-storage-'));
    try {
      const { err, ms } = await failure(async () => storage.putFile(newObjectKey('files'), await sourceFile(dir, randomBytes(1000)), 'text/plain'));
      expect(err).toBeInstanceOf(StorageUnavailable);
      expect(ms).toBeLessThan(10_000);
    } finally {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a server that never answers: ping rejects with StorageUnavailable within seconds', async () => {
    const hung = await silentServer();
    const storage = pointedAt({ endpoint: `http://127.0.0.1:${hung.port}` });
    try {
      const { err, ms } = await failure(() => storage.ping());
      expect(err).toBeInstanceOf(StorageUnavailable);
      expect(ms).toBeLessThan(10_000);
    } finally {
      await storage.close();
      await hung.close();
    }
  });

  it('unknown credentials: StorageUnavailable that mentions neither the key id nor the secret', async () => {
    const credentials = { accessKeyId: `AKID${randomUUID().replaceAll('-', '')}`, secretAccessKey: `SECRET${randomUUID().replaceAll('-', '')}` };
    const storage = pointedAt({ credentials });
    try {
      for (const action of [() => storage.ping(), () => storage.open(newObjectKey('files')), () => storage.putBuffer(newObjectKey('files'), Buffer.from('x'), 'text/plain')]) {
        const { err } = await failure(action);
        expect(err).toBeInstanceOf(StorageUnavailable);
        expect((err as Error).message).toMatch(/HTTP 403\)$/);
        const shown = inspect(err, { depth: 10, showHidden: true });
        expect(shown).not.toContain(credentials.accessKeyId);
        expect(shown).not.toContain(credentials.secretAccessKey);
      }
    } finally {
      await storage.close();
    }
  });

  it('a missing bucket is StorageUnavailable, not ObjectNotFound', async () => {
    const storage = pointedAt({ bucket: 'no-such-bucket' });
    try {
      await expect(storage.ping()).rejects.toBeInstanceOf(StorageUnavailable);
      await expect(storage.open(newObjectKey('files'))).rejects.toBeInstanceOf(StorageUnavailable);
      await expect(storage.putBuffer(newObjectKey('files'), Buffer.from('x'), 'text/plain')).rejects.toBeInstanceOf(StorageUnavailable);
    } finally {
      await storage.close();
    }
  });
});

describe('local storage', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rustchat-storage-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('putFile moves the temporary file into place on the same filesystem', async () => {
    const root = join(dir, 'root');
    const storage: BlobStorage = new LocalStorage(root);
    const bytes = randomBytes(2048);
    const source = await sourceFile(dir, bytes);
    const before = await stat(source);
    const key = newObjectKey('files');
    await storage.putFile(key, source, 'application/octet-stream');
    expect(existsSync(source)).toBe(false);
    const after = await stat(join(root, ...key.split('/')));
    expect(after.ino).toBe(before.ino);
    expect(after.dev).toBe(before.dev);
    expect((await readAll((await storage.open(key)).body)).equals(bytes)).toBe(true);
  });
});
