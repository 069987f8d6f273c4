/**
 * Runs s3rver in its own Node process, started by test/helpers/s3.ts with
 * `--openssl-legacy-provider`: s3rver encrypts ListObjectsV2 continuation tokens with DES,
 * which Node's OpenSSL 3 refuses without the legacy provider (a truncated listing answers
 * 500 otherwise). Runs as plain Node (type stripping): erasable TypeScript only.
 *
 * Protocol over the IPC channel: `{ type: 'ready', port }` or `{ type: 'failed', message }`
 * once; `{ type: 'requests' }` is answered with every request received so far, in order.
 * The process ends when its parent disconnects.
 */
import type { IncomingMessage } from 'node:http';
import S3rver from 's3rver';
import type { S3Request } from './s3.js';

const [directory, bucket] = process.argv.slice(2);
if (directory === undefined || bucket === undefined || process.send === undefined) {
  throw new Error('usage: node --openssl-legacy-provider s3rver-process.ts <directory> <bucket> (with an IPC channel)');
}
const send = process.send.bind(process);
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
const requests: S3Request[] = [];

try {
  const address = await server.run();
  server.httpServer.on('request', (req: IncomingMessage) => requests.push({ method: req.method ?? '', url: req.url ?? '' }));
  send({ type: 'ready', port: address.port });
} catch (err) {
  send({ type: 'failed', message: err instanceof Error ? err.message : String(err) }, () => process.exit(1));
}

process.on('message', (message: { type?: string }) => {
  if (message.type === 'requests') send({ type: 'requests', requests });
});
process.on('disconnect', () => {
  // Connections a client left open (keep-alive mid-request) must not keep the server alive.
  setTimeout(() => process.exit(0), 2_000).unref();
  void server.close().finally(() => process.exit(0));
});
