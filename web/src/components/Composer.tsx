/**
 * The message box. Enter sends, Shift+Enter starts a new line, Up in an empty box edits my
 * last message. While typing it tells the others (throttled) over the WebSocket.
 */
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { describeError } from '../lib/api.js';
import { useChat, useNow } from '../state/chat.js';
import { typingIn, userLabel } from '../state/reducer.js';

/** Drafts survive switching channels (not reloads). */
const drafts = new Map<string, string>();

interface Props {
  readonly channelId: string;
  readonly rootId: string | null;
  readonly label: string;
  readonly disabled?: string | undefined;
  readonly onEditLast?: () => void;
}

export function Composer({ channelId, rootId, label, disabled, onEditLast }: Props) {
  const { actions } = useChat();
  const key = `${channelId}:${rootId ?? ''}`;
  const [text, setText] = useState(() => drafts.get(key) ?? '');
  const ref = useRef<HTMLTextAreaElement>(null);
  const id = useId();

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

  function submit(e?: FormEvent) {
    e?.preventDefault();
    const message = text.trim();
    if (message === '' || disabled !== undefined) return;
    setText('');
    drafts.delete(key);
    actions.sendPost(channelId, message, rootId).catch((err: unknown) => actions.notify(describeError(err)));
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
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
      <textarea
        id={id}
        ref={ref}
        rows={1}
        value={text}
        placeholder={disabled ?? label}
        disabled={disabled !== undefined}
        aria-describedby={`${id}-hint`}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value !== '') actions.typing(channelId, rootId);
        }}
        onKeyDown={onKeyDown}
      />
      <span id={`${id}-hint`} className="sr-only">Enter sends, Shift+Enter adds a new line.</span>
      <button type="submit" className="primary" disabled={disabled !== undefined || text.trim() === ''}>Send</button>
    </form>
  );
}

export function TypingIndicator({ channelId, parentId }: { readonly channelId: string; readonly parentId: string | null }) {
  const { state } = useChat();
  const now = useNow(1000);
  const names = typingIn(state, channelId, parentId, now).map((id) => (state.users[id] ? userLabel(state.users[id]) : 'Someone'));
  let text = '';
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = 'Several people are typing…';
  return <div className="typing" aria-live="polite">{text}</div>;
}
