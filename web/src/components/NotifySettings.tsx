/**
 * Notification screens (issue #15): the Notifications section of the settings, a channel's
 * notification preferences, the @channel confirmation, the banner that offers desktop
 * notifications, the do-not-disturb schedule and the custom end of do-not-disturb. The rules themselves are the server's
 * (README "Notifications"); desktop display is lib/desktop-notify.ts.
 */
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import { describeError } from '../lib/api.js';
import { bannerDismissed, browserPermission, dismissBanner, localSoundOn, requestPermission, setLocalSound } from '../lib/desktop-browser.js';
import type { DesktopPermission } from '../lib/desktop-notify.js';
import type { Channel, ChannelNotifyProps, DndSchedule, NotifyLevel, NotifyPrefs } from '../lib/types.js';
import { useChat, useChatActions, useChatSelector } from '../state/chat.js';
import { channelLabel } from '../state/reducer.js';
import { Dialog } from './Dialog.js';
import { t, tParts } from '../i18n/index.js';

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

/** The weekdays in the order shown (Monday first); 0 = Sunday, as the server counts them. */
const WEEK = [1, 2, 3, 4, 5, 6, 0] as const;
type Weekday = (typeof WEEK)[number];
interface DayDraft { readonly on: boolean; readonly start: string; readonly end: string }
type ScheduleDraft = { readonly enabled: boolean; readonly days: Readonly<Record<Weekday, DayDraft>> };

/** The form's copy of a schedule: every weekday, switched on where the schedule has a period. */
function scheduleDraft(schedule: DndSchedule): ScheduleDraft {
  const days = {} as Record<Weekday, DayDraft>;
  for (const day of WEEK) {
    const p = schedule.days.find((d) => d.day === day);
    // A time input cannot show 24:00: midnight at the end reads 00:00 (and is sent back as 24:00 for a whole day).
    days[day] = p === undefined ? { on: false, start: '22:00', end: '07:00' } : { on: true, start: p.start, end: p.end === '24:00' ? '00:00' : p.end };
  }
  return { enabled: schedule.enabled, days };
}

/** The schedule the server takes: the days switched on; 00:00 to 00:00 is the whole day. */
function scheduleOf(draft: ScheduleDraft): DndSchedule {
  return {
    enabled: draft.enabled,
    days: WEEK.filter((day) => draft.days[day].on).map((day) => {
      const { start, end } = draft.days[day];
      return { day, start, end: end === '00:00' && start === '00:00' ? '24:00' : end };
    }),
  };
}

/** The time zone of this browser (what the schedule uses when the profile has none). */
function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Settings → Notifications → Do not disturb schedule: on/off, and a period per weekday. */
function DndScheduleFields({ id, draft, zone, onChange }: { readonly id: string; readonly draft: ScheduleDraft; readonly zone: string; readonly onChange: (d: ScheduleDraft) => void }) {
  const setDay = (day: Weekday, patch: Partial<DayDraft>) => onChange({ ...draft, days: { ...draft.days, [day]: { ...draft.days[day], ...patch } } });
  const zoneName: ReactNode = <span key="zone" translate="no">{zone.replace(/_/g, ' ')}</span>;
  return (
    <fieldset className="dnd-schedule">
      <legend>{t('notify.dnd.title')}</legend>
      <p><label htmlFor={`${id}-dnd`}><input id={`${id}-dnd`} type="checkbox" checked={draft.enabled} onChange={(e) => onChange({ ...draft, enabled: e.target.checked })} /> {t('notify.dnd.enable')}</label></p>
      <p className="hint">{t('notify.dnd.hint')}</p>
      <p className="hint">{tParts('notify.dnd.zone', { zone: zoneName })}</p>
      <ul className="dnd-days">
        {WEEK.map((day) => {
          const d = draft.days[day];
          const name = t(`notify.dnd.day.${day}`);
          return (
            <li key={day}>
              <label htmlFor={`${id}-dnd-${day}`}><input id={`${id}-dnd-${day}`} type="checkbox" checked={d.on} onChange={(e) => setDay(day, { on: e.target.checked })} /> {name}</label>
              <input type="time" aria-label={t('notify.dnd.start', { day: name })} value={d.start} required disabled={!d.on} onChange={(e) => setDay(day, { start: e.target.value })} />
              <span aria-hidden="true">–</span>
              <input type="time" aria-label={t('notify.dnd.end', { day: name })} value={d.end} required disabled={!d.on} onChange={(e) => setDay(day, { end: e.target.value })} />
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}

/** Settings → Notifications: levels per medium, keywords, first name, @channel, e-mail interval, sound, do-not-disturb schedule. */
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
  const [schedule, setSchedule] = useState(() => scheduleDraft(prefs.dnd_schedule));
  const myZone = useChatSelector((s) => s.me.timezone ?? '');
  // The server reads the schedule in the profile's time zone; without one, this browser's is saved with it.
  const zone = myZone !== '' ? myZone : browserZone();
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ error: boolean; text: string } | undefined>(undefined);

  function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setMsg(undefined);
    const words = keywords.split(',').map((w) => w.trim()).filter((w) => w !== '');
    const { dnd_end_at: _dnd, ...rest } = draft;
    const dnd_schedule = scheduleOf(schedule);
    const zoneFirst = dnd_schedule.enabled && myZone === '' ? actions.updateProfile({ timezone: zone }) : Promise.resolve();
    zoneFirst.then(() => actions.setNotifyPrefs({ ...rest, keywords: words, dnd_schedule }))
      .then((saved) => {
        setDraft(saved);
        setKeywords(saved.keywords.join(', '));
        setSchedule(scheduleDraft(saved.dnd_schedule));
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
            <DndScheduleFields id={id} draft={schedule} zone={zone} onChange={setSchedule} />
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
