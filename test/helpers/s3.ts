/**
 * A real S3-compatible server on loopback (`s3rver`, objects in a fresh temporary directory)
 * for the storage contract suite and the file feature's S3 tests. No mocks: the driver talks
 * HTTP to it with the AWS SDK as it would to AWS or MinIO.
 *
 * s3rver runs in a child process (test/helpers/s3rver-process.ts says why).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Config } from '../../src/config/config.js';

export interface S3Request {
  readonly method: string;
  /** Path and query as sent (path-style: `/<bucket>/<key>?...`). */
  readonly url: string;
}

export interface TestS3 {
  /** Points at the running server's bucket (path-style, s3rver's fixed credentials). */
  readonly config: S3Config;
  /** The s3rver process (the benchmark reads its CPU time). */
  readonly pid: number;
  /** Every request the server has received, in order (to see e.g. multipart parts go up). */
  requests(): Promise<readonly S3Request[]>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'requests'; requests: S3Request[] };

const CHILD = fileURLToPath(new URL('./s3rver-process.ts', import.meta.url));
const START_TIMEOUT_MS = 20_000;

function nextMessage<T extends ChildMessage['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`s3rver: no '${type}' message within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: ChildMessage): void => {
      if (message.type === type) finish(undefined, message as Extract<ChildMessage, { type: T }>);
      else if (message.type === 'failed') finish(new Error(`s3rver failed to start: ${message.message}`));
    };
    const onExit = (code: number | null, signal: string | null): void => finish(new Error(`s3rver exited (${signal ?? code})`));
    function finish(err: Error | undefined, message?: Extract<ChildMessage, { type: T }>): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(message!);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export async function startS3(bucket = 'rustchat-test'): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'rustchat-s3rver-'));
  const child = fork(CHILD, [directory, bucket], { execArgv: ['--openssl-legacy-provider'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = once(child, 'exit');
  let port: number;
  try {
    ({ port } = await nextMessage(child, 'ready', START_TIMEOUT_MS));
  } catch (err) {
    child.kill();
    await exited;
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  return {
    pid: child.pid!,
    config: {
      bucket,
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    },
    async requests() {
      const answer = nextMessage(child, 'requests', 5_000);
      child.send({ type: 'requests' });
      return (await answer).requests;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.disconnect();
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}
