import { registerEnumType } from '@nestjs/graphql';

/** How the connection to the relay is secured. */
export enum SmtpSecurity {
  /** Plain SMTP; STARTTLS is not attempted even if offered (SMTP_STARTTLS_ENABLE=false). */
  NONE = 'NONE',
  /** Plain connect, then STARTTLS, required (SMTP_STARTTLS_ENABLE=true; usually port 587). */
  STARTTLS = 'STARTTLS',
  /** TLS from the first byte (implicit TLS, SMTP_TRANSPORT_PROTOCOL=smtps; usually port 465). */
  TLS = 'TLS',
}
registerEnumType(SmtpSecurity, {
  name: 'SmtpSecurity', description: 'How the connection to the relay is secured',
  valuesMap: {
    NONE: { description: 'Plain SMTP; STARTTLS is not attempted even if offered' },
    STARTTLS: { description: 'Plain connection, then STARTTLS, required (usually port 587)' },
    TLS: { description: 'TLS from the first byte, implicit TLS (usually port 465)' },
  },
});

/**
 * The SMTP configuration as Herald uses it. The password stays encrypted here
 * (`ENC(...)`); only SmtpSettingsService decrypts it, to build a transport.
 */
export interface SmtpSettings {
  host: string | null;
  port: number;
  /** FROM address, optionally with a display name: `Herald <herald@example.com>`. */
  sender: string | null;
  username: string | null;
  encryptedPassword: string | null;
  security: SmtpSecurity;
  authEnabled: boolean;
  verifyCertificate: boolean;
  /** PEM of the CA that signed a private relay's certificate. */
  caCertificate: string | null;
  connectionTimeoutMs: number;
  greetingTimeoutMs: number;
  socketTimeoutMs: number;
  poolSize: number;
  /** The console's URL, used for links in mails. */
  gatewayUri: string | null;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** The values a fresh install starts with, before any seed. */
export const SMTP_DEFAULTS: Omit<SmtpSettings, 'updatedAt' | 'updatedBy'> = {
  host: null,
  port: 587,
  sender: null,
  username: null,
  encryptedPassword: null,
  security: SmtpSecurity.STARTTLS,
  authEnabled: true,
  verifyCertificate: true,
  caCertificate: null,
  connectionTimeoutMs: 10_000,
  greetingTimeoutMs: 10_000,
  socketTimeoutMs: 60_000,
  poolSize: 5,
  gatewayUri: 'http://localhost:8081',
};

/** Whether mail can be sent at all: a relay and a sender are set. */
export function isConfigured(settings: SmtpSettings): boolean {
  return !!settings.host && !!settings.sender;
}
