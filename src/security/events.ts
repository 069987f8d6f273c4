/**
 * Security events (contract §7): one structured log line with `security_event`, plus the
 * `rustchat_security_events_total{event}` counter. Callers pass only non-secret context.
 */
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export const SECURITY_EVENTS = {
  rate_limit_exceeded: 'warning',
  invalid_oauth_state: 'warning',
  weak_secret_detected: 'critical',
  websocket_auth_failure: 'info',
  exchange_code_reuse: 'warning',
  login_failure: 'info',
  access_denied: 'info',
  session_revoked: 'info',
} as const;

export type SecurityEventName = keyof typeof SECURITY_EVENTS;

export interface SecurityEventContext {
  readonly ip?: string | undefined;
  readonly userId?: string | undefined;
  readonly requestId?: string | undefined;
  readonly reason?: string | undefined;
  readonly [key: string]: unknown;
}

export class SecurityEvents {
  constructor(private readonly logger: Logger, private readonly metrics: Metrics) {}

  emit(event: SecurityEventName, context: SecurityEventContext = {}): void {
    const severity = SECURITY_EVENTS[event];
    this.metrics.securityEvents.inc({ event });
    const { ip, userId, requestId, ...rest } = context;
    const line = { security_event: event, severity, client_ip: ip, user_id: userId, request_id: requestId, ...rest };
    if (severity === 'critical') this.logger.error(line, `security event: ${event}`);
    else if (severity === 'warning') this.logger.warn(line, `security event: ${event}`);
    else this.logger.info(line, `security event: ${event}`);
  }
}
