/** The connection registry on its own: lookups by id, user and session, re-keying, and expiry. */
import { describe, expect, it } from 'vitest';
import type { Connection, SessionInfo } from '../../src/realtime/connection.js';
import { ConnectionRegistry } from '../../src/realtime/registry.js';

const caller = { actor: { userId: 'u', username: 'u', role: 'system_user' as const, sessionId: 's' }, ip: '127.0.0.1', requestId: 'r' };

/** The registry reads only these fields of a connection. */
function conn(id: string, userId: string, sessionId: string, expiresAt = Date.now() + 60_000): Connection {
  return { id, userId, session: { sessionId, expiresAt, caller } satisfies SessionInfo, isLive: true, state: 'live' } as unknown as Connection;
}

describe('ConnectionRegistry', () => {
  it('files connections by id, user and session, and says when a user has none left', () => {
    const r = new ConnectionRegistry(() => undefined);
    const a = conn('a', 'ann', 's1');
    const b = conn('b', 'ann', 's2');
    r.add(a);
    r.add(b);
    expect(r.get('a')).toBe(a);
    expect([...r.ofUser('ann')]).toEqual([a, b]);
    expect([...r.ofSession('s2')]).toEqual([b]);
    expect(r.stats()).toEqual({ live: 2, dormant: 0, users: 1 });
    expect(r.remove(a)).toBe(false);
    expect(r.remove(b)).toBe(true);
    expect(r.ofUser('ann').size).toBe(0);
    expect(r.ofSession('s2').size).toBe(0);
    expect(r.get('b')).toBeUndefined();
  });

  it('re-keys a connection that gets a new id, and refiles it under a new session', () => {
    const r = new ConnectionRegistry(() => undefined);
    const a = conn('old', 'ann', 's1');
    r.add(a);
    r.rekey(a, 'new');
    (a as { id: string }).id = 'new';
    expect(r.get('old')).toBeUndefined();
    expect(r.get('new')).toBe(a);
    r.setSession(a, { sessionId: 's9', expiresAt: Date.now() + 60_000, caller });
    expect(r.ofSession('s1').size).toBe(0);
    expect([...r.ofSession('s9')]).toEqual([a]);
  });

  it('reports a connection whose session ran out, and forgets the timer of a removed one', async () => {
    const expired: string[] = [];
    const r = new ConnectionRegistry((c) => expired.push(c.id));
    const soon = conn('soon', 'ann', 's1', Date.now() + 20);
    const gone = conn('gone', 'bob', 's2', Date.now() + 20);
    r.add(soon);
    r.add(gone);
    r.remove(gone);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (expired.length > 0) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    expect(expired).toEqual(['soon']);
  });
});
