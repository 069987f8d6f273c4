/** The right-hand panel: a thread (root and replies, with its own composer), the pinned messages, the members or the files of a channel. */
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { describeError } from '../lib/api.js';
import { fileKind, fileKindLabel, fileUrl, formatSize } from '../lib/files.js';
import type { Channel, FileInfo, Post } from '../lib/types.js';
import { useChat } from '../state/chat.js';
import { channelLabel, userLabel } from '../state/reducer.js';
import { PresenceDot, presenceLabel } from './bits.js';
import { PostList } from './ChannelView.js';
import { Composer, TypingIndicator, attachFiles } from './Composer.js';
import { DropHint, ImageViewer, useAttachmentTray, useFileDrop } from './Files.js';
import { CloseIcon, DownloadIcon, FileKindIcon } from './icons.js';
import { OutgoingItem, PostItem, rowProps } from './Post.js';
import { formatDate, t } from '../i18n/index.js';

/** Files dropped on a thread go to its composer (a panel whose thread is still loading has none yet). */
function ThreadDrop({ channelId, rootId, archived, children }: { readonly channelId: string; readonly rootId: string; readonly archived: boolean; readonly children: ReactNode }) {
  const { actions } = useChat();
  const tray = useAttachmentTray(channelId, rootId);
  const drop = useFileDrop(useCallback((files: File[]) => {
    if (archived) actions.notify(t('channel.archivedNoFiles'));
    else attachFiles(tray, files, actions);
  }, [archived, actions, tray]));
  return (
    <div className={`thread-drop${drop.over ? ' dropping' : ''}`} {...drop.handlers}>
      {children}
      {drop.over && <DropHint label={archived ? t('channel.archivedDrop') : t('panel.dropReply')} />}
    </div>
  );
}

export function ThreadPanel({ rootId, onClose }: { readonly rootId: string; readonly onClose: () => void }) {
  const { state, actions, outbox } = useChat();
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    actions.loadThread(rootId).catch((err: unknown) => setError(describeError(err)));
  }, [actions, rootId]);
  // Open on screen: the thread is read, now and whenever a reply comes (on all my devices).
  const unread = state.followed?.[rootId]?.unread_replies ?? 0;
  const known = state.followed?.[rootId] !== undefined;
  const following = state.followed?.[rootId]?.following === true;
  useEffect(() => {
    if (unread > 0 || !known) actions.markThreadRead(rootId).catch(() => undefined);
  }, [actions, rootId, unread, known]);
  const root = state.posts[rootId];
  const replies = (state.threads[rootId] ?? []).map((id) => state.posts[id]).filter((p): p is Post => p !== undefined);
  const channel = root !== undefined ? state.channels[root.channel_id] : undefined;
  const arrived = new Set(replies.map((p) => p.client_msg_id));
  const pending = outbox.filter((o) => o.rootId === rootId && !arrived.has(o.clientMsgId));
  return (
    <aside className="side-panel" aria-labelledby="thread-title">
      <header className="panel-header">
        <h2 id="thread-title">{t('panel.thread')}</h2>
        {channel !== undefined && <span className="muted">{t('where.inChannel', { channel: channelLabel(state, channel) })}</span>}
        {root !== undefined && root.root_post_id === null && (
          <button type="button" aria-pressed={following} onClick={() => void actions.setThreadFollowing(rootId, !following).catch((err: unknown) => actions.notify(describeError(err)))}>
            {following ? t('panel.following') : t('panel.follow')}
          </button>
        )}
        <button type="button" className="icon" aria-label={t('panel.closeThread')} onClick={onClose}><CloseIcon /></button>
      </header>
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      {root === undefined && error === undefined && <p className="muted panel-note">{t('common.loading')}</p>}
      {root !== undefined && state.threads[rootId] === undefined && error === undefined && <p className="muted panel-note">{t('panel.loadingReplies')}</p>}
      {root !== undefined && (
        <ThreadDrop channelId={root.channel_id} rootId={rootId} archived={channel?.is_archived === true}>
          <div className="messages thread" role="log" aria-label={t('panel.threadMessages')} tabIndex={0}>
            <PostItem post={root} compact={false} context="thread" {...rowProps(state, root)} />
            {replies.length > 0 && <div className="day-separator" role="separator"><span>{t('post.replies', { count: replies.length })}</span></div>}
            <PostList posts={replies} context="thread" state={state} />
            {pending.map((o) => <OutgoingItem key={o.clientMsgId} item={o} />)}
          </div>
          <TypingIndicator channelId={root.channel_id} parentId={rootId} />
          <Composer channelId={root.channel_id} rootId={rootId} label={t('panel.replyToThread')} disabled={channel?.is_archived === true ? t('panel.archived') : undefined} />
        </ThreadDrop>
      )}
    </aside>
  );
}

export function PinnedPanel({ channel, onClose, onOpenThread }: { readonly channel: Channel; readonly onClose: () => void; readonly onOpenThread: (rootId: string) => void }) {
  const { state, actions } = useChat();
  const [fetched, setFetched] = useState<Post[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    actions.loadPinned(channel.id).then(setFetched, (err: unknown) => setError(describeError(err)));
  }, [actions, channel.id]);
  // What was fetched, kept current by the posts the client knows (pins and unpins since).
  const byId = new Map<string, Post>();
  for (const p of fetched ?? []) byId.set(p.id, state.posts[p.id] ?? p);
  for (const p of Object.values(state.posts)) if (p.channel_id === channel.id && p.is_pinned) byId.set(p.id, p);
  const pinned = [...byId.values()].filter((p) => p.is_pinned).sort((a, b) => b.seq - a.seq);
  return (
    <aside className="side-panel" aria-labelledby="pinned-title">
      <header className="panel-header">
        <h2 id="pinned-title">{t('panel.pinned')}</h2>
        <span className="muted">{t('where.inChannel', { channel: channelLabel(state, channel) })}</span>
        <button type="button" className="icon" aria-label={t('panel.closePinned')} onClick={onClose}><CloseIcon /></button>
      </header>
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      <div className="messages" aria-busy={fetched === undefined}>
        {fetched !== undefined && pinned.length === 0 && <p className="muted panel-note">{t('panel.nothingPinned')}</p>}
        {pinned.map((p) => <PostItem key={p.id} post={p} compact={false} context="pinned" onOpenThread={onOpenThread} {...rowProps(state, p)} />)}
      </div>
    </aside>
  );
}

export function MembersPanel({ channel, onClose, onOpenDirect }: { readonly channel: Channel; readonly onClose: () => void; readonly onOpenDirect: (c: Channel) => void }) {
  const { state, actions } = useChat();
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    actions.loadMembers(channel.id).catch((err: unknown) => setError(describeError(err)));
  }, [actions, channel.id]);
  const ids = state.members[channel.id];
  const people = (ids ?? []).map((id) => ({ id, user: state.users[id], status: state.presence[id] ?? 'offline' }))
    .sort((a, b) => Number(b.status !== 'offline') - Number(a.status !== 'offline') || (a.user ? userLabel(a.user) : '').localeCompare(b.user ? userLabel(b.user) : ''));
  return (
    <aside className="side-panel" aria-labelledby="members-title">
      <header className="panel-header">
        <h2 id="members-title">{t('panel.members')}</h2>
        <span className="muted">{ids !== undefined ? t('where.membersIn', { count: ids.length, channel: channelLabel(state, channel) }) : ''}</span>
        <button type="button" className="icon" aria-label={t('panel.closeMembers')} onClick={onClose}><CloseIcon /></button>
      </header>
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      <ul className="pick-list member-list" aria-busy={ids === undefined} aria-label={t('panel.channelMembers')}>
        {people.map(({ id, user, status }) => (
          <li key={id}>
            <span className="who">
              <PresenceDot status={status} />
              <span className="name">{user !== undefined ? userLabel(user) : '…'}</span>
              {user !== undefined && <span className="muted">@{user.username}</span>}
              <span className="sr-only">, {presenceLabel(status)}</span>
            </span>
            {id === state.me.id ? <span className="muted">{t('panel.you')}</span> : (
              <button type="button" aria-label={t('panel.messageName', { name: user !== undefined ? userLabel(user) : t('panel.thisPerson') })}
                onClick={() => void actions.openDirect(id).then(onOpenDirect, (err: unknown) => setError(describeError(err)))}>
                {t('panel.message')}
              </button>
            )}
          </li>
        ))}
      </ul>
    </aside>
  );
}

const FILES_PAGE = 50;

/**
 * The files posted in a channel, newest first (GET /channels/{id}/files), page by page. Kept
 * current with what the client learns meanwhile: files of new posts are added, and a file that
 * left a post the client knows (deleted, or its post deleted) is dropped.
 */
export function FilesPanel({ channel, onClose }: { readonly channel: Channel; readonly onClose: () => void }) {
  const { state, actions, api } = useChat();
  const [fetched, setFetched] = useState<{ files: FileInfo[]; more: boolean } | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [viewing, setViewing] = useState<FileInfo | undefined>(undefined);

  useEffect(() => {
    let cancelled = false;
    api.channelFiles(channel.id, { limit: FILES_PAGE }).then((files) => {
      if (cancelled) return;
      setFetched({ files, more: files.length === FILES_PAGE });
      actions.ensureUsers(files.map((f) => f.user_id));
    }, (err: unknown) => {
      if (!cancelled) setError(describeError(err));
    });
    return () => {
      cancelled = true;
    };
  }, [api, channel.id, actions]);

  function loadMore() {
    const last = fetched?.files[fetched.files.length - 1];
    if (last === undefined || loading) return;
    setLoading(true);
    api.channelFiles(channel.id, { before: last.created_at, before_id: last.id, limit: FILES_PAGE }).then((files) => {
      setFetched((prev) => ({ files: [...(prev?.files ?? []), ...files], more: files.length === FILES_PAGE }));
      actions.ensureUsers(files.map((f) => f.user_id));
    }, (err: unknown) => setError(describeError(err))).finally(() => setLoading(false));
  }

  const byId = new Map<string, FileInfo>();
  for (const f of fetched?.files ?? []) byId.set(f.id, f);
  const oldest = fetched?.files[fetched.files.length - 1]?.created_at;
  for (const p of Object.values(state.posts)) {
    if (p.channel_id !== channel.id) continue;
    // Newer than the loaded pages (or everything is loaded): a file posted since.
    for (const f of p.files) if (fetched !== undefined && (!fetched.more || (oldest !== undefined && f.created_at >= oldest))) byId.set(f.id, f);
  }
  const files = [...byId.values()].filter((f) => {
    if (f.post_id === null) return true;
    const post = state.posts[f.post_id];
    return post === undefined || post.files.some((x) => x.id === f.id);
  }).sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1));

  return (
    <aside className="side-panel" aria-labelledby="files-title">
      <header className="panel-header">
        <h2 id="files-title">{t('panel.files')}</h2>
        <span className="muted">{t('where.inChannel', { channel: channelLabel(state, channel) })}</span>
        <button type="button" className="icon" aria-label={t('panel.closeFiles')} onClick={onClose}><CloseIcon /></button>
      </header>
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      <div className="messages">
        {fetched !== undefined && files.length === 0 && <p className="muted panel-note">{t('panel.noFiles')}</p>}
        <ul className="file-list" aria-label={t('panel.channelFiles')} aria-busy={fetched === undefined}>
          {files.map((f) => {
            const kind = fileKind(f.mime_type, f.extension);
            const who = state.users[f.user_id];
            const when = new Date(f.created_at);
            return (
              <li key={f.id}>
                {f.has_preview ? (
                  <button type="button" className="file-thumb" aria-haspopup="dialog" aria-label={t('files.openImage', { name: f.name })} onClick={() => setViewing(f)}>
                    <img src={fileUrl(f.id, 'thumbnail')} alt="" width={40} height={40} loading="lazy" />
                  </button>
                ) : (
                  <span className="file-icon" role="img" aria-label={fileKindLabel(kind)}><FileKindIcon kind={kind} /></span>
                )}
                <span className="file-info">
                  <a className="file-name" href={fileUrl(f.id, 'download')} download={f.name} title={f.name}>{f.name}</a>
                  <span className="muted">
                    {formatSize(f.size)} · {who !== undefined ? userLabel(who) : t('names.someone')} · <time dateTime={when.toISOString()} title={formatDate(when, { dateStyle: 'full', timeStyle: 'short' })}>{formatDate(when, { dateStyle: 'medium' })}</time>
                  </span>
                </span>
                <a className="button icon-button" href={fileUrl(f.id, 'download')} download={f.name} aria-label={t('files.downloadName', { name: f.name })} title={t('files.download')}><DownloadIcon /></a>
              </li>
            );
          })}
        </ul>
        {fetched?.more === true && (
          <p className="panel-note">
            <button type="button" className="link" disabled={loading} onClick={loadMore}>{loading ? t('common.loading') : t('panel.loadOlderFiles')}</button>
          </p>
        )}
      </div>
      {viewing !== undefined && <ImageViewer file={viewing} onClose={() => setViewing(undefined)} />}
    </aside>
  );
}
