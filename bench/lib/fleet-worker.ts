/**
 * A load-generator child process: opens WebSocket connections and (for `users`) simulates
 * people, reporting to the parent over IPC. Several of these run side by side so that
 * connection counts stay under the per-process file-descriptor limit.
 *
 * Parent → worker messages: connect, users, stop. Worker → parent: connected, markers,
 * stats, error.
 */
import { Agent, request } from 'node:http';
import WebSocket from 'ws';

export interface ConnectSpec {
  readonly type: 'connect';
  readonly url: string;
  /** One entry per connection. */
  readonly tokens: readonly string[];
  readonly localAddresses: readonly string[];
  /** How to authenticate: Authorization header (RustChat) or none (bare baseline). */
  readonly auth: 'header' | 'none';
  readonly concurrency: number;
  /** Regex source whose first group identifies a marker in received frames. */
  readonly markerPattern: string;
}

export interface UsersSpec {
  readonly type: 'users';
  readonly baseUrl: string;
  readonly users: ReadonlyArray<{ token: string; userId: string; channels: readonly string[] }>;
  readonly localAddresses: readonly string[];
  /** Mean seconds between a user's actions. */
  readonly thinkSeconds: number;
}

type Inbound = ConnectSpec | UsersSpec | { type: 'stop' } | { type: 'report' };

const send = (msg: unknown): void => {
  process.send?.(msg);
};
const now = (): number => performance.timeOrigin + performance.now();

let running = true;
const sockets: WebSocket[] = [];
/** Why sockets of this worker closed or failed to open (kept across reports). */
const socketProblems: Record<string, number> = {};
const problem = (what: string): void => {
  socketProblems[what] = (socketProblems[what] ?? 0) + 1;
};
let markerRe: RegExp | undefined;
const markers = new Map<string, { count: number; first: number; last: number }>();
let flushTimer: NodeJS.Timeout | undefined;

function recordMarker(id: string): void {
  const t = now();
  const m = markers.get(id);
  if (m === undefined) markers.set(id, { count: 1, first: t, last: t });
  else {
    m.count++;
    m.last = t;
  }
  flushTimer ??= setTimeout(() => {
    flushTimer = undefined;
    send({ type: 'markers', markers: [...markers.entries()] });
    markers.clear();
  }, 50);
}

function open(url: string, token: string, localAddress: string, auth: 'header' | 'none'): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      // The server's frames are trusted here; validating UTF-8 would only slow the generator.
      skipUTF8Validation: true,
      localAddress,
      headers: auth === 'header' ? { authorization: `Bearer ${token}` } : {},
      handshakeTimeout: 30_000,
    });
    let hello = false;
    ws.on('message', (data: Buffer) => {
      if (!hello) {
        hello = true;
        resolve(ws);
      }
      if (markerRe !== undefined) {
        const m = markerRe.exec(data.toString('latin1'));
        if (m) recordMarker(m[1]!);
      }
    });
    ws.once('error', (err) => {
      problem(`error: ${err.message.slice(0, 60)}`);
      if (!hello) reject(err);
    });
    ws.once('close', (code) => {
      if (running) problem(`close ${code}`);
      if (!hello) reject(new Error(`closed ${code} before hello`));
    });
  });
}

async function connect(spec: ConnectSpec): Promise<void> {
  markerRe = new RegExp(spec.markerPattern);
  let next = 0;
  let done = 0;
  let failed = 0;
  const t0 = now();
  const workers = Array.from({ length: Math.min(spec.concurrency, spec.tokens.length) }, async () => {
    while (next < spec.tokens.length) {
      const i = next++;
      try {
        sockets.push(await open(spec.url, spec.tokens[i]!, spec.localAddresses[i % spec.localAddresses.length]!, spec.auth));
        done++;
      } catch (err) {
        failed++;
        if (failed <= 3) send({ type: 'error', message: (err as Error).message });
      }
    }
  });
  await Promise.all(workers);
  send({ type: 'connected', connected: done, failed, ms: now() - t0 });
}

// ---- users: a realistic mix of actions per simulated person ----

interface Sample {
  /** User actions completed (one from the mix: a channel switch is one action of three requests). */
  actions: number;
  ok: number;
  errors: number;
  latencies: number[];
  statuses: Record<string, number>;
}
const emptySample = (): Sample => ({ actions: 0, ok: 0, errors: 0, latencies: [], statuses: {} });
let sample: Sample = emptySample();
const failed = (status: number): void => {
  sample.errors++;
  sample.statuses[String(status)] = (sample.statuses[String(status)] ?? 0) + 1;
};

function http(agent: Agent, base: URL, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve) => {
    const t0 = now();
    const req = request(
      { host: base.hostname, port: base.port, method, path, agent, timeout: 10_000, headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = now() - t0;
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            sample.ok++;
            sample.latencies.push(ms);
          } else failed(status);
          resolve({ status, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      failed(0);
      resolve({ status: 0, body: '' });
    });
    if (payload) req.write(payload);
    req.end();
  });
}

async function simulate(spec: UsersSpec): Promise<void> {
  const base = new URL(spec.baseUrl);
  const wsUrl = `ws://${base.host}/api/v1/ws`;
  const agents = spec.localAddresses.map((a) => new Agent({ keepAlive: true, maxSockets: 64, localAddress: a }));
  let started = 0;
  // People arrive over a moment, not in the same millisecond: at most 100 handshakes in
  // flight (a burst of thousands overflows any listen backlog), and a refused one retries.
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  const slot = async (): Promise<void> => {
    if (inFlight >= 100) await new Promise<void>((r) => waiting.push(r));
    inFlight++;
  };
  const release = (): void => {
    inFlight--;
    waiting.shift()?.();
  };
  await Promise.all(
    spec.users.map(async (u, i) => {
      const localAddress = spec.localAddresses[i % spec.localAddresses.length]!;
      const agent = agents[i % agents.length]!;
      let ws: WebSocket | undefined;
      for (let attempt = 0; attempt < 3 && ws === undefined; attempt++) {
        await slot();
        try {
          ws = await open(wsUrl, u.token, localAddress, 'header');
        } catch {
          // retried below
        } finally {
          release();
        }
      }
      if (ws === undefined) {
        failed(-1);
        return;
      }
      sockets.push(ws);
      started++;
      let channel = u.channels[i % u.channels.length]!;
      let lastPost: string | undefined;
      let wsSeq = 1;
      // Each person: every few seconds (exponential think time) one action from the mix.
      const act = async (): Promise<void> => {
        const r = Math.random();
        if (r < 0.25) {
          await http(agent, base, 'GET', `/api/v1/channels/${channel}/posts?limit=30`, u.token);
        } else if (r < 0.45) {
          const res = await http(agent, base, 'POST', `/api/v1/channels/${channel}/posts`, u.token, { message: `hello from ${u.userId.slice(0, 8)} ${Date.now()}` });
          if (res.status === 201) lastPost = (JSON.parse(res.body) as { id: string }).id;
        } else if (r < 0.55 && lastPost) {
          await http(agent, base, 'POST', `/api/v1/channels/${channel}/posts`, u.token, { message: 'a reply', root_post_id: lastPost });
        } else if (r < 0.65 && lastPost) {
          await http(agent, base, 'POST', `/api/v1/posts/${lastPost}/reactions`, u.token, { emoji_name: 'thumbsup' });
        } else if (r < 0.8) {
          ws.send(JSON.stringify({ action: 'user_typing', seq: wsSeq++, data: { channel_id: channel } }));
        } else {
          channel = u.channels[Math.floor(Math.random() * u.channels.length)]!;
          lastPost = undefined; // threads and reactions stay in the channel being read
          await http(agent, base, 'POST', `/api/v1/channels/${channel}/read`, u.token);
          await http(agent, base, 'GET', `/api/v1/channels/${channel}/posts?limit=30`, u.token);
          await http(agent, base, 'GET', '/api/v1/unreads/overview', u.token);
        }
      };
      const loop = async (): Promise<void> => {
        while (running) {
          await new Promise((r) => setTimeout(r, -Math.log(1 - Math.random()) * spec.thinkSeconds * 1000));
          if (!running) break;
          await act();
          sample.actions++;
        }
      };
      void loop();
    }),
  );
  send({ type: 'users-started', started });
}

process.on('message', (msg: Inbound) => {
  if (msg.type === 'connect') void connect(msg);
  else if (msg.type === 'users') void simulate(msg);
  else if (msg.type === 'report') {
    const s = sample;
    sample = emptySample();
    send({ type: 'stats', actions: s.actions, ok: s.ok, errors: s.errors, latencies: s.latencies, statuses: s.statuses, socketProblems, open: sockets.filter((w) => w.readyState === WebSocket.OPEN).length });
  } else if (msg.type === 'stop') {
    running = false;
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
send({ type: 'ready' });
