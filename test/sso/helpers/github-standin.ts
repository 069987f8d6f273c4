/**
 * A small stand-in for GitHub's OAuth endpoints on a loopback port, laid out like GitHub
 * Enterprise: /login/oauth/authorize, /login/oauth/access_token (client secret in the
 * form, PKCE S256 checked, 200 + JSON error on failure like GitHub), and the API under
 * /api/v3: /user and /user/emails (with primary/verified flags).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readForm } from './form.js';

export interface GithubUser {
  readonly id: number;
  readonly login: string;
  readonly name: string | null;
  readonly emails: readonly { email: string; primary: boolean; verified: boolean }[];
}

export interface GithubStandIn {
  readonly webUrl: string;
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly users: Map<string, GithubUser>;
  nextLogin: string;
  /** Access tokens issued (to search the logs for). */
  readonly issued: string[];
  /** Parameters of every authorization request. */
  readonly authorizations: URLSearchParams[];
  close(): Promise<void>;
}

export async function startGithubStandIn(users: GithubUser[]): Promise<GithubStandIn> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const webUrl = `http://127.0.0.1:${address.port}`;
  const clientId = `Iv1.${randomBytes(8).toString('hex')}`;
  const clientSecret = randomBytes(20).toString('hex');
  const codes = new Map<string, { login: string; challenge: string | null; redirectUri: string }>();
  const tokens = new Map<string, string>();
  const gh: GithubStandIn = {
    webUrl, apiUrl: `${webUrl}/api/v3`, clientId, clientSecret,
    users: new Map(users.map((u) => [u.login, u])),
    nextLogin: users[0]?.login ?? '',
    issued: [],
    authorizations: [],
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const json = (res: ServerResponse, status: number, value: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value));
  };
  const userOf = (req: IncomingMessage): GithubUser | undefined => {
    const m = /^(?:Bearer|token) (.+)$/.exec(req.headers.authorization ?? '');
    const login = m === null ? undefined : tokens.get(m[1]!);
    return login === undefined ? undefined : gh.users.get(login);
  };

  server.on('request', (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', webUrl);
      switch (`${req.method} ${url.pathname}`) {
        case 'GET /login/oauth/authorize': {
          const p = url.searchParams;
          gh.authorizations.push(p);
          if (p.get('client_id') !== clientId) return json(res, 404, { message: 'Not Found' });
          const code = randomBytes(10).toString('hex');
          codes.set(code, { login: gh.nextLogin, challenge: p.get('code_challenge'), redirectUri: p.get('redirect_uri') ?? '' });
          const back = new URL(p.get('redirect_uri') ?? '');
          back.searchParams.set('code', code);
          back.searchParams.set('state', p.get('state') ?? '');
          res.writeHead(302, { location: back.href }).end();
          return;
        }
        case 'POST /login/oauth/access_token': {
          const form = await readForm(req);
          const grant = codes.get(form.get('code') ?? '');
          codes.delete(form.get('code') ?? '');
          if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) return json(res, 200, { error: 'incorrect_client_credentials' });
          if (grant === undefined || form.get('redirect_uri') !== grant.redirectUri) return json(res, 200, { error: 'bad_verification_code' });
          if (grant.challenge !== null && createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url') !== grant.challenge) {
            return json(res, 200, { error: 'bad_verification_code', error_description: 'PKCE' });
          }
          const token = `gho_${randomBytes(18).toString('hex')}`;
          tokens.set(token, grant.login);
          gh.issued.push(token);
          return json(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
        }
        case 'GET /api/v3/user': {
          const user = userOf(req);
          if (user === undefined) return json(res, 401, { message: 'Bad credentials' });
          return json(res, 200, { id: user.id, login: user.login, name: user.name, email: null });
        }
        case 'GET /api/v3/user/emails': {
          const user = userOf(req);
          if (user === undefined) return json(res, 401, { message: 'Bad credentials' });
          return json(res, 200, user.emails.map((e) => ({ ...e, visibility: e.primary ? 'public' : null })));
        }
        default:
          return json(res, 404, { message: 'Not Found' });
      }
    })().catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { message: String(err) });
    });
  });
  return gh;
}
