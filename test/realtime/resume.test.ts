/**
 * Resume: a client that reconnects with `connection_id` + `sequence_number` (its next expected
 * seq) gets exactly what it missed — no hello, no duplicate, no gap — from the bounded buffer,
 * re-checked against current membership; otherwise a new hello with a new connection id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { WsClient } from '../helpers/ws-client.js';
import { listening, until, type Live } from './helpers.js';

const postedIds = (...clients: WsClient[]): string[] => clients.flatMap((c) => c.events.filter((e) => e.event === 'posted').map((e) => (e.data as any).post.id as string));

describe('resume', () => {
  let live: Live;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let channel: { id: string };
  beforeAll(async () => {
    live = await listening('sqlite');
    alice = await registerUser(live.t.api, 'alice');
    bob = await registerUser(live.t.api, 'bob');
    carol = await registerUser(live.t.api, 'carol');
    const team = await createTeam(live.t.api, alice);
    await addTeamMember(live.t.api, alice, team.id, bob);
    await addTeamMember(live.t.api, alice, team.id, carol);
    channel = await createChannel(live.t.api, alice, team.id, 'public');
    await addChannelMember(live.t.api, alice, channel.id, bob);
  });
  afterAll(async () => live?.t.close());

  it('replays exactly the events missed while the connection was down during a burst', async () => {
    const first = await WsClient.connect(live.url, { token: bob.token });
    const ids: string[] = [];
    let second: WsClient | undefined;
    for (let i = 0; i < 40; i++) {
      ids.push((await createPost(live.t.api, alice, channel.id, `burst ${i}`)).id);
      if (i === 12) {
        await first.waitForEvent('posted', (d) => d.post.id === ids[12]);
        first.terminate();
      }
      if (i === 25) second = await first.resume(live.url, { token: bob.token });
    }
    await second!.waitForEvent('posted', (d) => d.post.id === ids[39]);
    expect(second!.named('hello')).toEqual([]);
    expect(postedIds(first, second!)).toEqual(ids);
    expect(second!.events[0]!.seq).toBe(first.expectedSeq);
    expect([...first.seqErrors, ...second!.seqErrors]).toEqual([]);
    const resumes = await live.t.app.metrics.wsResumes.get();
    expect(resumes.values.find((v) => v.labels.outcome === 'replayed')?.value).toBeGreaterThanOrEqual(1);
    second!.close();
  });

  it('takes over a connection the server still believes open (the network vanished) and replays what it sent into the void', async () => {
    const first = await WsClient.connect(live.url, { token: bob.token });
    const before = await createPost(live.t.api, alice, channel.id, 'seen');
    await first.waitForEvent('posted', (d) => d.post.id === before.id);
    // The cable is pulled: the server keeps writing into a socket nobody reads.
    first.pauseReading();
    const lost: string[] = [];
    for (let i = 0; i < 5; i++) lost.push((await createPost(live.t.api, alice, channel.id, `into the void ${i}`)).id);
    const second = await first.resume(live.url, { token: bob.token });
    await second.waitForEvent('posted', (d) => d.post.id === lost[4]);
    expect(postedIds(second)).toEqual(lost);
    expect(second.named('hello')).toEqual([]);
    expect(second.seqErrors).toEqual([]);
    first.terminate();
    second.close();
  });

  it('re-checks membership on replay: nothing from a channel the user was removed from meanwhile', async () => {
    const team = await createTeam(live.t.api, alice);
    await addTeamMember(live.t.api, alice, team.id, bob);
    const secret = await createChannel(live.t.api, alice, team.id, 'private');
    await addChannelMember(live.t.api, alice, secret.id, bob);
    const open = await createChannel(live.t.api, alice, team.id, 'public');
    await addChannelMember(live.t.api, alice, open.id, bob);

    const first = await WsClient.connect(live.url, { token: bob.token });
    const mark = await createPost(live.t.api, alice, secret.id, 'last one bob reads');
    await first.waitForEvent('posted', (d) => d.post.id === mark.id);
    // Bob stops reading: these are sent to his socket (and kept for replay) but he never sees them.
    first.pauseReading();
    for (let i = 0; i < 3; i++) await createPost(live.t.api, alice, secret.id, `secret ${i}`);
    expect((await live.t.api.delete(`/api/v1/channels/${secret.id}/members/${bob.id}`, alice.token)).status).toBe(200);
    await createPost(live.t.api, alice, secret.id, 'after removal');
    const visible = await createPost(live.t.api, alice, open.id, 'public news');
    first.terminate();

    const second = await first.resume(live.url, { token: bob.token });
    await second.waitForEvent('posted', (d) => d.post.id === visible.id);
    expect(second.named('hello')).toEqual([]);
    // (Bob's own presence going offline and back is noise here.)
    expect(second.events.map((e) => e.event).filter((e) => e !== 'status_change')).toEqual(['user_removed', 'posted']);
    expect(second.events[0]!.data).toMatchObject({ user_id: bob.id, channel_id: secret.id });
    expect(second.seqErrors).toEqual([]);
    second.close();
  });

  it('never attaches a user to another user\'s connection id', async () => {
    const bobWs = await WsClient.connect(live.url, { token: bob.token });
    const intruder = await WsClient.open(live.url, { token: carol.token, resume: { connectionId: bobWs.connectionId!, sequenceNumber: 1 } });
    const hello = await intruder.waitForEvent('hello');
    expect((hello.data as any).connection_id).not.toBe(bobWs.connectionId);
    // Bob's connection is untouched and keeps receiving.
    const p = await createPost(live.t.api, alice, channel.id, 'still for bob');
    await bobWs.waitForEvent('posted', (d) => d.post.id === p.id);
    expect(intruder.named('posted').map((e) => (e.data as any).post.id)).not.toContain(p.id);
    expect(bobWs.isOpen).toBe(true);
    // Bob, dropped, can still resume his own connection after the attempt.
    bobWs.terminate();
    await until(() => live.t.app.realtime.hub.connectionState(bobWs.connectionId!) === 'dormant', 5000, 'the server to notice the dropped socket');
    const again = await WsClient.open(live.url, { token: carol.token, resume: { connectionId: bobWs.connectionId!, sequenceNumber: bobWs.expectedSeq } });
    await again.waitForEvent('hello');
    const q = await createPost(live.t.api, alice, channel.id, 'missed by bob');
    const back = await bobWs.resume(live.url, { token: bob.token });
    await back.waitForEvent('posted', (d) => d.post.id === q.id);
    expect(back.named('hello')).toEqual([]);
    intruder.close();
    again.close();
    back.close();
  });

  it('answers a resume of an unknown connection, or a future seq, with a new hello', async () => {
    const unknown = await WsClient.open(live.url, { token: bob.token, resume: { connectionId: '00000000-0000-4000-8000-000000000000', sequenceNumber: 5 } });
    await unknown.waitForEvent('hello');
    expect(unknown.seqErrors).toEqual([]);
    unknown.terminate();
    await until(() => live.t.app.realtime.hub.connectionState(unknown.connectionId!) === 'dormant', 5000, 'the server to notice the dropped socket');
    const future = await WsClient.open(live.url, { token: bob.token, resume: { connectionId: unknown.connectionId!, sequenceNumber: 1000 } });
    const hello = await future.waitForEvent('hello');
    expect((hello.data as any).connection_id).not.toBe(unknown.connectionId);
    future.close();
  });
});

describe('resume past the buffer', () => {
  let live: Live;
  let alice: TestUser;
  let bob: TestUser;
  let channel: { id: string };
  beforeAll(async () => {
    live = await listening('sqlite', { env: { RUSTCHAT_WS_REPLAY_BUFFER_SIZE: '8', RUSTCHAT_WS_SEND_QUEUE_SIZE: '4' } });
    alice = await registerUser(live.t.api, 'alice');
    bob = await registerUser(live.t.api, 'bob');
    const team = await createTeam(live.t.api, alice);
    await addTeamMember(live.t.api, alice, team.id, bob);
    channel = await createChannel(live.t.api, alice, team.id, 'public');
    await addChannelMember(live.t.api, alice, channel.id, bob);
  });
  afterAll(async () => live?.t.close());

  it('sends a new hello when more was missed than the buffer holds', async () => {
    const first = await WsClient.connect(live.url, { token: bob.token });
    first.terminate();
    await until(() => live.t.app.realtime.hub.connectionState(first.connectionId!) !== 'live', 5000, 'the server to notice the dropped socket');
    for (let i = 0; i < 12; i++) await createPost(live.t.api, alice, channel.id, `while away ${i}`);
    const second = await first.resume(live.url, { token: bob.token });
    const hello = await second.waitForEvent('hello');
    expect(hello.seq).toBe(0);
    expect((hello.data as any).connection_id).not.toBe(first.connectionId);
    expect(second.named('posted')).toEqual([]);
    second.close();
  });

  it('sends a new hello when the asked-for seq has left the replay ring', async () => {
    const first = await WsClient.connect(live.url, { token: bob.token });
    let last = '';
    for (let i = 0; i < 12; i++) last = (await createPost(live.t.api, alice, channel.id, `read ${i}`)).id;
    await first.waitForEvent('posted', (d) => d.post.id === last);
    first.terminate();
    await until(() => live.t.app.realtime.hub.connectionState(first.connectionId!) !== 'live', 5000, 'the server to notice the dropped socket');
    const second = await WsClient.open(live.url, { token: bob.token, resume: { connectionId: first.connectionId!, sequenceNumber: 2 } });
    const hello = await second.waitForEvent('hello');
    expect((hello.data as any).connection_id).not.toBe(first.connectionId);
    second.close();
  });

  it('still resumes a gap the buffer covers', async () => {
    const first = await WsClient.connect(live.url, { token: bob.token });
    first.terminate();
    await until(() => live.t.app.realtime.hub.connectionState(first.connectionId!) !== 'live', 5000, 'the server to notice the dropped socket');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createPost(live.t.api, alice, channel.id, `short gap ${i}`)).id);
    const second = await first.resume(live.url, { token: bob.token });
    await second.waitForEvent('posted', (d) => d.post.id === ids[2]);
    expect(postedIds(second)).toEqual(ids);
    expect(second.named('hello')).toEqual([]);
    second.close();
  });
});

describe('heartbeat', () => {
  it('drops a client that stops answering pings, keeps it resumable, and counts it in the metrics', async () => {
    const live = await listening('sqlite', { env: { RUSTCHAT_WS_HEARTBEAT_SECONDS: '1' } });
    try {
      const alice = await registerUser(live.t.api, 'alice');
      const bob = await registerUser(live.t.api, 'bob');
      const team = await createTeam(live.t.api, alice);
      await addTeamMember(live.t.api, alice, team.id, bob);
      const ch = await createChannel(live.t.api, alice, team.id, 'public');
      await addChannelMember(live.t.api, alice, ch.id, bob);
      const gauge = async () => (await live.t.app.metrics.wsConnections.get()).values[0]?.value;
      const c = await WsClient.connect(live.url, { token: bob.token });
      expect(await gauge()).toBe(1);
      // Answering pings (ws does it by itself while reading) keeps the connection up: a third ping
      // only comes after the first two were answered.
      await until(() => c.pings >= 3, 10_000, 'three heartbeats');
      expect(live.t.app.realtime.hub.connectionState(c.connectionId!)).toBe('live');
      c.pauseReading();
      await until(() => live.t.app.realtime.hub.connectionState(c.connectionId!) === 'dormant', 10_000, 'the heartbeat to drop the silent client');
      expect(await gauge()).toBe(0);
      const reasons = (await live.t.app.metrics.wsDisconnects.get()).values.map((v) => v.labels.reason);
      expect(reasons).toContain('heartbeat');
      const missed = await createPost(live.t.api, alice, ch.id, 'while silent');
      c.terminate();
      const back = await c.resume(live.url, { token: bob.token });
      await back.waitForEvent('posted', (d) => d.post.id === missed.id);
      expect(back.named('hello')).toEqual([]);
      back.close();
    } finally {
      await live.t.close();
    }
  });
});
