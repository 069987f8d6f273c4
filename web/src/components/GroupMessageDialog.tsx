/** A group message: pick 2 to 7 other people (the server's limit: 8 members with me), then open it. */
import { useState } from 'react';
import { describeError } from '../lib/api.js';
import type { Channel, User } from '../lib/types.js';
import { useChat } from '../state/chat.js';
import { userLabel } from '../state/reducer.js';
import { Dialog, UserPicker } from './Dialog.js';
import { CloseIcon } from './icons.js';
import { t } from '../i18n/index.js';

/** Others besides me in a group message. */
export const GROUP_MAX_OTHERS = 7;

export function GroupMessageDialog({ onClose, onOpened }: { readonly onClose: () => void; readonly onOpened: (c: Channel) => void }) {
  const { state, actions } = useChat();
  const [chosen, setChosen] = useState<User[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const full = chosen.length >= GROUP_MAX_OTHERS;
  return (
    <Dialog title={t('group.title')} onClose={onClose}>
      <p className="muted">{t('group.choose', { max: GROUP_MAX_OTHERS })}</p>
      <ul className="chosen-people" aria-label={t('group.chosen')}>
        {chosen.map((u) => (
          <li key={u.id}>
            {userLabel(u)}
            <button type="button" className="icon" aria-label={t('group.remove', { name: userLabel(u) })} onClick={() => setChosen((c) => c.filter((x) => x.id !== u.id))}><CloseIcon /></button>
          </li>
        ))}
      </ul>
      {full ? <p role="status" className="notice-line">{t('group.full')}</p> : (
        <UserPicker
          label={t('group.find')}
          exclude={new Set([state.me.id, ...chosen.map((u) => u.id)])}
          action={t('group.add')}
          actionLabel={(u) => t('group.addLabel', { name: userLabel(u) })}
          onPick={async (u) => setChosen((c) => (c.length >= GROUP_MAX_OTHERS || c.some((x) => x.id === u.id) ? c : [...c, u]))}
        />
      )}
      {error !== undefined && <p className="error" role="alert">{error}</p>}
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>{t('common.cancel')}</button>
        <button type="button" className="primary" disabled={busy || chosen.length < 2} onClick={() => {
          setBusy(true);
          setError(undefined);
          actions.openGroup(chosen.map((u) => u.id)).then(onOpened, (err: unknown) => {
            setError(describeError(err));
            setBusy(false);
          });
        }}>{t('group.start')}</button>
      </div>
    </Dialog>
  );
}
