/**
 * A real SMTP server on loopback (the `smtp-server` package) that keeps every message it is
 * sent, for tests of the mail the server sends (password reset). No mocks: the server under
 * test speaks SMTP to it through nodemailer as it would to a real relay.
 */
import { SMTPServer } from 'smtp-server';

export interface SentMail {
  readonly from: string;
  readonly to: string[];
  /** The raw RFC 5322 message (headers and body). */
  readonly raw: string;
}

export interface SmtpSink {
  /** `smtp://127.0.0.1:<port>` for RUSTCHAT_SMTP_URL. */
  readonly url: string;
  readonly mails: SentMail[];
  /** Resolves with the first mail to `to` received after the call. */
  next(to: string, timeoutMs?: number): Promise<SentMail>;
  /** Resolves once `check(mails)` holds (checked now and on every new mail). */
  until(check: (mails: readonly SentMail[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: SentMail[] = [];
  const waiters: Array<{ to: string; resolve: (m: SentMail) => void }> = [];
  const checks: Array<() => void> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mail: SentMail = {
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          raw: Buffer.concat(chunks).toString('utf8'),
        };
        mails.push(mail);
        for (const c of [...checks]) c();
        for (const w of [...waiters]) {
          if (mail.to.includes(w.to)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(mail);
          }
        }
        callback();
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    next(to, timeoutMs = 15_000) {
      const want = to.toLowerCase();
      return new Promise<SentMail>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no mail to ${to} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ to: want, resolve: (m) => { clearTimeout(timer); resolve(m); } });
      });
    },
    until(check, timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const run = (): void => {
          if (!check(mails)) return;
          checks.splice(checks.indexOf(run), 1);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          checks.splice(checks.indexOf(run), 1);
          reject(new Error(`mail condition not reached within ${timeoutMs} ms`));
        }, timeoutMs);
        checks.push(run);
        run();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The password-reset token in a mail: the `#token=` fragment of its link. */
export function resetTokenIn(mail: SentMail): string {
  // Quoted-printable may wrap long lines with "=\r\n"; unwrap before searching.
  const text = mail.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const m = /\/reset-password#token=([A-Za-z0-9_-]+)/.exec(text);
  if (m === null) throw new Error(`no reset link in mail:\n${mail.raw}`);
  return m[1]!;
}

/** The token of the registration link in a "finish creating your account" mail. */
export function registrationTokenIn(mail: SentMail): string {
  const text = mail.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const m = /\/register#token=([A-Za-z0-9_.-]+)/.exec(text);
  if (m === null) throw new Error(`no registration link in mail:\n${mail.raw}`);
  return m[1]!;
}
