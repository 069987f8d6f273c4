/**
 * The client's URLs. `/login` is the sign-in page (and where SSO lands with `?code=` or
 * `?error=`); `/reset-password` is where the link of a password-reset mail lands (with the
 * token in the `#token=` fragment); `/register` is where the link of a registration mail lands
 * (likewise); `/<team>/channels/<channel>` opens a channel; `/<team>/pl/<post id>` (a
 * permalink) opens a message in its channel; `/<team>/threads` lists the threads I follow; anything else opens the last team. The server answers every non-API GET with index.html, so these
 * URLs survive a reload.
 */
import type { SsoLoginError } from '../../../src/domain/sso.js';

export type Route =
  | { kind: 'login'; code?: string; error?: string }
  | { kind: 'reset-password' }
  | { kind: 'register' }
  | { kind: 'app'; team?: string; channel?: string; postId?: string; threads?: boolean };

export const RESET_PASSWORD_PATH = '/reset-password';
/** Where the link of a "finish creating your account" mail lands (token in `#token=`). */
export const REGISTER_PATH = '/register';

export function parseRoute(pathname: string, search: string): Route {
  const params = new URLSearchParams(search);
  if (pathname === RESET_PASSWORD_PATH || pathname === `${RESET_PASSWORD_PATH}/`) return { kind: 'reset-password' };
  if (pathname === REGISTER_PATH || pathname === `${REGISTER_PATH}/`) return { kind: 'register' };
  if (pathname === '/login' || pathname === '/login/') {
    const route: Route = { kind: 'login' };
    const code = params.get('code');
    const error = params.get('error');
    if (code !== null && code !== '') route.code = code;
    if (error !== null && error !== '') route.error = error;
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
  if (parts.length >= 3 && parts[1] === 'pl') return { kind: 'app', team: parts[0]!, postId: parts[2]! };
  if (parts.length === 2 && parts[1] === 'threads') return { kind: 'app', team: parts[0]!, threads: true };
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

/** The token of a registration link (`#token=<sealed registration>`), or undefined when there is none or it cannot be one. */
export function registrationTokenFromHash(hash: string): string | undefined {
  const token = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash).get('token');
  if (token === null || !/^[A-Za-z0-9_.-]{1,4096}$/.test(token)) return undefined;
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
 * What the sign-in page says for an SSO failure (`/login?error=<code>`). The server sends
 * codes only; the sentences are ours. Anything else in the link (an unknown code, free text,
 * an `error_description`) could have been written by whoever crafted the link, so it is never
 * shown: an unknown code gets the generic sentence.
 */
const SSO_ERROR_SENTENCES: Readonly<Record<SsoLoginError, string>> = {
  idp_access_denied: 'Sign-in was cancelled or refused at the identity provider.',
  idp_login_required: 'The identity provider asked you to sign in again.',
  idp_consent_required: 'The identity provider needs your consent before you can sign in.',
  idp_interaction_required: 'The identity provider needs more information before you can sign in.',
  idp_unavailable: 'The identity provider is temporarily unavailable. Please try again later.',
  idp_refused: 'The identity provider refused the sign-in. Please try again.',
  idp_unreachable: 'The identity provider could not be reached. Please try again later.',
  idp_unverifiable: 'The identity provider\'s answer could not be verified. Please try again.',
  provider_disabled: 'This sign-in method has been turned off.',
  misconfigured: 'This sign-in method is misconfigured. Please tell an administrator.',
  email_unusable: 'The identity provider gave an e-mail address that cannot be used here.',
  subject_unusable: 'The identity provider gave an account identifier that cannot be used here.',
  domain_not_allowed: 'Your e-mail address is not from a domain that may sign in here.',
  account_inactive: 'This account has been deactivated.',
  email_unverified_at_idp: 'An account with this e-mail address already exists, and the identity provider has not verified the address, so it cannot be linked. Sign in with your password instead.',
  account_email_unverified: 'An account with this e-mail address already exists, but its address was never verified here, so it cannot be linked automatically. Sign in with your password, or ask an administrator.',
  account_linked_elsewhere: 'This account is already linked to another identity at this provider.',
  no_account: 'You do not have an account on this server yet. Ask an administrator to create one.',
  no_email: 'The identity provider did not share your e-mail address, which is needed to create your account.',
  no_free_username: 'No free username could be found for your account. Ask an administrator.',
  try_again: 'Signing in failed. Please try again.',
};

export const SSO_ERROR_GENERIC = 'Single sign-on did not work. Please try again.';

export function ssoErrorMessage(code: string): string {
  return Object.hasOwn(SSO_ERROR_SENTENCES, code) ? SSO_ERROR_SENTENCES[code as SsoLoginError] : SSO_ERROR_GENERIC;
}

/** The list of threads I follow, in a team. */
export function threadsPath(team: string): string {
  return `/${encodeURIComponent(team)}/threads`;
}
