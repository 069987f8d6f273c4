/** Environments for configuration and startup tests (no app imported: cheap to load). */
import { randomBytes } from 'node:crypto';
import type { Env } from '../../src/config/load.js';

/** A random secret that passes the startup checks. */
export const strongSecret = (): string => randomBytes(48).toString('base64');

/** A production environment that passes every startup check, with its data in `dataDir`. */
export function productionEnv(dataDir: string, overrides: Env = {}): Env {
  return {
    RUSTCHAT_ENVIRONMENT: 'production',
    RUSTCHAT_JWT_SECRET: strongSecret(),
    RUSTCHAT_ENCRYPTION_KEY: strongSecret(),
    RUSTCHAT_SITE_URL: 'https://chat.example.com',
    RUSTCHAT_JWT_ISSUER: 'https://chat.example.com',
    RUSTCHAT_JWT_AUDIENCE: 'rustchat',
    RUSTCHAT_DATA_DIR: dataDir,
    ...overrides,
  };
}
