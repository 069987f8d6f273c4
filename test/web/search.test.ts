/**
 * Search in the client as pure logic: excerpts cut into marked pieces (checked against the
 * server's own excerpts), the result count, the search box's suggestions, permalink routes,
 * and the reducer's window around a permalink's message.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { excerpt, matchRanges, parseSearchQuery } from '../../src/domain/search.js';
import type { PostResults } from '../../src/services/search.js';
import { parseRoute } from '../../web/src/lib/route.js';
import {
  applySuggestion, channelSuggestions, dateSuggestions, highlightPieces, mentionsQuery, operatorHints, peopleSuggestions, permalinkPath, plainExcerpt,
  resultCountLabel, suggestContext, wordAt, type SearchPostsPage,
} from '../../web/src/lib/search.js';
import type { Channel, Post, PostPage, User } from '../../web/src/lib/types.js';
import { initialState, reduce } from '../../web/src/state/reducer.js';

const user = (id: string, username: string, display_name = '', is_active = true): User => ({
  id, username, display_name, first_name: '', last_name: '', nickname: '', position: '', avatar_url: null, is_bot: false, role: 'system_user',
  presence: 'offline', status_text: '', status_emoji: '', status_expires_at: null, timezone: '', created_at: 0, is_active,
});
const channel = (id: string, name: string, over: Partial<Channel> = {}): Channel => ({
  id, team_id: 't1', type: 'public', name, display_name: name.toUpperCase(), purpose: '', header: '', is_archived: false, creator_id: 'me', created_at: 0, updated_at: 0,
  last_post_at: 0, last_post_seq: 0, ...over,
});
const post = (id: string, seq: number, over: Partial<Post> = {}): Post => ({
  id, channel_id: 'c1', user_id: 'u2', root_post_id: null, message: `m${seq}`, props: {}, file_ids: [], is_pinned: false, created_at: seq * 1000, edited_at: null,
  reply_count: 0, last_reply_at: null, participants: [], reactions: [], files: [], preview: null, attachment_images: [], client_msg_id: null, seq, ...over,
});
/** The marked parts of pieces, in order. */
const marked = (text: string, ranges: Array<[number, number]>) => highlightPieces(text, ranges).filter((p) => p.mark).map((p) => p.text);

describe('highlightPieces', () => {
  it('cuts the text at the ranges: plain, marked, plain; the pieces put back together are the text', () => {
    const text = 'the deploy failed again';
    const pieces = highlightPieces(text, [[4, 10], [11, 17]]);
    expect(pieces).toEqual([
      { text: 'the ', mark: false },
      { text: 'deploy', mark: true },
      { text: ' ', mark: false },
      { text: 'failed', mark: true },
      { text: ' again', mark: false },
    ]);
    expect(pieces.map((p) => p.text).join('')).toBe(text);
  });

  it('sorts and merges overlapping and touching ranges; a range at either end leaves no empty piece', () => {
    expect(highlightPieces('abcdef', [[3, 5], [0, 2], [1, 3]])).toEqual([{ text: 'abcde', mark: true }, { text: 'f', mark: false }]);
    expect(highlightPieces('abc', [[0, 3]])).toEqual([{ text: 'abc', mark: true }]);
    expect(highlightPieces('abc', [])).toEqual([{ text: 'abc', mark: false }]);
    expect(highlightPieces('', [[0, 1]])).toEqual([]);
  });

  it('drops ranges that cannot be right (reversed, empty, not integers, outside the text) and clamps the rest', () => {
    const text = 'hello world';
    expect(marked(text, [[5, 2], [3, 3], [1.5, 4], [Number.NaN, 2], [20, 30]])).toEqual([]);
    expect(marked(text, [[-4, 2], [9, 99]])).toEqual(['he', 'ld']);
  });

  it('never splits a surrogate pair: an edge inside one moves outwards', () => {
    const text = 'ok 😀 fine';
    // 😀 is two UTF-16 units at 3..5; ranges ending or starting between them take the whole character.
    expect(marked(text, [[0, 4]])).toEqual(['ok 😀']);
    expect(marked(text, [[4, 6]])).toEqual(['😀 ']);
    for (const piece of highlightPieces(text, [[4, 5]])) expect(piece.text).toBe(piece.text.toWellFormed());
  });

  it('marks exactly the words the server matched, in the server’s own excerpts (stems, phrases, prefixes, tags, accents)', () => {
    const cases: Array<[string, string, string[]]> = [
      ['We were deploying to staging when the deploy failed', 'deploy', ['deploying', 'deploy']],
      ['Le café est fermé, CAFÉ ouvert demain', 'cafe', ['café', 'CAFÉ']],
      ['set deploy_prod=true then deploy prod', 'deploy_prod', ['deploy_prod', 'deploy prod']],
      ['release notes for #release-1.2 are out', '#release-1.2', ['#release-1.2']],
      ['depl and deplete and deployment', 'depl*', ['depl', 'deplete', 'deployment']],
      ['🎉 party 🎉 at noon, party on', '"party on"', ['party on']],
    ];
    for (const [message, q, words] of cases) {
      const parsed = parseSearchQuery(q);
      const ex = excerpt(message, matchRanges(message, parsed));
      expect(marked(ex.text, ex.highlights), q).toEqual(words);
    }
  });

  it('keeps marks right in a window cut out of a long message', () => {
    const message = `${'lorem ipsum '.repeat(40)}the needle is here ${'dolor sit '.repeat(40)}`;
    const ex = excerpt(message, matchRanges(message, parseSearchQuery('needle')));
    expect([ex.truncated_start, ex.truncated_end]).toEqual([true, true]);
    expect(marked(ex.text, ex.highlights)).toEqual(['needle']);
  });
});

describe('plainExcerpt and counts', () => {
  it('a short message is its own excerpt; a long one is cut at a space near the width', () => {
    expect(plainExcerpt('short')).toEqual({ text: 'short', highlights: [], truncated_start: false, truncated_end: false });
    const long = plainExcerpt('word '.repeat(100), 42);
    expect(long.truncated_end).toBe(true);
    expect(long.text.length).toBeLessThanOrEqual(42);
    expect(long.text.endsWith('word')).toBe(true);
    expect(plainExcerpt('x'.repeat(9) + '😀', 10).text).toBe('x'.repeat(9));
  });

  it('says how many results there are, and that the count stopped at the cap', () => {
    expect(resultCountLabel(0, false)).toBe('No results');
    expect(resultCountLabel(1, false)).toBe('1 result');
    expect(resultCountLabel(1234, false)).toBe('1,234 results');
    expect(resultCountLabel(10_000, true)).toBe('10,000+ results');
  });

  it('recent mentions search the username as the server reads @name: the word itself', () => {
    const q = mentionsQuery('alice');
    const parsed = parseSearchQuery(q);
    expect(parsed.clauses).toEqual([{ column: 'stems', atom: { tokens: ['alic'], prefix: false }, negated: false }]);
    const message = 'hey @alice, look';
    expect(marked(message, matchRanges(message, parsed))).toEqual(['alice']);
  });

  it('the client’s result type is the server’s', () => {
    expectTypeOf<SearchPostsPage>().toEqualTypeOf<PostResults>();
  });
});

describe('search box suggestions', () => {
  it('finds the word at the caret, from the previous space to the next', () => {
    expect(wordAt('deploy from:al staging', 14)).toEqual({ start: 7, end: 14, typed: 'from:al' });
    expect(wordAt('deploy from:alice staging', 12)).toEqual({ start: 7, end: 17, typed: 'from:' });
    expect(wordAt('deploy ', 7)).toEqual({ start: 7, end: 7, typed: '' });
    expect(wordAt('', 0)).toEqual({ start: 0, end: 0, typed: '' });
  });

  it('tells what the word calls for: people after from: and in:@, channels after in:, days after dates, operator hints otherwise', () => {
    expect(suggestContext('from:', 5)).toEqual({ kind: 'from', query: '' });
    expect(suggestContext('x FROM:@Bo', 10)).toEqual({ kind: 'from', query: 'Bo' });
    expect(suggestContext('in:~gen', 7)).toEqual({ kind: 'in', query: 'gen', people: false });
    expect(suggestContext('in:@bo', 6)).toEqual({ kind: 'in', query: 'bo', people: true });
    expect(suggestContext('on:2026-0', 9)).toEqual({ kind: 'date', operator: 'on', query: '2026-0' });
    expect(suggestContext('deploy ', 7)).toEqual({ kind: 'operators', prefix: '' });
    expect(suggestContext('is:', 3)).toEqual({ kind: 'operators', prefix: 'is:' });
    // Inside a quoted phrase nothing is an operator.
    expect(suggestContext('"from:', 6)).toEqual({ kind: 'none' });
    expect(suggestContext('"a b" from:', 11)).toEqual({ kind: 'from', query: '' });
  });

  it('offers every operator for an empty word, those it could start otherwise, and none for a plain word', () => {
    expect(operatorHints('').map((h) => h.label)).toEqual(['from:', 'in:', 'before:', 'after:', 'on:', 'is:pinned', 'has:file', 'has:image', '#tag']);
    expect(operatorHints('i').map((h) => h.label)).toEqual(['in:', 'is:pinned']);
    expect(operatorHints('HAS:').map((h) => h.label)).toEqual(['has:file', 'has:image']);
    expect(operatorHints('#').map((h) => h.insert)).toEqual(['#']);
    expect(operatorHints('deploy')).toEqual([]);
    expect(operatorHints('is:pinned')).toEqual([]);
    // Each hint is something the server's parser accepts once completed.
    for (const h of operatorHints('')) {
      const completed = h.insert.endsWith(':') ? `${h.insert}${h.insert === 'from:' || h.insert === 'in:' ? 'alice' : '2026-01-02'}` : h.insert === '#' ? '#tag' : h.insert;
      expect(() => parseSearchQuery(completed), completed).not.toThrow();
    }
  });

  it('completes people: usernames starting with the query first, deactivated people left out, each once', () => {
    const users = [user('1', 'malice', 'Mal'), user('2', 'alice', 'Alice Liddell'), user('3', 'alfred', 'Al'), user('4', 'alina', '', false), user('2', 'alice', 'Alice Liddell')];
    const label = (u: User) => u.display_name || u.username;
    expect(peopleSuggestions('from', users, 'ali', label)).toEqual([
      { key: 'user-2', label: '@alice', detail: 'Alice Liddell', insert: 'from:@alice ' },
      { key: 'user-1', label: '@malice', detail: 'Mal', insert: 'from:@malice ' },
    ]);
    expect(peopleSuggestions('in', users, 'liddell', label).map((s) => s.insert)).toEqual(['in:@alice ']);
    expect(peopleSuggestions('from', users, '', label)).toHaveLength(3);
  });

  it('completes channels of the team I am in, by name or display name; other teams and direct channels are left out', () => {
    const channels = [
      channel('c1', 'town-square', { display_name: 'Town Square' }),
      channel('c2', 'off-topic', { display_name: 'Off-Topic' }),
      channel('c3', 'general', { team_id: 't2' }),
      channel('d1', 'u1__u2', { type: 'direct', team_id: null }),
      channel('c4', 'squad', { type: 'private', display_name: 'The Squad' }),
    ];
    expect(channelSuggestions(channels, 't1', 'squ').map((s) => [s.label, s.insert])).toEqual([['~squad', 'in:~squad '], ['~town-square', 'in:~town-square ']]);
    expect(channelSuggestions(channels, 't1', '').map((s) => s.label)).toEqual(['~off-topic', '~squad', '~town-square']);
    expect(channelSuggestions(channels, 't1', 'general')).toEqual([]);
  });

  it('suggests today and yesterday (UTC, as the server counts days) for date operators', () => {
    const now = Date.UTC(2026, 2, 1, 0, 30);
    expect(dateSuggestions('on', '', now).map((s) => s.insert)).toEqual(['on:2026-03-01 ', 'on:2026-02-28 ']);
    expect(dateSuggestions('before', '2026-02', now).map((s) => s.label)).toEqual(['before:2026-02-28']);
    expect(dateSuggestions('after', '2026-03-01', now)).toEqual([]);
  });

  it('taking a suggestion replaces the whole word at the caret and puts the caret after it', () => {
    expect(applySuggestion('deploy fr', 9, { insert: 'from:' })).toEqual({ text: 'deploy from:', caret: 12 });
    expect(applySuggestion('deploy from:al staging', 14, { insert: 'from:@alice ' })).toEqual({ text: 'deploy from:@alice staging', caret: 19 });
    expect(applySuggestion('in:~to', 6, { insert: 'in:~town-square ' })).toEqual({ text: 'in:~town-square ', caret: 16 });
    expect(applySuggestion('', 0, { insert: 'is:pinned ' })).toEqual({ text: 'is:pinned ', caret: 10 });
  });
});

describe('permalinks', () => {
  it('route /<team>/pl/<post id> and back', () => {
    const id = '0192f3a4-5b6c-7d8e-9f01-23456789abcd';
    expect(permalinkPath('my team', id)).toBe(`/my%20team/pl/${id}`);
    expect(parseRoute(permalinkPath('my team', id), '')).toEqual({ kind: 'app', team: 'my team', postId: id });
    expect(parseRoute('/eng/channels/town-square', '')).toEqual({ kind: 'app', team: 'eng', channel: 'town-square' });
  });

  it('the window around a message: older and newer pages together, newer pages appended, new posts kept out until it reaches the present', () => {
    const page = (seqs: number[], has_more: boolean): PostPage => ({ messages: seqs.map((n) => post(`p${n}`, n)).reverse(), has_more, read_state: null });
    let s = initialState(user('me', 'me'));
    s = reduce(s, { type: 'channels', channels: [channel('c1', 'c1')] });
    s = reduce(s, { type: 'channel_page', channelId: 'c1', mode: 'latest', page: page([98, 99, 100], true) });
    s = reduce(s, { type: 'channel_window', channelId: 'c1', anchor: 'p5', older: page([3, 4, 5], true), newer: page([6, 7], true) });
    let cp = s.channelPosts.c1!;
    expect(cp.order).toEqual(['p3', 'p4', 'p5', 'p6', 'p7']);
    expect([cp.hasMore, cp.hasNewer, cp.anchor]).toEqual([true, true, 'p5']);
    // An edit of a post inside the window stays; a new post after the gap is kept out.
    s = reduce(s, { type: 'post_upsert', post: post('p6', 6, { message: 'edited' }) });
    s = reduce(s, { type: 'post_upsert', post: post('p101', 101) });
    expect(s.channelPosts.c1!.order).toEqual(['p3', 'p4', 'p5', 'p6', 'p7']);
    s = reduce(s, { type: 'channel_page', channelId: 'c1', mode: 'newer', page: page([8, 9], false) });
    cp = s.channelPosts.c1!;
    expect(cp.order).toEqual(['p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9']);
    expect(cp.hasNewer).toBe(false);
    s = reduce(s, { type: 'post_upsert', post: post('p102', 102) });
    expect(s.channelPosts.c1!.order.at(-1)).toBe('p102');
    // Opened at its newest posts again: an ordinary window.
    s = reduce(s, { type: 'channel_page', channelId: 'c1', mode: 'latest', page: page([100, 102], true) });
    expect(s.channelPosts.c1).toEqual({ order: ['p100', 'p102'], hasMore: true, firstUnreadSeq: null });
  });
});
