/**
 * Each user's sidebar arrangement (domain/sidebar.ts), kept on the server so that it follows
 * them to every device. Only channels the caller is a member of may be placed (CHANNEL_POLICY
 * `arrange`, decided by Access: an unknown or hidden channel is the usual 404, a visible one
 * the caller has not joined a 403); channels the caller has left since are dropped on read.
 * Every change is sent as `sidebar_updated` to the caller's own connections.
 */
import { normalizeSidebar, withFavorites, type SidebarCategory, type SidebarView } from '../domain/sidebar.js';
import type { Access } from './access.js';
import type { CallContext, ServiceDeps } from './context.js';

export class SidebarService {
  constructor(private readonly deps: ServiceDeps, private readonly access: Access) {}

  async get(ctx: CallContext): Promise<SidebarView> {
    const userId = ctx.actor.userId;
    const row = await this.deps.store.sidebars.get(userId);
    if (row === undefined) return { categories: withFavorites([]), updated_at: 0 };
    const mine = new Set(await this.deps.store.channels.channelIdsForUser(userId));
    const stored = JSON.parse(row.categories) as SidebarCategory[];
    const categories = stored.map((c) => ({ ...c, channel_ids: c.channel_ids.filter((id) => mine.has(id)) }));
    return { categories: withFavorites(categories), updated_at: row.updated_at };
  }

  async put(ctx: CallContext, input: readonly SidebarCategory[]): Promise<SidebarView> {
    const categories = normalizeSidebar(input);
    for (const id of new Set(categories.flatMap((c) => c.channel_ids))) await this.access.channel(ctx, id, 'arrange');
    const userId = ctx.actor.userId;
    const view: SidebarView = { categories, updated_at: this.deps.clock() };
    await this.deps.store.write(async (tx) => {
      await tx.sidebars.put(userId, JSON.stringify(categories), view.updated_at);
      tx.publish({ event: 'sidebar_updated', data: view, broadcast: { user_id: userId } });
    });
    return view;
  }
}
