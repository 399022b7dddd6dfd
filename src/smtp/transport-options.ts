import { isIP } from 'node:net';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { SmtpSecurity, type SmtpSettings } from '../settings/smtp-settings/smtp-settings';

/** nodemailer's SMTP options for these settings, signing in with `auth` (RelayLogins). */
export function transportOptions(settings: SmtpSettings, auth: SMTPTransport.Options['auth'] | undefined): SMTPTransport.Options {
  const host = settings.host ?? undefined;
  return {
    host,
    port: settings.port,
    secure: settings.security === SmtpSecurity.TLS,
    requireTLS: settings.security === SmtpSecurity.STARTTLS,
    ignoreTLS: settings.security === SmtpSecurity.NONE,
    auth,
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
