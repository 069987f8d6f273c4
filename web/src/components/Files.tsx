/**
 * Files in the client: the composer's attachments (uploading chips, drag and drop), a post's
 * files (inline image previews, cards for everything else) and the full-size image viewer.
 *
 * Every image is a same-origin `<img src="/api/v1/files/…">` (the session cookie authorizes
 * it) and every layout value is an attribute or a React style property, never a style
 * attribute written into HTML: the page's strict CSP stays as it is.
 */
import { useCallback, useEffect, useRef, useState, useSyncExternalStore, type DragEvent } from 'react';
import { AttachmentTray, type Attachment } from '../lib/attachments.js';
import { fileKind, fileKindLabel, fileUrl, fitWithin, formatSize } from '../lib/files.js';
import type { FileInfo } from '../lib/types.js';
import { useChatActions, useChatSelector } from '../state/chat.js';
import { Dialog } from './Dialog.js';
import { CloseIcon, DownloadIcon, FileKindIcon } from './icons.js';
import { t } from '../i18n/index.js';

/**
 * One tray per composer (channel, or thread), kept while the person switches channels, as
 * drafts are. Keyed by the signed-in user too: another account in this tab starts empty.
 */
const trays = new Map<string, AttachmentTray>();

/** The attachment tray of a channel's composer (rootId null) or of a thread's. */
export function useAttachmentTray(channelId: string, rootId: string | null): AttachmentTray {
  const { api } = useChatActions();
  const meId = useChatSelector((s) => s.me.id);
  const key = `${meId}:${channelId}:${rootId ?? ''}`;
  let tray = trays.get(key);
  if (tray === undefined) {
    tray = new AttachmentTray({
      upload: (file, onProgress) => {
        const upload = api.uploadFile(channelId, file, file.name, onProgress);
        return { done: upload.done.then((answer) => answer.files[0] ?? answer), abort: () => upload.abort() };
      },
      discard: (fileId) => api.deleteFile(fileId),
    });
    trays.set(key, tray);
  }
  return tray;
}

export function useAttachments(tray: AttachmentTray): readonly Attachment[] {
  return useSyncExternalStore(tray.subscribe, tray.getSnapshot);
}

/** The chips above the message box: name, size, progress, the server's reason for a refusal, and cancel/remove. */
export function AttachmentList({ tray }: { readonly tray: AttachmentTray }) {
  const items = useAttachments(tray);
  if (items.length === 0) return null;
  return (
    <ul className="attachments" aria-label={t('files.attached')}>
      {items.map((a) => {
        const kind = fileKind(a.file?.mime_type ?? '', a.name.includes('.') ? a.name.slice(a.name.lastIndexOf('.') + 1) : '');
        return (
          <li key={a.key} className={`attachment ${a.status}`} data-status={a.status}>
            <span className="attachment-icon" aria-hidden="true"><FileKindIcon kind={kind} /></span>
            <span className="attachment-info">
              <span className="attachment-name" title={a.name}>{a.name}</span>
              <span className="attachment-meta">
                {a.status === 'uploading' && (
                  <>
                    <progress max={Math.max(a.size, 1)} value={a.sent} aria-label={t('files.uploading', { name: a.name })} />
                    <span className="muted">{formatSize(a.sent)} of {formatSize(a.size)}</span>
                  </>
                )}
                {a.status === 'done' && <span className="muted">{formatSize(a.size)}</span>}
                {a.status === 'failed' && <span className="error" role="alert">{a.error ?? t('files.uploadFailed')}</span>}
              </span>
            </span>
            <button type="button" className="icon" aria-label={a.status === 'uploading' ? t('files.cancelUploadOf', { name: a.name }) : t('files.removeName', { name: a.name })} title={a.status === 'uploading' ? t('files.cancelUpload') : t('files.remove')} onClick={() => tray.remove(a.key)}>
              <CloseIcon />
            </button>
          </li>
        );
      })}
    </ul>
  );
}

function draggingFiles(e: DragEvent | globalThis.DragEvent): boolean {
  return e.dataTransfer !== null && Array.from(e.dataTransfer.types).includes('Files');
}

/**
 * Drag and drop of files onto an area (the channel view, a thread): handlers for the area,
 * and whether files are being dragged over it (to show the drop hint). While mounted, a file
 * dropped anywhere else on the page is ignored rather than opened by the browser in place
 * of the app.
 */
export function useFileDrop(onFiles: (files: File[]) => void) {
  const [over, setOver] = useState(false);
  const depth = useRef(0);
  useEffect(() => {
    const swallow = (e: globalThis.DragEvent) => {
      // A file input (the profile picture's) takes dropped files itself.
      if (e.target instanceof HTMLInputElement && e.target.type === 'file') return;
      if (draggingFiles(e)) e.preventDefault();
    };
    window.addEventListener('dragover', swallow);
    window.addEventListener('drop', swallow);
    return () => {
      window.removeEventListener('dragover', swallow);
      window.removeEventListener('drop', swallow);
    };
  }, []);
  const onDragEnter = useCallback((e: DragEvent) => {
    if (!draggingFiles(e)) return;
    e.preventDefault();
    depth.current++;
    setOver(true);
  }, []);
  const onDragOver = useCallback((e: DragEvent) => {
    if (!draggingFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  }, []);
  const onDragLeave = useCallback((e: DragEvent) => {
    if (!draggingFiles(e)) return;
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) setOver(false);
  }, []);
  const onDrop = useCallback((e: DragEvent) => {
    if (!draggingFiles(e)) return;
    e.preventDefault();
    depth.current = 0;
    setOver(false);
    const files = Array.from(e.dataTransfer.files);
    if (files.length > 0) onFiles(files);
  }, [onFiles]);
  return { over, handlers: { onDragEnter, onDragOver, onDragLeave, onDrop } };
}

/** The hint shown over an area while files are dragged onto it. */
export function DropHint({ label }: { readonly label: string }) {
  return <div className="drop-hint" aria-hidden="true"><span>{label}</span></div>;
}

const INLINE_MAX_WIDTH = 400;
const INLINE_MAX_HEIGHT = 300;

/** A file that is not shown inline: icon by type, name, size, and a download link. */
export function FileCard({ file }: { readonly file: FileInfo }) {
  const kind = fileKind(file.mime_type, file.extension);
  return (
    <div className="file-card">
      <span className="file-icon" role="img" aria-label={fileKindLabel(kind)}><FileKindIcon kind={kind} /></span>
      <span className="file-info">
        <a className="file-name" href={fileUrl(file.id, 'download')} download={file.name} title={file.name}>{file.name}</a>
        <span className="muted">{formatSize(file.size)}</span>
      </span>
      <a className="button icon-button" href={fileUrl(file.id, 'download')} download={file.name} aria-label={t('files.downloadName', { name: file.name })} title={t('files.download')}>
        <DownloadIcon />
      </a>
    </div>
  );
}

/** The full-size image in a dialog, with its name, size and a download link; Escape closes it. */
export function ImageViewer({ file, onClose }: { readonly file: FileInfo; readonly onClose: () => void }) {
  return (
    <Dialog title={file.name} onClose={onClose} className="image-viewer">
      <div className="image-viewer-body">
        <img src={fileUrl(file.id, 'download')} alt={file.name} {...(file.width !== undefined && file.height !== undefined ? { width: file.width, height: file.height } : {})} />
      </div>
      <div className="dialog-actions">
        <span className="muted image-viewer-meta">
          {file.width !== undefined && file.height !== undefined ? `${file.width} × ${file.height}, ` : ''}{formatSize(file.size)}
        </span>
        <a className="button" href={fileUrl(file.id, 'download')} download={file.name}><DownloadIcon /> {t('files.download')}</a>
        <button type="button" className="primary" onClick={onClose}>{t('common.close')}</button>
      </div>
    </Dialog>
  );
}

/** A post's files: images with a preview inline (click for the viewer), the rest as cards. */
export function PostFiles({ files }: { readonly files: readonly FileInfo[] }) {
  const [viewing, setViewing] = useState<FileInfo | undefined>(undefined);
  if (files.length === 0) return null;
  const images = files.filter((f) => f.has_preview);
  const others = files.filter((f) => !f.has_preview);
  return (
    <div className="post-files">
      {images.length > 0 && (
        <ul className="post-images" aria-label={t('files.images')}>
          {images.map((f) => {
            const box = fitWithin(f.width, f.height, INLINE_MAX_WIDTH, INLINE_MAX_HEIGHT);
            return (
              <li key={f.id}>
                <button type="button" className="image-button" aria-haspopup="dialog" aria-label={t('files.openImage', { name: f.name })} title={f.name} onClick={() => setViewing(f)}>
                  <img src={fileUrl(f.id, 'preview')} alt={f.name} width={box.width} height={box.height} loading="lazy" decoding="async" />
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {others.length > 0 && (
        <ul className="post-cards" aria-label={t('files.files')}>
          {others.map((f) => <li key={f.id}><FileCard file={f} /></li>)}
        </ul>
      )}
      {viewing !== undefined && <ImageViewer file={viewing} onClose={() => setViewing(undefined)} />}
    </div>
  );
}
