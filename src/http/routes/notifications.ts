/**
 * Notification preferences (mine, and mine per channel), muting, and the unsubscribe link of
 * notification e-mail (public: it works without signing in; the signed token names the user
 * and serves nothing else). See services/notifications.ts.
 */
import { Type } from 'typebox';
import { MAX_KEYWORDS, MAX_KEYWORD_LENGTH, type NotifyPrefs } from '../../domain/notify-rules.js';
import type { HttpDeps } from '../server.js';
import { Body, IdParams, Millis, Nullable, Ok, errors } from '../schemas.js';
import { callCtx, type App } from '../types.js';

const Level = Type.Union([Type.Literal('all'), Type.Literal('mention'), Type.Literal('none')]);
const ChannelLevel = Type.Union([Type.Literal('default'), Type.Literal('all'), Type.Literal('mention'), Type.Literal('none')]);
const Interval = Type.Union([Type.Literal('immediately'), Type.Literal('fifteen'), Type.Literal('hour')]);
const MarkUnread = Type.Union([Type.Literal('all'), Type.Literal('mention')]);
const IgnoreChannel = Type.Union([Type.Literal('default'), Type.Literal('on'), Type.Literal('off')]);

const DND_SCHEDULE_DESCRIPTION = 'Recurring do-not-disturb (quiet hours) in the person\'s time zone (users.timezone; UTC when unset): while `enabled`, '
  + 'the person counts as in do-not-disturb during each period, whatever their status (no desktop, no push; e-mail as for do-not-disturb). '
  + 'At most one period per weekday (`day` 0 = Sunday … 6 = Saturday), from `start` (HH:MM, 00:00–23:59) to `end` (HH:MM, 00:00–24:00, not equal to start); '
  + 'an end earlier than the start runs past midnight into the next day. Only these fields; broken rules are a 422 naming the field.';
const DndPeriodSchema = Type.Object({
  day: Type.Integer({ description: 'Weekday the period starts on: 0 = Sunday … 6 = Saturday' }),
  start: Type.String({ description: 'Local time HH:MM, 00:00–23:59' }),
  end: Type.String({ description: 'Local time HH:MM, 00:00–24:00; earlier than start: the next day' }),
});
const DndScheduleSchema = Type.Object({ enabled: Type.Boolean(), days: Type.Array(DndPeriodSchema) }, { description: DND_SCHEDULE_DESCRIPTION });
// The body's schedule checks only JSON types (a wrong type is a 400, as elsewhere): its rules and
// unknown fields are the service's (a 422 naming the field, e.g. `dnd_schedule.days[1].end`).
const DndScheduleInput = Nullable(Type.Object({
  enabled: Type.Optional(Type.Boolean()),
  days: Type.Optional(Type.Array(Type.Object({ day: Type.Optional(Type.Integer()), start: Type.Optional(Type.String({ maxLength: 64 })), end: Type.Optional(Type.String({ maxLength: 64 })) }), { maxItems: 64 })),
}, { description: `${DND_SCHEDULE_DESCRIPTION} null: no schedule.` }));

const PrefsSchema = Type.Object({
  desktop: Level, email: Level, push: Level,
  keywords: Type.Array(Type.String()),
  first_name: Type.Boolean(), channel_mentions: Type.Boolean(),
  email_interval: Interval, desktop_sound: Type.Boolean(),
  dnd_end_at: Nullable(Millis),
  dnd_schedule: DndScheduleSchema,
});
const ChannelPropsSchema = Type.Object({ desktop: ChannelLevel, email: ChannelLevel, push: ChannelLevel, mark_unread: MarkUnread, ignore_channel_mentions: IgnoreChannel });
const TokenQuery = Type.Object({ token: Type.String({ maxLength: 200 }) });

const prefsView = (p: NotifyPrefs) => ({ ...p, keywords: [...p.keywords], dnd_schedule: { enabled: p.dnd_schedule.enabled, days: p.dnd_schedule.days.map((d) => ({ ...d })) } });

const page = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

export function notificationRoutes(app: App, deps: HttpDeps): void {
  const { notifications } = deps.services;

  app.get('/api/v1/users/me/preferences/notifications', {
    schema: { tags: ['notifications'], summary: 'My notification preferences', response: { 200: PrefsSchema, ...errors(401) } },
  }, async (req) => prefsView(await notifications.preferences(callCtx(req))));

  app.put('/api/v1/users/me/preferences/notifications', {
    schema: {
      tags: ['notifications'],
      summary: 'Change my notification preferences (fields left out keep their values): levels per medium, keywords (literal, any case, whole words), first name, @channel, e-mail batching interval, desktop sound, do-not-disturb end time, do-not-disturb schedule (replaced as a whole)',
      body: Body({
        desktop: Type.Optional(Level), email: Type.Optional(Level), push: Type.Optional(Level),
        keywords: Type.Optional(Type.Array(Type.String({ maxLength: MAX_KEYWORD_LENGTH }), { maxItems: MAX_KEYWORDS })),
        first_name: Type.Optional(Type.Boolean()), channel_mentions: Type.Optional(Type.Boolean()),
        email_interval: Type.Optional(Interval), desktop_sound: Type.Optional(Type.Boolean()),
        dnd_end_at: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
        dnd_schedule: Type.Optional(DndScheduleInput),
      }),
      response: { 200: PrefsSchema, ...errors(400, 401, 422) },
    },
  }, async (req) => prefsView(await notifications.setPreferences(callCtx(req), req.body)));

  app.put('/api/v1/users/me/sessions/device', {
    schema: {
      tags: ['notifications'], summary: 'Register the phone of this session for push notifications (Mattermost mobile\'s device_id, `<platform>:<token>`)',
      body: Body({ device_id: Type.String({ minLength: 3, maxLength: 1100 }) }),
      response: { 200: Ok, ...errors(400, 401, 422) },
    },
  }, async (req) => {
    await deps.services.push.registerDevice(callCtx(req), req.body.device_id);
    return { status: 'ok' as const };
  });

  app.get('/api/v1/channels/:id/members/me/notify_props', {
    schema: { tags: ['notifications'], summary: 'My notification preferences for a channel (members only)', params: IdParams, response: { 200: ChannelPropsSchema, ...errors(401, 403, 404) } },
  }, async (req) => notifications.channelProps(callCtx(req), req.params.id));

  app.put('/api/v1/channels/:id/members/me/notify_props', {
    schema: {
      tags: ['notifications'],
      summary: 'Change my notification preferences for a channel (fields left out keep their values); mark_unread "mention" mutes it',
      params: IdParams,
      body: Body({
        desktop: Type.Optional(ChannelLevel), email: Type.Optional(ChannelLevel), push: Type.Optional(ChannelLevel),
        mark_unread: Type.Optional(MarkUnread), ignore_channel_mentions: Type.Optional(IgnoreChannel),
      }),
      response: { 200: ChannelPropsSchema, ...errors(400, 401, 403, 404, 422) },
    },
  }, async (req) => notifications.setChannelProps(callCtx(req), req.params.id, req.body));

  app.put('/api/v1/channels/:id/members/me/mute', {
    schema: { tags: ['notifications'], summary: 'Mute a channel for me (no notifications, not shown as unread)', params: IdParams, response: { 200: ChannelPropsSchema, ...errors(401, 403, 404) } },
  }, async (req) => notifications.setChannelProps(callCtx(req), req.params.id, { mark_unread: 'mention' }));

  app.delete('/api/v1/channels/:id/members/me/mute', {
    schema: { tags: ['notifications'], summary: 'Unmute a channel for me', params: IdParams, response: { 200: ChannelPropsSchema, ...errors(401, 403, 404) } },
  }, async (req) => notifications.setChannelProps(callCtx(req), req.params.id, { mark_unread: 'all' }));

  // The link in the mail opens a page with a button (link scanners that follow GETs change nothing);
  // the button, and mail clients' one-click unsubscribe (RFC 8058, List-Unsubscribe-Post), POST.
  app.get('/api/v1/notifications/unsubscribe', {
    config: { public: true, rateLimit: 'auth' },
    schema: { tags: ['notifications'], summary: 'The page of an e-mail unsubscribe link: a button that stops notification e-mail (no sign-in)', querystring: TokenQuery },
  }, async (req, reply) => {
    const action = `/api/v1/notifications/unsubscribe?token=${encodeURIComponent(req.query.token)}`;
    return reply.type('text/html; charset=utf-8').send(page('Stop notification e-mails', `<form method="post" action="${action.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"><p>You will no longer get e-mail about new messages. You can turn them back on in your notification settings.</p><button type="submit">Stop notification e-mails</button></form>`));
  });

  void app.register(async (scoped: App) => {
    // One-click unsubscribe posts `List-Unsubscribe=One-Click` as a form: read and ignored (the token is in the URL).
    scoped.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 }, (_req, _body, done) => done(null, undefined));
    scoped.post('/api/v1/notifications/unsubscribe', {
      config: { public: true, rateLimit: 'auth' },
      schema: { tags: ['notifications'], summary: 'Stop notification e-mail for the user the signed token names (no sign-in; one-click unsubscribe)', querystring: TokenQuery, response: { 400: errors(400)[400] } },
    }, async (req, reply) => {
      await notifications.unsubscribe(req.query.token);
      return reply.type('text/html; charset=utf-8').send(page('Unsubscribed', '<p>You will no longer get e-mail about new messages.</p>'));
    });
  });
}
