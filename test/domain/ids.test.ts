/** The one UUID pattern (src/domain/ids.ts), as the HTTP schemas and the WebSocket layer use it. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isUuid, UUID_PATTERN } from '../../src/domain/ids.js';
import { Id } from '../../src/http/schemas.js';
import { parseAction } from '../../src/realtime/protocol.js';

describe('UUID pattern', () => {
  it('accepts what the server issues, in either case', () => {
    const id = randomUUID();
    expect(isUuid(id)).toBe(true);
    expect(isUuid(id.toUpperCase())).toBe(true);
  });

  it('refuses near-misses', () => {
    const id = randomUUID();
    for (const bad of [`urn:uuid:${id}`, `{${id}}`, id.slice(1), `${id} `, id.replace(/-/g, ''), id.replace(/^./, 'g'), 42, null]) {
      expect(isUuid(bad), String(bad)).toBe(false);
    }
  });

  it('is the check of every HTTP id parameter and of WebSocket actions', () => {
    expect((Id as { pattern?: string }).pattern).toBe(UUID_PATTERN);
    const typing = (channelId: string) => parseAction(JSON.stringify({ action: 'user_typing', seq: 1, data: { channel_id: channelId } }));
    expect(typing(randomUUID())).toMatchObject({ ok: true });
    expect(typing(`urn:uuid:${randomUUID()}`)).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
  });
});
