/**
 * "Who receives this event", as one table: every selector of a Broadcast, the union of
 * selectors, omit_user_id, the removed user's own user_removed, and the presence fan-out limit.
 * The same function answers live fan-out, parked items and replayed frames, so the index
 * (MembershipIndex.audience) must agree with it row by row.
 */
import { describe, expect, it } from 'vitest';
import type { Broadcast } from '../../src/domain/events.js';
import { receives, targetOf, type Subscriber } from '../../src/realtime/audience.js';
import { MembershipIndex } from '../../src/realtime/membership-index.js';

const ann: Subscriber = { userId: 'ann', channels: new Set(['c1', 'big']), teams: new Set(['t1']) };
const ben: Subscriber = { userId: 'ben', channels: new Set(['c2', 'big']), teams: new Set(['t2']) };
const cid: Subscriber = { userId: 'cid', channels: new Set(['big']), teams: new Set() };
const PEOPLE = [ann, ben, cid];
/** 'big' has 3 members online here; the limit in the table is 2. */
const LIMIT = 2;

const rows: Array<[string, Broadcast, string | undefined, string[]]> = [
  ['channel members', { channel_id: 'c1' }, undefined, ['ann']],
  ['a channel nobody here is in', { channel_id: 'nope' }, undefined, []],
  ['one user', { user_id: 'ben' }, undefined, ['ben']],
  ['team members', { team_id: 't2' }, undefined, ['ben']],
  ['any of several teams, each once', { team_ids: ['t1', 't2'] }, undefined, ['ann', 'ben']],
  ['team_id and team_ids together', { team_id: 't1', team_ids: ['t2'] }, undefined, ['ann', 'ben']],
  ['co-members under the fan-out limit', { channel_ids: ['c1', 'c2'] }, undefined, ['ann', 'ben']],
  ['co-members through a channel over the limit: nobody', { channel_ids: ['big'] }, undefined, []],
  ['presence: the user plus co-members', { channel_ids: ['big', 'c2'], user_id: 'ann' }, undefined, ['ann', 'ben']],
  ['omit wins over every selector', { channel_id: 'big', user_id: 'ann', omit_user_id: 'ann' }, undefined, ['ben', 'cid']],
  ['the removed user gets their own removal', { channel_id: 'c2' }, 'cid', ['ben', 'cid']],
  ['unless omitted', { channel_id: 'c2', omit_user_id: 'cid' }, 'cid', ['ben']],
  ['everyone (server-wide news: custom emoji)', { all: true }, undefined, ['ann', 'ben', 'cid']],
  ['everyone but the omitted', { all: true, omit_user_id: 'ben' }, undefined, ['ann', 'cid']],
  ['no selector: nobody', {}, undefined, []],
];

describe('receives(): who gets an event', () => {
  const crowd = (c: string): number => PEOPLE.filter((p) => p.channels.has(c)).length;
  it.each(rows)('%s', (_name, broadcast, removed, expected) => {
    const target = targetOf(broadcast, removed);
    expect(PEOPLE.filter((p) => receives(p, target, { crowd, fanoutLimit: LIMIT })).map((p) => p.userId)).toEqual(expected);
  });

  it.each(rows)('the index gathers the same audience: %s', (_name, broadcast, removed, expected) => {
    const index = new MembershipIndex(LIMIT);
    for (const p of PEOPLE) index.set(p.userId, p.channels, p.teams);
    expect([...index.audience(targetOf(broadcast, removed))].sort()).toEqual(expected);
    for (const p of PEOPLE) expect(index.receives(p.userId, targetOf(broadcast, removed))).toBe(expected.includes(p.userId));
  });

  it('follows membership changes', () => {
    const index = new MembershipIndex(LIMIT);
    index.set('ann', ['c1'], []);
    index.removeChannel('ann', 'c1');
    expect([...index.audience(targetOf({ channel_id: 'c1' }))]).toEqual([]);
    index.addTeam('ann', 't9');
    expect([...index.audience(targetOf({ team_id: 't9' }))]).toEqual(['ann']);
    index.delete('ann');
    expect([...index.audience(targetOf({ team_id: 't9' }))]).toEqual([]);
    expect(index.crowd('c1')).toBe(0);
  });
});
