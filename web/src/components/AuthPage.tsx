/** Sign in (e-mail or username), create an account, or sign in with an SSO provider. */
import { useEffect, useId, useState, type FormEvent } from 'react';
import { ApiError, describeError, ssoLoginHref, type ApiClient } from '../lib/api.js';
import { useHref } from '../navigation.js';
import type { OAuthProvider, PasswordPolicy, SessionResponse } from '../lib/types.js';

const USERNAME_RE = /^[a-z][a-z0-9._-]{2,21}$/;

interface Props {
  readonly api: ApiClient;
  readonly notice: string | undefined;
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

export function AuthPage({ api, notice, onSignedIn }: Props) {
  const [mode, setMode] = useState<'signin' | 'signup'>('signin');
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
  const min = policy?.min_length ?? 8;
  const max = policy?.max_length ?? 256;
  const passwordHint = `At least ${min} characters${policy?.rejects_common_passwords ? '; very common passwords are refused' : ''}. ${policy?.notes ?? ''}`.trim();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const found: FieldErrors = {};
    if (mode === 'signin') {
      if (login.trim() === '') found.login = 'Enter your e-mail address or username.';
      if (password === '') found.password = 'Enter your password.';
    } else {
      if (!USERNAME_RE.test(username.trim().toLowerCase())) found.username = 'Username must be 3–22 characters: lower-case letters, digits, ".", "_" or "-", starting with a letter.';
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) found.email = 'Enter a valid e-mail address.';
      const length = Array.from(password).length;
      if (length < min) found.password = `Password must be at least ${min} characters.`;
      else if (length > max) found.password = `Password must be at most ${max} characters.`;
    }
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const session = mode === 'signin'
        ? await api.login(login.trim(), password)
        : await api.register({ username: username.trim().toLowerCase(), email: email.trim(), password, ...(displayName.trim() !== '' ? { display_name: displayName.trim() } : {}) });
      onSignedIn(session);
    } catch (err) {
      setErrors({ [fieldOf(err)]: describeError(err) });
      setBusy(false);
    }
  }

  function switchMode(next: 'signin' | 'signup') {
    setMode(next);
    setErrors({});
  }

  const describedBy = (...parts: (string | false | undefined)[]) => parts.filter(Boolean).join(' ') || undefined;

  return (
    <main className="center-page">
      <section className="card auth" aria-labelledby={`${ids}-title`}>
        <p className="brand" aria-hidden="true">RustChat</p>
        <h1 id={`${ids}-title`}>{mode === 'signin' ? 'Sign in' : 'Create your account'}</h1>
        {notice !== undefined && <p className="notice" role="status">{notice}</p>}
        <form onSubmit={(e) => void submit(e)} noValidate aria-busy={busy}>
          {errors.form !== undefined && <p className="error" role="alert">{errors.form}</p>}
          {mode === 'signin' ? (
            <>
              <label htmlFor={`${ids}-login`}>E-mail or username</label>
              <input id={`${ids}-login`} name="login" autoComplete="username" value={login} onChange={(e) => setLogin(e.target.value)}
                aria-invalid={errors.login !== undefined} aria-describedby={describedBy(errors.login !== undefined && `${ids}-login-err`)} autoFocus />
              {errors.login !== undefined && <p id={`${ids}-login-err`} className="field-error" role="alert">{errors.login}</p>}
            </>
          ) : (
            <>
              <label htmlFor={`${ids}-username`}>Username</label>
              <input id={`${ids}-username`} name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} autoCapitalize="none" spellCheck={false}
                aria-invalid={errors.username !== undefined} aria-describedby={describedBy(`${ids}-username-hint`, errors.username !== undefined && `${ids}-username-err`)} autoFocus />
              <p id={`${ids}-username-hint`} className="hint">3–22 characters: lower-case letters, digits, “.”, “_” or “-”.</p>
              {errors.username !== undefined && <p id={`${ids}-username-err`} className="field-error" role="alert">{errors.username}</p>}

              <label htmlFor={`${ids}-email`}>E-mail</label>
              <input id={`${ids}-email`} name="email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)}
                aria-invalid={errors.email !== undefined} aria-describedby={describedBy(errors.email !== undefined && `${ids}-email-err`)} />
              {errors.email !== undefined && <p id={`${ids}-email-err`} className="field-error" role="alert">{errors.email}</p>}

              <label htmlFor={`${ids}-display`}>Display name <span className="optional">(optional)</span></label>
              <input id={`${ids}-display`} name="display_name" autoComplete="name" value={displayName} onChange={(e) => setDisplayName(e.target.value)}
                aria-invalid={errors.display_name !== undefined} aria-describedby={describedBy(errors.display_name !== undefined && `${ids}-display-err`)} />
              {errors.display_name !== undefined && <p id={`${ids}-display-err`} className="field-error" role="alert">{errors.display_name}</p>}
            </>
          )}
          <label htmlFor={`${ids}-password`}>Password</label>
          <input id={`${ids}-password`} name="password" type="password" autoComplete={mode === 'signin' ? 'current-password' : 'new-password'} value={password} onChange={(e) => setPassword(e.target.value)}
            aria-invalid={errors.password !== undefined} aria-describedby={describedBy(mode === 'signup' && `${ids}-password-hint`, errors.password !== undefined && `${ids}-password-err`)} />
          {mode === 'signup' && <p id={`${ids}-password-hint`} className="hint">{passwordHint}</p>}
          {errors.password !== undefined && <p id={`${ids}-password-err`} className="field-error" role="alert">{errors.password}</p>}

          <button type="submit" className="primary wide" disabled={busy}>{mode === 'signin' ? 'Sign in' : 'Create account'}</button>
        </form>

        {providers.length > 0 && (
          <div className="sso" role="group" aria-label="Single sign-on">
            <p className="divider"><span>or</span></p>
            {providers.map((p) => (
              <a key={p.provider_key} className="button wide" href={ssoLoginHref(p.login_url, here)}>Sign in with {p.display_name}</a>
            ))}
          </div>
        )}

        <p className="switch">
          {mode === 'signin'
            ? registrationOpen && <>New here? <button type="button" className="link" onClick={() => switchMode('signup')}>Create an account</button></>
            : <>Already have an account? <button type="button" className="link" onClick={() => switchMode('signin')}>Sign in</button></>}
        </p>
      </section>
    </main>
  );
}
