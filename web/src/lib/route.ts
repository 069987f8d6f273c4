/**
 * The client's URLs. `/login` is the sign-in page (and where SSO lands with `?code=` or
 * `?error=`); `/reset-password` is where the link of a password-reset mail lands (with the
 * token in the `#token=` fragment); `/<team>/channels/<channel>` opens a channel; anything
 * else opens the last team. The server answers every non-API GET with index.html, so these
 * URLs survive a reload.
 */
export type Route =
  | { kind: 'login'; code?: string; error?: string; errorDescription?: string }
  | { kind: 'reset-password' }
  | { kind: 'app'; team?: string; channel?: string };

export const RESET_PASSWORD_PATH = '/reset-password';

export function parseRoute(pathname: string, search: string): Route {
  const params = new URLSearchParams(search);
  if (pathname === RESET_PASSWORD_PATH || pathname === `${RESET_PASSWORD_PATH}/`) return { kind: 'reset-password' };
  if (pathname === '/login' || pathname === '/login/') {
    const route: Route = { kind: 'login' };
    const code = params.get('code');
    const error = params.get('error');
    const description = params.get('error_description');
    if (code !== null && code !== '') route.code = code;
    if (error !== null && error !== '') route.error = error;
    if (description !== null && description !== '') route.errorDescription = description;
    return route;
  }
  const parts = pathname.split('/').filter((p) => p !== '').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts.length >= 3 && parts[1] === 'channels') return { kind: 'app', team: parts[0]!, channel: parts[2]! };
  if (parts.length === 1) return { kind: 'app', team: parts[0]! };
  return { kind: 'app' };
}

/**
 * The token of a password-reset link from its fragment (`#token=<base64url>`), or undefined
 * when there is none or it cannot be one (then the link is shown as invalid, with no request).
 */
export function resetTokenFromHash(hash: string): string | undefined {
  const token = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash).get('token');
  if (token === null || !/^[A-Za-z0-9_-]{1,512}$/.test(token)) return undefined;
  return token;
}

export function channelPath(team: string, channel: string): string {
  return `/${encodeURIComponent(team)}/channels/${encodeURIComponent(channel)}`;
}

/**
 * Where to go after an SSO sign-in: the exchange's `redirect_to` when it is a path on this
 * origin (`/x`, never `//x`, `/\x`, a scheme or another host), else `/`. The server checked it
 * when the login started; the browser checks again with its own URL parser, since it is the
 * one that will follow it. `/login` itself would only loop back to the sign-in page.
 */
export function safeRedirectTarget(candidate: unknown, origin: string): string {
  if (typeof candidate !== 'string' || !candidate.startsWith('/') || candidate.startsWith('//') || candidate.includes('\\')) return '/';
  // Browsers drop tabs and newlines from URLs, which can turn `/\t/evil` into `//evil`.
  for (let i = 0; i < candidate.length; i++) if (candidate.charCodeAt(i) < 0x20 || candidate.charCodeAt(i) === 0x7f) return '/';
  let url: URL;
  try {
    url = new URL(candidate, origin);
  } catch {
    return '/';
  }
  if (url.origin !== origin) return '/';
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (path.startsWith('//') || url.pathname === '/login' || url.pathname === '/login/') return '/';
  return path;
}

/**
 * A sentence for an SSO failure (`/login?error=…`). RustChat's callback sends a sentence for
 * people (shown as it is); a bare error code (`access_denied`, from a provider or an older
 * server) is put into words. Shown as plain text only, and kept short.
 */
export function ssoErrorMessage(error: string, description?: string): string {
  const known: Record<string, string> = {
    access_denied: 'Sign-in was cancelled or refused by the identity provider.',
    invalid_state: 'The sign-in link expired or was opened in another browser. Please try again.',
    invalid_oauth_state: 'The sign-in link expired or was opened in another browser. Please try again.',
    state_mismatch: 'The sign-in link expired or was opened in another browser. Please try again.',
    provider_error: 'The identity provider reported an error. Please try again.',
    account_exists: 'An account with this e-mail already exists. Sign in with your password first.',
    email_not_verified: 'The identity provider has not verified your e-mail address.',
    registration_closed: 'New accounts cannot be created on this server.',
    account_disabled: 'This account has been deactivated.',
    unknown_provider: 'That sign-in method is not available.',
    server_error: 'Something went wrong during sign-in. Please try again.',
  };
  const isCode = /^[a-z0-9_.-]{1,64}$/i.test(error);
  const base = known[error] ?? (isCode ? `Single sign-on failed (${error}).` : Array.from(error.trim()).slice(0, 300).join(''));
  const extra = description !== undefined && description.trim() !== '' ? ` ${description.trim().slice(0, 300)}` : '';
  return base + extra;
}
