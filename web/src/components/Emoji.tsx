/**
 * Emoji on screen: `Emoji` shows one by name (a character, a custom emoji's image, or the
 * name as typed when it is neither), and `EmojiPicker` is the searchable picker used for
 * reactions and by the composer (skin tone and recently used kept in this browser).
 */
import { useEffect, useMemo, useRef, useState, useSyncExternalStore, type KeyboardEvent } from 'react';
import {
  customEmojiList, customEmojiUrl, emojiByName, emojiChar, isStandardEmoji, loadEmoji, noteEmojiUsed, recentEmoji, searchEmoji, setSkinTone, skinTone, emojiVersion, subscribeEmoji,
  type EmojiMatch,
} from '../lib/emoji.js';
import { t } from '../i18n/index.js';

/** Re-renders the component whenever emoji names resolve differently (the full set arrived, a custom emoji was added or deleted). */
export function useEmojiVersion(): number {
  return useSyncExternalStore(subscribeEmoji, emojiVersion);
}

/** One emoji by name; `fallback` (default `:name:`) when the name is unknown. */
export function Emoji({ name, fallback, size = 20 }: { readonly name: string; readonly fallback?: string; readonly size?: number }) {
  useEmojiVersion();
  const url = customEmojiUrl(name);
  if (url !== undefined) return <img className="emoji custom-emoji" src={url} alt={`:${name}:`} title={`:${name}:`} width={size} height={size} decoding="async" />;
  if (isStandardEmoji(name)) return <span className="emoji" title={`:${name}:`}>{emojiChar(name)}</span>;
  return <>{fallback ?? `:${name}:`}</>;
}

function Glyph({ match }: { readonly match: EmojiMatch }) {
  return match.url !== undefined ? <img className="custom-emoji" src={match.url} alt="" width={22} height={22} decoding="async" /> : <>{match.char}</>;
}

/** Emojibase's groups (2, components, is never shown). */
const GROUPS = ['emoji.group.0', 'emoji.group.1', undefined, 'emoji.group.3', 'emoji.group.4', 'emoji.group.5', 'emoji.group.6', 'emoji.group.7', 'emoji.group.8', 'emoji.group.9'] as const;
const TONE_SWATCH = ['✋', '✋🏻', '✋🏼', '✋🏽', '✋🏾', '✋🏿'];
const TONE_LABEL = ['emoji.tone.0', 'emoji.tone.1', 'emoji.tone.2', 'emoji.tone.3', 'emoji.tone.4', 'emoji.tone.5'] as const;
/** Buttons shown at once when browsing without a query (search reaches everything). */
const MAX_SHOWN = 400;

/**
 * The picker: a search box (name, label or keyword), the skin tone, recently used, then the
 * results (by group when not searching). Arrow keys move between emoji, Enter in the search
 * box picks the first result, Escape closes.
 */
export function EmojiPicker({ onPick, onClose, label = t('emoji.picker'), autoFocus = true }: {
  readonly onPick: (name: string) => void;
  readonly onClose: () => void;
  readonly label?: string;
  /** Focus the search box when it opens (off when something before it takes the focus). */
  readonly autoFocus?: boolean;
}) {
  const version = useEmojiVersion();
  const [query, setQuery] = useState('');
  const [tone, setTone] = useState(skinTone);
  const [failed, setFailed] = useState(false);
  const grid = useRef<HTMLDivElement>(null);
  const search = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (autoFocus) search.current?.focus();
    loadEmoji().catch(() => setFailed(true));
  }, [autoFocus]);

  const results = useMemo(() => {
    void version;
    return searchEmoji(query, query === '' ? MAX_SHOWN : 200, tone);
  }, [query, tone, version]);
  const recent = useMemo(() => {
    void version;
    return query === '' ? recentEmoji().map((n) => emojiByName(n)).filter((m): m is EmojiMatch => m !== undefined) : [];
  }, [query, version]);

  function pick(name: string) {
    noteEmojiUsed(name);
    onPick(name);
  }

  function onGridKey(e: KeyboardEvent<HTMLDivElement>) {
    const buttons = Array.from(grid.current?.querySelectorAll<HTMLButtonElement>('button.emoji-option') ?? []);
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const perRow = Math.max(1, Math.round((grid.current?.clientWidth ?? 320) / (buttons[0]?.offsetWidth || 36)));
    const move: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: perRow, ArrowUp: -perRow };
    const step = move[e.key];
    if (step === undefined) return;
    e.preventDefault();
    const next = at + step;
    if (next < 0) search.current?.focus();
    else buttons[Math.min(next, buttons.length - 1)]?.focus();
  }

  const option = (m: EmojiMatch, where: string) => (
    <button key={`${where}-${m.name}`} type="button" className="emoji-option" role="gridcell" aria-label={`:${m.name}:`} title={`:${m.name}: ${m.label}`} translate="no" onClick={() => pick(m.name)}>
      <Glyph match={m} />
    </button>
  );

  // Without a query: by group (custom emoji first), as the standard set orders them.
  const sections: Array<{ title: string; items: EmojiMatch[] }> = [];
  if (query === '') {
    const customs = customEmojiList().map((e) => emojiByName(e.name)).filter((m): m is EmojiMatch => m !== undefined);
    if (customs.length > 0) sections.push({ title: t('emoji.custom'), items: customs });
    const byGroup = new Map<number, EmojiMatch[]>();
    for (const m of results) {
      if (m.entry === undefined) continue;
      let list = byGroup.get(m.entry.group);
      if (list === undefined) byGroup.set(m.entry.group, (list = []));
      list.push(m);
    }
    for (const [g, items] of [...byGroup].sort((a, b) => a[0] - b[0])) sections.push({ title: t(GROUPS[g] ?? 'emoji.group.other'), items });
  } else {
    sections.push({ title: results.length === 0 ? t('emoji.noneFound') : t('emoji.searchResults'), items: results });
  }

  return (
    <div className="emoji-picker" role="dialog" aria-label={label} onKeyDown={(e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onClose();
      }
    }}>
      <div className="emoji-picker-top">
        <input ref={search} type="search" className="emoji-search" placeholder={t('emoji.search')} aria-label={t('emoji.search')} value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              if (results[0] !== undefined) pick(results[0].name);
            } else if (e.key === 'ArrowDown') {
              e.preventDefault();
              grid.current?.querySelector<HTMLButtonElement>('button.emoji-option')?.focus();
            }
          }} />
        <label className="sr-only" htmlFor="emoji-tone">{t('emoji.skinTone')}</label>
        <select id="emoji-tone" className="emoji-tone" value={tone} title={t('emoji.skinTone')} onChange={(e) => {
          const t = Number(e.target.value);
          setTone(t);
          setSkinTone(t);
        }}>
          {TONE_SWATCH.map((s, i) => <option key={i} value={i}>{s} {t(TONE_LABEL[i]!)}</option>)}
        </select>
      </div>
      {failed && <p className="error">{t('emoji.loadFailed')}</p>}
      <div ref={grid} className="emoji-grid" role="group" aria-label={t('emoji.grid')} onKeyDown={onGridKey}>
        {recent.length > 0 && (
          <section aria-label={t('emoji.recent')}>
            <h3>{t('emoji.recent')}</h3>
            <div role="grid" aria-label={t('emoji.recent')}><div role="row" className="emoji-row">{recent.map((m) => option(m, 'recent'))}</div></div>
          </section>
        )}
        {sections.map((s) => (
          <section key={s.title} aria-label={s.title}>
            <h3>{s.title}</h3>
            <div role="grid" aria-label={s.title}><div role="row" className="emoji-row">{s.items.map((m) => option(m, s.title))}</div></div>
          </section>
        ))}
      </div>
    </div>
  );
}
