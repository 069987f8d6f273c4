/**
 * Version 16: do-not-disturb schedules (issue #15). `notify_prefs.dnd_schedule`: a person's
 * recurring quiet hours, a JSON document (`{"enabled":…,"days":[{"day","start","end"}]}`)
 * validated by services/notifications.ts; NULL (every row written before this version): no
 * schedule. A column of its own rather than a field of `props`, so that the schedule is read
 * and replaced as one value.
 */
import type { Migration } from '../migrations.js';

export const dndSchedule: Migration = {
  version: 16,
  name: 'dnd-schedule',
  sql: `
ALTER TABLE notify_prefs ADD COLUMN dnd_schedule TEXT;
`,
};
