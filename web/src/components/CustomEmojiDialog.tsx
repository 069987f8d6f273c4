/** Custom emoji: the server's list, adding one (name + image), deleting my own (or any, for a system admin). */
import { useId, useState, type FormEvent } from 'react';
import { describeError } from '../lib/api.js';
import { uploadErrorText } from '../lib/attachments.js';
import { addCustomEmoji, customEmojiList, customEmojiUrl, removeCustomEmoji } from '../lib/emoji.js';
import { AVATAR_TYPES } from '../lib/files.js';
import { useChat } from '../state/chat.js';
import { Dialog } from './Dialog.js';
import { useEmojiVersion } from './Emoji.js';
import { t } from '../i18n/index.js';

const NAME_RE = /^[a-z0-9_+-]{1,64}$/;

export function CustomEmojiDialog({ onClose }: { readonly onClose: () => void }) {
  const { state, api } = useChat();
  useEmojiVersion();
  const [name, setName] = useState('');
  const [file, setFile] = useState<File | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const id = useId();
  const admin = state.me.role === 'system_admin';

  function submit(e: FormEvent) {
    e.preventDefault();
    const n = name.trim().toLowerCase();
    setDone(undefined);
    if (!NAME_RE.test(n)) return setError(t('customEmoji.errorName'));
    if (file === undefined) return setError(t('customEmoji.errorImage'));
    setBusy(true);
    setError(undefined);
    api.addCustomEmoji(n, file).done.then((emoji) => {
      addCustomEmoji(emoji);
      setDone(t('customEmoji.ready', { name: emoji.name }));
      setName('');
      setFile(undefined);
    }, (err: unknown) => setError(uploadErrorText(err))).finally(() => setBusy(false));
  }

  function remove(emojiId: string, emojiName: string) {
    setBusy(true);
    setError(undefined);
    api.deleteCustomEmoji(emojiId).then(() => {
      removeCustomEmoji(emojiId);
      setDone(t('customEmoji.deleted', { name: emojiName }));
    }, (err: unknown) => setError(describeError(err))).finally(() => setBusy(false));
  }

  const list = customEmojiList();
  return (
    <Dialog title={t('customEmoji.title')} onClose={onClose}>
      <form onSubmit={submit} className="custom-emoji-form">
        <label htmlFor={`${id}-name`}>{t('customEmoji.name')}</label>
        <input id={`${id}-name`} value={name} maxLength={64} placeholder="partyparrot" translate="no" aria-describedby={`${id}-name-hint`} onChange={(e) => setName(e.target.value)} />
        <p id={`${id}-name-hint`} className="hint">{t('customEmoji.nameHint')}</p>
        <label htmlFor={`${id}-image`}>{t('customEmoji.image')}</label>
        <input id={`${id}-image`} type="file" accept={AVATAR_TYPES.join(',')} aria-describedby={`${id}-image-hint`} onChange={(e) => setFile(e.target.files?.[0])} />
        <p id={`${id}-image-hint`} className="hint">{t('customEmoji.imageHint')}</p>
        {error !== undefined && <p className="error" role="alert">{error}</p>}
        <p className="notice-line" role="status">{done}</p>
        <div className="dialog-actions">
          <button type="submit" className="primary" disabled={busy}>{t('customEmoji.add')}</button>
        </div>
      </form>
      <ul className="custom-emoji-list" aria-label={t('customEmoji.list')}>
        {list.length === 0 && <li className="muted">{t('customEmoji.none')}</li>}
        {list.map((e) => (
          <li key={e.id}>
            <img className="custom-emoji" src={customEmojiUrl(e.name)} alt="" width={24} height={24} />
            <span>:{e.name}:</span>
            {(e.creator_id === state.me.id || admin) && (
              <button type="button" className="link" disabled={busy} aria-label={t('customEmoji.deleteName', { name: e.name })} onClick={() => remove(e.id, e.name)}>{t('customEmoji.delete')}</button>
            )}
          </li>
        ))}
      </ul>
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>{t('common.done')}</button>
      </div>
    </Dialog>
  );
}
