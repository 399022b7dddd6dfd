import { isIP } from 'node:net';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { SmtpSecurity, type SmtpSettings } from '../settings/smtp-settings';

/** nodemailer's SMTP options for these settings, with the password given in clear. */
export function transportOptions(settings: SmtpSettings, password: string | null): SMTPTransport.Options {
  const host = settings.host ?? undefined;
  return {
    host,
    port: settings.port,
    secure: settings.security === SmtpSecurity.TLS,
    requireTLS: settings.security === SmtpSecurity.STARTTLS,
    ignoreTLS: settings.security === SmtpSecurity.NONE,
    auth: settings.authEnabled && settings.username ? { user: settings.username, pass: password ?? '' } : undefined,
    tls: {
      rejectUnauthorized: settings.verifyCertificate,
      ca: settings.caCertificate ?? undefined,
      servername: host && !isIP(host) ? host : undefined,
      minVersion: 'TLSv1.2',
    },
    connectionTimeout: settings.connectionTimeoutMs,
    greetingTimeout: settings.greetingTimeoutMs,
    socketTimeout: settings.socketTimeoutMs,
  };
}
