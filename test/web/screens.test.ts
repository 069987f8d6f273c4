/** The pure parts of the everyday screens: sidebar arrangement moves, fuzzy matching, status expiries, and the events in the reducer. */
import { describe, expect, it } from 'vitest';
import { fuzzyScore } from '../../web/src/lib/fuzzy.js';
import { moveCategory, nudgeChannel, placeChannel } from '../../web/src/lib/sidebar.js';
import { expiryTime } from '../../web/src/lib/status.js';
import type { SidebarCategory, User } from '../../web/src/lib/types.js';
import { initialState, reduce } from '../../web/src/state/reducer.js';

const cats = (): SidebarCategory[] => [
  { id: 'favorites', name: 'Favorites', channel_ids: ['a', 'b', 'c'], collapsed: false },
  { id: 'work', name: 'Work', channel_ids: ['d'], collapsed: true },
];

describe('sidebar arrangement', () => {
  it('places a channel in one category only, at an index or at the end, or back in the default groups', () => {
    expect(placeChannel(cats(), 'd', 'favorites', 1).map((c) => c.channel_ids)).toEqual([['a', 'd', 'b', 'c'], []]);
    expect(placeChannel(cats(), 'a', 'work').map((c) => c.channel_ids)).toEqual([['b', 'c'], ['d', 'a']]);
    expect(placeChannel(cats(), 'c', 'favorites', 0).map((c) => c.channel_ids)).toEqual([['c', 'a', 'b'], ['d']]);
    expect(placeChannel(cats(), 'b', null).map((c) => c.channel_ids)).toEqual([['a', 'c'], ['d']]);
    expect(placeChannel(cats(), 'new', 'work', 99).map((c) => c.channel_ids)).toEqual([['a', 'b', 'c'], ['d', 'new']]);
  });

  it('nudges among the channels shown (hidden ones keep their place) and stops at the ends', () => {
    expect(nudgeChannel(cats(), 'favorites', 'a', 1, ['a', 'b', 'c'])[0]!.channel_ids).toEqual(['b', 'a', 'c']);
    // b hidden (another team's channel): a and c swap around it.
    expect(nudgeChannel(cats(), 'favorites', 'a', 1, ['a', 'c'])[0]!.channel_ids).toEqual(['c', 'b', 'a']);
    expect(nudgeChannel(cats(), 'favorites', 'a', -1, ['a', 'b', 'c'])[0]!.channel_ids).toEqual(['a', 'b', 'c']);
    expect(nudgeChannel(cats(), 'favorites', 'c', 1, ['a', 'b', 'c'])[0]!.channel_ids).toEqual(['a', 'b', 'c']);
  });

  it('moves categories up and down', () => {
    expect(moveCategory(cats(), 'work', -1).map((c) => c.id)).toEqual(['work', 'favorites']);
    expect(moveCategory(cats(), 'work', 1).map((c) => c.id)).toEqual(['favorites', 'work']);
  });
});

describe('quick switcher matching', () => {
  it('matches letters in order, case-insensitive, preferring prefixes and runs', () => {
    expect(fuzzyScore('twn', 'Town Square')).toBeDefined();
    expect(fuzzyScore('xyz', 'Town Square')).toBeUndefined();
    expect(fuzzyScore('nwt', 'Town Square')).toBeUndefined();
    expect(fuzzyScore('tow', 'Town Square')!).toBeGreaterThan(fuzzyScore('tow', 'Big town')!);
    expect(fuzzyScore('sq', 'Town Square')!).toBeGreaterThan(fuzzyScore('sq', 'Tosaquare')!);
    expect(fuzzyScore('', 'anything')).toBe(0);
  });
});

describe('status expiry choices', () => {
  it('ends after the chosen time, at the end of today or of the week, or never', () => {
    const now = new Date(2026, 2, 4, 10, 0, 0); // a Wednesday
    expect(expiryTime('never', now)).toBeNull();
    expect(expiryTime('30m', now)).toBe(now.getTime() + 30 * 60_000);
    expect(expiryTime('today', now)).toBe(new Date(2026, 2, 4, 23, 59, 59).getTime());
    expect(expiryTime('week', now)).toBe(new Date(2026, 2, 8, 23, 59, 59).getTime());
    const late = new Date(2026, 2, 4, 23, 59, 59, 500);
    expect(expiryTime('today', late)).toBeGreaterThan(late.getTime());
  });
});

describe('reducer: user_updated and sidebar_updated', () => {
  const me: User = {
    id: 'me', username: 'me', email: 'me@example.com', display_name: 'Me', first_name: '', last_name: '', nickname: '', position: '', avatar_url: null, is_bot: false,
    role: 'system_user', presence: 'online', status_text: '', status_emoji: '', status_expires_at: null, timezone: '', created_at: 0, is_active: true,
  };
  it('updates a person (me too, keeping my e-mail and known presence)', () => {
    let s = initialState(me);
    const { email: _email, ...withoutEmail } = me;
    s = reduce(s, { type: 'rt', now: 0, event: { event: 'user_updated', seq: 1, broadcast: {}, data: { user: { ...withoutEmail, presence: 'offline', status_text: 'Away', status_emoji: 'palm_tree', status_expires_at: 5 } } } });
    expect(s.me).toMatchObject({ email: 'me@example.com', status_text: 'Away', status_expires_at: 5, presence: 'online' });
    expect(s.users.me!.status_text).toBe('Away');
  });

  it('takes a newer arrangement and ignores an older one', () => {
    let s = initialState(me);
    const view = (updated_at: number, ids: string[]) => ({ categories: [{ id: 'favorites', name: 'Favorites', channel_ids: ids, collapsed: false }], updated_at });
    s = reduce(s, { type: 'rt', now: 0, event: { event: 'sidebar_updated', seq: 1, broadcast: {}, data: view(10, ['a']) } });
    expect(s.sidebar!.categories[0]!.channel_ids).toEqual(['a']);
    s = reduce(s, { type: 'sidebar', sidebar: view(5, ['old']) });
    expect(s.sidebar!.categories[0]!.channel_ids).toEqual(['a']);
    s = reduce(s, { type: 'sidebar', sidebar: view(10, ['b']) });
    expect(s.sidebar!.categories[0]!.channel_ids).toEqual(['b']);
  });
});
