/**
 * The web client's integration logic without a browser (web/src/lib/integrations.ts, the
 * reducer's ephemeral answers, the engine's command execution): which slash commands the
 * composer offers, which lines run as commands, how a webhook's or bot's post is marked, Slack
 * attachments made safe to draw, and ephemeral answers kept for me only, once, until dismissed.
 */
import { describe, expect, it } from 'vitest';
import {
  attachmentColor, attachmentImageSrc, authorMark, commandQueryAt, isCommandLine, matchCommands, normalizeAttachments, safeLink, type CommandHint, type EphemeralPost,
} from '../../web/src/lib/integrations.js';
import type { ServerEvent } from '../../web/src/lib/realtime.js';
import type { User } from '../../web/src/lib/types.js';
import { MAX_EPHEMERAL, initialState, reduce } from '../../web/src/state/reducer.js';

const hints: CommandHint[] = [
  { trigger: 'shrug', hint: '[text]', description: 'Shrug', source: 'builtin' },
  { trigger: 'status', hint: '[text | clear]', description: 'Status', source: 'builtin' },
  { trigger: 'search', hint: 'terms', description: 'Search', source: 'builtin' },
  { trigger: 's', hint: '', description: 'Short custom', source: 'custom' },
  { trigger: 'deploy', hint: 'env', description: 'Deploy', source: 'custom' },
];

describe('slash commands in the composer', () => {
  it('offers commands only while the first word after / is typed', () => {
    expect(commandQueryAt('/', 1)).toBe('');
    expect(commandQueryAt('/shr', 4)).toBe('shr');
    expect(commandQueryAt('/SHR', 4)).toBe('shr');
    expect(commandQueryAt('/shrug hello', 12)).toBeUndefined(); // past the trigger
    expect(commandQueryAt('/shrug', 3)).toBeUndefined(); // caret inside the word: no replacing half of it
    expect(commandQueryAt('hello /shr', 10)).toBeUndefined(); // not at the start
    expect(commandQueryAt(' /shr', 5)).toBeUndefined();
    expect(commandQueryAt('//shr', 5)).toBeUndefined();
  });

  it('matches by prefix, the exact trigger first, built-ins before custom commands of the same name', () => {
    expect(matchCommands(hints, 's').map((c) => c.trigger)).toEqual(['s', 'search', 'shrug', 'status']);
    expect(matchCommands(hints, 'st').map((c) => c.trigger)).toEqual(['status']);
    expect(matchCommands(hints, 'x')).toEqual([]);
    expect(matchCommands(hints, '', 2)).toHaveLength(2);
    const clash: CommandHint[] = [{ trigger: 'x', hint: '', description: '', source: 'custom' }, { trigger: 'x', hint: '', description: '', source: 'builtin' }];
    expect(matchCommands(clash, 'x').map((c) => c.source)).toEqual(['builtin', 'custom']);
  });

  it('runs a line as a command when it starts with / and a word; // and a lone / are messages', () => {
    expect(isCommandLine('/shrug hello')).toBe(true);
    expect(isCommandLine('  /echo hi')).toBe(true);
    expect(isCommandLine('//not a command')).toBe(false);
    expect(isCommandLine('/')).toBe(false);
    expect(isCommandLine('/ spaced')).toBe(false);
    expect(isCommandLine('a /shrug')).toBe(false);
  });
});

describe('author marks', () => {
  const person = { is_bot: false } as Pick<User, 'is_bot'>;
  it('marks a webhook post, with its override name beside the mark, whoever the author is', () => {
    expect(authorMark({ props: { from_webhook: 'true', override_username: ' CI ' } }, person)).toEqual({ kind: 'webhook', override: 'CI' });
    expect(authorMark({ props: { from_webhook: 'true' } }, person)).toEqual({ kind: 'webhook', override: undefined });
  });
  it('marks a bot account, and ignores an override name outside a webhook post', () => {
    expect(authorMark({ props: {} }, { is_bot: true })).toEqual({ kind: 'bot', override: undefined });
    expect(authorMark({ props: { override_username: 'admin' } }, person)).toEqual({ kind: undefined, override: undefined });
    expect(authorMark({ props: { from_webhook: 'false' } }, undefined)).toEqual({ kind: undefined, override: undefined });
  });
});

describe('Slack attachments', () => {
  it('keeps the known keys, maps colours, and makes only http(s) links', () => {
    const [a] = normalizeAttachments({
      attachments: [{
        color: 'good', pretext: 'pre', title: 'Build', title_link: 'https://ci.example.com/42', text: '**ok**', author_name: 'CI', author_link: 'javascript:alert(1)',
        fields: [{ title: 'Tests', value: 1200, short: true }, { title: 'Notes', value: 'long' }, { nonsense: true }, 'x'], image_url: 'https://img.example.com/a.png', thumb_url: 'data:image/png;base64,AAAA',
        footer: 'foot', onclick: 'evil',
      }],
    });
    expect(a).toEqual({
      color: '#2eb886', pretext: 'pre', authorName: 'CI', authorLink: undefined, title: 'Build', titleLink: 'https://ci.example.com/42', text: '**ok**',
      fields: [{ title: 'Tests', value: '1200', short: true }, { title: 'Notes', value: 'long', short: false }], imageUrl: 'https://img.example.com/a.png', thumbUrl: undefined,
      image: undefined, thumb: undefined, footer: 'foot', fallback: undefined,
    });
  });

  it('draws an image only from the server\'s stored copy, matched by the attachment\'s position (malformed ones counted)', () => {
    const src = (i: number, k: string): string => `/api/v1/posts/p-1/attachments/${i}/${k}?v=17`;
    const list = normalizeAttachments({
      attachments: [null, { title: 'a', image_url: 'https://x.example/a.png', thumb_url: 'https://x.example/t.png' }, { title: 'b', image_url: 'https://x.example/b.png' }],
    }, [
      { index: 1, kind: 'image', url: src(1, 'image'), width: 600, height: 300 },
      { index: 1, kind: 'thumb', url: src(1, 'thumb'), width: 0, height: 64 },
      // Never a remote URL, whatever the server's answer said.
      { index: 2, kind: 'image', url: 'https://evil.example/b.png', width: 10, height: 10 },
    ]);
    expect(list.map((a) => a.title)).toEqual(['a', 'b']);
    expect(list[0]!.image).toEqual({ src: src(1, 'image'), width: 600, height: 300 });
    expect(list[0]!.thumb).toEqual({ src: src(1, 'thumb'), width: undefined, height: 64 });
    expect(list[0]!.imageUrl).toBe('https://x.example/a.png');
    expect(list[1]!.image).toBeUndefined();
    expect(list[1]!.imageUrl).toBe('https://x.example/b.png');
    expect(attachmentImageSrc('/api/v1/posts/abc/attachments/0/image?v=1')).toBe('/api/v1/posts/abc/attachments/0/image?v=1');
    for (const bad of ['//evil.example/api/v1/posts/a/attachments/0/image', '/api/v1/posts/a/attachments/0/full', '/api/v1/posts/a/preview/image', 'javascript:alert(1)', 42]) {
      expect(attachmentImageSrc(bad)).toBeUndefined();
    }
  });

  it('accepts #rgb and #rrggbb colours only', () => {
    expect(attachmentColor('#A30200')).toBe('#a30200');
    expect(attachmentColor('#abc')).toBe('#abc');
    expect(attachmentColor('danger')).toBe('#a30200');
    expect(attachmentColor('red; background: url(x)')).toBeUndefined();
    expect(attachmentColor('#12345')).toBeUndefined();
    expect(attachmentColor(42)).toBeUndefined();
  });

  it('refuses links that are not http(s) or carry credentials', () => {
    expect(safeLink('http://example.com/x')).toBe('http://example.com/x');
    expect(safeLink('javascript:alert(1)')).toBeUndefined();
    expect(safeLink('/relative')).toBeUndefined();
    expect(safeLink('https://user:pw@example.com/')).toBeUndefined();
    expect(safeLink({ href: 'https://x' })).toBeUndefined();
  });

  it('drops malformed and empty attachments, shows a lone fallback as text, and takes no more than 20', () => {
    expect(normalizeAttachments({})).toEqual([]);
    expect(normalizeAttachments({ attachments: 'nope' })).toEqual([]);
    expect(normalizeAttachments({ attachments: [null, 1, [], {}, { color: 'good' }] })).toEqual([]);
    expect(normalizeAttachments({ attachments: [{ fallback: 'plain' }] })[0]?.text).toBe('plain');
    expect(normalizeAttachments({ attachments: Array.from({ length: 30 }, (_, i) => ({ text: `t${i}` })) })).toHaveLength(20);
  });
});

describe('ephemeral answers in the state', () => {
  const me = { id: 'me', username: 'me', presence: 'online' } as User;
  const eph = (id: string, user_id = 'me', channel_id = 'c1'): EphemeralPost => ({ id, channel_id, user_id, message: `answer ${id}`, props: {}, created_at: 1, type: 'ephemeral' });
  const event = (post: EphemeralPost): ServerEvent => ({ event: 'ephemeral_message', seq: 0, data: { channel_id: post.channel_id, post }, broadcast: {} } as unknown as ServerEvent);

  it('keeps mine once (the answer and the event carry the same one) until dismissed', () => {
    let s = reduce(initialState(me), { type: 'ephemeral_add', post: eph('e1') });
    s = reduce(s, { type: 'rt', event: event(eph('e1')), now: 0 });
    expect(s.ephemeral?.c1?.map((p) => p.id)).toEqual(['e1']);
    s = reduce(s, { type: 'rt', event: event(eph('e2')), now: 0 });
    expect(s.ephemeral?.c1?.map((p) => p.id)).toEqual(['e1', 'e2']);
    s = reduce(s, { type: 'ephemeral_remove', channelId: 'c1', id: 'e1' });
    expect(s.ephemeral?.c1?.map((p) => p.id)).toEqual(['e2']);
    expect(reduce(s, { type: 'ephemeral_remove', channelId: 'c1', id: 'nope' })).toBe(s);
  });

  it('never shows an answer meant for someone else', () => {
    const s = reduce(initialState(me), { type: 'rt', event: event(eph('x', 'other')), now: 0 });
    expect(s.ephemeral?.c1).toBeUndefined();
  });

  it('keeps the newest ones only', () => {
    let s = initialState(me);
    for (let i = 0; i < MAX_EPHEMERAL + 5; i++) s = reduce(s, { type: 'ephemeral_add', post: eph(`e${i}`) });
    expect(s.ephemeral?.c1).toHaveLength(MAX_EPHEMERAL);
    expect(s.ephemeral?.c1?.[0]?.id).toBe('e5');
  });
});
