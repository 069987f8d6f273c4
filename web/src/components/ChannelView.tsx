/**
 * The open channel: its header, its history (older pages load on scroll) and the composer.
 * Opened at a message (a permalink), the history is the page around it, scrolled so that the
 * message is in view and highlighted for a moment; newer pages then load on scroll too.
 */
import { Fragment, useCallback, useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';
import { describeError } from '../lib/api.js';
import { formatDay, sameDay } from '../lib/format.js';
import type { Channel, Post } from '../lib/types.js';
import { useChat } from '../state/chat.js';
import { channelLabel, directPartner, type ChatState } from '../state/reducer.js';
import { PresenceDot } from './bits.js';
import { Composer, TypingIndicator, attachFiles } from './Composer.js';
import { ConfirmDialog } from './Dialog.js';
import { AddPeopleDialog, EditChannelDialog } from './dialogs.js';
import { ChannelNotifyDialog } from './NotifySettings.js';
import { DropHint, useAttachmentTray, useFileDrop } from './Files.js';
import { LockIcon } from './icons.js';
import { EphemeralItem, MessageText, OutgoingItem, PostItem, rowProps } from './Post.js';
import { authorMark } from '../lib/integrations.js';
import { t, tParts } from '../i18n/index.js';

const GROUP_WINDOW_MS = 5 * 60_000;

/** Messages grouped the way people read them: day separators, same-author runs, the unread line. */
export function PostList({ posts, context, onOpenThread, firstUnreadSeq, state, editPostId, onEditDone, highlightId }: {
  readonly posts: readonly Post[];
  readonly context: 'channel' | 'thread';
  readonly onOpenThread?: (rootId: string) => void;
  readonly firstUnreadSeq?: number | null;
  readonly state: ChatState;
  readonly editPostId?: string | undefined;
  readonly onEditDone?: () => void;
  readonly highlightId?: string | undefined;
}) {
  return (
    <>
      {posts.map((post, i) => {
        const prev = posts[i - 1];
        const newDay = prev === undefined || !sameDay(prev.created_at, post.created_at);
        const unreadLine = firstUnreadSeq != null && post.seq === firstUnreadSeq && post.user_id !== state.me.id;
        const compact = !newDay && !unreadLine && prev !== undefined && prev.user_id === post.user_id && post.created_at - prev.created_at < GROUP_WINDOW_MS
          && (context === 'thread' || (prev.root_post_id === post.root_post_id))
          // A webhook's post always shows its author line with the webhook mark.
          && authorMark(post, undefined).kind !== 'webhook' && authorMark(prev, undefined).kind !== 'webhook';
        return (
          <Fragment key={post.id}>
            {newDay && <div className="day-separator" role="separator"><span>{formatDay(post.created_at)}</span></div>}
            {unreadLine && <div className="unread-separator" role="separator"><span>{t('channel.newMessages')}</span></div>}
            <PostItem post={post} compact={compact} context={context} {...(onOpenThread ? { onOpenThread } : {})}
              editRequested={editPostId === post.id} {...(onEditDone ? { onEditDone } : {})} {...rowProps(state, post)} focused={highlightId === post.id} />
          </Fragment>
        );
      })}
    </>
  );
}

/** How long the message a permalink led to stays highlighted. */
const HIGHLIGHT_MS = 5000;

/** Loads a page of history when `sentinel` comes near the visible part of `root` (scrolling up to older posts, or down to newer ones). */
function useLoadOnReach(root: RefObject<HTMLDivElement | null>, sentinel: RefObject<HTMLDivElement | null>, enabled: boolean, edge: 'top' | 'bottom', load: () => Promise<void>, key: unknown) {
  const [loading, setLoading] = useState(false);
  const busy = useRef(false);
  useEffect(() => {
    const el = sentinel.current;
    const box = root.current;
    if (el === null || box === null || !enabled) return;
    const io = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting) || busy.current) return;
      busy.current = true;
      setLoading(true);
      void load().finally(() => {
        busy.current = false;
        setLoading(false);
      });
    }, { root: box, rootMargin: edge === 'top' ? '200px 0px 0px 0px' : '0px 0px 200px 0px' });
    io.observe(el);
    return () => io.disconnect();
  }, [root, sentinel, enabled, edge, load, key]);
  return loading;
}

function MessageList({ channel, onOpenThread, editPostId, onEditDone, focusPostId }: {
  readonly channel: Channel;
  readonly onOpenThread: (rootId: string) => void;
  readonly editPostId: string | undefined;
  readonly onEditDone: () => void;
  /** The message a permalink led to. */
  readonly focusPostId: string | undefined;
}) {
  const { state, actions, outbox } = useChat();
  const cp = state.channelPosts[channel.id];
  const posts = (cp?.order ?? []).map((id) => state.posts[id]).filter((p): p is Post => p !== undefined);
  // A message whose post already arrived (say, over the WebSocket before the POST answered) shows once.
  const arrived = new Set(posts.map((p) => p.client_msg_id));
  const pending = outbox.filter((o) => o.channelId === channel.id && o.rootId === null && !arrived.has(o.clientMsgId));
  const ephemeral = state.ephemeral?.[channel.id] ?? [];
  const scroller = useRef<HTMLDivElement>(null);
  const topSentinel = useRef<HTMLDivElement>(null);
  const bottomSentinel = useRef<HTMLDivElement>(null);
  const atBottom = useRef(focusPostId === undefined);
  const last = useRef<{ channelId: string; first: string | undefined; lastId: string | undefined; height: number; count: number; anchor: string | undefined; hasNewer: boolean } | undefined>(undefined);
  const scrolledTo = useRef<string | undefined>(undefined);
  const [highlightOver, setHighlightOver] = useState(false);

  const firstId = posts[0]?.id;
  const lastId = posts[posts.length - 1]?.id;
  const anchor = cp?.anchor;
  const hasMore = cp?.hasMore === true;
  const hasNewer = cp?.hasNewer === true;
  // The window around the permalink's message is on screen (this view is remounted per permalink).
  const highlightId = focusPostId !== undefined && anchor === focusPostId && !highlightOver ? focusPostId : undefined;

  // Keep the view where the reader expects it: at the bottom for new messages, in place when
  // older ones are added above; a window that does not reach the present never follows new
  // messages (they are not in it), and leaving one for the present goes to the bottom.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el === null) return;
    const prev = last.current;
    if (prev === undefined || prev.channelId !== channel.id || (prev.anchor !== undefined && anchor === undefined)) {
      el.scrollTop = el.scrollHeight;
    } else if (prev.first !== firstId && prev.lastId === lastId) {
      el.scrollTop += el.scrollHeight - prev.height;
    } else if ((prev.lastId !== lastId || prev.count !== pending.length + ephemeral.length) && atBottom.current && !prev.hasNewer && !hasNewer) {
      el.scrollTop = el.scrollHeight;
    }
    last.current = { channelId: channel.id, first: firstId, lastId, height: el.scrollHeight, count: pending.length + ephemeral.length, anchor, hasNewer };
  }, [channel.id, firstId, lastId, pending.length, ephemeral.length, posts.length, anchor, hasNewer]);

  // Once the window around the permalink's message is rendered: bring it into view (after the
  // rule above, which may have gone to the bottom) and give it the keyboard focus, once.
  useLayoutEffect(() => {
    if (focusPostId === undefined || anchor !== focusPostId || scrolledTo.current === focusPostId) return;
    const row = scroller.current?.querySelector<HTMLElement>(`article[data-post-id="${CSS.escape(focusPostId)}"]`);
    if (row === null || row === undefined) return;
    scrolledTo.current = focusPostId;
    atBottom.current = false;
    row.scrollIntoView({ block: 'center' });
    row.focus({ preventScroll: true });
  }, [focusPostId, anchor, firstId, lastId]);

  useEffect(() => {
    if (highlightId === undefined) return;
    const t = setTimeout(() => setHighlightOver(true), HIGHLIGHT_MS);
    return () => clearTimeout(t);
  }, [highlightId]);

  const notifyFailure = useCallback((err: unknown) => actions.notify(describeError(err)), [actions]);
  const older = useCallback(() => actions.loadOlder(channel.id).catch(notifyFailure), [actions, channel.id, notifyFailure]);
  const newer = useCallback(() => actions.loadNewer(channel.id).catch(notifyFailure), [actions, channel.id, notifyFailure]);
  const loadingOlder = useLoadOnReach(scroller, topSentinel, hasMore, 'top', older, firstId);
  const loadingNewer = useLoadOnReach(scroller, bottomSentinel, hasNewer, 'bottom', newer, lastId);

  return (
    <div
      ref={scroller}
      className="messages"
      role="log"
      aria-label={t('channel.messagesIn', { channel: channelLabel(state, channel) })}
      aria-busy={cp === undefined}
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {hasMore ? (
        <div ref={topSentinel} className="history-start">
          <button type="button" className="link" disabled={loadingOlder} onClick={() => void older()}>
            {loadingOlder ? t('common.loading') : t('channel.loadOlder')}
          </button>
        </div>
      ) : cp !== undefined && (
        <div className="history-start">
          <p className="channel-intro">{tParts('channel.beginning', { channel: <strong key="c">{channelLabel(state, channel)}</strong> })}</p>
        </div>
      )}
      <PostList posts={posts} context="channel" onOpenThread={onOpenThread} firstUnreadSeq={cp?.firstUnreadSeq ?? null} state={state} editPostId={editPostId} onEditDone={onEditDone} highlightId={highlightId} />
      {hasNewer ? (
        <div ref={bottomSentinel} className="history-start">
          <button type="button" className="link" disabled={loadingNewer} onClick={() => void newer()}>
            {loadingNewer ? t('common.loading') : t('channel.loadNewer')}
          </button>
        </div>
      ) : (
        <>
          {pending.map((o) => <OutgoingItem key={o.clientMsgId} item={o} />)}
          {ephemeral.map((p) => <EphemeralItem key={p.id} post={p} />)}
        </>
      )}
    </div>
  );
}

export function ChannelView({ channel, onOpenThread, onShowPinned, onShowMembers, onShowFiles, onLeft, focusPostId }: {
  readonly channel: Channel;
  /** The message a permalink led to (the parent remounts the view for each permalink). */
  readonly focusPostId?: string | undefined;
  readonly onOpenThread: (rootId: string) => void;
  readonly onShowPinned: () => void;
  readonly onShowMembers: () => void;
  readonly onShowFiles: () => void;
  readonly onLeft: () => void;
}) {
  const { state, actions } = useChat();
  const tray = useAttachmentTray(channel.id, null);
  const archived = channel.is_archived;
  const drop = useFileDrop(useCallback((files: File[]) => {
    if (archived) actions.notify(t('channel.archivedNoFiles'));
    else attachFiles(tray, files, actions);
  }, [archived, actions, tray]));
  const [dialog, setDialog] = useState<'edit' | 'add' | 'leave' | 'archive' | 'notify' | undefined>(undefined);
  const [editPostId, setEditPostId] = useState<string | undefined>(undefined);
  const editDone = useCallback(() => setEditPostId(undefined), []);
  const label = channelLabel(state, channel);
  const conversation = channel.type === 'direct' || channel.type === 'group';
  const partner = directPartner(state, channel);
  const title = conversation ? label : `${channel.type === 'private' ? '' : '# '}${label}`;

  function editLast() {
    const cp = state.channelPosts[channel.id];
    const mine = [...(cp?.order ?? [])].reverse().map((id) => state.posts[id]).find((p) => p !== undefined && p.user_id === state.me.id);
    if (mine !== undefined) setEditPostId(mine.id);
  }

  return (
    <section className={`channel${drop.over ? ' dropping' : ''}`} aria-labelledby="channel-title" {...drop.handlers}>
      <header className="channel-header">
        <div className="channel-title-row">
          <h1 id="channel-title">
            {partner !== undefined && <PresenceDot status={state.presence[partner] ?? 'offline'} />}{channel.type === 'private' && <LockIcon />} {title}
          </h1>
          <div className="channel-tools">
            <button type="button" onClick={onShowMembers}>{t('channel.members')}</button>
            <button type="button" onClick={onShowPinned}>{t('channel.pinned')}</button>
            <button type="button" onClick={onShowFiles}>{t('channel.files')}</button>
            <button type="button" aria-haspopup="dialog" onClick={() => setDialog('notify')}>{t('notify.channelButton')}</button>
            {!conversation && !channel.is_archived && <button type="button" onClick={() => {
              setDialog('add');
              actions.loadMembers(channel.id).catch(() => undefined);
            }}>{t('channel.addPeople')}</button>}
            {!channel.is_archived && <button type="button" onClick={() => setDialog('edit')}>{t('channel.editDetails')}</button>}
            {channel.type !== 'direct' && <button type="button" onClick={() => setDialog('leave')}>{t('channel.leave')}</button>}
            {!conversation && !channel.is_archived && <button type="button" onClick={() => setDialog('archive')}>{t('channel.archive')}</button>}
            {!conversation && channel.is_archived && <button type="button" onClick={() => void actions.restoreChannel(channel.id).then(() => actions.notify(t('channel.restored')), (err: unknown) => actions.notify(describeError(err)))}>{t('channel.restore')}</button>}
          </div>
        </div>
        {channel.is_archived && <p className="channel-purpose" role="note">{t('channel.archivedNote')}</p>}
        {channel.purpose !== '' && <p className="channel-purpose">{channel.purpose}</p>}
        {channel.header !== '' && <div className="channel-headline"><MessageText message={channel.header} me={state.me.username} /></div>}
      </header>
      <MessageList channel={channel} onOpenThread={onOpenThread} editPostId={editPostId} onEditDone={editDone} focusPostId={focusPostId} />
      {state.channelPosts[channel.id]?.hasNewer === true && (
        <p className="jump-latest">
          <button type="button" onClick={() => void actions.jumpToLatest(channel.id).catch((err: unknown) => actions.notify(describeError(err)))}>{t('channel.jumpToRecent')}</button>
        </p>
      )}
      <TypingIndicator channelId={channel.id} parentId={null} />
      <Composer
        channelId={channel.id}
        rootId={null}
        label={t('channel.messageTo', { channel: conversation ? label : `#${label}` })}
        disabled={channel.is_archived ? t('channel.archivedComposer') : undefined}
        onEditLast={editLast}
        inputId="message-box"
      />
      {drop.over && <DropHint label={archived ? t('channel.archivedDrop') : t('channel.dropFiles', { channel: conversation ? label : `#${label}` })} />}
      {dialog === 'edit' && <EditChannelDialog channel={channel} onClose={() => setDialog(undefined)} />}
      {dialog === 'notify' && <ChannelNotifyDialog channel={channel} onClose={() => setDialog(undefined)} />}
      {dialog === 'add' && (
        <AddPeopleDialog
          title={t('channel.addPeopleTo', { channel: label })}
          exclude={new Set(state.members[channel.id] ?? [state.me.id])}
          add={(userId) => actions.addChannelMember(channel.id, userId)}
          onClose={() => setDialog(undefined)}
        />
      )}
      {dialog === 'archive' && (
        <ConfirmDialog
          title={t('channel.archiveTitle', { channel: label })}
          message={t('channel.archiveMessage')}
          confirmLabel={t('channel.archive')}
          danger
          onConfirm={() => actions.archiveChannel(channel.id)}
          onClose={() => setDialog(undefined)}
        />
      )}
      {dialog === 'leave' && (
        <ConfirmDialog
          title={t('channel.leaveTitle', { channel: label })}
          message={channel.type === 'private' ? t('channel.leavePrivate') : t('channel.leavePublic')}
          confirmLabel={t('channel.leave')}
          danger
          onConfirm={async () => {
            await actions.leaveChannel(channel.id);
            onLeft();
          }}
          onClose={() => setDialog(undefined)}
        />
      )}
    </section>
  );
}
