/**
 * Fixtures of the SSRF tests (link previews, attachment images, outgoing webhooks, SSO
 * discovery): a loopback canary that must never be reached, and an answer of any size.
 */
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:net';

/** A TCP listener on loopback (dual-stack, so ::1 and ::ffff:127.0.0.1 reach it too) that counts and drops every connection. */
export interface Canary {
  readonly port: number;
  connections(): number;
  close(): Promise<void>;
}

export async function startCanary(): Promise<Canary> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '::', resolve));
  const port = (server.address() as { port: number }).port;
  return { port, connections: () => connections, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Streams `total` bytes of `type` for as long as the reader reads (`announce`: with its
 * Content-Length); `sent` is told each 64 KiB chunk written.
 */
export function streamBytes(res: ServerResponse, type: string, total: number, announce: boolean, sent: (bytes: number) => void = () => undefined): void {
  res.writeHead(200, { 'content-type': type, ...(announce ? { 'content-length': String(total) } : {}) });
  const chunk = Buffer.alloc(64 * 1024, 0x78);
  let written = 0;
  const pump = (): void => {
    while (written < total && !res.destroyed) {
      written += chunk.length;
      sent(chunk.length);
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}
