/** /api/v1/auth: register, login, logout, me, password policy, password change and reset by e-mail. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { passwordPolicy } from '../../domain/password-policy.js';
import type { HttpDeps } from '../server.js';
import { Body, Ok, PasswordPolicySchema, SessionResponse, UserSchema, errors } from '../schemas.js';
import { callCtx, sessionCookieName, userAgent, type App } from '../types.js';
import type { SignedIn } from '../../services/accounts.js';
import type { RegisterNext } from '../../services/registration.js';

/**
 * Sets the HttpOnly session cookie next to the JSON token: SameSite=Lax, Path=/, no Domain;
 * in production Secure and named `__Host-…` (see sessionCookieName).
 */
export function setSessionCookie(reply: FastifyReply, deps: Pick<HttpDeps, 'config'>, token: string, maxAgeSeconds: number): void {
  const { isProduction } = deps.config;
  void reply.setCookie(sessionCookieName(isProduction), token, { httpOnly: true, sameSite: 'lax', secure: isProduction, path: '/', maxAge: maxAgeSeconds });
}

export function clearSessionCookie(reply: FastifyReply, deps: Pick<HttpDeps, 'config'>): void {
  const { isProduction } = deps.config;
  void reply.clearCookie(sessionCookieName(isProduction), { httpOnly: true, sameSite: 'lax', secure: isProduction, path: '/' });
}

export function sessionBody(deps: HttpDeps, signedIn: SignedIn) {
  return {
    token: signedIn.started.token,
    token_type: 'Bearer' as const,
    expires_in: signedIn.started.expiresIn,
    user: deps.services.accounts.view(signedIn.user, { userId: signedIn.user.id, role: signedIn.user.role }),
  };
}

const RegisterAccepted = Type.Object({
  status: Type.Literal('accepted'),
  next: Type.Union([Type.Literal('check_email'), Type.Literal('sign_in')], {
    description: 'check_email: a mail with a link to finish was sent (when the address can take a new account). sign_in: no mail relay; sign in with the password just sent. The same for every address.',
  }),
  message: Type.String(),
});

const REGISTER_MESSAGES: Record<RegisterNext, string> = {
  check_email: 'Check your e-mail to finish creating your account.',
  sign_in: 'Registration received: sign in with your e-mail address and password.',
};

export function authRoutes(app: App, deps: HttpDeps): void {
  const { accounts } = deps.services;
  const anon = (req: FastifyRequest) => ({ ip: req.clientIp, requestId: req.id, userAgent: userAgent(req) });

  app.post('/api/v1/auth/register', {
    config: { public: true, rateLimit: 'auth' },
    schema: {
      tags: ['auth'], security: [],
      summary: 'Ask for an account (202 whether or not the e-mail address has one; finish with the mailed link, or sign in when no mail relay is configured)',
      body: Body({ username: Type.String({ maxLength: 64 }), email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 1024 }), display_name: Type.Optional(Type.String({ maxLength: 256 })) }),
      response: { 202: RegisterAccepted, ...errors(400, 403, 409, 422, 429) },
    },
  }, async (req, reply) => {
    const next = await deps.services.registration.register(req.body, anon(req));
    return reply.code(202).send({ status: 'accepted' as const, next, message: REGISTER_MESSAGES[next] });
  });

  app.post('/api/v1/auth/register/complete', {
    config: { public: true, rateLimit: 'auth' },
    schema: {
      tags: ['auth'], summary: 'Finish a registration with the token from its e-mail (creates the account, starts a session)', security: [],
      body: Body({ token: Type.String({ minLength: 1, maxLength: 4096 }) }),
      response: { 201: SessionResponse, ...errors(400, 403, 409, 429) },
    },
  }, async (req, reply) => {
    const signedIn = await deps.services.registration.complete(req.body.token, anon(req));
    setSessionCookie(reply, deps, signedIn.started.token, signedIn.started.expiresIn);
    return reply.code(201).send(sessionBody(deps, signedIn));
  });

  app.post('/api/v1/auth/login', {
    config: { public: true, rateLimit: 'auth' },
    schema: {
      tags: ['auth'], summary: 'Sign in with e-mail (or username) and password', security: [],
      body: Body({ email: Type.String({ maxLength: 254, description: 'E-mail address or username' }), password: Type.String({ maxLength: 1024 }) }),
      response: { 200: SessionResponse, ...errors(400, 401, 429) },
    },
  }, async (req, reply) => {
    const signedIn = await accounts.login(req.body.email, req.body.password, anon(req));
    setSessionCookie(reply, deps, signedIn.started.token, signedIn.started.expiresIn);
    return sessionBody(deps, signedIn);
  });

  app.post('/api/v1/auth/logout', {
    schema: { tags: ['auth'], summary: 'End this session', response: { 200: Ok, ...errors(401) } },
  }, async (req, reply) => {
    await accounts.logout(callCtx(req));
    clearSessionCookie(reply, deps);
    return { status: 'ok' as const };
  });

  app.get('/api/v1/auth/me', {
    schema: { tags: ['auth'], summary: 'The signed-in user', response: { 200: UserSchema, ...errors(401) } },
  }, async (req) => {
    const ctx = callCtx(req);
    return accounts.view(await accounts.me(ctx), ctx.actor);
  });

  app.get('/api/v1/auth/policy', {
    config: { public: true },
    schema: {
      tags: ['auth'], summary: 'Password rules', security: [],
      response: { 200: PasswordPolicySchema },
    },
  }, async () => ({ ...passwordPolicy, registration_open: deps.config.allowRegistration }));

  app.post('/api/v1/users/me/password', {
    schema: {
      tags: ['users'], summary: 'Change my password (ends every session, returns a new one)',
      body: Body({ current_password: Type.String({ maxLength: 1024 }), new_password: Type.String({ maxLength: 1024 }) }),
      response: { 200: SessionResponse, ...errors(400, 401, 422) },
    },
  }, async (req, reply) => {
    const signedIn = await accounts.changePassword({ ...callCtx(req), userAgent: userAgent(req) }, req.body.current_password, req.body.new_password);
    setSessionCookie(reply, deps, signedIn.started.token, signedIn.started.expiresIn);
    return sessionBody(deps, signedIn);
  });

  app.post('/api/v1/auth/password/forgot', {
    config: { public: true, rateLimit: 'auth' },
    schema: {
      tags: ['auth'], summary: 'E-mail a password-reset link (the same answer whether or not the address has an account)', security: [],
      body: Body({ email: Type.String({ maxLength: 254 }) }),
      response: { 200: Ok, ...errors(400, 422, 429, 503) },
    },
  }, async (req) => {
    deps.services.passwordResets.forgot(req.body.email, anon(req));
    return { status: 'ok' as const };
  });

  app.post('/api/v1/auth/password/reset', {
    config: { public: true, rateLimit: 'auth' },
    schema: {
      tags: ['auth'], summary: 'Set a new password with the token from a reset e-mail (ends every session of the account)', security: [],
      body: Body({ token: Type.String({ maxLength: 256 }), new_password: Type.String({ maxLength: 1024 }) }),
      response: { 200: Ok, ...errors(400, 422, 429) },
    },
  }, async (req) => {
    await deps.services.passwordResets.reset(req.body.token, req.body.new_password, anon(req));
    return { status: 'ok' as const };
  });
}
