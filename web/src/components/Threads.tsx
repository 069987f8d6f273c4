/**
 * The Threads view (collapsed reply threads): the threads I follow, newest activity first,
 * each with its root message, reply count, repliers and my unread replies and mentions (bold
 * and a badge when unread). Opening one shows it in the side panel, which marks it read.
 */
import { useEffect, useState } from 'react';
import { describeError } from '../lib/api.js';
import type { Team, ThreadItem } from '../lib/types.js';
import { useChat } from '../state/chat.js';
import { channelLabel, followedThreads, userLabel } from '../state/reducer.js';
import { Avatar, CountBadge } from './bits.js';
import { AuthorMark } from './Post.js';
import { t } from '../i18n/index.js';

function ThreadRow({ thread, onOpen }: { readonly thread: ThreadItem; readonly onOpen: (rootId: string) => void }) {
  const { state } = useChat();
  const author = state.users[thread.post.user_id];
  const channel = state.channels[thread.channel_id];
  const unread = thread.unread_replies > 0;
  const label = [
    channel !== undefined
      ? t('threads.rowByIn', { name: author !== undefined ? userLabel(author) : t('threads.someone'), channel: channelLabel(state, channel) })
      : t('threads.rowBy', { name: author !== undefined ? userLabel(author) : t('threads.someone') }),
    t('post.replies', { count: thread.reply_count }),
    unread ? t('common.unread', { count: thread.unread_replies }) : '',
    thread.unread_mentions > 0 ? t('common.mentions', { count: thread.unread_mentions }) : '',
  ].filter(Boolean).join(t('common.listSeparator'));
  return (
    <li>
      <button type="button" className={`thread-item${unread ? ' unread' : ''}`} data-thread={thread.id} onClick={() => onOpen(thread.id)}>
        <span className="sr-only">{label}: </span>
        <span className="thread-meta">
          <strong>{author !== undefined ? userLabel(author) : '…'}</strong><AuthorMark post={thread.post} author={author} />
          {channel !== undefined && <span className="muted">{t('where.inChannel', { channel: channelLabel(state, channel) })}</span>}
          <span className="thread-unread" data-unread={thread.unread_replies}>
            {thread.unread_mentions > 0 ? <CountBadge count={thread.unread_mentions} mention /> : <CountBadge count={thread.unread_replies} />}
          </span>
        </span>
        <span className="thread-excerpt">{thread.post.message || t('threads.onlyAttachment')}</span>
        <span className="thread-meta muted">
          <span className="participants" aria-hidden="true">
            {thread.participants.slice(0, 3).map((id) => {
              const u = state.users[id];
              return <Avatar key={id} id={id} name={u !== undefined ? userLabel(u) : '?'} size={18} url={u?.avatar_url} />;
            })}
          </span>
          <span>{t('post.replies', { count: thread.reply_count })}</span>
        </span>
      </button>
    </li>
  );
}

export function ThreadsView({ team, onOpenThread }: { readonly team: Team; readonly onOpenThread: (rootId: string) => void }) {
  const { state, actions } = useChat();
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    actions.loadFollowedThreads().catch((err: unknown) => setError(describeError(err)));
  }, [actions]);
  const list = followedThreads(state, team.id);
  return (
    <section className="threads-view" aria-labelledby="threads-title">
      <header className="channel-header">
        <h1 id="threads-title">{t('threads.title')}</h1>
        <p className="muted">{t('threads.intro')}</p>
        <label className="inline-check">
          <input
            type="checkbox"
            checked={!state.collapsedThreads}
            onChange={(e) => void actions.setCollapsedThreads(!e.target.checked).catch((err: unknown) => actions.notify(describeError(err)))}
          />
          {' '}{t('threads.showInChannels')}
        </label>
      </header>
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      {state.followed === undefined && error === undefined && <p className="muted panel-note">{t('common.loading')}</p>}
      {state.followed !== undefined && list.length === 0 && <p className="muted panel-note">{t('threads.none')}</p>}
      <ul className="thread-list" aria-label={t('threads.list')}>
        {list.map((t) => <ThreadRow key={t.id} thread={t} onOpen={onOpenThread} />)}
      </ul>
    </section>
  );
}
