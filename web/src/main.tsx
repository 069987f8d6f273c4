/**
 * Entry point. Before the first render it settles who is signed in: an SSO landing
 * (`/login?code=…`) is exchanged for a session exactly once (a code is single use: a second
 * use is treated as theft and ends the session) and the browser goes on to the exchange's
 * `redirect_to`, otherwise a token kept in this tab's
 * sessionStorage is checked with the server. A password-reset link (`/reset-password#token=…`)
 * gives up its token at once: it is taken from the fragment and the fragment is removed from
 * the address bar and from this tab's back/forward entry before anything else runs (the
 * browser's global history list may still hold the visited URL: the link works once, for
 * 30 minutes).
 */
import { createRoot } from 'react-dom/client';
import { App, type Boot } from './App.js';
import { ApiClient, ApiError, describeError } from './lib/api.js';
import { parseRoute, registrationTokenFromHash, resetTokenFromHash, safeRedirectTarget, ssoErrorMessage } from './lib/route.js';
import { tokenStore } from './lib/session.js';
import { xhrTransport } from './lib/upload.js';
import { applyTheme } from './lib/theme.js';
import { initLocale, t } from './i18n/index.js';
import './styles.css';
import './screens.css';

applyTheme();
initLocale();

const tokens = tokenStore(window.sessionStorage);
let sessionEnded: () => void = () => undefined;
const api = new ApiClient({
  fetch: (input, init) => window.fetch(input, init),
  upload: xhrTransport(),
  getToken: () => tokens.get(),
  onSessionEnded: () => sessionEnded(),
});

/** Synchronous up to its first await, so the reset token leaves the address bar before any request or render. */
async function boot(): Promise<Boot> {
  const route = parseRoute(window.location.pathname, window.location.search);
  if (route.kind === 'reset-password') {
    const resetToken = resetTokenFromHash(window.location.hash);
    if (window.location.hash !== '') window.history.replaceState(null, '', window.location.pathname + window.location.search);
    return { ...(await keptSession()), resetToken };
  }
  if (route.kind === 'register') {
    // Like a reset link: the token leaves the address bar before anything else.
    const token = registrationTokenFromHash(window.location.hash);
    window.history.replaceState(null, '', '/login');
    if (token === undefined) return { user: undefined, notice: t('session.registrationLinkIncomplete') };
    try {
      const session = await api.completeRegistration(token);
      tokens.set(session.token);
      window.history.replaceState(null, '', '/');
      return { user: session.user };
    } catch (err) {
      return { user: undefined, notice: describeError(err) };
    }
  }
  if (route.kind === 'login') {
    // The code and any error leave the address bar (and history) at once.
    window.history.replaceState(null, '', '/login');
    if (route.error !== undefined) return { user: undefined, notice: ssoErrorMessage(route.error) };
    if (route.code !== undefined) {
      try {
        const session = await api.exchangeCode(route.code);
        tokens.set(session.token);
        // Back to where the sign-in started (a deep link), when that is a path on this site.
        window.history.replaceState(null, '', safeRedirectTarget(session.redirect_to, window.location.origin));
        return { user: session.user };
      } catch (err) {
        const expired = err instanceof ApiError && (err.status === 400 || err.status === 401 || err.status === 404);
        return { user: undefined, notice: expired ? t('session.signInLinkExpired') : describeError(err) };
      }
    }
    // Already signed in in this tab: /login just leads back into the app.
    if (tokens.get() !== undefined) {
      try {
        const user = await api.me();
        window.history.replaceState(null, '', '/');
        return { user };
      } catch {
        tokens.clear();
      }
    }
    return { user: undefined };
  }
  return keptSession();
}

/** Whether the token kept in this tab (if any) is still a valid session. */
async function keptSession(): Promise<Boot> {
  if (tokens.get() === undefined) return { user: undefined };
  try {
    return { user: await api.me() };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      tokens.clear();
      return { user: undefined, notice: t('session.ended') };
    }
    return { user: undefined, notice: describeError(err), unreachable: true };
  }
}

const root = createRoot(document.getElementById('root')!);
void boot().then((initial) => {
  root.render(<App initial={initial} api={api} tokens={tokens} onSessionEndedRef={(fn) => { sessionEnded = fn; }} />);
});
