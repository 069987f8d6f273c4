/**
 * Outgoing e-mail through an SMTP relay (nodemailer). One transport per process; STARTTLS
 * is used whenever the relay offers it (`smtps://` for implicit TLS).
 */
import nodemailer from 'nodemailer';
import { isLoopbackHost } from '../security/loopback.js';

export interface Mail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
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
  const transport = nodemailer.createTransport(transportOptions(smtp.url, isProduction));
  return {
    async send(mail) {
      await transport.sendMail({ from: smtp.from, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close: () => transport.close(),
  };
}
