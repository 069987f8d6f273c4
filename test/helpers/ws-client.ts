/**
 * A scripted RustChat WebSocket client (the `ws` package), as a browser tab would use it:
 * records every event, checks that `seq` goes 0 (hello), 1, 2… without gaps, answers
 * `waitFor(...)` with a timeout (never a sleep), sends actions and matches their replies, and
 * can reconnect with `connection_id` + `sequence_number` to resume.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { ActionReply, AnyEnvelope, ClientActionName, ServerEventName } from '../../src/domain/events.js';
import { WS_SUBPROTOCOL } from '../../src/domain/events.js';

export interface ConnectOptions {
  readonly token?: string;
  /** How the token travels: Authorization header (default) or the `rustchat.v1` subprotocol. */
  readonly via?: 'header' | 'protocol';
  readonly origin?: string;
  readonly resume?: { readonly connectionId: string; readonly sequenceNumber: number };
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** Socket options for going through a proxy: the CA of a `wss://` server, SNI name, and the local address to connect from. */
  readonly tls?: { readonly ca?: string | Buffer; readonly servername?: string; readonly localAddress?: string };
}

export interface Refused {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: any;
}

interface Waiter {
  readonly from: number;
  readonly pred: (e: AnyEnvelope) => boolean;
  readonly resolve: (e: AnyEnvelope) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const DEFAULT_TIMEOUT = 10_000;

export function wsUrl(httpUrl: string, query: Readonly<Record<string, string>> = {}): string {
  const u = new URL('/api/v1/ws', httpUrl.replace(/^http/, 'ws'));
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
}

function buildSocket(baseUrl: string, opts: ConnectOptions): WebSocket {
  const query: Record<string, string> = { ...(opts.query ?? {}) };
  if (opts.resume) {
    query.connection_id = opts.resume.connectionId;
    query.sequence_number = String(opts.resume.sequenceNumber);
  }
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let protocols: string[] | undefined;
  if (opts.token !== undefined) {
    if ((opts.via ?? 'header') === 'header') headers.authorization = `Bearer ${opts.token}`;
    else protocols = [WS_SUBPROTOCOL, opts.token];
  }
  return new WebSocket(wsUrl(baseUrl, query), protocols, {
    headers,
    ...(opts.origin !== undefined ? { origin: opts.origin } : {}),
    ...(opts.tls ?? {}),
    handshakeTimeout: opts.timeoutMs ?? DEFAULT_TIMEOUT,
  });
}

/** Attempts a handshake that should be refused; resolves with the HTTP answer. */
export function refused(baseUrl: string, opts: ConnectOptions = {}): Promise<Refused> {
  return new Promise((resolve, reject) => {
    const ws = buildSocket(baseUrl, opts);
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        ws.terminate();
      });
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the handshake was accepted'));
    });
    ws.on('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

export class WsClient {
  readonly events: AnyEnvelope[] = [];
  /** Date.now() when each event arrived (same index as `events`). */
  readonly arrivals: number[] = [];
  readonly replies = new Map<number, ActionReply>();
  /** Every seq problem seen (a gap, a repeat, a hello not at 0). Tests expect it empty. */
  readonly seqErrors: string[] = [];
  connectionId: string | undefined;
  /** The seq the next event must carry. */
  expectedSeq = 0;
  responseHeaders: IncomingMessage['headers'] = {};
  closeInfo: { code: number; reason: string } | undefined;
  /** WebSocket pings received from the server (ws answers each with a pong while it reads). */
  pings = 0;
  private waiters: Waiter[] = [];
  private replyWaiters = new Map<number, { resolve: (r: ActionReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private closeWaiters: Array<(info: { code: number; reason: string }) => void> = [];
  private nextActionSeq = 1;

  private constructor(readonly ws: WebSocket, startSeq: number) {
    this.expectedSeq = startSeq;
    ws.on('message', (data, isBinary) => this.onMessage(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8'), isBinary));
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString() };
      for (const w of this.closeWaiters) w(this.closeInfo);
      this.closeWaiters = [];
      for (const [, r] of this.replyWaiters) {
        clearTimeout(r.timer);
        r.reject(new Error(`socket closed (${code}) before the reply`));
      }
      this.replyWaiters.clear();
    });
    ws.on('error', () => undefined);
    ws.on('ping', () => {
      this.pings++;
    });
  }

  /** Opens a connection; resolves once the socket is open (the hello may still be on its way). */
  static open(baseUrl: string, opts: ConnectOptions = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = buildSocket(baseUrl, opts);
      const client = new WsClient(ws, opts.resume?.sequenceNumber ?? 0);
      if (opts.resume) client.connectionId = opts.resume.connectionId;
      ws.on('upgrade', (res) => {
        client.responseHeaders = res.headers;
      });
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused with ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** Opens and waits for the hello. */
  static async connect(baseUrl: string, opts: ConnectOptions = {}): Promise<WsClient> {
    const client = await WsClient.open(baseUrl, opts);
    await client.waitFor((e) => e.event === 'hello');
    return client;
  }

  /** Reconnects as the same client (new socket), asking to resume where this one stopped. */
  resume(baseUrl: string, opts: Omit<ConnectOptions, 'resume'> = {}): Promise<WsClient> {
    if (this.connectionId === undefined) throw new Error('no connection id to resume');
    return WsClient.open(baseUrl, { ...opts, resume: { connectionId: this.connectionId, sequenceNumber: this.expectedSeq } });
  }

  private onMessage(text: string, isBinary: boolean): void {
    if (isBinary) {
      this.seqErrors.push('binary frame from the server');
      return;
    }
    const msg = JSON.parse(text);
    if ('seq_reply' in msg) {
      const reply = msg as ActionReply;
      this.replies.set(reply.seq_reply, reply);
      const w = this.replyWaiters.get(reply.seq_reply);
      if (w) {
        clearTimeout(w.timer);
        this.replyWaiters.delete(reply.seq_reply);
        w.resolve(reply);
      }
      return;
    }
    const env = msg as AnyEnvelope;
    if (env.event === 'hello') {
      if (env.seq !== 0) this.seqErrors.push(`hello with seq ${env.seq}`);
      this.connectionId = env.data.connection_id;
      this.expectedSeq = 1;
    } else {
      if (env.seq !== this.expectedSeq) this.seqErrors.push(`expected seq ${this.expectedSeq}, got ${env.seq} (${env.event})`);
      this.expectedSeq = env.seq + 1;
    }
    this.events.push(env);
    this.arrivals.push(Date.now());
    const index = this.events.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (index >= w.from && w.pred(env)) {
        clearTimeout(w.timer);
        w.resolve(env);
        return false;
      }
      return true;
    });
  }

  /** The first event (at or after index `from`) matching `pred`, waiting up to `timeout` ms. */
  waitFor(pred: (e: AnyEnvelope) => boolean, opts: { timeout?: number; from?: number; what?: string } = {}): Promise<AnyEnvelope> {
    const from = opts.from ?? 0;
    const found = this.events.slice(from).find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`timed out waiting for ${opts.what ?? 'an event'} (got: ${this.events.slice(from).map((e) => e.event).join(', ') || 'nothing'})`));
      }, opts.timeout ?? DEFAULT_TIMEOUT);
      this.waiters.push({ from, pred, resolve, reject, timer });
    });
  }

  /** Waits for an event by name (and optional predicate on its data). */
  waitForEvent<K extends ServerEventName>(name: K, pred: (data: any) => boolean = () => true, opts: { timeout?: number; from?: number } = {}): Promise<AnyEnvelope> {
    return this.waitFor((e) => e.event === name && pred(e.data), { ...opts, what: `"${name}"` });
  }

  named(name: ServerEventName): AnyEnvelope[] {
    return this.events.filter((e) => e.event === name);
  }

  /** Sends an action and resolves with its reply. */
  send(action: ClientActionName | (string & {}), data?: unknown, timeout = DEFAULT_TIMEOUT): Promise<ActionReply> {
    const seq = this.nextActionSeq++;
    const frame = JSON.stringify(data === undefined ? { action, seq } : { action, seq, data });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replyWaiters.delete(seq);
        reject(new Error(`no reply to ${action} #${seq}`));
      }, timeout);
      this.replyWaiters.set(seq, { resolve, reject, timer });
      this.ws.send(frame);
    });
  }

  /** Waits for the reply to a frame sent with `sendRaw`. */
  waitReply(seq: number, timeout = DEFAULT_TIMEOUT): Promise<ActionReply> {
    const have = this.replies.get(seq);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replyWaiters.delete(seq);
        reject(new Error(`no reply with seq_reply ${seq}`));
      }, timeout);
      this.replyWaiters.set(seq, { resolve, reject, timer });
    });
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Resolves with the close code and reason (at once if already closed). */
  waitClose(timeout = DEFAULT_TIMEOUT): Promise<{ code: number; reason: string }> {
    if (this.closeInfo) return Promise.resolve(this.closeInfo);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for the socket to close')), timeout);
      this.closeWaiters.push((info) => {
        clearTimeout(timer);
        resolve(info);
      });
    });
  }

  /** Stops reading from the TCP socket (a client that hangs, or a cable pulled mid-stream: the server keeps writing). */
  pauseReading(): void {
    (this.ws as unknown as { _socket: Socket })._socket.pause();
  }

  resumeReading(): void {
    (this.ws as unknown as { _socket: Socket })._socket.resume();
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }

  /** Drops the TCP connection without a close frame (a pulled cable, from the client's side). */
  terminate(): void {
    this.ws.terminate();
  }
}

/** The sockets a test file opens as its people, all closed by `closeAll` (its afterAll). */
export function socketsFor(url: () => string): { connect(user: { readonly token: string }): Promise<WsClient>; closeAll(): void } {
  const open: WsClient[] = [];
  return {
    async connect(user) {
      const ws = await WsClient.connect(url(), { token: user.token });
      open.push(ws);
      return ws;
    },
    closeAll() {
      for (const ws of open.splice(0)) ws.close();
    },
  };
}
