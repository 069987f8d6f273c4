/**
 * Desktop notifications (issue #15) in the browser. The server decides who is notified of a
 * post (the `notification` event, addressed to the person); this module decides whether this
 * tab shows it, what it says, and plays the sound. The decisions are pure functions (tested
 * under Vitest, and type-checked without the DOM); desktop-browser.ts is the thin part that
 * touches `Notification`, the document, localStorage and WebAudio.
 *
 *   `notification` event ─► engine ─► shouldShow(...)? ─► fetch the post's text (the event has
 *   none) ─► new Notification(title, {body, tag}) ─► click: focus the window, open the permalink
 */
import type { EventMap, Team } from './types.js';

export type NotificationEvent = EventMap['notification'];

/** Where the person is when the event arrives. */
export interface Viewing {
  /** The channel on screen in this tab (undefined: none). */
  readonly channelId: string | undefined;
  /** The tab has the keyboard focus (document.hasFocus) and is visible. */
  readonly focused: boolean;
}

/** The browser's permission: 'default' (not asked yet), 'granted', 'denied'; 'unsupported' without the Notification API. */
export type DesktopPermission = 'default' | 'granted' | 'denied' | 'unsupported';

/**
 * Whether this tab shows a notification for the event: only with the permission, never for the
 * channel the person is looking at in a focused tab (they see the message arrive).
 */
export function shouldShow(ev: Pick<NotificationEvent, 'channel_id'>, viewing: Viewing, permission: DesktopPermission): boolean {
  if (permission !== 'granted') return false;
  return !(viewing.focused && viewing.channelId === ev.channel_id);
}

/** Whether a sound goes with it: the event carries the person's `desktop_sound` preference; this browser may turn it off too. */
export function shouldPlaySound(ev: Pick<NotificationEvent, 'sound'>, localSound: boolean): boolean {
  return ev.sound && localSound;
}

/** The longest body a notification gets (the OS cuts longer text anyway). */
export const BODY_MAX = 180;

/**
 * The text of a message as a notification body: Markdown marks of the common kinds removed,
 * whitespace folded, cut at BODY_MAX characters. `fallback` when there is no text.
 */
export function notificationBody(message: string | undefined, fallback: string): string {
  if (message === undefined) return fallback;
  const text = message
    .replace(/```[^\n]*\n?/g, '')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[*_~`>#]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (text === '') return fallback;
  const chars = Array.from(text);
  return chars.length > BODY_MAX ? `${chars.slice(0, BODY_MAX - 1).join('')}…` : text;
}

/** The do-not-disturb choices of the status menu (labels: catalogue keys). */
export const DND_CHOICES = [
  { value: 'dnd:30m', label: 'status.dnd30m' },
  { value: 'dnd:1h', label: 'status.dnd1h' },
  { value: 'dnd:tomorrow', label: 'status.dndTomorrow' },
  { value: 'dnd:custom', label: 'status.dndCustom' },
  { value: 'dnd', label: 'status.dndForever' },
] as const;
export type DndChoice = Exclude<(typeof DND_CHOICES)[number]['value'], 'dnd:custom'>;

/** When do-not-disturb chosen now ends (null: until changed). "Tomorrow" is 9:00 the next morning, local time. */
export function dndEndTime(choice: DndChoice, now: Date = new Date()): number | null {
  switch (choice) {
    case 'dnd': return null;
    case 'dnd:30m': return now.getTime() + 30 * 60_000;
    case 'dnd:1h': return now.getTime() + 3600_000;
    case 'dnd:tomorrow': return new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 9, 0, 0).getTime();
  }
}

/** Do-not-disturb is over: the status is `dnd` with an end time that has passed. */
export function dndExpired(status: string | undefined, endAt: number | null | undefined, now: number): boolean {
  return status === 'dnd' && endAt != null && endAt <= now;
}

/** What the engine needs from the browser to show notifications (a fake in tests). */
export interface DesktopNotifier {
  permission(): DesktopPermission;
  /** The tab has the focus and is visible. */
  focused(): boolean;
  show(title: string, body: string, tag: string, channelId: string, onClick: () => void): void;
  /** Closes the notifications of a channel still on screen (it was read, here or on another device). */
  clear(channelId: string): void;
  playSound(): void;
  /** This browser's own "play a sound" switch (kept locally). */
  soundOn(): boolean;
}

/** The team a permalink opens under: the post's own, else the one on screen (direct messages have none), else the first. */
export function permalinkTeam(teams: readonly Team[], teamId: string | null, pathname: string): Team | undefined {
  const own = teamId !== null ? teams.find((t) => t.id === teamId) : undefined;
  if (own !== undefined) return own;
  let first = '';
  try {
    first = decodeURIComponent(pathname.split('/')[1] ?? '');
  } catch {
    first = '';
  }
  return teams.find((t) => t.name === first) ?? teams[0];
}
