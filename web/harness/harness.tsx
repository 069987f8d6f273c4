/**
 * A test page (test/web/harness.e2e.test.ts): the real ChannelView with 200 messages on the
 * real store, engine and contexts, no server, beside a sidebar and team rail showing the
 * unread badges. The test sends events through `window.harness` and reads how many message
 * rows rendered.
 */
import { rowCounter } from './devtools-hook.js';
import { createRoot } from 'react-dom/client';
import { CountBadge } from '../src/components/bits.js';
import { ChannelView } from '../src/components/ChannelView.js';
import { PostItem } from '../src/components/Post.js';
import { ApiClient } from '../src/lib/api.js';
import type { ServerEvent } from '../src/lib/realtime.js';
import type { Channel, Post, User } from '../src/lib/types.js';
import { ChatContexts } from '../src/state/chat.js';
import { ChatEngine } from '../src/state/engine.js';
import { createChatStore } from '../src/state/store.js';
import '../src/styles.css';

rowCounter.watch(PostItem);

const user = (id: string, name: string): User => ({
  id, username: id, display_name: name, first_name: '', last_name: '', nickname: '', position: '', avatar_url: null, is_bot: false, role: 'system_user',
  presence: 'online', status_text: '', status_emoji: '', status_expires_at: null, timezone: '', created_at: 0, is_active: true,
});
const channel: Channel = {
  id: 'c1', team_id: 't1', type: 'public', name: 'town-square', display_name: 'Town Square', purpose: '', header: '', is_archived: false,
  creator_id: 'me', created_at: 0, updated_at: 0, last_post_at: 0, last_post_seq: 200,
};
const start = Date.UTC(2026, 11, 1, 9, 0);
const post = (seq: number, userId: string): Post => ({
  id: `p${seq}`, channel_id: 'c1', user_id: userId, root_post_id: null, message: `Message number ${seq} @me`, props: {}, file_ids: [], is_pinned: false,
  created_at: start + seq * 60_000, edited_at: null, reply_count: 0, last_reply_at: null, participants: [], reactions: [], files: [], preview: null, attachment_images: [], client_msg_id: null, seq,
});

const me = user('me', 'Me');
const store = createChatStore(me);
store.dispatch({ type: 'users', users: [user('u2', 'Bea'), user('u3', 'Cem')] });
store.dispatch({ type: 'channels', channels: [channel] });
store.dispatch({ type: 'channel_page', channelId: 'c1', mode: 'latest', page: { messages: Array.from({ length: 200 }, (_, i) => post(i + 1, ['u2', 'u3', 'me'][i % 3]!)), has_more: false, read_state: null } });

// Nothing here may reach a server: every request fails loudly.
const api = new ApiClient({ fetch: (input) => Promise.reject(new Error(`unexpected request ${input}`)), getToken: () => undefined });
const engine = new ChatEngine({
  getState: store.getState,
  dispatch: store.dispatch,
  api,
  realtime: () => { throw new Error('no WebSocket in the harness'); },
  onSignedOut: () => undefined,
});

const noop = () => undefined;
let seq = 0;
const event = (ev: Omit<ServerEvent, 'seq' | 'broadcast'>) => engine.onEvent({ ...ev, seq: ++seq, broadcast: { channel_id: 'c1' } } as ServerEvent);

Object.assign(window, {
  harness: {
    rows: rowCounter,
    typing: (userId: string) => event({ event: 'typing', data: { user_id: userId, channel_id: 'c1', parent_id: null } }),
    posted: (n: number, userId: string) => event({
      event: 'posted',
      data: { post: post(n, userId), channel_type: 'public', channel_name: 'town-square', channel_display_name: 'Town Square', team_id: 't1', sender_name: userId, mentions: [] },
    }),
  },
});

createRoot(document.getElementById('root')!).render(
  <ChatContexts value={{ actions: engine, api, store }}>
    <div className="workspace">
      <nav className="team-rail" aria-label="Teams">
        <ul>
          <li><a className="team-button unread" href="#t2" data-badge="team-mention"><span aria-hidden="true">OP</span><CountBadge count={4} mention /></a></li>
        </ul>
      </nav>
      <nav className="sidebar" aria-label="Channels">
        <ul className="channel-list">
          <li><a className="channel-link unread" href="#c2" data-badge="mention"><span className="channel-icon" aria-hidden="true">#</span><span className="channel-name">design</span><CountBadge count={3} mention /></a></li>
          <li><a className="channel-link unread" href="#c3" data-badge="unread"><span className="channel-icon" aria-hidden="true">#</span><span className="channel-name">random</span><CountBadge count={12} /></a></li>
        </ul>
      </nav>
      <main className="channel-pane">
        <ChannelView channel={channel} onOpenThread={noop} onShowPinned={noop} onShowMembers={noop} onShowFiles={noop} onLeft={noop} />
      </main>
    </div>
  </ChatContexts>,
);
