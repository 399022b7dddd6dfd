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

/** What carries the mail: an SMTP relay, or Microsoft Graph's sendMail over HTTPS. */
export enum MailTransportKind {
  /** The SMTP relay of host and port (password, OAuth2 XOAUTH2, or none). */
  SMTP = 'SMTP',
  /** Microsoft Graph (`POST /v1.0/users/{mailbox}/sendMail`, Herald's MIME), with the app's client credentials. */
  MICROSOFT_GRAPH = 'MICROSOFT_GRAPH',
}
registerEnumType(MailTransportKind, {
  name: 'MailTransportKind',
  description: 'What carries the mail',
  valuesMap: {
    SMTP: { description: 'The SMTP relay of host and port (authMethod: password, OAuth2 XOAUTH2, or none)' },
    MICROSOFT_GRAPH: {
      description: "Microsoft Graph's sendMail over HTTPS (Herald's own MIME), as the mailbox username (else the sender's address), with authMethod OAUTH2_CLIENT_CREDENTIALS; for tenants where SMTP AUTH is off",
    },
  },
});

/** Microsoft Graph's global endpoint (national clouds have their own). */
export const GRAPH_ENDPOINT = 'https://graph.microsoft.com';

/** How Herald authenticates to the relay. The OAuth2 methods send XOAUTH2 with an access token. */
export enum SmtpAuthMethod {
  /** No SMTP AUTH (a relay that trusts the network). */
  NONE = 'NONE',
  /** Username and password (AUTH PLAIN/LOGIN). Refused by Microsoft 365 and Google for most tenants. */
  PASSWORD = 'PASSWORD',
  /** Microsoft 365: an Entra ID app's client credentials (secret or certificate), sending as `username`. */
  OAUTH2_CLIENT_CREDENTIALS = 'OAUTH2_CLIENT_CREDENTIALS',
  /** Google Workspace: a service account key with domain-wide delegation, impersonating `username`. */
  OAUTH2_SERVICE_ACCOUNT = 'OAUTH2_SERVICE_ACCOUNT',
  /** Any provider: a refresh token of a client, for the mailbox `username`. */
  OAUTH2_REFRESH_TOKEN = 'OAUTH2_REFRESH_TOKEN',
}
registerEnumType(SmtpAuthMethod, {
  name: 'SmtpAuthMethod',
  description: 'How Herald authenticates to the relay',
  valuesMap: {
    NONE: { description: 'No SMTP AUTH (a relay that trusts the network)' },
    PASSWORD: { description: 'Username and password (AUTH PLAIN/LOGIN); refused by Microsoft 365 and Google for most tenants' },
    OAUTH2_CLIENT_CREDENTIALS: { description: "Microsoft 365: an Entra ID app's client credentials (secret or certificate), sending as username" },
    OAUTH2_SERVICE_ACCOUNT: { description: 'Google Workspace: a service account key with domain-wide delegation, impersonating username' },
    OAUTH2_REFRESH_TOKEN: { description: 'Any provider: a refresh token of a client, for the mailbox username' },
  },
});

export function isOAuth2(method: SmtpAuthMethod): boolean {
  return method.startsWith('OAUTH2_');
}

/**
 * The SMTP configuration as Herald uses it. Secrets (the password, the OAuth2
 * client secret, private key, service account key and refresh token) stay
 * encrypted here (`ENC(...)`); only the SMTP gateway decrypts them, to connect.
 */
export interface SmtpSettings {
  /** What carries the mail: the SMTP relay below, or Microsoft Graph. */
  transport: MailTransportKind;
  /** Microsoft Graph: the API's base URL (national clouds and tests set another). */
  graphEndpoint: string;
  host: string | null;
  port: number;
  /** FROM address, optionally with a display name: `Herald <herald@example.com>`. */
  sender: string | null;
  username: string | null;
  encryptedPassword: string | null;
  security: SmtpSecurity;
  /** Whether Herald authenticates at all: `authMethod` is not NONE. */
  authEnabled: boolean;
  authMethod: SmtpAuthMethod;
  /** Microsoft 365: the directory (tenant) id, which names the token endpoint. */
  oauth2TenantId: string | null;
  oauth2ClientId: string | null;
  encryptedOAuth2ClientSecret: string | null;
  /** Microsoft 365 with a certificate instead of a secret: the certificate (PEM) registered with the app… */
  oauth2Certificate: string | null;
  /** …and its private key (PEM), encrypted. */
  encryptedOAuth2PrivateKey: string | null;
  /** Google: the service account's JSON key file, encrypted. */
  encryptedOAuth2ServiceAccountKey: string | null;
  encryptedOAuth2RefreshToken: string | null;
  /** Overrides the endpoint derived from the method and tenant (national clouds, private providers). */
  oauth2TokenUrl: string | null;
  /** Overrides the method's default scope. */
  oauth2Scope: string | null;
  /** The relay's sending quota, paced by Herald across all its processes (null: none). */
  quotaMessagesPerMinute: number | null;
  quotaRecipientsPerDay: number | null;
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
  transport: MailTransportKind.SMTP,
  graphEndpoint: GRAPH_ENDPOINT,
  host: null,
  port: 587,
  sender: null,
  username: null,
  encryptedPassword: null,
  security: SmtpSecurity.STARTTLS,
  authEnabled: true,
  authMethod: SmtpAuthMethod.PASSWORD,
  oauth2TenantId: null,
  oauth2ClientId: null,
  encryptedOAuth2ClientSecret: null,
  oauth2Certificate: null,
  encryptedOAuth2PrivateKey: null,
  encryptedOAuth2ServiceAccountKey: null,
  encryptedOAuth2RefreshToken: null,
  oauth2TokenUrl: null,
  oauth2Scope: null,
  quotaMessagesPerMinute: null,
  quotaRecipientsPerDay: null,
  verifyCertificate: true,
  caCertificate: null,
  connectionTimeoutMs: 10_000,
  greetingTimeoutMs: 10_000,
  socketTimeoutMs: 60_000,
  poolSize: 5,
  gatewayUri: 'http://localhost:8081',
};

/** Whether mail can be sent at all: a sender, and a relay (SMTP) or Graph's endpoint (Microsoft Graph). */
export function isConfigured(settings: SmtpSettings): boolean {
  if (settings.transport === MailTransportKind.MICROSOFT_GRAPH) return !!settings.graphEndpoint && !!settings.sender;
  return !!settings.host && !!settings.sender;
}

/** The mailbox Microsoft Graph sends as: `username` when set, else the sender's address. */
export function graphMailbox(settings: SmtpSettings): string {
  if (settings.username) return settings.username;
  const sender = settings.sender ?? '';
  return /<([^<>]+)>\s*$/.exec(sender)?.[1] ?? sender.trim();
}
