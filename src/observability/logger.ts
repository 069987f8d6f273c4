/**
 * The JSON logger. Every line passes through `scrub` (observability/redact.ts), so a secret
 * cannot reach the log by being put in the wrong field. Requests are logged by path only:
 * query strings (which may carry an OAuth code or state) never are.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';
import { scrub } from './redact.js';

export type { Logger } from 'pino';

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'rustchat' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => scrub(object) as Record<string, unknown>,
    },
    serializers: {
      err: (err: unknown) => scrub(err),
      error: (err: unknown) => scrub(err),
    },
    hooks: {
      // The message string is scrubbed too (it is not part of the object above).
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === 'string' ? (scrub(a) as string) : a)) as Parameters<typeof method>;
        method.apply(this, scrubbed);
      },
    },
  };
  return scrubChildren(destination ? pino(options, destination) : pino(options));
}

/**
 * Child-logger bindings are serialised once, when the child is made, and pino applies no
 * formatter to them: scrub them on the way in. A pino child is made from (and inherits this
 * property of) its parent, so children of children pass here too, each adding its bindings to
 * its parent's (`this`): a request's logger keeps its worker's `worker` binding.
 */
function scrubChildren(logger: Logger): Logger {
  // pino's own method (it reads `this`): called below on whichever logger it was called on.
  const original = Reflect.get(logger, 'child') as unknown as (this: Logger, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => Logger;
  logger.child = function (this: Logger, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) {
    return original.call(this, scrub(bindings) as pino.Bindings, options);
  } as unknown as Logger['child'];
  return logger;
}

/** The path of a URL without its query string. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * Paths whose last segment is a credential: an incoming webhook's token (`/hooks/{token}`) and
 * a slash command's response URL (`/hooks/commands/{token}`). Anyone holding one may post.
 */
const CREDENTIAL_PATH = /^(\/hooks\/(?:commands\/)?)[^/]+$/;

/** The path of a URL as the access log writes it: no query string, credential segments masked. */
export function loggedPath(url: string): string {
  return pathOf(url).replace(CREDENTIAL_PATH, '$1[REDACTED]');
}
