/** The "clear after" choices of a custom status (labels: catalogue keys). */

export const STATUS_EXPIRIES = [
  { value: 'never', label: 'settings.expiry.never' },
  { value: '30m', label: 'settings.expiry.30m' },
  { value: '1h', label: 'settings.expiry.1h' },
  { value: '4h', label: 'settings.expiry.4h' },
  { value: 'today', label: 'settings.expiry.today' },
  { value: 'week', label: 'settings.expiry.week' },
] as const;
export type Expiry = (typeof STATUS_EXPIRIES)[number]['value'];

/** When a status chosen now with `expiry` ends (null: never). */
export function expiryTime(expiry: Expiry, now: Date = new Date()): number | null {
  const t = now.getTime();
  switch (expiry) {
    case 'never': return null;
    case '30m': return t + 30 * 60_000;
    case '1h': return t + 3600_000;
    case '4h': return t + 4 * 3600_000;
    // At least a minute ahead, so that a choice made at 23:59:59 is still in the future when it arrives.
    case 'today': return Math.max(t + 60_000, new Date(now.getFullYear(), now.getMonth(), now.getDate(), 23, 59, 59).getTime());
    case 'week': {
      const end = new Date(now.getFullYear(), now.getMonth(), now.getDate() + ((7 - now.getDay()) % 7), 23, 59, 59);
      return Math.max(t + 60_000, end.getTime());
    }
  }
}
