/**
 * The raw baselines: a bare `ws` server with no application logic. WebSocket clients
 * connect to /ws (no auth) and get a tiny hello. Started as a child process by the
 * benchmarks; prints `listening <port>` when ready. Two ways to broadcast the request body
 * to every client, so that the benchmarks can report both:
 *
 *   POST /broadcast            `ws.send` per client: ws frames the message again for every
 *                              socket (a header Buffer + the payload, two writes each).
 *   POST /broadcast/preframed  the best a plain Node process can do: the WebSocket frame
 *                              (RFC 6455 §5.2, unmasked server→client text frame) is built
 *                              once into one Buffer and that same Buffer is written to every
 *                              socket; sockets stay corked until the check phase of the event
 *                              loop (`setImmediate`), so that the frames of every broadcast
 *                              handled in one turn of the loop leave in one writev per socket
 *                              (the same coalescing as RustChat's src/realtime/connection.ts).
 */
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

/** Each client's WebSocket and the raw socket under it (the one `handleUpgrade` was given). */
const clients = new Map<WebSocket, Duplex>();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

/** One complete unmasked text frame: FIN + opcode 1, then the 7-bit, 16-bit or 64-bit length, then the payload. */
function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const headerLength = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + n);
  frame[0] = 0x81;
  if (n < 126) {
    frame[1] = n;
  } else if (n < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}

let corked: Duplex[] = [];
function uncorkAll(): void {
  const sockets = corked;
  corked = [];
  for (const socket of sockets) socket.uncork();
}

function broadcastPreframed(payload: Buffer): void {
  const frame = textFrame(payload);
  if (corked.length === 0) setImmediate(uncorkAll);
  for (const [ws, socket] of clients) {
    if (ws.readyState !== 1) continue;
    if (socket.writableCorked === 0) {
      socket.cork();
      corked.push(socket);
    }
    socket.write(frame);
  }
}

const server = createServer((req, res) => {
  if (req.method === 'POST' && (req.url === '/broadcast' || req.url === '/broadcast/preframed')) {
    const preframed = req.url === '/broadcast/preframed';
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (preframed) {
        broadcastPreframed(body);
      } else {
        const payload = body.toString('utf8');
        for (const ws of clients.keys()) ws.send(payload);
      }
      res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    });
    return;
  }
  res.writeHead(404).end();
});
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    clients.set(ws, socket);
    ws.on('close', () => clients.delete(ws));
    ws.send('{"event":"hello","seq":0,"data":{}}');
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));
