/**
 * Version 4: an exchange code remembers the browser that started its sign-in (the hash of the
 * flow's cookie, copied from the state), so that only that browser can redeem it. NULL means
 * "bound to no browser": such a code is refused (codes issued before this version, which live
 * 60 seconds; the mobile flow will bind to a PKCE challenge in a column of its own).
 */
import type { Migration } from '../migrations.js';

export const exchangeBinding: Migration = {
  version: 4,
  name: 'exchange-binding',
  sql: `
ALTER TABLE oauth_exchange_codes ADD COLUMN browser_hash TEXT;
`,
};
