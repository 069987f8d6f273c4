/**
 * Notification screens (issue #15): the Notifications section of the settings, a channel's
 * notification preferences, the @channel confirmation, the banner that offers desktop
 * notifications, and the custom end of do-not-disturb. The rules themselves are the server's
 * (README "Notifications"); desktop display is lib/desktop-notify.ts.
 */
import { useEffect, useId, useState, type FormEvent } from 'react';
import { describeError } from '../lib/api.js';
import { bannerDismissed, browserPermission, dismissBanner, localSoundOn, requestPermission, setLocalSound } from '../lib/desktop-browser.js';
import type { DesktopPermission } from '../lib/desktop-notify.js';
import type { Channel, ChannelNotifyProps, NotifyLevel, NotifyPrefs } from '../lib/types.js';
import { useChat, useChatActions, useChatSelector } from '../state/chat.js';
import { channelLabel } from '../state/reducer.js';
import { Dialog } from './Dialog.js';
import { t } from '../i18n/index.js';

const LEVELS: readonly NotifyLevel[] = ['all', 'mention', 'none'];
const INTERVALS: readonly NotifyPrefs['email_interval'][] = ['immediately', 'fifteen', 'hour'];

/** The browser's permission, and a way to ask for it (after a click). */
function usePermission(): [DesktopPermission, () => void] {
  const [permission, setPermission] = useState<DesktopPermission>(browserPermission);
  const ask = () => {
    requestPermission().then(setPermission, () => setPermission(browserPermission()));
  };
  return [permission, ask];
}

/** A gentle offer of desktop notifications, until accepted, refused or dismissed. */
export function NotifyBanner() {
  const [permission, ask] = usePermission();
  const [dismissed, setDismissed] = useState(bannerDismissed);
  if (permission !== 'default' || dismissed) return null;
  return (
    <div className="notify-banner" role="region" aria-label={t('notify.settings')}>
      <span>{t('notify.bannerText')}</span>
      <button type="button" className="primary" onClick={ask}>{t('notify.bannerEnable')}</button>
      <button type="button" onClick={() => {
        dismissBanner();
        setDismissed(true);
      }}>{t('notify.bannerDismiss')}</button>
    </div>
  );
}

function LevelSelect({ id, label, value, onChange }: { readonly id: string; readonly label: string; readonly value: NotifyLevel; readonly onChange: (v: NotifyLevel) => void }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as NotifyLevel)}>
        {LEVELS.map((l) => <option key={l} value={l}>{t(`notify.level.${l}`)}</option>)}
      </select>
    </div>
  );
}

/** Settings → Notifications: levels per medium, keywords, first name, @channel, e-mail interval, sound. */
export function NotificationsSection() {
  const { state, actions } = useChat();
  const [error, setError] = useState<string | undefined>(undefined);
  const loaded = state.notifyPrefs;
  useEffect(() => {
    if (loaded !== undefined) return;
    actions.loadNotifySettings().then(() => undefined, (err: unknown) => setError(describeError(err)));
  }, [actions, loaded]);
  if (loaded === undefined) {
    return (
      <fieldset aria-busy="true">
        <legend>{t('notify.settings')}</legend>
        {error !== undefined ? <p className="error" role="alert">{error}</p> : <p className="muted">{t('common.loading')}</p>}
      </fieldset>
    );
  }
  return <NotificationsForm prefs={loaded} />;
}

function NotificationsForm({ prefs }: { readonly prefs: NotifyPrefs }) {
  const { actions } = useChatActions();
  const id = useId();
  const [permission, ask] = usePermission();
  const [draft, setDraft] = useState<NotifyPrefs>(prefs);
  const [keywords, setKeywords] = useState(prefs.keywords.join(', '));
  const [soundHere, setSoundHere] = useState(localSoundOn);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ error: boolean; text: string } | undefined>(undefined);

  function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setMsg(undefined);
    const words = keywords.split(',').map((w) => w.trim()).filter((w) => w !== '');
    const { dnd_end_at: _dnd, ...rest } = draft;
    actions.setNotifyPrefs({ ...rest, keywords: words })
      .then((saved) => {
        setDraft(saved);
        setKeywords(saved.keywords.join(', '));
        setMsg({ error: false, text: t('notify.saved') });
      }, (err: unknown) => setMsg({ error: true, text: describeError(err) }))
      .finally(() => setBusy(false));
  }

  const set = (patch: Partial<NotifyPrefs>) => setDraft((d) => ({ ...d, ...patch }));
  return (
    <form onSubmit={save}>
      <fieldset>
        <legend>{t('notify.settings')}</legend>
        <p className="muted" role="status">{t(`notify.permission.${permission}`)}</p>
        {permission === 'default' && <p><button type="button" onClick={ask}>{t('notify.bannerEnable')}</button></p>}
        <>
            <div className="row">
              <LevelSelect id={`${id}-desktop`} label={t('notify.desktop')} value={draft.desktop} onChange={(desktop) => set({ desktop })} />
              <LevelSelect id={`${id}-email`} label={t('notify.email')} value={draft.email} onChange={(email) => set({ email })} />
              <LevelSelect id={`${id}-push`} label={t('notify.push')} value={draft.push} onChange={(push) => set({ push })} />
            </div>
            <div className="field">
              <label htmlFor={`${id}-kw`}>{t('notify.keywords')}</label>
              <input id={`${id}-kw`} value={keywords} aria-describedby={`${id}-kw-hint`} onChange={(e) => setKeywords(e.target.value)} />
              <p id={`${id}-kw-hint`} className="hint">{t('notify.keywordsHint')}</p>
            </div>
            <p><label htmlFor={`${id}-fn`}><input id={`${id}-fn`} type="checkbox" checked={draft.first_name} onChange={(e) => set({ first_name: e.target.checked })} /> {t('notify.firstName')}</label></p>
            <p><label htmlFor={`${id}-cm`}><input id={`${id}-cm`} type="checkbox" checked={draft.channel_mentions} onChange={(e) => set({ channel_mentions: e.target.checked })} /> {t('notify.channelMentions')}</label></p>
            <div className="field">
              <label htmlFor={`${id}-int`}>{t('notify.emailInterval')}</label>
              <select id={`${id}-int`} value={draft.email_interval} onChange={(e) => set({ email_interval: e.target.value as NotifyPrefs['email_interval'] })}>
                {INTERVALS.map((i) => <option key={i} value={i}>{t(`notify.interval.${i}`)}</option>)}
              </select>
            </div>
            <p><label htmlFor={`${id}-snd`}><input id={`${id}-snd`} type="checkbox" checked={draft.desktop_sound} onChange={(e) => set({ desktop_sound: e.target.checked })} /> {t('notify.sound')}</label></p>
            <p><label htmlFor={`${id}-here`}><input id={`${id}-here`} type="checkbox" checked={soundHere} disabled={!draft.desktop_sound} onChange={(e) => {
              setSoundHere(e.target.checked);
              setLocalSound(e.target.checked);
            }} /> {t('notify.soundHere')}</label></p>
        </>
        {msg !== undefined && <p className={msg.error ? 'error' : 'notice-line'} role={msg.error ? 'alert' : 'status'}>{msg.text}</p>}
        <div className="dialog-actions"><button type="submit" className="primary" disabled={busy}>{t('notify.save')}</button></div>
      </fieldset>
    </form>
  );
}

type ChannelLevel = ChannelNotifyProps['desktop'];

/** A channel's own notification preferences (from its header). */
export function ChannelNotifyDialog({ channel, onClose }: { readonly channel: Channel; readonly onClose: () => void }) {
  const { state, actions } = useChat();
  const id = useId();
  const [draft, setDraft] = useState<ChannelNotifyProps | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    let cancelled = false;
    actions.loadChannelNotifyProps(channel.id).then((p) => {
      if (!cancelled) setDraft(p);
    }, (err: unknown) => {
      if (!cancelled) setError(describeError(err));
    });
    if (state.notifyPrefs === undefined) actions.loadNotifySettings().catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [actions, channel.id, state.notifyPrefs]);
  const label = channelLabel(state, channel);
  const set = (patch: Partial<ChannelNotifyProps>) => setDraft((d) => (d === undefined ? d : { ...d, ...patch }));
  const medium = (key: 'desktop' | 'email' | 'push') => {
    const global = state.notifyPrefs?.[key];
    return (
      <div className="field">
        <label htmlFor={`${id}-${key}`}>{t(`notify.${key}`)}</label>
        <select id={`${id}-${key}`} value={draft?.[key] ?? 'default'} onChange={(e) => set({ [key]: e.target.value as ChannelLevel })}>
          <option value="default">{t('notify.level.default', { level: global !== undefined ? t(`notify.level.${global}`) : '…' })}</option>
          {LEVELS.map((l) => <option key={l} value={l}>{t(`notify.level.${l}`)}</option>)}
        </select>
      </div>
    );
  };
  return (
    <Dialog title={t('notify.channelTitle', { channel: label })} onClose={onClose}>
      <form onSubmit={(e) => {
        e.preventDefault();
        if (draft === undefined) return;
        setBusy(true);
        setError(undefined);
        actions.setChannelNotifyProps(channel.id, draft).then(onClose, (err: unknown) => {
          setError(describeError(err));
          setBusy(false);
        });
      }}>
        {draft !== undefined && (
          <>
            <p><label htmlFor={`${id}-mute`}><input id={`${id}-mute`} type="checkbox" checked={draft.mark_unread === 'mention'} onChange={(e) => set({ mark_unread: e.target.checked ? 'mention' : 'all' })} /> {t('notify.muteChannel')}</label></p>
            <div className="row">{medium('desktop')}{medium('email')}{medium('push')}</div>
            <div className="field">
              <label htmlFor={`${id}-ign`}>{t('notify.ignoreChannelMentions')}</label>
              <select id={`${id}-ign`} value={draft.ignore_channel_mentions} onChange={(e) => set({ ignore_channel_mentions: e.target.value as ChannelNotifyProps['ignore_channel_mentions'] })}>
                {(['default', 'on', 'off'] as const).map((v) => <option key={v} value={v}>{t(`notify.ignore.${v}`)}</option>)}
              </select>
            </div>
          </>
        )}
        {error !== undefined && <p className="error" role="alert">{error}</p>}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>{t('common.cancel')}</button>
          <button type="submit" className="primary" disabled={busy || draft === undefined}>{t('common.save')}</button>
        </div>
      </form>
    </Dialog>
  );
}

/** "This will notify N people": the server asked to confirm an @channel/@all/@here (409 CHANNEL_MENTION_CONFIRM_REQUIRED). */
export function MentionConfirmDialog() {
  const pending = useChatSelector((s) => s.mentionConfirm);
  const { actions } = useChatActions();
  if (pending === undefined) return null;
  return (
    <Dialog title={t('notify.confirmTitle')} onClose={() => actions.cancelChannelMention()}>
      <form method="dialog" onSubmit={(e) => {
        e.preventDefault();
        actions.confirmChannelMention().catch((err: unknown) => actions.notify(describeError(err)));
      }}>
        <p>{t('notify.confirmMessage', { count: pending.memberCount })}</p>
        <div className="dialog-actions">
          <button type="button" onClick={() => actions.cancelChannelMention()}>{t('common.cancel')}</button>
          <button type="submit" className="primary" autoFocus>{t('notify.confirmSend')}</button>
        </div>
      </form>
    </Dialog>
  );
}

/** `datetime-local` value of a time (local). */
function localInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Do not disturb until a time the person picks. */
export function DndCustomDialog({ onClose }: { readonly onClose: () => void }) {
  const { actions } = useChatActions();
  const id = useId();
  const [value, setValue] = useState(() => localInput(Date.now() + 2 * 3600_000));
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  return (
    <Dialog title={t('status.customTitle')} onClose={onClose}>
      <form onSubmit={(e) => {
        e.preventDefault();
        const end = new Date(value).getTime();
        if (!Number.isFinite(end) || end <= Date.now()) {
          setError(t('status.customPast'));
          return;
        }
        setBusy(true);
        actions.setDoNotDisturb(end).then(onClose, (err: unknown) => {
          setError(describeError(err));
          setBusy(false);
        });
      }}>
        <div className="field">
          <label htmlFor={`${id}-end`}>{t('status.customLabel')}</label>
          <input id={`${id}-end`} type="datetime-local" value={value} required onChange={(e) => setValue(e.target.value)} />
        </div>
        {error !== undefined && <p className="error" role="alert">{error}</p>}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>{t('common.cancel')}</button>
          <button type="submit" className="primary" disabled={busy}>{t('status.customSet')}</button>
        </div>
      </form>
    </Dialog>
  );
}
