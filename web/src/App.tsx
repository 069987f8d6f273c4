/**
 * Signed out → the sign-in page; signed in → the workspace, with its state and WebSocket.
 * `/reset-password` (a password-reset mail's link) shows the page to choose a new password
 * either way: it needs no session, and ends every session of the account when it succeeds.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ApiClient } from './lib/api.js';
import type { TokenStore } from './lib/session.js';
import type { SessionResponse, User } from './lib/types.js';
import { AuthPage, type AuthMode } from './components/AuthPage.js';
import { ResetPasswordPage } from './components/ResetPasswordPage.js';
import { Workspace } from './components/Workspace.js';
import { ChatProvider } from './state/chat.js';
import { navigate, useRoute } from './navigation.js';
import { t } from './i18n/index.js';

export interface Boot {
  readonly user: User | undefined;
  readonly notice?: string;
  /** The server could not be asked whether the kept session is valid. */
  readonly unreachable?: boolean;
  /** The token of the password-reset link this tab was opened with (already gone from the URL). */
  readonly resetToken?: string | undefined;
}

interface AppProps {
  readonly initial: Boot;
  readonly api: ApiClient;
  readonly tokens: TokenStore;
  /** Lets the API client report a session the server ended (any 401). */
  readonly onSessionEndedRef: (fn: () => void) => void;
}

export function App({ initial, api, tokens, onSessionEndedRef }: AppProps) {
  const [user, setUser] = useState(initial.user);
  const [notice, setNotice] = useState(initial.notice);
  const [resetToken, setResetToken] = useState(initial.resetToken);
  const [authMode, setAuthMode] = useState<AuthMode>('signin');
  const route = useRoute();

  const signedOut = useCallback((reason: 'signed_out' | 'session_ended') => {
    tokens.clear();
    setUser(undefined);
    setNotice(reason === 'session_ended' ? t('session.ended') : t('session.signedOut'));
    navigate('/login');
  }, [tokens]);

  useEffect(() => onSessionEndedRef(() => signedOut('session_ended')), [onSessionEndedRef, signedOut]);

  const signedIn = useCallback((session: SessionResponse) => {
    tokens.set(session.token);
    setNotice(undefined);
    setAuthMode('signin');
    setUser(session.user);
    if (window.location.pathname === '/login') navigate('/', { replace: true });
  }, [tokens]);

  const getToken = useCallback(() => tokens.get(), [tokens]);
  const renewed = useCallback((token: string) => tokens.set(token), [tokens]);

  // The server ended every session of the account: this tab's too. The link is used up.
  const passwordReset = useCallback(() => {
    tokens.clear();
    setUser(undefined);
    setResetToken(undefined);
    setAuthMode('signin');
    setNotice(t('session.passwordChanged'));
    navigate('/login', { replace: true });
  }, [tokens]);

  const leaveReset = useCallback((next: AuthMode) => {
    setResetToken(undefined);
    setNotice(undefined);
    setAuthMode(next);
    navigate('/login');
  }, []);

  if (route.kind === 'reset-password') {
    return <ResetPasswordPage api={api} token={resetToken} onReset={passwordReset} onLeave={leaveReset} />;
  }

  if (initial.unreachable === true && user === undefined) {
    return (
      <main className="center-page">
        <section className="card" aria-labelledby="unreachable-title">
          <h1 id="unreachable-title">RustChat</h1>
          <p role="alert">{notice}</p>
          <button type="button" className="primary" onClick={() => window.location.reload()}>{t('common.tryAgain')}</button>
        </section>
      </main>
    );
  }
  if (user === undefined) return <AuthPage api={api} notice={notice} initialMode={authMode} onSignedIn={signedIn} />;
  return (
    <ChatProvider key={user.id} user={user} api={api} getToken={getToken} onSignedOut={signedOut} onSessionRenewed={renewed}>
      <Workspace />
    </ChatProvider>
  );
}
