/**
 * Outgoing e-mail through an SMTP relay (nodemailer). One transport per process; STARTTLS
 * is used whenever the relay offers it (`smtps://` for implicit TLS).
 */
import { isIP } from 'node:net';
import nodemailer from 'nodemailer';

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

/** `localhost`, 127.0.0.0/8 or ::1 — by address, not by how the name starts. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.split('.')[0] === '127';
  // URL parsing writes an IPv6 address in its shortest form (0:0:0:0:0:0:0:1 → ::1).
  if (isIP(host) === 6) return new URL(`http://[${host}]/`).hostname === '[::1]';
  return false;
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
