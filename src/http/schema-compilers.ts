/**
 * Route schemas compiled on first use, and once per schema object.
 *
 * Fastify compiles every route's validators (Ajv) and response serializers
 * (fast-json-stringify) while the server becomes ready: some sixty routes, their HEAD twins,
 * and a serializer per route and status code (the same error envelope compiled again for each).
 * In the profile of a cold start that was the largest single share (issue #11). Here each
 * compiler hands Fastify a small function that compiles its schema the first time a request
 * needs it, so a start compiles nothing, and each of the 160 distinct schemas costs its
 * compilation once, on first use.
 *
 * What stays exactly as it was: the compiled code. Validators come from the same two Ajv
 * instances (server.ts); serializers are built by fast-json-stringify with the options and
 * shared schemas Fastify gives its own default compiler, so bodies are refused with the same
 * 400s and responses are still cut down to their schema (fields a schema does not name are
 * never sent). Sharing: Ajv already caches a compiled schema by object; serializers are cached
 * here by schema object (one compiled `ErrorEnvelope` for every route and status, one
 * `PostSchema` serializer for the routes that answer with a post).
 *
 * The price: a schema Ajv or fast-json-stringify rejects would no longer stop the server at
 * start but fail the first request that uses it. `compileRouteSchemas(app)` compiles every
 * pending schema at once; the HTTP tests call it, so such a schema fails a test instead.
 */
import type { Ajv, ValidateFunction } from 'ajv';
import type { FastifyServerOptions } from 'fastify';
import build from 'fast-json-stringify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type ValidatorFactory = NonNullable<CompilersFactory['buildValidator']>;
type SerializerFactory = NonNullable<CompilersFactory['buildSerializer']>;
type Serialize = (data: unknown) => string;

/** The compilers of one Fastify instance and the compilations they still owe. */
export class LazySchemaCompilers {
  private readonly pendingSet = new Set<() => unknown>();

  constructor(
    private readonly bodyAjv: Ajv,
    private readonly paramAjv: Ajv,
  ) {}

  /** `compile`, run once when first asked for; until then listed as pending. */
  private once<T>(compile: () => T): () => T {
    let compiled: T | undefined;
    const get = (): T => {
      if (compiled === undefined) {
        compiled = compile();
        this.pendingSet.delete(get);
      }
      return compiled;
    };
    this.pendingSet.add(get);
    return get;
  }

  /**
   * Request validation (body with `bodyAjv`, params/querystring/headers with `paramAjv`);
   * shared schemas (`addSchema`) are not used by this app, so the factory ignores them.
   * Fastify reads `errors` after a failed call and passes the parent object when the
   * function has a `schemaEnv` (so Ajv may replace a coerced root value): both are forwarded
   * from the compiled function.
   */
  readonly validatorFactory: ValidatorFactory = () => ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? this.bodyAjv : this.paramAjv;
    const compiled = this.once((): ValidateFunction => ajv.compile(schema));
    const validate = (data: unknown, cxt?: Parameters<ValidateFunction>[1]): boolean => compiled()(data, cxt);
    Object.defineProperties(validate, {
      errors: { get: () => compiled().errors, enumerable: true },
      schemaEnv: { get: () => compiled().schemaEnv, enumerable: true },
      schema: { value: schema, enumerable: true },
    });
    // A ValidateFunction to its callers: the properties they read are the compiled function's.
    return validate as unknown as ValidateFunction;
  };

  /**
   * Response serializers, as Fastify's default factory builds them (its server-level
   * `serializerOpts` and the schemas added with `addSchema`), one per schema object.
   */
  readonly serializerFactory: SerializerFactory = (externalSchemas, serializerOpts) => {
    const built = new WeakMap<object, () => Serialize>();
    return ({ schema }) => {
      const key = schema as object;
      let get = built.get(key);
      if (get === undefined) {
        get = this.once((): Serialize => {
          // As Fastify's default: a response schema that is itself a shared schema is not also passed as an external one.
          const id = (schema as { $id?: unknown }).$id;
          let external = externalSchemas as Record<string, unknown> | undefined;
          if (external !== undefined && typeof id === 'string' && id in external) {
            const { [id]: _self, ...rest } = external;
            external = rest;
          }
          return build(schema as build.Schema, { ...serializerOpts, schema: external as Record<string, build.Schema> | undefined });
        });
        built.set(key, get);
      }
      const compiled = get;
      return (data: unknown) => compiled()(data);
    };
  };

  /** How many compilations are still owed. */
  get pending(): number {
    return this.pendingSet.size;
  }

  /** Compiles every schema not compiled yet; throws what Ajv or fast-json-stringify throws. */
  compileAll(): number {
    let n = 0;
    for (const get of [...this.pendingSet]) {
      get();
      n++;
    }
    return n;
  }
}

const compilersOf = new WeakMap<object, LazySchemaCompilers>();

export function rememberCompilers(app: object, compilers: LazySchemaCompilers): void {
  compilersOf.set(app, compilers);
}

/**
 * Compiles every route schema of `app` now (call after `app.ready()`); returns how many were
 * pending. Tests use it so that a schema the compilers reject fails at once, as it did when
 * Fastify compiled everything at start.
 */
export function compileRouteSchemas(app: object): number {
  const compilers = compilersOf.get(app);
  if (compilers === undefined) throw new Error('not an app built by buildHttp');
  return compilers.compileAll();
}
