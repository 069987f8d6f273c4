/**
 * The files a person is attaching to the message they are writing. Each file uploads at once,
 * on its own request (its own progress bar, its own cancel); the message then names the
 * finished ones in `file_ids`. A file removed after its upload is deleted on the server (it
 * would otherwise wait for the sweep of unattached uploads).
 *
 * Plain state with subscribe/getSnapshot (for useSyncExternalStore); the uploads themselves
 * are injected, so the rules run under Vitest without a browser.
 */
import { ApiError, describeError } from './api.js';
import { MAX_FILES_PER_POST } from './files.js';
import type { FileInfo } from './types.js';
import { t } from '../i18n/index.js';

export interface Attachment {
  /** The tray's own key (the server id is known only once uploaded). */
  readonly key: string;
  readonly name: string;
  readonly size: number;
  readonly status: 'uploading' | 'done' | 'failed';
  /** Bytes sent so far (the upload's own count, request framing included, at most `size`). */
  readonly sent: number;
  readonly file?: FileInfo;
  readonly error?: string;
}

export interface Uploader {
  /** Starts uploading one file to the tray's channel. */
  upload(file: File, onProgress: (sent: number, total: number) => void): { readonly done: Promise<FileInfo>; abort(): void };
  /** Deletes an uploaded file that will not be sent after all. */
  discard(fileId: string): Promise<unknown>;
}

/**
 * What to tell the person about a failed upload: the server's own sentence for what it refused
 * (too large, over quota, not an image it can read, storage unavailable), the generic one otherwise.
 */
export function uploadErrorText(err: unknown): string {
  if (err instanceof ApiError && err.status >= 400 && err.status !== 429 && err.status !== 500) return err.message;
  return describeError(err);
}

export class AttachmentTray {
  private list: readonly Attachment[] = [];
  private readonly aborts = new Map<string, () => void>();
  private readonly listeners = new Set<() => void>();
  private seq = 0;

  constructor(private readonly uploader: Uploader) {}

  /** The current list; the same array until something changes. */
  readonly getSnapshot = (): readonly Attachment[] => this.list;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Whether any file is still on its way. */
  get uploading(): boolean {
    return this.list.some((a) => a.status === 'uploading');
  }

  /** Files that count toward the per-message limit (failed ones do not). */
  private get counted(): number {
    return this.list.filter((a) => a.status !== 'failed').length;
  }

  private set(list: readonly Attachment[]): void {
    this.list = list;
    for (const l of this.listeners) l();
  }

  private update(key: string, patch: Partial<Attachment>): boolean {
    if (!this.list.some((a) => a.key === key)) return false;
    this.set(this.list.map((a) => (a.key === key ? { ...a, ...patch } : a)));
    return true;
  }

  /** Starts uploading the files; returns how many were left out (beyond MAX_FILES_PER_POST). */
  add(files: readonly File[]): number {
    const room = Math.max(0, MAX_FILES_PER_POST - this.counted);
    const taken = files.slice(0, room);
    for (const file of taken) {
      const key = `a${++this.seq}`;
      this.set([...this.list, { key, name: file.name || t('file.defaultName'), size: file.size, status: 'uploading', sent: 0 }]);
      const upload = this.uploader.upload(file, (sent) => {
        const item = this.list.find((a) => a.key === key);
        if (item?.status === 'uploading') this.update(key, { sent: Math.min(sent, item.size) });
      });
      this.aborts.set(key, () => upload.abort());
      upload.done.then(
        (info) => {
          this.aborts.delete(key);
          // Removed while its answer was on the way: the server has it, so it goes there too.
          if (!this.update(key, { status: 'done', sent: file.size, file: info })) this.uploader.discard(info.id).catch(() => undefined);
        },
        (err: unknown) => {
          this.aborts.delete(key);
          this.update(key, { status: 'failed', error: uploadErrorText(err) });
        },
      );
    }
    return files.length - taken.length;
  }

  /** Cancels an upload in progress, deletes a finished one from the server, or forgets a failed one. */
  remove(key: string): void {
    const item = this.list.find((a) => a.key === key);
    if (item === undefined) return;
    this.set(this.list.filter((a) => a.key !== key));
    if (item.status === 'uploading') {
      this.aborts.get(key)?.();
      this.aborts.delete(key);
    } else if (item.status === 'done' && item.file !== undefined) {
      // Best effort: what is left behind is swept with the other unattached uploads.
      this.uploader.discard(item.file.id).catch(() => undefined);
    }
  }

  /** Takes the uploaded files out of the tray, for the message being sent; uploads still running or failed stay. */
  take(): FileInfo[] {
    const done = this.list.filter((a) => a.status === 'done' && a.file !== undefined);
    if (done.length === 0) return [];
    this.set(this.list.filter((a) => !done.includes(a)));
    return done.map((a) => a.file!);
  }
}
