/**
 * A test page (test/web/render-count.e2e.test.ts): the real ChannelView with 200 messages on
 * the real store, engine and contexts, no server. The test sends events through
 * `window.harness` and reads how many message rows rendered.
 */
import { rowCounter } from './devtools-hook.js';
import { createRoot } from 'react-dom/client';
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
  presence: 'online', status_text: '', status_emoji: '', timezone: '', created_at: 0, is_active: true,
});
const channel: Channel = {
  id: 'c1', team_id: 't1', type: 'public', name: 'town-square', display_name: 'Town Square', purpose: '', header: '', is_archived: false,
  creator_id: 'me', created_at: 0, updated_at: 0, last_post_at: 0, last_post_seq: 200,
};
const start = Date.UTC(2026, 11, 1, 9, 0);
const post = (seq: number, userId: string): Post => ({
  id: `p${seq}`, channel_id: 'c1', user_id: userId, root_post_id: null, message: `Message number ${seq} @me`, props: {}, file_ids: [], is_pinned: false,
  created_at: start + seq * 60_000, edited_at: null, reply_count: 0, last_reply_at: null, reactions: [], client_msg_id: null, seq,
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
    <main className="channel-pane">
      <ChannelView channel={channel} onOpenThread={noop} onShowPinned={noop} onShowMembers={noop} onLeft={noop} />
    </main>
  </ChatContexts>,
);
