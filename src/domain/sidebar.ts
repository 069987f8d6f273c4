/**
 * A user's sidebar arrangement: favourites and custom categories, each an ordered list of
 * channel ids, in display order. The favourites category (id `favorites`) is built in: always
 * present, first unless placed elsewhere, named by the client. A channel sits in at most one
 * category; channels in none are shown by the client under its default groups.
 */
import { invalid } from './errors.js';

export const FAVORITES_ID = 'favorites';
export const SIDEBAR_LIMITS = { categories: 50, channels: 500, nameLength: 64, idLength: 64 } as const;
const CATEGORY_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
// Control characters and bidi overrides make names that render differently from what they hold.
// eslint-disable-next-line no-control-regex
const UNSAFE_NAME_RE = /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/;

export interface SidebarCategory {
  id: string;
  name: string;
  channel_ids: string[];
  collapsed: boolean;
}

export interface SidebarView {
  categories: SidebarCategory[];
  /** 0 while the user has never arranged their sidebar. */
  updated_at: number;
}

/** Validates an arrangement as sent (422 with field `categories` otherwise) and returns it normalised. */
export function normalizeSidebar(input: readonly SidebarCategory[]): SidebarCategory[] {
  const bad = (message: string): never => {
    throw invalid('categories', message);
  };
  if (input.length > SIDEBAR_LIMITS.categories) bad(`At most ${SIDEBAR_LIMITS.categories} categories`);
  const ids = new Set<string>();
  const placed = new Set<string>();
  const out: SidebarCategory[] = [];
  for (const c of input) {
    if (!CATEGORY_ID_RE.test(c.id)) bad('A category id is 1–64 letters, digits, "_" or "-"');
    if (ids.has(c.id)) bad(`Category id ${c.id} appears twice`);
    ids.add(c.id);
    const name = c.id === FAVORITES_ID ? 'Favorites' : c.name.trim();
    if (name === '') bad('A category needs a name');
    if (Array.from(name).length > SIDEBAR_LIMITS.nameLength) bad(`A category name is at most ${SIDEBAR_LIMITS.nameLength} characters`);
    if (UNSAFE_NAME_RE.test(name)) bad('A category name may not contain control or direction-override characters');
    for (const id of c.channel_ids) {
      if (placed.has(id)) bad('A channel can be in one category only');
      placed.add(id);
    }
    out.push({ id: c.id, name, channel_ids: [...c.channel_ids], collapsed: c.collapsed });
  }
  if (placed.size > SIDEBAR_LIMITS.channels) bad(`At most ${SIDEBAR_LIMITS.channels} channels in categories`);
  return withFavorites(out);
}

/** The favourites category is always there (first when the user never placed it). */
export function withFavorites(categories: SidebarCategory[]): SidebarCategory[] {
  if (categories.some((c) => c.id === FAVORITES_ID)) return categories;
  return [{ id: FAVORITES_ID, name: 'Favorites', channel_ids: [], collapsed: false }, ...categories];
}
