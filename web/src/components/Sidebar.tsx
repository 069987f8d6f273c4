/** The team's channels and my direct messages, with unread and mention badges; me at the bottom. */
import { useEffect, useState, type MouseEvent } from 'react';
import { describeError } from '../lib/api.js';
import { channelPath, threadsPath } from '../lib/route.js';
import type { Channel, Presence, Team } from '../lib/types.js';
import { navigate } from '../navigation.js';
import { useChat } from '../state/chat.js';
import { channelLabel, directPartner, isMuted, threadUnreads, userLabel } from '../state/reducer.js';
import { DND_CHOICES, dndEndTime, dndExpired, type DndChoice } from '../lib/desktop-notify.js';
import { DndCustomDialog } from './NotifySettings.js';
import { formatDate } from '../i18n/index.js';
import { Avatar, CountBadge, PresenceDot, presenceLabel } from './bits.js';
import { CustomEmojiDialog } from './CustomEmojiDialog.js';
import { ConfirmDialog } from './Dialog.js';
import { ListIcon, LockIcon, PlusIcon, SmileIcon, UsersIcon } from './icons.js';
import { AddPeopleDialog, BrowseChannelsDialog, CreateChannelDialog, DirectMessageDialog, ProfileDialog } from './dialogs.js';
import { GroupMessageDialog } from './GroupMessageDialog.js';
import { CustomStatus } from './CustomStatus.js';
import { SettingsDialog } from './SettingsDialog.js';
import { IntegrationsDialog } from './IntegrationsDialog.js';
import { NewCategoryButton, SidebarCategories, dropZone, useArrangement, type ArrangeProps } from './SidebarCategories.js';
import { t } from '../i18n/index.js';

type SidebarDialog = 'create' | 'browse' | 'dm' | 'group' | 'add-team' | 'leave-team' | 'profile' | 'settings' | 'emoji' | 'integrations' | 'dnd' | undefined;

/** `arrange`: drag, keyboard and button controls for favourites and categories (SidebarCategories.tsx). */
export function ChannelLink({ team, channel, current, arrange }: { readonly team: Team; readonly channel: Channel; readonly current: boolean; readonly arrange?: ArrangeProps | undefined }) {
  const { state, actions } = useChat();
  const counts = state.unreads[channel.id] ?? { unread: 0, mentions: 0 };
  const label = channelLabel(state, channel);
  const partner = directPartner(state, channel);
  const direct = channel.type === 'direct' || channel.type === 'group';
  // A muted channel is drawn dimmed and never bold; its mentions still show.
  const muted = isMuted(state, channel.id);
  const unread = counts.unread > 0 && !current && !muted;
  const href = channelPath(team.name, channel.name);
  const a11y = [label, muted ? t('notify.muted') : '', unread ? t('common.unread', { count: counts.unread }) : '', counts.mentions > 0 && !current ? t('common.mentions', { count: counts.mentions }) : ''].filter(Boolean).join(t('common.listSeparator'));
  const toggleMute = () => {
    actions.setMuted(channel.id, !muted).then(
      () => actions.notify(muted ? t('notify.unmutedNotice', { channel: label }) : t('notify.mutedNotice', { channel: label })),
      (err: unknown) => actions.notify(describeError(err)),
    );
  };
  return (
    <li {...arrange?.li}>
      <a
        href={href}
        data-channel-id={channel.id}
        onKeyDown={arrange?.onLinkKeyDown}
        className={`channel-link${unread ? ' unread' : ''}${muted ? ' muted' : ''}`}
        aria-current={current ? 'page' : undefined}
        aria-label={a11y}
        data-channel={channel.name}
        data-muted={muted ? 'true' : undefined}
        onContextMenu={(e: MouseEvent) => {
          // The channel's menu: right-click mutes or unmutes (the button beside it does the same).
          e.preventDefault();
          toggleMute();
        }}
        onClick={(e: MouseEvent) => {
          if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
          e.preventDefault();
          navigate(href);
        }}
      >
        <span className="channel-icon" aria-hidden="true">
          {partner !== undefined ? <PresenceDot status={state.presence[partner] ?? 'offline'} /> : direct ? <UsersIcon /> : channel.type === 'private' ? <LockIcon /> : '#'}
        </span>
        <span className="channel-name">{label}</span>
        {!current && (direct ? <CountBadge count={muted ? counts.mentions : counts.unread} mention /> : counts.mentions > 0 ? <CountBadge count={counts.mentions} mention /> : <CountBadge count={muted ? 0 : counts.unread} />)}
      </a>
      <button type="button" className="mini mute-toggle" aria-pressed={muted} aria-label={muted ? t('notify.unmute', { channel: label }) : t('notify.mute', { channel: label })}
        title={muted ? t('notify.unmuteTitle') : t('notify.muteTitle')} onClick={toggleMute}>{muted ? '🔕' : '🔔'}</button>
      {arrange?.controls}
    </li>
  );
}

/** The Threads view's entry: bold with a badge while a followed thread has unread replies. */
function ThreadsLink({ team, current }: { readonly team: Team; readonly current: boolean }) {
  const { state, actions } = useChat();
  useEffect(() => {
    actions.loadFollowedThreads().catch(() => undefined);
  }, [actions]);
  const counts = threadUnreads(state, team.id);
  const unread = counts.unread > 0 && !current;
  const href = threadsPath(team.name);
  const a11y = [t('sidebar.threads'), counts.unread > 0 ? t('common.unread', { count: counts.unread }) : '', counts.mentions > 0 ? t('common.mentions', { count: counts.mentions }) : ''].filter(Boolean).join(t('common.listSeparator'));
  return (
    <ul className="channel-list">
      <li>
        <a
          href={href}
          className={`channel-link threads-link${unread ? ' unread' : ''}`}
          aria-current={current ? 'page' : undefined}
          aria-label={a11y}
          data-threads-unread={counts.unread}
          onClick={(e: MouseEvent) => {
            if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
            e.preventDefault();
            navigate(href);
          }}
        >
          <span className="channel-icon" aria-hidden="true">@</span>
          <span className="channel-name">{t('sidebar.threads')}</span>
          {counts.mentions > 0 ? <CountBadge count={counts.mentions} mention /> : <CountBadge count={counts.unread} />}
        </a>
      </li>
    </ul>
  );
}

export function Sidebar({ team, currentChannelId, threadsOpen = false }: { readonly team: Team; readonly currentChannelId: string | undefined; readonly threadsOpen?: boolean }) {
  const { state, actions } = useChat();
  const [dialog, setDialog] = useState<SidebarDialog>(undefined);
  const arrangement = useArrangement();
  useEffect(() => {
    actions.loadSidebar().catch(() => undefined); // the default groups until it loads
  }, [actions]);
  // Which channels are muted (and my preferences): again when channels come or go.
  const channelKey = Object.keys(state.channels).sort().join(',');
  useEffect(() => {
    actions.loadNotifySettings().catch(() => undefined);
  }, [actions, channelKey]);
  // Do-not-disturb with an end time: back online when it ends (the server already treats it as over).
  const myStatus = state.presence[state.me.id];
  const dndEnd = state.notifyPrefs?.dnd_end_at;
  useEffect(() => {
    if (myStatus !== 'dnd' || dndEnd == null) return;
    const end = () => {
      if (dndExpired(myStatus, dndEnd, Date.now())) actions.setPresence('online').catch(() => undefined);
    };
    const timer = setTimeout(end, Math.min(Math.max(0, dndEnd - Date.now()), 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [actions, myStatus, dndEnd]);
  const onStatus = (value: string) => {
    const fail = (err: unknown) => actions.notify(describeError(err));
    if (value === 'dnd:custom') setDialog('dnd');
    else if (value.startsWith('dnd')) actions.setDoNotDisturb(dndEndTime(value as DndChoice)).catch(fail);
    else actions.setPresence(value as Presence).catch(fail);
  };
  const shownStatus = state.presence[state.me.id] === 'offline' ? 'online' : state.presence[state.me.id] ?? 'online';
  const all = Object.values(state.channels).filter((c) => !arrangement.placed.has(c.id));
  const teamChannels = all
    .filter((c) => c.team_id === team.id && (c.type === 'public' || c.type === 'private') && (!c.is_archived || c.id === currentChannelId))
    .sort((a, b) => channelLabel(state, a).localeCompare(channelLabel(state, b)));
  const conversations = all
    .filter((c) => c.type === 'direct' || c.type === 'group')
    .sort((a, b) => b.last_post_at - a.last_post_at);
  const go = (c: Channel) => {
    setDialog(undefined);
    navigate(channelPath(team.name, c.name));
  };
  const conn = state.connection;
  const connText = conn === 'open' ? t('sidebar.connected') : conn === 'waiting' ? t('sidebar.reconnecting') : conn === 'ended' ? t('sidebar.disconnected') : t('sidebar.connecting');

  return (
    <nav id="sidebar-drawer" className="sidebar" aria-label={t('sidebar.label', { team: team.display_name })}>
      <header className="sidebar-header">
        <h2 className="team-name">{team.display_name}</h2>
        <div className="sidebar-tools">
          <button type="button" onClick={() => setDialog('add-team')}>{t('sidebar.addPeople')}</button>
          <button type="button" onClick={() => setDialog('leave-team')}>{t('sidebar.leaveTeam')}</button>
          <button type="button" aria-haspopup="dialog" onClick={() => setDialog('integrations')}>{t('sidebar.integrations')}</button>
        </div>
      </header>
      <div className="sidebar-scroll">
        <ThreadsLink team={team} current={threadsOpen} />
        <SidebarCategories team={team} currentChannelId={currentChannelId} arrangement={arrangement} />
        <section aria-labelledby="sb-channels">
          <div className="section-title">
            <h3 id="sb-channels">{t('sidebar.channels')}</h3>
            <button type="button" className="icon" aria-label={t('sidebar.browseChannels')} title={t('sidebar.browseChannels')} onClick={() => setDialog('browse')}><ListIcon /></button>
            <button type="button" className="icon" aria-label={t('sidebar.createChannel')} title={t('sidebar.createChannel')} onClick={() => setDialog('create')}><PlusIcon /></button>
          </div>
          <ul className="channel-list" {...dropZone(arrangement, null)}>
            {teamChannels.map((c) => <ChannelLink key={c.id} team={team} channel={c} current={c.id === currentChannelId} arrange={arrangement.arrange(c, null, [])} />)}
          </ul>
        </section>
        <section aria-labelledby="sb-direct">
          <div className="section-title">
            <h3 id="sb-direct">{t('sidebar.directMessages')}</h3>
            <button type="button" className="icon" aria-label={t('sidebar.newGroupMessage')} title={t('sidebar.newGroupMessage')} onClick={() => setDialog('group')}><UsersIcon /></button>
            <button type="button" className="icon" aria-label={t('sidebar.newDirectMessage')} title={t('sidebar.newDirectMessage')} onClick={() => setDialog('dm')}><PlusIcon /></button>
          </div>
          <ul className="channel-list" {...dropZone(arrangement, null)}>
            {conversations.length === 0 && <li className="empty">{t('sidebar.noConversations')}</li>}
            {conversations.map((c) => <ChannelLink key={c.id} team={team} channel={c} current={c.id === currentChannelId} arrange={arrangement.arrange(c, null, [])} />)}
          </ul>
        </section>
        <NewCategoryButton arrangement={arrangement} />
      </div>
      <footer className="me">
        <div className="me-row">
          <button type="button" className="me-button" aria-haspopup="dialog" title={t('sidebar.meTitle', { username: state.me.username })} onClick={() => setDialog('settings')}>
            <span className="sr-only">{t('sidebar.profileAndSettings')}</span>
            <Avatar id={state.me.id} name={userLabel(state.me)} size={24} url={state.me.avatar_url} />
            <PresenceDot status={state.presence[state.me.id] ?? 'online'} />
            <span className="me-name">{userLabel(state.me)}</span>
            <CustomStatus user={state.me} />
          </button>
          <button type="button" className="icon" aria-haspopup="dialog" aria-label={t('sidebar.customEmoji')} title={t('sidebar.customEmoji')} onClick={() => setDialog('emoji')}><SmileIcon /></button>
          <button type="button" onClick={() => void actions.signOut()}>{t('common.signOut')}</button>
        </div>
        <div className="me-row">
          <label htmlFor="my-status" className="sr-only">{t('sidebar.myStatus')}</label>
          <select
            id="my-status"
            value={shownStatus === 'dnd' ? 'dnd-now' : shownStatus}
            disabled={conn !== 'open'}
            onChange={(e) => onStatus(e.target.value)}
          >
            {(['online', 'away'] as const).map((p) => <option key={p} value={p}>{presenceLabel(p)}</option>)}
            {shownStatus === 'dnd' && (
              <option value="dnd-now" disabled>{dndEnd != null ? t('status.dndUntil', { time: formatDate(dndEnd, { dateStyle: 'short', timeStyle: 'short' }) }) : presenceLabel('dnd')}</option>
            )}
            {DND_CHOICES.map((c) => <option key={c.value} value={c.value}>{t(c.label)}</option>)}
          </select>
          <span className={`conn conn-${conn}`} role="status">{connText}</span>
        </div>
      </footer>

      {dialog === 'create' && <CreateChannelDialog team={team} onClose={() => setDialog(undefined)} onCreated={go} />}
      {dialog === 'browse' && <BrowseChannelsDialog team={team} onClose={() => setDialog(undefined)} onJoined={go} />}
      {dialog === 'profile' && <ProfileDialog onClose={() => setDialog(undefined)} />}
      {dialog === 'emoji' && <CustomEmojiDialog onClose={() => setDialog(undefined)} />}
      {dialog === 'integrations' && <IntegrationsDialog team={team} onClose={() => setDialog(undefined)} />}
      {dialog === 'dnd' && <DndCustomDialog onClose={() => setDialog(undefined)} />}
      {dialog === 'settings' && <SettingsDialog onClose={() => setDialog(undefined)} onEditPicture={() => setDialog('profile')} />}
      {dialog === 'group' && <GroupMessageDialog onClose={() => setDialog(undefined)} onOpened={go} />}
      {dialog === 'dm' && <DirectMessageDialog onClose={() => setDialog(undefined)} onOpened={go} />}
      {dialog === 'add-team' && (
        <AddPeopleDialog title={t('sidebar.addPeopleTo', { name: team.display_name })} exclude={new Set([state.me.id])} add={(userId) => actions.addTeamMember(team.id, userId)} onClose={() => setDialog(undefined)} />
      )}
      {dialog === 'leave-team' && (
        <ConfirmDialog
          title={t('sidebar.leaveTeamTitle', { name: team.display_name })}
          message={t('sidebar.leaveTeamMessage')}
          confirmLabel={t('sidebar.leaveTeam')}
          danger
          onConfirm={async () => {
            await actions.leaveTeam(team.id);
            navigate('/');
          }}
          onClose={() => setDialog(undefined)}
        />
      )}
    </nav>
  );
}
