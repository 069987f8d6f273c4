/** The workspace's dialogs: teams, channels, people, direct messages and my profile. */
import { useEffect, useId, useState, type FormEvent } from 'react';
import { describeError } from '../lib/api.js';
import { uploadErrorText } from '../lib/attachments.js';
import { AVATAR_TYPES } from '../lib/files.js';
import { slugify } from '../lib/format.js';
import type { Channel, Team } from '../lib/types.js';
import { useChat, useChatActions } from '../state/chat.js';
import { userLabel } from '../state/reducer.js';
import { Avatar } from './bits.js';
import { Dialog, UserPicker } from './Dialog.js';
import { t, t as tr } from '../i18n/index.js';

/** Name + URL name fields shared by "create team" and "create channel". */
function useNamedForm() {
  const [displayName, setDisplayName] = useState('');
  const [name, setName] = useState('');
  const [nameTouched, setNameTouched] = useState(false);
  return {
    displayName,
    name: nameTouched ? name : slugify(displayName),
    setDisplayName,
    setName: (v: string) => {
      setNameTouched(true);
      setName(v);
    },
  };
}

export function CreateTeamForm({ onCreated, onCancel }: { readonly onCreated: (team: Team) => void; readonly onCancel?: () => void }) {
  const { actions } = useChatActions();
  const f = useNamedForm();
  const [open, setOpen] = useState(true);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const id = useId();
  function submit(e: FormEvent) {
    e.preventDefault();
    if (f.displayName.trim() === '') return setError(t('team.errorName'));
    setBusy(true);
    actions.createTeam({ display_name: f.displayName.trim(), name: f.name, type: open ? 'open' : 'invite' }).then(onCreated, (err: unknown) => {
      setError(describeError(err));
      setBusy(false);
    });
  }
  return (
    <form onSubmit={submit} noValidate>
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      <label htmlFor={`${id}-dn`}>{t('team.name')}</label>
      <input id={`${id}-dn`} value={f.displayName} onChange={(e) => f.setDisplayName(e.target.value)} maxLength={64} autoFocus />
      <label htmlFor={`${id}-n`}>{t('team.urlName')}</label>
      <input id={`${id}-n`} value={f.name} onChange={(e) => f.setName(e.target.value)} aria-describedby={`${id}-n-hint`} spellCheck={false} autoCapitalize="none" />
      <p id={`${id}-n-hint`} className="hint">{t('team.urlNameHint')}</p>
      <label className="check">
        <input type="checkbox" checked={open} onChange={(e) => setOpen(e.target.checked)} /> {t('team.openToAll')}
      </label>
      <div className="dialog-actions">
        {onCancel !== undefined && <button type="button" onClick={onCancel}>{t('common.cancel')}</button>}
        <button type="submit" className="primary" disabled={busy}>{t('team.create')}</button>
      </div>
    </form>
  );
}

export function CreateTeamDialog({ onClose, onCreated }: { readonly onClose: () => void; readonly onCreated: (team: Team) => void }) {
  return (
    <Dialog title={t('workspace.createTeam')} onClose={onClose}>
      <CreateTeamForm onCreated={onCreated} onCancel={onClose} />
    </Dialog>
  );
}

export function JoinableTeams({ onJoined }: { readonly onJoined: (team: Team) => void }) {
  const { api, actions } = useChatActions();
  const [teams, setTeams] = useState<Team[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  useEffect(() => {
    api.joinableTeams().then(setTeams, (err: unknown) => setError(describeError(err)));
  }, [api]);
  return (
    <div>
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      <ul className="pick-list" aria-label={t('team.openTeams')} aria-busy={teams === undefined}>
        {teams !== undefined && teams.length === 0 && <li className="empty">{t('team.noOpenTeams')}</li>}
        {teams?.map((t) => (
          <li key={t.id}>
            <span className="who">
              <span className="name">{t.display_name}</span>
              {t.description !== '' && <span className="muted"> — {t.description}</span>}
            </span>
            <button
              type="button"
              disabled={busy !== undefined}
              aria-label={tr('team.joinName', { name: t.display_name })}
              onClick={() => {
                setBusy(t.id);
                actions.joinTeam(t.id).then(() => onJoined(t), (err: unknown) => {
                  setError(describeError(err));
                  setBusy(undefined);
                });
              }}
            >
              {busy === t.id ? tr('common.joining') : tr('common.join')}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function JoinTeamDialog({ onClose, onJoined }: { readonly onClose: () => void; readonly onJoined: (team: Team) => void }) {
  return (
    <Dialog title={t('workspace.joinTeam')} onClose={onClose}>
      <JoinableTeams onJoined={onJoined} />
    </Dialog>
  );
}

export function CreateChannelDialog({ team, onClose, onCreated }: { readonly team: Team; readonly onClose: () => void; readonly onCreated: (c: Channel) => void }) {
  const { actions } = useChatActions();
  const f = useNamedForm();
  const [purpose, setPurpose] = useState('');
  const [priv, setPriv] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const id = useId();
  function submit(e: FormEvent) {
    e.preventDefault();
    if (f.displayName.trim() === '') return setError(t('channelForm.errorName'));
    setBusy(true);
    actions.createChannel({ team_id: team.id, display_name: f.displayName.trim(), name: f.name, purpose: purpose.trim(), channel_type: priv ? 'private' : 'public' }).then(onCreated, (err: unknown) => {
      setError(describeError(err));
      setBusy(false);
    });
  }
  return (
    <Dialog title={t('channelForm.title', { team: team.display_name })} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        {error !== undefined && <p className="error" role="alert">{error}</p>}
        <label htmlFor={`${id}-dn`}>{t('channelForm.name')}</label>
        <input id={`${id}-dn`} value={f.displayName} onChange={(e) => f.setDisplayName(e.target.value)} maxLength={64} autoFocus />
        <label htmlFor={`${id}-n`}>{t('team.urlName')}</label>
        <input id={`${id}-n`} value={f.name} onChange={(e) => f.setName(e.target.value)} spellCheck={false} autoCapitalize="none" aria-describedby={`${id}-n-hint`} />
        <p id={`${id}-n-hint`} className="hint">{t('channelForm.urlNameHint')}</p>
        <label htmlFor={`${id}-p`}>{t('channelForm.purpose')} <span className="optional">{t('common.optional')}</span></label>
        <input id={`${id}-p`} value={purpose} onChange={(e) => setPurpose(e.target.value)} maxLength={250} />
        <label className="check">
          <input type="checkbox" checked={priv} onChange={(e) => setPriv(e.target.checked)} /> {t('channelForm.private')}
        </label>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>{t('common.cancel')}</button>
          <button type="submit" className="primary" disabled={busy}>{t('channelForm.create')}</button>
        </div>
      </form>
    </Dialog>
  );
}

export function BrowseChannelsDialog({ team, onClose, onJoined }: { readonly team: Team; readonly onClose: () => void; readonly onJoined: (c: Channel) => void }) {
  const { api, actions, state } = useChat();
  const [channels, setChannels] = useState<Channel[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [filter, setFilter] = useState('');
  const id = useId();
  useEffect(() => {
    api.teamChannels(team.id).then(setChannels, (err: unknown) => setError(describeError(err)));
  }, [api, team.id]);
  const q = filter.trim().toLowerCase();
  const shown = (channels ?? [])
    .filter((c) => c.type === 'public' && !c.is_archived && state.channels[c.id] === undefined)
    .filter((c) => q === '' || c.name.includes(q) || c.display_name.toLowerCase().includes(q))
    .sort((a, b) => a.display_name.localeCompare(b.display_name));
  return (
    <Dialog title={t('browse.title')} onClose={onClose}>
      <label htmlFor={`${id}-f`}>{t('browse.find')}</label>
      <input id={`${id}-f`} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} autoFocus />
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      <ul className="pick-list" aria-label={t('browse.list')} aria-busy={channels === undefined}>
        {channels !== undefined && shown.length === 0 && <li className="empty">{t('browse.none')}</li>}
        {shown.map((c) => (
          <li key={c.id}>
            <span className="who">
              <span className="name"># {c.display_name}</span>
              {c.purpose !== '' && <span className="muted"> — {c.purpose}</span>}
            </span>
            <button
              type="button"
              disabled={busy !== undefined}
              aria-label={t('browse.join', { name: c.display_name })}
              onClick={() => {
                setBusy(c.id);
                actions.joinChannel(c.id).then(onJoined, (err: unknown) => {
                  setError(describeError(err));
                  setBusy(undefined);
                });
              }}
            >
              {busy === c.id ? t('common.joining') : t('common.join')}
            </button>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}

export function DirectMessageDialog({ onClose, onOpened }: { readonly onClose: () => void; readonly onOpened: (c: Channel) => void }) {
  const { actions, state } = useChat();
  return (
    <Dialog title={t('dm.title')} onClose={onClose}>
      <UserPicker
        label={t('dm.find')}
        exclude={new Set([state.me.id])}
        action={t('dm.action')}
        actionLabel={(u) => t('dm.actionLabel', { name: userLabel(u) })}
        onPick={async (u) => onOpened(await actions.openDirect(u.id))}
      />
    </Dialog>
  );
}

export function AddPeopleDialog({ title, exclude, add, onClose }: {
  readonly title: string;
  readonly exclude: ReadonlySet<string>;
  readonly add: (userId: string) => Promise<void>;
  readonly onClose: () => void;
}) {
  const [added, setAdded] = useState<string[]>([]);
  const skip = new Set([...exclude, ...added]);
  return (
    <Dialog title={title} onClose={onClose}>
      <UserPicker
        label={t('addPeople.find')}
        exclude={skip}
        action={t('addPeople.action')}
        actionLabel={(u) => t('addPeople.actionLabel', { name: userLabel(u) })}
        onPick={async (u) => {
          await add(u.id);
          setAdded((a) => [...a, u.id]);
        }}
      />
      {added.length > 0 && <p role="status" className="notice">{t('addPeople.added', { count: added.length })}</p>}
      <div className="dialog-actions">
        <button type="button" className="primary" onClick={onClose}>{t('common.done')}</button>
      </div>
    </Dialog>
  );
}

export function EditChannelDialog({ channel, onClose }: { readonly channel: Channel; readonly onClose: () => void }) {
  const { actions } = useChatActions();
  const [purpose, setPurpose] = useState(channel.purpose);
  const [header, setHeader] = useState(channel.header);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const id = useId();
  return (
    <Dialog title={t('editChannel.title')} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          actions.updateChannel(channel.id, { purpose: purpose.trim(), header: header.trim() }).then(onClose, (err: unknown) => {
            setError(describeError(err));
            setBusy(false);
          });
        }}
      >
        {error !== undefined && <p className="error" role="alert">{error}</p>}
        <label htmlFor={`${id}-p`}>{t('editChannel.purpose')}</label>
        <input id={`${id}-p`} value={purpose} onChange={(e) => setPurpose(e.target.value)} maxLength={250} autoFocus />
        <label htmlFor={`${id}-h`}>{t('editChannel.header')}</label>
        <textarea id={`${id}-h`} value={header} onChange={(e) => setHeader(e.target.value)} rows={3} maxLength={1024} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>{t('common.cancel')}</button>
          <button type="submit" className="primary" disabled={busy}>{t('common.save')}</button>
        </div>
      </form>
    </Dialog>
  );
}

/** My profile: who I am here, and my picture (upload an image, or go back to initials). */
export function ProfileDialog({ onClose }: { readonly onClose: () => void }) {
  const { state, actions } = useChat();
  const me = state.me;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const id = useId();

  function run(work: Promise<void>, success: string) {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    work.then(() => setDone(success), (err: unknown) => setError(uploadErrorText(err))).finally(() => setBusy(false));
  }

  return (
    <Dialog title={t('profile.title')} onClose={onClose}>
      <div className="profile-card">
        <Avatar id={me.id} name={userLabel(me)} size={96} url={me.avatar_url} />
        <div>
          <p className="profile-name">{userLabel(me)}</p>
          <p className="muted">@{me.username}</p>
        </div>
      </div>
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      <p className="notice-line" role="status">{done}</p>
      <label htmlFor={`${id}-pic`}>{t('profile.picture')}</label>
      <input
        id={`${id}-pic`}
        type="file"
        accept={AVATAR_TYPES.join(',')}
        disabled={busy}
        aria-describedby={`${id}-pic-hint`}
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file === undefined) return;
          if (!(AVATAR_TYPES as readonly string[]).includes(file.type)) {
            setDone(undefined);
            setError(t('profile.pictureType'));
            return;
          }
          run(actions.setAvatar(file, file.name), t('profile.pictureUpdated'));
        }}
      />
      <p id={`${id}-pic-hint`} className="hint">{t('profile.pictureHint')}</p>
      <div className="dialog-actions">
        {me.avatar_url !== null && (
          <button type="button" disabled={busy} onClick={() => run(actions.removeAvatar(), t('profile.pictureRemoved'))}>{t('profile.removePicture')}</button>
        )}
        <button type="button" className="primary" onClick={onClose}>{t('common.done')}</button>
      </div>
    </Dialog>
  );
}
