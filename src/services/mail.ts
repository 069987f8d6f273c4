/**
 * Outgoing e-mail through an SMTP relay (nodemailer). One transport per process; STARTTLS
 * is used whenever the relay offers it (`smtps://` for implicit TLS).
 */
import type { Transporter } from 'nodemailer';
import { isLoopbackHost } from '../security/loopback.js';

export interface Mail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** An HTML alternative to `text` (notifications). */
  readonly html?: string;
  /** Extra headers (`List-Unsubscribe`). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

/**
 * Transport options: the URL as given, plus, in production, TLS required for a plain smtp://
 * relay that is not on this machine — reset links (and the relay password) never cross a
 * network in clear text; a relay without STARTTLS is refused rather than used.
 */
export function transportOptions(url: string, isProduction: boolean): { url: string; requireTLS: boolean } {
  const u = new URL(url);
  return { url, requireTLS: isProduction && u.protocol === 'smtp:' && !isLoopbackHost(u.hostname) };
}

export function createMailer(smtp: { readonly url: string; readonly from: string }, isProduction: boolean): Mailer {
  // nodemailer loads with the first e-mail, not at start (issue #11: cold start); creating
  // the transport only parses the URL, which the configuration has already checked.
  let transport: Promise<Transporter> | undefined;
  const open = (): Promise<Transporter> =>
    (transport ??= import('nodemailer').then((m) => m.default.createTransport(transportOptions(smtp.url, isProduction))));
  return {
    async send(mail) {
      await (await open()).sendMail({
        from: smtp.from, to: mail.to, subject: mail.subject, text: mail.text,
        ...(mail.html === undefined ? {} : { html: mail.html }),
        ...(mail.headers === undefined ? {} : { headers: { ...mail.headers } }),
      });
    },
    close: () => {
      void transport?.then((t) => t.close(), () => undefined);
    },
  };
}

/**
 * Work that must not delay (or show in) the answer to an anonymous request: looking an
 * address up and mailing it. Jobs run after the current tick, at most `maxSending` at once,
 * at most `maxPending` waiting; beyond that a job is dropped with a log line (a flood of
 * requests must not grow memory or mail without bound). Failures are logged, never thrown.
 */
export class MailQueue {
  private readonly pending: Array<{ run: () => Promise<void>; what: string; requestId: string }> = [];
  private sending = 0;

  constructor(
    private readonly logger: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void },
    private readonly maxPending = 1000,
    private readonly maxSending = 4,
  ) {}

  /** Queues `run`; `what` names the job in log lines. */
  push(what: string, requestId: string, run: () => Promise<void>): void {
    if (this.pending.length >= this.maxPending) {
      this.logger.warn({ request_id: requestId }, `${what} dropped: too many waiting`);
      return;
    }
    this.pending.push({ run, what, requestId });
    setImmediate(() => this.pump());
  }

  private pump(): void {
    while (this.sending < this.maxSending && this.pending.length > 0) {
      const job = this.pending.shift()!;
      this.sending++;
      job.run()
        .catch((err: unknown) => this.logger.error({ err, request_id: job.requestId }, `${job.what} failed`))
        .finally(() => {
          this.sending--;
          this.pump();
        });
    }
  }
}
