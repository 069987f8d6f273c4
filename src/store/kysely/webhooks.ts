/** WebhookStore over Kysely. */
import type { IncomingWebhook, OutgoingWebhook, WebhookDelivery } from '../../domain/webhooks.js';
import { unique } from '../errors.js';
import type { IncomingPatch, OutgoingPatch, WebhookStore } from '../webhooks.js';
import { num, type Db } from './shared.js';

const incoming = (r: IncomingWebhook): IncomingWebhook => ({ ...r, channel_locked: num(r.channel_locked), created_at: num(r.created_at), updated_at: num(r.updated_at) });
const outgoing = (r: OutgoingWebhook): OutgoingWebhook => ({ ...r, trigger_when: num(r.trigger_when), created_at: num(r.created_at), updated_at: num(r.updated_at) });
const delivery = (r: WebhookDelivery): WebhookDelivery => ({
  ...r, attempt: num(r.attempt), status: r.status === null ? null : num(r.status), duration_ms: num(r.duration_ms), created_at: num(r.created_at),
});

export class Webhooks implements WebhookStore {
  constructor(private readonly db: Db) {}

  async createIncoming(hook: IncomingWebhook): Promise<void> {
    await unique(this.db.insertInto('incoming_webhooks').values({ ...hook }).execute());
  }

  async getIncoming(id: string): Promise<IncomingWebhook | undefined> {
    const row = await this.db.selectFrom('incoming_webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    return row && incoming(row);
  }

  async getIncomingByTokenHash(tokenHash: string): Promise<IncomingWebhook | undefined> {
    const row = await this.db.selectFrom('incoming_webhooks').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && incoming(row);
  }

  async listIncoming(creatorId: string | undefined, teamId: string | undefined, offset: number, limit: number): Promise<IncomingWebhook[]> {
    let q = this.db.selectFrom('incoming_webhooks').selectAll();
    if (creatorId !== undefined) q = q.where('creator_id', '=', creatorId);
    if (teamId !== undefined) q = q.where('team_id', '=', teamId);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id').offset(offset).limit(limit).execute();
    return rows.map(incoming);
  }

  async updateIncoming(id: string, patch: IncomingPatch, now: number): Promise<IncomingWebhook | undefined> {
    const row = await this.db.updateTable('incoming_webhooks').set({ ...patch, updated_at: now }).where('id', '=', id).returningAll().executeTakeFirst();
    return row && incoming(row);
  }

  async deleteIncoming(id: string): Promise<IncomingWebhook | undefined> {
    const row = await this.db.deleteFrom('incoming_webhooks').where('id', '=', id).returningAll().executeTakeFirst();
    return row && incoming(row);
  }

  async createOutgoing(hook: OutgoingWebhook): Promise<void> {
    await unique(this.db.insertInto('outgoing_webhooks').values({ ...hook }).execute());
  }

  async getOutgoing(id: string): Promise<OutgoingWebhook | undefined> {
    const row = await this.db.selectFrom('outgoing_webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    return row && outgoing(row);
  }

  async listOutgoing(creatorId: string | undefined, teamId: string | undefined, offset: number, limit: number): Promise<OutgoingWebhook[]> {
    let q = this.db.selectFrom('outgoing_webhooks').selectAll();
    if (creatorId !== undefined) q = q.where('creator_id', '=', creatorId);
    if (teamId !== undefined) q = q.where('team_id', '=', teamId);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id').offset(offset).limit(limit).execute();
    return rows.map(outgoing);
  }

  async outgoingForTeam(teamId: string): Promise<OutgoingWebhook[]> {
    const rows = await this.db.selectFrom('outgoing_webhooks').selectAll().where('team_id', '=', teamId).orderBy('id').execute();
    return rows.map(outgoing);
  }

  async updateOutgoing(id: string, patch: OutgoingPatch, now: number): Promise<OutgoingWebhook | undefined> {
    const row = await this.db.updateTable('outgoing_webhooks').set({ ...patch, updated_at: now }).where('id', '=', id).returningAll().executeTakeFirst();
    return row && outgoing(row);
  }

  async deleteOutgoing(id: string): Promise<OutgoingWebhook | undefined> {
    if (!this.db.isTransaction) return this.db.transaction().execute((trx) => new Webhooks(trx).deleteOutgoing(id));
    await this.db.deleteFrom('webhook_deliveries').where('hook_id', '=', id).execute();
    const row = await this.db.deleteFrom('outgoing_webhooks').where('id', '=', id).returningAll().executeTakeFirst();
    return row && outgoing(row);
  }

  async addDelivery(d: WebhookDelivery, keep: number): Promise<void> {
    if (!this.db.isTransaction) return this.db.transaction().execute((trx) => new Webhooks(trx).addDelivery(d, keep));
    await this.db.insertInto('webhook_deliveries').values({ ...d }).execute();
    // Older than the newest `keep` of this hook: gone.
    const cutoff = await this.db.selectFrom('webhook_deliveries').select(['created_at', 'id']).where('hook_id', '=', d.hook_id)
      .orderBy('created_at', 'desc').orderBy('id', 'desc').offset(keep).limit(1).executeTakeFirst();
    if (cutoff !== undefined) {
      await this.db.deleteFrom('webhook_deliveries').where('hook_id', '=', d.hook_id)
        .where((eb) => eb.or([eb('created_at', '<', cutoff.created_at), eb.and([eb('created_at', '=', cutoff.created_at), eb('id', '<=', cutoff.id)])]))
        .execute();
    }
  }

  async deliveries(hookId: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.db.selectFrom('webhook_deliveries').selectAll().where('hook_id', '=', hookId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(delivery);
  }
}
