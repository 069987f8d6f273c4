/** Shared bits of the real-time tests: a listening app, log queries and condition waits. */
import { startApp, type StartOptions, type StoreKind, type TestApp } from '../helpers/app.js';

export interface Live {
  readonly t: TestApp;
  readonly url: string;
}

/** A real app listening on a loopback port (the WebSocket needs a socket, not inject). */
export async function listening(kind: StoreKind, opts: StartOptions = {}): Promise<Live> {
  const t = await startApp(kind, opts);
  try {
    const { url } = await t.app.listen();
    return { t, url };
  } catch (err) {
    await t.close();
    throw err;
  }
}

/** Parsed log lines carrying a security event (optionally one kind). */
export function securityEvents(t: TestApp, name?: string): Array<Record<string, any>> {
  return t.logs.lines
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, any>;
      } catch {
        return {};
      }
    })
    .filter((o) => o.security_event !== undefined && (name === undefined || o.security_event === name));
}

/** Waits until `check` returns true, re-checking on every turn of the event loop, up to `timeout` ms. */
export async function until(check: () => boolean | Promise<boolean>, timeout = 10_000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
