/**
 * The web client's view types are the response schemas (web/src/lib/types.ts), and the
 * server's presenters and event map are typed by hand (src/domain/presenters.ts): they must
 * be the same shapes, or an event's post would not be a response's post. Checked by the
 * compiler (`npm run typecheck` covers test/); the test body only makes Vitest list it.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { ChannelMemberView, ChannelView, PostView, TeamMemberView, TeamView, UserView } from '../../src/domain/presenters.js';
import type { EventMap } from '../../src/domain/events.js';
import type { Channel, ChannelMember, Post, Team, TeamMember, User } from '../../web/src/lib/types.js';
import type { ServerEvent } from '../../web/src/lib/realtime.js';

describe('view types', () => {
  it('presenters and response schemas describe the same shapes', () => {
    expectTypeOf<User>().toEqualTypeOf<UserView>();
    expectTypeOf<Team>().toEqualTypeOf<TeamView>();
    expectTypeOf<TeamMember>().toEqualTypeOf<TeamMemberView>();
    expectTypeOf<Channel>().toEqualTypeOf<ChannelView>();
    expectTypeOf<ChannelMember>().toEqualTypeOf<ChannelMemberView>();
    expectTypeOf<Post>().toEqualTypeOf<PostView>();
  });

  it('the client reads events with the server event map', () => {
    expectTypeOf<Extract<ServerEvent, { event: 'posted' }>['data']>().toEqualTypeOf<EventMap['posted']>();
    expectTypeOf<EventMap['posted']['post']>().toEqualTypeOf<Post>();
  });
});
