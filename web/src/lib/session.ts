/**
 * Where the session token lives in the browser: in memory, plus sessionStorage so that a
 * reload of the tab stays signed in. Never in localStorage (it would outlive the tab and be
 * shared by every tab) and never in a URL. The server also sets an HttpOnly cookie at sign-in;
 * the client does not rely on it.
 */
const KEY = 'rustchat.token';

/** The part of the Web Storage API used here. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface TokenStore {
  get(): string | undefined;
  set(token: string): void;
  clear(): void;
}

export function tokenStore(storage: StorageLike | undefined): TokenStore {
  let token: string | undefined;
  try {
    token = storage?.getItem(KEY) ?? undefined;
  } catch {
    token = undefined; // storage disabled: memory only
  }
  return {
    get: () => token,
    set(value) {
      token = value;
      try {
        storage?.setItem(KEY, value);
      } catch {
        // memory only
      }
    },
    clear() {
      token = undefined;
      try {
        storage?.removeItem(KEY);
      } catch {
        // memory only
      }
    },
  };
}
