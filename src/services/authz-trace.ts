/**
 * A request-scoped record of authorization decisions and store calls, so that a test can
 * prove that no route reached the store with a client-supplied id before Access decided
 * about the caller (test/http/access-matrix.test.ts audits every probe with it).
 *
 * Off in production: only when the composition root is asked to (`traceAuthorization`, which
 * the tests set) is the store handed to the services wrapped by `traceStore`, and every HTTP
 * route handler run inside `runTraced`. Without a trace in scope, `deciding` and
 * `recordDecision` are a single AsyncLocalStorage lookup.
 *
 *   route handler ──runTraced(trace)──▶ service ──▶ Access.* ──deciding()──▶ store (flagged byAccess)
 *                                          │                 └─ recordDecision(allowed / refused)
 *                                          └──────────────▶ store (records ids + decisions so far)
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isUuid } from '../domain/ids.js';

export interface AuthzDecision {
  readonly resource: string;
  readonly action: string;
  readonly id: string | undefined;
  readonly allowed: boolean;
  /** Why it was refused (a RefusalReason, or `not_found` when there was nothing to see). */
  readonly reason?: string | undefined;
}

export interface TracedStoreCall {
  /** e.g. `posts.get`, `transaction`. */
  readonly method: string;
  /** The UUIDs among the arguments (strings, arrays of strings, fields of plain objects). */
  readonly ids: readonly string[];
  /** How many decisions had been recorded when the call was made. */
  readonly decisionsBefore: number;
  /** Made by Access itself while deciding (loading what the decision is about). */
  readonly byAccess: boolean;
}

export class AuthzTrace {
  readonly decisions: AuthzDecision[] = [];
  readonly storeCalls: TracedStoreCall[] = [];
}

/** The traces of the most recent requests, by request id (bounded: old ones are dropped). */
export class AuthzTraces {
  private readonly byRequest = new Map<string, AuthzTrace>();
  constructor(private readonly keep = 2000) {}

  start(requestId: string): AuthzTrace {
    const trace = new AuthzTrace();
    this.byRequest.set(requestId, trace);
    if (this.byRequest.size > this.keep) this.byRequest.delete(this.byRequest.keys().next().value!);
    return trace;
  }

  get(requestId: string): AuthzTrace | undefined {
    return this.byRequest.get(requestId);
  }
}

interface Scope {
  readonly trace: AuthzTrace;
  readonly byAccess: boolean;
}
const scope = new AsyncLocalStorage<Scope>();

export function runTraced<T>(trace: AuthzTrace, fn: () => T): T {
  return scope.run({ trace, byAccess: false }, fn);
}

/** Runs Access's own lookups: store calls inside are part of making the decision. */
export function deciding<T>(fn: () => Promise<T>): Promise<T> {
  const s = scope.getStore();
  return s === undefined || s.byAccess ? fn() : scope.run({ trace: s.trace, byAccess: true }, fn);
}

export function recordDecision(decision: AuthzDecision): void {
  scope.getStore()?.trace.decisions.push(decision);
}

function idsIn(args: readonly unknown[]): string[] {
  const out: string[] = [];
  const add = (v: unknown): void => {
    if (isUuid(v)) out.push(v);
  };
  for (const arg of args) {
    if (Array.isArray(arg)) arg.forEach(add);
    else if (arg !== null && typeof arg === 'object') Object.values(arg).forEach(add);
    else add(arg);
  }
  return out;
}

/** Store methods that hand a transaction-bound store to a callback. */
const WITH_TX = new Set(['transaction', 'write']);

/** The store, recording every method call (with its ids) into the trace in scope. */
export function traceStore<T extends object>(store: T, path = ''): T {
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof prop === 'symbol') return value;
      if (typeof value === 'function') {
        return (...args: unknown[]): unknown => {
          const s = scope.getStore();
          if (s !== undefined) s.trace.storeCalls.push({ method: `${path}${prop}`, ids: idsIn(args), decisionsBefore: s.trace.decisions.length, byAccess: s.byAccess });
          const passed = WITH_TX.has(prop)
            ? args.map((a) => (typeof a === 'function' ? (tx: object, ...rest: unknown[]): unknown => (a as (...x: unknown[]) => unknown)(traceStore(tx), ...rest) : a))
            : args;
          return (value as (...x: unknown[]) => unknown).apply(target, passed);
        };
      }
      if (value !== null && typeof value === 'object') return traceStore(value, `${path}${prop}.`);
      return value;
    },
  });
}
