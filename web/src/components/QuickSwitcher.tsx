/**
 * The quick switcher (Ctrl+K or ⌘K): type a few letters of a channel, a conversation or a
 * person, move with ↑/↓, Enter opens it (a person: the direct message with them).
 */
import { useEffect, useId, useMemo, useState } from 'react';
import { describeError } from '../lib/api.js';
import type { Channel, Team, User } from '../lib/types.js';
import { useChat } from '../state/chat.js';
import { channelLabel, userLabel } from '../state/reducer.js';
import { fuzzyScore } from '../lib/fuzzy.js';
import { Dialog } from './Dialog.js';
import { t } from '../i18n/index.js';

type Item = { kind: 'channel'; channel: Channel; label: string } | { kind: 'person'; user: User; label: string };

export function QuickSwitcher({ team, onClose, onOpen }: { readonly team: Team; readonly onClose: () => void; readonly onOpen: (c: Channel) => void }) {
  const { state, actions, api } = useChat();
  const id = useId();
  const [q, setQ] = useState('');
  const [people, setPeople] = useState<User[]>([]);
  const [active, setActive] = useState(0);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    if (q.trim() === '') return;
    let cancelled = false;
    const t = setTimeout(() => {
      api.searchUsers(q.trim(), 10).then((u) => {
        if (!cancelled) setPeople(u);
      }, () => undefined);
    }, 150);
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
  }, [api, q]);

  const items = useMemo(() => {
    const channels = Object.values(state.channels).filter((c) => c.team_id === team.id || c.team_id === null);
    const scored: Array<{ item: Item; score: number }> = [];
    for (const c of channels) {
      const label = channelLabel(state, c);
      const s = Math.max(fuzzyScore(q, label) ?? -Infinity, fuzzyScore(q, c.name) ?? -Infinity);
      if (s > -Infinity) scored.push({ item: { kind: 'channel', channel: c, label }, score: s + (c.is_archived ? -3 : 0) + ((state.unreads[c.id]?.unread ?? 0) > 0 ? 0.5 : 0) });
    }
    for (const u of q.trim() === '' ? [] : people) {
      if (u.id === state.me.id) continue;
      const label = userLabel(u);
      const s = Math.max(fuzzyScore(q, label) ?? -Infinity, fuzzyScore(q, u.username) ?? -Infinity, 0);
      scored.push({ item: { kind: 'person', user: u, label }, score: s - 0.5 });
    }
    if (q.trim() === '') scored.sort((a, b) => (a.item.kind === 'channel' && b.item.kind === 'channel' ? b.item.channel.last_post_at - a.item.channel.last_post_at : 0));
    else scored.sort((a, b) => b.score - a.score);
    return scored.slice(0, 20).map((s) => s.item);
  }, [state, team.id, q, people]);

  const current = Math.min(active, Math.max(0, items.length - 1));

  function open(item: Item | undefined) {
    if (item === undefined) return;
    if (item.kind === 'channel') {
      onOpen(item.channel);
      return;
    }
    actions.openDirect(item.user.id).then(onOpen, (err: unknown) => setError(describeError(err)));
  }

  return (
    <Dialog title={t('switcher.title')} onClose={onClose} className="switcher-dialog">
      <label htmlFor={`${id}-q`} className="sr-only">{t('switcher.label')}</label>
      <input
        id={`${id}-q`}
        type="search"
        role="combobox"
        aria-expanded="true"
        aria-controls={`${id}-list`}
        aria-activedescendant={items.length > 0 ? `${id}-opt-${current}` : undefined}
        autoComplete="off"
        autoFocus
        placeholder={t('switcher.placeholder')}
        value={q}
        onChange={(e) => {
          setQ(e.target.value);
          setActive(0);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setActive(Math.min(current + 1, items.length - 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive(Math.max(current - 1, 0));
          } else if (e.key === 'Enter') {
            e.preventDefault();
            open(items[current]);
          } else if (e.key === 'Escape') {
            // A search field spends the first Escape on clearing itself: close at once instead.
            e.preventDefault();
            onClose();
          }
        }}
      />
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      <ul id={`${id}-list`} role="listbox" aria-label={t('switcher.matches')} className="switcher-list">
        {items.length === 0 && <li className="muted" role="presentation">{t('switcher.nothing')}</li>}
        {items.map((item, i) => (
          <li key={item.kind === 'channel' ? item.channel.id : `u:${item.user.id}`} id={`${id}-opt-${i}`} role="option" aria-selected={i === current}
            onMouseEnter={() => setActive(i)} onClick={() => open(item)}>
            <span>{item.kind === 'channel' && (item.channel.type === 'public' ? '# ' : item.channel.type === 'private' ? '🔒 ' : '')}{item.label}</span>
            <span className="muted">
              {item.kind === 'person' ? `@${item.user.username}` : item.channel.type === 'direct' ? t('switcher.direct') : item.channel.type === 'group' ? t('switcher.group') : item.channel.is_archived ? t('switcher.archived') : t('switcher.channel')}
            </span>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
