/**
 * Files in the client without a browser: the helpers that name, size and place files, the
 * REST client's uploads through a scripted transport, and the composer's attachment tray
 * (upload, progress, cancel, remove, the per-message limit) with a scripted uploader.
 */
import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError, abortedError, type UploadRequest, type UploadResponse } from '../../web/src/lib/api.js';
import { AttachmentTray, uploadErrorText, type Uploader } from '../../web/src/lib/attachments.js';
import { MAX_FILES_PER_POST, avatarSrc, fileKind, fileUrl, fitWithin, formatSize, previewImageSrc } from '../../web/src/lib/files.js';
import type { FileInfo } from '../../web/src/lib/types.js';

const info = (id: string, name = `${id}.txt`): FileInfo => ({
  id, name, extension: 'txt', mime_type: 'text/plain', size: 3, has_preview: false, user_id: 'me', channel_id: 'c1', post_id: null, created_at: 1,
});

describe('file helpers', () => {
  it('sizes for people, in powers of 1024', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(1023)).toBe('1023 B');
    expect(formatSize(1536)).toBe('1.5 KB');
    expect(formatSize(50 * 1024 ** 2)).toBe('50 MB');
    expect(formatSize(12.34 * 1024 ** 3)).toBe('12 GB');
  });

  it('kinds by detected type first, then by extension', () => {
    expect(fileKind('image/png', 'png')).toBe('image');
    expect(fileKind('application/pdf', '')).toBe('pdf');
    expect(fileKind('application/zip', 'docx')).toBe('document');
    expect(fileKind('application/octet-stream', 'csv')).toBe('spreadsheet');
    expect(fileKind('application/gzip', '')).toBe('archive');
    expect(fileKind('text/plain', 'weird')).toBe('text');
    expect(fileKind('application/octet-stream', '')).toBe('other');
  });

  it('fits an image into the inline box without enlarging it', () => {
    expect(fitWithin(1920, 1080, 400, 300)).toEqual({ width: 400, height: 225 });
    expect(fitWithin(300, 1200, 400, 300)).toEqual({ width: 75, height: 300 });
    expect(fitWithin(64, 48, 400, 300)).toEqual({ width: 64, height: 48 });
    expect(fitWithin(undefined, 48, 400, 300)).toEqual({ width: 400, height: 300 });
  });

  it('file URLs are same-origin API paths; avatars only ever the server\'s own path', () => {
    expect(fileUrl('a/b', 'preview')).toBe('/api/v1/files/a%2Fb/preview');
    const id = '0b9d6f52-7f4e-4a53-9d40-4d6f1d2a7a11';
    expect(avatarSrc(`/api/v1/users/${id}/avatar?v=17`, 64)).toBe(`/api/v1/users/${id}/avatar?v=17&size=128`);
    expect(avatarSrc(`/api/v1/users/${id}/avatar?v=17`, 192)).toBe(`/api/v1/users/${id}/avatar?v=17&size=512`);
    for (const bad of [null, undefined, '', 'https://evil.example/a.png', '//evil.example/a.png', 'javascript:alert(1)', '/api/v1/users/x/../../evil', `/api/v1/users/${id}/avatar#x`]) {
      expect(avatarSrc(bad, 64), String(bad)).toBeUndefined();
    }
  });

  it('a link preview\'s image is only ever the server\'s own path, never the linked site', () => {
    const id = '0b9d6f52-7f4e-4a53-9d40-4d6f1d2a7a11';
    expect(previewImageSrc(`/api/v1/posts/${id}/preview/image?v=1733212800000`)).toBe(`/api/v1/posts/${id}/preview/image?v=1733212800000`);
    for (const bad of [null, undefined, '', 'https://evil.example/og.png', '//evil.example/og.png', 'data:image/svg+xml,<svg/>', `/api/v1/posts/${id}/preview/image?v=1&x=2`, '/api/v1/posts/../files/x/download', `/api/v1/posts/${id}/preview/image#x`]) {
      expect(previewImageSrc(bad), String(bad)).toBeUndefined();
    }
  });
});

describe('ApiClient uploads', () => {
  function scripted(response: UploadResponse | Error) {
    const sent: UploadRequest[] = [];
    let aborted = 0;
    const api = new ApiClient({
      fetch: () => Promise.reject(new Error('no fetch here')),
      getToken: () => 'tok',
      upload: (req) => {
        sent.push(req);
        req.onProgress?.(5, 10);
        return { done: response instanceof Error ? Promise.reject(response) : Promise.resolve(response), abort: () => aborted++ };
      },
    });
    return { api, sent, aborted: () => aborted };
  }

  it('posts the file in the multipart field "file" with the client\'s headers, and parses the answer', async () => {
    const answer = { ...info('f1'), files: [info('f1')] };
    const s = scripted({ status: 201, text: JSON.stringify(answer), retryAfter: null });
    const progress: number[] = [];
    const upload = s.api.uploadFile('c 1', new Blob(['abc']), 'a.txt', (n) => progress.push(n));
    expect(await upload.done).toEqual(answer);
    expect(progress).toEqual([5]);
    const req = s.sent[0]!;
    expect(req).toMatchObject({ method: 'POST', url: '/api/v1/files?channel_id=c+1', headers: { Authorization: 'Bearer tok', 'X-Requested-With': 'XMLHttpRequest' } });
    expect(req.headers['Content-Type']).toBeUndefined(); // the browser writes it, with the boundary
    const part = req.body.get('file');
    expect(part).toBeInstanceOf(File);
    expect((part as File).name).toBe('a.txt');
    upload.abort();
    expect(s.aborted()).toBe(1);
  });

  it('turns a refusal into an ApiError with the envelope\'s message; the avatar goes in the field "image"', async () => {
    const s = scripted({ status: 413, text: '{"error":{"code":"PAYLOAD_TOO_LARGE","message":"The file is larger than 50 MB","request_id":"r1"}}', retryAfter: null });
    const err = await s.api.setAvatar(new Blob(['x']), 'me.png').done.catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'The file is larger than 50 MB' });
    expect(uploadErrorText(err)).toBe('The file is larger than 50 MB');
    expect(s.sent[0]).toMatchObject({ method: 'PUT', url: '/api/v1/users/me/avatar' });
    expect(s.sent[0]!.body.get('image')).toBeInstanceOf(File);
    // A storage outage says what the server said; a crash stays generic.
    expect(uploadErrorText(new ApiError(503, 'UNAVAILABLE', 'File storage is unavailable'))).toBe('File storage is unavailable');
    expect(uploadErrorText(new ApiError(500, 'INTERNAL_ERROR', 'boom'))).toMatch(/^Something went wrong on the server/);
  });
});

/** An uploader whose uploads the test finishes by hand. */
function scriptedUploader() {
  const uploads: { file: File; progress: (sent: number, total: number) => void; resolve: (f: FileInfo) => void; reject: (e: unknown) => void; aborted: boolean }[] = [];
  const discarded: string[] = [];
  const uploader: Uploader = {
    upload(file, progress) {
      let resolve!: (f: FileInfo) => void;
      let reject!: (e: unknown) => void;
      const done = new Promise<FileInfo>((res, rej) => { resolve = res; reject = rej; });
      const entry = { file, progress, resolve, reject, aborted: false };
      uploads.push(entry);
      return {
        done,
        abort: () => {
          entry.aborted = true;
          reject(abortedError());
        },
      };
    },
    discard: async (id) => {
      discarded.push(id);
    },
  };
  return { uploader, uploads, discarded };
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};
const textFile = (name: string) => new File(['abc'], name, { type: 'text/plain' });

describe('AttachmentTray', () => {
  it('uploads each file at once, reports progress, and hands the finished ones to the message', async () => {
    const u = scriptedUploader();
    const tray = new AttachmentTray(u.uploader);
    let changes = 0;
    tray.subscribe(() => changes++);
    expect(tray.add([textFile('a.txt'), textFile('b.txt')])).toBe(0);
    expect(tray.getSnapshot().map((a) => [a.name, a.status])).toEqual([['a.txt', 'uploading'], ['b.txt', 'uploading']]);
    expect(tray.uploading).toBe(true);
    u.uploads[0]!.progress(2, 3);
    expect(tray.getSnapshot()[0]!.sent).toBe(2);
    u.uploads[0]!.progress(400, 500); // multipart framing counts too: never more than the file
    expect(tray.getSnapshot()[0]!.sent).toBe(3);
    u.uploads[0]!.resolve(info('f1', 'a.txt'));
    u.uploads[1]!.reject(new ApiError(413, 'PAYLOAD_TOO_LARGE', 'Over your quota'));
    await settle();
    expect(tray.getSnapshot().map((a) => [a.name, a.status, a.error])).toEqual([['a.txt', 'done', undefined], ['b.txt', 'failed', 'Over your quota']]);
    expect(tray.uploading).toBe(false);
    expect(tray.take().map((f) => f.id)).toEqual(['f1']);
    // The failed one stays, with its reason, until removed.
    expect(tray.getSnapshot().map((a) => a.name)).toEqual(['b.txt']);
    expect(tray.take()).toEqual([]);
    expect(changes).toBeGreaterThan(4);
  });

  it('cancel aborts an upload; removing a finished one deletes it on the server, also when its answer comes after the cancel', async () => {
    const u = scriptedUploader();
    const tray = new AttachmentTray(u.uploader);
    tray.add([textFile('a.txt'), textFile('b.txt'), textFile('c.txt')]);
    const [a, b] = tray.getSnapshot();
    tray.remove(a!.key);
    expect(u.uploads[0]!.aborted).toBe(true);
    u.uploads[1]!.resolve(info('f2'));
    await settle();
    tray.remove(b!.key);
    await settle();
    expect(u.discarded).toEqual(['f2']);
    // The answer is in but not yet taken in when the person cancels: that file is deleted too.
    const c = tray.getSnapshot()[0]!;
    u.uploads[2]!.resolve(info('f3'));
    tray.remove(c.key);
    await settle();
    expect(u.discarded).toEqual(['f2', 'f3']);
    expect(tray.getSnapshot()).toEqual([]);
  });

  it(`takes at most ${MAX_FILES_PER_POST} files per message (failed ones do not count)`, async () => {
    const u = scriptedUploader();
    const tray = new AttachmentTray(u.uploader);
    expect(tray.add(Array.from({ length: 8 }, (_, i) => textFile(`${i}.txt`)))).toBe(0);
    u.uploads[0]!.reject(new ApiError(400, 'BAD_REQUEST', 'The image could not be read'));
    await settle();
    expect(tray.add([textFile('x.txt'), textFile('y.txt'), textFile('z.txt'), textFile('w.txt')])).toBe(1);
    expect(tray.getSnapshot().filter((a) => a.status !== 'failed')).toHaveLength(MAX_FILES_PER_POST);
    expect(u.uploads).toHaveLength(11);
  });
});
