/**
 * The one place where "may this caller see / do this to that channel or team" is answered.
 * A caller who may not see a thing gets the same 404 as for a thing that does not exist;
 * a caller who may see it but not do the action gets 403 (and an `access_denied` event).
 */
import { forbidden, notFound } from '../domain/errors.js';
import { channelCan, teamCan, type ChannelAction, type ChannelContext, type TeamAction, type TeamContext } from '../domain/policy.js';
import type { SecurityEvents } from '../security/events.js';
import type { Store } from '../store/store.js';
import type { CallContext } from './context.js';

export class Access {
  constructor(private readonly store: Store, private readonly security: SecurityEvents) {}

  private denied(ctx: CallContext, resource: string, action: string, id: string): never {
    this.security.emit('access_denied', { ip: ctx.ip, userId: ctx.actor.userId, requestId: ctx.requestId, resource, action, resource_id: id });
    throw forbidden();
  }

  /** System administrators only (403 and an `access_denied` event otherwise). */
  requireSystemAdmin(ctx: CallContext): void {
    if (ctx.actor.role !== 'system_admin') {
      this.security.emit('access_denied', { ip: ctx.ip, userId: ctx.actor.userId, requestId: ctx.requestId, reason: 'not_system_admin' });
      throw forbidden('System administrators only');
    }
  }

  /** Loads a channel the caller may read, then checks `action` (403 when not allowed). */
  async channel(ctx: CallContext, channelId: string, action: ChannelAction | ((row: ChannelContext) => ChannelAction) = 'read', store: Store = this.store): Promise<ChannelContext> {
    const row = await store.channels.getAccess(channelId, ctx.actor.userId);
    if (row === undefined || !channelCan(ctx.actor, 'read', row)) throw notFound('Channel');
    const act = typeof action === 'function' ? action(row) : action;
    if (act !== 'read' && !channelCan(ctx.actor, act, row)) this.denied(ctx, 'channel', act, channelId);
    return row;
  }

  /** Whether the caller may read the channel (no error, no event): for filtering lists. */
  async canReadChannel(ctx: Pick<CallContext, 'actor'>, channelId: string): Promise<boolean> {
    const row = await this.store.channels.getAccess(channelId, ctx.actor.userId);
    return row !== undefined && channelCan(ctx.actor, 'read', row);
  }

  /** Loads a team the caller may see, then checks `action`. */
  async team(ctx: CallContext, teamId: string, action: TeamAction | ((row: TeamContext) => TeamAction) = 'view', store: Store = this.store): Promise<TeamContext> {
    const row = await store.teams.getWithMember(teamId, ctx.actor.userId);
    if (row === undefined || !teamCan(ctx.actor, 'view', row)) throw notFound('Team');
    const act = typeof action === 'function' ? action(row) : action;
    if (act !== 'view' && !teamCan(ctx.actor, act, row)) this.denied(ctx, 'team', act, teamId);
    return row;
  }
}
