/** A person's custom status (emoji and text) next to their name; gone once it expires, without waiting for the server to say so. */
import { useEffect, useState } from 'react';
import { emojiChar } from '../lib/emoji.js';
import type { User } from '../lib/types.js';

export function CustomStatus({ user }: { readonly user: Pick<User, 'status_text' | 'status_emoji' | 'status_expires_at'> }) {
  const [now, setNow] = useState(() => Date.now());
  const expires = user.status_expires_at;
  useEffect(() => {
    if (expires === null || expires <= now) return;
    // Timers cap at about 24.8 days; a later expiry just re-checks then.
    const t = setTimeout(() => setNow(Date.now()), Math.min(expires - now + 50, 2 ** 31 - 1));
    return () => clearTimeout(t);
  }, [expires, now]);
  if (expires !== null && expires <= now) return null;
  if (user.status_text === '' && user.status_emoji === '') return null;
  const label = [user.status_emoji !== '' ? emojiChar(user.status_emoji) : '', user.status_text].filter(Boolean).join(' ');
  return <span className="custom-status" title={label} data-testid="custom-status">{label}</span>;
}
