/**
 * The per-process copy of a team's outgoing hooks (services/webhooks.ts HookLists): a read that
 * started before a change was announced never keeps its answer, so a stale list cannot outlive
 * the announcement; a copy is kept until forgotten or HOOK_LIST_MS old.
 */
import { describe, expect, it } from 'vitest';
import { HOOK_LIST_MS, HookLists } from '../../src/services/webhooks.js';
import type { OutgoingWebhook } from '../../src/domain/webhooks.js';

const hook = (id: string): OutgoingWebhook => ({ id }) as OutgoingWebhook;

describe('hook lists', () => {
  it('keeps a read, forgets it on announcement, and never keeps a read that an announcement overtook', async () => {
    let now = 0;
    let answer: OutgoingWebhook[] = [hook('a')];
    const pending: Array<() => void> = [];
    let reads = 0;
    let hold = false;
    const lists = new HookLists(() => now, async () => {
      reads++;
      const value = answer;
      if (hold) await new Promise<void>((resolve) => pending.push(resolve));
      return value;
    });
    expect((await lists.of('t')).map((h) => h.id)).toEqual(['a']);
    expect((await lists.of('t')).map((h) => h.id)).toEqual(['a']);
    expect(reads).toBe(1);
    // A read in flight when a change is announced: its (old) answer is returned but not kept.
    lists.forget('t');
    hold = true;
    const inFlight = lists.of('t');
    answer = [hook('b')];
    lists.forget('t');
    pending.shift()!();
    expect((await inFlight).map((h) => h.id)).toEqual(['a']);
    hold = false;
    expect((await lists.of('t')).map((h) => h.id)).toEqual(['b']);
    expect(reads).toBe(3);
    // Kept until HOOK_LIST_MS old; a resync forgets every team.
    now += HOOK_LIST_MS - 1;
    await lists.of('t');
    expect(reads).toBe(3);
    now += 1;
    await lists.of('t');
    expect(reads).toBe(4);
    lists.forgetAll();
    await lists.of('t');
    expect(reads).toBe(5);
  });
});
