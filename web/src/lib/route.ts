/**
 * The client's URLs. `/login` is the sign-in page (and where SSO lands with `?code=` or
 * `?error=`); `/reset-password` is where the link of a password-reset mail lands (with the
 * token in the `#token=` fragment); `/register` is where the link of a registration mail lands
 * (likewise); `/<team>/channels/<channel>` opens a channel; `/<team>/pl/<post id>` (a
 * permalink) opens a message in its channel; `/<team>/threads` lists the threads I follow; anything else opens the last team. The server answers every non-API GET with index.html, so these
 * URLs survive a reload.
 */
import type { SsoLoginError } from '../../../src/domain/sso.js';
import { t, type MessageKey } from '../i18n/index.js';

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
/** Each code's sentence (a catalogue key): a code the server adds without one here fails to compile. */
const SSO_ERROR_KEYS: Readonly<Record<SsoLoginError, Extract<MessageKey, `sso.${string}`>>> = {
  idp_access_denied: 'sso.idp_access_denied',
  idp_login_required: 'sso.idp_login_required',
  idp_consent_required: 'sso.idp_consent_required',
  idp_interaction_required: 'sso.idp_interaction_required',
  idp_unavailable: 'sso.idp_unavailable',
  idp_refused: 'sso.idp_refused',
  idp_unreachable: 'sso.idp_unreachable',
  idp_unverifiable: 'sso.idp_unverifiable',
  provider_disabled: 'sso.provider_disabled',
  misconfigured: 'sso.misconfigured',
  email_unusable: 'sso.email_unusable',
  subject_unusable: 'sso.subject_unusable',
  domain_not_allowed: 'sso.domain_not_allowed',
  account_inactive: 'sso.account_inactive',
  email_unverified_at_idp: 'sso.email_unverified_at_idp',
  account_email_unverified: 'sso.account_email_unverified',
  account_linked_elsewhere: 'sso.account_linked_elsewhere',
  no_account: 'sso.no_account',
  no_email: 'sso.no_email',
  no_free_username: 'sso.no_free_username',
  try_again: 'sso.try_again',
};

export function ssoErrorMessage(code: string): string {
  return t(Object.hasOwn(SSO_ERROR_KEYS, code) ? SSO_ERROR_KEYS[code as SsoLoginError] : 'sso.generic');
}

/** The list of threads I follow, in a team. */
export function threadsPath(team: string): string {
  return `/${encodeURIComponent(team)}/threads`;
}
