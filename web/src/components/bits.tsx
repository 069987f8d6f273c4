/** Small shared pieces: presence dots, badges, avatars, the caret after a completion. */
import { useLayoutEffect, useRef, useState, type RefObject } from 'react';
import { avatarSrc } from '../lib/files.js';
import type { Presence } from '../lib/types.js';
import { t, type MessageKey } from '../i18n/index.js';

const PRESENCE_LABEL = { online: 'presence.online', away: 'presence.away', dnd: 'presence.dnd', offline: 'presence.offline' } as const satisfies Record<Presence, MessageKey>;

export function presenceLabel(status: Presence): string {
  return t(PRESENCE_LABEL[status]);
}

export function PresenceDot({ status }: { readonly status: Presence }) {
  return <span className={`presence presence-${status}`} role="img" aria-label={presenceLabel(status)} title={presenceLabel(status)} />;
}

/**
 * The person's picture when they have one (`avatar_url`), else initials on a colour derived
 * from the id (stable per person). A picture that fails to load falls back to the initials.
 * Decorative: the name is always written next to it.
 */
export function Avatar({ id, name, size = 32, url }: { readonly id: string; readonly name: string; readonly size?: number; readonly url?: string | null | undefined }) {
  // Twice the shown size, for sharp pictures on high-density screens.
  const src = avatarSrc(url, size * 2);
  const [broken, setBroken] = useState<string | undefined>(undefined);
  if (src !== undefined && broken !== src) {
    return <img className="avatar avatar-image" src={src} alt="" aria-hidden="true" width={size} height={size} decoding="async" onError={() => setBroken(src)} />;
  }
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const initials = name.split(/[\s._-]+/).filter(Boolean).slice(0, 2).map((w) => Array.from(w)[0]!.toUpperCase()).join('') || '?';
  return (
    <span className="avatar" aria-hidden="true" translate="no" style={{ width: size, height: size, background: `hsl(${hash % 360} 45% 42%)`, fontSize: size * 0.4 }}>
      {initials}
    </span>
  );
}

export function CountBadge({ count, mention }: { readonly count: number; readonly mention?: boolean }) {
  if (count <= 0) return null;
  // The space keeps the number a word of its own in the link's visible text ("Town Square 2"),
  // which the link's label ("Town Square, 2 unread") must contain; flex layout does not show it.
  return <>{' '}<span className={mention === true ? 'badge mention' : 'badge'} aria-hidden="true">{count > 99 ? '99+' : count}</span></>;
}

/**
 * Puts the caret of `input` at a position once React has rendered the text that contains it
 * (after a completion replaced part of the text). Returns the function that asks for it.
 *
 * Done in a layout effect, in the same task as the keystroke or click that completed: the next
 * keystroke is handled only after it. (Done in a requestAnimationFrame callback, a fast typist,
 * or a browser under load, could type a character before the frame: the caret then jumped back
 * and the rest of the word landed before that character, "/shrug elloh" for "/shrug hello".)
 */
export function useCaretPlacement(input: RefObject<HTMLInputElement | HTMLTextAreaElement | null>): (at: number) => void {
  const pending = useRef<number | undefined>(undefined);
  useLayoutEffect(() => {
    const at = pending.current;
    const el = input.current;
    if (at === undefined || el === null) return;
    pending.current = undefined;
    el.focus();
    el.setSelectionRange(at, at);
  });
  return (at: number) => {
    pending.current = at;
  };
}
