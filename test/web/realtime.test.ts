/** The WebSocket client's state machine: hello, ordering, gaps, resume, backoff, 1008, replies. */
import { describe, expect, it } from 'vitest';
import { RealtimeClient, backoffDelay, type RealtimeHandlers, type ServerEvent, type SocketLike } from '../../web/src/lib/realtime.js';
import { t as tr } from '../../web/src/i18n/index.js';

class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  readonly sent: unknown[] = [];
  closed: { code?: number; reason?: string } | undefined;
  constructor(readonly url: string, readonly protocols: string[]) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
  }
  /** The server sends a frame. */
  receive(msg: unknown) {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) });
  }
  /** The connection drops (or the server closes). */
  drop(code = 1006) {
    this.onclose?.({ code, reason: '' });
  }
}

/** Manual timers: nothing runs until the test advances the clock. */
class FakeTimers {
  now = 0;
  private seq = 0;
  private readonly queue = new Map<number, { at: number; fn: () => void }>();
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.queue.set(id, { at: this.now + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.queue.delete(h as number);
  };
  advance(ms: number) {
    const until = this.now + ms;
    for (;;) {
      const next = [...this.queue.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (next === undefined) break;
      this.queue.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = until;
  }
  pending(): number[] {
    return [...this.queue.values()].map((t) => t.at - this.now).sort((a, b) => a - b);
  }
}

function setup(opts: { token?: string | undefined; random?: number } = {}) {
  const sockets: FakeSocket[] = [];
  const timers = new FakeTimers();
  const events: ServerEvent[] = [];
  const hellos: string[] = [];
  const states: string[] = [];
  let ended = 0;
  const handlers: RealtimeHandlers = {
    onEvent: (e) => events.push(e),
    onHello: (kind) => hellos.push(kind),
    onState: (s) => states.push(s),
    onSessionEnded: () => ended++,
  };
  const token = 'token' in opts ? opts.token : 'tok-123';
  const client = new RealtimeClient(
    {
      url: (p) => `ws://chat.test${p}`,
      getToken: () => token,
      createSocket: (url, protocols) => {
        const s = new FakeSocket(url, protocols);
        sockets.push(s);
        return s;
      },
      timers,
      random: () => opts.random ?? 1,
    },
    handlers,
  );
  const last = () => sockets[sockets.length - 1]!;
  return { client, sockets, timers, events, hellos, states, last, ended: () => ended };
}

const hello = (id: string, seq = 0) => ({ event: 'hello', seq, data: { connection_id: id, server_version: '0.1.0' }, broadcast: {} });
const ev = (seq: number, channel = 'c1') => ({ event: 'typing', seq, data: { user_id: 'u2', channel_id: channel, parent_id: null }, broadcast: { channel_id: channel } });

describe('RealtimeClient', () => {
  it('offers rustchat.v1 and the token as subprotocols and keeps the token out of the URL', () => {
    const t = setup();
    t.client.start();
    expect(t.last().url).toBe('ws://chat.test/api/v1/ws');
    expect(t.last().protocols).toEqual(['rustchat.v1', 'tok-123']);
    expect(t.last().url).not.toContain('tok-123');
  });

  it('delivers events in seq order after hello and drops duplicates', () => {
    const t = setup();
    t.client.start();
    t.last().receive(hello('conn-1'));
    expect(t.hellos).toEqual(['first']);
    expect(t.client.connectionState).toBe('open');
    t.last().receive(ev(1));
    t.last().receive(ev(2));
    t.last().receive(ev(2)); // a replayed duplicate
    t.last().receive(ev(1));
    expect(t.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(t.client.expectedSeq).toBe(3);
    expect(t.events[0]).toMatchObject({ event: 'typing', data: { channel_id: 'c1' }, broadcast: { channel_id: 'c1' } });
  });

  it('ignores events before hello and frames that are not JSON envelopes', () => {
    const t = setup();
    t.client.start();
    t.last().receive(ev(1));
    t.last().receive('not json');
    t.last().receive({ event: 'posted' }); // no seq
    t.last().receive(hello('conn-1'));
    t.last().receive({ event: 'typing', seq: 1.5, data: {} });
    t.last().receive(ev(1));
    expect(t.events.map((e) => e.seq)).toEqual([1]);
  });

  it('on a seq gap drops the socket and resumes at once from the first missing seq', () => {
    const t = setup();
    t.client.start();
    const first = t.last();
    first.receive(hello('conn-1'));
    first.receive(ev(1));
    first.receive(ev(3)); // 2 is missing
    expect(t.events.map((e) => e.seq)).toEqual([1]);
    expect(first.closed?.code).toBe(4000);
    expect(t.sockets).toHaveLength(2);
    expect(t.last().url).toBe('ws://chat.test/api/v1/ws?connection_id=conn-1&sequence_number=2');
    // The old socket's late frames are ignored.
    first.receive(ev(2));
    expect(t.events.map((e) => e.seq)).toEqual([1]);
    // Resumed: same connection id, the server replays 2 and 3.
    t.last().receive(hello('conn-1', 0));
    expect(t.hellos).toEqual(['first', 'resumed']);
    t.last().receive(ev(2));
    t.last().receive(ev(3));
    expect(t.events.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('resumes without a hello when the server just replays the missed events', () => {
    const t = setup();
    t.client.start();
    t.last().receive(hello('conn-1'));
    t.last().receive(ev(1));
    t.last().drop(1006);
    t.timers.advance(1000);
    expect(t.last().url).toBe('ws://chat.test/api/v1/ws?connection_id=conn-1&sequence_number=2');
    t.last().receive(hello('conn-1', 0));
    t.last().receive(ev(2));
    expect(t.events.map((e) => e.seq)).toEqual([1, 2]);
  });

  it('a new connection id after reconnecting means "refetch" and restarts the numbering', () => {
    const t = setup();
    t.client.start();
    t.last().receive(hello('conn-1'));
    t.last().receive(ev(1));
    t.last().receive(ev(2));
    t.last().drop(1001); // server shutdown
    t.timers.advance(1000);
    t.last().receive(hello('conn-2', 0));
    expect(t.hellos).toEqual(['first', 'reset']);
    expect(t.client.currentConnectionId).toBe('conn-2');
    t.last().receive(ev(1));
    expect(t.events.map((e) => e.seq)).toEqual([1, 2, 1]);
  });

  it('reconnects with exponential backoff capped at 30 s, and resets it after a hello', () => {
    const t = setup({ random: 1 });
    t.client.start();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      t.last().drop(1006);
      delays.push(t.timers.pending()[0]!);
      t.timers.advance(delays[i]!);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(t.sockets).toHaveLength(8);
    t.last().receive(hello('conn-1'));
    t.last().drop(1006);
    expect(t.timers.pending()[0]).toBe(1000);
  });

  it('jitters the backoff between half and all of the ceiling', () => {
    expect(backoffDelay(3, () => 0)).toBe(4000);
    expect(backoffDelay(3, () => 1)).toBe(8000);
    expect(backoffDelay(3, () => 0.5)).toBe(6000);
    expect(backoffDelay(50, () => 1)).toBe(30000);
  });

  it('stops for good on close code 1008 (session ended) and reports it', () => {
    const t = setup();
    t.client.start();
    t.last().receive(hello('conn-1'));
    t.last().drop(1008);
    expect(t.ended()).toBe(1);
    expect(t.client.connectionState).toBe('ended');
    t.timers.advance(120_000);
    expect(t.sockets).toHaveLength(1);
  });

  it('does not connect without a token', () => {
    const t = setup({ token: undefined });
    t.client.start();
    expect(t.sockets).toHaveLength(0);
    expect(t.ended()).toBe(1);
  });

  it('stop() closes the socket and no reconnect follows', () => {
    const t = setup();
    t.client.start();
    t.last().receive(hello('conn-1'));
    t.client.stop();
    expect(t.last().closed?.code).toBe(1000);
    t.timers.advance(120_000);
    expect(t.sockets).toHaveLength(1);
  });

  it('reconnectNow() skips the remaining backoff', () => {
    const t = setup();
    t.client.start();
    t.last().drop(1006);
    expect(t.sockets).toHaveLength(1);
    t.client.reconnectNow();
    expect(t.sockets).toHaveLength(2);
  });

  it('sends actions with increasing seq and resolves them by seq_reply', async () => {
    const t = setup();
    t.client.start();
    await expect(t.client.send('ping')).rejects.toThrow(tr('error.notConnected'));
    t.last().receive(hello('conn-1'));
    const typing = t.client.send('user_typing', { channel_id: 'c1' });
    const presence = t.client.send('presence', { status: 'away' });
    expect(t.last().sent).toEqual([
      { action: 'user_typing', seq: 1, data: { channel_id: 'c1' } },
      { action: 'presence', seq: 2, data: { status: 'away' } },
    ]);
    t.last().receive({ status: 'FAIL', seq_reply: 2, error: { message: 'bad status' } });
    t.last().receive({ status: 'OK', seq_reply: 1 });
    await expect(typing).resolves.toMatchObject({ status: 'OK', seq_reply: 1 });
    await expect(presence).resolves.toMatchObject({ status: 'FAIL', seq_reply: 2 });
    // Replies are not events and do not move the event sequence.
    expect(t.events).toHaveLength(0);
    expect(t.client.expectedSeq).toBe(1);
  });

  it('pings every 30 s and reconnects when no reply comes within 10 s', () => {
    const t = setup();
    t.client.start();
    const first = t.last();
    first.receive(hello('conn-1'));
    t.timers.advance(30_000);
    expect(first.sent).toEqual([{ action: 'ping', seq: 1, data: {} }]);
    first.receive({ status: 'OK', seq_reply: 1 });
    t.timers.advance(30_000);
    expect(first.sent).toHaveLength(2);
    t.timers.advance(10_000); // no pong
    expect(first.closed?.code).toBe(4001);
    t.timers.advance(1000);
    expect(t.sockets).toHaveLength(2);
    expect(t.last().url).toContain('connection_id=conn-1');
  });

  it('backs off when resuming keeps hitting gaps instead of spinning', () => {
    const t = setup();
    t.client.start();
    t.last().receive(hello('conn-1'));
    t.last().receive(ev(5)); // gap → immediate resume
    expect(t.sockets).toHaveLength(2);
    t.last().receive(hello('conn-1'));
    t.last().receive(ev(7)); // gap again without progress → wait
    expect(t.sockets).toHaveLength(2);
    expect(t.timers.pending()[0]).toBeGreaterThan(0);
  });
});
