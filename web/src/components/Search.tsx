/**
 * Search: the box in the workspace header (a combobox whose suggestions complete the query
 * language's operators: people after `from:`, channels after `in:`, days after `before:`,
 * `after:` and `on:`), the results panel (newest first with "Load more" by cursor, or best
 * match first by page; "Recent mentions" and "Saved messages" in the same list), and what a
 * permalink shows when it cannot open its message. Excerpts are built as React elements from
 * the server's highlight offsets: message text never becomes HTML.
 */
import { Fragment, useEffect, useId, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { useCaretPlacement } from './bits.js';
import { ApiError, describeError } from '../lib/api.js';
import {
  applySuggestion, channelSuggestions, dateSuggestions, highlightPieces, mentionsQuery, operatorHints, peopleSuggestions, permalinkPath, plainExcerpt,
  resultCountLabel, resultTime, suggestContext, type SearchChannel, type SearchExcerpt, type SearchOrder, type Suggestion,
} from '../lib/search.js';
import type { Channel, Post, Team, User } from '../lib/types.js';
import { navigate } from '../navigation.js';
import { useChat, useChatActions, useChatSelector, useNow } from '../state/chat.js';
import { channelLabel, userLabel, type ChatState } from '../state/reducer.js';
import { CloseIcon, SearchIcon } from './icons.js';
import { AuthorMark, MessageText } from './Post.js';
import { formatDate, t } from '../i18n/index.js';

/** What the results panel lists; `n` tells a repeated search from the same one still on screen. */
export type SearchView =
  | { readonly kind: 'query'; readonly q: string; readonly n: number }
  | { readonly kind: 'mentions'; readonly n: number }
  | { readonly kind: 'saved'; readonly n: number };

const REMOTE_DELAY_MS = 150;

/** People or channels from the server for the operator being typed (the local lists answer at once meanwhile). */
function useRemoteMatches(kind: 'people' | 'channels' | undefined, query: string, teamId: string): { users: User[]; channels: Channel[] } {
  const { api } = useChatActions();
  const [found, setFound] = useState<{ key: string; users: User[]; channels: Channel[] }>({ key: '', users: [], channels: [] });
  const key = kind === undefined || query === '' ? '' : `${kind}:${teamId}:${query}`;
  useEffect(() => {
    if (kind === undefined || query === '') return;
    let cancelled = false;
    const t = setTimeout(() => {
      const lookup = kind === 'people'
        ? api.searchPeople(query).then((users) => ({ users, channels: [] }))
        : api.searchChannels(query, teamId).then((channels) => ({ users: [], channels }));
      // Suggestions are a convenience: a failed lookup leaves the local ones.
      lookup.then((r) => {
        if (!cancelled) setFound({ key: `${kind}:${teamId}:${query}`, ...r });
      }, () => undefined);
    }, REMOTE_DELAY_MS);
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
  }, [api, kind, query, teamId]);
  return found.key === key ? found : { users: [], channels: [] };
}

/** The suggestions for the word at the caret: local people and channels first, the server's answers merged in. */
function useSuggestions(text: string, caret: number, team: Team): Suggestion[] {
  const users = useChatSelector((s) => s.users);
  const channels = useChatSelector((s) => s.channels);
  const now = useNow(60_000);
  const ctx = suggestContext(text, caret);
  const kind = ctx.kind === 'from' || (ctx.kind === 'in' && ctx.people) ? 'people' : ctx.kind === 'in' ? 'channels' : undefined;
  const query = ctx.kind === 'from' || ctx.kind === 'in' ? ctx.query : '';
  const remote = useRemoteMatches(kind, query, team.id);
  switch (ctx.kind) {
    case 'none':
      return [];
    case 'operators':
      return operatorHints(ctx.prefix);
    case 'date':
      return dateSuggestions(ctx.operator, ctx.query, now);
    case 'from':
    case 'in':
      if (kind === 'people') return peopleSuggestions(ctx.kind, [...Object.values(users), ...remote.users], ctx.query, userLabel);
      // `in:` finds only channels one is in: the server's matches are kept when they are among mine.
      return channelSuggestions([...Object.values(channels), ...remote.channels.filter((c) => channels[c.id] !== undefined)], team.id, ctx.query);
  }
}

/** The search box: a combobox (arrow keys move through the suggestions, Enter takes one or searches, Escape closes them). */
export function SearchBox({ team, onSearch }: { readonly team: Team; readonly onSearch: (q: string) => void }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  const [caret, setCaret] = useState(0);
  const placeCaret = useCaretPlacement(input);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const suggestions = useSuggestions(text, caret, team);
  const shown = open ? suggestions : [];
  const selected = active < shown.length ? active : -1;
  const listId = `${id}-list`;
  const optionId = (i: number) => `${id}-opt-${i}`;

  function take(s: Suggestion) {
    const next = applySuggestion(text, caret, s);
    setText(next.text);
    setCaret(next.caret);
    setActive(-1);
    setOpen(true);
    placeCaret(next.caret);
  }

  function search() {
    const q = text.trim();
    if (q === '') return;
    setOpen(false);
    setActive(-1);
    onSearch(q);
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    if (e.nativeEvent.isComposing) return;
    const n = shown.length;
    switch (e.key) {
      case 'ArrowDown':
      case 'ArrowUp':
        e.preventDefault();
        if (!open) {
          setOpen(true);
          return;
        }
        if (n === 0) return;
        if (e.key === 'ArrowDown') setActive(selected + 1 >= n ? 0 : selected + 1);
        else setActive(selected <= 0 ? n - 1 : selected - 1);
        return;
      case 'Enter':
        e.preventDefault();
        if (selected >= 0) take(shown[selected]!);
        else search();
        return;
      case 'Escape':
        if (open && n > 0) {
          e.preventDefault();
          setOpen(false);
          setActive(-1);
        } else if (text !== '') {
          e.preventDefault();
          setText('');
          setCaret(0);
        }
        return;
      default:
    }
  }

  return (
    <form role="search" className="search-box" onSubmit={(e) => {
      e.preventDefault();
      search();
    }}>
      <label htmlFor={id} className="sr-only">{t('search.label')}</label>
      <span className="search-icon" aria-hidden="true"><SearchIcon /></span>
      <input
        id={id}
        ref={input}
        type="text"
        role="combobox"
        value={text}
        placeholder={t('search.label')}
        autoComplete="off"
        spellCheck={false}
        aria-autocomplete="list"
        aria-expanded={shown.length > 0}
        aria-controls={listId}
        aria-activedescendant={selected >= 0 ? optionId(selected) : undefined}
        aria-describedby={`${id}-hint`}
        onChange={(e) => {
          setText(e.target.value);
          setCaret(e.target.selectionStart ?? e.target.value.length);
          setActive(-1);
          setOpen(true);
        }}
        onSelect={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
        onFocus={() => setOpen(true)}
        onBlur={() => {
          setOpen(false);
          setActive(-1);
        }}
        onKeyDown={onKeyDown}
      />
      <span id={`${id}-hint`} className="sr-only">{t('search.hint', { operators: 'from:, in:, before:, after:, on:, is:pinned, has:file, #tag' })}</span>
      <ul className="suggestions search-suggestions" role="listbox" id={listId} aria-label={t('search.suggestions')} hidden={shown.length === 0}>
        {shown.map((s, i) => (
          <li
            key={s.key}
            id={optionId(i)}
            role="option"
            aria-selected={i === selected}
            onMouseDown={(e) => {
              e.preventDefault(); // keep the focus in the box
              take(s);
            }}
          >
            <strong translate="no">{s.label}</strong> <span className="muted">{s.detail}</span>
          </li>
        ))}
      </ul>
    </form>
  );
}

/** An excerpt with its matches marked; `…` where the server cut the message. */
export function ExcerptText({ excerpt }: { readonly excerpt: SearchExcerpt }) {
  return (
    <span className="excerpt">
      {excerpt.truncated_start && '…'}
      {highlightPieces(excerpt.text, excerpt.highlights).map((p, i) => (p.mark ? <mark key={i}>{p.text}</mark> : <Fragment key={i}>{p.text}</Fragment>))}
      {excerpt.truncated_end && '…'}
    </span>
  );
}

interface Hit {
  readonly post: Post;
  readonly channel: SearchChannel | undefined;
  readonly excerpt: SearchExcerpt;
}

interface Listing {
  readonly key: string;
  readonly hits: readonly Hit[];
  /** Search totals (a saved list has none). */
  readonly total?: { readonly n: number; readonly capped: boolean };
  /** How to ask for the next page, when there is one. */
  readonly next?: { readonly cursor: string } | { readonly page: number };
  readonly error?: string;
}

const SEARCH_PAGE = 20;
const SAVED_PAGE = 30;

function channelName(state: ChatState, channel: SearchChannel | undefined): string {
  if (channel === undefined) return 'a channel';
  const mine = state.channels[channel.id];
  if (channel.type === 'direct' || channel.type === 'group') return mine !== undefined ? channelLabel(state, mine) : 'a direct message';
  return `#${mine?.display_name || channel.display_name || channel.name}`;
}

function summary(c: Channel | undefined): SearchChannel | undefined {
  return c === undefined ? undefined : { id: c.id, team_id: c.team_id, type: c.type, name: c.name, display_name: c.display_name };
}

function ResultItem({ hit, team, onUnsave }: { readonly hit: Hit; readonly team: Team; readonly onUnsave?: (() => void) | undefined }) {
  const { state } = useChat();
  const now = useNow(60_000);
  const author = state.users[hit.post.user_id];
  const teamName = state.teams.find((t) => t.id === hit.channel?.team_id)?.name ?? team.name;
  const path = permalinkPath(teamName, hit.post.id);
  const when = new Date(hit.post.created_at);
  return (
    <li className="search-result">
      <a href={path} data-post-id={hit.post.id} onClick={(e: MouseEvent) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(path);
      }}>
        <span className="result-meta">
          <span className="author">{author !== undefined ? userLabel(author) : t('names.someone')}<AuthorMark post={hit.post} author={author} /></span>
          <span className="muted">{t('where.inChannel', { channel: channelName(state, hit.channel) })}</span>
          <time dateTime={when.toISOString()} title={formatDate(when, { dateStyle: 'full', timeStyle: 'short' })}>{resultTime(hit.post.created_at, now)}</time>
        </span>
        <ExcerptText excerpt={hit.excerpt} />
      </a>
      {onUnsave !== undefined && <button type="button" className="link" onClick={onUnsave}>{t('search.removeSaved')}</button>}
    </li>
  );
}

/** The results panel: a search, my recent mentions or my saved messages, with paging. */
export function SearchPanel({ view, team, onView, onClose }: {
  readonly view: SearchView;
  readonly team: Team;
  readonly onView: (view: SearchView) => void;
  readonly onClose: () => void;
}) {
  const { state, actions, api } = useChat();
  const { store } = useChatActions();
  const [order, setOrder] = useState<SearchOrder>('newest');
  const [listing, setListing] = useState<Listing | undefined>(undefined);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<string | undefined>(undefined);
  const q = view.kind === 'query' ? view.q : view.kind === 'mentions' ? mentionsQuery(state.me.username) : undefined;
  const key = `${view.kind}:${view.n}:${team.id}:${q ?? ''}:${view.kind === 'saved' ? '' : order}`;

  useEffect(() => {
    // Channels name the saved messages' channels; read when the answer comes, not a reason to ask again.
    const channels = store.getState().channels;
    let cancelled = false;
    const done = (l: Omit<Listing, 'key'>) => {
      if (!cancelled) setListing({ key, ...l });
    };
    const failed = (err: unknown) => done({ hits: [], error: describeError(err) });
    if (q === undefined) {
      api.savedPosts(0, SAVED_PAGE).then((posts) => {
        actions.ensureUsers(posts.map((p) => p.user_id));
        done({ hits: posts.map((post) => ({ post, channel: summary(channels[post.channel_id]), excerpt: plainExcerpt(post.message) })), ...(posts.length === SAVED_PAGE ? { next: { page: 1 } } : {}) });
      }, failed);
    } else {
      api.searchPosts(q, { team_id: team.id, order, per_page: SEARCH_PAGE }).then((r) => {
        actions.ensureUsers(r.results.map((h) => h.post.user_id));
        done({ hits: r.results, total: { n: r.total, capped: r.total_capped }, ...nextOf(r.order, r.next_cursor, r.page, r.per_page, r.results.length, r.total) });
      }, failed);
    }
    return () => {
      cancelled = true;
    };
  }, [api, actions, store, key, q, order, team.id]);

  const current = listing?.key === key ? listing : undefined;

  function loadMore() {
    const next = current?.next;
    if (current === undefined || next === undefined || loadingMore) return;
    setLoadingMore(true);
    setMoreError(undefined);
    const channels = store.getState().channels;
    const append = (hits: readonly Hit[], more: Listing['next']) => setListing((prev) => (prev?.key !== key ? prev : { ...prev, hits: [...prev.hits, ...hits], next: more }));
    const request = q === undefined
      ? api.savedPosts('page' in next ? next.page : 0, SAVED_PAGE).then((posts) => {
        actions.ensureUsers(posts.map((p) => p.user_id));
        append(posts.map((post) => ({ post, channel: summary(channels[post.channel_id]), excerpt: plainExcerpt(post.message) })), posts.length === SAVED_PAGE && 'page' in next ? { page: next.page + 1 } : undefined);
      })
      : api.searchPosts(q, { team_id: team.id, order, per_page: SEARCH_PAGE, ...('cursor' in next ? { cursor: next.cursor } : { page: next.page }) }).then((r) => {
        actions.ensureUsers(r.results.map((h) => h.post.user_id));
        const seen = new Set(current.hits.map((h) => h.post.id));
        append(r.results.filter((h) => !seen.has(h.post.id)), nextOf(r.order, r.next_cursor, r.page, r.per_page, r.results.length, r.total).next);
      });
    request.catch((err: unknown) => setMoreError(describeError(err))).finally(() => setLoadingMore(false));
  }

  function unsave(postId: string) {
    api.setSaved(postId, false).then(
      () => setListing((prev) => (prev === undefined ? prev : { ...prev, hits: prev.hits.filter((h) => h.post.id !== postId) })),
      (err: unknown) => actions.notify(describeError(err)),
    );
  }

  const title = view.kind === 'query' ? t('search.title.query') : view.kind === 'mentions' ? t('search.title.mentions') : t('search.title.saved');
  return (
    <aside className="side-panel search-panel" aria-labelledby="search-title">
      <header className="panel-header">
        <h2 id="search-title">{title}</h2>
        <span className="muted">{view.kind === 'query' ? t('search.quoted', { query: view.q }) : view.kind === 'mentions' ? `@${state.me.username}` : ''}</span>
        <button type="button" className="icon" aria-label={t('search.close')} onClick={onClose}><CloseIcon /></button>
      </header>
      <div className="search-tools">
        <div className="quick-searches" role="group" aria-label={t('search.quick')}>
          <button type="button" aria-pressed={view.kind === 'mentions'} onClick={() => onView({ kind: 'mentions', n: view.n + 1 })}>{t('search.title.mentions')}</button>
          <button type="button" aria-pressed={view.kind === 'saved'} onClick={() => onView({ kind: 'saved', n: view.n + 1 })}>{t('search.title.saved')}</button>
        </div>
        {view.kind !== 'saved' && (
          <div className="search-order" role="group" aria-label={t('search.order')}>
            <button type="button" aria-pressed={order === 'newest'} onClick={() => setOrder('newest')}>{t('search.newest')}</button>
            <button type="button" aria-pressed={order === 'relevance'} onClick={() => setOrder('relevance')}>{t('search.bestMatch')}</button>
          </div>
        )}
      </div>
      <p className="result-count" role="status">
        {current === undefined ? t('search.searching') : current.error !== undefined ? '' : current.total !== undefined ? resultCountLabel(current.total.n, current.total.capped) : t(current.next !== undefined ? 'search.savedCountMore' : 'search.savedCount', { count: current.hits.length })}
      </p>
      {current?.error !== undefined && <p className="error panel-note" role="alert">{current.error}</p>}
      <div className="messages" aria-busy={current === undefined}>
        {current !== undefined && current.error === undefined && current.hits.length === 0 && (
          <p className="muted panel-note">{view.kind === 'saved' ? t('search.noSaved') : view.kind === 'mentions' ? t('search.noMentions') : t('search.noMatches')}</p>
        )}
        {current !== undefined && current.hits.length > 0 && (
          <ul className="search-results" aria-label={title}>
            {current.hits.map((h) => <ResultItem key={h.post.id} hit={h} team={team} onUnsave={view.kind === 'saved' ? () => unsave(h.post.id) : undefined} />)}
          </ul>
        )}
        {moreError !== undefined && <p className="error panel-note" role="alert">{moreError}</p>}
        {current?.next !== undefined && (
          <p className="panel-note">
            <button type="button" className="link" disabled={loadingMore} onClick={loadMore}>{loadingMore ? t('common.loading') : t('search.loadMore')}</button>
          </p>
        )}
      </div>
    </aside>
  );
}

/** The next page of a search: the cursor (newest first), or the next page number while pages were full and the total goes on (best match). */
function nextOf(order: SearchOrder, cursor: string | null, page: number, perPage: number, got: number, total: number): Pick<Listing, 'next'> {
  if (order === 'newest') return cursor !== null ? { next: { cursor } } : {};
  return got === perPage && (page + 1) * perPage < total ? { next: { page: page + 1 } } : {};
}

/** Whether a permalink's post is out of reach: missing, deleted, or in a channel I may not read (the server answers all alike). */
export function isUnreachable(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 404 || err.status === 403 || err.status === 400);
}

/** A permalink that cannot be opened (yet): loading, not found, or an error; with the way back to the team. */
export function PermalinkState({ status, message, team }: { readonly status: 'loading' | 'missing' | 'error'; readonly message?: string | undefined; readonly team: Team }) {
  if (status === 'loading') return <p className="muted panel-note" role="status">{t('permalink.opening')}</p>;
  const home = `/${encodeURIComponent(team.name)}`;
  return (
    <section className="permalink-state" aria-labelledby="permalink-title">
      <h1 id="permalink-title">{status === 'missing' ? t('permalink.missing') : t('permalink.error')}</h1>
      <p className="muted">{status === 'missing' ? t('permalink.missingHint') : message}</p>
      <p><a href={home} onClick={(e: MouseEvent) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(home);
      }}>{t('permalink.backTo', { team: team.display_name })}</a></p>
    </section>
  );
}

/** A permalink to a message in a public channel I have not joined: the message, and a way in. */
export function PermalinkOutside({ post }: { readonly post: Post }) {
  const { state, actions, api } = useChat();
  const [channel, setChannel] = useState<Channel | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [joining, setJoining] = useState(false);
  useEffect(() => {
    let cancelled = false;
    api.channel(post.channel_id).then((c) => {
      if (!cancelled) setChannel(c);
    }, (err: unknown) => {
      if (!cancelled) setError(describeError(err));
    });
    return () => {
      cancelled = true;
    };
  }, [api, post.channel_id]);
  const author = state.users[post.user_id];
  return (
    <section className="permalink-state" aria-labelledby="permalink-title">
      <h1 id="permalink-title">{channel !== undefined ? t('permalink.inChannel', { channel: channel.display_name || channel.name }) : t('permalink.notJoined')}</h1>
      <blockquote className="permalink-preview">
        <p className="author">{author !== undefined ? userLabel(author) : t('names.someone')}<AuthorMark post={post} author={author} /></p>
        <MessageText message={post.message} me={state.me.username} />
      </blockquote>
      <p>{t('permalink.notMember')}</p>
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      <button type="button" className="primary" disabled={joining || channel === undefined} onClick={() => {
        setJoining(true);
        actions.joinChannel(post.channel_id).catch((err: unknown) => {
          setError(describeError(err));
          setJoining(false);
        });
      }}>{joining ? t('common.joining') : t('permalink.join')}</button>
    </section>
  );
}
