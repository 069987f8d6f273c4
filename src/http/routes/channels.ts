/** /api/v1/channels: channels, members, read state and the channel's posts. */
import { Type } from 'typebox';
import { channelMemberView, channelView } from '../../domain/presenters.js';
import type { HttpDeps } from '../server.js';
import { Body, ChannelMemberSchema, ChannelSchema, ChannelType, Id, IdParams, MemberParams, Ok, Paging, PostPageSchema, PostSchema, UnreadSchema, errors } from '../schemas.js';
import { callCtx, type App } from '../types.js';

const Cursor = Type.String({ maxLength: 64, description: 'A post id of this channel or a sequence number' });

export function channelRoutes(app: App, deps: HttpDeps): void {
  const { channels, posts } = deps.services;

  app.get('/api/v1/channels', {
    schema: { tags: ['channels'], summary: 'Every channel I am a member of, direct and group ones included', response: { 200: Type.Array(ChannelSchema), ...errors(401) } },
  }, async (req) => (await channels.listMine(callCtx(req))).map(channelView));

  app.post('/api/v1/channels', {
    schema: {
      tags: ['channels'],
      summary: 'Create a channel. Direct (target_user_id) and group (user_ids) channels are unique per set of members: asking again returns the existing one with 200.',
      body: Body({
        team_id: Type.Optional(Id),
        name: Type.Optional(Type.String({ maxLength: 64 })),
        display_name: Type.Optional(Type.String({ maxLength: 256 })),
        purpose: Type.Optional(Type.String({ maxLength: 1024 })),
        header: Type.Optional(Type.String({ maxLength: 4096 })),
        channel_type: ChannelType,
        target_user_id: Type.Optional(Id),
        user_ids: Type.Optional(Type.Array(Id, { maxItems: 16 })),
      }),
      response: { 200: ChannelSchema, 201: ChannelSchema, ...errors(400, 401, 403, 404, 409, 422) },
    },
  }, async (req, reply) => {
    const { channel, created } = await channels.create(callCtx(req), req.body);
    return reply.code(created ? 201 : 200).send(channelView(channel));
  });

  app.get('/api/v1/channels/:id', {
    config: { channelParam: 'id' },
    schema: { tags: ['channels'], summary: 'A channel', params: IdParams, response: { 200: ChannelSchema, ...errors(401, 404) } },
  }, async (req) => channelView(await channels.get(callCtx(req), req.params.id)));

  app.patch('/api/v1/channels/:id', {
    schema: {
      tags: ['channels'], summary: 'Update a channel (purpose/header: members; name/display name: channel admins)', params: IdParams,
      body: Body({
        name: Type.Optional(Type.String({ maxLength: 64 })),
        display_name: Type.Optional(Type.String({ maxLength: 256 })),
        purpose: Type.Optional(Type.String({ maxLength: 1024 })),
        header: Type.Optional(Type.String({ maxLength: 4096 })),
      }),
      response: { 200: ChannelSchema, ...errors(400, 401, 403, 404, 409, 422) },
    },
  }, async (req) => channelView(await channels.update(callCtx(req), req.params.id, req.body)));

  app.delete('/api/v1/channels/:id', {
    schema: { tags: ['channels'], summary: 'Archive a channel (read-only afterwards)', params: IdParams, response: { 200: ChannelSchema, ...errors(400, 401, 403, 404) } },
  }, async (req) => channelView(await channels.archive(callCtx(req), req.params.id)));

  app.post('/api/v1/channels/:id/restore', {
    schema: { tags: ['channels'], summary: 'Unarchive a channel', params: IdParams, response: { 200: ChannelSchema, ...errors(400, 401, 403, 404) } },
  }, async (req) => channelView(await channels.restore(callCtx(req), req.params.id)));

  app.get('/api/v1/channels/:id/members', {
    schema: { tags: ['channels'], summary: 'Members of a channel', params: IdParams, querystring: Paging, response: { 200: Type.Array(ChannelMemberSchema), ...errors(401, 404) } },
  }, async (req) => (await channels.members(callCtx(req), req.params.id, req.query.page, req.query.per_page)).map(channelMemberView));

  app.get('/api/v1/channels/:id/members/:user_id', {
    schema: { tags: ['channels'], summary: 'One member of a channel', params: MemberParams, response: { 200: ChannelMemberSchema, ...errors(401, 404) } },
  }, async (req) => channelMemberView(await channels.member(callCtx(req), req.params.id, req.params.user_id)));

  app.post('/api/v1/channels/:id/members', {
    schema: {
      tags: ['channels'], summary: 'Add a member (myself to a public channel; others as a member)', params: IdParams,
      body: Body({ user_id: Id }),
      response: { 201: ChannelMemberSchema, ...errors(400, 401, 403, 404) },
    },
  }, async (req, reply) => reply.code(201).send(channelMemberView(await channels.addMember(callCtx(req), req.params.id, req.body.user_id))));

  app.patch('/api/v1/channels/:id/members/:user_id', {
    schema: {
      tags: ['channels'], summary: 'Change a member\'s channel role (channel admins)', params: MemberParams,
      body: Body({ role: Type.Union([Type.Literal('channel_admin'), Type.Literal('member')]) }),
      response: { 200: ChannelMemberSchema, ...errors(400, 401, 403, 404) },
    },
  }, async (req) => channelMemberView(await channels.setMemberRole(callCtx(req), req.params.id, req.params.user_id, req.body.role)));

  app.delete('/api/v1/channels/:id/members/:user_id', {
    schema: { tags: ['channels'], summary: 'Remove a member (or leave)', params: MemberParams, response: { 200: Ok, ...errors(400, 401, 403, 404) } },
  }, async (req) => {
    await channels.removeMember(callCtx(req), req.params.id, req.params.user_id);
    return { status: 'ok' as const };
  });

  app.post('/api/v1/channels/:id/read', {
    config: { channelParam: 'id' },
    schema: { tags: ['unreads'], summary: 'Mark the channel read', params: IdParams, response: { 200: Type.Union([UnreadSchema, Ok]), ...errors(401, 404) } },
  }, async (req) => (await channels.markRead(callCtx(req), req.params.id)) ?? { status: 'ok' as const });

  app.get('/api/v1/channels/:id/unread', {
    config: { channelParam: 'id' },
    schema: { tags: ['unreads'], summary: 'My unread and mention counts in the channel', params: IdParams, response: { 200: UnreadSchema, ...errors(401, 404) } },
  }, async (req) => channels.unread(callCtx(req), req.params.id));

  app.get('/api/v1/channels/:id/stats', {
    schema: {
      tags: ['channels'], summary: 'Member, post and pinned-post counts', params: IdParams,
      response: { 200: Type.Object({ channel_id: Id, member_count: Type.Integer(), post_count: Type.Integer(), pinned_post_count: Type.Integer() }), ...errors(401, 404) },
    },
  }, async (req) => ({ channel_id: req.params.id, ...(await channels.stats(callCtx(req), req.params.id)) }));

  app.get('/api/v1/channels/:id/posts', {
    config: { channelParam: 'id' },
    schema: {
      tags: ['posts'], summary: 'Posts of a channel, newest first', params: IdParams,
      querystring: Type.Object({
        before: Type.Optional(Cursor), after: Type.Optional(Cursor), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
        collapsed_threads: Type.Optional(Type.Boolean({ description: 'Leave replies out (true) or show them inline (false); default: the caller\'s preference (GET /users/me/preferences/threads), on unless changed' })),
      }),
      response: { 200: PostPageSchema, ...errors(400, 401, 404) },
    },
  }, async (req) => posts.listChannel(callCtx(req), req.params.id, req.query));

  app.post('/api/v1/channels/:id/posts', {
    config: { channelParam: 'id' },
    schema: {
      tags: ['posts'], summary: 'Post a message (a repeated client_msg_id returns the first post with 200)', params: IdParams,
      body: Body({
        message: Type.String({ maxLength: 65536 }),
        root_post_id: Type.Optional(Id),
        file_ids: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10 })),
        props: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        client_msg_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        confirm_channel_mention: Type.Optional(Type.Boolean({ description: '@channel/@all/@here in a channel with more members than RUSTCHAT_NOTIFY_CHANNEL_MENTION_CONFIRM_MEMBERS: the sender confirmed (else 409 CHANNEL_MENTION_CONFIRM_REQUIRED)' })),
      }),
      response: { 200: PostSchema, 201: PostSchema, ...errors(400, 401, 403, 404, 409, 422, 429) },
    },
  }, async (req, reply) => {
    const { post, created } = await posts.create(callCtx(req), req.params.id, req.body);
    return reply.code(created ? 201 : 200).send(post);
  });

  app.get('/api/v1/channels/:id/pinned', {
    schema: { tags: ['posts'], summary: 'Pinned posts of a channel', params: IdParams, response: { 200: Type.Array(PostSchema), ...errors(401, 404) } },
  }, async (req) => posts.pinned(callCtx(req), req.params.id));
}
