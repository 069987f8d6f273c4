/**
 * Pure pieces of the WebSocket protocol: parsing client action frames (never throws, whatever
 * arrives), encoding event frames once per event, and replies.
 *
 * Fan-out cost: an event is serialised once per node into a `Frame` — the envelope split
 * around its `seq` (`{"event":"posted","seq":` + `,"data":…,"broadcast":…}`) as Buffers.
 * A connection writes the WebSocket message for its own seq itself, as two chunks: a small
 * prefix (`wirePrefix`: the RFC 6455 header, the first half and the seq digits) and the
 * second half as is, shared by every recipient, so the event is never copied per recipient
 * and never serialised again. Recipients at the same seq share the prefix too (the hub offers
 * a frame to its recipients one after another, so a one-entry memo is enough).
 */
import { CLIENT_ACTIONS, type ActionReply, type Broadcast, type ClientActionName, type EnvelopeBroadcast, type ServerEventMap, type ServerEventName } from '../domain/events.js';
import { UUID_RE } from '../domain/ids.js';
import type { Presence } from '../domain/presenters.js';
import { targetOf, type Target } from './audience.js';

const STATUSES: readonly Presence[] = ['online', 'away', 'dnd', 'offline'];

export type ParsedAction =
  | { readonly ok: true; readonly seq: number; readonly action: 'ping' }
  | { readonly ok: true; readonly seq: number; readonly action: 'user_typing'; readonly channelId: string; readonly parentId: string | null }
  | { readonly ok: true; readonly seq: number; readonly action: 'presence'; readonly status: Presence }
  | { readonly ok: false; readonly seq: number; readonly code: 'BAD_REQUEST'; readonly message: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(seq: number, message: string): ParsedAction {
  return { ok: false, seq, code: 'BAD_REQUEST', message };
}

/**
 * Parses one client text frame. Invalid input yields `{ok:false}` with the frame's seq when
 * it had a usable one (0 otherwise); error messages never echo the input back.
 */
export function parseAction(text: string): ParsedAction {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(0, 'Frame is not valid JSON');
  }
  if (!isRecord(value)) return fail(0, 'Frame must be a JSON object');
  const rawSeq = value.seq;
  const seqOk = typeof rawSeq === 'number' && Number.isSafeInteger(rawSeq) && rawSeq >= 0;
  const seq = seqOk ? rawSeq : 0;
  if (!seqOk) return fail(0, '"seq" must be a non-negative integer');
  const action = value.action;
  if (typeof action !== 'string') return fail(seq, '"action" must be a string');
  // CLIENT_ACTIONS is the list the WebSocket access matrix covers: nothing outside it is ever dispatched.
  if (!(CLIENT_ACTIONS as readonly string[]).includes(action)) return fail(seq, 'Unknown action');
  const data = value.data;
  if (data !== undefined && data !== null && !isRecord(data)) return fail(seq, '"data" must be an object');
  const d: Record<string, unknown> = isRecord(data) ? data : {};
  switch (action as ClientActionName) {
    case 'ping':
      return { ok: true, seq, action: 'ping' };
    case 'user_typing': {
      const channelId = d.channel_id;
      if (typeof channelId !== 'string' || !UUID_RE.test(channelId)) return fail(seq, '"data.channel_id" must be a channel id');
      const parent = d.parent_id;
      if (parent !== undefined && parent !== null && parent !== '' && (typeof parent !== 'string' || !UUID_RE.test(parent))) {
        return fail(seq, '"data.parent_id" must be a post id');
      }
      return { ok: true, seq, action: 'user_typing', channelId: channelId.toLowerCase(), parentId: typeof parent === 'string' && parent !== '' ? parent.toLowerCase() : null };
    }
    case 'presence': {
      const status = d.status;
      if (typeof status !== 'string' || !(STATUSES as readonly string[]).includes(status)) return fail(seq, `"data.status" must be one of ${STATUSES.join(', ')}`);
      return { ok: true, seq, action: 'presence', status: status as Presence };
    }
    default:
      return fail(seq, 'Unknown action');
  }
}

export function encodeReply(reply: ActionReply): string {
  return JSON.stringify(reply);
}

/** Events the server may drop first under backpressure, and never queues for a disconnected client. */
export const DROPPABLE: ReadonlySet<ServerEventName> = new Set<ServerEventName>(['typing', 'stop_typing', 'status_change']);
const TYPING: ReadonlySet<ServerEventName> = new Set<ServerEventName>(['typing', 'stop_typing']);

/** One event, serialised once, shared by every connection it goes to on this node. */
export interface Frame {
  readonly event: ServerEventName;
  readonly head: Buffer;
  readonly tail: Buffer;
  readonly size: number;
  /** The audience the frame was addressed to: queued and replayed frames are re-checked against it (audience.ts). */
  readonly target: Target;
  readonly droppable: boolean;
  /** typing / stop_typing: stale by the time a disconnected client comes back. */
  readonly transient: boolean;
}

function envelopeBroadcast(b: Broadcast): EnvelopeBroadcast {
  return { channel_id: b.channel_id ?? '', team_id: b.team_id ?? '', user_id: b.user_id ?? '' };
}

/** `target`: the audience as the caller already computed it (audience.ts `targetOf`), else derived from `broadcast`. */
export function encodeFrame<K extends ServerEventName>(event: K, data: ServerEventMap[K], broadcast: Broadcast, target: Target = targetOf(broadcast)): Frame {
  const head = Buffer.from(`{"event":${JSON.stringify(event)},"seq":`);
  const tail = Buffer.from(`,"data":${JSON.stringify(data)},"broadcast":${JSON.stringify(envelopeBroadcast(broadcast))}}`);
  return {
    event,
    head,
    tail,
    size: head.length + tail.length + 4,
    target,
    droppable: DROPPABLE.has(event),
    transient: TYPING.has(event),
  };
}

/** One-entry memo of `wirePrefix`: the last frame and seq built, and their bytes (immutable once built). */
let memoFrame: Frame | undefined;
let memoSeq = -1;
let memoPrefix: Buffer = Buffer.alloc(0);

/**
 * The first bytes of the WebSocket message carrying `frame` as the `seq`-th event of a
 * connection; the message is this prefix followed by `frame.tail`, written as two chunks of
 * one writev. The prefix is the frame header of an unmasked, unfragmented text message
 * (RFC 6455 §5.2: FIN + opcode 1, then the payload length in 7 bits, or 126 + 16 bits, or
 * 127 + 64 bits), `frame.head` and the seq digits: some 30 bytes, while the tail (the event
 * itself, often a kilobyte) is never copied per recipient. Consecutive calls for the same
 * frame and seq return the same Buffer, which must therefore never be modified.
 */
export function wirePrefix(frame: Frame, seq: number): Buffer {
  if (frame === memoFrame && seq === memoSeq) return memoPrefix;
  const digits = String(seq);
  const n = frame.head.length + digits.length + frame.tail.length;
  const headerLength = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(headerLength + frame.head.length + digits.length);
  out[0] = 0x81;
  if (n < 126) {
    out[1] = n;
  } else if (n < 65536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt16BE(0, 2);
    out.writeUIntBE(n, 4, 6);
  }
  let at = headerLength + frame.head.copy(out, headerLength);
  // A few ASCII digits: cheaper byte by byte than a call into Buffer#write.
  for (let i = 0; i < digits.length; i++) out[at++] = digits.charCodeAt(i);
  memoFrame = frame;
  memoSeq = seq;
  memoPrefix = out;
  return out;
}
