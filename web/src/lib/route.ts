/**
 * The client's URLs. `/login` is the sign-in page (and where SSO lands with `?code=` or
 * `?error=`); `/<team>/channels/<channel>` opens a channel; anything else opens the last team.
 * The server answers every non-API GET with index.html, so these URLs survive a reload.
 */
export type Route =
  | { kind: 'login'; code?: string; error?: string; errorDescription?: string }
  | { kind: 'app'; team?: string; channel?: string };

export function parseRoute(pathname: string, search: string): Route {
  const params = new URLSearchParams(search);
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

export function channelPath(team: string, channel: string): string {
  return `/${encodeURIComponent(team)}/channels/${encodeURIComponent(channel)}`;
}

/** A sentence for an SSO failure (`/login?error=…`); provider text is shown as plain text only. */
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
  const base = known[error] ?? `Single sign-on failed (${error.slice(0, 64)}).`;
  const extra = description !== undefined && description.trim() !== '' ? ` ${description.trim().slice(0, 300)}` : '';
  return base + extra;
}
