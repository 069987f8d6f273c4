/** Fastify type wiring shared by the server and the route modules. */
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { unauthorized } from '../domain/errors.js';
import type { Authenticated } from '../services/sessions.js';
import type { CallContext } from '../services/context.js';

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Route needs no session. */
    public?: boolean;
    /** Route counts against the per-IP auth rate limit. */
    rateLimit?: 'auth';
    /** Route serves uploaded bytes: FILE_CSP (sandbox) instead of the web client's policy. */
    fileResponse?: boolean;
    /** Route reads a multipart/form-data body (uploads); every other route answers it with 415. */
    multipart?: boolean;
    /**
     * The route parameter that names the channel the route is about: the caller's access row
     * for it is read with the session, in one statement (CallContext.channel). Access decides
     * from it only while it is fresh (CHANNEL_READ_FRESH_MS in services/access.ts): a body that
     * arrives later is decided on a fresh read. Only on routes whose body is small JSON.
     */
    channelParam?: string;
  }
  interface FastifyRequest {
    clientIp: string;
    auth: Authenticated | null;
    /** How the token arrived: a cookie-authenticated unsafe request needs the CSRF header. */
    authVia: 'header' | 'cookie' | null;
  }
}

/**
 * The session cookie's name. Production: `__Host-` prefixed, so that browsers accept it only
 * when set Secure, with Path=/ and no Domain, from this very host: a sibling subdomain can
 * then neither set nor shadow it. Development keeps the plain name, since the cookie is not
 * Secure on http:// (browsers refuse `__Host-` without Secure). Each environment reads only
 * its own name, so a plain cookie planted by a sibling is never read in production.
 */
export function sessionCookieName(isProduction: boolean): string {
  return isProduction ? '__Host-rustchat_session' : 'rustchat_session';
}

/**
 * The SSO flow's browser cookie (binds a started login, and its exchange code, to the browser
 * that started it), prefixed like the session cookie and for the same reason: a sibling
 * subdomain must not plant a binding of its choosing. `__Host-` requires Path=/, so in
 * production it is sent to every path; in development it stays scoped to the OAuth routes.
 */
export function oauthBrowserCookie(isProduction: boolean): { readonly name: string; readonly path: string } {
  return isProduction ? { name: '__Host-rustchat_oauth_browser', path: '/' } : { name: 'rustchat_oauth_browser', path: '/api/v1/oauth2/' };
}

/** The caller of an authenticated route. */
export function callCtx(req: FastifyRequest): CallContext {
  if (req.auth === null) throw unauthorized();
  return { actor: req.auth.actor, ip: req.clientIp, requestId: req.id, channel: req.auth.channel };
}

export function userAgent(req: FastifyRequest): string {
  const ua = req.headers['user-agent'];
  return typeof ua === 'string' ? ua : '';
}
