/**
 * A deliberately small OpenID Connect provider on a loopback port, for the ID token checks
 * a well-behaved provider (oidc-provider) will not let us provoke: it signs whatever the
 * test asks for — another audience or issuer, a wrong nonce, an expired token, a signature
 * by a key outside its JWKS — and can rotate its signing key.
 *
 * It is real over the wire: discovery, JWKS, authorization (auto-approving `nextUser`),
 * token endpoint (client_secret_basic and PKCE S256 checked) and UserInfo.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';
import type { IdpUser } from './oidc-idp.js';
import { readForm } from './form.js';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  readonly publicJwk: JWK;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `k-${randomBytes(4).toString('hex')}`;
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export interface IdTokenTweak {
  /** Changes the claims before signing. */
  claims?: (claims: JWTPayload) => void;
  /** Sign with a key that is not in the JWKS (same kid as the published key). */
  rogueSignature?: boolean;
}

export interface StandInIdp {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly users: Map<string, IdpUser>;
  /** Who the next authorization signs in as. */
  nextUser: string;
  /** Applied to the next ID tokens (until reset). */
  tweak: IdTokenTweak;
  /** UserInfo answers with another `sub` when set. */
  userinfoSubject: string | undefined;
  /** JWKS downloads so far. */
  readonly jwksFetches: () => number;
  /** ID tokens issued (to search the logs for). */
  readonly issued: string[];
  /** Replaces the signing key; `keepOld` keeps the previous key in the JWKS. */
  rotateKey(keepOld?: boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startStandInIdp(opts: { users: IdpUser[] }): Promise<StandInIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const issuer = `http://127.0.0.1:${address.port}`;
  const clientId = `standin-${randomBytes(4).toString('hex')}`;
  const clientSecret = randomBytes(24).toString('base64url');
  let key = await newKey();
  let published: JWK[] = [key.publicJwk];
  const rogue = await newKey();
  const codes = new Map<string, { user: string; nonce: string | null; challenge: string | null; redirectUri: string }>();
  const accessTokens = new Map<string, string>();
  let jwksFetches = 0;
  const issued: string[] = [];

  const idp: StandInIdp = {
    issuer, clientId, clientSecret,
    users: new Map(opts.users.map((u) => [u.sub, u])),
    nextUser: opts.users[0]?.sub ?? '',
    tweak: {},
    userinfoSubject: undefined,
    jwksFetches: () => jwksFetches,
    issued,
    async rotateKey(keepOld = false) {
      const next = await newKey();
      published = keepOld ? [next.publicJwk, ...published] : [next.publicJwk];
      key = next;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };

  const json = (res: ServerResponse, status: number, value: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(value));
  };

  server.on('request', (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', issuer);
      switch (`${req.method} ${url.pathname}`) {
        case 'GET /.well-known/openid-configuration':
          return json(res, 200, {
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${issuer}/token`,
            userinfo_endpoint: `${issuer}/userinfo`,
            jwks_uri: `${issuer}/jwks`,
            response_types_supported: ['code'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256'],
            code_challenge_methods_supported: ['S256'],
            token_endpoint_auth_methods_supported: ['client_secret_basic'],
          });
        case 'GET /jwks':
          jwksFetches++;
          return json(res, 200, { keys: published });
        case 'GET /authorize': {
          const p = url.searchParams;
          const redirectUri = p.get('redirect_uri') ?? '';
          if (p.get('client_id') !== clientId || p.get('response_type') !== 'code' || p.get('code_challenge_method') !== 'S256') return json(res, 400, { error: 'invalid_request' });
          const code = randomBytes(16).toString('base64url');
          codes.set(code, { user: idp.nextUser, nonce: p.get('nonce'), challenge: p.get('code_challenge'), redirectUri });
          const back = new URL(redirectUri);
          back.searchParams.set('code', code);
          if (p.get('state') !== null) back.searchParams.set('state', p.get('state')!);
          res.writeHead(302, { location: back.href }).end();
          return;
        }
        case 'POST /token': {
          const auth = req.headers.authorization ?? '';
          const [id, secret] = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString('utf8').split(':').map((v) => decodeURIComponent(v));
          if (id !== clientId || secret !== clientSecret) return json(res, 401, { error: 'invalid_client' });
          const form = await readForm(req);
          const grant = codes.get(form.get('code') ?? '');
          codes.delete(form.get('code') ?? '');
          if (grant === undefined || form.get('redirect_uri') !== grant.redirectUri) return json(res, 400, { error: 'invalid_grant' });
          const verifier = form.get('code_verifier') ?? '';
          if (grant.challenge === null || createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return json(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
          const now = Math.floor(Date.now() / 1000);
          const claims: JWTPayload = { iss: issuer, aud: clientId, sub: grant.user, iat: now, exp: now + 300, ...(grant.nonce !== null ? { nonce: grant.nonce } : {}) };
          idp.tweak.claims?.(claims);
          const signing = idp.tweak.rogueSignature === true ? { ...rogue, kid: key.kid } : key;
          const idToken = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signing.kid, typ: 'JWT' }).sign(signing.privateKey);
          issued.push(idToken);
          const accessToken = randomBytes(24).toString('base64url');
          accessTokens.set(accessToken, grant.user);
          issued.push(accessToken);
          return json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 300, id_token: idToken });
        }
        case 'GET /userinfo': {
          const sub = accessTokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
          const user = sub === undefined ? undefined : idp.users.get(sub);
          if (user === undefined) return json(res, 401, { error: 'invalid_token' });
          return json(res, 200, { ...user, sub: idp.userinfoSubject ?? user.sub });
        }
        default:
          return json(res, 404, { error: 'not_found' });
      }
    })().catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String(err) });
    });
  });
  return idp;
}
