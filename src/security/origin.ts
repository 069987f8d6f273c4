/**
 * Which browser origins may act on this server: REST writes (CSRF) and WebSocket
 * handshakes (cross-site WebSocket hijacking) use this one rule.
 *
 * Allowed: the site URL, the CORS allow list, `*` in development, and — in development
 * only — a page served by this very server under another name (Origin host equal to the
 * Host header, e.g. http://127.0.0.1:3000 when the site URL says localhost). `null` never.
 * In production only the site URL and the allow list count, so a DNS-rebinding name
 * pointing at the server gains nothing.
 */
import type { Config } from '../config/config.js';

export class OriginPolicy {
  private readonly allowed: Set<string>;
  private readonly wildcard: boolean;
  private readonly sameHostOk: boolean;

  constructor(config: Pick<Config, 'siteUrl' | 'corsAllowedOrigins' | 'isProduction'>) {
    this.allowed = new Set([config.siteUrl, ...config.corsAllowedOrigins.filter((o) => o !== '*')]);
    this.wildcard = config.corsAllowedOrigins.includes('*') && !config.isProduction;
    this.sameHostOk = !config.isProduction;
  }

  allows(origin: string, host: string | undefined): boolean {
    const url = parseOrigin(origin);
    if (url === undefined) return false;
    if (this.allowed.has(url.origin) || this.wildcard) return true;
    return this.sameHostOk && host !== undefined && url.host === host.toLowerCase();
  }

  /**
   * The `Access-Control-Allow-Origin` to grant a cross-origin request from `origin`, or
   * undefined for none. The same normalised comparison as `allows` (case of the host, default
   * port), so CORS and the CSRF/WebSocket check cannot disagree about an origin. The
   * development same-host rule is not needed here: such a page is same-origin to the browser.
   */
  corsOrigin(origin: string): string | undefined {
    const url = parseOrigin(origin);
    if (url === undefined) return undefined;
    return this.allowed.has(url.origin) || this.wildcard ? url.origin : undefined;
  }
}

function parseOrigin(origin: string): URL | undefined {
  if (origin === 'null') return undefined;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
}
