/**
 * custom_emoji_added / custom_emoji_deleted reach every signed-in connection (broadcast `all`),
 * including people who share no team or channel with the creator, and only after the commit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from '../helpers/factories.js';
import { png, uploadEmoji } from '../helpers/uploads.js';
import { WsClient } from '../helpers/ws-client.js';
import { listening, type Live } from './helpers.js';

describe('custom emoji events', () => {
  let live: Live;
  let alice: TestUser;
  let stranger: TestUser;
  beforeAll(async () => {
    live = await listening('sqlite');
    [alice, stranger] = await Promise.all([registerUser(live.t.api, 'alice'), registerUser(live.t.api, 'stranger')]);
  });
  afterAll(async () => live?.t.close());

  it('tells everyone connected when a custom emoji is added and deleted', async () => {
    const mine = await WsClient.connect(live.url, { token: alice.token });
    const theirs = await WsClient.connect(live.url, { token: stranger.token });
    const created = await uploadEmoji(live.t.api, alice, 'wsparrot', await png(10, 10));
    expect(created.status).toBe(201);
    for (const c of [mine, theirs]) {
      const ev = await c.waitForEvent('custom_emoji_added', (d) => d.emoji.name === 'wsparrot');
      expect(ev.data).toEqual({ emoji: created.body });
      expect(ev.broadcast).toEqual({ channel_id: '', team_id: '', user_id: '' });
    }
    // A refused upload publishes nothing.
    expect((await uploadEmoji(live.t.api, stranger, 'wsparrot', await png(10, 10))).status).toBe(409);
    expect((await live.t.api.delete(`/api/v1/emoji/${created.body.id}`, stranger.token)).status).toBe(403);
    expect((await live.t.api.delete(`/api/v1/emoji/${created.body.id}`, alice.token)).status).toBe(200);
    for (const c of [mine, theirs]) {
      const ev = await c.waitForEvent('custom_emoji_deleted', (d) => d.emoji.id === created.body.id);
      expect(ev.data).toEqual({ emoji: created.body });
      expect(c.named('custom_emoji_added')).toHaveLength(1);
      expect(c.named('custom_emoji_deleted')).toHaveLength(1);
      expect(c.seqErrors).toEqual([]);
    }
    mine.close();
    theirs.close();
  });
});
