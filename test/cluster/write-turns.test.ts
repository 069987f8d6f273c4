/**
 * The embedded database's write turn (src/cluster/write-turns.ts, docs/process-model.md): the
 * primary grants it to one worker at a time, first come first served, and passes it on when it
 * is given back or its holder dies; the worker's side (PrimaryLink.writeTurn) waits for it on a
 * stand-in IPC channel, gives it back once, writes without it after its timeout, and returns a
 * turn granted after it stopped waiting.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { PrimaryLink, type IpcChannel } from '../../src/cluster/worker.js';
import { TurnDesk, WriteTurns } from '../../src/cluster/write-turns.js';

class FakeChannel extends EventEmitter implements IpcChannel {
  connected = true;
  readonly sent: Array<{ rc: string; id?: number }> = [];
  send(message: unknown): boolean {
    this.sent.push(message as { rc: string; id?: number });
    return true;
  }
  /** A message from the primary. */
  deliver(message: unknown): void {
    this.emit('message', message, undefined);
  }
}

describe('write turns (the primary\'s side)', () => {
  it('grants one turn at a time, in the order asked', () => {
    const turns = new WriteTurns();
    expect(turns.request(1, 10)).toEqual({ worker: 1, id: 10 });
    expect(turns.request(2, 20)).toBeUndefined();
    expect(turns.request(1, 11)).toBeUndefined();
    expect(turns.request(3, 30)).toBeUndefined();
    expect(turns.end(1, 10)).toEqual({ worker: 2, id: 20 });
    expect(turns.end(2, 20)).toEqual({ worker: 1, id: 11 });
    expect(turns.end(1, 11)).toEqual({ worker: 3, id: 30 });
    expect(turns.end(3, 30)).toBeUndefined();
    expect(turns.current()).toBeUndefined();
    expect(turns.request(2, 21)).toEqual({ worker: 2, id: 21 });
  });

  it('ignores an end from a worker that does not hold the turn, and withdraws its waiting request', () => {
    const turns = new WriteTurns();
    turns.request(1, 10);
    turns.request(2, 20);
    turns.request(3, 30);
    // Worker 2 gave up waiting: its request goes, the holder keeps the turn.
    expect(turns.end(2, 20)).toBeUndefined();
    expect(turns.current()).toEqual({ worker: 1, id: 10 });
    // A stale or forged id changes nothing.
    expect(turns.end(1, 99)).toBeUndefined();
    expect(turns.end(3, 10)).toBeUndefined();
    expect(turns.current()).toEqual({ worker: 1, id: 10 });
    expect(turns.end(1, 10)).toEqual({ worker: 3, id: 30 });
  });

  it('passes the turn on when its holder dies, and forgets a dead worker\'s requests', () => {
    const turns = new WriteTurns();
    turns.request(1, 10);
    turns.request(2, 20);
    turns.request(1, 11);
    turns.request(3, 30);
    expect(turns.dropWorker(1)).toEqual({ worker: 2, id: 20 });
    // Worker 1's second request went with it: after 2 comes 3.
    expect(turns.end(2, 20)).toEqual({ worker: 3, id: 30 });
    // A waiting worker dying leaves the holder alone.
    turns.request(2, 21);
    expect(turns.dropWorker(2)).toBeUndefined();
    expect(turns.end(3, 30)).toBeUndefined();
    expect(turns.current()).toBeUndefined();
  });
});

describe('the primary\'s turn desk (workers coming and going)', () => {
  const desk = () => {
    const live = new Set([1, 2, 3]);
    const granted: string[] = [];
    const d = new TurnDesk((w) => live.has(w), (w, id) => granted.push(`${w}:${id}`));
    return { d, live, granted };
  };

  it('ignores a request read after its worker is gone', () => {
    const { d, live, granted } = desk();
    live.delete(2);
    d.gone(2);
    d.ask(2, 20);
    expect(d.current()).toBeUndefined();
    d.ask(1, 10);
    expect(granted).toEqual(['1:10']);
  });

  it('passes a turn on past workers that are gone, and on when its holder exits', () => {
    const { d, live, granted } = desk();
    d.ask(1, 10);
    d.ask(2, 20);
    d.ask(3, 30);
    // Worker 2's channel closed before its exit was handled: the turn skips it.
    live.delete(2);
    d.end(1, 10);
    expect(granted).toEqual(['1:10', '3:30']);
    d.ask(1, 11);
    live.delete(3);
    d.gone(3);
    expect(granted).toEqual(['1:10', '3:30', '1:11']);
    d.end(1, 11);
    expect(d.current()).toBeUndefined();
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
