/**
 * The messages between the primary process and its workers (RUSTCHAT_WORKERS > 1), over
 * Node's IPC channel. Every message carries `rc` (its kind), which keeps them apart from the
 * messages of the libraries that share the channel (rate-limiter-flexible's cluster limiter
 * uses `channel`, prom-client's aggregator `type`).
 *
 * See docs/process-model.md for the design and the guarantees.
 */
import type { ControlMessage, RealtimeEvent } from '../domain/events.js';
import type { Presence as Status } from '../domain/presenters.js';

/** Presence counts kept by the primary, so that they are counted once for all workers. */
export interface SharedPresenceOps {
  /** Counts a connection of `user` on the calling worker unless the user has `cap` already. */
  acquire: { args: [userId: string, cap: number]; result: { before: number; status: string } };
  /** Forgets one connection of `user` on the calling worker. */
  release: { args: [userId: string]; result: { after: number; status: string } };
  /** The user's chosen status (`online` clears it). */
  setStatus: { args: [userId: string, status: Status]; result: null };
  /** Effective statuses (connections anywhere → the chosen status, else offline). */
  statuses: { args: [userIds: string[]]; result: Status[] };
  /** Aggregated Prometheus metrics of every worker (for the main port's /metrics). */
  metrics: { args: []; result: { contentType: string; text: string } };
}

export type RpcOp = keyof SharedPresenceOps;

export type WorkerToPrimary =
  /** The worker listens for messages and waits for `go` (slots other than 0). */
  | { readonly rc: 'waiting' }
  /** The worker serves at `url` (every worker shares the port). */
  | { readonly rc: 'ready'; readonly url: string }
  /** A resume for connection `to`, held by another worker: the socket (the handle) and the request bytes. */
  | { readonly rc: 'handoff'; readonly to: string; readonly head: string }
  /**
   * Events for every other worker, in publish order: those published during one turn of the
   * event loop travel as one message (a group commit's posts, a post's thread events), so the
   * IPC framing, system calls and the primary's relay are paid once per batch, not per event.
   */
  | { readonly rc: 'events'; readonly m: readonly RealtimeEvent[] }
  /** A control message for every other worker (the events published before it are sent first). */
  | { readonly rc: 'control'; readonly m: ControlMessage }
  /** A WebSocket connection (by id) now lives on this worker: resumes are routed here. */
  | { readonly rc: 'own'; readonly id: string }
  | { readonly rc: 'rpc'; readonly id: number; readonly op: RpcOp; readonly args: unknown[] }
  /**
   * The embedded database's write turn (cluster/write-turns.ts): asks for it (`turn`), gives it
   * back (`turn-end`, also for a turn granted after the worker stopped waiting for it).
   */
  | { readonly rc: 'turn'; readonly id: number }
  | { readonly rc: 'turn-end'; readonly id: number };

export type PrimaryToWorker =
  /** The database is migrated (and the bootstrap admin exists): start the app. */
  | { readonly rc: 'go' }
  | { readonly rc: 'events'; readonly m: readonly RealtimeEvent[] }
  | { readonly rc: 'control'; readonly m: ControlMessage }
  /** A client connection (the socket is the message's handle); `head` holds the bytes the primary read to route it. */
  | { readonly rc: 'conn'; readonly head: string }
  | { readonly rc: 'rpc'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly rc: 'rpc'; readonly id: number; readonly ok: false; readonly error: string }
  /** Users who went offline with a worker that died: publish their status_change. */
  | { readonly rc: 'offline'; readonly userIds: string[] }
  /** The write turn asked for as `id` is the worker's now. */
  | { readonly rc: 'turn'; readonly id: number };

export function isClusterMessage<T extends { rc: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { rc?: unknown }).rc === 'string';
}

/** Environment variable telling a forked worker its slot (0 = the one that migrates). */
export const WORKER_SLOT_ENV = 'RUSTCHAT_WORKER_SLOT';
