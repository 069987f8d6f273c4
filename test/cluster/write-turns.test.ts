/**
 * The embedded database's write turn (src/cluster/write-turns.ts, docs/process-model.md): the
 * primary grants it to one worker at a time, first come first served, and passes it on when it
 * is given back or its holder dies; the worker's side (PrimaryLink.writeTurn) waits for it on a
 * stand-in IPC channel, gives it back once, writes without it after its timeout, and returns a
 * turn granted after it stopped waiting.
 */
import { describe, expect, it } from 'vitest';
import { PrimaryLink } from '../../src/cluster/worker.js';
import { WriteTurns } from '../../src/cluster/write-turns.js';
import { FakeChannel } from '../helpers/ipc-channel.js';

/** A queue of turns over workers 1–3, recording the grants as `worker:id`. */
function turnsOf(): { turns: WriteTurns; live: Set<number>; granted: string[] } {
  const live = new Set([1, 2, 3]);
  const granted: string[] = [];
  return { turns: new WriteTurns((w) => live.has(w), (w, id) => granted.push(`${w}:${id}`)), live, granted };
}

describe('write turns (the primary\'s side)', () => {
  it('grants one turn at a time, in the order asked', () => {
    const { turns, granted } = turnsOf();
    turns.ask(1, 10);
    turns.ask(2, 20);
    turns.ask(1, 11);
    turns.ask(3, 30);
    expect(granted).toEqual(['1:10']);
    turns.end(1, 10);
    turns.end(2, 20);
    turns.end(1, 11);
    expect(granted).toEqual(['1:10', '2:20', '1:11', '3:30']);
    turns.end(3, 30);
    expect(turns.current()).toBeUndefined();
    turns.ask(2, 21);
    expect(granted.at(-1)).toBe('2:21');
  });

  it('ignores an end from a worker that does not hold the turn, and withdraws its waiting request', () => {
    const { turns, granted } = turnsOf();
    turns.ask(1, 10);
    turns.ask(2, 20);
    turns.ask(3, 30);
    // Worker 2 gave up waiting: its request goes, the holder keeps the turn.
    turns.end(2, 20);
    expect(turns.current()).toEqual({ worker: 1, id: 10 });
    // A stale or forged id changes nothing.
    turns.end(1, 99);
    turns.end(3, 10);
    expect(turns.current()).toEqual({ worker: 1, id: 10 });
    turns.end(1, 10);
    expect(granted).toEqual(['1:10', '3:30']);
  });

  it('passes the turn on when its holder dies, and forgets a dead worker\'s requests', () => {
    const { turns, live, granted } = turnsOf();
    turns.ask(1, 10);
    turns.ask(2, 20);
    turns.ask(1, 11);
    turns.ask(3, 30);
    live.delete(1);
    turns.gone(1);
    // Worker 1's second request went with it: after 2 comes 3.
    turns.end(2, 20);
    expect(granted).toEqual(['1:10', '2:20', '3:30']);
    // A waiting worker dying leaves the holder alone.
    turns.ask(2, 21);
    live.delete(2);
    turns.gone(2);
    expect(turns.current()).toEqual({ worker: 3, id: 30 });
    turns.end(3, 30);
    expect(turns.current()).toBeUndefined();
  });

  it('ignores a request read after its worker is gone', () => {
    const { turns, live, granted } = turnsOf();
    live.delete(2);
    turns.gone(2);
    turns.ask(2, 20);
    expect(turns.current()).toBeUndefined();
    turns.ask(1, 10);
    expect(granted).toEqual(['1:10']);
  });

  it('passes a turn on past a worker whose channel closed before its exit was handled', () => {
    const { turns, live, granted } = turnsOf();
    turns.ask(1, 10);
    turns.ask(2, 20);
    turns.ask(3, 30);
    live.delete(2);
    turns.end(1, 10);
    expect(granted).toEqual(['1:10', '3:30']);
  });
});

describe('write turns (the worker\'s side)', () => {
  it('asks the primary, waits for the grant, and gives the turn back once', async () => {
    const ipc = new FakeChannel();
    const link = new PrimaryLink(1, ipc);
    let granted: { granted: boolean; release: () => void } | undefined;
    const waiting = link.writeTurn().then((t) => (granted = t));
    expect(ipc.sent).toEqual([{ rc: 'turn', id: expect.any(Number) }]);
    const id = ipc.sent[0]!.id!;
    await new Promise((r) => setImmediate(r));
    expect(granted).toBeUndefined();
    ipc.deliver({ rc: 'turn', id });
    await waiting;
    expect(granted!.granted).toBe(true);
    granted!.release();
    granted!.release();
    expect(ipc.sent).toEqual([{ rc: 'turn', id }, { rc: 'turn-end', id }]);
  });

  it('writes without a turn after the wait runs out, withdraws the request, and hands back a turn granted anyway', async () => {
    const ipc = new FakeChannel();
    const link = new PrimaryLink(1, ipc);
    const turn = await link.writeTurn(10);
    expect(turn.granted).toBe(false);
    turn.release();
    const id = ipc.sent[0]!.id!;
    // Withdrawn at the timeout, so that the primary does not hand it to a worker no longer waiting.
    expect(ipc.sent).toEqual([{ rc: 'turn', id }, { rc: 'turn-end', id }]);
    // Granted all the same (the withdrawal crossed the grant): given straight back.
    ipc.deliver({ rc: 'turn', id });
    expect(ipc.sent).toEqual([{ rc: 'turn', id }, { rc: 'turn-end', id }, { rc: 'turn-end', id }]);
  });

  it('does not wait for a primary it is no longer connected to', async () => {
    const ipc = new FakeChannel();
    const link = new PrimaryLink(1, ipc);
    ipc.connected = false;
    expect((await link.writeTurn()).granted).toBe(false);
    expect(ipc.sent).toEqual([]);
  });
});
