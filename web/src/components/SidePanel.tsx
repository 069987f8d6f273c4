/** The right-hand panel: a thread (root and replies, with its own composer) or the pinned messages. */
import { useEffect, useState } from 'react';
import { describeError } from '../lib/api.js';
import type { Channel, Post } from '../lib/types.js';
import { useChat } from '../state/chat.js';
import { channelLabel, userLabel } from '../state/reducer.js';
import { PresenceDot, presenceLabel } from './bits.js';
import { PostList } from './ChannelView.js';
import { Composer, TypingIndicator } from './Composer.js';
import { CloseIcon } from './icons.js';
import { OutgoingItem, PostItem, rowProps } from './Post.js';

export function ThreadPanel({ rootId, onClose }: { readonly rootId: string; readonly onClose: () => void }) {
  const { state, actions, outbox } = useChat();
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    actions.loadThread(rootId).catch((err: unknown) => setError(describeError(err)));
  }, [actions, rootId]);
  const root = state.posts[rootId];
  const replies = (state.threads[rootId] ?? []).map((id) => state.posts[id]).filter((p): p is Post => p !== undefined);
  const channel = root !== undefined ? state.channels[root.channel_id] : undefined;
  const arrived = new Set(replies.map((p) => p.client_msg_id));
  const pending = outbox.filter((o) => o.rootId === rootId && !arrived.has(o.clientMsgId));
  return (
    <aside className="side-panel" aria-labelledby="thread-title">
      <header className="panel-header">
        <h2 id="thread-title">Thread</h2>
        {channel !== undefined && <span className="muted">in {channelLabel(state, channel)}</span>}
        <button type="button" className="icon" aria-label="Close thread" onClick={onClose}><CloseIcon /></button>
      </header>
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      {root === undefined && error === undefined && <p className="muted panel-note">Loading…</p>}
      {root !== undefined && state.threads[rootId] === undefined && error === undefined && <p className="muted panel-note">Loading replies…</p>}
      {root !== undefined && (
        <>
          <div className="messages thread" role="log" aria-label="Thread messages" tabIndex={0}>
            <PostItem post={root} compact={false} context="thread" {...rowProps(state, root)} />
            {replies.length > 0 && <div className="day-separator" role="separator"><span>{replies.length} {replies.length === 1 ? 'reply' : 'replies'}</span></div>}
            <PostList posts={replies} context="thread" state={state} />
            {pending.map((o) => <OutgoingItem key={o.clientMsgId} item={o} />)}
          </div>
          <TypingIndicator channelId={root.channel_id} parentId={rootId} />
          <Composer channelId={root.channel_id} rootId={rootId} label="Reply to thread" disabled={channel?.is_archived === true ? 'This channel is archived.' : undefined} />
        </>
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
        <h2 id="pinned-title">Pinned messages</h2>
        <span className="muted">in {channelLabel(state, channel)}</span>
        <button type="button" className="icon" aria-label="Close pinned messages" onClick={onClose}><CloseIcon /></button>
      </header>
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      <div className="messages" aria-busy={fetched === undefined}>
        {fetched !== undefined && pinned.length === 0 && <p className="muted panel-note">Nothing is pinned yet. Pin a message with its pin button.</p>}
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
        <h2 id="members-title">Members</h2>
        <span className="muted">{ids !== undefined ? `${ids.length} in ${channelLabel(state, channel)}` : ''}</span>
        <button type="button" className="icon" aria-label="Close members" onClick={onClose}><CloseIcon /></button>
      </header>
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      <ul className="pick-list member-list" aria-busy={ids === undefined} aria-label="Channel members">
        {people.map(({ id, user, status }) => (
          <li key={id}>
            <span className="who">
              <PresenceDot status={status} />
              <span className="name">{user !== undefined ? userLabel(user) : '…'}</span>
              {user !== undefined && <span className="muted">@{user.username}</span>}
              <span className="sr-only">, {presenceLabel(status)}</span>
            </span>
            {id === state.me.id ? <span className="muted">you</span> : (
              <button type="button" aria-label={`Message ${user !== undefined ? userLabel(user) : 'this person'}`}
                onClick={() => void actions.openDirect(id).then(onOpenDirect, (err: unknown) => setError(describeError(err)))}>
                Message
              </button>
            )}
          </li>
        ))}
      </ul>
    </aside>
  );
}
