/**
 * The client engine (web/src/state/engine.ts) without React or a browser: a real store
 * (reducer.ts), a scripted REST client that records what was asked, a fake WebSocket client
 * whose handlers the test calls, and manual timers. Each test drives an event or a life-cycle
 * change and checks what the engine fetched and what the state became.
 */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../web/src/lib/api.js';
import type { ClientReply, ConnectionState, RealtimeHandlers, ServerEvent } from '../../web/src/lib/realtime.js';
import type { Channel, Post, PostPage, Team, ThreadItem, ThreadPage, UnreadOverview, User } from '../../web/src/lib/types.js';
import { createChatStore } from '../../web/src/state/store.js';
import { ChatEngine, MARK_READ_DELAY_MS, TOAST_MS, TYPING_SWEEP_MS, type ChatEngineOptions, type EngineApi, type EngineTimers, type RealtimeLike, type SignOutReason } from '../../web/src/state/engine.js';
import type { DesktopNotifier, DesktopPermission } from '../../web/src/lib/desktop-notify.js';
import { TYPING_TTL_MS } from '../../web/src/state/reducer.js';
import { customEmojiUrl } from '../../web/src/lib/emoji.js';

const user = (id: string): User => ({
  id, username: id, display_name: id.toUpperCase(), first_name: '', last_name: '', nickname: '', position: '', avatar_url: null, is_bot: false, role: 'system_user',
  presence: 'online', status_text: '', status_emoji: '', status_expires_at: null, timezone: '', created_at: 0, is_active: true,
});
const channel = (id: string, type: Channel['type'] = 'public', team_id: string | null = 't1'): Channel => ({
  id, team_id, type, name: id, display_name: id, purpose: '', header: '', is_archived: false, creator_id: 'me', created_at: 0, updated_at: 0, last_post_at: 0, last_post_seq: 0,
});
const team = (id: string): Team => ({ id, name: id, display_name: id, description: '', type: 'open', creator_id: 'me', created_at: 0, updated_at: 0, is_archived: false });
const post = (id: string, seq: number, over: Partial<Post> = {}): Post => ({
  id, channel_id: 'c1', user_id: 'u2', root_post_id: null, message: `m${seq}`, props: {}, file_ids: [], is_pinned: false, created_at: seq, edited_at: null,
  reply_count: 0, last_reply_at: null, participants: [], reactions: [], files: [], preview: null, attachment_images: [], client_msg_id: null, seq, ...over,
});
const page = (...messages: Post[]): PostPage => ({ messages, has_more: false, read_state: null });
const overview = (channels: UnreadOverview['channels'] = []): UnreadOverview => ({ channels, total_unread: 0, total_mentions: 0 });
const posted = (p: Post): ServerEvent => ({
  event: 'posted', seq: 1, broadcast: { channel_id: p.channel_id },
  data: { post: p, channel_type: 'public', channel_name: p.channel_id, channel_display_name: p.channel_id, team_id: 't1', sender_name: 'u2', mentions: [] },
});

/** Timers the test fires by hand, in due order. */
class ManualTimers implements EngineTimers {
  now = 0;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void; every?: number }>();
  setTimeout(fn: () => void, ms: number): unknown {
    this.due.set(++this.seq, { at: this.now + ms, fn });
    return this.seq;
  }
  setInterval(fn: () => void, ms: number): unknown {
    this.due.set(++this.seq, { at: this.now + ms, fn, every: ms });
    return this.seq;
  }
  clearTimeout(h: unknown): void {
    this.due.delete(h as number);
  }
  clearInterval(h: unknown): void {
    this.due.delete(h as number);
  }
  get pending(): number {
    return this.due.size;
  }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const next = [...this.due.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (next === undefined) break;
      const [id, t] = next;
      this.now = t.at;
      if (t.every !== undefined) t.at += t.every;
      else this.due.delete(id);
      t.fn();
    }
    this.now = end;
  }
}

class FakeRealtime implements RealtimeLike {
  connectionState: ConnectionState = 'idle';
  started = 0;
  stopped = 0;
  reconnects = 0;
  readonly sent: { action: string; data: Record<string, unknown> }[] = [];
  constructor(readonly handlers: RealtimeHandlers) {}
  start() {
    this.started++;
  }
  stop() {
    this.stopped++;
  }
  reconnectNow() {
    this.reconnects++;
  }
  send(action: 'user_typing' | 'presence', data: Record<string, unknown>): Promise<ClientReply> {
    this.sent.push({ action, data });
    return Promise.resolve({ status: 'OK', seq_reply: this.sent.length });
  }
  hello(kind: 'first' | 'resumed' | 'reset') {
    this.connectionState = 'open';
    this.handlers.onHello?.(kind, { connection_id: 'c', server_version: 'test' });
  }
}

type Answers = { [K in keyof EngineApi]?: (...args: Parameters<EngineApi[K]>) => Awaited<ReturnType<EngineApi[K]>> | Promise<Awaited<ReturnType<EngineApi[K]>>> };

/** Everything settles: the engine's follow-ups are chains of resolved promises. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function setup(answers: Answers = {}, extra: Partial<Pick<ChatEngineOptions, 'desktop' | 'openPost'>> = {}) {
  const calls: string[] = [];
  const defaults: Answers = {
    teams: () => [team('t1')],
    myChannels: () => [channel('c1'), channel('c2')],
    unreads: () => overview(),
    posts: () => page(),
    markRead: () => ({ status: 'ok' }),
    user: (id) => user(id),
    statuses: (ids) => ids.map((id) => ({ user_id: id, status: 'online' as const })),
    channelMembers: (id) => ['me', 'u2'].map((u) => ({ channel_id: id, user_id: u, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 0 })),
    thread: (id) => ({ order: [id], posts: { [id]: post(id, 1) }, next_cursor: null }) satisfies ThreadPage,
    logout: () => ({ status: 'ok' }),
    customEmoji: () => [],
  };
  const all = { ...defaults, ...answers } as Record<string, (...args: unknown[]) => unknown>;
  const api = new Proxy({}, {
    get: (_t, name: string) => (...args: unknown[]) => {
      calls.push(`${name}${args.length > 0 ? ` ${args.map((a) => JSON.stringify(a)).join(' ')}` : ''}`);
      const answer = all[name];
      if (answer === undefined) return Promise.reject(new Error(`unexpected call: ${name}`));
      try {
        return Promise.resolve(answer(...args));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
  }) as EngineApi;
  const store = createChatStore(user('me'));
  const timers = new ManualTimers();
  const signedOut: SignOutReason[] = [];
  const renewed: string[] = [];
  let rt: FakeRealtime | undefined;
  let ids = 0;
  const engine = new ChatEngine({
    getState: store.getState,
    dispatch: store.dispatch,
    api,
    realtime: (handlers) => (rt = new FakeRealtime(handlers)),
    onSignedOut: (r) => signedOut.push(r),
    onSessionRenewed: (token) => renewed.push(token),
    timers,
    now: () => timers.now,
    newClientMsgId: () => `cmid-${++ids}`,
    ...extra,
  });
  return {
    engine, store, timers, calls, signedOut, renewed,
    get rt(): FakeRealtime {
      if (rt === undefined) throw new Error('not started');
      return rt;
    },
    /** Calls made since the last look. */
    take(): string[] {
      return calls.splice(0);
    },
  };
}

async function started(answers: Answers = {}, extra: Parameters<typeof setup>[1] = {}) {
  const t = setup(answers, extra);
  t.engine.start();
  await settle();
  t.rt.hello('first');
  await settle();
  t.take();
  return t;
}

describe('ChatEngine: custom emoji', () => {
  it('loads the server\'s custom emoji at start and follows their events', async () => {
    const parrot = { id: 'e1', name: 'parrot', creator_id: 'u2', created_at: 1 };
    const t = setup({ customEmoji: () => [parrot] });
    t.engine.start();
    await settle();
    expect(customEmojiUrl('parrot')).toBe('/api/v1/emoji/e1/image');
    t.engine.onEvent({ event: 'custom_emoji_added', seq: 1, data: { emoji: { ...parrot, id: 'e2', name: 'cat_dance' } }, broadcast: {} });
    expect(customEmojiUrl('cat_dance')).toBe('/api/v1/emoji/e2/image');
    t.engine.onEvent({ event: 'custom_emoji_deleted', seq: 2, data: { emoji: parrot }, broadcast: {} });
    expect(customEmojiUrl('parrot')).toBeUndefined();
    expect(customEmojiUrl('cat_dance')).toBeDefined();
    t.engine.stop();
  });
});

describe('ChatEngine: connection life cycle', () => {
  it('loads teams, channels and unreads, then connects; the first hello fetches unreads once', async () => {
    const t = setup();
    t.engine.start();
    await settle();
    expect(t.rt.started).toBe(1);
    expect(t.take().sort()).toEqual(['customEmoji 0 200', 'myChannels', 'teams', 'unreads']);
    expect(t.store.getState().loaded).toBe(true);
    expect(Object.keys(t.store.getState().channels)).toEqual(['c1', 'c2']);
    t.rt.hello('first');
    await settle();
    expect(t.take()).toEqual(['unreads']);
  });

  it('a resumed stream fetches nothing: the server replayed what was missed', async () => {
    const t = await started();
    t.rt.hello('resumed');
    await settle();
    expect(t.take()).toEqual([]);
  });

  it('a reset stream refetches what is on screen: lists, unreads, the open channel and every loaded thread', async () => {
    const t = await started({ posts: () => page(post('p1', 1)) });
    await t.engine.openChannel('c1');
    await t.engine.loadThread('r1');
    await settle();
    t.take();
    t.rt.hello('reset');
    await settle();
    expect(t.take().sort()).toEqual(['myChannels', 'posts "c1" {"limit":50}', 'teams', 'thread "r1"', 'unreads']);
  });

  it('the WebSocket ending the session signs out with that reason; stop() closes it and cancels timers', async () => {
    const t = await started();
    t.rt.handlers.onSessionEnded?.();
    expect(t.signedOut).toEqual(['session_ended']);
    t.engine.notify('hello');
    expect(t.timers.pending).toBe(1);
    t.engine.stop();
    expect(t.rt.stopped).toBe(1);
    expect(t.timers.pending).toBe(0);
  });

  it('signing out closes the socket, tells the server, and signs out locally even when the server fails', async () => {
    const t = await started({ logout: () => { throw new ApiError(500, 'INTERNAL_ERROR', 'boom'); } });
    await t.engine.signOut();
    expect(t.rt.stopped).toBe(1);
    expect(t.take()).toEqual(['logout']);
    expect(t.signedOut).toEqual(['signed_out']);
  });
});

describe('ChatEngine: follow-up after channel events', () => {
  it('a post in a channel the client does not know fetches that channel (and names a direct one by its members)', async () => {
    const t = await started({ channel: (id) => channel(id, 'direct', null) });
    t.engine.onEvent(posted(post('p9', 9, { channel_id: 'd1' })));
    await settle();
    const calls = t.take();
    expect(calls).toContain('channel "d1"');
    expect(calls).toContain('channelMembers "d1"');
    expect(calls).toContain('user "u2"');
    expect(t.store.getState().channels.d1?.type).toBe('direct');
    expect(t.store.getState().members.d1).toEqual(['me', 'u2']);
  });

  it('posts arriving in the open, visible channel are marked read once per burst', async () => {
    const t = await started();
    await t.engine.openChannel('c1');
    await settle();
    t.take();
    t.engine.onEvent(posted(post('a', 10)));
    t.engine.onEvent(posted(post('b', 11)));
    await settle();
    expect(t.take().filter((c) => c.startsWith('markRead'))).toEqual([]);
    t.timers.advance(MARK_READ_DELAY_MS);
    await settle();
    expect(t.take().filter((c) => c.startsWith('markRead'))).toEqual(['markRead "c1"']);
    // My own post is not something I have to read.
    t.engine.onEvent(posted(post('c', 12, { user_id: 'me' })));
    t.timers.advance(MARK_READ_DELAY_MS);
    await settle();
    expect(t.take().filter((c) => c.startsWith('markRead'))).toEqual([]);
  });

  it('a hidden page does not read the open channel; becoming visible reconnects and reads it', async () => {
    const t = await started();
    await t.engine.openChannel('c1');
    await settle();
    t.take();
    t.engine.setVisible(false);
    t.engine.onEvent(posted(post('a', 10)));
    t.timers.advance(MARK_READ_DELAY_MS);
    await settle();
    expect(t.take().filter((c) => c.startsWith('markRead'))).toEqual([]);
    expect(t.store.getState().unreads.c1).toEqual({ unread: 1, mentions: 0 });
    t.engine.setVisible(true);
    await settle();
    expect(t.rt.reconnects).toBe(1);
    expect(t.take()).toEqual(['posts "c1" {"limit":50}', 'markRead "c1"']);
    expect(t.store.getState().unreads.c1).toEqual({ unread: 0, mentions: 0 });
  });

  it('becoming visible with nothing unread only reconnects', async () => {
    const t = await started();
    await t.engine.openChannel('c1');
    await settle();
    t.take();
    t.engine.setVisible(false);
    t.engine.setVisible(true);
    await settle();
    expect(t.rt.reconnects).toBe(1);
    expect(t.take()).toEqual([]);
  });

  it('being added to a channel of an unknown team fetches the channel, the teams and the unreads', async () => {
    let joined = false;
    const t = await started({ channel: (id) => channel(id, 'public', 't2'), teams: () => (joined ? [team('t1'), team('t2')] : [team('t1')]) });
    joined = true;
    t.engine.onEvent({ event: 'user_added', seq: 2, broadcast: {}, data: { user_id: 'me', channel_id: 'c9', team_id: 't2', added_by: 'u2' } });
    await settle();
    expect(t.take()).toEqual(['channel "c9"', 'teams', 'unreads']);
    expect(t.store.getState().channels.c9?.team_id).toBe('t2');
    expect(t.store.getState().teams.map((x) => x.id)).toEqual(['t1', 't2']);
  });

  it('someone else added to a channel: only their name is fetched, once', async () => {
    const t = await started();
    const added: ServerEvent = { event: 'user_added', seq: 2, broadcast: {}, data: { user_id: 'u7', channel_id: 'c1', team_id: 't1', added_by: 'u2' } };
    t.engine.onEvent(added);
    t.engine.onEvent(added);
    await settle();
    expect(t.take()).toEqual(['user "u7"']);
  });

  it('a created group channel gets its members; a public one does not', async () => {
    const t = await started();
    t.engine.onEvent({ event: 'channel_created', seq: 2, broadcast: {}, data: { channel: channel('g1', 'group', null) } });
    t.engine.onEvent({ event: 'channel_created', seq: 3, broadcast: {}, data: { channel: channel('c5') } });
    await settle();
    expect(t.take().filter((c) => c.startsWith('channelMembers'))).toEqual(['channelMembers "g1"']);
  });

  it('typing indicators are swept while shown and the sweep stops when none is left', async () => {
    const t = await started();
    t.engine.onEvent({ event: 'typing', seq: 2, broadcast: {}, data: { user_id: 'u2', channel_id: 'c1', parent_id: null } });
    expect(t.store.getState().typing.c1).toHaveLength(1);
    expect(t.timers.pending).toBe(1);
    t.timers.advance(TYPING_TTL_MS - TYPING_SWEEP_MS);
    expect(t.store.getState().typing.c1).toHaveLength(1);
    t.timers.advance(TYPING_SWEEP_MS);
    expect(t.store.getState().typing).toEqual({});
    expect(t.timers.pending).toBe(0);
  });

  it('my typing is sent at most once per throttle window and only on an open connection', async () => {
    const t = setup();
    t.engine.start();
    t.engine.typing('c1', null); // not connected yet
    t.rt.hello('first');
    t.engine.typing('c1', null);
    t.engine.typing('c1', null);
    t.engine.typing('c1', 'r1');
    expect(t.rt.sent).toEqual([
      { action: 'user_typing', data: { channel_id: 'c1' } },
      { action: 'user_typing', data: { channel_id: 'c1', parent_id: 'r1' } },
    ]);
  });
});

describe('ChatEngine: outbox', () => {
  it('a send that fails to reach the server stays failed; Retry sends the same client_msg_id and clears it', async () => {
    let attempt = 0;
    const bodies: unknown[] = [];
    const t = await started({
      createPost: (channelId, body) => {
        bodies.push(body);
        if (++attempt === 1) throw new ApiError(0, 'NETWORK_ERROR', 'Cannot reach the server');
        return post('p1', 1, { channel_id: channelId, user_id: 'me', message: body.message, client_msg_id: body.client_msg_id });
      },
    });
    await t.engine.sendPost('c1', 'hello');
    expect(t.store.getState().outbox).toEqual([
      { clientMsgId: 'cmid-1', channelId: 'c1', rootId: null, message: 'hello', status: 'failed', error: 'Cannot reach the server. Check your connection and try again.' },
    ]);
    await t.engine.retryPost('cmid-1');
    expect(bodies).toEqual([{ message: 'hello', client_msg_id: 'cmid-1' }, { message: 'hello', client_msg_id: 'cmid-1' }]);
    expect(t.store.getState().outbox).toEqual([]);
    expect(t.store.getState().posts.p1?.client_msg_id).toBe('cmid-1');
  });

  it('a message with files sends their ids as file_ids, and shows them while sending', async () => {
    const bodies: unknown[] = [];
    let answer: (p: Post) => void = () => undefined;
    const t = await started({
      createPost: (_channelId, body) => {
        bodies.push(body);
        return new Promise<Post>((resolve) => { answer = resolve; });
      },
    });
    const file = { id: 'f1', name: 'a.txt', extension: 'txt', mime_type: 'text/plain', size: 3, has_preview: false, user_id: 'me', channel_id: 'c1', post_id: null, created_at: 1 };
    const sending = t.engine.sendPost('c1', 'see attached', null, [file]);
    expect(t.store.getState().outbox.map((o) => o.files)).toEqual([[file]]);
    answer(post('p1', 1, { user_id: 'me', client_msg_id: 'cmid-1', file_ids: ['f1'], files: [{ ...file, post_id: 'p1' }] }));
    await sending;
    expect(bodies).toEqual([{ message: 'see attached', client_msg_id: 'cmid-1', file_ids: ['f1'] }]);
    expect(t.store.getState().posts.p1?.files.map((f) => f.id)).toEqual(['f1']);
  });

  it('a refusal a retry cannot fix drops the message and says why', async () => {
    const t = await started({ createPost: () => { throw new ApiError(403, 'FORBIDDEN', 'This channel is archived'); } });
    await t.engine.sendPost('c1', 'hello');
    expect(t.store.getState().outbox).toEqual([]);
    expect(t.store.getState().toasts.map((x) => x.message)).toEqual(['Message not sent: This channel is archived']);
    t.timers.advance(TOAST_MS);
    expect(t.store.getState().toasts).toEqual([]);
  });

  it('a rate-limited send stays in the outbox for a retry', async () => {
    const t = await started({ createPost: () => { throw new ApiError(429, 'RATE_LIMITED', 'slow down', undefined, undefined, 3); } });
    await t.engine.sendPost('c1', 'hello');
    expect(t.store.getState().outbox.map((o) => o.status)).toEqual(['failed']);
  });

  it('my post arriving over the WebSocket before the POST answers settles the outgoing message', async () => {
    let answer: (p: Post) => void = () => undefined;
    const t = await started({ createPost: () => new Promise<Post>((resolve) => { answer = resolve; }) });
    const sending = t.engine.sendPost('c1', 'hello', 'root1');
    expect(t.store.getState().outbox.map((o) => [o.clientMsgId, o.rootId, o.status])).toEqual([['cmid-1', 'root1', 'sending']]);
    const mine = post('p1', 1, { user_id: 'me', client_msg_id: 'cmid-1', root_post_id: 'root1' });
    t.engine.onEvent(posted(mine));
    expect(t.store.getState().outbox).toEqual([]);
    answer(mine);
    await sending;
    expect(t.store.getState().outbox).toEqual([]);
  });
});

describe('ChatEngine: a channel opened at a message (permalink)', () => {
  /** Channel c1 holds posts with seq 1..100; pages are cut as the server cuts them (newest first). */
  const history = Array.from({ length: 100 }, (_, i) => post(`p${i + 1}`, i + 1));
  const pageOf = (_channelId: string, opts: { before?: string; after?: string; limit?: number } = {}): PostPage => {
    const limit = opts.limit ?? 60;
    const seqOf = (cursor: string) => (/^\d+$/.test(cursor) ? Number(cursor) : history.find((p) => p.id === cursor)!.seq);
    let list = history;
    if (opts.before !== undefined) list = list.filter((p) => p.seq < seqOf(opts.before!));
    if (opts.after !== undefined) list = list.filter((p) => p.seq > seqOf(opts.after!));
    const forwards = opts.after !== undefined && opts.before === undefined;
    const cut = forwards ? list.slice(0, limit) : list.slice(-limit);
    return { messages: [...cut].reverse(), has_more: list.length > limit, read_state: null };
  };

  it('loads the page up to the message and the page after it, then newer pages on request, and marks the channel read', async () => {
    const t = await started({ posts: pageOf });
    await t.engine.openChannelAround('c1', { id: 'p40', seq: 40 });
    await settle();
    expect(t.take().filter((c) => !c.startsWith('user'))).toEqual(['posts "c1" {"before":"41","limit":30}', 'posts "c1" {"after":"40","limit":30}', 'markRead "c1"']);
    let cp = t.store.getState().channelPosts.c1!;
    expect(cp.order[0]).toBe('p11');
    expect(cp.order.at(-1)).toBe('p70');
    expect(cp.order).toContain('p40');
    expect([cp.hasMore, cp.hasNewer, cp.anchor]).toEqual([true, true, 'p40']);

    // Someone posts meanwhile: not added after the gap.
    t.engine.onEvent(posted(post('p101', 101)));
    expect(t.store.getState().channelPosts.c1!.order.at(-1)).toBe('p70');

    await t.engine.loadNewer('c1');
    cp = t.store.getState().channelPosts.c1!;
    expect(t.take().filter((c) => c.startsWith('posts'))).toEqual(['posts "c1" {"after":"p70","limit":50}']);
    expect(cp.order.at(-1)).toBe('p100');
    expect(cp.hasNewer).toBe(false);
    // At the present again: new posts are added.
    t.engine.onEvent(posted(post('p102', 102)));
    expect(t.store.getState().channelPosts.c1!.order.at(-1)).toBe('p102');
  });

  it('sending from a window that does not reach the present goes back to the newest posts first', async () => {
    const t = await started({
      posts: pageOf,
      createPost: (channelId, body) => post('p103', 103, { channel_id: channelId, user_id: 'me', message: body.message, client_msg_id: body.client_msg_id }),
    });
    await t.engine.openChannelAround('c1', { id: 'p10', seq: 10 });
    await settle();
    t.take();
    await t.engine.sendPost('c1', 'hello');
    expect(t.take().filter((c) => !c.startsWith('user'))).toEqual(['posts "c1" {"limit":50}', 'createPost "c1" {"message":"hello","client_msg_id":"cmid-1"}']);
    const cp = t.store.getState().channelPosts.c1!;
    expect([cp.anchor, cp.hasNewer]).toEqual([undefined, undefined]);
    expect(cp.order.at(-1)).toBe('p103');
  });
});

describe('ChatEngine: link previews', () => {
  it('removing a preview asks the server and keeps the post it answers with', async () => {
    const preview = { url: 'https://example.com/', title: 'Example', description: null, site_name: null, image: null };
    const t = await started({ posts: () => page(post('p1', 1, { user_id: 'me', preview })), removePreview: (id) => post(id, 1, { user_id: 'me', preview: null }) });
    await t.engine.openChannel('c1');
    expect(t.store.getState().posts.p1!.preview).toEqual(preview);
    t.take();
    await t.engine.removePreview('p1');
    expect(t.take()).toEqual(['removePreview "p1"']);
    expect(t.store.getState().posts.p1!.preview).toBeNull();
  });
});

describe('ChatEngine: followed threads', () => {
  const item = (id: string, over: Partial<ThreadItem> = {}): ThreadItem => ({
    id, channel_id: 'c1', post: post(id, 1), reply_count: 1, last_reply_at: 5, participants: ['u3'], following: true, last_viewed_at: 0, unread_replies: 1, unread_mentions: 0, ...over,
  });
  const list = (threads: ThreadItem[]) => ({ threads, has_more: false, next_before: null, total: threads.length, total_unread_threads: threads.length, total_unread_mentions: 0 });

  it('loads the list with the preference, fetches a thread followed elsewhere, marks read, and reloads the open channel when the preference changes', async () => {
    let collapsed = true;
    const t = await started({
      followedThreads: () => list([item('r1')]),
      threadPreferences: () => ({ collapsed_threads: collapsed }),
      followedThread: (id) => item(id, { unread_replies: 2 }),
      markThreadRead: (id) => item(id, { unread_replies: 0 }),
      setThreadPreferences: (p) => {
        collapsed = p.collapsed_threads;
        return p;
      },
    });
    await t.engine.loadFollowedThreads();
    expect(t.take().sort()).toEqual(['followedThreads {"per_page":100}', 'threadPreferences', 'user "u2"', 'user "u3"'].sort());
    expect(Object.keys(t.store.getState().followed ?? {})).toEqual(['r1']);
    // Following a thread elsewhere (a reply on another device): the client fetches it once.
    t.engine.onEvent({ event: 'thread_follow_changed', seq: 2, broadcast: { user_id: 'me' }, data: { thread_id: 'r2', channel_id: 'c1', following: true } });
    await settle();
    expect(t.take()).toEqual(['followedThread "r2"']);
    expect(t.store.getState().followed?.r2?.unread_replies).toBe(2);
    await t.engine.markThreadRead('r2');
    expect(t.store.getState().followed?.r2?.unread_replies).toBe(0);
    t.take();
    // Replies inline: the preference is saved, the open channel and the counts reload.
    await t.engine.openChannel('c1');
    t.take();
    await t.engine.setCollapsedThreads(false);
    await settle();
    expect(t.store.getState().collapsedThreads).toBe(false);
    expect(t.take().sort()).toEqual(['posts "c1" {"limit":50}', 'setThreadPreferences {"collapsed_threads":false}', 'unreads'].sort());
  });

  it('flips the preference at once (a controlled checkbox does not wait), and back when the server refuses', async () => {
    let answer: (p: { collapsed_threads: boolean }) => void = () => undefined;
    let refuse: (e: Error) => void = () => undefined;
    const t = await started({ setThreadPreferences: () => new Promise((resolve, reject) => { answer = resolve; refuse = reject; }) });
    const saved = t.engine.setCollapsedThreads(false);
    expect(t.store.getState().collapsedThreads).toBe(false);
    answer({ collapsed_threads: false });
    await saved;
    expect(t.store.getState().collapsedThreads).toBe(false);
    const refused = t.engine.setCollapsedThreads(true);
    expect(t.store.getState().collapsedThreads).toBe(true);
    refuse(new Error('offline'));
    await expect(refused).rejects.toThrow('offline');
    expect(t.store.getState().collapsedThreads).toBe(false);
  });
});

describe('ChatEngine: password change', () => {
  it('keeps this tab signed in: the socket\'s "session ended" waits for the change, then a new socket connects', async () => {
    let finish: (v: never) => void = () => undefined;
    const t = await started({ changePassword: () => new Promise<never>((resolve) => (finish = resolve)) });
    const old = t.rt;
    const change = t.engine.changePassword('old secret', 'new secret');
    old.handlers.onSessionEnded?.(); // the server closed the old session's socket before answering
    await settle();
    expect(t.signedOut).toEqual([]);
    finish({ token: 'new-token', user: user('me') } as never);
    await change;
    await settle();
    expect(t.renewed).toEqual(['new-token']);
    expect(old.stopped).toBe(1);
    expect(t.rt).not.toBe(old);
    expect(t.rt.started).toBe(1);
    expect(t.signedOut).toEqual([]);
  });

  it('a refused change leaves the session alone, unless the server ended it meanwhile', async () => {
    const t = await started({ changePassword: () => Promise.reject(new Error('wrong password')) });
    await expect(t.engine.changePassword('wrong', 'new secret')).rejects.toThrow('wrong password');
    expect(t.signedOut).toEqual([]);
    expect(t.renewed).toEqual([]);

    let fail: (e: Error) => void = () => undefined;
    const u = await started({ changePassword: () => new Promise<never>((_resolve, reject) => (fail = reject)) });
    const change = u.engine.changePassword('old', 'new').catch(() => undefined);
    u.rt.handlers.onSessionEnded?.();
    fail(new Error('network'));
    await change;
    await settle();
    expect(u.signedOut).toEqual(['session_ended']);
  });
});

describe('slash commands', () => {
  const eph = { id: 'e1', channel_id: 'c1', user_id: 'me', message: 'Only for me', props: {}, created_at: 1, type: 'ephemeral' as const };

  it('runs a command instead of posting it: an ephemeral answer is kept for me (once, with its event), a post is added', async () => {
    const t = setup({
      executeCommand: (input) => input.command.startsWith('/help')
        ? { response_type: 'ephemeral', text: 'Only for me', goto_location: null, props: {}, post: null, ephemeral: eph }
        : { response_type: 'in_channel', text: '', goto_location: null, props: {}, post: post('p9', 9, { channel_id: 'c1', user_id: 'me', message: 'hi ¯\\_(ツ)_/¯' }), ephemeral: null },
    });
    await t.engine.executeCommand('c1', '/help', 't1');
    expect(t.take()).toEqual(['executeCommand {"channel_id":"c1","command":"/help","team_id":"t1"}']);
    expect(t.store.getState().ephemeral?.c1?.map((p) => p.message)).toEqual(['Only for me']);
    expect(t.store.getState().outbox).toEqual([]); // never posted
    await t.engine.executeCommand('c1', '/shrug hi');
    expect(t.store.getState().posts.p9?.message).toBe('hi ¯\\_(ツ)_/¯');
    t.engine.dismissEphemeral('c1', 'e1');
    expect(t.store.getState().ephemeral?.c1).toEqual([]);
  });

  it('passes a refusal on to the caller and keeps nothing', async () => {
    const t = setup({ executeCommand: () => Promise.reject(new Error('No command /nope here')) });
    await expect(t.engine.executeCommand('c1', '/nope')).rejects.toThrow('No command /nope here');
    expect(t.store.getState().ephemeral).toBeUndefined();
  });
});

/** A desktop that records what it was asked to show (lib/desktop-notify.ts's DesktopNotifier). */
class FakeDesktop implements DesktopNotifier {
  perm: DesktopPermission = 'granted';
  hasFocus = true;
  sound = true;
  readonly shown: { title: string; body: string; tag: string; channelId: string; click: () => void }[] = [];
  readonly cleared: string[] = [];
  sounds = 0;
  permission() {
    return this.perm;
  }
  focused() {
    return this.hasFocus;
  }
  show(title: string, body: string, tag: string, channelId: string, onClick: () => void) {
    this.shown.push({ title, body, tag, channelId, click: onClick });
  }
  clear(channelId: string) {
    this.cleared.push(channelId);
  }
  playSound() {
    this.sounds++;
  }
  soundOn() {
    return this.sound;
  }
}

const notification = (over: Partial<Extract<ServerEvent, { event: 'notification' }>['data']> = {}): ServerEvent => ({
  event: 'notification', seq: 1, broadcast: { user_id: 'me' },
  data: { post_id: 'p9', channel_id: 'c2', root_id: null, team_id: 't1', reason: 'mention', sender_name: 'alice', sound: true, ...over },
});

describe('ChatEngine: desktop notifications', () => {
  it('shows a notification for another channel, with the post\'s text fetched; a click opens the post', async () => {
    const desktop = new FakeDesktop();
    const opened: [string, string | null][] = [];
    const t = await started({ post: (id) => post(id, 9, { channel_id: 'c2', message: 'hey **@me**, lunch?' }) }, { desktop, openPost: (id, team) => opened.push([id, team]) });
    await t.engine.openChannel('c1');
    t.engine.onEvent(notification());
    await settle();
    expect(desktop.shown.map((n) => [n.title, n.body, n.tag])).toEqual([['alice in #c2', 'hey @me, lunch?', 'p9']]);
    expect(desktop.sounds).toBe(1);
    desktop.shown[0]!.click();
    expect(opened).toEqual([['p9', 't1']]);
  });

  it('a channel read (here or on another device: channel_viewed) closes its notifications', async () => {
    const desktop = new FakeDesktop();
    const t = await started({ post: (id) => post(id, 9, { channel_id: 'c2' }) }, { desktop });
    t.engine.onEvent(notification());
    await settle();
    expect(desktop.shown.map((n) => n.channelId)).toEqual(['c2']);
    t.engine.onEvent({ event: 'channel_viewed', seq: 2, broadcast: { user_id: 'me' }, data: { channel_id: 'c2', last_viewed_seq: 9 } });
    expect(desktop.cleared).toEqual(['c2']);
  });

  it('nothing for the channel on screen in a focused tab; the same channel in a tab without focus does notify', async () => {
    const desktop = new FakeDesktop();
    const t = await started({ post: (id) => post(id, 9, { channel_id: 'c2' }) }, { desktop });
    await t.engine.openChannel('c2');
    t.engine.onEvent(notification());
    await settle();
    expect(desktop.shown).toEqual([]);
    desktop.hasFocus = false;
    t.engine.onEvent(notification());
    await settle();
    expect(desktop.shown.length).toBe(1);
  });

  it('without the permission nothing is shown; the sound follows the event and this browser\'s switch', async () => {
    const desktop = new FakeDesktop();
    desktop.perm = 'default';
    const t = await started({ post: (id) => post(id, 9, { channel_id: 'c2' }) }, { desktop });
    t.engine.onEvent(notification());
    await settle();
    expect(desktop.shown).toEqual([]);
    desktop.perm = 'granted';
    t.engine.onEvent(notification({ sound: false }));
    desktop.sound = false;
    t.engine.onEvent(notification({ sound: true }));
    await settle();
    expect(desktop.shown.length).toBe(2);
    expect(desktop.sounds).toBe(0);
  });

  it('a post that cannot be fetched still notifies, without its text; a direct message is titled with the sender', async () => {
    const desktop = new FakeDesktop();
    const t = await started({
      myChannels: () => [channel('c1'), channel('d1', 'direct', null)],
      post: () => { throw new ApiError(404, 'NOT_FOUND', 'gone'); },
    }, { desktop });
    t.engine.onEvent(notification({ channel_id: 'd1', team_id: null, reason: 'direct' }));
    await settle();
    expect(desktop.shown.map((n) => [n.title, n.body])).toEqual([['alice', 'New message']]);
  });
});

describe('ChatEngine: @channel confirmation', () => {
  it('a 409 CHANNEL_MENTION_CONFIRM_REQUIRED asks; Confirm sends again with confirm_channel_mention and the same client_msg_id', async () => {
    const bodies: unknown[] = [];
    const t = await started({
      createPost: (channelId, body) => {
        bodies.push(body);
        if (body.confirm_channel_mention !== true) throw new ApiError(409, 'CHANNEL_MENTION_CONFIRM_REQUIRED', 'confirm', undefined, undefined, undefined, { member_count: 12, limit: 5 });
        return post('p1', 1, { channel_id: channelId, user_id: 'me', message: body.message, client_msg_id: body.client_msg_id });
      },
    });
    await t.engine.sendPost('c1', '@channel release at 5');
    expect(t.store.getState().mentionConfirm).toEqual({ clientMsgId: 'cmid-1', memberCount: 12 });
    expect(t.store.getState().outbox.map((o) => o.status)).toEqual(['failed']);
    expect(t.store.getState().toasts).toEqual([]);
    await t.engine.confirmChannelMention();
    expect(bodies).toEqual([
      { message: '@channel release at 5', client_msg_id: 'cmid-1' },
      { message: '@channel release at 5', client_msg_id: 'cmid-1', confirm_channel_mention: true },
    ]);
    expect(t.store.getState().mentionConfirm).toBeUndefined();
    expect(t.store.getState().outbox).toEqual([]);
    expect(t.store.getState().posts.p1?.client_msg_id).toBe('cmid-1');
  });

  it('Cancel keeps the message, not sent; Retry asks again', async () => {
    let calls = 0;
    const t = await started({
      createPost: () => {
        calls++;
        throw new ApiError(409, 'CHANNEL_MENTION_CONFIRM_REQUIRED', 'confirm', undefined, undefined, undefined, { member_count: 7 });
      },
    });
    await t.engine.sendPost('c1', '@all hi');
    t.engine.cancelChannelMention();
    expect(t.store.getState().mentionConfirm).toBeUndefined();
    expect(t.store.getState().outbox.map((o) => [o.message, o.status])).toEqual([['@all hi', 'failed']]);
    await t.engine.retryPost('cmid-1');
    expect(calls).toBe(2);
    expect(t.store.getState().mentionConfirm).toEqual({ clientMsgId: 'cmid-1', memberCount: 7 });
  });
});

describe('ChatEngine: notification preferences', () => {
  it('loads my preferences and each channel\'s once; muting updates the channel\'s', async () => {
    const defaults = { desktop: 'default', email: 'default', push: 'default', mark_unread: 'all', ignore_channel_mentions: 'default' } as const;
    const t = await started({
      notifyPrefs: () => ({ desktop: 'mention', email: 'mention', push: 'mention', keywords: [], first_name: false, channel_mentions: true, email_interval: 'fifteen', desktop_sound: true, dnd_end_at: null, dnd_schedule: { enabled: false, days: [] } }),
      channelNotifyProps: (id) => (id === 'c2' ? { ...defaults, mark_unread: 'mention' } : defaults),
      setMuted: (_id, muted) => ({ ...defaults, mark_unread: muted ? 'mention' : 'all' }),
    });
    await t.engine.loadNotifySettings();
    expect(t.take().sort()).toEqual(['channelNotifyProps "c1"', 'channelNotifyProps "c2"', 'notifyPrefs']);
    await t.engine.loadNotifySettings();
    expect(t.take()).toEqual([]);
    expect(t.store.getState().channelProps?.c2?.mark_unread).toBe('mention');
    await t.engine.setMuted('c2', false);
    expect(t.store.getState().channelProps?.c2?.mark_unread).toBe('all');
  });

  it('do not disturb with an end time saves the end, then the status', async () => {
    const t = await started({
      setNotifyPrefs: (patch) => ({ desktop: 'mention', email: 'mention', push: 'mention', keywords: [], first_name: false, channel_mentions: true, email_interval: 'fifteen', desktop_sound: true, dnd_end_at: patch.dnd_end_at ?? null, dnd_schedule: { enabled: false, days: [] } }),
    });
    await t.engine.setDoNotDisturb(5000);
    expect(t.take()).toEqual(['setNotifyPrefs {"dnd_end_at":5000}']);
    expect(t.rt.sent).toEqual([{ action: 'presence', data: { status: 'dnd' } }]);
    expect(t.store.getState().notifyPrefs?.dnd_end_at).toBe(5000);
    expect(t.store.getState().presence.me).toBe('dnd');
  });
});
