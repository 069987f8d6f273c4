/**
 * Favourites and custom categories in the sidebar, kept on the server per user (GET/PUT
 * /api/v1/users/me/sidebar) so that every device shows the same arrangement. Channels are
 * moved by dragging them (onto a category title or before another channel), or with the
 * keyboard: Alt+↑/↓ on a channel moves it within its category, and each row has buttons to
 * move it up or down, a star for favourites and a "category" choice. Categories move up and
 * down with their own buttons, collapse, and can be renamed or deleted (their channels go back
 * to the default groups).
 */
import { useState, type DragEvent, type KeyboardEvent, type ReactNode } from 'react';
import { describeError } from '../lib/api.js';
import type { Channel, SidebarCategory, Team } from '../lib/types.js';
import { useChat } from '../state/chat.js';
import { channelLabel } from '../state/reducer.js';
import { FAVORITES_ID, moveCategory, nudgeChannel, placeChannel } from '../lib/sidebar.js';
import { ChannelLink } from './Sidebar.js';
import { t } from '../i18n/index.js';

const DRAG_TYPE = 'application/x-rustchat-channel';

/** What a channel row gets to be arrangeable (see ChannelLink). */
export interface ArrangeProps {
  readonly controls: ReactNode;
  readonly onLinkKeyDown: (e: KeyboardEvent) => void;
  readonly li: {
    readonly className: string;
    readonly draggable: true;
    readonly onDragStart: (e: DragEvent) => void;
    readonly onDragEnd: () => void;
    readonly onDragOver: (e: DragEvent) => void;
    readonly onDrop: (e: DragEvent) => void;
  };
}

function newCategoryId(): string {
  return `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

// ---- the hook the sidebar uses ----

export interface Arrangement {
  readonly categories: readonly SidebarCategory[];
  /** Channel ids placed in a category (the default groups leave them out). */
  readonly placed: ReadonlySet<string>;
  readonly save: (next: SidebarCategory[]) => void;
  readonly arrange: (channel: Channel, categoryId: string | null, visible: readonly string[]) => ArrangeProps;
  readonly addCategory: (name: string) => void;
}

export function useArrangement(): Arrangement {
  const { state, actions } = useChat();
  const [dragging, setDragging] = useState<string | undefined>(undefined);
  const [over, setOver] = useState<string | undefined>(undefined);
  const categories = state.sidebar?.categories ?? [{ id: FAVORITES_ID, name: 'Favorites', channel_ids: [], collapsed: false }];
  const placed = new Set(categories.flatMap((c) => c.channel_ids));

  const save = (next: SidebarCategory[]) => {
    actions.saveSidebar(next).catch((err: unknown) => actions.notify(t('categories.saveFailed', { reason: describeError(err) })));
  };

  const arrange = (channel: Channel, categoryId: string | null, visible: readonly string[]): ArrangeProps => {
    const label = channelLabel(state, channel);
    const favourite = categoryId === FAVORITES_ID;
    const nudge = (delta: -1 | 1) => {
      if (categoryId !== null) save(nudgeChannel(categories, categoryId, channel.id, delta, visible));
    };
    const index = visible.indexOf(channel.id);
    return {
      onLinkKeyDown: (e) => {
        if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') || categoryId === null) return;
        e.preventDefault();
        nudge(e.key === 'ArrowUp' ? -1 : 1);
        // Keep the keyboard on the moved channel.
        const target = e.currentTarget as HTMLElement;
        requestAnimationFrame(() => document.querySelector<HTMLElement>(`.sidebar a[data-channel-id="${CSS.escape(channel.id)}"]`)?.focus() ?? target.focus());
      },
      li: {
        className: `arrangeable${dragging === channel.id ? ' dragging' : ''}${over === channel.id ? ' drop-before' : ''}`,
        draggable: true,
        onDragStart: (e) => {
          e.dataTransfer.setData(DRAG_TYPE, channel.id);
          e.dataTransfer.setData('text/plain', label);
          e.dataTransfer.effectAllowed = 'move';
          setDragging(channel.id);
        },
        onDragEnd: () => {
          setDragging(undefined);
          setOver(undefined);
        },
        onDragOver: (e) => {
          if (!e.dataTransfer.types.includes(DRAG_TYPE)) return;
          e.preventDefault();
          e.stopPropagation();
          setOver(channel.id);
        },
        onDrop: (e) => {
          const id = e.dataTransfer.getData(DRAG_TYPE);
          setOver(undefined);
          setDragging(undefined);
          if (id === '' || id === channel.id) return;
          e.preventDefault();
          e.stopPropagation();
          if (categoryId === null) {
            save(placeChannel(categories, id, null));
            return;
          }
          const cat = categories.find((c) => c.id === categoryId)!;
          const without = cat.channel_ids.filter((x) => x !== id);
          save(placeChannel(categories, id, categoryId, without.indexOf(channel.id)));
        },
      },
      controls: (
        <span className="arrange">
          <button type="button" className="mini" aria-pressed={favourite} aria-label={favourite ? t('categories.removeFavorite', { channel: label }) : t('categories.addFavorite', { channel: label })}
            title={favourite ? t('categories.removeFavoriteTitle') : t('categories.addFavoriteTitle')} onClick={() => save(placeChannel(categories, channel.id, favourite ? null : FAVORITES_ID))}>
            {favourite ? '★' : '☆'}
          </button>
          {categoryId !== null && (
            <>
              <button type="button" className="mini" aria-label={t('categories.moveUp', { channel: label })} title={t('categories.moveUpTitle')} disabled={index <= 0} onClick={() => nudge(-1)}>↑</button>
              <button type="button" className="mini" aria-label={t('categories.moveDown', { channel: label })} title={t('categories.moveDownTitle')} disabled={index < 0 || index >= visible.length - 1} onClick={() => nudge(1)}>↓</button>
            </>
          )}
          {categories.length > 1 && (
            <select className="mini" aria-label={t('categories.categoryOf', { channel: label })} value={categoryId ?? ''} onChange={(e) => save(placeChannel(categories, channel.id, e.target.value === '' ? null : e.target.value))}>
              <option value="">{t('categories.default')}</option>
              {categories.map((c) => <option key={c.id} value={c.id}>{c.id === FAVORITES_ID ? t('categories.favorites') : c.name}</option>)}
            </select>
          )}
        </span>
      ),
    };
  };

  const addCategory = (name: string) => {
    const trimmed = name.trim();
    if (trimmed === '') return;
    save([...categories, { id: newCategoryId(), name: trimmed, channel_ids: [], collapsed: false }]);
  };

  return { categories, placed, save, arrange, addCategory };
}

/** Accepts a channel dropped on a category's title or empty list (appended to it); null: back to the default groups. */
export function dropZone(arrangement: Arrangement, categoryId: string | null) {
  return {
    onDragOver: (e: DragEvent) => {
      if (e.dataTransfer.types.includes(DRAG_TYPE)) e.preventDefault();
    },
    onDrop: (e: DragEvent) => {
      const id = e.dataTransfer.getData(DRAG_TYPE);
      if (id === '') return;
      e.preventDefault();
      arrangement.save(placeChannel(arrangement.categories, id, categoryId));
    },
  };
}

export function SidebarCategories({ team, currentChannelId, arrangement }: { readonly team: Team; readonly currentChannelId: string | undefined; readonly arrangement: Arrangement }) {
  const { state } = useChat();
  const [renaming, setRenaming] = useState<string | undefined>(undefined);
  const [draft, setDraft] = useState('');
  const { categories, save } = arrangement;
  return (
    <>
      {categories.map((cat, ci) => {
        const channels = cat.channel_ids
          .map((id) => state.channels[id])
          .filter((c): c is Channel => c !== undefined && (c.team_id === team.id || c.team_id === null) && (!c.is_archived || c.id === currentChannelId));
        const visible = channels.map((c) => c.id);
        const name = cat.id === FAVORITES_ID ? t('categories.favorites') : cat.name;
        // An empty favourites category stays out of the way until something is starred.
        if (cat.id === FAVORITES_ID && channels.length === 0) return null;
        const headingId = `sb-cat-${cat.id}`;
        return (
          <section key={cat.id} aria-labelledby={headingId} data-category={cat.id}>
            <div className="category-title" {...dropZone(arrangement, cat.id)}>
              {renaming === cat.id ? (
                <form className="rename" onSubmit={(e) => {
                  e.preventDefault();
                  if (draft.trim() !== '') save(categories.map((c) => (c.id === cat.id ? { ...c, name: draft.trim() } : c)));
                  setRenaming(undefined);
                }}>
                  <label htmlFor={`${headingId}-name`} className="sr-only">{t('categories.name')}</label>
                  <input id={`${headingId}-name`} value={draft} maxLength={64} autoFocus onChange={(e) => setDraft(e.target.value)} onBlur={() => setRenaming(undefined)}
                    onKeyDown={(e) => {
                      if (e.key === 'Escape') {
                        e.preventDefault();
                        setRenaming(undefined);
                      }
                    }} />
                </form>
              ) : (
                <h3 id={headingId}>
                  <button type="button" aria-expanded={!cat.collapsed} onClick={() => save(categories.map((c) => (c.id === cat.id ? { ...c, collapsed: !c.collapsed } : c)))}>
                    <span aria-hidden="true">{cat.collapsed ? '▸' : '▾'}</span>{name}
                  </button>
                </h3>
              )}
              <button type="button" className="mini" aria-label={t('categories.moveCategoryUp', { name })} disabled={ci === 0} onClick={() => save(moveCategory(categories, cat.id, -1))}>↑</button>
              <button type="button" className="mini" aria-label={t('categories.moveCategoryDown', { name })} disabled={ci === categories.length - 1} onClick={() => save(moveCategory(categories, cat.id, 1))}>↓</button>
              {cat.id !== FAVORITES_ID && (
                <>
                  <button type="button" className="mini" aria-label={t('categories.rename', { name })} onClick={() => {
                    setDraft(cat.name);
                    setRenaming(cat.id);
                  }}>✎</button>
                  <button type="button" className="mini" aria-label={t('categories.delete', { name })} onClick={() => save(categories.filter((c) => c.id !== cat.id))}>✕</button>
                </>
              )}
            </div>
            {!cat.collapsed && (
              <ul className="channel-list" {...dropZone(arrangement, cat.id)}>
                {channels.length === 0 && <li className="empty">{t('categories.dragHere')}</li>}
                {channels.map((c) => <ChannelLink key={c.id} team={team} channel={c} current={c.id === currentChannelId} arrange={arrangement.arrange(c, cat.id, visible)} />)}
              </ul>
            )}
          </section>
        );
      })}
    </>
  );
}

/** "New category": a name, then an empty category at the end. */
export function NewCategoryButton({ arrangement }: { readonly arrangement: Arrangement }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  if (!open) return <button type="button" className="link new-category" onClick={() => setOpen(true)}>{t('categories.new')}</button>;
  return (
    <form className="rename new-category" onSubmit={(e) => {
      e.preventDefault();
      arrangement.addCategory(name);
      setName('');
      setOpen(false);
    }}>
      <label htmlFor="new-category-name" className="sr-only">{t('categories.newName')}</label>
      <input id="new-category-name" placeholder={t('categories.name')} value={name} maxLength={64} autoFocus onChange={(e) => setName(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            setOpen(false);
          }
        }} />
      <button type="submit">{t('categories.create')}</button>
    </form>
  );
}
