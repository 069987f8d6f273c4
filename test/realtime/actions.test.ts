/**
 * Client actions: the parser (property-based: nothing a client sends can make it throw, and
 * what it accepts is well-formed), the replies on a real socket, a live fuzz run against a
 * real server, and the per-connection action rate limit.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UUID_RE } from '../../src/domain/ids.js';
import { parseAction } from '../../src/realtime/protocol.js';
import { registerUser, type TestUser } from '../helpers/factories.js';
import { WsClient } from '../helpers/ws-client.js';
import { listening, until, type Live } from './helpers.js';


/** Frames shaped like actions, with every field sometimes wrong. */
const actionLike = fc.record(
  {
    action: fc.oneof(fc.constantFrom('ping', 'user_typing', 'presence', 'authentication_challenge', '__proto__', ''), fc.string(), fc.integer(), fc.constant(null)),
    seq: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.string(), fc.constant(null), fc.constant(Number.MAX_SAFE_INTEGER + 2)),
    data: fc.oneof(
      fc.record({ channel_id: fc.oneof(fc.uuid(), fc.string()), parent_id: fc.oneof(fc.uuid(), fc.string(), fc.constant(null)) }, { requiredKeys: [] }),
      fc.record({ status: fc.oneof(fc.constantFrom('online', 'away', 'dnd', 'offline'), fc.string()) }),
      fc.jsonValue(),
    ),
  },
  { requiredKeys: [] },
);

function checkInvariants(text: string): void {
  const r = parseAction(text);
  expect(Number.isSafeInteger(r.seq) && r.seq >= 0).toBe(true);
  if (!r.ok) {
    expect(r.code).toBe('BAD_REQUEST');
    // Errors never echo the client's input back.
    if (text.length > 12) expect(r.message.includes(text)).toBe(false);
    return;
  }
  const raw = JSON.parse(text);
  expect(r.seq).toBe(raw.seq);
  expect(r.action).toBe(raw.action);
  if (r.action === 'user_typing') {
    expect(r.channelId).toMatch(UUID_RE);
    if (r.parentId !== null) expect(r.parentId).toMatch(UUID_RE);
  }
  if (r.action === 'presence') expect(['online', 'away', 'dnd', 'offline']).toContain(r.status);
}

describe('action parser (property-based)', () => {
  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (text) => checkInvariants(text)), { numRuns: 2000 });
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => checkInvariants(JSON.stringify(value))), { numRuns: 2000 });
  });

  it('never throws on action-shaped frames, and accepts exactly the well-formed ones', () => {
    fc.assert(fc.property(actionLike, (frame) => checkInvariants(JSON.stringify(frame))), { numRuns: 3000 });
  });

  it('accepts every valid action with its seq', () => {
    const valid = fc.oneof(
      fc.record({ action: fc.constant('ping'), seq: fc.nat() }),
      fc.record({ action: fc.constant('user_typing'), seq: fc.nat(), data: fc.record({ channel_id: fc.uuid(), parent_id: fc.option(fc.uuid(), { nil: null }) }) }),
      fc.record({ action: fc.constant('presence'), seq: fc.nat(), data: fc.record({ status: fc.constantFrom('online', 'away', 'dnd', 'offline') }) }),
    );
    fc.assert(fc.property(valid, (frame) => {
      const r = parseAction(JSON.stringify(frame));
      expect(r).toMatchObject({ ok: true, seq: frame.seq, action: frame.action });
    }), { numRuns: 1000 });
  });

  it('survives deep nesting and prototype keys', () => {
    checkInvariants(`${'['.repeat(5000)}${']'.repeat(5000)}`);
    checkInvariants('{"action":"ping","seq":1,"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('actions on a live socket', () => {
  let live: Live;
  let alice: TestUser;
  beforeAll(async () => {
    live = await listening('sqlite', { env: { RUSTCHAT_WS_MAX_ACTIONS_PER_SECOND: '1000' } });
    alice = await registerUser(live.t.api, 'alice');
  });
  afterAll(async () => live?.t.close());

  it('answers each action with its seq', async () => {
    const c = await WsClient.connect(live.url, { token: alice.token });
    const pong = await c.send('ping');
    expect(pong).toMatchObject({ status: 'OK', data: { text: 'pong', version: expect.any(String), server_time: expect.any(Number) } });
    expect(await c.send('presence', { status: 'away' })).toMatchObject({ status: 'OK', data: { status: 'away' } });
    expect(await c.send('presence', { status: 'sleeping' })).toMatchObject({ status: 'FAIL', error: { code: 'BAD_REQUEST' } });
    expect(await c.send('user_typing', { channel_id: 'nope' })).toMatchObject({ status: 'FAIL', error: { code: 'BAD_REQUEST' } });
    expect(await c.send('user_typing', { channel_id: crypto.randomUUID() })).toMatchObject({ status: 'FAIL', error: { code: 'NOT_FOUND' } });
    expect(await c.send('subscribe', { channel_id: crypto.randomUUID() })).toMatchObject({ status: 'FAIL', error: { code: 'BAD_REQUEST', message: 'Unknown action' } });
    c.sendRaw('{"action":"ping",');
    expect(await c.waitReply(0)).toMatchObject({ status: 'FAIL', seq_reply: 0, error: { code: 'BAD_REQUEST' } });
    c.sendRaw(Buffer.from([0x00, 0xff, 0x10]), true);
    expect(c.isOpen).toBe(true);
    expect((await c.send('ping')).status).toBe('OK');
    c.close();
  });

  it('survives a fuzzing client: random frames never crash the server or close the socket', async () => {
    const fuzzer = await WsClient.connect(live.url, { token: alice.token });
    const bystander = await WsClient.connect(live.url, { token: alice.token });
    const frames = fc.sample(fc.oneof(
      fc.string({ maxLength: 2000 }),
      fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
      actionLike.map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
    ), 600);
    for (const f of frames) fuzzer.sendRaw(f, typeof f !== 'string');
    // Frames are answered in order; a final ping (with a seq no generated frame uses) proves the connection and the process are fine.
    const last = Number.MAX_SAFE_INTEGER - 1;
    fuzzer.sendRaw(JSON.stringify({ action: 'ping', seq: last }));
    expect((await fuzzer.waitReply(last, 30_000)).status).toBe('OK');
    expect(fuzzer.isOpen).toBe(true);
    expect((await bystander.send('ping')).status).toBe('OK');
    expect((await live.t.api.get('/api/v1/health/live')).status).toBe(200);
    expect(live.t.logs.text()).not.toMatch(/"level":"(error|fatal)"/);
    fuzzer.close();
    bystander.close();
  });
});

describe('action flood', () => {
  it('rate limits a client that floods actions, then serves it again', async () => {
    const live = await listening('sqlite', { env: { RUSTCHAT_WS_MAX_ACTIONS_PER_SECOND: '10' } });
    try {
      const u = await registerUser(live.t.api, 'flood');
      const c = await WsClient.connect(live.url, { token: u.token });
      const other = await WsClient.connect(live.url, { token: u.token });
      const replies = await Promise.all(Array.from({ length: 100 }, () => c.send('ping', undefined, 30_000)));
      const ok = replies.filter((r) => r.status === 'OK').length;
      const limited = replies.filter((r) => r.status === 'FAIL' && r.error.code === 'RATE_LIMIT_EXCEEDED').length;
      expect(ok).toBeGreaterThanOrEqual(1);
      expect(ok).toBeLessThanOrEqual(30);
      expect(ok + limited).toBe(100);
      // Other connections are not affected, and the flooder recovers once it slows down.
      expect((await other.send('ping')).status).toBe('OK');
      await until(async () => (await c.send('ping')).status === 'OK', 10_000, 'the flooder to be served again');
      expect(c.isOpen).toBe(true);
      c.close();
      other.close();
    } finally {
      await live.t.close();
    }
  });
});
