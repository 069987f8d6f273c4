/** The client's reducer (REST answers and events through one path), routes and token storage. */
import { describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../web/src/lib/realtime.js';
import { t } from '../../web/src/i18n/index.js';
import { channelPath, parseRoute, safeRedirectTarget, ssoErrorMessage } from '../../web/src/lib/route.js';
import { SSO_LOGIN_ERRORS } from '../../src/domain/sso.js';
import { tokenStore } from '../../web/src/lib/session.js';
import type { Channel, FileInfo, Post, ThreadItem, User } from '../../web/src/lib/types.js';
import { applyReaction, channelLabel, followedThreads, initialState, reduce, teamUnreads, threadUnreads, typingIn, type Action, type ChatState } from '../../web/src/state/reducer.js';

const user = (id: string, username: string, display_name = ''): User => ({
  id, username, display_name, first_name: '', last_name: '', nickname: '', position: '', avatar_url: null, is_bot: false, role: 'system_user',
  presence: 'offline', status_text: '', status_emoji: '', status_expires_at: null, timezone: '', created_at: 0, is_active: true,
});
const channel = (id: string, type: Channel['type'] = 'public', team_id: string | null = 't1'): Channel => ({
  id, team_id, type, name: id, display_name: id.toUpperCase(), purpose: '', header: '', is_archived: false, creator_id: 'me', created_at: 0, updated_at: 0, last_post_at: 0, last_post_seq: 0,
});
const post = (id: string, seq: number, over: Partial<Post> = {}): Post => ({
  id, channel_id: 'c1', user_id: 'u2', root_post_id: null, message: `m${seq}`, props: {}, file_ids: [], is_pinned: false, created_at: seq * 1000, edited_at: null,
  reply_count: 0, last_reply_at: null, participants: [], reactions: [], files: [], preview: null, attachment_images: [], client_msg_id: null, seq, ...over,
});
const me = user('me', 'me', 'Me');
const rt = (event: ServerEvent, now = 0): Action => ({ type: 'rt', event, now });
const posted = (p: Post, mentions: string[] = [], channel_type = 'public'): ServerEvent => ({
  event: 'posted', seq: 1, broadcast: { channel_id: p.channel_id },
  data: { post: p, channel_type, channel_name: 'c1', channel_display_name: 'C1', team_id: 't1', sender_name: 'bob', mentions },
});

function base(): ChatState {
  let s = initialState(me);
  s = reduce(s, { type: 'channels', channels: [channel('c1'), channel('c2'), channel('d1', 'direct', null)] });
  s = reduce(s, { type: 'channel_page', channelId: 'c1', mode: 'latest', page: { messages: [post('p2', 2), post('p1', 1)], has_more: true, read_state: { last_read_seq: 1, first_unread_seq: 2 } } });
  return s;
}

describe('reducer', () => {
  it('keeps channel history oldest first and stores a post once, whichever copy arrives first', () => {
    let s = base();
    expect(s.channelPosts.c1!.order).toEqual(['p1', 'p2']);
    expect(s.channelPosts.c1!.firstUnreadSeq).toBe(2);
    const p3 = post('p3', 3, { user_id: 'me' });
    s = reduce(s, { type: 'post_upsert', post: p3 }); // the POST's answer
    s = reduce(s, rt(posted(p3))); // the event for the same post
    expect(s.channelPosts.c1!.order).toEqual(['p1', 'p2', 'p3']);
    s = reduce(s, { type: 'channel_page', channelId: 'c1', mode: 'older', page: { messages: [post('p0', 0)], has_more: false, read_state: null } });
    expect(s.channelPosts.c1!.order).toEqual(['p0', 'p1', 'p2', 'p3']);
    expect(s.channelPosts.c1!.hasMore).toBe(false);
  });

  it('counts unread and mentions for posts by others in channels not on screen, once per post', () => {
    let s = base();
    s = reduce(s, { type: 'viewing', channelId: 'c1' });
    s = reduce(s, rt(posted(post('a', 10, { channel_id: 'c1' }))));
    expect(s.unreads.c1).toBeUndefined(); // on screen: read
    s = reduce(s, rt(posted(post('b', 11, { channel_id: 'c2' }))));
    s = reduce(s, rt(posted(post('c', 12, { channel_id: 'c2' }), ['me'])));
    s = reduce(s, rt(posted(post('c', 12, { channel_id: 'c2' }), ['me']))); // duplicate
    s = reduce(s, rt(posted(post('d', 13, { channel_id: 'c2', user_id: 'me' })))); // mine
    expect(s.unreads.c2).toEqual({ unread: 2, mentions: 1 });
    // Every direct message counts as a mention.
    s = reduce(s, rt(posted(post('e', 14, { channel_id: 'd1' }), [], 'direct')));
    expect(s.unreads.d1).toEqual({ unread: 1, mentions: 1 });
    // A hidden page does not read what arrives in the open channel.
    s = reduce(s, { type: 'viewing', visible: false });
    s = reduce(s, rt(posted(post('f', 15, { channel_id: 'c1' }))));
    expect(s.unreads.c1).toEqual({ unread: 1, mentions: 0 });
    // Read elsewhere (another tab): cleared.
    s = reduce(s, rt({ event: 'channel_viewed', seq: 9, broadcast: {}, data: { channel_id: 'c2', last_viewed_seq: 13 } }));
    expect(s.unreads.c2).toEqual({ unread: 0, mentions: 0 });
    expect(teamUnreads(s, 't1')).toEqual({ unread: 1, mentions: 0 });
  });

  it('applies the unread overview, but not to the channel on screen', () => {
    let s = reduce(base(), { type: 'viewing', channelId: 'c1' });
    s = reduce(s, { type: 'unreads', overview: { total_unread: 5, total_mentions: 2, channels: [
      { channel_id: 'c1', team_id: 't1', last_viewed_seq: 0, last_post_seq: 3, unread_count: 3, mention_count: 1 },
      { channel_id: 'c2', team_id: 't1', last_viewed_seq: 0, last_post_seq: 2, unread_count: 2, mention_count: 1 },
    ] } });
    expect(s.unreads).toEqual({ c1: { unread: 0, mentions: 0 }, c2: { unread: 2, mentions: 1 } });
  });

  it('edits, reactions and deletions from events change the stored posts', () => {
    let s = base();
    s = reduce(s, rt({ event: 'post_edited', seq: 1, broadcast: {}, data: { post: post('p1', 1, { message: 'edited', edited_at: 5 }) } }));
    expect(s.posts.p1!.message).toBe('edited');
    const reaction = (user_id: string, add: boolean): ServerEvent => ({
      event: add ? 'reaction_added' : 'reaction_removed', seq: 1, broadcast: {}, data: { reaction: { post_id: 'p1', user_id, emoji_name: 'tada', created_at: 1 } },
    });
    s = reduce(s, rt(reaction('u2', true)));
    s = reduce(s, rt(reaction('me', true)));
    s = reduce(s, rt(reaction('me', true))); // repeated: no double count
    expect(s.posts.p1!.reactions).toEqual([{ emoji: 'tada', count: 2, users: ['u2', 'me'] }]);
    s = reduce(s, rt(reaction('u2', false)));
    s = reduce(s, rt(reaction('me', false)));
    expect(s.posts.p1!.reactions).toEqual([]);
    s = reduce(s, rt({ event: 'post_deleted', seq: 1, broadcast: {}, data: { post: post('p1', 1) } }));
    expect(s.posts.p1).toBeUndefined();
    expect(s.channelPosts.c1!.order).toEqual(['p2']);
  });

  it('file_deleted takes the file out of its post, and leaves everything else as it was', () => {
    const file = (id: string): FileInfo => ({
      id, name: `${id}.png`, extension: 'png', mime_type: 'image/png', size: 10, width: 2, height: 2, has_preview: true, user_id: 'u2', channel_id: 'c1', post_id: 'p1', created_at: 1,
    });
    let s = reduce(base(), { type: 'post_upsert', post: post('p1', 1, { file_ids: ['f1', 'f2'], files: [file('f1'), file('f2')] }) });
    const deleted = (file_id: string, post_id: string | null): ServerEvent => ({ event: 'file_deleted', seq: 1, broadcast: { channel_id: 'c1' }, data: { file_id, post_id, channel_id: 'c1' } });
    s = reduce(s, rt(deleted('f1', 'p1')));
    expect(s.posts.p1!.files.map((f) => f.id)).toEqual(['f2']);
    expect(s.posts.p1!.file_ids).toEqual(['f2']);
    // An unattached upload, a post the client does not hold, a file already gone: nothing changes.
    for (const ev of [deleted('f9', null), deleted('f2', 'p-unknown'), deleted('f1', 'p1')]) expect(reduce(s, rt(ev))).toBe(s);
  });

  it('threads: replies join the loaded thread, bump the root reply count once, and go with a deleted root', () => {
    let s = base();
    s = reduce(s, { type: 'thread', rootId: 'p1', page: { order: ['p1'], posts: { p1: post('p1', 1) }, next_cursor: null } });
    const r1 = post('r1', 5, { root_post_id: 'p1', user_id: 'me' });
    s = reduce(s, { type: 'post_upsert', post: r1 });
    s = reduce(s, rt(posted(r1)));
    expect(s.threads.p1).toEqual(['r1']);
    expect(s.posts.p1!.reply_count).toBe(1);
    s = reduce(s, { type: 'post_removed', postId: 'p1' });
    expect(s.posts.r1).toBeUndefined();
    expect(s.threads.p1).toBeUndefined();
    expect(s.channelPosts.c1!.order).toEqual(['p2']);
  });

  it('collapsed threads: a reply stays out of the history and the channel\'s unread count, and moves its root\'s counters', () => {
    let s = base();
    const reply = post('r9', 9, { root_post_id: 'p2', user_id: 'u3', channel_id: 'c1' });
    s = reduce(s, rt(posted(reply, ['me'])));
    expect(s.channelPosts.c1!.order).toEqual(['p1', 'p2']);
    expect(s.unreads.c1).toBeUndefined();
    expect(s.posts.p2).toMatchObject({ reply_count: 1, last_reply_at: 9000, participants: ['u3'] });
    // Shown inline: as before.
    s = reduce({ ...s, collapsedThreads: false }, rt(posted(post('r10', 10, { root_post_id: 'p2', channel_id: 'c1' }))));
    expect(s.channelPosts.c1!.order).toEqual(['p1', 'p2', 'r10']);
    expect(s.unreads.c1).toEqual({ unread: 1, mentions: 0 });
    expect(s.posts.p2!.participants).toEqual(['u2', 'u3']);
  });

  it('followed threads: the list, thread_updated, read and follow changes; unread totals per team', () => {
    const item = (id: string, over: Partial<ThreadItem> = {}): ThreadItem => ({
      id, channel_id: 'c1', post: post(id, 1), reply_count: 1, last_reply_at: 5, participants: ['u2'], following: true, last_viewed_at: 0, unread_replies: 1, unread_mentions: 0, ...over,
    });
    let s = base();
    expect(threadUnreads(s, 't1')).toEqual({ unread: 0, mentions: 0 });
    s = reduce(s, { type: 'followed_threads', list: { threads: [item('p1'), item('x1', { channel_id: 'd1', last_reply_at: 9, unread_mentions: 2 })], has_more: false, next_before: null, total: 2, total_unread_threads: 2, total_unread_mentions: 2 } });
    expect(followedThreads(s, 't1').map((t) => t.id)).toEqual(['x1', 'p1']);
    expect(threadUnreads(s, 't1')).toEqual({ unread: 2, mentions: 2 });
    // A reply elsewhere: the thread's counts and its root's counters move.
    s = reduce(s, rt({ event: 'thread_updated', seq: 2, broadcast: { user_id: 'me' }, data: { thread: item('p1', { reply_count: 2, last_reply_at: 20, participants: ['u3', 'u2'], unread_replies: 2 }) } }));
    expect(s.posts.p1).toMatchObject({ reply_count: 2, last_reply_at: 20, participants: ['u3', 'u2'] });
    expect(followedThreads(s, 't1').map((t) => t.id)).toEqual(['p1', 'x1']);
    // Read on another device.
    s = reduce(s, rt({ event: 'thread_read_changed', seq: 3, broadcast: { user_id: 'me' }, data: { thread_id: 'p1', channel_id: 'c1', last_viewed_at: 30, unread_replies: 0, unread_mentions: 0 } }));
    expect(threadUnreads(s, 't1')).toEqual({ unread: 1, mentions: 2 });
    s = reduce(s, rt({ event: 'thread_follow_changed', seq: 4, broadcast: { user_id: 'me' }, data: { thread_id: 'x1', channel_id: 'd1', following: false } }));
    expect(followedThreads(s, 't1').map((t) => t.id)).toEqual(['p1']);
    expect(threadUnreads(s, 't1')).toEqual({ unread: 0, mentions: 0 });
    s = reduce(s, rt({ event: 'post_deleted', seq: 5, broadcast: { channel_id: 'c1' }, data: { post: post('p1', 1) } }));
    expect(followedThreads(s, 't1')).toEqual([]);
  });

  it('keeps a post older than the loaded window out of the history (e.g. pinning an old post)', () => {
    let s = base(); // p1..p2 loaded, has_more
    s = reduce(s, { type: 'post_upsert', post: post('old', 0, { is_pinned: true }) });
    expect(s.channelPosts.c1!.order).toEqual(['p1', 'p2']);
    expect(s.posts.old!.is_pinned).toBe(true);
  });

  it('typing indicators: per channel and thread, cleared by a post or stop_typing, expire after 6 s', () => {
    let s = base();
    const typing = (user_id: string, parent_id: string | null, stop = false): ServerEvent => ({
      event: stop ? 'stop_typing' : 'typing', seq: 1, broadcast: {}, data: { user_id, channel_id: 'c1', parent_id },
    });
    s = reduce(s, rt(typing('u2', null), 1000));
    s = reduce(s, rt(typing('u3', 'p1'), 1000));
    s = reduce(s, rt(typing('me', null), 1000)); // my own echo is ignored
    expect(typingIn(s, 'c1', null, 2000)).toEqual(['u2']);
    expect(typingIn(s, 'c1', 'p1', 2000)).toEqual(['u3']);
    expect(typingIn(s, 'c1', null, 8000)).toEqual([]);
    s = reduce(s, rt(posted(post('x', 9, { user_id: 'u2' }))));
    expect(typingIn(s, 'c1', null, 2000)).toEqual([]);
    s = reduce(s, rt(typing('u3', 'p1', true)));
    expect(typingIn(s, 'c1', 'p1', 2000)).toEqual([]);
    s = reduce(s, rt(typing('u4', null), 1000));
    s = reduce(s, { type: 'typing_expire', now: 9000 });
    expect(s.typing).toEqual({});
  });

  it('membership events: being removed drops the channel, others join and leave member lists', () => {
    let s = reduce(base(), { type: 'members', channelId: 'c2', userIds: ['me', 'u2'] });
    s = reduce(s, rt({ event: 'user_added', seq: 1, broadcast: {}, data: { user_id: 'u3', channel_id: 'c2', team_id: 't1', added_by: 'me' } }));
    s = reduce(s, rt({ event: 'user_removed', seq: 1, broadcast: {}, data: { user_id: 'u2', channel_id: 'c2', removed_by: 'u2' } }));
    expect(s.members.c2).toEqual(['me', 'u3']);
    s = reduce(s, rt({ event: 'user_removed', seq: 1, broadcast: {}, data: { user_id: 'me', channel_id: 'c1', removed_by: 'u9' } }));
    expect(s.channels.c1).toBeUndefined();
    expect(s.channelPosts.c1).toBeUndefined();
    s = reduce(s, rt({ event: 'channel_deleted', seq: 1, broadcast: {}, data: { channel_id: 'c2', team_id: 't1', archived_at: 1 } }));
    expect(s.channels.c2!.is_archived).toBe(true);
    s = reduce(s, rt({ event: 'status_change', seq: 1, broadcast: {}, data: { user_id: 'u2', status: 'away' } }));
    expect(s.presence.u2).toBe('away');
  });

  it('names direct messages after the other person', () => {
    let s = reduce(base(), { type: 'users', users: [user('u2', 'bob', 'Bob Builder')] });
    expect(channelLabel(s, s.channels.d1!)).toBe('Direct message');
    s = reduce(s, { type: 'members', channelId: 'd1', userIds: ['me', 'u2'] });
    expect(channelLabel(s, s.channels.d1!)).toBe('Bob Builder');
    expect(channelLabel(s, s.channels.c1!)).toBe('C1');
  });

  it('applyReaction adds, removes and never goes below zero', () => {
    expect(applyReaction([], 'x', 'a', false)).toEqual([]);
    expect(applyReaction([{ emoji: 'x', count: 1, users: ['a'] }], 'x', 'b', false)).toEqual([{ emoji: 'x', count: 1, users: ['a'] }]);
  });
});

describe('routes', () => {
  it('parses the sign-in landing and channel URLs', () => {
    expect(parseRoute('/login', '?code=abc')).toEqual({ kind: 'login', code: 'abc' });
    // error_description is free text anyone can put in a link: not even read.
    expect(parseRoute('/login', '?error=idp_access_denied&error_description=nope')).toEqual({ kind: 'login', error: 'idp_access_denied' });
    expect(parseRoute('/web-team/channels/town-square', '')).toEqual({ kind: 'app', team: 'web-team', channel: 'town-square' });
    expect(parseRoute('/web-team/threads', '')).toEqual({ kind: 'app', team: 'web-team', threads: true });
    expect(parseRoute('/web-team', '')).toEqual({ kind: 'app', team: 'web-team' });
    expect(parseRoute('/', '')).toEqual({ kind: 'app' });
    expect(parseRoute('/%E0%A4%A/channels/x', '')).toEqual({ kind: 'app', team: '%E0%A4%A', channel: 'x' });
    expect(channelPath('a b', 'c/d')).toBe('/a%20b/channels/c%2Fd');
  });

  it('explains SSO error codes in its own words and never shows text from the link', () => {
    const SSO_ERROR_GENERIC_TEXT = t('sso.generic');
    expect(ssoErrorMessage('idp_access_denied')).toBe('Sign-in was cancelled or refused at the identity provider.');
    // Every code the server sends has its own sentence.
    for (const code of SSO_LOGIN_ERRORS) expect(ssoErrorMessage(code), code).not.toBe(SSO_ERROR_GENERIC_TEXT);
    expect(new Set(SSO_LOGIN_ERRORS.map(ssoErrorMessage)).size).toBeGreaterThan(SSO_LOGIN_ERRORS.length - 3);
    // Unknown codes, sentences, markup and prototype keys all get the generic sentence.
    const crafted = ['weird', 'Your account is locked: call +1 555 0100', '<img src=x onerror=alert(1)>', 'toString', '__proto__', 'constructor', ''];
    for (const error of crafted) expect(ssoErrorMessage(error), error).toBe(SSO_ERROR_GENERIC_TEXT);
  });

  it('follows redirect_to after an SSO sign-in only to a path on this origin', () => {
    const origin = 'https://chat.example.com';
    expect(safeRedirectTarget('/web-team/channels/town-square?tab=files#p1', origin)).toBe('/web-team/channels/town-square?tab=files#p1');
    expect(safeRedirectTarget('/', origin)).toBe('/');
    for (const bad of [undefined, 42, '', 'web-team', '//evil.example', '/\\evil.example', '\\\\evil.example', 'https://evil.example/x', 'https:evil.example', 'javascript:alert(1)', '/\t/evil.example', '/\n/evil.example', '/login', '/login?code=x']) {
      expect(safeRedirectTarget(bad, origin), String(bad)).toBe('/');
    }
  });
});

describe('token storage', () => {
  it('keeps the token in memory and sessionStorage, and forgets it on clear', () => {
    const map = new Map<string, string>();
    const storage = { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v), removeItem: (k: string) => void map.delete(k) };
    const a = tokenStore(storage);
    expect(a.get()).toBeUndefined();
    a.set('tok');
    expect(tokenStore(storage).get()).toBe('tok'); // a reload of the tab
    a.clear();
    expect(a.get()).toBeUndefined();
    expect(map.size).toBe(0);
  });

  it('works in memory when storage throws (disabled by the browser)', () => {
    const broken = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('denied'); }, removeItem: () => { throw new Error('denied'); } };
    const s = tokenStore(broken);
    s.set('tok');
    expect(s.get()).toBe('tok');
    s.clear();
    expect(s.get()).toBeUndefined();
  });
});
