/** The authorization trace the access matrix relies on: what it records, and when it records nothing. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuthzTrace, AuthzTraces, deciding, recordDecision, runTraced, traceStore } from '../../src/services/authz-trace.js';

/** A stand-in with the store's shape: sub-stores with methods, and transaction(fn) handing over a tx. */
function fakeStore() {
  const self = {
    dialect: 'sqlite',
    posts: { get: (id: string) => Promise.resolve({ id }) },
    channels: { getMember: (_channelId: string, _userId: string) => Promise.resolve(undefined), create: (_row: { id: string; team_id: string }) => Promise.resolve() },
    transaction: <T>(fn: (tx: unknown) => Promise<T>): Promise<T> => fn(self),
  };
  return self;
}

describe('authz trace', () => {
  it('records store calls with their ids, the decisions made before them, and what Access read while deciding', async () => {
    const store = traceStore(fakeStore());
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const trace = new AuthzTrace();
    await runTraced(trace, async () => {
      await deciding(async () => {
        await store.posts.get(a);
        recordDecision({ resource: 'post', action: 'read', id: a, allowed: true });
      });
      await store.channels.getMember(b, 'not-an-id');
      await store.transaction(async (tx) => (tx as ReturnType<typeof fakeStore>).channels.create({ id: c, team_id: b }));
    });
    expect(store.dialect).toBe('sqlite');
    expect(trace.decisions).toEqual([{ resource: 'post', action: 'read', id: a, allowed: true }]);
    expect(trace.storeCalls).toEqual([
      { method: 'posts.get', ids: [a], decisionsBefore: 0, byAccess: true },
      { method: 'channels.getMember', ids: [b], decisionsBefore: 1, byAccess: false },
      { method: 'transaction', ids: [], decisionsBefore: 1, byAccess: false },
      { method: 'channels.create', ids: [c, b], decisionsBefore: 1, byAccess: false },
    ]);
  });

  it('records nothing outside a traced request', async () => {
    const store = traceStore(fakeStore());
    const trace = new AuthzTrace();
    await store.posts.get(randomUUID());
    recordDecision({ resource: 'post', action: 'read', id: undefined, allowed: false });
    expect(trace.storeCalls).toEqual([]);
    expect(trace.decisions).toEqual([]);
  });

  it('keeps a bounded number of request traces', () => {
    const traces = new AuthzTraces(2);
    const first = traces.start('r1');
    traces.start('r2');
    expect(traces.get('r1')).toBe(first);
    traces.start('r3');
    expect(traces.get('r1')).toBeUndefined();
    expect(traces.get('r3')).toBeInstanceOf(AuthzTrace);
  });
});
