/** Health probes, the OpenAPI document and (when a token is configured) /metrics on the main port. */
import { timingSafeEqual } from 'node:crypto';
import { Type } from 'typebox';
import { unauthorized } from '../../domain/errors.js';
import { bearerToken } from '../../security/tokens.js';
import type { HttpDeps } from '../server.js';
import type { App } from '../types.js';

export function healthRoutes(app: App, deps: HttpDeps): void {
  app.get('/api/v1/health/live', {
    config: { public: true },
    // No version: an anonymous probe must not help anyone match the server to known flaws
    // (admins see it in GET /admin/stats).
    schema: { tags: ['health'], summary: 'The process is up', security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/api/v1/health/ready', {
    config: { public: true },
    schema: {
      tags: ['health'], summary: 'The database (and Redis, when configured) answer', security: [],
      response: { 200: Type.Object({ status: Type.String(), checks: Type.Record(Type.String(), Type.String()) }), 503: Type.Object({ status: Type.String(), checks: Type.Record(Type.String(), Type.String()) }) },
    },
  }, async (_req, reply) => {
    const checks: Record<string, string> = {};
    let ok = true;
    await Promise.all(
      Object.entries(deps.readiness).map(async ([name, check]) => {
        try {
          await Promise.race([check(), new Promise<never>((_r, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())]);
          checks[name] = 'ok';
        } catch (err) {
          ok = false;
          checks[name] = err instanceof Error && err.message === 'timeout' ? 'timeout' : 'unavailable';
        }
      }),
    );
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
  });

  app.get('/api/v1/openapi.json', {
    config: { public: true },
    schema: { hide: true },
  }, async () => app.swagger());

  const token = deps.config.metrics.token;
  if (token !== undefined) {
    const expected = Buffer.from(token);
    app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
      // The same bearer parser as every authenticated request (scheme case-insensitive), then a constant-time compare.
      const got = Buffer.from(bearerToken(req.headers.authorization ?? '') ?? '');
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw unauthorized();
      const { contentType, text } = await deps.metrics.exposition();
      return reply.type(contentType).send(text);
    });
  }
}
