/**
 * The client's state container: the reducer (reducer.ts) behind getState/dispatch/subscribe.
 * The engine reads the state synchronously right after each dispatch; React subscribes to it
 * with useSyncExternalStore (chat.tsx).
 */
import type { User } from '../lib/types.js';
import { initialState, reduce, type Action, type ChatState } from './reducer.js';

/** Plain functions (no `this`), so they can be handed to the engine and to React as they are. */
export interface ChatStore {
  readonly getState: () => ChatState;
  readonly dispatch: (action: Action) => void;
  readonly subscribe: (listener: () => void) => () => void;
}

export function createChatStore(me: User): ChatStore {
  let state = initialState(me);
  const listeners = new Set<() => void>();
  return {
    getState: () => state,
    dispatch(action) {
      const next = reduce(state, action);
      if (next === state) return;
      state = next;
      for (const l of listeners) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
