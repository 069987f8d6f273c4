/**
 * The registry of columns holding SecretBox-sealed values, and the storage verbs key
 * rotation needs. Every sealed secret at rest is listed here, so `rustchat
 * rotate-encryption-key` re-encrypts it and the code that seals it uses the same AAD.
 * A new sealed column: add an entry (and seal with `entry.aad(id)`).
 */

export interface SealedColumn {
  readonly table: string;
  /** The primary-key column (text); part of the AAD, so a value copied to another row does not open. */
  readonly idColumn: string;
  readonly column: string;
  /** The associated data a value of row `id` is sealed with. */
  aad(id: string): string;
}

export const SSO_CLIENT_SECRET: SealedColumn = {
  table: 'sso_providers',
  idColumn: 'id',
  column: 'client_secret_sealed',
  aad: (id) => `sso_providers.client_secret:${id}`,
};

export const OAUTH_PKCE_VERIFIER: SealedColumn = {
  table: 'oauth_states',
  idColumn: 'state_hash',
  column: 'pkce_verifier_sealed',
  aad: (id) => `oauth_states.pkce_verifier:${id}`,
};

/** The token an outgoing webhook sends with every callback (services/webhooks.ts). */
export const OUTGOING_WEBHOOK_TOKEN: SealedColumn = {
  table: 'outgoing_webhooks',
  idColumn: 'id',
  column: 'token_sealed',
  aad: (id) => `outgoing_webhooks.token:${id}`,
};

/** The token a custom slash command sends to its URL (the receiver checks it, so it must be readable). */
export const COMMAND_TOKEN: SealedColumn = {
  table: 'commands',
  idColumn: 'id',
  column: 'token_sealed',
  aad: (id) => `commands.token:${id}`,
};

export const SEALED_COLUMNS: readonly SealedColumn[] = [SSO_CLIENT_SECRET, OAUTH_PKCE_VERIFIER, OUTGOING_WEBHOOK_TOKEN, COMMAND_TOKEN];

export interface SealedRow {
  readonly id: string;
  readonly value: string;
}

export interface SealedValueStore {
  /** Up to `limit` non-null values of a sealed column, in id order, after `afterId` ('' = from the start). */
  scan(column: SealedColumn, afterId: string, limit: number): Promise<SealedRow[]>;
  /** Replaces a value only if it still equals `expected` (compare-and-set; its own commit). */
  replace(column: SealedColumn, id: string, expected: string, next: string): Promise<boolean>;
}
