/**
 * A keep-alive multipart/form-data uploader on node:http that streams one file part from a
 * caller's buffer (shared by every request: only views of it are written, never copies), so
 * the load generator spends as little as possible per byte.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request, type ClientRequest } from 'node:http';
import type { HttpResult } from './http.js';

/** Bytes handed to the socket per write: large enough to be cheap, small enough to keep backpressure meaningful. */
const CHUNK = 256 * 1024;

/** Resolves on 'drain', or once the request is gone (an early answer closed it): never hangs. */
function drained(req: ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      req.off('drain', done);
      req.off('close', done);
      resolve();
    };
    req.once('drain', done);
    req.once('close', done);
  });
}

export class MultipartUploader {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;
  // Random and long: the odds that it occurs in the payload are negligible.
  private readonly boundary = `rustchat-bench-${randomBytes(16).toString('hex')}`;

  constructor(baseUrl: string, maxSockets = 64) {
    const u = new URL(baseUrl);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  /** POSTs the first `size` bytes of `data` as the multipart file part `field` named `filename`. */
  upload(path: string, token: string, data: Buffer, size: number, filename: string, field = 'file'): Promise<HttpResult> {
    const head = Buffer.from(`--${this.boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${this.boundary}--\r\n`);
    return new Promise((resolve, reject) => {
      let settled = false;
      const req = request(
        {
          host: this.host,
          port: this.port,
          method: 'POST',
          path,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': `multipart/form-data; boundary=${this.boundary}`,
            'content-length': head.length + size + tail.length,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            settled = true;
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', (err) => {
            if (!settled) reject(err);
          });
        },
      );
      // A server that answers before reading the whole body may reset the socket afterwards.
      req.on('error', (err) => {
        if (!settled) reject(err);
      });
      void (async () => {
        req.write(head);
        for (let off = 0; off < size && !req.destroyed; off += CHUNK) {
          if (!req.write(data.subarray(off, Math.min(size, off + CHUNK)))) await drained(req);
        }
        if (!req.destroyed) req.end(tail);
      })();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
