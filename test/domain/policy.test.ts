/**
 * The authorization tables, as the full matrix of who may do what. Each row is a situation
 * (actor and their relation to the channel or team); the expected list is every action
 * allowed there, so adding or dropping a rule changes exactly the rows it should.
 */
import { describe, expect, it } from 'vitest';
import type { Channel, ChannelType, Post, Team, TeamType } from '../../src/domain/entities.js';
import {
  CHANNEL_POLICY, EMOJI_POLICY, WEBHOOK_POLICY, webhookCan, webhookListScope, POST_POLICY, TEAM_POLICY, USER_POLICY, channelCan, emojiCan, channelRefusal, isLive, postCan, postRefusal, teamCan, teamRefusal, userCan, tokenCan, botCan, commandCan,
  type Actor, type ChannelAction, type ChannelContext, type PostAction, type PostContext, type TeamAction, type TeamContext,
} from '../../src/domain/policy.js';

const user: Actor = { userId: 'u', username: 'u', role: 'system_user', sessionId: 's' };
const sysadmin: Actor = { ...user, role: 'system_admin' };

function team(type: TeamType = 'invite', archived = false): Team {
  return { id: 't', name: 'team', display_name: 'Team', description: '', type, creator_id: 'x', created_at: 0, updated_at: 0, archived_at: archived ? 1 : null };
}

function channel(type: ChannelType, archived = false): Channel {
  return {
    id: 'c', team_id: type === 'direct' || type === 'group' ? null : 't', type, name: 'c', display_name: 'C', purpose: '', header: '', creator_id: 'x', created_at: 0,
    updated_at: 0, archived_at: archived ? 1 : null, last_post_at: 0, last_post_seq: 0, event_seq: 0, member_key: null,
  };
}

type Relation = 'outsider' | 'team member' | 'team admin' | 'channel member' | 'channel admin' | 'team admin + channel member';

function channelCtx(type: ChannelType, relation: Relation, opts: { archived?: boolean; teamArchived?: boolean } = {}): ChannelContext {
  const c = channel(type, opts.archived);
  const t = c.team_id === null ? undefined : team('invite', opts.teamArchived);
  const teamRole = relation === 'team admin' || relation === 'team admin + channel member' ? 'team_admin' : relation === 'outsider' ? undefined : 'member';
  const channelRole = relation === 'channel admin' ? 'channel_admin' : relation === 'channel member' || relation === 'team admin + channel member' ? 'member' : undefined;
  return {
    channel: c,
    team: t,
    teamMember: t !== undefined && teamRole !== undefined ? { team_id: 't', user_id: 'u', role: teamRole, created_at: 0 } : undefined,
    member: channelRole !== undefined ? { channel_id: 'c', user_id: 'u', role: channelRole, last_viewed_seq: 0, last_viewed_at: 0, created_at: 0 } : undefined,
  };
}

const CHANNEL_ACTIONS = Object.keys(CHANNEL_POLICY) as ChannelAction[];
const TEAM_ACTIONS = Object.keys(TEAM_POLICY) as TeamAction[];
const allowedIn = (actor: Actor, ctx: ChannelContext) => CHANNEL_ACTIONS.filter((a) => channelCan(actor, a, ctx));
const teamAllowed = (actor: Actor, ctx: TeamContext) => TEAM_ACTIONS.filter((a) => teamCan(actor, a, ctx));

// `arrange` (placing it in one's sidebar categories): members only, archived or not.
const MEMBER = ['read', 'post', 'add_member', 'update_info', 'arrange', 'notify_props'];
const ADMIN = ['read', 'post', 'add_member', 'remove_member', 'update_info', 'rename', 'archive', 'manage_roles', 'moderate_posts', 'arrange', 'notify_props'];
const MANAGE = ['add_member', 'remove_member', 'update_info', 'rename', 'archive', 'manage_roles', 'moderate_posts'];

describe('channel policy', () => {
  it.each<[string, Actor, ChannelContext, string[]]>([
    // Public channel of a live team.
    ['public: outsider of the team', user, channelCtx('public', 'outsider'), []],
    ['public: team member, not in the channel', user, channelCtx('public', 'team member'), ['read', 'join']],
    ['public: channel member', user, channelCtx('public', 'channel member'), [...MEMBER, 'join']],
    ['public: channel admin', user, channelCtx('public', 'channel admin'), [...ADMIN, 'join']],
    ['public: team admin, not in the channel', user, channelCtx('public', 'team admin'), ['read', 'join', ...MANAGE]],
    ['public: system admin outside the team', sysadmin, channelCtx('public', 'outsider'), ['read', 'join', ...MANAGE]],
    // Private channel: invisible unless a member (or system admin).
    ['private: outsider of the team', user, channelCtx('private', 'outsider'), []],
    ['private: team member, not in the channel', user, channelCtx('private', 'team member'), []],
    ['private: team admin, not in the channel', user, channelCtx('private', 'team admin'), []],
    ['private: channel member', user, channelCtx('private', 'channel member'), MEMBER],
    ['private: channel admin', user, channelCtx('private', 'channel admin'), ADMIN],
    ['private: team admin in the channel', user, channelCtx('private', 'team admin + channel member'), ADMIN],
    ['private: system admin', sysadmin, channelCtx('private', 'outsider'), ['read', 'join', ...MANAGE]],
    // Archived: read-only, but it can still be left, emptied and restored by its admins.
    ['archived public: team member', user, channelCtx('public', 'team member', { archived: true }), ['read']],
    ['archived public: channel member', user, channelCtx('public', 'channel member', { archived: true }), ['read', 'arrange', 'notify_props']],
    ['archived public: channel admin', user, channelCtx('public', 'channel admin', { archived: true }), ['read', 'remove_member', 'archive', 'arrange', 'notify_props']],
    ['archived private: system admin', sysadmin, channelCtx('private', 'outsider', { archived: true }), ['read', 'remove_member', 'archive']],
    ['channel of an archived team: channel admin', user, channelCtx('public', 'channel admin', { teamArchived: true }), ['read', 'remove_member', 'archive', 'arrange', 'notify_props']],
    // Direct and group messages: members only; never system admins, never managed.
    ['direct: member', user, channelCtx('direct', 'channel member'), ['read', 'post', 'update_info', 'arrange', 'notify_props']],
    ['direct: not a member', user, channelCtx('direct', 'outsider'), []],
    ['direct: system admin, not a member', sysadmin, channelCtx('direct', 'outsider'), []],
    ['group: member', user, channelCtx('group', 'channel member'), ['read', 'post', 'update_info', 'arrange', 'notify_props']],
    ['group: system admin, not a member', sysadmin, channelCtx('group', 'outsider'), []],
  ])('%s', (_name, actor, ctx, expected) => {
    expect(allowedIn(actor, ctx).sort()).toEqual([...new Set(expected)].sort());
  });

  it('knows when a channel is live', () => {
    expect(isLive(channelCtx('public', 'channel member'))).toBe(true);
    expect(isLive(channelCtx('public', 'channel member', { archived: true }))).toBe(false);
    expect(isLive(channelCtx('public', 'channel member', { teamArchived: true }))).toBe(false);
    expect(isLive(channelCtx('direct', 'channel member'))).toBe(true);
  });

  it('has at least one rule for every action', () => {
    for (const action of CHANNEL_ACTIONS) expect(CHANNEL_POLICY[action].length).toBeGreaterThan(0);
  });
});

describe('team policy', () => {
  const ctx = (type: TeamType, role: 'team_admin' | 'member' | undefined, archived = false): TeamContext => ({
    team: team(type, archived),
    member: role === undefined ? undefined : { team_id: 't', user_id: 'u', role, created_at: 0 },
  });
  const ADMIN_T = ['view', 'read', 'update', 'archive', 'add_member', 'remove_member', 'manage_roles', 'create_channel', 'create_webhook', 'manage_commands'];
  const SYS_T = ['view', 'read', 'update', 'archive', 'add_member', 'remove_member', 'manage_roles', 'create_webhook'];

  it.each<[string, Actor, TeamContext, string[]]>([
    ['invite team: outsider', user, ctx('invite', undefined), []],
    ['invite team: member', user, ctx('invite', 'member'), ['view', 'read', 'create_channel', 'create_webhook']],
    ['invite team: team admin', user, ctx('invite', 'team_admin'), ADMIN_T],
    ['invite team: system admin outside it', sysadmin, ctx('invite', undefined), [...SYS_T, 'manage_commands']],
    ['open team: outsider', user, ctx('open', undefined), ['view', 'join']],
    ['open team: member', user, ctx('open', 'member'), ['view', 'read', 'join', 'create_channel', 'create_webhook']],
    ['archived team: member', user, ctx('invite', 'member', true), ['view', 'read']],
    ['archived team: team admin', user, ctx('invite', 'team_admin', true), ['view', 'read', 'archive', 'remove_member']],
    ['archived open team: outsider', user, ctx('open', undefined, true), []],
    ['archived team: system admin', sysadmin, ctx('invite', undefined, true), SYS_T.filter((a) => a !== 'create_webhook')],
  ])('%s', (_name, actor, c, expected) => {
    expect(teamAllowed(actor, c).sort()).toEqual([...expected].sort());
  });

  it('has at least one rule for every action', () => {
    for (const action of TEAM_ACTIONS) expect(TEAM_POLICY[action].length).toBeGreaterThan(0);
  });
});

describe('post policy', () => {
  const POST_ACTIONS = Object.keys(POST_POLICY) as PostAction[];
  const post = (author: 'mine' | 'theirs'): Post => ({
    id: 'p', channel_id: 'c', user_id: author === 'mine' ? 'u' : 'x', root_post_id: null, message: 'm', props: '{}', file_ids: '[]', is_pinned: 0,
    created_at: 0, edited_at: null, deleted_at: null, reply_count: 0, last_reply_at: null, reply_participants: '[]', client_msg_id: null, mention_all: 0, seq: 1,
  });
  const ctx = (author: 'mine' | 'theirs', type: ChannelType, relation: Relation, opts: { archived?: boolean } = {}): PostContext => ({ post: post(author), channel: channelCtx(type, relation, opts) });
  const allowed = (actor: Actor, c: PostContext) => POST_ACTIONS.filter((a) => postCan(actor, a, c));
  const MEMBER_P = ['read', 'react', 'pin', 'mark_unread'];

  it.each<[string, Actor, PostContext, string[]]>([
    ['my post, channel member', user, ctx('mine', 'public', 'channel member'), [...MEMBER_P, 'edit', 'delete', 'remove_preview']],
    ['their post, channel member', user, ctx('theirs', 'public', 'channel member'), MEMBER_P],
    ['their post, channel admin', user, ctx('theirs', 'public', 'channel admin'), [...MEMBER_P, 'delete']],
    ['their post, team admin outside the channel', user, ctx('theirs', 'public', 'team admin'), ['read', 'delete']],
    ['their post, team member outside a public channel', user, ctx('theirs', 'public', 'team member'), ['read']],
    ['my post, after I left the channel', user, ctx('mine', 'public', 'team member'), ['read']],
    ['their post, private channel I am not in', user, ctx('theirs', 'private', 'team member'), []],
    ['my post, archived channel', user, ctx('mine', 'public', 'channel member', { archived: true }), ['read', 'mark_unread']],
    ['their post, archived channel, channel admin', user, ctx('theirs', 'public', 'channel admin', { archived: true }), ['read', 'mark_unread']],
    ['their post, system admin outside a private channel', sysadmin, ctx('theirs', 'private', 'outsider'), ['read', 'delete']],
    ['their direct message, system admin', sysadmin, ctx('theirs', 'direct', 'outsider'), []],
    ['their direct message, the other member', user, ctx('theirs', 'direct', 'channel member'), MEMBER_P],
  ])('%s', (_name, actor, c, expected) => {
    expect(allowed(actor, c).sort()).toEqual([...expected].sort());
  });

  it('has at least one rule for every action', () => {
    for (const action of POST_ACTIONS) expect(POST_POLICY[action].length).toBeGreaterThan(0);
  });
});

describe('refusal reasons (what the access_denied event says)', () => {
  const post = (mine: boolean): Post => ({ id: 'p', channel_id: 'c', user_id: mine ? 'u' : 'x', deleted_at: null } as Post);

  it.each<[string, ChannelAction, ChannelContext, string | undefined]>([
    ['allowed', 'post', channelCtx('public', 'channel member'), undefined],
    ['private channel I am not in', 'read', channelCtx('private', 'team member'), 'private_channel'],
    ['private channel of another team', 'read', channelCtx('private', 'outsider'), 'private_channel'],
    ['public channel of another team', 'read', channelCtx('public', 'outsider'), 'not_team_member'],
    ['someone else\'s direct message', 'read', channelCtx('direct', 'outsider'), 'not_member'],
    ['posting without joining', 'post', channelCtx('public', 'team member'), 'not_member'],
    ['posting into an archived channel', 'post', channelCtx('public', 'channel member', { archived: true }), 'archived'],
    ['posting into an archived channel I never joined', 'post', channelCtx('public', 'team member', { archived: true }), 'archived'],
    ['renaming as a plain member', 'rename', channelCtx('public', 'channel member'), 'insufficient_role'],
  ])('channel: %s', (_name, action, c, reason) => {
    expect(channelRefusal(user, action, c)).toBe(reason);
  });

  it.each<[string, TeamAction, TeamContext, string | undefined]>([
    ['allowed', 'read', { team: team('invite'), member: { team_id: 't', user_id: 'u', role: 'member', created_at: 0 } }, undefined],
    ['invite team I am not in', 'view', { team: team('invite'), member: undefined }, 'not_team_member'],
    ['reading an open team before joining', 'read', { team: team('open'), member: undefined }, 'not_team_member'],
    ['archiving as a plain member', 'archive', { team: team('invite'), member: { team_id: 't', user_id: 'u', role: 'member', created_at: 0 } }, 'insufficient_role'],
    ['updating an archived team as its admin', 'update', { team: team('invite', true), member: { team_id: 't', user_id: 'u', role: 'team_admin', created_at: 0 } }, 'archived'],
  ])('team: %s', (_name, action, c, reason) => {
    expect(teamRefusal(user, action, c)).toBe(reason);
  });

  it.each<[string, PostAction, PostContext, string | undefined]>([
    ['editing my own post', 'edit', { post: post(true), channel: channelCtx('public', 'channel member') }, undefined],
    ['editing someone else\'s post', 'edit', { post: post(false), channel: channelCtx('public', 'channel member') }, 'not_owner'],
    ['deleting someone else\'s post', 'delete', { post: post(false), channel: channelCtx('public', 'channel member') }, 'not_owner'],
    ['editing my post after leaving', 'edit', { post: post(true), channel: channelCtx('public', 'team member') }, 'not_member'],
    ['removing the preview of someone else\'s post', 'remove_preview', { post: post(false), channel: channelCtx('public', 'channel member') }, 'not_owner'],
    ['editing my post in an archived channel', 'edit', { post: post(true), channel: channelCtx('public', 'channel member', { archived: true }) }, 'archived'],
    ['reacting without joining', 'react', { post: post(false), channel: channelCtx('public', 'team member') }, 'not_member'],
    ['marking unread without joining', 'mark_unread', { post: post(false), channel: channelCtx('public', 'team member') }, 'not_member'],
    ['reading a post of a private channel', 'read', { post: post(false), channel: channelCtx('private', 'team member') }, 'private_channel'],
  ])('post: %s', (_name, action, c, reason) => {
    expect(postRefusal(user, action, c)).toBe(reason);
  });
});

describe('user policy', () => {
  it.each<[string, Actor, string, string[]]>([
    ['my own profile', user, 'u', ['view', 'see_email']],
    ['someone else\'s profile', user, 'x', ['view']],
    ['someone else\'s profile, as a system admin', sysadmin, 'x', ['view', 'see_email']],
  ])('%s', (_name, actor, id, expected) => {
    expect((Object.keys(USER_POLICY) as Array<keyof typeof USER_POLICY>).filter((a) => userCan(actor, a, { user: { id } }))).toEqual(expected);
  });
});

describe('custom emoji policy', () => {
  it.each<[string, Actor, string | undefined, string[]]>([
    ['no particular emoji (list, add)', user, undefined, ['read', 'create']],
    ['my own emoji', user, 'u', ['read', 'create', 'delete']],
    ['someone else\'s emoji', user, 'x', ['read', 'create']],
    ['someone else\'s emoji, as a system admin', sysadmin, 'x', ['read', 'create', 'delete']],
  ])('%s', (_name, actor, creator, expected) => {
    const ctx = { emoji: creator === undefined ? undefined : { creator_id: creator } };
    expect((Object.keys(EMOJI_POLICY) as Array<keyof typeof EMOJI_POLICY>).filter((a) => emojiCan(actor, a, ctx))).toEqual(expected);
  });
});

describe('the read scope (search filters inside the database with it)', () => {
  it('is exactly CHANNEL_POLICY.read, for every actor and situation', async () => {
    const { channelReadScope, inReadScope } = await import('../../src/domain/policy.js');
    const relations: Relation[] = ['outsider', 'team member', 'team admin', 'channel member', 'channel admin', 'team admin + channel member'];
    let checked = 0;
    for (const actor of [user, sysadmin]) {
      for (const type of ['public', 'private', 'direct', 'group'] as const) {
        for (const relation of relations) {
          for (const archived of [false, true]) {
            for (const teamArchived of [false, true]) {
              const ctx = channelCtx(type, relation, { archived, teamArchived });
              expect(inReadScope(channelReadScope(actor), ctx), `${actor.role} ${type} ${relation} archived=${archived} teamArchived=${teamArchived}`).toBe(channelCan(actor, 'read', ctx));
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBe(2 * 4 * 6 * 4);
  });
});

describe('webhook policy', () => {
  it('lets only the creator or a system admin manage a hook; lists show one\'s own (a system admin: all)', () => {
    const mine = { hook: { creator_id: 'u' } };
    const theirs = { hook: { creator_id: 'x' } };
    expect(webhookCan(user, 'manage', mine)).toBe(true);
    expect(webhookCan(user, 'manage', theirs)).toBe(false);
    expect(webhookCan(sysadmin, 'manage', theirs)).toBe(true);
    expect(Object.keys(WEBHOOK_POLICY)).toEqual(['manage']);
    expect(webhookListScope(user)).toEqual({ creatorId: 'u' });
    expect(webhookListScope(sysadmin)).toEqual({ creatorId: undefined });
  });
});

describe('token, bot and command policy', () => {
  const person = { id: 'u', is_bot: 0 };
  const someoneElse = { id: 'x', is_bot: 0 };
  const bot = { id: 'b', is_bot: 1 };
  it('tokens: a person their own, a bot\'s owner the bot\'s, a system admin anyone\'s; never a bot its own', () => {
    expect(tokenCan(user, 'manage', { user: person, bot: undefined })).toBe(true);
    expect(tokenCan(user, 'manage', { user: someoneElse, bot: undefined })).toBe(false);
    expect(tokenCan(user, 'manage', { user: bot, bot: { owner_id: 'u' } })).toBe(true);
    expect(tokenCan(user, 'manage', { user: bot, bot: { owner_id: 'x' } })).toBe(false);
    expect(tokenCan({ ...user, userId: 'b' }, 'manage', { user: bot, bot: { owner_id: 'x' } })).toBe(false);
    expect(tokenCan(sysadmin, 'manage', { user: someoneElse, bot: undefined })).toBe(true);
  });
  it('bots: their owner and system admins', () => {
    expect(botCan(user, 'manage', { bot: { owner_id: 'u' } })).toBe(true);
    expect(botCan(user, 'manage', { bot: { owner_id: 'x' } })).toBe(false);
    expect(botCan(sysadmin, 'manage', { bot: { owner_id: 'x' } })).toBe(true);
  });
  it('commands: the creator while in the team, team admins, system admins', () => {
    const t = team('invite', false);
    const member = (role: 'member' | 'team_admin') => ({ team_id: 't', user_id: 'u', role, created_at: 0 });
    expect(commandCan(user, 'manage', { command: { creator_id: 'u' }, team: { team: t, member: member('member') } })).toBe(true);
    expect(commandCan(user, 'manage', { command: { creator_id: 'u' }, team: { team: t, member: undefined } })).toBe(false);
    expect(commandCan(user, 'manage', { command: { creator_id: 'x' }, team: { team: t, member: member('member') } })).toBe(false);
    expect(commandCan(user, 'manage', { command: { creator_id: 'x' }, team: { team: t, member: member('team_admin') } })).toBe(true);
    expect(commandCan(sysadmin, 'manage', { command: { creator_id: 'x' }, team: { team: t, member: undefined } })).toBe(true);
  });
});
