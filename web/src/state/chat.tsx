/**
 * The signed-in client in React: one store (reducer.ts) and one engine (engine.ts) per
 * signed-in user, handed down through two contexts:
 *
 * - ChatStateContext: the state; its readers re-render on every change.
 * - ChatActionsContext: the engine's actions and the REST client; stable for the session, so
 *   a component that only acts (a dialog, a message row's buttons) never re-renders because
 *   the state changed.
 *
 * Message rows read neither for their data: the list hands each row the few values it shows,
 * and rows are memoized (see Post.tsx), so a typing indicator does not re-render history.
 */
import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { ApiClient } from '../lib/api.js';
import { RealtimeClient, wsUrl, type SocketLike } from '../lib/realtime.js';
import { browserDesktop } from '../lib/desktop-browser.js';
import { permalinkTeam } from '../lib/desktop-notify.js';
import { permalinkPath } from '../lib/search.js';
import type { User } from '../lib/types.js';
import { navigate } from '../navigation.js';
import { ChatEngine, type ChatActions, type SignOutReason } from './engine.js';
import type { ChatState, Outgoing, Toast } from './reducer.js';
import { createChatStore, type ChatStore } from './store.js';

export type { ChatActions, ChatStore, Outgoing, Toast };

export interface ChatActionsValue {
  readonly actions: ChatActions;
  readonly api: ApiClient;
  /** For useChatSelector: subscribe to one slice instead of the whole state. */
  readonly store: ChatStore;
}

export const ChatStateContext = createContext<ChatState | undefined>(undefined);
export const ChatActionsContext = createContext<ChatActionsValue | undefined>(undefined);

/** The state; the caller re-renders whenever it changes. */
export function useChatState(): ChatState {
  const state = useContext(ChatStateContext);
  if (state === undefined) throw new Error('useChatState outside ChatProvider');
  return state;
}

/** The actions and the REST client; stable, so reading them never causes a re-render. */
export function useChatActions(): ChatActionsValue {
  const value = useContext(ChatActionsContext);
  if (value === undefined) throw new Error('useChatActions outside ChatProvider');
  return value;
}

/**
 * One slice of the state; the caller re-renders only when that slice changes (compared with
 * Object.is, so return something the reducer keeps when unchanged: an id, a stored object).
 */
export function useChatSelector<T>(select: (state: ChatState) => T): T {
  const { store } = useChatActions();
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}

/** State and actions together, for components that show state anyway. */
export function useChat(): Omit<ChatActionsValue, 'store'> & { readonly state: ChatState; readonly outbox: ChatState['outbox']; readonly toasts: ChatState['toasts'] } {
  const state = useChatState();
  const { actions, api } = useChatActions();
  return { state, outbox: state.outbox, toasts: state.toasts, actions, api };
}

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

export interface ChatProviderProps {
  readonly user: User;
  readonly api: ApiClient;
  readonly getToken: () => string | undefined;
  /** Sign-out or a session the server ended (REST 401 or WebSocket 1008). */
  readonly onSignedOut: (reason: SignOutReason) => void;
  /** A password change replaced this session: keep the new token. */
  readonly onSessionRenewed?: (token: string) => void;
  readonly children: ReactNode;
}

/** Provides a store and actions built elsewhere (tests and the live client alike). */
export function ChatContexts({ value, children }: { readonly value: ChatActionsValue; readonly children: ReactNode }) {
  const state = useSyncExternalStore(value.store.subscribe, value.store.getState);
  return (
    <ChatActionsContext.Provider value={value}>
      <ChatStateContext.Provider value={state}>{children}</ChatStateContext.Provider>
    </ChatActionsContext.Provider>
  );
}

export function ChatProvider({ user, api, getToken, onSignedOut, onSessionRenewed, children }: ChatProviderProps) {
  // One store and engine per signed-in user: App keys this provider by user id and passes
  // stable callbacks, so the first ones are the ones used.
  const [{ engine, value }] = useState(() => {
    const s = createChatStore(user);
    const e = new ChatEngine({
      getState: s.getState,
      dispatch: s.dispatch,
      api,
      realtime: (handlers) => new RealtimeClient({ url: (path) => wsUrl(window.location, path), getToken, createSocket: browserSocket }, handlers),
      onSignedOut,
      ...(onSessionRenewed !== undefined ? { onSessionRenewed } : {}),
      desktop: browserDesktop,
      openPost: (postId, teamId) => {
        const team = permalinkTeam(s.getState().teams, teamId, window.location.pathname);
        if (team !== undefined) navigate(permalinkPath(team.name, postId));
      },
    });
    return { engine: e, value: { actions: e, api, store: s } };
  });

  useEffect(() => {
    engine.start();
    const online = () => engine.online();
    const visibility = () => engine.setVisible(document.visibilityState === 'visible');
    window.addEventListener('online', online);
    document.addEventListener('visibilitychange', visibility);
    return () => {
      window.removeEventListener('online', online);
      document.removeEventListener('visibilitychange', visibility);
      engine.stop();
    };
  }, [engine]);

  return <ChatContexts value={value}>{children}</ChatContexts>;
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
