/**
 * A team's integrations (README "Integrations"): incoming and outgoing webhooks, custom slash
 * commands, my personal access tokens and my bots. Each section lists what the server lets me
 * manage and creates new ones; a secret (a hook's URL, a token) is shown once, in a dialog of
 * its own with a copy button. What the server refuses (tokens turned off, bots or commands
 * reserved to admins) is said in the section, in the server's words.
 */
import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, describeError } from '../lib/api.js';
import type { Bot, CustomCommand, Delivery, IncomingHook, OutgoingHook, AccessToken } from '../lib/integrations.js';
import type { Channel, Team } from '../lib/types.js';
import { useChat, useChatActions } from '../state/chat.js';
import { channelLabel } from '../state/reducer.js';
import { ConfirmDialog, Dialog } from './Dialog.js';
import { forgetCommandHints } from './Composer.js';
import { formatDate, t } from '../i18n/index.js';

type Section = 'incoming' | 'outgoing' | 'commands' | 'tokens' | 'bots';
const SECTIONS: readonly { id: Section; label: 'integrations.incoming' | 'integrations.outgoing' | 'integrations.commands' | 'integrations.tokens' | 'integrations.bots' }[] = [
  { id: 'incoming', label: 'integrations.incoming' },
  { id: 'outgoing', label: 'integrations.outgoing' },
  { id: 'commands', label: 'integrations.commands' },
  { id: 'tokens', label: 'integrations.tokens' },
  { id: 'bots', label: 'integrations.bots' },
];

/** A secret to show once. */
interface Secret {
  readonly title: string;
  readonly label: string;
  readonly value: string;
}

type Confirm = { title: string; message: string; label: string; run: () => Promise<void> } | undefined;

function when(ms: number): string {
  return formatDate(new Date(ms), { dateStyle: 'medium', timeStyle: 'short' });
}

/** A list loaded from the server, reloadable; `error` is the server's refusal, in words. */
function useLoaded<T>(load: () => Promise<T[]>): { list: T[] | undefined; error: string | undefined; reload: () => void } {
  const [state, setState] = useState<{ list: T[] | undefined; error: string | undefined }>({ list: undefined, error: undefined });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    load().then((list) => live && setState({ list, error: undefined }), (err: unknown) => live && setState({ list: [], error: describeError(err) }));
    return () => {
      live = false;
    };
  }, [load, n]);
  return { ...state, reload: useCallback(() => setN((x) => x + 1), []) };
}

/** The one-time display of a secret: selectable, copyable, and the warning that it will not be shown again. */
export function SecretDialog({ secret, onClose }: { readonly secret: Secret; readonly onClose: () => void }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | undefined>(undefined);
  function copy() {
    const done = () => setCopied(t('integrations.copied'));
    const fallback = () => {
      input.current?.select();
      setCopied(document.execCommand('copy') ? t('integrations.copied') : t('integrations.copyByHand'));
    };
    if (navigator.clipboard !== undefined) navigator.clipboard.writeText(secret.value).then(done, fallback);
    else fallback();
  }
  return (
    <Dialog title={secret.title} onClose={onClose} className="secret-dialog">
      <p className="secret-warning" role="note"><strong>{t('integrations.onceWarning')}</strong></p>
      <label htmlFor={`${id}-v`}>{secret.label}</label>
      <div className="secret-row">
        <input id={`${id}-v`} ref={input} readOnly autoFocus value={secret.value} translate="no" spellCheck={false} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" onClick={copy}>{t('integrations.copy')}</button>
      </div>
      <p className="hint" role="status">{copied ?? ''}</p>
      <div className="dialog-actions">
        <button type="button" className="primary" onClick={onClose}>{t('common.done')}</button>
      </div>
    </Dialog>
  );
}

export function IntegrationsDialog({ team, onClose }: { readonly team: Team; readonly onClose: () => void }) {
  const [section, setSection] = useState<Section>('incoming');
  const [secret, setSecret] = useState<Secret | undefined>(undefined);
  const [confirm, setConfirm] = useState<Confirm>(undefined);
  const shared = { team, showSecret: setSecret, ask: setConfirm };
  return (
    <Dialog title={t('integrations.title', { team: team.display_name })} onClose={onClose} className="integrations-dialog">
      <nav className="integrations-nav" aria-label={t('integrations.sections')}>
        {SECTIONS.map((s) => (
          <button key={s.id} type="button" aria-pressed={section === s.id} onClick={() => setSection(s.id)}>{t(s.label)}</button>
        ))}
      </nav>
      <div className="integrations-body">
        {section === 'incoming' && <IncomingSection {...shared} />}
        {section === 'outgoing' && <OutgoingSection {...shared} />}
        {section === 'commands' && <CommandsSection {...shared} />}
        {section === 'tokens' && <TokensSection {...shared} />}
        {section === 'bots' && <BotsSection {...shared} />}
      </div>
      {secret !== undefined && <SecretDialog secret={secret} onClose={() => setSecret(undefined)} />}
      {confirm !== undefined && (
        <ConfirmDialog title={confirm.title} message={confirm.message} confirmLabel={confirm.label} danger onConfirm={confirm.run} onClose={() => setConfirm(undefined)} />
      )}
    </Dialog>
  );
}

interface SectionProps {
  readonly team: Team;
  readonly showSecret: (secret: Secret) => void;
  readonly ask: (confirm: Confirm) => void;
}

function SectionFrame({ title, intro, error, children }: { readonly title: string; readonly intro: string; readonly error: string | undefined; readonly children: ReactNode }) {
  return (
    <section className="integrations-section" aria-label={title}>
      <h3>{title}</h3>
      <p className="hint">{intro}</p>
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      {children}
    </section>
  );
}

/** Channels of the team I am in and may post in (public or private, not archived). */
function useTeamChannels(team: Team, publicOnly = false): Channel[] {
  const { state } = useChat();
  return Object.values(state.channels)
    .filter((c) => c.team_id === team.id && !c.is_archived && (c.type === 'public' || (!publicOnly && c.type === 'private')))
    .sort((a, b) => channelLabel(state, a).localeCompare(channelLabel(state, b)));
}

/** Runs a request for a form: busy while it runs, the error in words after. */
function useSubmit(): { busy: boolean; error: string | undefined; setError: (e: string | undefined) => void; run: (work: () => Promise<void>) => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = useCallback((work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    work().catch((err: unknown) => setError(describeError(err))).finally(() => setBusy(false));
  }, []);
  return { busy, error, setError, run };
}

// ---- incoming webhooks ----

function IncomingSection({ team, showSecret, ask }: SectionProps) {
  const { api } = useChatActions();
  const { state } = useChat();
  const channels = useTeamChannels(team);
  const load = useCallback(() => api.incomingHooks(team.id), [api, team.id]);
  const { list, error, reload } = useLoaded<IncomingHook>(load);
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const form = useSubmit();
  const id = useId();
  const [channelId, setChannelId] = useState(channels[0]?.id ?? '');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [locked, setLocked] = useState(false);
  const nameOf = (cid: string) => {
    const c = state.channels[cid];
    return c !== undefined ? channelLabel(state, c) : t('integrations.unknownChannel');
  };

  function create(e: FormEvent) {
    e.preventDefault();
    if (channelId === '') return form.setError(t('integrations.chooseChannel'));
    form.run(async () => {
      const hook = await api.createIncomingHook({ channel_id: channelId, display_name: name.trim(), description: description.trim(), channel_locked: locked });
      setName('');
      setDescription('');
      setLocked(false);
      reload();
      showSecret({ title: t('integrations.incomingCreated', { name: hook.display_name || nameOf(hook.channel_id) }), label: t('integrations.hookUrl'), value: hook.url });
    });
  }

  return (
    <SectionFrame title={t('integrations.incoming')} intro={t('integrations.incomingIntro')} error={error}>
      <ul className="integration-list" aria-label={t('integrations.incomingList')}>
        {list === undefined && <li className="muted">{t('common.loading')}</li>}
        {list !== undefined && list.length === 0 && <li className="muted">{t('integrations.noneYet')}</li>}
        {list?.map((hook) => (
          <li key={hook.id} className="integration-item">
            {editing === hook.id ? (
              <IncomingEdit hook={hook} channels={channels} onDone={(changed) => {
                setEditing(undefined);
                if (changed) reload();
              }} />
            ) : (
              <>
                <div className="integration-main">
                  <strong>{hook.display_name || t('integrations.unnamed')}</strong>
                  <span className="muted"> {t('integrations.postsTo', { channel: nameOf(hook.channel_id) })}</span>
                  {hook.channel_locked && <span className="muted"> {t('integrations.locked')}</span>}
                  {hook.description !== '' && <p className="hint">{hook.description}</p>}
                </div>
                <div className="integration-actions">
                  <button type="button" onClick={() => setEditing(hook.id)}>{t('integrations.edit')}</button>
                  <button type="button" onClick={() => ask({
                    title: t('integrations.regenTitle'), message: t('integrations.regenIncoming'), label: t('integrations.regen'),
                    run: async () => {
                      const fresh = await api.regenIncomingHook(hook.id);
                      showSecret({ title: t('integrations.newUrl'), label: t('integrations.hookUrl'), value: fresh.url });
                    },
                  })}>{t('integrations.regen')}</button>
                  <button type="button" className="danger" onClick={() => ask({
                    title: t('integrations.deleteTitle', { name: hook.display_name || nameOf(hook.channel_id) }), message: t('integrations.deleteIncoming'), label: t('integrations.delete'),
                    run: async () => {
                      await api.deleteIncomingHook(hook.id);
                      reload();
                    },
                  })}>{t('integrations.delete')}</button>
                </div>
              </>
            )}
          </li>
        ))}
      </ul>
      <form className="integration-form" onSubmit={create} aria-label={t('integrations.addIncoming')}>
        <h4>{t('integrations.addIncoming')}</h4>
        <label htmlFor={`${id}-c`}>{t('integrations.channel')}</label>
        <select id={`${id}-c`} value={channelId} onChange={(e) => setChannelId(e.target.value)}>
          {channels.map((c) => <option key={c.id} value={c.id}>{channelLabel(state, c)}</option>)}
        </select>
        <label htmlFor={`${id}-n`}>{t('integrations.displayName')} <span className="optional">{t('common.optional')}</span></label>
        <input id={`${id}-n`} value={name} maxLength={64} onChange={(e) => setName(e.target.value)} />
        <label htmlFor={`${id}-d`}>{t('integrations.description')} <span className="optional">{t('common.optional')}</span></label>
        <input id={`${id}-d`} value={description} maxLength={500} onChange={(e) => setDescription(e.target.value)} />
        <label className="check"><input type="checkbox" checked={locked} onChange={(e) => setLocked(e.target.checked)} /> {t('integrations.lockChannel')}</label>
        {form.error !== undefined && <p className="error" role="alert">{form.error}</p>}
        <div className="dialog-actions"><button type="submit" className="primary" disabled={form.busy}>{t('integrations.createIncoming')}</button></div>
      </form>
    </SectionFrame>
  );
}

function IncomingEdit({ hook, channels, onDone }: { readonly hook: IncomingHook; readonly channels: readonly Channel[]; readonly onDone: (changed: boolean) => void }) {
  const { api } = useChatActions();
  const { state } = useChat();
  const id = useId();
  const form = useSubmit();
  const [name, setName] = useState(hook.display_name);
  const [description, setDescription] = useState(hook.description);
  const [channelId, setChannelId] = useState(hook.channel_id);
  const [locked, setLocked] = useState(hook.channel_locked);
  return (
    <form className="integration-form" aria-label={t('integrations.editIncoming')} onSubmit={(e) => {
      e.preventDefault();
      form.run(async () => {
        await api.updateIncomingHook(hook.id, { display_name: name.trim(), description: description.trim(), channel_locked: locked, ...(channelId !== hook.channel_id ? { channel_id: channelId } : {}) });
        onDone(true);
      });
    }}>
      <label htmlFor={`${id}-n`}>{t('integrations.displayName')}</label>
      <input id={`${id}-n`} value={name} maxLength={64} autoFocus onChange={(e) => setName(e.target.value)} />
      <label htmlFor={`${id}-d`}>{t('integrations.description')}</label>
      <input id={`${id}-d`} value={description} maxLength={500} onChange={(e) => setDescription(e.target.value)} />
      <label htmlFor={`${id}-c`}>{t('integrations.channel')}</label>
      <select id={`${id}-c`} value={channelId} onChange={(e) => setChannelId(e.target.value)}>
        {!channels.some((c) => c.id === hook.channel_id) && <option value={hook.channel_id}>{t('integrations.unknownChannel')}</option>}
        {channels.map((c) => <option key={c.id} value={c.id}>{channelLabel(state, c)}</option>)}
      </select>
      <label className="check"><input type="checkbox" checked={locked} onChange={(e) => setLocked(e.target.checked)} /> {t('integrations.lockChannel')}</label>
      {form.error !== undefined && <p className="error" role="alert">{form.error}</p>}
      <div className="dialog-actions">
        <button type="button" onClick={() => onDone(false)}>{t('common.cancel')}</button>
        <button type="submit" className="primary" disabled={form.busy}>{t('common.save')}</button>
      </div>
    </form>
  );
}

// ---- outgoing webhooks ----

/** Words or URLs typed one per line or separated by commas/spaces. */
function splitList(text: string): string[] {
  return text.split(/[\s,]+/).map((s) => s.trim()).filter((s) => s !== '');
}

function OutgoingSection({ team, showSecret, ask }: SectionProps) {
  const { state } = useChat();
  const { api } = useChatActions();
  const channels = useTeamChannels(team, true);
  const load = useCallback(() => api.outgoingHooks(team.id), [api, team.id]);
  const { list, error, reload } = useLoaded<OutgoingHook>(load);
  const [log, setLog] = useState<string | undefined>(undefined);
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const nameOf = (cid: string | null) => {
    if (cid === null) return t('integrations.anyChannel');
    const c = state.channels[cid];
    return c !== undefined ? channelLabel(state, c) : t('integrations.unknownChannel');
  };

  return (
    <SectionFrame title={t('integrations.outgoing')} intro={t('integrations.outgoingIntro')} error={error}>
      <ul className="integration-list" aria-label={t('integrations.outgoingList')}>
        {list === undefined && <li className="muted">{t('common.loading')}</li>}
        {list !== undefined && list.length === 0 && <li className="muted">{t('integrations.noneYet')}</li>}
        {list?.map((hook) => (
          <li key={hook.id} className="integration-item">
            {editing === hook.id ? (
              <OutgoingForm team={team} channels={channels} hook={hook} onDone={(changed) => {
                setEditing(undefined);
                if (changed) reload();
              }} />
            ) : (
              <>
                <div className="integration-main">
                  <strong>{hook.display_name || t('integrations.unnamed')}</strong>
                  <span className="muted"> {t('integrations.watches', { channel: nameOf(hook.channel_id) })}</span>
                  {hook.description !== '' && <p className="hint">{hook.description}</p>}
                  <p className="hint">
                    {hook.trigger_words.length > 0 ? t('integrations.triggerWords', { words: hook.trigger_words.join(', ') }) : t('integrations.everyPost')}
                    {' · '}{hook.content_type}
                  </p>
                  <ul className="hint callback-list">{hook.callback_urls.map((u) => <li key={u}><code>{u}</code></li>)}</ul>
                  {log === hook.id && <DeliveryLog hookId={hook.id} />}
                </div>
                <div className="integration-actions">
                  <button type="button" onClick={() => setEditing(hook.id)}>{t('integrations.edit')}</button>
                  <button type="button" aria-expanded={log === hook.id} onClick={() => setLog(log === hook.id ? undefined : hook.id)}>{t('integrations.deliveries')}</button>
                  <button type="button" onClick={() => ask({
                    title: t('integrations.regenTitle'), message: t('integrations.regenOutgoing'), label: t('integrations.regen'),
                    run: async () => {
                      const fresh = await api.regenOutgoingHook(hook.id);
                      showSecret({ title: t('integrations.newToken'), label: t('integrations.outgoingToken'), value: fresh.token });
                    },
                  })}>{t('integrations.regen')}</button>
                  <button type="button" className="danger" onClick={() => ask({
                    title: t('integrations.deleteTitle', { name: hook.display_name || t('integrations.unnamed') }), message: t('integrations.deleteOutgoing'), label: t('integrations.delete'),
                    run: async () => {
                      await api.deleteOutgoingHook(hook.id);
                      reload();
                    },
                  })}>{t('integrations.delete')}</button>
                </div>
              </>
            )}
          </li>
        ))}
      </ul>
      <OutgoingForm team={team} channels={channels} onDone={reload} onCreated={(hook) => showSecret({
        title: t('integrations.outgoingCreated', { name: hook.display_name || hook.callback_urls[0] || '' }), label: t('integrations.outgoingToken'), value: hook.token,
      })} />
    </SectionFrame>
  );
}

/**
 * The fields of an outgoing webhook: a new one (no `hook`: the form clears after creating and
 * `onCreated` shows its token) or an existing one (changes only what differs; Cancel leaves it).
 */
function OutgoingForm({ team, channels, hook, onDone, onCreated }: {
  readonly team: Team;
  readonly channels: readonly Channel[];
  readonly hook?: OutgoingHook;
  readonly onDone: (changed: boolean) => void;
  readonly onCreated?: (hook: OutgoingHook & { token: string }) => void;
}) {
  const { api } = useChatActions();
  const { state } = useChat();
  const form = useSubmit();
  const id = useId();
  const [name, setName] = useState(hook?.display_name ?? '');
  const [description, setDescription] = useState(hook?.description ?? '');
  const [channelId, setChannelId] = useState(hook?.channel_id ?? '');
  const [words, setWords] = useState(hook?.trigger_words.join(', ') ?? '');
  const [when_, setWhen] = useState<0 | 1>(hook?.trigger_when === 1 ? 1 : 0);
  const [urls, setUrls] = useState(hook?.callback_urls.join('\n') ?? '');
  const [contentType, setContentType] = useState(hook?.content_type ?? 'application/json');
  const title = hook === undefined ? t('integrations.addOutgoing') : t('integrations.editOutgoing');

  function submit(e: FormEvent) {
    e.preventDefault();
    const callbackUrls = splitList(urls);
    if (callbackUrls.length === 0) return form.setError(t('integrations.needCallback'));
    const fields = {
      display_name: name.trim(), description: description.trim(), callback_urls: callbackUrls, content_type: contentType, trigger_when: when_,
      trigger_words: splitList(words), channel_id: channelId === '' ? null : channelId,
    };
    form.run(async () => {
      if (hook !== undefined) {
        await api.updateOutgoingHook(hook.id, fields);
        onDone(true);
        return;
      }
      const created = await api.createOutgoingHook({ team_id: team.id, ...fields });
      setName('');
      setDescription('');
      setWords('');
      setUrls('');
      onDone(true);
      onCreated?.(created);
    });
  }

  return (
    <form className="integration-form" onSubmit={submit} aria-label={title}>
      {hook === undefined && <h4>{title}</h4>}
      <label htmlFor={`${id}-n`}>{t('integrations.displayName')} <span className="optional">{t('common.optional')}</span></label>
      <input id={`${id}-n`} value={name} maxLength={64} autoFocus={hook !== undefined} onChange={(e) => setName(e.target.value)} />
      <label htmlFor={`${id}-d`}>{t('integrations.description')} <span className="optional">{t('common.optional')}</span></label>
      <input id={`${id}-d`} value={description} maxLength={500} onChange={(e) => setDescription(e.target.value)} />
      <label htmlFor={`${id}-c`}>{t('integrations.channel')}</label>
      <select id={`${id}-c`} value={channelId} onChange={(e) => setChannelId(e.target.value)}>
        <option value="">{t('integrations.anyChannel')}</option>
        {channelId !== '' && !channels.some((c) => c.id === channelId) && <option value={channelId}>{t('integrations.unknownChannel')}</option>}
        {channels.map((c) => <option key={c.id} value={c.id}>{channelLabel(state, c)}</option>)}
      </select>
      <label htmlFor={`${id}-w`}>{t('integrations.triggerWordsLabel')} <span className="optional">{t('common.optional')}</span></label>
      <input id={`${id}-w`} value={words} aria-describedby={`${id}-wh`} onChange={(e) => setWords(e.target.value)} />
      <p id={`${id}-wh`} className="hint">{t('integrations.triggerWordsHint')}</p>
      <label htmlFor={`${id}-tw`}>{t('integrations.triggerWhen')}</label>
      <select id={`${id}-tw`} value={when_} onChange={(e) => setWhen(e.target.value === '1' ? 1 : 0)}>
        <option value={0}>{t('integrations.firstWord')}</option>
        <option value={1}>{t('integrations.startsWith')}</option>
      </select>
      <label htmlFor={`${id}-u`}>{t('integrations.callbackUrls')}</label>
      <textarea id={`${id}-u`} value={urls} rows={2} aria-describedby={`${id}-uh`} onChange={(e) => setUrls(e.target.value)} />
      <p id={`${id}-uh`} className="hint">{t('integrations.callbackUrlsHint')}</p>
      <label htmlFor={`${id}-ct`}>{t('integrations.contentType')}</label>
      <select id={`${id}-ct`} value={contentType} onChange={(e) => setContentType(e.target.value)} translate="no">
        <option value="application/json">application/json</option>
        <option value="application/x-www-form-urlencoded">application/x-www-form-urlencoded</option>
      </select>
      {form.error !== undefined && <p className="error" role="alert">{form.error}</p>}
      <div className="dialog-actions">
        {hook !== undefined && <button type="button" onClick={() => onDone(false)}>{t('common.cancel')}</button>}
        <button type="submit" className="primary" disabled={form.busy}>{hook === undefined ? t('integrations.createOutgoing') : t('common.save')}</button>
      </div>
    </form>
  );
}

function DeliveryLog({ hookId }: { readonly hookId: string }) {
  const { api } = useChatActions();
  const load = useCallback(() => api.hookDeliveries(hookId), [api, hookId]);
  const { list, error } = useLoaded<Delivery>(load);
  if (error !== undefined) return <p className="error" role="alert">{error}</p>;
  if (list === undefined) return <p className="muted">{t('common.loading')}</p>;
  if (list.length === 0) return <p className="muted">{t('integrations.noDeliveries')}</p>;
  return (
    <table className="delivery-log">
      <caption className="sr-only">{t('integrations.deliveries')}</caption>
      <thead><tr><th scope="col">{t('integrations.when')}</th><th scope="col">{t('integrations.url')}</th><th scope="col">{t('integrations.attempt')}</th><th scope="col">{t('integrations.outcome')}</th><th scope="col">{t('integrations.duration')}</th></tr></thead>
      <tbody>
        {list.map((d) => (
          <tr key={d.id}>
            <td>{when(d.created_at)}</td>
            <td><code>{d.url}</code></td>
            <td>{d.attempt}</td>
            <td>{d.error ?? (d.status !== null ? String(d.status) : '')}</td>
            <td>{t('integrations.ms', { ms: d.duration_ms })}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// ---- custom slash commands ----

function CommandsSection({ team, showSecret, ask }: SectionProps) {
  const { api } = useChatActions();
  const load = useCallback(() => api.commands(team.id), [api, team.id]);
  const { list, error, reload } = useLoaded<CustomCommand>(load);
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const changed = useCallback(() => {
    forgetCommandHints();
    reload();
  }, [reload]);

  return (
    <SectionFrame title={t('integrations.commands')} intro={t('integrations.commandsIntro')} error={error}>
      <ul className="integration-list" aria-label={t('integrations.commandList')}>
        {list === undefined && <li className="muted">{t('common.loading')}</li>}
        {list !== undefined && list.length === 0 && <li className="muted">{t('integrations.noneYet')}</li>}
        {list?.map((cmd) => (
          <li key={cmd.id} className="integration-item">
            {editing === cmd.id ? (
              <CommandForm team={team} command={cmd} onDone={(did) => {
                setEditing(undefined);
                if (did) changed();
              }} />
            ) : (
              <>
                <div className="integration-main">
                  <strong translate="no">/{cmd.trigger}</strong> <span className="muted">{cmd.method}</span>
                  {cmd.auto_complete_desc !== '' && <p className="hint">{cmd.auto_complete_desc}</p>}
                  <p className="hint"><code>{cmd.url}</code></p>
                </div>
                <div className="integration-actions">
                  <button type="button" onClick={() => setEditing(cmd.id)}>{t('integrations.edit')}</button>
                  <button type="button" onClick={() => ask({
                    title: t('integrations.regenTitle'), message: t('integrations.regenCommand'), label: t('integrations.regen'),
                    run: async () => {
                      const fresh = await api.regenCommandToken(cmd.id);
                      showSecret({ title: t('integrations.newToken'), label: t('integrations.commandToken'), value: fresh.token });
                    },
                  })}>{t('integrations.regen')}</button>
                  <button type="button" className="danger" onClick={() => ask({
                    title: t('integrations.deleteTitle', { name: `/${cmd.trigger}` }), message: t('integrations.deleteCommand'), label: t('integrations.delete'),
                    run: async () => {
                      await api.deleteCommand(cmd.id);
                      changed();
                    },
                  })}>{t('integrations.delete')}</button>
                </div>
              </>
            )}
          </li>
        ))}
      </ul>
      <CommandForm team={team} onDone={changed} onCreated={(cmd) => showSecret({ title: t('integrations.commandCreated', { trigger: cmd.trigger }), label: t('integrations.commandToken'), value: cmd.token })} />
    </SectionFrame>
  );
}

/** The fields of a custom command: a new one (no `command`; its token is shown once after) or an existing one. */
function CommandForm({ team, command, onDone, onCreated }: {
  readonly team: Team;
  readonly command?: CustomCommand;
  readonly onDone: (changed: boolean) => void;
  readonly onCreated?: (command: CustomCommand) => void;
}) {
  const { api } = useChatActions();
  const form = useSubmit();
  const id = useId();
  const [trigger, setTrigger] = useState(command?.trigger ?? '');
  const [url, setUrl] = useState(command?.url ?? '');
  const [method, setMethod] = useState<'POST' | 'GET'>(command?.method ?? 'POST');
  const [hint, setHint] = useState(command?.auto_complete_hint ?? '');
  const [desc, setDesc] = useState(command?.auto_complete_desc ?? '');
  const [autocomplete, setAutocomplete] = useState(command?.auto_complete ?? true);
  const title = command === undefined ? t('integrations.addCommand') : t('integrations.editCommand');

  function submit(e: FormEvent) {
    e.preventDefault();
    const fields = { trigger: trigger.trim().replace(/^\//, ''), url: url.trim(), method, auto_complete: autocomplete, auto_complete_hint: hint.trim(), auto_complete_desc: desc.trim() };
    form.run(async () => {
      if (command !== undefined) {
        await api.updateCommand(command.id, fields);
        onDone(true);
        return;
      }
      const created = await api.createCommand({ team_id: team.id, ...fields });
      setTrigger('');
      setUrl('');
      setHint('');
      setDesc('');
      onDone(true);
      onCreated?.(created);
    });
  }

  return (
    <form className="integration-form" onSubmit={submit} aria-label={title}>
      {command === undefined && <h4>{title}</h4>}
      <label htmlFor={`${id}-t`}>{t('integrations.trigger')}</label>
      <input id={`${id}-t`} value={trigger} maxLength={129} required translate="no" autoFocus={command !== undefined} aria-describedby={`${id}-th`} onChange={(e) => setTrigger(e.target.value)} />
      <p id={`${id}-th`} className="hint">{t('integrations.triggerHint')}</p>
      <label htmlFor={`${id}-u`}>{t('integrations.requestUrl')}</label>
      <input id={`${id}-u`} type="url" value={url} maxLength={1024} required onChange={(e) => setUrl(e.target.value)} />
      <label htmlFor={`${id}-m`}>{t('integrations.method')}</label>
      <select id={`${id}-m`} value={method} translate="no" onChange={(e) => setMethod(e.target.value === 'GET' ? 'GET' : 'POST')}>
        <option value="POST">POST</option>
        <option value="GET">GET</option>
      </select>
      <label className="check"><input type="checkbox" checked={autocomplete} onChange={(e) => setAutocomplete(e.target.checked)} /> {t('integrations.autocomplete')}</label>
      <label htmlFor={`${id}-h`}>{t('integrations.autocompleteHint')} <span className="optional">{t('common.optional')}</span></label>
      <input id={`${id}-h`} value={hint} maxLength={1024} onChange={(e) => setHint(e.target.value)} />
      <label htmlFor={`${id}-d`}>{t('integrations.autocompleteDesc')} <span className="optional">{t('common.optional')}</span></label>
      <input id={`${id}-d`} value={desc} maxLength={1024} onChange={(e) => setDesc(e.target.value)} />
      {form.error !== undefined && <p className="error" role="alert">{form.error}</p>}
      <div className="dialog-actions">
        {command !== undefined && <button type="button" onClick={() => onDone(false)}>{t('common.cancel')}</button>}
        <button type="submit" className="primary" disabled={form.busy}>{command === undefined ? t('integrations.createCommand') : t('common.save')}</button>
      </div>
    </form>
  );
}

// ---- personal access tokens ----

/** The server's "turned off" refusal (403 to creating a token). */
function isTurnedOff(err: unknown): boolean {
  return err instanceof ApiError && err.status === 403;
}

function TokensSection({ showSecret, ask }: SectionProps) {
  const { api } = useChatActions();
  const { state } = useChat();
  const meId = state.me.id;
  const load = useCallback(() => api.accessTokens(meId), [api, meId]);
  const { list, error, reload } = useLoaded<AccessToken>(load);
  const [off, setOff] = useState(false);
  const form = useSubmit();
  const id = useId();
  const [description, setDescription] = useState('');

  function create(e: FormEvent) {
    e.preventDefault();
    if (description.trim() === '') return form.setError(t('integrations.tokenNeedsDescription'));
    form.run(async () => {
      try {
        const token = await api.createAccessToken(meId, description.trim());
        setDescription('');
        reload();
        showSecret({ title: t('integrations.tokenCreated', { description: token.description }), label: t('integrations.accessToken'), value: token.token });
      } catch (err) {
        if (isTurnedOff(err)) setOff(true);
        else throw err;
      }
    });
  }

  return (
    <SectionFrame title={t('integrations.tokens')} intro={t('integrations.tokensIntro')} error={error}>
      {off && <p className="notice" role="status">{t('integrations.tokensOff')}</p>}
      <ul className="integration-list" aria-label={t('integrations.tokenList')}>
        {list === undefined && <li className="muted">{t('common.loading')}</li>}
        {list !== undefined && list.length === 0 && <li className="muted">{t('integrations.noneYet')}</li>}
        {list?.map((token) => (
          <li key={token.id} className="integration-item">
            <div className="integration-main">
              <strong>{token.description}</strong>
              <p className="hint">
                {t('integrations.createdAt', { when: when(token.created_at) })}{' · '}
                {token.last_used_at !== null ? t('integrations.lastUsed', { when: when(token.last_used_at) }) : t('integrations.neverUsed')}
              </p>
            </div>
            <div className="integration-actions">
              <button type="button" className="danger" onClick={() => ask({
                title: t('integrations.revokeTitle', { description: token.description }), message: t('integrations.revokeMessage'), label: t('integrations.revoke'),
                run: async () => {
                  await api.revokeAccessToken(token.id);
                  reload();
                },
              })}>{t('integrations.revoke')}</button>
            </div>
          </li>
        ))}
      </ul>
      {!off && (
        <form className="integration-form" onSubmit={create} aria-label={t('integrations.addToken')}>
          <h4>{t('integrations.addToken')}</h4>
          <label htmlFor={`${id}-d`}>{t('integrations.description')}</label>
          <input id={`${id}-d`} value={description} maxLength={255} onChange={(e) => setDescription(e.target.value)} />
          {form.error !== undefined && <p className="error" role="alert">{form.error}</p>}
          <div className="dialog-actions"><button type="submit" className="primary" disabled={form.busy}>{t('integrations.createToken')}</button></div>
        </form>
      )}
    </SectionFrame>
  );
}

// ---- bots ----

function BotsSection({ ask }: SectionProps) {
  const { api } = useChatActions();
  const load = useCallback(() => api.bots(), [api]);
  const { list, error, reload } = useLoaded<Bot>(load);
  const form = useSubmit();
  const toggle = useSubmit();
  const id = useId();
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [description, setDescription] = useState('');

  function create(e: FormEvent) {
    e.preventDefault();
    form.run(async () => {
      await api.createBot({ username: username.trim(), display_name: displayName.trim(), description: description.trim() });
      setUsername('');
      setDisplayName('');
      setDescription('');
      reload();
    });
  }

  return (
    <SectionFrame title={t('integrations.bots')} intro={t('integrations.botsIntro')} error={error ?? toggle.error}>
      <ul className="integration-list" aria-label={t('integrations.botList')}>
        {list === undefined && <li className="muted">{t('common.loading')}</li>}
        {list !== undefined && list.length === 0 && <li className="muted">{t('integrations.noneYet')}</li>}
        {list?.map((bot) => (
          <li key={bot.user_id} className="integration-item">
            <div className="integration-main">
              <strong>{bot.display_name || bot.username}</strong> <span className="author-mark bot">{t('post.botMark')}</span> <span className="muted">@{bot.username}</span>
              {bot.deactivated_at !== null && <span className="muted"> {t('integrations.disabled')}</span>}
              {bot.description !== '' && <p className="hint">{bot.description}</p>}
            </div>
            <div className="integration-actions">
              {bot.deactivated_at === null ? (
                <button type="button" className="danger" onClick={() => ask({
                  title: t('integrations.disableTitle', { name: bot.display_name || bot.username }), message: t('integrations.disableMessage'), label: t('integrations.disable'),
                  run: async () => {
                    await api.setBotActive(bot.user_id, false);
                    reload();
                  },
                })}>{t('integrations.disable')}</button>
              ) : (
                <button type="button" disabled={toggle.busy} onClick={() => toggle.run(async () => {
                  await api.setBotActive(bot.user_id, true);
                  reload();
                })}>{t('integrations.enable')}</button>
              )}
            </div>
          </li>
        ))}
      </ul>
      <form className="integration-form" onSubmit={create} aria-label={t('integrations.addBot')}>
        <h4>{t('integrations.addBot')}</h4>
        <label htmlFor={`${id}-u`}>{t('integrations.botUsername')}</label>
        <input id={`${id}-u`} value={username} maxLength={64} required translate="no" onChange={(e) => setUsername(e.target.value)} />
        <label htmlFor={`${id}-n`}>{t('integrations.displayName')} <span className="optional">{t('common.optional')}</span></label>
        <input id={`${id}-n`} value={displayName} maxLength={128} onChange={(e) => setDisplayName(e.target.value)} />
        <label htmlFor={`${id}-d`}>{t('integrations.description')} <span className="optional">{t('common.optional')}</span></label>
        <input id={`${id}-d`} value={description} maxLength={1024} onChange={(e) => setDescription(e.target.value)} />
        {form.error !== undefined && <p className="error" role="alert">{form.error}</p>}
        <div className="dialog-actions"><button type="submit" className="primary" disabled={form.busy}>{t('integrations.createBot')}</button></div>
      </form>
    </SectionFrame>
  );
}
