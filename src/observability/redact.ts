/**
 * Log redaction. Two layers: keys that name a secret are replaced wherever they appear in a
 * log object, and string values that look like a bearer token (JWT) or an e-mail address are
 * masked even under innocent keys (an error message quoting a header, say).
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY_RE = /pass(word|wd)?|secret|token|authorization|cookie|api[-_]?key|credential|^nonce$|code_verifier|private[-_]?key|encryption[-_]?key/i;
/**
 * `code` and `state` name an OAuth secret when they hold a string, and a harmless number
 * otherwise (a WebSocket close code, an HTTP status): numbers under them are kept.
 */
const STRING_SECRET_KEY_RE = /^(code|state)$/i;
const JWT_RE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+/g;
const BEARER_RE = /\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
const EMAIL_RE = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** Whether `value` under `key` must not reach a log. */
export function isSecretField(key: string, value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (STRING_SECRET_KEY_RE.test(key)) return typeof value !== 'number' && typeof value !== 'boolean';
  return SECRET_KEY_RE.test(key);
}

export function scrubString(value: string): string {
  // Fast path for the common case (ids, paths, messages without any of the three shapes).
  if (value.length < 6 || (!value.includes('@') && !value.includes('eyJ') && !/bearer/i.test(value))) return value;
  return value.replace(JWT_RE, REDACTED).replace(BEARER_RE, `$1 ${REDACTED}`).replace(EMAIL_RE, '[EMAIL]');
}

/** A copy of `value` with secrets removed; safe on cycles and deep objects. */
export function scrub(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8 || seen.has(value)) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1, seen));
  if (value instanceof Error) {
    return { type: value.name, message: scrubString(value.message), stack: value.stack === undefined ? undefined : scrubString(value.stack), code: (value as { code?: unknown }).code };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretField(k, v) ? REDACTED : scrub(v, depth + 1, seen);
  }
  return out;
}
