/**
 * Sign in (e-mail or username), create an account, sign in with an SSO provider, or ask for a
 * password-reset link by e-mail ("Forgot your password?"). The answer to that request is the
 * same whether or not an account has the address, and so is what this page says.
 */
import { describedBy, passwordRules } from '../lib/password.js';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { ApiError, describeError, ssoLoginHref, type ApiClient } from '../lib/api.js';
import { useHref } from '../navigation.js';
import type { OAuthProvider, PasswordPolicy, SessionResponse } from '../lib/types.js';
import { t, tParts } from '../i18n/index.js';

const USERNAME_RE = /^[a-z][a-z0-9._-]{2,21}$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type AuthMode = 'signin' | 'signup' | 'forgot';

interface Props {
  readonly api: ApiClient;
  readonly notice: string | undefined;
  /** Which form to show first (`forgot` when a reset link turned out to be invalid). */
  readonly initialMode?: AuthMode;
  readonly onSignedIn: (session: SessionResponse) => void;
}

interface FieldErrors {
  form?: string;
  login?: string;
  username?: string;
  email?: string;
  display_name?: string;
  password?: string;
}

function fieldOf(err: unknown): keyof FieldErrors {
  if (err instanceof ApiError && err.field !== undefined && ['username', 'email', 'display_name', 'password'].includes(err.field)) return err.field as keyof FieldErrors;
  return 'form';
}

/**
 * A request for a reset link that is refused: a server without a mail transport (503) says so
 * in its own words; anything else is put as everywhere else.
 */
function describeResetRequestError(err: unknown): string {
  if (err instanceof ApiError && err.status === 503 && err.code === 'SERVICE_UNAVAILABLE') return err.message;
  return describeError(err);
}

export function AuthPage({ api, notice, initialMode = 'signin', onSignedIn }: Props) {
  const [mode, setMode] = useState<AuthMode>(initialMode);
  const [resetSent, setResetSent] = useState(false);
  const [registered, setRegistered] = useState<string | undefined>(undefined);
  const [policy, setPolicy] = useState<PasswordPolicy | undefined>(undefined);
  const [providers, setProviders] = useState<OAuthProvider[]>([]);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const ids = useId();
  const here = useHref();

  useEffect(() => {
    api.policy().then(setPolicy, () => undefined);
    api.providers().then(setProviders, () => setProviders([]));
  }, [api]);

  const registrationOpen = policy?.registration_open !== false;
  const rules = passwordRules(policy);
  const passwordHint = rules.hint;

  async function requestReset(e: FormEvent) {
    e.preventDefault();
    const address = email.trim();
    if (!EMAIL_RE.test(address)) {
      setErrors({ email: t('auth.error.resetEmail') });
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      await api.forgotPassword(address);
      setResetSent(true);
    } catch (err) {
      setErrors({ form: describeResetRequestError(err) });
    } finally {
      setBusy(false);
    }
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const found: FieldErrors = {};
    if (mode === 'signin') {
      if (login.trim() === '') found.login = t('auth.error.login');
      if (password === '') found.password = t('auth.error.password');
    } else {
      if (!USERNAME_RE.test(username.trim().toLowerCase())) found.username = t('auth.error.username');
      if (!EMAIL_RE.test(email.trim())) found.email = t('auth.error.email');
      const tooLong = rules.lengthError(password);
      if (tooLong !== undefined) found.password = tooLong;
    }
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      if (mode === 'signin') {
        onSignedIn(await api.login(login.trim(), password));
        return;
      }
      const accepted = await api.register({ username: username.trim().toLowerCase(), email: email.trim(), password, ...(displayName.trim() !== '' ? { display_name: displayName.trim() } : {}) });
      if (accepted.next === 'sign_in') {
        // A server without mail: the account exists now if the address was free. Signing in
        // tells, as it tells anyone, whether this password opens an account with this address.
        onSignedIn(await api.login(email.trim(), password));
        return;
      }
      setRegistered(email.trim());
      setBusy(false);
    } catch (err) {
      setErrors({ [fieldOf(err)]: describeError(err) });
      setBusy(false);
    }
  }

  function switchMode(next: AuthMode) {
    // An address typed to sign in is most likely the one to send the reset link to, and back.
    if (next === 'forgot' && email === '' && login.includes('@')) setEmail(login.trim());
    if (next === 'signin' && mode === 'forgot' && login === '' && email !== '') setLogin(email.trim());
    setMode(next);
    setResetSent(false);
    setRegistered(undefined);
    setErrors({});
  }

  return (
    <main className="center-page">
      <section className="card auth" aria-labelledby={`${ids}-title`}>
        <p className="brand" aria-hidden="true">RustChat</p>
        <h1 id={`${ids}-title`}>{mode === 'signin' ? t('auth.title.signIn') : mode === 'signup' ? t('auth.title.signUp') : t('auth.title.forgot')}</h1>
        {notice !== undefined && mode !== 'forgot' && <p className="notice" role="status">{notice}</p>}
        {mode === 'signup' && registered !== undefined ? (
          <>
            <p className="notice" role="status">{t('auth.registrationMailSent')}</p>
            <p className="hint">{t('auth.registrationMailHint', { email: registered })}</p>
          </>
        ) : mode === 'forgot' ? (
          resetSent ? (
            <>
              <p className="notice" role="status">{t('auth.resetLinkSent')}</p>
              <p className="hint">{t('auth.resetLinkSentHint')}</p>
            </>
          ) : (
            <form onSubmit={(e) => void requestReset(e)} noValidate aria-busy={busy}>
              <p id={`${ids}-reset-hint`} className="hint">{t('auth.resetHint')}</p>
              {errors.form !== undefined && <p className="error" role="alert">{errors.form}</p>}
              <label htmlFor={`${ids}-reset-email`}>{t('auth.email')}</label>
              <input id={`${ids}-reset-email`} name="email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} autoCapitalize="none" spellCheck={false}
                aria-invalid={errors.email !== undefined} aria-describedby={describedBy(`${ids}-reset-hint`, errors.email !== undefined && `${ids}-reset-email-err`)} autoFocus />
              {errors.email !== undefined && <p id={`${ids}-reset-email-err`} className="field-error" role="alert">{errors.email}</p>}
              <button type="submit" className="primary wide" disabled={busy}>{t('auth.sendResetLink')}</button>
            </form>
          )
        ) : (
          <form onSubmit={(e) => void submit(e)} noValidate aria-busy={busy}>
            {errors.form !== undefined && <p className="error" role="alert">{errors.form}</p>}
            {mode === 'signin' ? (
              <>
                <label htmlFor={`${ids}-login`}>{t('auth.login')}</label>
                <input id={`${ids}-login`} name="login" autoComplete="username" value={login} onChange={(e) => setLogin(e.target.value)}
                  aria-invalid={errors.login !== undefined} aria-describedby={describedBy(errors.login !== undefined && `${ids}-login-err`)} autoFocus />
                {errors.login !== undefined && <p id={`${ids}-login-err`} className="field-error" role="alert">{errors.login}</p>}
              </>
            ) : (
              <>
                <label htmlFor={`${ids}-username`}>{t('auth.username')}</label>
                <input id={`${ids}-username`} name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} autoCapitalize="none" spellCheck={false}
                  aria-invalid={errors.username !== undefined} aria-describedby={describedBy(`${ids}-username-hint`, errors.username !== undefined && `${ids}-username-err`)} autoFocus />
                <p id={`${ids}-username-hint`} className="hint">{t('auth.usernameHint')}</p>
                {errors.username !== undefined && <p id={`${ids}-username-err`} className="field-error" role="alert">{errors.username}</p>}

                <label htmlFor={`${ids}-email`}>{t('auth.email')}</label>
                <input id={`${ids}-email`} name="email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)}
                  aria-invalid={errors.email !== undefined} aria-describedby={describedBy(errors.email !== undefined && `${ids}-email-err`)} />
                {errors.email !== undefined && <p id={`${ids}-email-err`} className="field-error" role="alert">{errors.email}</p>}

                <label htmlFor={`${ids}-display`}>{t('auth.displayName')} <span className="optional">{t('common.optional')}</span></label>
                <input id={`${ids}-display`} name="display_name" autoComplete="name" value={displayName} onChange={(e) => setDisplayName(e.target.value)}
                  aria-invalid={errors.display_name !== undefined} aria-describedby={describedBy(errors.display_name !== undefined && `${ids}-display-err`)} />
                {errors.display_name !== undefined && <p id={`${ids}-display-err`} className="field-error" role="alert">{errors.display_name}</p>}
              </>
            )}
            <label htmlFor={`${ids}-password`}>{t('auth.password')}</label>
            <input id={`${ids}-password`} name="password" type="password" autoComplete={mode === 'signin' ? 'current-password' : 'new-password'} value={password} onChange={(e) => setPassword(e.target.value)}
              aria-invalid={errors.password !== undefined} aria-describedby={describedBy(mode === 'signup' && `${ids}-password-hint`, errors.password !== undefined && `${ids}-password-err`)} />
            {mode === 'signup' && <p id={`${ids}-password-hint`} className="hint">{passwordHint}</p>}
            {errors.password !== undefined && <p id={`${ids}-password-err`} className="field-error" role="alert">{errors.password}</p>}
            {mode === 'signin' && <p className="forgot"><button type="button" className="link" onClick={() => switchMode('forgot')}>{t('auth.forgotPassword')}</button></p>}

            <button type="submit" className="primary wide" disabled={busy}>{mode === 'signin' ? t('auth.signIn') : t('auth.createAccount')}</button>
          </form>
        )}

        {providers.length > 0 && mode !== 'forgot' && (
          <div className="sso" role="group" aria-label={t('auth.sso')}>
            <p className="divider"><span>{t('common.or')}</span></p>
            {providers.map((p) => (
              <a key={p.provider_key} className="button wide" href={ssoLoginHref(p.login_url, here)}>{t('auth.signInWith', { provider: p.display_name })}</a>
            ))}
          </div>
        )}

        <p className="switch">
          {mode === 'signin'
            ? registrationOpen && <>{tParts('auth.newHere', { action: <button key="a" type="button" className="link" onClick={() => switchMode('signup')}>{t('auth.createAnAccount')}</button> })}</>
            : mode === 'signup'
              ? <>{tParts('auth.haveAccount', { action: <button key="a" type="button" className="link" onClick={() => switchMode('signin')}>{t('auth.signIn')}</button> })}</>
              : <button type="button" className="link" onClick={() => switchMode('signin')}>{t('auth.backToSignIn')}</button>}
        </p>
      </section>
    </main>
  );
}
