/**
 * The worker's side of the IPC link (src/cluster/worker.ts PrimaryLink), on a stand-in channel:
 * the events published in one turn of the event loop travel as one `events` message, in order;
 * anything else sent to the primary (a control message, a connection id, a call, a socket handed
 * over) goes after the events published before it; closing the cluster bus sends what is left;
 * a received batch reaches the relay event by event, in order.
 */
import { describe, expect, it } from 'vitest';
import { PrimaryLink } from '../../src/cluster/worker.js';
import { ClusterBus } from '../../src/realtime/bus/cluster.js';
import type { RealtimeEvent } from '../../src/domain/events.js';
import { FakeChannel } from '../helpers/ipc-channel.js';


const event = (n: number): RealtimeEvent => ({ event: 'typing', data: { n }, broadcast: { channel_id: 'c' } }) as unknown as RealtimeEvent;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('the worker\'s IPC link', () => {
  it('sends the events of one event-loop turn as one message, in order', async () => {
    const ipc = new FakeChannel();
    const link = new PrimaryLink(1, ipc);
    for (const n of [1, 2, 3]) link.publish(event(n));
    expect(ipc.sent).toEqual([]);
    await turn();
    expect(ipc.sent).toEqual([{ rc: 'events', m: [event(1), event(2), event(3)] }]);
    link.publish(event(4));
    await turn();
    expect(ipc.sent).toHaveLength(2);
    expect(ipc.sent[1]).toEqual({ rc: 'events', m: [event(4)] });
  });

  it('sends whatever else after the events published before it', async () => {
    const ipc = new FakeChannel();
    const link = new PrimaryLink(1, ipc);
    link.publish(event(1));
    link.control({ kind: 'user_deactivated', userId: 'u' });
    link.publish(event(2));
    link.own('connection-1');
    link.publish(event(3));
    void link.call('statuses', ['u']).catch(() => undefined);
    expect(ipc.sent.map((m) => (m as { rc: string }).rc)).toEqual(['events', 'control', 'events', 'own', 'events', 'rpc']);
    expect(ipc.sent.filter((m) => (m as { rc: string }).rc === 'events').map((m) => (m as { m: unknown[] }).m)).toEqual([[event(1)], [event(2)], [event(3)]]);
    await turn();
    expect(ipc.sent).toHaveLength(6);
  });

  it('sends what is left when the cluster bus closes, and hands a received batch to the relay in order', async () => {
    const ipc = new FakeChannel();
    const link = new PrimaryLink(1, ipc);
    const bus = new ClusterBus(link);
    const seen: unknown[] = [];
    bus.subscribe({ onEvent: (e) => seen.push((e.data as unknown as { n: number }).n), onControl: () => undefined });
    ipc.emit('message', { rc: 'events', m: [event(7), event(8)] }, undefined);
    expect(seen).toEqual([7, 8]);
    bus.publish(event(9));
    expect(seen).toEqual([7, 8, 9]);
    await bus.close();
    expect(ipc.sent).toEqual([{ rc: 'events', m: [event(9)] }]);
  });
});
