/**
 * The web client's view types are the response schemas (web/src/lib/types.ts), and the
 * server's presenters and event map are typed by hand (src/domain/presenters.ts): they must
 * be the same shapes, or an event's post would not be a response's post. Checked by the
 * compiler (`npm run typecheck` covers test/); the test body only makes Vitest list it.
 */
import type { Static } from 'typebox';
import { describe, expectTypeOf, it } from 'vitest';
import type { ChannelRole as DomainChannelRole, SystemRole as DomainSystemRole, TeamRole as DomainTeamRole } from '../../src/domain/entities.js';
import type { passwordPolicy } from '../../src/domain/password-policy.js';
import type { ChannelMemberView, ChannelView, FileView, PostView, SsoLoginOptionView, TeamMemberView, TeamView, UserView } from '../../src/domain/presenters.js';
import type { SsoProviderType as DomainSsoProviderType } from '../../src/domain/sso.js';
import type { EventMap } from '../../src/domain/events.js';
import type { ChannelRole, SsoProviderType, SystemRole, TeamRole } from '../../src/http/schemas.js';
import type {
  Channel, ChannelMember, FileInfo, OAuthProvider, PasswordPolicy, Post, SessionResponse, SsoSessionResponse, Team, TeamMember, User,
} from '../../web/src/lib/types.js';
import type { ServerEvent } from '../../web/src/lib/realtime.js';

describe('view types', () => {
  it('presenters and response schemas describe the same shapes', () => {
    expectTypeOf<User>().toEqualTypeOf<UserView>();
    expectTypeOf<Team>().toEqualTypeOf<TeamView>();
    expectTypeOf<TeamMember>().toEqualTypeOf<TeamMemberView>();
    expectTypeOf<Channel>().toEqualTypeOf<ChannelView>();
    expectTypeOf<ChannelMember>().toEqualTypeOf<ChannelMemberView>();
    expectTypeOf<Post>().toEqualTypeOf<PostView>();
    expectTypeOf<OAuthProvider>().toEqualTypeOf<SsoLoginOptionView>();
    expectTypeOf<FileInfo>().toEqualTypeOf<FileView>();
  });

  it('the sign-in shapes are the schemas the routes declare', () => {
    expectTypeOf<Omit<SsoSessionResponse, 'redirect_to'>>().toEqualTypeOf<SessionResponse>();
    expectTypeOf<SsoSessionResponse['redirect_to']>().toEqualTypeOf<string>();
    // What GET /api/v1/auth/policy returns fits the schema, and the schema has nothing more.
    expectTypeOf<typeof passwordPolicy & { registration_open: boolean }>().toExtend<PasswordPolicy>();
    expectTypeOf<keyof PasswordPolicy>().toEqualTypeOf<keyof typeof passwordPolicy | 'registration_open'>();
  });

  it('the schemas name roles and provider types as the domain does', () => {
    expectTypeOf<Static<typeof SystemRole>>().toEqualTypeOf<DomainSystemRole>();
    expectTypeOf<Static<typeof TeamRole>>().toEqualTypeOf<DomainTeamRole>();
    expectTypeOf<Static<typeof ChannelRole>>().toEqualTypeOf<DomainChannelRole>();
    expectTypeOf<Static<typeof SsoProviderType>>().toEqualTypeOf<DomainSsoProviderType>();
  });

  it('the client reads events with the server event map', () => {
    expectTypeOf<Extract<ServerEvent, { event: 'posted' }>['data']>().toEqualTypeOf<EventMap['posted']>();
    expectTypeOf<EventMap['posted']['post']>().toEqualTypeOf<Post>();
    expectTypeOf<Extract<ServerEvent, { event: 'file_deleted' }>['data']>().toEqualTypeOf<EventMap['file_deleted']>();
  });
});
