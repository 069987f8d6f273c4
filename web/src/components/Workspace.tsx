/**
 * The signed-in screen: team rail, the header with the search box, channel sidebar, the open
 * channel and the side panel. The URL (`/<team>/channels/<channel>`) decides what is open;
 * unknown or missing parts are replaced by the team's first channel. A permalink
 * (`/<team>/pl/<post id>`) opens the message's channel around it and keeps its URL.
 */
import { useCallback, useEffect, useState } from 'react';
import { describeError } from '../lib/api.js';
import { channelPath } from '../lib/route.js';
import { permalinkPath } from '../lib/search.js';
import type { Channel, Post, Team } from '../lib/types.js';
import { navigate, useHref, useRoute } from '../navigation.js';
import { useChat, useChatActions, useChatSelector } from '../state/chat.js';
import { channelLabel, teamUnreads, titleCount, userLabel } from '../state/reducer.js';
import { CountBadge } from './bits.js';
import { ChannelView } from './ChannelView.js';
import { CreateTeamDialog, CreateTeamForm, JoinTeamDialog, JoinableTeams } from './dialogs.js';
import { CloseIcon, JoinIcon, PlusIcon } from './icons.js';
import { PermalinkOutside, PermalinkState, SearchBox, SearchPanel, isUnreachable, type SearchView } from './Search.js';
import { FilesPanel, MembersPanel, PinnedPanel, ThreadPanel } from './SidePanel.js';
import { Sidebar } from './Sidebar.js';
import { MentionConfirmDialog, NotifyBanner } from './NotifySettings.js';
import { ThreadsView } from './Threads.js';
import { QuickSwitcher } from './QuickSwitcher.js';
import { t, t as tr } from '../i18n/index.js';

const LAST_TEAM_KEY = 'rustchat.lastTeam';
const DEFAULT_CHANNEL = 'town-square';

type Panel = { kind: 'thread'; rootId: string } | { kind: 'pinned' | 'members' | 'files'; channelId: string } | { kind: 'search'; view: SearchView } | undefined;

type Permalink = { status: 'loading' } | { status: 'missing' } | { status: 'error'; message: string } | { status: 'found'; post: Post };

/** The post a permalink names, fetched once per post id. */
function usePermalink(postId: string | undefined): Permalink | undefined {
  const { api, actions } = useChatActions();
  const [answer, setAnswer] = useState<{ postId: string; permalink: Permalink } | undefined>(undefined);
  useEffect(() => {
    if (postId === undefined) return;
    let cancelled = false;
    api.post(postId).then((post) => {
      if (cancelled) return;
      actions.ensureUsers([post.user_id]);
      setAnswer({ postId, permalink: { status: 'found', post } });
    }, (err: unknown) => {
      if (!cancelled) setAnswer({ postId, permalink: isUnreachable(err) ? { status: 'missing' } : { status: 'error', message: describeError(err) } });
    });
    return () => {
      cancelled = true;
    };
  }, [api, actions, postId]);
  if (postId === undefined) return undefined;
  return answer?.postId === postId ? answer.permalink : { status: 'loading' };
}

function pickChannel(channels: readonly Channel[], team: Team, name: string | undefined): Channel | undefined {
  const visible = channels.filter((c) => c.team_id === team.id || c.team_id === null);
  if (name !== undefined) {
    const found = visible.find((c) => c.name === name);
    if (found !== undefined) return found;
  }
  const own = visible.filter((c) => c.team_id === team.id && !c.is_archived);
  return own.find((c) => c.name === DEFAULT_CHANNEL) ?? own.sort((a, b) => a.name.localeCompare(b.name))[0];
}

function Toasts() {
  const toasts = useChatSelector((s) => s.toasts);
  const { actions } = useChatActions();
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((toast) => (
        <div key={toast.id} className="toast">
          <span>{toast.message}</span>
          <button type="button" className="icon" aria-label={t('common.dismiss')} onClick={() => actions.dismissToast(toast.id)}><CloseIcon /></button>
        </div>
      ))}
    </div>
  );
}

function TeamRail({ teams, current, onCreate, onJoin }: { readonly teams: readonly Team[]; readonly current: Team | undefined; readonly onCreate: () => void; readonly onJoin: () => void }) {
  const { state } = useChat();
  return (
    <nav className="team-rail" aria-label={t('workspace.teams')}>
      <ul>
        {teams.map((t) => {
          const u = teamUnreads(state, t.id);
          const initials = t.display_name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => Array.from(w)[0]!.toUpperCase()).join('') || '?';
          const label = [t.display_name, u.mentions > 0 ? tr('common.mentions', { count: u.mentions }) : u.unread > 0 ? tr('workspace.unreadMessages') : ''].filter(Boolean).join(tr('common.listSeparator'));
          return (
            <li key={t.id}>
              <a
                href={`/${encodeURIComponent(t.name)}`}
                className={`team-button${u.unread > 0 && t.id !== current?.id ? ' unread' : ''}`}
                aria-current={t.id === current?.id ? 'page' : undefined}
                title={t.display_name}
                onClick={(e) => {
                  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
                  e.preventDefault();
                  navigate(`/${encodeURIComponent(t.name)}`);
                }}
              >
                <span aria-hidden="true" translate="no">{initials}</span>
                <span className="sr-only">{label}</span>
                {t.id !== current?.id && <CountBadge count={u.mentions} mention />}
              </a>
            </li>
          );
        })}
      </ul>
      <button type="button" className="team-button add" aria-label={tr('workspace.createTeam')} title={tr('workspace.createTeam')} onClick={onCreate}><PlusIcon /></button>
      <button type="button" className="team-button add" aria-label={tr('workspace.joinTeam')} title={tr('workspace.joinTeam')} onClick={onJoin}><JoinIcon /></button>
    </nav>
  );
}

function NoTeam() {
  const { state, actions } = useChat();
  const open = (t: Team) => navigate(`/${encodeURIComponent(t.name)}`);
  return (
    <main className="center-page">
      <section className="card wide-card" aria-labelledby="welcome-title">
        <h1 id="welcome-title">{t('workspace.welcome', { name: userLabel(state.me) })}</h1>
        <p>{t('workspace.noTeam')}</p>
        <div className="two-col">
          <section aria-labelledby="nt-create">
            <h2 id="nt-create">{t('workspace.createTeam')}</h2>
            <CreateTeamForm onCreated={open} />
          </section>
          <section aria-labelledby="nt-join">
            <h2 id="nt-join">{t('workspace.joinTeam')}</h2>
            <JoinableTeams onJoined={open} />
          </section>
        </div>
        <p><button type="button" className="link" onClick={() => void actions.signOut()}>{t('common.signOut')}</button></p>
      </section>
    </main>
  );
}

export function Workspace() {
  const { state, actions } = useChat();
  const route = useRoute();
  const [panel, setPanel] = useState<Panel>(undefined);
  const [dialog, setDialog] = useState<'create-team' | 'join-team' | 'switcher' | undefined>(undefined);
  // Phone width: the team rail and the sidebar are a drawer (screens.css).
  const [drawerAt, setDrawerAt] = useState<string | undefined>(undefined);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        setDialog('switcher');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  // Stable: it reaches every message row, which re-renders only when its props change.
  const openThread = useCallback((rootId: string) => setPanel({ kind: 'thread', rootId }), []);

  const teams = [...state.teams].sort((a, b) => a.display_name.localeCompare(b.display_name));
  const wantedTeam = route.kind === 'app' ? route.team : undefined;
  let remembered: string | null = null;
  try {
    remembered = window.localStorage.getItem(LAST_TEAM_KEY);
  } catch {
    remembered = null;
  }
  const team = teams.find((t) => t.name === wantedTeam) ?? teams.find((t) => t.name === remembered) ?? teams[0];
  const postId = route.kind === 'app' ? route.postId : undefined;
  const threadsOpen = route.kind === 'app' && route.threads === true;
  const permalink = usePermalink(postId);
  const target = permalink?.status === 'found' ? permalink.post : undefined;
  // A permalink shows its message's channel once I am in it (else the way to join it).
  const channel = postId !== undefined
    ? (target !== undefined ? state.channels[target.channel_id] : undefined)
    : threadsOpen ? undefined
    : team !== undefined ? pickChannel(Object.values(state.channels), team, route.kind === 'app' ? route.channel : undefined) : undefined;
  const channelId = channel?.id;
  const focus = target !== undefined && channel !== undefined ? target : undefined;
  const focusId = focus?.id;
  const focusSeq = focus?.seq;

  // Canonical URL for what is shown, checked again whenever the URL changes (a navigation to
  // the bare team path can arrive after the channel it resolves to is already on screen).
  // A permalink keeps its URL, under the team of its channel.
  const href = useHref();
  // Open at this address only: choosing a channel in the drawer closes it.
  const drawer = drawerAt !== undefined && drawerAt === href;
  useEffect(() => {
    if (team === undefined) return;
    let path: string | undefined;
    if (postId !== undefined) {
      const home = channel?.team_id != null ? teams.find((t) => t.id === channel.team_id) : undefined;
      if (home !== undefined && home.id !== team.id) path = permalinkPath(home.name, postId);
    } else if (channel !== undefined) {
      path = channelPath(team.name, channel.name);
    }
    if (path !== undefined && window.location.pathname !== path) navigate(path, { replace: true });
    try {
      window.localStorage.setItem(LAST_TEAM_KEY, team.name);
    } catch {
      // not remembered
    }
  }, [team, teams, channel, postId, href]);

  useEffect(() => {
    if (channelId === undefined) return;
    const opened = focusId !== undefined && focusSeq !== undefined ? actions.openChannelAround(channelId, { id: focusId, seq: focusSeq }) : actions.openChannel(channelId);
    opened.catch((err: unknown) => actions.notify(describeError(err)));
    return () => actions.closeChannel();
  }, [actions, channelId, focusId, focusSeq]);

  useEffect(() => {
    const title = channel !== undefined ? `${channel.type === 'public' || channel.type === 'private' ? '#' : ''}${channelLabel(state, channel)}` : undefined;
    const unread = titleCount(state);
    document.title = `${unread > 0 ? `(${unread}) ` : ''}${title !== undefined ? `${title} – ` : ''}RustChat`;
  }, [channel, state]);

  if (!state.loaded) return (<><main className="center-page"><p className="muted" role="status">{t('common.loading')}</p></main><Toasts /></>);
  if (team === undefined) return (<><NoTeam /><Toasts /></>);

  const openTeam = (t: Team) => {
    setDialog(undefined);
    navigate(`/${encodeURIComponent(t.name)}`);
  };

  // The pinned, member and file lists belong to the channel they were opened in.
  const shownPanel = panel !== undefined && (panel.kind === 'pinned' || panel.kind === 'members' || panel.kind === 'files') && panel.channelId !== channelId ? undefined : panel;
  const searchRun = panel?.kind === 'search' ? panel.view.n : 0;
  const showSearch = (view: { kind: 'query'; q: string } | { kind: 'mentions' } | { kind: 'saved' }) => setPanel({ kind: 'search', view: { ...view, n: searchRun + 1 } });
  let content;
  if (threadsOpen) {
    content = <ThreadsView team={team} onOpenThread={openThread} />;
  } else if (channel !== undefined) {
    content = (
      // Remounted for each permalink, so that each one scrolls to and highlights its message.
      <ChannelView key={`${channel.id}:${focusId ?? ''}`} channel={channel} focusPostId={focusId} onOpenThread={openThread}
        onShowPinned={() => setPanel({ kind: 'pinned', channelId: channel.id })} onShowMembers={() => setPanel({ kind: 'members', channelId: channel.id })}
        onShowFiles={() => setPanel({ kind: 'files', channelId: channel.id })} onLeft={() => navigate(`/${encodeURIComponent(team.name)}`)} />
    );
  } else if (permalink !== undefined && permalink.status !== 'found') {
    content = <PermalinkState status={permalink.status} message={permalink.status === 'error' ? permalink.message : undefined} team={team} />;
  } else if (target !== undefined) {
    content = <PermalinkOutside post={target} />;
  } else {
    content = <p className="muted panel-note">{t('workspace.noChannel')}</p>;
  }
  return (
    <div className={`workspace${shownPanel !== undefined ? ' with-panel' : ''}${drawer ? ' drawer-open' : ''}`}>
      <a href="#message-box" className="skip-link">{t('workspace.skipToMessageBox')}</a>
      <TeamRail teams={teams} current={team} onCreate={() => setDialog('create-team')} onJoin={() => setDialog('join-team')} />
      <header className="workspace-header">
        <button type="button" className="drawer-toggle" aria-expanded={drawer} aria-controls="sidebar-drawer" onClick={() => setDrawerAt(drawer ? undefined : href)}><span aria-hidden="true">☰</span><span className="sr-only">{t('workspace.drawer')}</span></button>
        <SearchBox key={team.id} team={team} onSearch={(q) => showSearch({ kind: 'query', q })} />
        <div className="header-tools">
          <button type="button" aria-keyshortcuts="Control+K Meta+K" title={t('workspace.findTitle')} onClick={() => setDialog('switcher')}>{t('workspace.find')}</button>
          <button type="button" onClick={() => showSearch({ kind: 'mentions' })}>{t('workspace.recentMentions')}</button>
          <button type="button" onClick={() => showSearch({ kind: 'saved' })}>{t('workspace.savedMessages')}</button>
        </div>
      </header>
      {drawer && <div className="drawer-scrim" aria-hidden="true" onClick={() => setDrawerAt(undefined)} />}
      <Sidebar team={team} currentChannelId={channelId} threadsOpen={threadsOpen} />
      <main className="channel-pane"><NotifyBanner />{content}</main>
      {shownPanel?.kind === 'search' && <SearchPanel view={shownPanel.view} team={team} onView={(view) => setPanel({ kind: 'search', view })} onClose={() => setPanel(undefined)} />}
      {shownPanel?.kind === 'thread' && <ThreadPanel key={shownPanel.rootId} rootId={shownPanel.rootId} onClose={() => setPanel(undefined)} />}
      {shownPanel?.kind === 'pinned' && channel !== undefined && <PinnedPanel channel={channel} onClose={() => setPanel(undefined)} onOpenThread={openThread} />}
      {shownPanel?.kind === 'files' && channel !== undefined && <FilesPanel key={channel.id} channel={channel} onClose={() => setPanel(undefined)} />}
      {shownPanel?.kind === 'members' && channel !== undefined && (
        <MembersPanel channel={channel} onClose={() => setPanel(undefined)} onOpenDirect={(c) => navigate(channelPath(team.name, c.name))} />
      )}
      {dialog === 'create-team' && <CreateTeamDialog onClose={() => setDialog(undefined)} onCreated={openTeam} />}
      {dialog === 'join-team' && <JoinTeamDialog onClose={() => setDialog(undefined)} onJoined={openTeam} />}
      {dialog === 'switcher' && <QuickSwitcher team={team} onClose={() => setDialog(undefined)} onOpen={(c) => {
        setDialog(undefined);
        navigate(channelPath(c.team_id !== null ? teams.find((t) => t.id === c.team_id)?.name ?? team.name : team.name, c.name));
      }} />}
      <MentionConfirmDialog />
      <Toasts />
    </div>
  );
}
