/**
 * The message box. Enter sends, Shift+Enter starts a new line, Up in an empty box edits my
 * last message. While typing it tells the others (throttled) over the WebSocket.
 *
 * Files are attached with the paperclip button, by pasting (screenshots) or by dropping them
 * on the channel or thread (the parent's drop zone adds them to the same tray, see Files.tsx);
 * each uploads at once and the message carries the finished ones.
 */
import { useEffect, useId, useRef, useState, type ClipboardEvent, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { useCaretPlacement } from './bits.js';
import { describeError } from '../lib/api.js';
import type { AttachmentTray } from '../lib/attachments.js';
import { emojiQueryAt, loadEmoji, noteEmojiUsed, searchEmoji, skinTone } from '../lib/emoji.js';
import { MAX_FILES_PER_POST } from '../lib/files.js';
import { mentionQueryAt } from '../lib/format.js';
import { commandQueryAt, isCommandLine, matchCommands, type CommandHint } from '../lib/integrations.js';
import type { ApiClient } from '../lib/api.js';
import { navigate, useRoute } from '../navigation.js';
import { useChatActions, useChatSelector, useChatState, useNow, type ChatActions } from '../state/chat.js';
import { typingIn, userLabel } from '../state/reducer.js';
import { AttachmentList, useAttachmentTray, useAttachments } from './Files.js';
import { EmojiPicker, useEmojiVersion } from './Emoji.js';
import { PaperclipIcon, SmileIcon } from './icons.js';
import { t } from '../i18n/index.js';

/** Adds files to a tray, saying so when some are left out by the per-message limit. */
export function attachFiles(tray: AttachmentTray, files: readonly File[], actions: Pick<ChatActions, 'notify'>): void {
  const refused = tray.add(files);
  if (refused > 0) actions.notify(t('composer.tooManyFiles', { max: MAX_FILES_PER_POST, count: refused }));
}

interface Suggestion {
  readonly username: string;
  readonly label: string;
}

/** One autocomplete choice: text that replaces the word from `start` to the caret. */
interface Completion {
  readonly key: string;
  readonly start: number;
  readonly insert: string;
  readonly content: ReactNode;
  /** An emoji's name (kept as recently used when chosen). */
  readonly emoji?: string;
}

const SPECIAL = [
  { username: 'channel', label: 'composer.notifyChannel' },
  { username: 'all', label: 'composer.notifyChannel' },
  { username: 'here', label: 'composer.notifyHere' },
] as const;

/** @-mention suggestions for the word being typed: people from the directory, then @channel/@all/@here. */
function useMentionSuggestions(query: string | undefined): Suggestion[] {
  const { api } = useChatActions();
  const meId = useChatSelector((s) => s.me.id);
  const [found, setFound] = useState<{ query: string; list: Suggestion[] }>({ query: '', list: [] });
  useEffect(() => {
    if (query === undefined) return;
    let cancelled = false;
    const t = setTimeout(() => {
      api.searchUsers(query, 8).then((users) => {
        if (!cancelled) setFound({ query, list: users.filter((u) => u.id !== meId).map((u) => ({ username: u.username, label: userLabel(u) })) });
      }, () => undefined);
    }, 120);
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
  }, [api, query, meId]);
  if (query === undefined) return [];
  const people = found.query === query ? found.list : [];
  return [...people, ...SPECIAL.filter((s) => s.username.startsWith(query)).map((s) => ({ username: s.username, label: t(s.label) }))].slice(0, 8);
}

/** The commands offered after `/`, fetched once per team (and again after a failure). */
const commandHints = new Map<string, Promise<CommandHint[]>>();

function loadCommandHints(api: ApiClient, teamId: string | undefined): Promise<CommandHint[]> {
  const key = teamId ?? '';
  let found = commandHints.get(key);
  if (found === undefined) {
    found = api.commandHints(teamId);
    commandHints.set(key, found);
    found.catch(() => commandHints.delete(key));
  }
  return found;
}

/** Forgets the fetched commands (a custom command was added or removed). */
export function forgetCommandHints(): void {
  commandHints.clear();
}

/** The team a command typed in this channel runs for: the channel's, else (a direct message) the team on screen. */
function useCommandTeam(channelId: string): string | undefined {
  const route = useRoute();
  const own = useChatSelector((s) => s.channels[channelId]?.team_id ?? undefined);
  const shown = useChatSelector((s) => (route.kind === 'app' ? s.teams.find((team) => team.name === route.team)?.id : undefined));
  return own ?? shown;
}

/** Suggestions for `/tri` typed at the start of the box. */
function useCommandSuggestions(query: string | undefined, teamId: string | undefined): CommandHint[] {
  const { api } = useChatActions();
  const [all, setAll] = useState<{ teamId: string | undefined; list: CommandHint[] }>({ teamId: undefined, list: [] });
  const wanted = query !== undefined;
  useEffect(() => {
    if (!wanted) return;
    let live = true;
    loadCommandHints(api, teamId).then((list) => live && setAll({ teamId, list }), () => undefined);
    return () => {
      live = false;
    };
  }, [api, teamId, wanted]);
  if (query === undefined || all.teamId !== teamId) return [];
  return matchCommands(all.list, query);
}

/** Drafts survive switching channels (not reloads). */
const drafts = new Map<string, string>();

interface Props {
  readonly channelId: string;
  readonly rootId: string | null;
  readonly label: string;
  readonly disabled?: string | undefined;
  readonly onEditLast?: () => void;
  /** A fixed id for the text box (the skip link targets the channel's). */
  readonly inputId?: string;
}

export function Composer({ channelId, rootId, label, disabled, onEditLast, inputId }: Props) {
  const { actions } = useChatActions();
  const key = `${channelId}:${rootId ?? ''}`;
  const tray = useAttachmentTray(channelId, rootId);
  const attachments = useAttachments(tray);
  const fileInput = useRef<HTMLInputElement>(null);
  const uploading = attachments.some((a) => a.status === 'uploading');
  const ready = attachments.filter((a) => a.status === 'done').length;
  const [text, setText] = useState(() => drafts.get(key) ?? '');
  const ref = useRef<HTMLTextAreaElement>(null);
  const generatedId = useId();
  const id = inputId ?? generatedId;
  const [caret, setCaret] = useState(0);
  const placeCaret = useCaretPlacement(ref);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<string | undefined>(undefined);
  const teamId = useCommandTeam(channelId);
  const commandQuery = commandQueryAt(text, caret);
  const commandKey = commandQuery === undefined ? undefined : `/${commandQuery}`;
  const commands = useCommandSuggestions(commandQuery !== undefined && commandKey !== dismissed && disabled === undefined ? commandQuery : undefined, teamId);
  const mention = commandQuery === undefined ? mentionQueryAt(text, caret) : undefined;
  const mentionKey = mention === undefined ? undefined : `${mention.start}:${mention.query}`;
  const people = useMentionSuggestions(mention !== undefined && mentionKey !== dismissed ? mention.query : undefined);
  // `:sm` (two characters or more) suggests emoji, standard and custom.
  useEmojiVersion();
  const emojiQuery = mention === undefined ? emojiQueryAt(text, caret) : undefined;
  const emojiKey = emojiQuery === undefined ? undefined : `:${emojiQuery.start}:${emojiQuery.query}`;
  useEffect(() => {
    if (emojiKey !== undefined) loadEmoji().catch(() => undefined);
  }, [emojiKey]);
  const suggestions: Completion[] = commandQuery !== undefined
    ? commands.map((c) => ({
      key: `/${c.trigger}:${c.source}`, start: 0, insert: `/${c.trigger}`,
      content: <><strong>/{c.trigger}</strong>{c.hint !== '' && <> <span className="command-hint">{c.hint}</span></>}{c.description !== '' && <> <span className="muted">{c.description}</span></>}</>,
    }))
    : mention !== undefined
    ? people.map((p) => ({ key: `@${p.username}`, start: mention.start, insert: `@${p.username}`, content: <><strong>@{p.username}</strong> <span className="muted">{p.label}</span></> }))
    : emojiQuery !== undefined && emojiKey !== dismissed
      ? searchEmoji(emojiQuery.query, 8, skinTone()).map((m) => ({
        key: `:${m.name}:`, start: emojiQuery.start, insert: `:${m.name}:`, emoji: m.name,
        content: <><span className="suggestion-emoji" aria-hidden="true">{m.url !== undefined ? <img src={m.url} alt="" width={20} height={20} /> : m.char}</span> <strong>:{m.name}:</strong></>,
      }))
      : [];
  const open = suggestions.length > 0;
  const selected = Math.min(active, suggestions.length - 1);
  const [picking, setPicking] = useState(false);

  /** Replaces text[start, end) (and, for a completion, the rest of the word) with `insert` and a space. */
  function insertAt(start: number, end: number, insert: string, restOfWord = true) {
    const before = `${text.slice(0, start)}${insert} `;
    const next = before + (restOfWord ? text.slice(end).replace(/^\S*/, '') : text.slice(end));
    setText(next);
    setCaret(before.length);
    setActive(0);
    placeCaret(before.length);
  }

  function complete(s: Completion) {
    if (s.emoji !== undefined) noteEmojiUsed(s.emoji);
    insertAt(s.start, caret, s.insert);
  }

  useEffect(() => {
    drafts.set(key, text);
  }, [key, text]);

  useEffect(() => {
    ref.current?.focus();
  }, [key]);

  // Grow with the text, up to a limit (then scroll).
  useEffect(() => {
    const el = ref.current;
    if (el === null) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
  }, [text]);

  // A message may be empty when it carries files (the server allows it then).
  const canSend = disabled === undefined && !uploading && (text.trim() !== '' || ready > 0);
  // A command's service may take a few seconds to answer: say it is running meanwhile.
  const [running, setRunning] = useState<string | undefined>(undefined);
  const status = uploading ? t('composer.uploading') : running !== undefined ? t('composer.running', { command: running }) : '';

  function submit(e?: FormEvent) {
    e?.preventDefault();
    if (!canSend) return;
    const message = text.trim();
    if (isCommandLine(message) && ready === 0) {
      // A slash command runs instead of being posted; on failure the line comes back to the box.
      setText('');
      drafts.delete(key);
      const trigger = message.split(/\s/, 1)[0]!;
      setRunning(trigger);
      actions.executeCommand(channelId, message, teamId).then((result) => {
        const go = result.goto_location;
        if (go !== null && go.startsWith('/') && !go.startsWith('//')) navigate(go);
      }, (err: unknown) => {
        actions.notify(t('composer.commandFailed', { reason: describeError(err) }));
        setText((now) => (now === '' ? message : now));
      }).finally(() => setRunning((now) => (now === trigger ? undefined : now)));
      return;
    }
    const files = tray.take();
    setText('');
    drafts.delete(key);
    actions.sendPost(channelId, message, rootId, files).catch((err: unknown) => actions.notify(describeError(err)));
  }

  function onPaste(e: ClipboardEvent<HTMLTextAreaElement>) {
    const files = Array.from(e.clipboardData.files);
    if (files.length === 0 || disabled !== undefined) return;
    // A pasted screenshot is a file, not text: attach it instead of pasting nothing.
    e.preventDefault();
    attachFiles(tray, files, actions);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (open && !e.nativeEvent.isComposing) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const n = suggestions.length;
        setActive((selected + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
        return;
      }
      // Enter on a command typed in full runs it (nothing left to complete); Tab still adds the space.
      const typedInFull = commandQuery !== undefined && suggestions[selected]!.insert === text;
      if ((e.key === 'Enter' && !typedInFull) || e.key === 'Tab') {
        e.preventDefault();
        complete(suggestions[selected]!);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setDismissed(commandQuery !== undefined ? commandKey : mention !== undefined ? mentionKey : emojiKey);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === 'ArrowUp' && text === '' && onEditLast !== undefined) {
      e.preventDefault();
      onEditLast();
    }
  }

  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor={id} className="sr-only">{label}</label>
      <AttachmentList tray={tray} />
      {open && (
        <ul className="suggestions" role="listbox" id={`${id}-list`} aria-label={commandQuery !== undefined ? t('composer.commandSuggestions') : mention !== undefined ? t('composer.mentionSuggestions') : t('composer.emojiSuggestions')}>
          {suggestions.map((s, i) => (
            <li
              key={s.key}
              id={`${id}-opt-${i}`}
              role="option"
              aria-selected={i === selected}
              onMouseDown={(e) => {
                e.preventDefault(); // keep focus in the box
                complete(s);
              }}
            >
              {s.content}
            </li>
          ))}
        </ul>
      )}
      <textarea
        id={id}
        ref={ref}
        rows={1}
        value={text}
        placeholder={disabled ?? label}
        disabled={disabled !== undefined}
        aria-describedby={`${id}-hint`}
        aria-autocomplete="list"
        aria-controls={open ? `${id}-list` : undefined}
        aria-activedescendant={open ? `${id}-opt-${selected}` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          setCaret(e.target.selectionStart);
          setActive(0);
          if (e.target.value !== '') actions.typing(channelId, rootId);
        }}
        onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
        onKeyDown={onKeyDown}
        onPaste={onPaste}
      />
      <span id={`${id}-hint`} className="sr-only">{t('composer.hint')}</span>
      <input
        ref={fileInput}
        type="file"
        multiple
        hidden
        tabIndex={-1}
        aria-hidden="true"
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          // Cleared, so that choosing the same file again still reports a change.
          e.target.value = '';
          if (files.length > 0) attachFiles(tray, files, actions);
        }}
      />
      <button type="button" className="icon attach" aria-label={t('composer.insertEmoji')} title={t('composer.insertEmoji')} aria-expanded={picking} disabled={disabled !== undefined} onClick={() => setPicking((p) => !p)}>
        <SmileIcon />
      </button>
      {picking && (
        <div className="composer-emoji">
          <EmojiPicker label={t('composer.insertEmoji')} onClose={() => {
            setPicking(false);
            ref.current?.focus();
          }} onPick={(name) => {
            setPicking(false);
            const at = ref.current?.selectionStart ?? text.length;
            const lead = at > 0 && !/\s/.test(text[at - 1]!) ? ' ' : '';
            insertAt(at, at, `${lead}:${name}:`, false);
          }} />
        </div>
      )}
      <button type="button" className="icon attach" aria-label={t('composer.attachFiles')} title={t('composer.attachFiles')} disabled={disabled !== undefined} onClick={() => fileInput.current?.click()}>
        <PaperclipIcon />
      </button>
      <button type="submit" className="primary" disabled={!canSend}>{t('composer.send')}</button>
      <p className="composer-status" role="status">{status}</p>
    </form>
  );
}

export function TypingIndicator({ channelId, parentId }: { readonly channelId: string; readonly parentId: string | null }) {
  const state = useChatState();
  const now = useNow(1000);
  const names = typingIn(state, channelId, parentId, now).map((id) => (state.users[id] ? userLabel(state.users[id]) : t('names.someone')));
  let text = '';
  if (names.length === 1) text = t('typing.one', { name: names[0]! });
  else if (names.length === 2) text = t('typing.two', { first: names[0]!, second: names[1]! });
  else if (names.length > 2) text = t('typing.several');
  return <div className="typing" aria-live="polite">{text}</div>;
}
