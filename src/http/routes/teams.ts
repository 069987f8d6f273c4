/** /api/v1/teams: teams, their members and their channels. */
import { Type } from 'typebox';
import { channelView, teamMemberView, teamView } from '../../domain/presenters.js';
import type { HttpDeps } from '../server.js';
import { Body, ChannelSchema, Id, IdParams, MemberParams, Ok, Paging, TeamMemberSchema, TeamSchema, errors } from '../schemas.js';
import { callCtx, type App } from '../types.js';

const TeamType = Type.Union([Type.Literal('open'), Type.Literal('invite')]);
const IncludeArchived = Type.Object({ include_archived: Type.Optional(Type.Boolean()) });

export function teamRoutes(app: App, deps: HttpDeps): void {
  const { teams, channels } = deps.services;

  app.get('/api/v1/teams', {
    schema: { tags: ['teams'], summary: 'Teams I belong to', querystring: IncludeArchived, response: { 200: Type.Array(TeamSchema), ...errors(401) } },
  }, async (req) => (await teams.listMine(callCtx(req), req.query.include_archived === true)).map(teamView));

  app.get('/api/v1/teams/joinable', {
    schema: { tags: ['teams'], summary: 'Open teams I can join', response: { 200: Type.Array(TeamSchema), ...errors(401) } },
  }, async (req) => (await teams.listJoinable(callCtx(req))).map(teamView));

  app.post('/api/v1/teams', {
    schema: {
      tags: ['teams'], summary: 'Create a team (I become its admin)',
      body: Body({ name: Type.String({ maxLength: 64 }), display_name: Type.String({ maxLength: 256 }), description: Type.Optional(Type.String({ maxLength: 2048 })), type: Type.Optional(TeamType) }),
      response: { 201: TeamSchema, ...errors(400, 401, 409, 422) },
    },
  }, async (req, reply) => reply.code(201).send(teamView(await teams.create(callCtx(req), req.body))));

  app.get('/api/v1/teams/:id', {
    schema: { tags: ['teams'], summary: 'A team', params: IdParams, response: { 200: TeamSchema, ...errors(401, 404) } },
  }, async (req) => teamView(await teams.get(callCtx(req), req.params.id)));

  app.patch('/api/v1/teams/:id', {
    schema: {
      tags: ['teams'], summary: 'Update a team (team admins)', params: IdParams,
      body: Body({ display_name: Type.Optional(Type.String({ maxLength: 256 })), description: Type.Optional(Type.String({ maxLength: 2048 })), type: Type.Optional(TeamType) }),
      response: { 200: TeamSchema, ...errors(400, 401, 403, 404, 422) },
    },
  }, async (req) => teamView(await teams.update(callCtx(req), req.params.id, req.body)));

  app.delete('/api/v1/teams/:id', {
    schema: { tags: ['teams'], summary: 'Archive a team (team admins)', params: IdParams, response: { 200: TeamSchema, ...errors(401, 403, 404) } },
  }, async (req) => teamView(await teams.archive(callCtx(req), req.params.id)));

  app.post('/api/v1/teams/:id/restore', {
    schema: { tags: ['teams'], summary: 'Unarchive a team (team admins)', params: IdParams, response: { 200: TeamSchema, ...errors(401, 403, 404) } },
  }, async (req) => teamView(await teams.restore(callCtx(req), req.params.id)));

  app.get('/api/v1/teams/:id/members', {
    schema: { tags: ['teams'], summary: 'Members of a team', params: IdParams, querystring: Paging, response: { 200: Type.Array(TeamMemberSchema), ...errors(401, 404) } },
  }, async (req) => (await teams.members(callCtx(req), req.params.id, req.query.page, req.query.per_page)).map(teamMemberView));

  app.post('/api/v1/teams/:id/members', {
    schema: {
      tags: ['teams'], summary: 'Add a member (myself to an open team; anyone as team admin)', params: IdParams,
      body: Body({ user_id: Id }),
      response: { 201: TeamMemberSchema, ...errors(400, 401, 403, 404) },
    },
  }, async (req, reply) => reply.code(201).send(teamMemberView(await teams.addMember(callCtx(req), req.params.id, req.body.user_id))));

  app.patch('/api/v1/teams/:id/members/:user_id', {
    schema: {
      tags: ['teams'], summary: 'Change a member\'s team role (team admins)', params: MemberParams,
      body: Body({ role: Type.Union([Type.Literal('team_admin'), Type.Literal('member')]) }),
      response: { 200: TeamMemberSchema, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (req) => teamMemberView(await teams.setMemberRole(callCtx(req), req.params.id, req.params.user_id, req.body.role)));

  app.delete('/api/v1/teams/:id/members/:user_id', {
    schema: { tags: ['teams'], summary: 'Remove a member (or leave)', params: MemberParams, response: { 200: Ok, ...errors(401, 403, 404, 409) } },
  }, async (req) => {
    await teams.removeMember(callCtx(req), req.params.id, req.params.user_id);
    return { status: 'ok' as const };
  });

  app.get('/api/v1/teams/:id/channels', {
    schema: { tags: ['teams'], summary: 'Channels of a team I can see', params: IdParams, querystring: IncludeArchived, response: { 200: Type.Array(ChannelSchema), ...errors(401, 404) } },
  }, async (req) => (await teams.channels(callCtx(req), req.params.id, req.query.include_archived === true)).map(channelView));

  app.get('/api/v1/teams/:id/channels/name/:name', {
    schema: {
      tags: ['teams'], summary: 'A channel of a team by name', params: Type.Object({ id: Id, name: Type.String({ maxLength: 64 }) }),
      response: { 200: ChannelSchema, ...errors(401, 404) },
    },
  }, async (req) => channelView(await channels.getByName(callCtx(req), req.params.id, req.params.name)));
}
