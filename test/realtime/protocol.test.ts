/**
 * The WebSocket messages the hub writes itself (protocol.ts `wirePrefix` + the frame's tail,
 * bypassing ws's Sender) must be what a client's parser reads: checked with ws's own
 * Receiver, in each of the three length encodings of RFC 6455, for several seqs.
 */
import * as wsModule from 'ws';
import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { encodeFrame, wirePrefix } from '../../src/realtime/protocol.js';

/** ws exports its frame parser but @types/ws does not declare it. */
const Receiver = (wsModule as unknown as { Receiver: new (options: { isServer: boolean }) => Writable }).Receiver;

/** Parses `bytes` as server→client frames; returns the text messages. */
function parse(bytes: Buffer): string[] {
  const messages: string[] = [];
  const receiver = new Receiver({ isServer: false });
  receiver.on('message', (data: Buffer, isBinary: boolean) => {
    expect(isBinary).toBe(false);
    messages.push(data.toString('utf8'));
  });
  receiver.on('error', (err: Error) => {
    throw err;
  });
  receiver.write(bytes);
  return messages;
}

describe('wirePrefix', () => {
  // Payloads under 126 bytes, under 64 KiB (16-bit length) and above (64-bit length).
  it.each([[10], [300], [70_000]])('frames a %i-character event as ws parses it, at any seq', (size) => {
    const frame = encodeFrame('hello', { connection_id: 'c'.repeat(size), server_version: '1' }, { user_id: 'u' });
    const seqs = [0, 9, 10, 123_456];
    const bytes = Buffer.concat(seqs.flatMap((seq) => [wirePrefix(frame, seq), frame.tail]));
    const messages = parse(bytes).map((m) => JSON.parse(m) as { event: string; seq: number; data: { connection_id: string }; broadcast: { user_id: string } });
    expect(messages.map((m) => m.seq)).toEqual(seqs);
    for (const m of messages) {
      expect(m.event).toBe('hello');
      expect(m.data.connection_id).toHaveLength(size);
      expect(m.broadcast.user_id).toBe('u');
    }
  });

  it('shares the prefix between recipients at the same seq, never across seqs or frames', () => {
    const a = encodeFrame('hello', { connection_id: 'a', server_version: '1' }, { user_id: 'u' });
    const b = encodeFrame('hello', { connection_id: 'b', server_version: '1' }, { user_id: 'u' });
    const first = wirePrefix(a, 5);
    expect(wirePrefix(a, 5)).toBe(first);
    const a6 = wirePrefix(a, 6);
    expect(a6).not.toBe(first);
    const b6 = wirePrefix(b, 6);
    expect(b6).not.toBe(a6);
    expect(b6.equals(a6)).toBe(true);
    expect(parse(Buffer.concat([wirePrefix(a, 6), a.tail, wirePrefix(b, 6), b.tail])).map((m) => (JSON.parse(m) as { data: { connection_id: string } }).data.connection_id)).toEqual(['a', 'b']);
  });
});
