/**
 * The browser side of desktop notifications (desktop-notify.ts holds the decisions): the
 * Notification API, focus, this browser's sound switch and banner choice (localStorage), and a
 * short chime made with WebAudio (no file, nothing loaded from anywhere).
 */
import type { DesktopNotifier, DesktopPermission } from './desktop-notify.js';

const SOUND_KEY = 'rustchat.notifySound';
const BANNER_KEY = 'rustchat.notifyBannerDismissed';

function localGet(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function localSet(key: string, value: string | null): void {
  try {
    if (value === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    // not remembered
  }
}

/** The permission as the browser has it now. */
export function browserPermission(): DesktopPermission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** Asks the browser for the permission (it must follow a click); resolves with the answer. */
export async function requestPermission(): Promise<DesktopPermission> {
  if (typeof Notification === 'undefined') return 'unsupported';
  return Notification.requestPermission();
}

export function localSoundOn(): boolean {
  return localGet(SOUND_KEY) !== 'off';
}

export function setLocalSound(on: boolean): void {
  localSet(SOUND_KEY, on ? null : 'off');
}

export function bannerDismissed(): boolean {
  return localGet(BANNER_KEY) === '1';
}

export function dismissBanner(): void {
  localSet(BANNER_KEY, '1');
}

let audio: AudioContext | undefined;

/** Notifications this tab showed and has not seen closed, by channel (at most 20 each). */
const openByChannel = new Map<string, Notification[]>();

/** A short two-tone chime. */
function chime(): void {
  const Ctx = window.AudioContext as typeof AudioContext | undefined;
  if (Ctx === undefined) return;
  audio ??= new Ctx();
  const ctx = audio;
  const start = ctx.currentTime;
  for (const [i, freq] of [880, 1320].entries()) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    const at = start + i * 0.12;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.15, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.25);
    osc.connect(gain).connect(ctx.destination);
    osc.start(at);
    osc.stop(at + 0.3);
  }
}

/** The browser's notifications, sound and focus. */
export const browserDesktop: DesktopNotifier = {
  permission: browserPermission,
  focused: () => document.visibilityState === 'visible' && document.hasFocus(),
  show(title, body, tag, channelId, onClick) {
    const n = new Notification(title, { body, tag });
    const list = openByChannel.get(channelId) ?? [];
    openByChannel.set(channelId, [...list.slice(-19), n]);
    const forget = () => openByChannel.set(channelId, (openByChannel.get(channelId) ?? []).filter((x) => x !== n));
    n.onclose = forget;
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
      forget();
    };
  },
  clear(channelId) {
    for (const n of openByChannel.get(channelId) ?? []) n.close();
    openByChannel.delete(channelId);
  },
  playSound() {
    try {
      chime();
    } catch {
      // no sound (an audio context the browser refused)
    }
  },
  soundOn: localSoundOn,
};
