/**
 * Profile and settings: names, position, time zone, a custom status with an emoji and an
 * expiry, notifications, the theme, the password, and the signed-in devices (each can be signed out).
 * Opened from my name at the bottom of the sidebar.
 */
import { useEffect, useId, useState, type FormEvent } from 'react';
import { describeError } from '../lib/api.js';
import { EMOJI, emojiChar } from '../lib/emoji.js';
import { STATUS_EXPIRIES, expiryTime, type Expiry } from '../lib/status.js';
import { setTheme, storedTheme, type ThemeChoice } from '../lib/theme.js';
import type { MySession } from '../lib/types.js';
import { useChat } from '../state/chat.js';
import { userLabel } from '../state/reducer.js';
import { Avatar } from './bits.js';
import { CustomStatus } from './CustomStatus.js';
import { Dialog } from './Dialog.js';
import { NotificationsSection } from './NotifySettings.js';
import { PSEUDO_LOCALE, availableLocales, formatDate, localeName, matchLocale, storeLocale, storedLocale, t } from '../i18n/index.js';

const DATE_TIME: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' };

/** Time zones the browser knows (IANA names), with the browser's own first. */
function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const all = intl.supportedValuesOf?.('timeZone') ?? [];
  return all.includes('UTC') ? all : ['UTC', ...all];
}

function describeDevice(s: MySession): string {
  const ua = s.user_agent;
  const browser = /Firefox\//.test(ua) ? 'Firefox' : /Edg\//.test(ua) ? 'Edge' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : ua.slice(0, 40) || t('settings.unknownBrowser');
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows' : /Mac OS/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : '';
  return os === '' ? browser : t('settings.deviceOn', { browser, os });
}

function ProfileSection() {
  const { state, actions } = useChat();
  const me = state.me;
  const id = useId();
  const [displayName, setDisplayName] = useState(me.display_name);
  const [nickname, setNickname] = useState(me.nickname);
  const [position, setPosition] = useState(me.position);
  const [timezone, setTimezone] = useState(me.timezone !== '' ? me.timezone : Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ error: boolean; text: string } | undefined>(undefined);
  const zones = timeZones();

  function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setMsg(undefined);
    actions.updateProfile({ display_name: displayName, nickname, position, timezone })
      .then(() => setMsg({ error: false, text: t('settings.profileSaved') }), (err: unknown) => setMsg({ error: true, text: describeError(err) }))
      .finally(() => setBusy(false));
  }

  return (
    <form onSubmit={save}>
      <fieldset>
        <legend>{t('settings.profile')}</legend>
        <div className="profile-card">
          <Avatar id={me.id} name={userLabel(me)} size={48} url={me.avatar_url} />
          <div><p className="profile-name">{userLabel(me)}</p><p className="muted">@{me.username}</p></div>
        </div>
        <div className="row">
          <div className="field"><label htmlFor={`${id}-dn`}>{t('settings.displayName')}</label><input id={`${id}-dn`} value={displayName} maxLength={64} onChange={(e) => setDisplayName(e.target.value)} /></div>
          <div className="field"><label htmlFor={`${id}-nn`}>{t('settings.nickname')}</label><input id={`${id}-nn`} value={nickname} maxLength={64} onChange={(e) => setNickname(e.target.value)} /></div>
        </div>
        <div className="row">
          <div className="field"><label htmlFor={`${id}-pos`}>{t('settings.position')}</label><input id={`${id}-pos`} value={position} maxLength={64} onChange={(e) => setPosition(e.target.value)} /></div>
          <div className="field">
            <label htmlFor={`${id}-tz`}>{t('settings.timeZone')}</label>
            <select id={`${id}-tz`} translate="no" value={timezone} onChange={(e) => setTimezone(e.target.value)}>
              {!zones.includes(timezone) && <option value={timezone}>{timezone}</option>}
              {zones.map((z) => <option key={z} value={z}>{z.replace(/_/g, ' ')}</option>)}
            </select>
          </div>
        </div>
        {msg !== undefined && <p className={msg.error ? 'error' : 'notice-line'} role={msg.error ? 'alert' : 'status'}>{msg.text}</p>}
        <div className="dialog-actions"><button type="submit" className="primary" disabled={busy}>{t('settings.saveProfile')}</button></div>
      </fieldset>
    </form>
  );
}

function StatusSection() {
  const { state, actions } = useChat();
  const me = state.me;
  const id = useId();
  const [openedAt] = useState(() => Date.now());
  const active = !(me.status_expires_at !== null && me.status_expires_at <= openedAt);
  const [text, setText] = useState(active ? me.status_text : '');
  const [emoji, setEmoji] = useState(active ? me.status_emoji : '');
  const [expiry, setExpiry] = useState<Expiry>('never');
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ error: boolean; text: string } | undefined>(undefined);

  function run(patch: Parameters<typeof actions.updateProfile>[0], done: string) {
    setBusy(true);
    setMsg(undefined);
    actions.updateProfile(patch).then(() => setMsg({ error: false, text: done }), (err: unknown) => setMsg({ error: true, text: describeError(err) })).finally(() => setBusy(false));
  }

  return (
    <form onSubmit={(e) => {
      e.preventDefault();
      run({ status_text: text, status_emoji: emoji, status_expires_at: expiryTime(expiry) }, t('settings.statusSet'));
    }}>
      <fieldset>
        <legend>{t('settings.status')}</legend>
        <p className="muted">{t('settings.statusNow')}<CustomStatus user={me} />{!active || (me.status_text === '' && me.status_emoji === '') ? t('settings.noStatus') : ''}
          {active && me.status_expires_at !== null && <>{t('settings.statusUntil', { time: formatDate(me.status_expires_at, DATE_TIME) })}</>}</p>
        <div className="row">
          <div className="field" style={{ flex: '0 0 9em' }}>
            <label htmlFor={`${id}-emoji`}>{t('settings.statusEmoji')}</label>
            <select id={`${id}-emoji`} translate="no" value={emoji} onChange={(e) => setEmoji(e.target.value)}>
              <option value="">{t('settings.statusNoEmoji')}</option>
              {emoji !== '' && EMOJI[emoji] === undefined && <option value={emoji}>:{emoji}:</option>}
              {Object.keys(EMOJI).map((name) => <option key={name} value={name}>{emojiChar(name)} {name}</option>)}
            </select>
          </div>
          <div className="field"><label htmlFor={`${id}-text`}>{t('settings.statusText')}</label><input id={`${id}-text`} value={text} maxLength={100} onChange={(e) => setText(e.target.value)} /></div>
          <div className="field" style={{ flex: '0 0 9em' }}>
            <label htmlFor={`${id}-exp`}>{t('settings.clearAfter')}</label>
            <select id={`${id}-exp`} value={expiry} onChange={(e) => setExpiry(e.target.value as Expiry)}>
              {STATUS_EXPIRIES.map((x) => <option key={x.value} value={x.value}>{t(x.label)}</option>)}
            </select>
          </div>
        </div>
        {msg !== undefined && <p className={msg.error ? 'error' : 'notice-line'} role={msg.error ? 'alert' : 'status'}>{msg.text}</p>}
        <div className="dialog-actions">
          <button type="button" disabled={busy} onClick={() => {
            setText('');
            setEmoji('');
            run({ status_text: '', status_emoji: '' }, t('settings.statusCleared'));
          }}>{t('settings.clearStatus')}</button>
          <button type="submit" className="primary" disabled={busy}>{t('settings.setStatus')}</button>
        </div>
      </fieldset>
    </form>
  );
}

function ThemeSection() {
  const id = useId();
  const [choice, setChoice] = useState<ThemeChoice>(storedTheme());
  return (
    <fieldset>
      <legend>{t('settings.theme')}</legend>
      <div role="radiogroup" aria-label={t('settings.theme')} className="row">
        {(['system', 'light', 'dark'] as const).map((theme) => (
          <label key={theme} htmlFor={`${id}-${theme}`}>
            <input id={`${id}-${theme}`} type="radio" name={`${id}-theme`} value={theme} checked={choice === theme} onChange={() => {
              setChoice(theme);
              setTheme(theme);
            }} /> {t(`settings.theme.${theme}`)}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** The language of the client (kept in this browser); the page reloads in it. */
function LanguageSection() {
  const id = useId();
  const stored = storedLocale();
  const chosen = stored !== undefined ? matchLocale([stored]) ?? '' : '';
  return (
    <fieldset>
      <legend>{t('settings.language')}</legend>
      <label htmlFor={`${id}-lang`} className="sr-only">{t('settings.language')}</label>
      <select id={`${id}-lang`} value={chosen} aria-describedby={`${id}-lang-hint`} onChange={(e) => {
        storeLocale(e.target.value === '' ? undefined : e.target.value);
        window.location.reload();
      }}>
        <option value="">{t('settings.language.auto')}</option>
        {/* A language is named in its own words, untranslated. */}
        {availableLocales().map((l) => <option key={l} value={l} {...(l === PSEUDO_LOCALE ? {} : { lang: l, translate: 'no' as const })}>{localeName(l)}</option>)}
      </select>
      <p id={`${id}-lang-hint`} className="hint">{t('settings.language.hint')}</p>
    </fieldset>
  );
}

function PasswordSection() {
  const { actions } = useChat();
  const id = useId();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [done, setDone] = useState(false);
  return (
    <form onSubmit={(e) => {
      e.preventDefault();
      setBusy(true);
      setError(undefined);
      setDone(false);
      actions.changePassword(current, next).then(() => {
        setCurrent('');
        setNext('');
        setDone(true);
      }, (err: unknown) => setError(describeError(err))).finally(() => setBusy(false));
    }}>
      <fieldset>
        <legend>{t('settings.password')}</legend>
        <p className="muted">{t('settings.passwordHint')}</p>
        <div className="row">
          <div className="field"><label htmlFor={`${id}-cur`}>{t('settings.currentPassword')}</label><input id={`${id}-cur`} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required /></div>
          <div className="field"><label htmlFor={`${id}-new`}>{t('settings.newPassword')}</label><input id={`${id}-new`} type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} required /></div>
        </div>
        {error !== undefined && <p className="error" role="alert">{error}</p>}
        {done && <p className="notice-line" role="status">{t('settings.passwordChanged')}</p>}
        <div className="dialog-actions"><button type="submit" className="primary" disabled={busy || current === '' || next === ''}>{t('settings.changePassword')}</button></div>
      </fieldset>
    </form>
  );
}

function SessionsSection() {
  const { api } = useChat();
  const [sessions, setSessions] = useState<MySession[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    let cancelled = false;
    api.mySessions().then((s) => {
      if (!cancelled) setSessions(s);
    }, (err: unknown) => {
      if (!cancelled) setError(describeError(err));
    });
    return () => {
      cancelled = true;
    };
  }, [api]);
  return (
    <fieldset>
      <legend>{t('settings.devices')}</legend>
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      <ul className="session-list" aria-busy={sessions === undefined}>
        {(sessions ?? []).map((s) => (
          <li key={s.id}>
            <span className="who">
              <strong>{describeDevice(s)}</strong>{s.current && <>{t('settings.thisDevice')}</>}<br />
              <span className="muted">{t('settings.deviceSince', { ip: s.ip, time: formatDate(s.created_at, DATE_TIME) })}</span>
            </span>
            {!s.current && (
              <button type="button" aria-label={t('settings.signOutDevice', { device: describeDevice(s), time: formatDate(s.created_at, DATE_TIME) })} onClick={() => {
                api.endSession(s.id).then(() => setSessions((all) => (all ?? []).filter((x) => x.id !== s.id)), (err: unknown) => setError(describeError(err)));
              }}>{t('common.signOut')}</button>
            )}
          </li>
        ))}
      </ul>
    </fieldset>
  );
}

export function SettingsDialog({ onClose, onEditPicture }: { readonly onClose: () => void; readonly onEditPicture: () => void }) {
  return (
    <Dialog title={t('settings.title')} onClose={onClose} className="settings-dialog">
      <ProfileSection />
      <p><button type="button" className="link" onClick={onEditPicture}>{t('settings.changePicture')}</button></p>
      <StatusSection />
      <NotificationsSection />
      <ThemeSection />
      <LanguageSection />
      <PasswordSection />
      <SessionsSection />
      <div className="dialog-actions"><button type="button" className="primary" onClick={onClose}>{t('common.done')}</button></div>
    </Dialog>
  );
}
