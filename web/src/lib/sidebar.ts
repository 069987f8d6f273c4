/** The sidebar arrangement as pure operations (SidebarCategories.tsx applies them and saves the result). */
import type { SidebarCategory } from './types.js';

/** The built-in favourites category (src/domain/sidebar.ts). */
export const FAVORITES_ID = 'favorites';

/** `channelId` taken out of wherever it is and put in `target` at `index` (the end when undefined); null: back to the default groups. */
export function placeChannel(categories: readonly SidebarCategory[], channelId: string, target: string | null, index?: number): SidebarCategory[] {
  return categories.map((c) => {
    const rest = c.channel_ids.filter((id) => id !== channelId);
    if (c.id !== target) return rest.length === c.channel_ids.length ? c : { ...c, channel_ids: rest };
    const at = index === undefined ? rest.length : Math.max(0, Math.min(index, rest.length));
    return { ...c, channel_ids: [...rest.slice(0, at), channelId, ...rest.slice(at)] };
  });
}

/** Moves a channel one place up (-1) or down (+1) among `visible` (the ids shown in its category). */
export function nudgeChannel(categories: readonly SidebarCategory[], categoryId: string, channelId: string, delta: -1 | 1, visible: readonly string[]): SidebarCategory[] {
  const i = visible.indexOf(channelId);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= visible.length) return [...categories];
  const cat = categories.find((c) => c.id === categoryId);
  if (cat === undefined) return [...categories];
  const other = visible[j]!;
  const ids = [...cat.channel_ids];
  const a = ids.indexOf(channelId);
  const b = ids.indexOf(other);
  ids[a] = other;
  ids[b] = channelId;
  return categories.map((c) => (c.id === categoryId ? { ...c, channel_ids: ids } : c));
}

export function moveCategory(categories: readonly SidebarCategory[], categoryId: string, delta: -1 | 1): SidebarCategory[] {
  const i = categories.findIndex((c) => c.id === categoryId);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= categories.length) return [...categories];
  const next = [...categories];
  [next[i], next[j]] = [next[j]!, next[i]!];
  return next;
}
