/**
 * The access matrix for WebSocket actions, the sibling of test/http/access-matrix.test.ts:
 * every client action that names a resource is probed by people who may not see it (a user in
 * no team, a user of another team, a teammate outside a private channel, someone outside a
 * direct or group message), and must be refused exactly as a random id that exists nowhere
 * (same FAIL code and message), while members are let in.
 *
 * Coverage: every action of CLIENT_ACTIONS (the parser accepts no other) has a row here or in
 * WS_GLOBAL with the reason it touches no one else's data, so a new action cannot ship
 * without its row.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ACTIONS, type ActionReply, type ClientActionName } from '../../src/domain/events.js';
import { parseAction } from '../../src/realtime/protocol.js';
import { STORES } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, directChannel, registerUser, type TestUser } from '../helpers/factories.js';
import { WsClient } from '../helpers/ws-client.js';
import { listening, type Live } from './helpers.js';

interface World {
  alice: TestUser; bob: TestUser; carol: TestUser; dave: TestUser; erin: TestUser; gina: TestUser;
  pub: string; priv: string; dm: string; grp: string; rootPriv: string;
}

interface WsProbe {
  readonly action: ClientActionName;
  readonly kind: 'channel';
  readonly data: (w: World, id: string) => unknown;
}

const WS_PROBES: WsProbe[] = [
  { action: 'user_typing', kind: 'channel', data: (_w, id) => ({ channel_id: id }) },
  { action: 'user_typing', kind: 'channel', data: (w, id) => ({ channel_id: id, parent_id: w.rootPriv }) },
];

/** Actions that name no resource, and why. */
const WS_GLOBAL: Partial<Record<ClientActionName, string>> = {
  ping: 'answers pong; reads nothing',
  presence: "sets the caller's own status; status is server-wide like the directory",
};

function answer(r: ActionReply): string {
  return r.status === 'OK' ? 'OK' : `${r.error.code}: ${r.error.message}`;
}

describe('WebSocket access matrix: coverage', () => {
  it('has a row (or a reason) for every client action', () => {
    const covered = new Set<string>([...WS_PROBES.map((p) => p.action), ...Object.keys(WS_GLOBAL)]);
    expect(CLIENT_ACTIONS.filter((a) => !covered.has(a))).toEqual([]);
  });

  it('accepts no action outside CLIENT_ACTIONS', () => {
    for (const action of ['subscribe', 'get_statuses', 'user_typing2', '__proto__', 'constructor']) {
      expect(parseAction(JSON.stringify({ action, seq: 1, data: {} }))).toMatchObject({ ok: false, message: 'Unknown action' });
    }
  });
});

describe.each(STORES)('WebSocket access matrix (%s)', (kind) => {
  let live: Live;
  let w: World;
  const sockets = new Map<TestUser, WsClient>();

  beforeAll(async () => {
    live = await listening(kind);
    const api = live.t.api;
    const [alice, bob, carol, dave, erin, gina] = await Promise.all(['alice', 'bob', 'carol', 'dave', 'erin', 'gina'].map((n) => registerUser(api, n)));
    const teamA = await createTeam(api, alice!, 'invite');
    await addTeamMember(api, alice!, teamA.id, bob!);
    await addTeamMember(api, alice!, teamA.id, erin!);
    const teamB = await createTeam(api, dave!, 'invite');
    await createChannel(api, dave!, teamB.id, 'public');
    const pub = await createChannel(api, alice!, teamA.id, 'public');
    const priv = await createChannel(api, alice!, teamA.id, 'private');
    await addChannelMember(api, alice!, pub.id, bob!);
    await addChannelMember(api, alice!, priv.id, bob!);
    const dm = await directChannel(api, alice!, bob!);
    const grp = (await api.post('/api/v1/channels', { channel_type: 'group', user_ids: [bob!.id, gina!.id] }, alice!.token)).body;
    const rootPriv = (await createPost(api, alice!, priv.id, 'private root')).id;
    w = { alice: alice!, bob: bob!, carol: carol!, dave: dave!, erin: erin!, gina: gina!, pub: pub.id, priv: priv.id, dm: dm.id, grp: grp.id, rootPriv };
    for (const u of [w.bob, w.carol, w.dave, w.erin, w.gina]) sockets.set(u, await WsClient.connect(live.url, { token: u.token }));
  });
  afterAll(async () => {
    for (const s of sockets.values()) s.close();
    await live?.t.close();
  });

  /** The channels each outsider must not act on. */
  function targets(actor: TestUser): string[] {
    if (actor === w.carol || actor === w.dave) return [w.pub, w.priv, w.dm, w.grp];
    if (actor === w.gina) return [w.priv, w.dm];
    return [w.priv, w.dm, w.grp]; // erin: in the team and in no channel but town square
  }

  it('refuses outsiders exactly as it refuses a random id', async () => {
    const failures: string[] = [];
    let compared = 0;
    for (const actor of [w.carol, w.dave, w.erin, w.gina]) {
      const ws = sockets.get(actor)!;
      for (const p of WS_PROBES) {
        for (const id of targets(actor)) {
          const real = answer(await ws.send(p.action, p.data(w, id)));
          const random = answer(await ws.send(p.action, p.data(w, randomUUID())));
          compared++;
          const label = `${p.action} as ${actor.username} on ${id}`;
          if (real !== random) failures.push(`${label}: ${real} vs random ${random}`);
          else if (!real.startsWith('NOT_FOUND')) failures.push(`${label}: ${real}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(26);
  });

  it('still lets members in (the probes are not refused for everyone)', async () => {
    const bob = sockets.get(w.bob)!;
    for (const p of WS_PROBES) {
      for (const id of [w.pub, w.priv, w.dm, w.grp]) expect(answer(await bob.send(p.action, p.data(w, id)))).toBe('OK');
    }
    expect(answer(await sockets.get(w.gina)!.send('user_typing', { channel_id: w.grp }))).toBe('OK');
  });
});
