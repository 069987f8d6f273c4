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

const GROUPS = ['Smileys & emotion', 'People & body', '', 'Animals & nature', 'Food & drink', 'Travel & places', 'Activities', 'Objects', 'Symbols', 'Flags'];
const TONE_SWATCH = ['✋', '✋🏻', '✋🏼', '✋🏽', '✋🏾', '✋🏿'];
const TONE_LABEL = ['Default', 'Light', 'Medium-light', 'Medium', 'Medium-dark', 'Dark'];
/** Buttons shown at once when browsing without a query (search reaches everything). */
const MAX_SHOWN = 400;

/**
 * The picker: a search box (name, label or keyword), the skin tone, recently used, then the
 * results (by group when not searching). Arrow keys move between emoji, Enter in the search
 * box picks the first result, Escape closes.
 */
export function EmojiPicker({ onPick, onClose, label = 'Emoji picker', autoFocus = true }: {
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
    <button key={`${where}-${m.name}`} type="button" className="emoji-option" role="gridcell" aria-label={`:${m.name}:`} title={`:${m.name}: ${m.label}`} onClick={() => pick(m.name)}>
      <Glyph match={m} />
    </button>
  );

  // Without a query: by group (custom emoji first), as the standard set orders them.
  const sections: Array<{ title: string; items: EmojiMatch[] }> = [];
  if (query === '') {
    const customs = customEmojiList().map((e) => emojiByName(e.name)).filter((m): m is EmojiMatch => m !== undefined);
    if (customs.length > 0) sections.push({ title: 'Custom', items: customs });
    const byGroup = new Map<number, EmojiMatch[]>();
    for (const m of results) {
      if (m.entry === undefined) continue;
      let list = byGroup.get(m.entry.group);
      if (list === undefined) byGroup.set(m.entry.group, (list = []));
      list.push(m);
    }
    for (const [g, items] of [...byGroup].sort((a, b) => a[0] - b[0])) sections.push({ title: GROUPS[g] ?? 'Other', items });
  } else {
    sections.push({ title: results.length === 0 ? 'No emoji found' : 'Search results', items: results });
  }

  return (
    <div className="emoji-picker" role="dialog" aria-label={label} onKeyDown={(e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onClose();
      }
    }}>
      <div className="emoji-picker-top">
        <input ref={search} type="search" className="emoji-search" placeholder="Search emoji" aria-label="Search emoji" value={query}
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
        <label className="sr-only" htmlFor="emoji-tone">Skin tone</label>
        <select id="emoji-tone" className="emoji-tone" value={tone} title="Skin tone" onChange={(e) => {
          const t = Number(e.target.value);
          setTone(t);
          setSkinTone(t);
        }}>
          {TONE_SWATCH.map((s, i) => <option key={i} value={i}>{s} {TONE_LABEL[i]}</option>)}
        </select>
      </div>
      {failed && <p className="error">The emoji list could not be loaded.</p>}
      <div ref={grid} className="emoji-grid" role="group" aria-label="Emoji" onKeyDown={onGridKey}>
        {recent.length > 0 && (
          <section aria-label="Recently used">
            <h3>Recently used</h3>
            <div role="grid" aria-label="Recently used"><div role="row" className="emoji-row">{recent.map((m) => option(m, 'recent'))}</div></div>
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
