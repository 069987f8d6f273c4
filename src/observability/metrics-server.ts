/**
 * The separate Prometheus listener (RUSTCHAT_METRICS_HOST/PORT, 127.0.0.1:9464 by default):
 * `/metrics` only, on loopback unless configured otherwise, so metrics are not public by
 * default. Serving them on the main port instead needs RUSTCHAT_METRICS_TOKEN (routes/health.ts).
 */
import { createServer, type Server } from 'node:http';
import type { Metrics } from './metrics.js';

const HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' } as const;

export async function startMetricsServer(metrics: Pick<Metrics, 'exposition'>, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { ...HEADERS, 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND","message":"Route not found"}}');
      return;
    }
    metrics.exposition().then(
      ({ contentType, text }) => res.writeHead(200, { ...HEADERS, 'content-type': contentType }).end(req.method === 'HEAD' ? undefined : text),
      () => res.writeHead(500, { ...HEADERS, 'content-type': 'application/json' }).end('{"error":{"code":"INTERNAL_ERROR","message":"Internal server error"}}'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
