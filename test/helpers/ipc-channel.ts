/** A stand-in for a worker's IPC channel to the primary (cluster/worker.ts IpcChannel): records what is sent, delivers what the primary says. */
import { EventEmitter } from 'node:events';
import type { IpcChannel } from '../../src/cluster/worker.js';

export class FakeChannel extends EventEmitter implements IpcChannel {
  connected = true;
  readonly sent: Array<{ rc: string; id?: number; m?: unknown }> = [];
  send(message: unknown): boolean {
    this.sent.push(message as { rc: string; id?: number });
    return true;
  }
  /** A message from the primary. */
  deliver(message: unknown): void {
    this.emit('message', message, undefined);
  }
}
