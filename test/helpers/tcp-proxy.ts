/**
 * A loopback TCP proxy whose "cable" can be pulled: `pull()` makes every current connection
 * silently swallow traffic in both directions without closing it — what a client whose Wi-Fi
 * dropped looks like to the server (it keeps writing, nobody reads, no FIN arrives).
 * Connections made after the pull go through normally (the network is back).
 *
 * `cut()` is the other failure: the server behind the proxy is gone. Every open connection is
 * reset and new ones are reset on arrival, until `restore()`.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  pulled: boolean;
}

export class PullableProxy {
  private readonly pairs = new Set<Pair>();
  private readonly server: Server;
  private refusing = false;
  url = '';
  port = 0;

  private constructor(private readonly target: URL) {
    this.server = createServer((client) => this.accept(client));
  }

  static async start(targetUrl: string): Promise<PullableProxy> {
    const proxy = new PullableProxy(new URL(targetUrl));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const address = proxy.server.address();
    proxy.port = typeof address === 'object' && address !== null ? address.port : 0;
    proxy.url = `http://127.0.0.1:${proxy.port}`;
    return proxy;
  }

  private accept(client: Socket): void {
    if (this.refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(Number(this.target.port), this.target.hostname);
    const pair: Pair = { client, upstream, pulled: false };
    this.pairs.add(pair);
    client.on('data', (d: Buffer) => {
      if (!pair.pulled) upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (!pair.pulled) client.write(d);
    });
    const end = (): void => {
      // A pulled cable carries no FIN either way.
      if (pair.pulled) return;
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  }

  /** Every connection open now goes silent, both ways, without closing. */
  pull(): void {
    for (const p of this.pairs) p.pulled = true;
  }

  /** The server behind is gone: every connection is reset, now and until restore(). */
  cut(): void {
    this.refusing = true;
    for (const p of this.pairs) {
      p.client.resetAndDestroy();
      p.upstream.destroy();
    }
    this.pairs.clear();
  }

  /** The server behind is back: new connections go through again. */
  restore(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
