/** NotificationStore over Kysely. */
import type { NewQueuedEmail, NotificationStore, NotifyRecipientRow, PushDevice, QueuedEmail, RecipientFilter, StoredPrefs } from '../notifications.js';
import { num, type Db } from './shared.js';

function row(r: QueuedEmail): QueuedEmail {
  return { ...r, id: num(r.id), post_seq: num(r.post_seq), created_at: num(r.created_at), due_at: num(r.due_at), attempts: num(r.attempts), claimed_until: r.claimed_until === null ? null : num(r.claimed_until) };
}

export class Notifications implements NotificationStore {
  constructor(private readonly db: Db) {}

  async getPrefs(userId: string): Promise<StoredPrefs | undefined> {
    return this.db.selectFrom('notify_prefs').select(['props', 'dnd_schedule']).where('user_id', '=', userId).executeTakeFirst();
  }

  async recipientsOf(channelId: string, authorId: string, only?: RecipientFilter): Promise<NotifyRecipientRow[]> {
    let q = this.db.selectFrom('channel_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .leftJoin('notify_prefs as np', 'np.user_id', 'm.user_id')
      .leftJoin('channel_notify_props as cp', (j) => j.onRef('cp.channel_id', '=', 'm.channel_id').onRef('cp.user_id', '=', 'm.user_id'))
      .select(['u.id as user_id', 'u.username', 'u.first_name', 'u.timezone', 'np.props as prefs_props', 'np.dnd_schedule', 'cp.props as channel_props'])
      .where('m.channel_id', '=', channelId).where('m.user_id', '<>', authorId).where('u.deactivated_at', 'is', null).where('u.is_bot', '=', 0);
    if (only !== undefined) {
      // Members with preferences of their own (global or for this channel), named, or listed:
      // the others have the defaults, under which such a post notifies nobody.
      let chosen = this.db.selectFrom('notify_prefs').select('user_id')
        .union(this.db.selectFrom('channel_notify_props').select('user_id').where('channel_id', '=', channelId));
      if (only.usernames.length > 0) chosen = chosen.union(this.db.selectFrom('users').select('id as user_id').where('username', 'in', [...only.usernames]));
      const listed = [...only.userIds];
      q = q.where((eb) => eb.or([eb('m.user_id', 'in', chosen), ...(listed.length > 0 ? [eb('m.user_id', 'in', listed)] : [])]));
    }
    const rows = await q.execute();
    return rows.map((r) => ({
      user_id: r.user_id, username: r.username, first_name: r.first_name, timezone: r.timezone,
      prefs: r.prefs_props === null ? undefined : { props: r.prefs_props, dnd_schedule: r.dnd_schedule },
      channel_props: r.channel_props ?? undefined,
    }));
  }

  async putPrefs(userId: string, prefs: StoredPrefs, now: number): Promise<void> {
    const { props, dnd_schedule } = prefs;
    await this.db.insertInto('notify_prefs').values({ user_id: userId, props, dnd_schedule, updated_at: now })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ props, dnd_schedule, updated_at: now })).execute();
  }

  async getChannelProps(channelId: string, userId: string): Promise<string | undefined> {
    return (await this.db.selectFrom('channel_notify_props').select('props').where('channel_id', '=', channelId).where('user_id', '=', userId).executeTakeFirst())?.props;
  }

  async putChannelProps(channelId: string, userId: string, props: string, now: number): Promise<void> {
    await this.db.insertInto('channel_notify_props').values({ channel_id: channelId, user_id: userId, props, updated_at: now })
      .onConflict((oc) => oc.columns(['channel_id', 'user_id']).doUpdateSet({ props, updated_at: now })).execute();
  }

  async enqueueEmails(rows: readonly NewQueuedEmail[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.insertInto('notify_email_queue').values(rows.map((r) => ({ ...r, attempts: 0, claim_token: null, claimed_until: null })))
      .onConflict((oc) => oc.columns(['user_id', 'post_id']).doNothing()).execute();
  }

  async claimEmails(now: number, token: string, claimedUntil: number, maxUsers: number): Promise<QueuedEmail[]> {
    const due = await this.db.selectFrom('notify_email_queue').select('user_id').distinct()
      .where('due_at', '<=', now)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
      .orderBy('user_id').limit(maxUsers).execute();
    if (due.length === 0) return [];
    // The claim condition is repeated in the UPDATE: a concurrent claimer that got there first wins the rows.
    await this.db.updateTable('notify_email_queue').set({ claim_token: token, claimed_until: claimedUntil })
      .where('user_id', 'in', due.map((d) => d.user_id))
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
      .execute();
    const rows = await this.db.selectFrom('notify_email_queue').selectAll().where('claim_token', '=', token).orderBy('user_id').orderBy('post_seq').execute();
    return rows.map(row);
  }

  async finishEmails(token: string): Promise<number> {
    const r = await this.db.deleteFrom('notify_email_queue').where('claim_token', '=', token).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async retryEmails(token: string, dueAt: number): Promise<void> {
    await this.db.updateTable('notify_email_queue')
      .set((eb) => ({ claim_token: null, claimed_until: null, due_at: dueAt, attempts: eb('attempts', '+', 1) }))
      .where('claim_token', '=', token).execute();
  }

  async queuedFor(userId: string): Promise<QueuedEmail[]> {
    return (await this.db.selectFrom('notify_email_queue').selectAll().where('user_id', '=', userId).orderBy('post_seq').execute()).map(row);
  }

  async dropQueued(userId: string): Promise<number> {
    const r = await this.db.deleteFrom('notify_email_queue').where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async putDevice(device: PushDevice): Promise<void> {
    await this.db.insertInto('push_devices').values({ ...device })
      .onConflict((oc) => oc.column('session_id').doUpdateSet({ device_id: device.device_id, created_at: device.created_at })).execute();
  }

  async devicesFor(userId: string, now: number): Promise<PushDevice[]> {
    const rows = await this.db.selectFrom('push_devices').innerJoin('sessions', 'sessions.id', 'push_devices.session_id')
      .select(['push_devices.session_id', 'push_devices.user_id', 'push_devices.device_id', 'push_devices.created_at'])
      .where('push_devices.user_id', '=', userId).where('sessions.revoked_at', 'is', null).where('sessions.expires_at', '>', now)
      .orderBy('push_devices.created_at').execute();
    return rows.map((r) => ({ ...r, created_at: num(r.created_at) }));
  }

  async removeDevice(deviceId: string): Promise<number> {
    const r = await this.db.deleteFrom('push_devices').where('device_id', '=', deviceId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
