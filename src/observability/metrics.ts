/**
 * Prometheus metrics on a registry owned by the app instance (no global default registry,
 * so tests can start many apps in one process).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({ name: 'rustchat_http_requests_total', help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status'] as const, registers: [this.registry] });
  readonly httpDuration = new Histogram({ name: 'rustchat_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'] as const, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry] });
  readonly wsConnections = new Gauge({ name: 'rustchat_ws_connections', help: 'Open WebSocket connections on this node', registers: [this.registry] });
  readonly wsMessagesSent = new Counter({ name: 'rustchat_ws_messages_sent_total', help: 'WebSocket frames sent to clients', registers: [this.registry] });
  readonly wsMessagesDropped = new Counter({ name: 'rustchat_ws_messages_dropped_total', help: 'WebSocket events dropped by backpressure', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly wsDisconnects = new Counter({ name: 'rustchat_ws_disconnects_total', help: 'WebSocket connections closed by the server', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly wsHandshakes = new Counter({ name: 'rustchat_ws_handshakes_total', help: 'WebSocket upgrade attempts by outcome', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly wsResumes = new Counter({ name: 'rustchat_ws_resumes_total', help: 'WebSocket reconnects with a connection_id, by outcome (replayed or new_hello)', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly busMessages = new Counter({ name: 'rustchat_bus_messages_total', help: 'Cluster bus messages by direction and kind (e event, c control, r resync)', labelNames: ['direction', 'kind'] as const, registers: [this.registry] });
  readonly busResyncs = new Counter({ name: 'rustchat_bus_resyncs_total', help: 'Times this node made its WebSocket clients resync after a bus gap', registers: [this.registry] });
  readonly dbQueries = new Histogram({ name: 'rustchat_db_query_duration_seconds', help: 'Database query duration', labelNames: ['outcome'] as const, buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers: [this.registry] });
  readonly writeTurnWait = new Histogram({ name: 'rustchat_db_write_turn_wait_seconds', help: 'Embedded database with several workers: time a group commit waited for its turn to write, by outcome (granted, or timeout: written without a turn)', labelNames: ['outcome'] as const, buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [this.registry] });
  readonly rateLimited = new Counter({ name: 'rustchat_rate_limit_rejections_total', help: 'Requests refused by a rate limiter', labelNames: ['limiter'] as const, registers: [this.registry] });
  readonly rateLimitChecks = new Counter({ name: 'rustchat_rate_limit_checks_total', help: 'Requests checked by a rate limiter', labelNames: ['limiter'] as const, registers: [this.registry] });
  readonly rateLimitStoreFallback = new Gauge({ name: 'rustchat_rate_limit_store_fallback', help: '1 while Redis is unreachable and the rate limiters count per node in memory', registers: [this.registry] });
  readonly securityEvents = new Counter({ name: 'rustchat_security_events_total', help: 'Security events by kind', labelNames: ['event'] as const, registers: [this.registry] });
  readonly postsCreated = new Counter({ name: 'rustchat_posts_created_total', help: 'Posts created', registers: [this.registry] });
  readonly linkPreviews = new Counter({
    name: 'rustchat_link_previews_total', labelNames: ['outcome'] as const, registers: [this.registry],
    help: 'Link previews by outcome: attached, refused (an internal address), failed (network, status, type, size, time), empty (nothing to show), stale (the post changed meanwhile), dropped (queue full)',
  });
  readonly attachmentImages = new Counter({
    name: 'rustchat_attachment_images_total', labelNames: ['outcome'] as const, registers: [this.registry],
    help: 'Images of webhooks\' Slack attachments by outcome, per image: attached, refused (an internal address), failed (network, status, type, size, time, not an image), stale (the post was deleted meanwhile), dropped (queue full)',
  });
  readonly notifications = new Counter({
    name: 'rustchat_notifications_total', labelNames: ['medium', 'outcome'] as const, registers: [this.registry],
    help: 'Notifications by medium (email, push, desktop) and outcome: email sent, skipped (all read, deactivated, unsubscribed), retry, dropped (gave up); push sent, removed (device gone), retry, dropped; desktop sent',
  });

  readonly webhookExecutions = new Counter({
    name: 'rustchat_webhook_executions_total', labelNames: ['hook_id', 'kind', 'outcome'] as const, registers: [this.registry],
    help: 'Webhook executions per hook: kind incoming (outcome posted, refused, rate_limited, invalid) or outgoing (one per callback URL: delivered, failed, refused)',
  });
  readonly commandExecutions = new Counter({
    name: 'rustchat_command_executions_total', labelNames: ['command', 'outcome'] as const, registers: [this.registry],
    help: 'Slash commands run, by command (a built-in\'s trigger, or `custom` for a team\'s own commands, so that teams cannot grow the label set) and outcome: ok, error (refused, bad input, the custom command\'s service failed or answered badly), unknown',
  });

  private readonly collect: (() => Promise<{ contentType: string; text: string }>) | undefined;

  /**
   * `collect` replaces this registry's own text (a worker process: the primary aggregates
   * every worker's registry, cluster/primary.ts).
   */
  constructor({ defaultMetrics = true, collect }: { defaultMetrics?: boolean; collect?: () => Promise<{ contentType: string; text: string }> } = {}) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'rustchat_' });
    this.collect = collect;
  }

  /** The Prometheus exposition served at /metrics: this process's, or the whole machine's. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    if (this.collect !== undefined) return this.collect();
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
