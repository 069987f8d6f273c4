/** History-based navigation: `navigate()` changes the URL, `useRoute()` follows it (back/forward too). */
import { useSyncExternalStore } from 'react';
import { parseRoute, type Route } from './lib/route.js';

const EVENT = 'rustchat:navigate';

export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (path === window.location.pathname + window.location.search) return;
  if (opts.replace === true) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  window.dispatchEvent(new Event(EVENT));
}

function subscribe(cb: () => void): () => void {
  window.addEventListener('popstate', cb);
  window.addEventListener(EVENT, cb);
  return () => {
    window.removeEventListener('popstate', cb);
    window.removeEventListener(EVENT, cb);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

/** The current path and query (`/team/channels/x?y`), following navigation. */
export function useHref(): string {
  return useSyncExternalStore(subscribe, snapshot);
}

export function useRoute(): Route {
  const href = useHref();
  const q = href.indexOf('?');
  return parseRoute(q === -1 ? href : href.slice(0, q), q === -1 ? '' : href.slice(q));
}
