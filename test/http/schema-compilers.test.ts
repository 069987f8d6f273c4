/**
 * The lazy route-schema compilers (src/http/schema-compilers.ts) on a bare Fastify instance:
 * nothing compiles at start, and what a route does once compiled is what Fastify's own
 * compilers did — unknown body fields refused, response fields the schema does not name
 * never sent, one serializer per schema object.
 */
import { Ajv } from 'ajv';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { LazySchemaCompilers, compileRouteSchemas, rememberCompilers } from '../../src/http/schema-compilers.js';

function server() {
  const ajv = new Ajv({ coerceTypes: 'array', useDefaults: true, strict: false });
  const compilers = new LazySchemaCompilers(new Ajv({ coerceTypes: false, useDefaults: true, strict: false }), ajv);
  const app = Fastify({ schemaController: { compilersFactory: { buildValidator: compilers.validatorFactory, buildSerializer: compilers.serializerFactory } } });
  rememberCompilers(app, compilers);
  return { app, compilers };
}

const Out = { type: 'object', properties: { name: { type: 'string' } } } as const;

describe('lazy route-schema compilers', () => {
  it('compile nothing at start, and each schema object once', async () => {
    const { app, compilers } = server();
    const body = { type: 'object', properties: { name: { type: 'string', default: 'anon' } }, additionalProperties: false } as const;
    const query = { type: 'object', properties: { n: { type: 'integer' } } } as const;
    for (const path of ['/a', '/b']) {
      app.post(path, { schema: { body, querystring: query, response: { 200: Out, 201: Out } } }, async (req) => ({ ...(req.body as object), secret: 'never sent', n: (req.query as { n?: number }).n }));
    }
    await app.ready();
    // Owed: 2 routes × (body + querystring) validators, and one serializer for Out (shared by both routes and both statuses).
    expect(compilers.pending).toBe(5);
    const first = await app.inject({ method: 'POST', url: '/a?n=2', payload: {} });
    expect(first.statusCode).toBe(200);
    expect(compilers.pending).toBe(2);
    // Defaults applied, the query coerced, and fields the response schema does not name dropped.
    expect(first.json()).toEqual({ name: 'anon' });
    const refused = await app.inject({ method: 'POST', url: '/b', payload: { name: 'x', admin: true } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toMatch(/must NOT have additional properties/);
    const wrongType = await app.inject({ method: 'POST', url: '/b?n=two', payload: { name: 'x' } });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().message).toMatch(/querystring\/n must be integer/);
    expect(compilers.pending).toBe(0);
    expect(compileRouteSchemas(app)).toBe(0);
    await app.close();
  });

  it('report a schema the compilers reject when asked to compile everything', async () => {
    const { app } = server();
    app.get('/bad', { schema: { querystring: { type: 'object', properties: { n: { type: 'no-such-type' } } } } }, async () => 'x');
    await app.ready();
    expect(() => compileRouteSchemas(app)).toThrow();
    await app.close();
  });
});
