/** Security events (contract §7) as the app logged them. */
import type { TestApp } from '../../helpers/app.js';

export function securityEvents(t: TestApp, name: string): Record<string, any>[] {
  return t.logs.lines
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, any>;
      } catch {
        return undefined;
      }
    })
    .filter((e): e is Record<string, any> => e !== undefined && e.security_event === name);
}
