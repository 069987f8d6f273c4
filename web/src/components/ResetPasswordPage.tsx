/**
 * `/reset-password`: where the link of a password-reset mail lands. The token came in the
 * link's fragment and is already gone from the address bar (main.tsx); this page asks for
 * the new password twice and sends it with the token. Success ends every session of the
 * account, so the next step is the sign-in page, not the app. Needs no session.
 */
import { describedBy, passwordRules } from '../lib/password.js';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { ApiError, describeError, type ApiClient } from '../lib/api.js';
import type { PasswordPolicy } from '../lib/types.js';
import type { AuthMode } from './AuthPage.js';
import { t } from '../i18n/index.js';

interface Props {
  readonly api: ApiClient;
  /** The token from the link, or undefined when the link had none (or a malformed one). */
  readonly token: string | undefined;
  /** The password was changed (and every session of the account ended). */
  readonly onReset: () => void;
  /** Off to the sign-in page, showing `mode` first (`forgot` to ask for a new link). */
  readonly onLeave: (mode: AuthMode) => void;
}

interface FieldErrors {
  form?: string;
  password?: string;
  confirm?: string;
}

export function ResetPasswordPage({ api, token, onReset, onLeave }: Props) {
  const [policy, setPolicy] = useState<PasswordPolicy | undefined>(undefined);
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  /** Set when the server refused the token: the form is of no more use. */
  const [refused, setRefused] = useState<string | undefined>(undefined);
  const ids = useId();

  useEffect(() => {
    api.policy().then(setPolicy, () => undefined);
  }, [api]);

  const rules = passwordRules(policy);
  const passwordHint = rules.hint;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (token === undefined) return;
    const found: FieldErrors = {};
    if (password === '') found.password = t('reset.error.empty');
    else found.password = rules.lengthError(password);
    if (found.password === undefined) delete found.password;
    if (found.password === undefined && confirm !== password) found.confirm = t('reset.error.mismatch');
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await api.resetPassword(token, password);
      onReset();
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 400) setRefused(err.message);
      else if (err instanceof ApiError && err.status === 422) setErrors({ password: err.message });
      else setErrors({ form: describeError(err) });
    }
  }

  const invalid = token === undefined ? t('reset.invalidLink') : refused;

  return (
    <main className="center-page">
      <section className="card auth" aria-labelledby={`${ids}-title`}>
        <p className="brand" aria-hidden="true">RustChat</p>
        {invalid !== undefined ? (
          <>
            <h1 id={`${ids}-title`}>{t('reset.title')}</h1>
            <p className="error" role="alert">{invalid}</p>
            <p>{t('reset.linksWorkOnce')}</p>
            <p className="actions">
              <button type="button" className="primary wide" onClick={() => onLeave('forgot')}>{t('reset.requestNewLink')}</button>
            </p>
          </>
        ) : (
          <>
            <h1 id={`${ids}-title`}>{t('reset.chooseTitle')}</h1>
            <form onSubmit={(e) => void submit(e)} noValidate aria-busy={busy}>
              {errors.form !== undefined && <p className="error" role="alert">{errors.form}</p>}
              <label htmlFor={`${ids}-password`}>{t('reset.newPassword')}</label>
              <input id={`${ids}-password`} name="new-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)}
                aria-invalid={errors.password !== undefined} aria-describedby={describedBy(`${ids}-password-hint`, errors.password !== undefined && `${ids}-password-err`)} autoFocus />
              <p id={`${ids}-password-hint`} className="hint">{passwordHint}</p>
              {errors.password !== undefined && <p id={`${ids}-password-err`} className="field-error" role="alert">{errors.password}</p>}

              <label htmlFor={`${ids}-confirm`}>{t('reset.confirmPassword')}</label>
              <input id={`${ids}-confirm`} name="confirm-password" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)}
                aria-invalid={errors.confirm !== undefined} aria-describedby={describedBy(errors.confirm !== undefined && `${ids}-confirm-err`)} />
              {errors.confirm !== undefined && <p id={`${ids}-confirm-err`} className="field-error" role="alert">{errors.confirm}</p>}

              <button type="submit" className="primary wide" disabled={busy}>{t('reset.change')}</button>
            </form>
            <p className="hint">{t('reset.signsOutEverywhere')}</p>
          </>
        )}
        <p className="switch">
          <button type="button" className="link" onClick={() => onLeave('signin')}>{t('auth.backToSignIn')}</button>
        </p>
      </section>
    </main>
  );
}
