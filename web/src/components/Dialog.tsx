/**
 * Modal dialogs on the native <dialog> element: it traps focus, closes on Escape and returns
 * focus to where it was — accessibility the browser already gets right.
 */
import { useEffect, useId, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { describeError } from '../lib/api.js';
import type { User } from '../lib/types.js';
import { useChatActions, useChatSelector } from '../state/chat.js';
import { userLabel } from '../state/reducer.js';
import { PresenceDot } from './bits.js';
import { CloseIcon } from './icons.js';
import { t } from '../i18n/index.js';

interface DialogProps {
  readonly title: string;
  readonly onClose: () => void;
  readonly children: ReactNode;
  readonly className?: string;
}

export function Dialog({ title, onClose, children, className }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  // The content mounts once the dialog is open: React's autoFocus (a focus() call, not the
  // attribute) cannot focus inside a closed dialog, and showModal() alone would put the focus
  // on the first button (Close). Closed in a layout cleanup, before the element leaves the
  // document, so that the browser returns the focus to where it was.
  const [open, setOpen] = useState(false);
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (!dialog.open) dialog.showModal();
    setOpen(true);
    return () => dialog.close();
  }, []);
  // In <body>, so that no surrounding styles (sidebar colours, hover states) reach it.
  return createPortal(
    <dialog
      ref={ref}
      className={className === undefined ? 'dialog' : `dialog ${className}`}
      aria-labelledby={id}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <header className="dialog-header">
        <h2 id={id}>{title}</h2>
        <button type="button" className="icon" aria-label={t('common.close')} onClick={onClose}><CloseIcon /></button>
      </header>
      {open && children}
    </dialog>,
    document.body,
  );
}

/** A yes/no question (e.g. "Delete this message?") that runs `onConfirm` and reports failures. */
export function ConfirmDialog({ title, message, confirmLabel, danger, onConfirm, onClose }: {
  readonly title: string;
  readonly message: string;
  readonly confirmLabel: string;
  readonly danger?: boolean;
  readonly onConfirm: () => Promise<void>;
  readonly onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  return (
    <Dialog title={title} onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          onConfirm().then(onClose, (err: unknown) => {
            setError(describeError(err));
            setBusy(false);
          });
        }}
      >
        <p>{message}</p>
        {error !== undefined && <p className="error" role="alert">{error}</p>}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>{t('common.cancel')}</button>
          <button type="submit" className={danger === true ? 'danger' : 'primary'} disabled={busy} autoFocus>{confirmLabel}</button>
        </div>
      </form>
    </Dialog>
  );
}

/** Finds people by username or name (GET /users?q=) and hands the chosen one to `onPick`. */
export function UserPicker({ label, exclude, action, actionLabel, onPick }: {
  readonly label: string;
  readonly exclude: ReadonlySet<string>;
  /** Button text, e.g. "Add". */
  readonly action: string;
  /** Accessible name of the button for one person, e.g. "Add alice to the team". */
  readonly actionLabel: (u: User) => string;
  readonly onPick: (u: User) => Promise<void>;
}) {
  const { api } = useChatActions();
  const presence = useChatSelector((s) => s.presence);
  const [q, setQ] = useState('');
  const [results, setResults] = useState<User[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busyId, setBusyId] = useState<string | undefined>(undefined);
  const id = useId();

  useEffect(() => {
    let cancelled = false;
    const t = setTimeout(() => {
      api.searchUsers(q.trim()).then(
        (users) => {
          if (!cancelled) setResults(users);
        },
        (err: unknown) => {
          if (!cancelled) setError(describeError(err));
        },
      );
    }, q === '' ? 0 : 200);
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
  }, [api, q]);

  const shown = (results ?? []).filter((u) => !exclude.has(u.id));
  return (
    <div className="user-picker">
      <label htmlFor={`${id}-q`}>{label}</label>
      <input id={`${id}-q`} type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder={t('picker.search')} autoFocus autoComplete="off" />
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      <ul className="pick-list" aria-label={t('picker.people')} aria-busy={results === undefined}>
        {results !== undefined && shown.length === 0 && <li className="empty">{t('picker.nobody')}</li>}
        {shown.map((u) => (
          <li key={u.id}>
            <span className="who">
              <PresenceDot status={presence[u.id] ?? u.presence} />
              <span className="name">{userLabel(u)}</span> <span className="muted">@{u.username}</span>
            </span>
            <button
              type="button"
              disabled={busyId !== undefined}
              aria-label={actionLabel(u)}
              onClick={() => {
                setBusyId(u.id);
                setError(undefined);
                onPick(u).then(
                  () => setBusyId(undefined),
                  (err: unknown) => {
                    setError(describeError(err));
                    setBusyId(undefined);
                  },
                );
              }}
            >
              {busyId === u.id ? '…' : action}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
