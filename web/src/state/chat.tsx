/**
 * The signed-in client: state (see reducer.ts), the WebSocket client, and the actions the
 * screens call. Effects that follow an event (fetching a channel we just joined, naming
 * the people of a direct message, marking the open channel read) live here.
 */
import { createContext, useContext, useEffect, useMemo, useReducer, useRef, useState, type ReactNode } from 'react';
import { ApiError, describeError, type ApiClient } from '../lib/api.js';
import { RealtimeClient, wsUrl, type ServerEvent, type SocketLike } from '../lib/realtime.js';
import type { Channel, Post, Presence, Team, User } from '../lib/types.js';
import { initialState, reduce, type ChatState } from './reducer.js';

/** A message on its way to the server (shown greyed until the server has it). */
export interface Outgoing {
  readonly clientMsgId: string;
  readonly channelId: string;
  readonly rootId: string | null;
  readonly message: string;
  readonly status: 'sending' | 'failed';
  readonly error?: string;
}

export interface Toast {
  readonly id: number;
  readonly message: string;
}

export interface ChatActions {
  openChannel(channelId: string): Promise<void>;
  closeChannel(): void;
  loadOlder(channelId: string): Promise<void>;
  sendPost(channelId: string, message: string, rootId?: string | null): Promise<void>;
  retryPost(clientMsgId: string): Promise<void>;
  discardPost(clientMsgId: string): void;
  editPost(postId: string, message: string): Promise<void>;
  deletePost(postId: string): Promise<void>;
  react(post: Post, emoji: string): Promise<void>;
  setPinned(postId: string, pinned: boolean): Promise<void>;
  loadThread(rootId: string): Promise<void>;
  loadPinned(channelId: string): Promise<Post[]>;
  createTeam(input: { name: string; display_name: string; type: 'open' | 'invite' }): Promise<Team>;
  joinTeam(teamId: string): Promise<void>;
  leaveTeam(teamId: string): Promise<void>;
  addTeamMember(teamId: string, userId: string): Promise<void>;
  createChannel(input: { team_id: string; name: string; display_name: string; purpose: string; channel_type: 'public' | 'private' }): Promise<Channel>;
  joinChannel(channelId: string): Promise<Channel>;
  leaveChannel(channelId: string): Promise<void>;
  addChannelMember(channelId: string, userId: string): Promise<void>;
  updateChannel(channelId: string, patch: { purpose?: string; header?: string; display_name?: string }): Promise<void>;
  openDirect(userId: string): Promise<Channel>;
  loadMembers(channelId: string): Promise<void>;
  ensureUsers(ids: readonly string[]): void;
  setPresence(status: Presence): Promise<void>;
  typing(channelId: string, parentId: string | null): void;
  refresh(): Promise<void>;
  notify(message: string): void;
  dismissToast(id: number): void;
  signOut(): Promise<void>;
}

interface ChatContextValue {
  readonly state: ChatState;
  readonly outbox: readonly Outgoing[];
  readonly toasts: readonly Toast[];
  readonly actions: ChatActions;
  readonly api: ApiClient;
}

const ChatContext = createContext<ChatContextValue | undefined>(undefined);

export function useChat(): ChatContextValue {
  const ctx = useContext(ChatContext);
  if (ctx === undefined) throw new Error('useChat outside ChatProvider');
  return ctx;
}

const TYPING_THROTTLE_MS = 3000;

/** The browser's WebSocket behind the realtime client's small socket interface. */
function browserSocket(url: string, protocols: string[]): SocketLike {
  const ws = new WebSocket(url, protocols);
  const socket: SocketLike = {
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
  };
  ws.onopen = (ev) => socket.onopen?.(ev);
  ws.onmessage = (ev: MessageEvent) => socket.onmessage?.({ data: ev.data });
  ws.onclose = (ev) => socket.onclose?.({ code: ev.code, reason: ev.reason });
  ws.onerror = (ev) => socket.onerror?.(ev);
  return socket;
}

function newClientMsgId(): string {
  return crypto.randomUUID();
}

export interface ChatProviderProps {
  readonly user: User;
  readonly api: ApiClient;
  readonly getToken: () => string | undefined;
  /** Sign-out or a session the server ended (REST 401 or WebSocket 1008). */
  readonly onSignedOut: (reason: 'signed_out' | 'session_ended') => void;
  readonly children: ReactNode;
}

export function ChatProvider({ user, api, getToken, onSignedOut, children }: ChatProviderProps) {
  const [state, dispatch] = useReducer(reduce, user, initialState);
  const [outbox, setOutbox] = useState<Outgoing[]>([]);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const stateRef = useRef(state);
  const outboxRef = useRef(outbox);
  const rtRef = useRef<RealtimeClient | undefined>(undefined);
  const usersInFlight = useRef(new Set<string>());
  const membersInFlight = useRef(new Set<string>());
  const typingSent = useRef(new Map<string, number>());
  const readTimers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const toastSeq = useRef(0);
  const signedOut = useRef(onSignedOut);

  useEffect(() => {
    stateRef.current = state;
    outboxRef.current = outbox;
    signedOut.current = onSignedOut;
  });

  const engine = useMemo(() => {
    const notify = (message: string) => {
      const id = ++toastSeq.current;
      setToasts((t) => [...t.slice(-3), { id, message }]);
      setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), 8000);
    };

    const ensureUsers = (ids: readonly string[]) => {
      const s = stateRef.current;
      const missing = [...new Set(ids)].filter((id) => s.users[id] === undefined && !usersInFlight.current.has(id));
      for (const id of missing) {
        usersInFlight.current.add(id);
        api.user(id).then(
          (u) => dispatch({ type: 'users', users: [u] }),
          () => undefined, // an unknown author is shown as "Someone"
        ).finally(() => usersInFlight.current.delete(id));
      }
    };

    /** Fresh presence of these people (POST /users/status/ids). */
    const loadPresence = async (userIds: readonly string[]) => {
      if (userIds.length === 0) return;
      for (const s of await api.statuses([...new Set(userIds)].slice(0, 500))) dispatch({ type: 'presence', userId: s.user_id, status: s.status });
    };

    const loadMembers = async (channelId: string) => {
      if (membersInFlight.current.has(channelId)) return;
      membersInFlight.current.add(channelId);
      try {
        const members = await api.channelMembers(channelId);
        const ids = members.map((m) => m.user_id);
        dispatch({ type: 'members', channelId, userIds: ids });
        ensureUsers(ids);
        loadPresence(ids).catch(() => undefined);
      } finally {
        membersInFlight.current.delete(channelId);
      }
    };

    const loadConversationMembers = (channels: readonly Channel[]) => {
      for (const c of channels) {
        if ((c.type === 'direct' || c.type === 'group') && stateRef.current.members[c.id] === undefined) void loadMembers(c.id).catch(() => undefined);
      }
    };

    const refreshUnreads = async () => {
      dispatch({ type: 'unreads', overview: await api.unreads() });
    };

    const markReadNow = (channelId: string) => {
      clearTimeout(readTimers.current.get(channelId));
      readTimers.current.delete(channelId);
      dispatch({ type: 'unread_set', channelId, unread: 0, mentions: 0 });
      api.markRead(channelId).catch(() => undefined); // the next view retries
    };

    /** While a channel is on screen, a burst of new posts is marked read once. */
    const markRead = (channelId: string) => {
      const timers = readTimers.current;
      clearTimeout(timers.get(channelId));
      timers.set(channelId, setTimeout(() => markReadNow(channelId), 500));
    };

    const loadLatest = async (channelId: string) => {
      const page = await api.posts(channelId, { limit: 50 });
      dispatch({ type: 'channel_page', channelId, page, mode: 'latest' });
      ensureUsers(page.messages.map((p) => p.user_id));
    };

    const upsertChannel = (channel: Channel) => {
      dispatch({ type: 'channel_upsert', channel });
      loadConversationMembers([channel]);
    };

    const refresh = async () => {
      const [teams, channels] = await Promise.all([api.teams(), api.myChannels()]);
      dispatch({ type: 'teams', teams });
      dispatch({ type: 'channels', channels });
      loadConversationMembers(channels);
      await refreshUnreads();
    };

    const send = async (item: Outgoing) => {
      try {
        const post = await api.createPost(item.channelId, { message: item.message, client_msg_id: item.clientMsgId, ...(item.rootId ? { root_post_id: item.rootId } : {}) });
        dispatch({ type: 'post_upsert', post });
        setOutbox((o) => o.filter((x) => x.clientMsgId !== item.clientMsgId));
      } catch (err) {
        // Validation and permission errors will not go away by retrying: say why and drop it.
        if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429 && err.status !== 408) {
          setOutbox((o) => o.filter((x) => x.clientMsgId !== item.clientMsgId));
          notify(`Message not sent: ${describeError(err)}`);
          return;
        }
        setOutbox((o) => o.map((x) => (x.clientMsgId === item.clientMsgId ? { ...x, status: 'failed', error: describeError(err) } : x)));
      }
    };

    const a: ChatActions = {
      async openChannel(channelId) {
        dispatch({ type: 'viewing', channelId });
        const channel = stateRef.current.channels[channelId];
        if (channel !== undefined) loadConversationMembers([channel]);
        try {
          await loadLatest(channelId);
        } finally {
          if (stateRef.current.viewing.channelId === channelId) markReadNow(channelId);
        }
      },
      closeChannel() {
        dispatch({ type: 'viewing', channelId: undefined });
      },
      async loadOlder(channelId) {
        const cp = stateRef.current.channelPosts[channelId];
        const oldest = cp?.order[0];
        if (cp === undefined || !cp.hasMore || oldest === undefined) return;
        const page = await api.posts(channelId, { before: oldest, limit: 50 });
        dispatch({ type: 'channel_page', channelId, page, mode: 'older' });
        ensureUsers(page.messages.map((p) => p.user_id));
      },
      async sendPost(channelId, message, rootId = null) {
        const item: Outgoing = { clientMsgId: newClientMsgId(), channelId, rootId, message, status: 'sending' };
        setOutbox((o) => [...o, item]);
        typingSent.current.delete(`${channelId}:${rootId ?? ''}`);
        await send(item);
      },
      async retryPost(clientMsgId) {
        const item = outboxRef.current.find((x) => x.clientMsgId === clientMsgId);
        if (item === undefined) return;
        setOutbox((o) => o.map((x) => (x.clientMsgId === clientMsgId ? { ...x, status: 'sending' } : x)));
        // Same client_msg_id: if the first attempt did reach the server, this returns that post.
        await send(item);
      },
      discardPost(clientMsgId) {
        setOutbox((o) => o.filter((x) => x.clientMsgId !== clientMsgId));
      },
      async editPost(postId, message) {
        dispatch({ type: 'post_upsert', post: await api.editPost(postId, message) });
      },
      async deletePost(postId) {
        await api.deletePost(postId);
        dispatch({ type: 'post_removed', postId });
      },
      async react(post, emoji) {
        const mine = post.reactions.some((r) => r.emoji === emoji && r.users.includes(stateRef.current.me.id));
        const updated = mine ? await api.unreact(post.id, emoji) : await api.react(post.id, emoji);
        dispatch({ type: 'post_upsert', post: updated });
      },
      async setPinned(postId, pinned) {
        dispatch({ type: 'post_upsert', post: await api.pin(postId, pinned) });
      },
      async loadThread(rootId) {
        const page = await api.thread(rootId);
        dispatch({ type: 'thread', rootId, page });
        ensureUsers(Object.values(page.posts).map((p) => p.user_id));
      },
      async loadPinned(channelId) {
        const posts = await api.pinned(channelId);
        ensureUsers(posts.map((p) => p.user_id));
        return posts;
      },
      async createTeam(input) {
        const team = await api.createTeam(input);
        dispatch({ type: 'team_upsert', team });
        dispatch({ type: 'channels', channels: await api.myChannels() });
        return team;
      },
      async joinTeam(teamId) {
        await api.addTeamMember(teamId, stateRef.current.me.id);
        await refresh();
      },
      async leaveTeam(teamId) {
        await api.leaveTeam(teamId, stateRef.current.me.id);
        dispatch({ type: 'team_removed', teamId });
      },
      async addTeamMember(teamId, userId) {
        await api.addTeamMember(teamId, userId);
      },
      async createChannel(input) {
        const channel = await api.createChannel(input);
        upsertChannel(channel);
        return channel;
      },
      async joinChannel(channelId) {
        await api.joinChannel(channelId, stateRef.current.me.id);
        const channel = await api.channel(channelId);
        upsertChannel(channel);
        return channel;
      },
      async leaveChannel(channelId) {
        await api.leaveChannel(channelId, stateRef.current.me.id);
        dispatch({ type: 'channel_removed', channelId });
      },
      async addChannelMember(channelId, userId) {
        await api.joinChannel(channelId, userId);
        if (stateRef.current.members[channelId] !== undefined) await loadMembers(channelId);
      },
      async updateChannel(channelId, patch) {
        upsertChannel(await api.updateChannel(channelId, patch));
      },
      async openDirect(userId) {
        const channel = await api.createChannel({ channel_type: 'direct', target_user_id: userId });
        dispatch({ type: 'channel_upsert', channel });
        await loadMembers(channel.id);
        return channel;
      },
      loadMembers,
      ensureUsers,
      async setPresence(status) {
        const rt = rtRef.current;
        if (rt === undefined) throw new Error('Not connected');
        const reply = await rt.send('presence', { status });
        if (reply.status !== 'OK') throw new Error('The server refused the status change');
        dispatch({ type: 'presence', userId: stateRef.current.me.id, status });
      },
      typing(channelId, parentId) {
        const key = `${channelId}:${parentId ?? ''}`;
        const now = Date.now();
        const last = typingSent.current.get(key) ?? 0;
        if (now - last < TYPING_THROTTLE_MS) return;
        const rt = rtRef.current;
        if (rt === undefined || rt.connectionState !== 'open') return;
        typingSent.current.set(key, now);
        rt.send('user_typing', parentId === null ? { channel_id: channelId } : { channel_id: channelId, parent_id: parentId }).catch(() => undefined);
      },
      refresh,
      notify,
      dismissToast(id) {
        setToasts((t) => t.filter((x) => x.id !== id));
      },
      async signOut() {
        rtRef.current?.stop();
        try {
          await api.logout();
        } catch {
          // the session may already be gone; signing out locally is what matters
        }
        signedOut.current('signed_out');
      },
    };

    // Follow-up work after an event has been applied.
    const onEvent = (ev: ServerEvent) => {
      const s = stateRef.current;
      switch (ev.event) {
        case 'posted': {
          const { post } = ev.data;
          ensureUsers([post.user_id]);
          // My message arrived before (or instead of) the POST's answer: it is sent.
          if (post.user_id === s.me.id && post.client_msg_id !== null) setOutbox((o) => o.filter((x) => x.clientMsgId !== post.client_msg_id));
          if (s.channels[post.channel_id] === undefined) {
            api.channel(post.channel_id).then(upsertChannel, () => undefined);
          } else if (s.viewing.channelId === post.channel_id && s.viewing.visible && post.user_id !== s.me.id) {
            markRead(post.channel_id);
          }
          break;
        }
        case 'typing':
          ensureUsers([ev.data.user_id]);
          break;
        case 'channel_created':
          loadConversationMembers([ev.data.channel]);
          break;
        case 'user_added':
          if (ev.data.user_id === s.me.id && s.channels[ev.data.channel_id] === undefined) {
            api.channel(ev.data.channel_id).then((channel) => {
              upsertChannel(channel);
              if (channel.team_id !== null && !stateRef.current.teams.some((t) => t.id === channel.team_id)) {
                api.teams().then((teams) => dispatch({ type: 'teams', teams }), () => undefined);
              }
              refreshUnreads().catch(() => undefined);
            }, () => undefined);
          } else {
            ensureUsers([ev.data.user_id]);
          }
          break;
        default:
          break;
      }
    };
    const onHello = (kind: 'first' | 'resumed' | 'reset') => {
      if (kind === 'resumed') return;
      if (kind === 'first') {
        refreshUnreads().catch(() => undefined);
        return;
      }
      // Events were lost for good: reload what is on screen.
      refresh().catch(() => undefined);
      const viewing = stateRef.current.viewing.channelId;
      if (viewing !== undefined) loadLatest(viewing).catch(() => undefined);
      for (const rootId of Object.keys(stateRef.current.threads)) a.loadThread(rootId).catch(() => undefined);
    };
    return { actions: a, onEvent, onHello };
  }, [api]);
  const { actions } = engine;

  // Initial load, then the WebSocket.
  useEffect(() => {
    engine.actions.refresh().catch((err: unknown) => engine.actions.notify(describeError(err)));
    const rt = new RealtimeClient(
      { url: (path) => wsUrl(window.location, path), getToken, createSocket: browserSocket },
      {
        onEvent(ev) {
          dispatch({ type: 'rt', event: ev, now: Date.now() });
          engine.onEvent(ev);
        },
        onHello: (kind) => engine.onHello(kind),
        onState: (s) => dispatch({ type: 'connection', state: s }),
        onSessionEnded: () => signedOut.current('session_ended'),
      },
    );
    rtRef.current = rt;
    rt.start();
    const wake = () => rt.reconnectNow();
    window.addEventListener('online', wake);
    const readTimersNow = readTimers.current;
    return () => {
      window.removeEventListener('online', wake);
      rt.stop();
      rtRef.current = undefined;
      for (const timer of readTimersNow.values()) clearTimeout(timer);
      readTimersNow.clear();
    };
  }, [engine, getToken]);

  // The page's visibility decides whether posts in the open channel count as read.
  useEffect(() => {
    const onVisibility = () => {
      const visible = document.visibilityState === 'visible';
      dispatch({ type: 'viewing', visible });
      if (visible) {
        rtRef.current?.reconnectNow();
        const channelId = stateRef.current.viewing.channelId;
        if (channelId !== undefined && (stateRef.current.unreads[channelId]?.unread ?? 0) > 0) void actions.openChannel(channelId).catch(() => undefined);
      }
    };
    document.addEventListener('visibilitychange', onVisibility);
    return () => document.removeEventListener('visibilitychange', onVisibility);
  }, [actions]);

  // Typing indicators fade out on their own.
  const hasTyping = Object.keys(state.typing).length > 0;
  useEffect(() => {
    if (!hasTyping) return;
    const t = setInterval(() => dispatch({ type: 'typing_expire', now: Date.now() }), 1000);
    return () => clearInterval(t);
  }, [hasTyping]);

  const value = useMemo(() => ({ state, outbox, toasts, actions, api }), [state, outbox, toasts, actions, api]);
  return <ChatContext.Provider value={value}>{children}</ChatContext.Provider>;
}

/** Re-renders every `ms` (for relative times and fading typing indicators). */
export function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
