/**
 * Local-disk storage: objects are files under `root` at their key's path (keys are generated
 * by the server and checked against OBJECT_KEY, so a path never comes from a client).
 *
 * Durability: an upload is already a complete, fsynced temporary file in the same data
 * directory, so storing it is a rename (copy across filesystems), then an fsync of the
 * directory that now names it. Small buffers go through a temporary file and a rename too,
 * so a reader never sees half an object.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { assertObjectKey, assertPrefix, ObjectNotFound, StorageUnavailable, type BlobStorage, type ByteRange, type StoredObject } from './blob-storage.js';

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Disk errors other than "not there" (full disk, permissions, I/O): the store is unavailable. */
function unavailable(action: string, err: unknown): StorageUnavailable {
  return new StorageUnavailable(`local storage: ${action} failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
}

export class LocalStorage implements BlobStorage {
  readonly kind = 'local' as const;

  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    assertObjectKey(key);
    return join(this.root, ...key.split('/'));
  }

  private async place(target: string, move: (tmp: string) => Promise<void>): Promise<void> {
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.${randomUUID()}.part`;
    try {
      await move(tmp);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await fsyncPath(dirname(target));
  }

  async putFile(key: string, sourcePath: string): Promise<void> {
    const target = this.pathOf(key);
    try {
      await mkdir(dirname(target), { recursive: true });
      try {
        await rename(sourcePath, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
        await this.place(target, async (tmp) => {
          await copyFile(sourcePath, tmp);
          await fsyncPath(tmp);
        });
        return;
      }
      await fsyncPath(dirname(target));
    } catch (err) {
      throw unavailable('write', err);
    }
  }

  async putBuffer(key: string, bytes: Buffer): Promise<void> {
    const target = this.pathOf(key);
    try {
      await this.place(target, async (tmp) => {
        const handle = await open(tmp, 'wx', 0o600);
        try {
          await handle.writeFile(bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
      });
    } catch (err) {
      throw unavailable('write', err);
    }
  }

  async open(key: string, range?: ByteRange): Promise<StoredObject> {
    const path = this.pathOf(key);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isMissing(err)) throw new ObjectNotFound(key, { cause: err });
      throw unavailable('read', err);
    }
    const { size } = await handle.stat();
    const body = createReadStream('', { fd: handle, ...(range ? { start: range.start, end: range.end } : {}) });
    return { size, body };
  }

  async size(key: string): Promise<number | undefined> {
    const path = this.pathOf(key);
    try {
      return (await stat(path)).size;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw unavailable('stat', err);
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    // Every key is checked before the first one is deleted: a bad batch deletes nothing.
    const paths = keys.map((key) => this.pathOf(key));
    for (const path of paths) {
      try {
        await unlink(path);
      } catch (err) {
        if (!isMissing(err)) throw unavailable('delete', err);
      }
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    // Only key-shaped prefixes: nothing can walk out of the root.
    assertPrefix(prefix);
    const start = join(this.root, ...prefix.split('/').filter((s) => s !== ''));
    const stack = [start];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isMissing(err)) continue;
        throw unavailable('list', err);
      }
      for (const e of entries) {
        const path = join(dir, e.name);
        if (e.isDirectory()) stack.push(path);
        else if (e.isFile() && !e.name.endsWith('.part')) yield relative(this.root, path).split(sep).join('/');
      }
    }
  }

  async ping(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
    } catch (err) {
      throw unavailable('open', err);
    }
  }

  async close(): Promise<void> {
    // Nothing held open between calls.
  }
}
