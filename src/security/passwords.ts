/**
 * Argon2id password hashing (m=19 MiB, t=2, p=1: OWASP's recommended minimum), PHC strings.
 * `verifyOrDummy` spends the same work when there is no hash to check, so that login takes
 * as long for an unknown user as for a wrong password.
 */
import { hash, verify } from '@node-rs/argon2';

const PARAMS = { algorithm: 2 /* Algorithm.Argon2id (a const enum) */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

let dummyHash: Promise<string> | undefined;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

/** True only when `hash` is present and matches. Never throws on a malformed hash. */
export async function verifyOrDummy(hashed: string | null | undefined, password: string): Promise<boolean> {
  if (!hashed) {
    dummyHash ??= hash('rustchat-timing-equaliser', PARAMS);
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}
