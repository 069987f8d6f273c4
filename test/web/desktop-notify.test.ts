/**
 * Desktop notification decisions of the web client (web/src/lib/desktop-notify.ts) and the
 * counts that muting changes (reducer selectors): pure functions, no browser.
 */
import { describe, expect, it } from 'vitest';
import { BODY_MAX, dndEndTime, dndExpired, notificationBody, permalinkTeam, shouldPlaySound, shouldShow, type DesktopPermission } from '../../web/src/lib/desktop-notify.js';
import type { Channel, Team, User } from '../../web/src/lib/types.js';
import { initialState, isMuted, reduce, teamUnreads, titleCount } from '../../web/src/state/reducer.js';

describe('when a tab shows a desktop notification', () => {
  const table: [string, { channelId: string | undefined; focused: boolean }, DesktopPermission, boolean][] = [
    ['focused, looking at that channel', { channelId: 'c1', focused: true }, 'granted', false],
    ['focused, another channel', { channelId: 'c2', focused: true }, 'granted', true],
    ['focused, no channel open', { channelId: undefined, focused: true }, 'granted', true],
    ['in the background, that channel', { channelId: 'c1', focused: false }, 'granted', true],
    ['in the background, another channel', { channelId: 'c2', focused: false }, 'granted', true],
    ['not asked yet', { channelId: 'c2', focused: false }, 'default', false],
    ['refused', { channelId: 'c2', focused: false }, 'denied', false],
    ['no Notification API', { channelId: 'c2', focused: false }, 'unsupported', false],
  ];
  it.each(table)('%s', (_name, viewing, permission, expected) => {
    expect(shouldShow({ channel_id: 'c1' }, viewing, permission)).toBe(expected);
  });

  it('plays a sound only when the person wants one and this browser has not turned it off', () => {
    expect(shouldPlaySound({ sound: true }, true)).toBe(true);
    expect(shouldPlaySound({ sound: true }, false)).toBe(false);
    expect(shouldPlaySound({ sound: false }, true)).toBe(false);
  });
});

describe('notification text', () => {
  it('strips common Markdown, folds whitespace, cuts long text, falls back when empty', () => {
    expect(notificationBody('**Hi** _there_\n\n`code` [link](https://x.example)', 'New')).toBe('Hi there code link');
    expect(notificationBody(undefined, 'New')).toBe('New');
    expect(notificationBody('  ***  ', 'New')).toBe('New');
    const long = notificationBody('é'.repeat(500), 'New');
    expect(Array.from(long).length).toBe(BODY_MAX);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('do not disturb end times', () => {
  const now = new Date(2026, 11, 3, 22, 30, 0);
  it('30 minutes, an hour, tomorrow 9:00 local, or until changed', () => {
    expect(dndEndTime('dnd:30m', now)).toBe(now.getTime() + 30 * 60_000);
    expect(dndEndTime('dnd:1h', now)).toBe(now.getTime() + 3600_000);
    expect(dndEndTime('dnd:tomorrow', now)).toBe(new Date(2026, 11, 4, 9, 0, 0).getTime());
    expect(dndEndTime('dnd', now)).toBeNull();
  });
  it('is over only in dnd with an end time that has passed', () => {
    expect(dndExpired('dnd', 1000, 1000)).toBe(true);
    expect(dndExpired('dnd', 1001, 1000)).toBe(false);
    expect(dndExpired('dnd', null, 1000)).toBe(false);
    expect(dndExpired('online', 10, 1000)).toBe(false);
  });
});

describe('muted channels in the counts', () => {
  const me: User = {
    id: 'me', username: 'me', display_name: '', first_name: '', last_name: '', nickname: '', position: '', avatar_url: null, is_bot: false, role: 'system_user',
    presence: 'online', status_text: '', status_emoji: '', status_expires_at: null, timezone: '', created_at: 0, is_active: true,
  };
  const channel = (id: string): Channel => ({
    id, team_id: 't1', type: 'public', name: id, display_name: id, purpose: '', header: '', is_archived: false, creator_id: 'me', created_at: 0, updated_at: 0, last_post_at: 0, last_post_seq: 0,
  });
  it('a muted channel\'s unread messages leave the team\'s count; its mentions stay, in the team and in the tab title', () => {
    let s = reduce(initialState(me), { type: 'channels', channels: [channel('c1'), channel('c2')] });
    s = reduce(s, { type: 'unread_set', channelId: 'c1', unread: 3, mentions: 1 });
    s = reduce(s, { type: 'unread_set', channelId: 'c2', unread: 4, mentions: 0 });
    expect(teamUnreads(s, 't1')).toEqual({ unread: 7, mentions: 1 });
    s = reduce(s, { type: 'channel_props', channelId: 'c1', props: { desktop: 'default', email: 'default', push: 'default', mark_unread: 'mention', ignore_channel_mentions: 'default' } });
    expect(isMuted(s, 'c1')).toBe(true);
    expect(isMuted(s, 'c2')).toBe(false);
    expect(teamUnreads(s, 't1')).toEqual({ unread: 4, mentions: 1 });
    expect(titleCount(s)).toBe(1);
  });

  it('a change made on another device (channel_notify_props_changed) mutes or unmutes here', () => {
    const props = { desktop: 'default', email: 'default', push: 'default', mark_unread: 'mention', ignore_channel_mentions: 'default' } as const;
    let s = reduce(initialState(me), { type: 'channels', channels: [channel('c1')] });
    s = reduce(s, { type: 'rt', now: 0, event: { event: 'channel_notify_props_changed', seq: 1, broadcast: { user_id: 'me' }, data: { channel_id: 'c1', props } } });
    expect(isMuted(s, 'c1')).toBe(true);
    s = reduce(s, { type: 'rt', now: 0, event: { event: 'channel_notify_props_changed', seq: 2, broadcast: { user_id: 'me' }, data: { channel_id: 'c1', props: { ...props, mark_unread: 'all' } } } });
    expect(isMuted(s, 'c1')).toBe(false);
  });
});

describe('the team a notification\'s permalink opens under', () => {
  const team = (id: string, name: string): Team => ({ id, name, display_name: name, description: '', type: 'open', creator_id: 'me', created_at: 0, updated_at: 0, is_archived: false });
  const teams = [team('t1', 'alpha'), team('t2', 'beta')];
  it('the post\'s team, else the one on screen (direct messages), else the first', () => {
    expect(permalinkTeam(teams, 't2', '/alpha/channels/x')?.name).toBe('beta');
    expect(permalinkTeam(teams, null, '/beta/channels/x')?.name).toBe('beta');
    expect(permalinkTeam(teams, null, '/login')?.name).toBe('alpha');
    expect(permalinkTeam([], null, '/')).toBeUndefined();
  });
});
