/** Storage of incoming and outgoing webhooks and of outgoing deliveries (services/webhooks.ts). */
import type { IncomingWebhook, OutgoingWebhook, WebhookDelivery } from '../domain/webhooks.js';

export type IncomingPatch = Partial<Pick<IncomingWebhook, 'channel_id' | 'team_id' | 'display_name' | 'description' | 'channel_locked' | 'token_hash'>>;
export type OutgoingPatch = Partial<Pick<OutgoingWebhook, 'channel_id' | 'display_name' | 'description' | 'trigger_words' | 'trigger_when' | 'callback_urls' | 'content_type' | 'token_sealed'>>;

export interface WebhookStore {
  /** Inserts an incoming webhook; UniqueViolation on a token hash already used. */
  createIncoming(hook: IncomingWebhook): Promise<void>;
  getIncoming(id: string): Promise<IncomingWebhook | undefined>;
  /** The incoming webhook whose token hashes to `tokenHash` (one indexed lookup). */
  getIncomingByTokenHash(tokenHash: string): Promise<IncomingWebhook | undefined>;
  /** Incoming webhooks, newest first: those of `creatorId`, or all when undefined; in `teamId` when given. */
  listIncoming(creatorId: string | undefined, teamId: string | undefined, offset: number, limit: number): Promise<IncomingWebhook[]>;
  /** Applies `patch` (and `updated_at`); the row after, or undefined when it is gone. */
  updateIncoming(id: string, patch: IncomingPatch, now: number): Promise<IncomingWebhook | undefined>;
  /** Deletes it; the row deleted, or undefined when it was not there. */
  deleteIncoming(id: string): Promise<IncomingWebhook | undefined>;

  createOutgoing(hook: OutgoingWebhook): Promise<void>;
  getOutgoing(id: string): Promise<OutgoingWebhook | undefined>;
  /** Outgoing webhooks, newest first: those of `creatorId`, or all when undefined; in `teamId` when given. */
  listOutgoing(creatorId: string | undefined, teamId: string | undefined, offset: number, limit: number): Promise<OutgoingWebhook[]>;
  /** Every outgoing webhook of a team (the candidates a new post is matched against). */
  outgoingForTeam(teamId: string): Promise<OutgoingWebhook[]>;
  updateOutgoing(id: string, patch: OutgoingPatch, now: number): Promise<OutgoingWebhook | undefined>;
  /** Deletes it and its delivery log; the row deleted, or undefined when it was not there. */
  deleteOutgoing(id: string): Promise<OutgoingWebhook | undefined>;

  /** Records a delivery attempt and keeps only the newest `keep` of its hook. */
  addDelivery(delivery: WebhookDelivery, keep: number): Promise<void>;
  /** A hook's delivery attempts, newest first. */
  deliveries(hookId: string, limit: number): Promise<WebhookDelivery[]>;
}
