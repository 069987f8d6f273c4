/**
 * Ids: every id the server issues is a UUID (crypto.randomUUID). This is the one pattern an
 * id is checked against, in HTTP schemas (`pattern`, hence the spelled-out case), WebSocket
 * actions and resume parameters, and post cursors.
 */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const UUID_RE = new RegExp(UUID_PATTERN);

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}
