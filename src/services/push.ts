/**
 * Push notifications to phones through a Mattermost-compatible push proxy
 * (RUSTCHAT_PUSH_PROXY_URL). The Mattermost mobile app registers its device with its session
 * (`PUT /api/v1/users/me/sessions/device {device_id}`, `<platform>:<token>` such as
 * `apple_rn:…` or `android_rn:…`); a post whose decision says `push` sends one message per live
 * device of the person: `POST <proxy>/api/v1/send_push` with Mattermost's push message
 * (platform, device_id, type `message`, version `v2`, post/channel/team/root ids, sender,
 * message, badge; `is_id_loaded` for `id_only`, when the app fetches the post itself).
 *
 * The proxy answers `{"status":"OK"}`, `{"status":"REMOVE"}` (the device is gone: its
 * registration is deleted) or `{"status":"FAIL","error":…}`. A failure (status, network,
 * timeout: the outbound client's deadline) is retried with a back-off, at most
 * PUSH_MAX_ATTEMPTS times; at most PUSH_MAX_PENDING messages wait or travel at once, beyond that
 * new ones are dropped with a log line, so a hanging proxy cannot grow memory. Push is best
 * effort: nothing is persisted (a phone that missed one catches up when the app opens).
 */
import type { Channel, Post } from '../domain/entities.js';
import type { Decision } from '../domain/notify-rules.js';
import { invalid } from '../domain/errors.js';
import type { CallContext, ServiceDeps } from './context.js';
import type { NotifyContent, PushHook } from './notifications.js';

export const PUSH_MAX_ATTEMPTS = 3;
export const PUSH_MAX_PENDING = 1000;
const PUSH_BACKOFF_MS = 1000;

// The platform as the app sends it (`apple_rn`, `android_rn`, the current app's `apple_rn-v2`, `apple_rnbeta-v2`): passed to the proxy as is.
const DEVICE_ID = /^([a-z][a-z0-9_-]{0,31}):([\x21-\x7e]{1,1024})$/;

export interface PushOptions {
  readonly proxyUrl: string | undefined;
  readonly content: NotifyContent;
  /** The SSRF-safe outbound client's fetch (an internal proxy must be an allowed host). */
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>;
  /** Back-off base between tries (tests make it short). */
  readonly backoffMs?: number;
  /** Counts an outcome (rustchat_notifications_total, medium push). */
  readonly count?: (outcome: string) => void;
}

export interface PushMessage {
  readonly platform: string;
  readonly device_id: string;
  readonly server_id: string;
  readonly type: 'message';
  readonly version: 'v2';
  readonly category: 'CAN_REPLY';
  readonly sound: 'default';
  readonly badge: number;
  readonly post_id: string;
  readonly root_id: string;
  readonly channel_id: string;
  readonly channel_name: string;
  readonly team_id: string;
  readonly sender_id: string;
  readonly sender_name: string;
  readonly message: string;
  readonly is_id_loaded: boolean;
  readonly is_crt_enabled: boolean;
}

export class PushService implements PushHook {
  private inFlight = 0;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: ServiceDeps, private readonly options: PushOptions, private readonly serverId: string) {}

  get enabled(): boolean {
    return this.options.proxyUrl !== undefined;
  }

  /** Registers the phone of the caller's session (replacing the session's previous one). */
  async registerDevice(ctx: CallContext, deviceId: string): Promise<void> {
    if (!DEVICE_ID.test(deviceId)) throw invalid('device_id', 'device_id must be <platform>:<token>, e.g. apple_rn:…');
    await this.deps.store.write((tx) => tx.notifications.putDevice({ session_id: ctx.actor.sessionId, user_id: ctx.actor.userId, device_id: deviceId, created_at: this.deps.clock() }));
  }

  notify(post: Post, channel: Channel, senderName: string, userIds: readonly string[], _decisions: ReadonlyMap<string, Decision>): void {
    if (!this.enabled) return;
    const work = this.fanOut(post, channel, senderName, userIds).catch((err: unknown) => this.deps.logger.error({ err, post_id: post.id }, 'push notification failed'));
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  /** Resolves when every push started so far has been delivered, refused or given up. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private async fanOut(post: Post, channel: Channel, senderName: string, userIds: readonly string[]): Promise<void> {
    const now = this.deps.clock();
    const sends: Promise<void>[] = [];
    for (const userId of userIds) {
      for (const device of await this.deps.store.notifications.devicesFor(userId, now)) {
        const m = DEVICE_ID.exec(device.device_id);
        if (m === null) continue;
        if (this.inFlight >= PUSH_MAX_PENDING) {
          this.deps.logger.warn({ user_id: userId }, 'push notification dropped: too many waiting');
          this.options.count?.('dropped');
          continue;
        }
        this.inFlight++;
        sends.push(this.deliver(device.device_id, this.message(m[1]!, m[2]!, post, channel, senderName)).finally(() => this.inFlight--));
      }
    }
    await Promise.all(sends);
  }

  private message(platform: string, token: string, post: Post, channel: Channel, senderName: string): PushMessage {
    const content = this.options.content;
    const text = content === 'full' ? `${senderName}: ${post.message}`
      : content === 'generic' ? (channel.type === 'direct' || channel.type === 'group' ? `${senderName} sent you a message` : `${senderName} posted in ${channel.type === 'public' ? channel.display_name || channel.name : 'a private channel'}`)
        : '';
    return {
      platform, device_id: token, server_id: this.serverId, type: 'message', version: 'v2', category: 'CAN_REPLY', sound: 'default', badge: 1,
      post_id: post.id, root_id: post.root_post_id ?? '', channel_id: channel.id,
      channel_name: content === 'full' || channel.type === 'public' ? channel.display_name || channel.name : '',
      team_id: channel.team_id ?? '', sender_id: post.user_id, sender_name: content === 'id_only' ? '' : senderName,
      message: text, is_id_loaded: content === 'id_only', is_crt_enabled: true,
    };
  }

  private async deliver(deviceId: string, message: PushMessage): Promise<void> {
    const base = this.options.backoffMs ?? PUSH_BACKOFF_MS;
    for (let attempt = 0; attempt < PUSH_MAX_ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, base * 2 ** (attempt - 1)));
      let status: string | undefined;
      try {
        const res = await this.options.fetch(`${this.options.proxyUrl}/api/v1/send_push`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message),
        });
        const body = (await res.json().catch(() => ({}))) as { status?: unknown };
        status = res.ok && typeof body.status === 'string' ? body.status.toUpperCase() : undefined;
      } catch (err) {
        this.deps.logger.warn({ err: { message: (err as Error).message }, attempt: attempt + 1 }, 'push proxy unreachable');
        this.options.count?.('retry');
        continue;
      }
      if (status === 'OK') {
        this.options.count?.('sent');
        return;
      }
      if (status === 'REMOVE') {
        await this.deps.store.write((tx) => tx.notifications.removeDevice(deviceId));
        this.deps.logger.info({ platform: message.platform }, 'push device removed: the proxy says it is gone');
        this.options.count?.('removed');
        return;
      }
      this.deps.logger.warn({ attempt: attempt + 1, status }, 'push proxy refused a notification');
      this.options.count?.('retry');
    }
    this.deps.logger.error({ platform: message.platform, post_id: message.post_id }, 'push notification given up after retries');
    this.options.count?.('dropped');
  }
}
