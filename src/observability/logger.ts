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
  return destination ? pino(options, destination) : pino(options);
}

/** The path of a URL without its query string. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
