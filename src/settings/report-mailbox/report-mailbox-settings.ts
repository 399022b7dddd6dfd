import { registerEnumType } from '@nestjs/graphql';

/** How Herald reads the mailbox that bounce reports come to. */
export enum ReportMailboxProtocol {
  /** Reports are not read. */
  NONE = 'NONE',
  /** IMAP (an on-premises server, Microsoft 365 or Google Workspace). */
  IMAP = 'IMAP',
  /** Microsoft Graph: the sender's mailbox in Microsoft 365, with the relay's OAuth2 client. */
  GRAPH = 'GRAPH',
}
registerEnumType(ReportMailboxProtocol, {
  name: 'ReportMailboxProtocol',
  description: 'How Herald reads the mailbox that bounce reports come to',
  valuesMap: {
    NONE: { description: 'Reports are not read (the default): the delivery log shows what the relay accepted, not what bounced later' },
    IMAP: { description: 'IMAP: an on-premises server, Microsoft 365 (outlook.office365.com) or Google Workspace (imap.gmail.com)' },
    GRAPH: { description: "Microsoft Graph (Microsoft 365): the mailbox's messages through Graph (graphUrl, else the mail settings' graphEndpoint) with a token of the mail settings' OAuth2 client (application permission Mail.ReadWrite); authMethod OAUTH2" },
  },
});

/** How the connection to the mailbox is secured. */
export enum MailboxSecurity {
  NONE = 'NONE',
  STARTTLS = 'STARTTLS',
  TLS = 'TLS',
}
registerEnumType(MailboxSecurity, {
  name: 'MailboxSecurity',
  description: 'How the connection to the report mailbox is secured',
  valuesMap: {
    NONE: { description: 'Plain IMAP; STARTTLS is not attempted (a server on the same host or a trusted network only)' },
    STARTTLS: { description: 'Plain connection, then STARTTLS, required (usually port 143)' },
    TLS: { description: 'TLS from the first byte (usually port 993)' },
  },
});

/** How Herald signs in to the mailbox. */
export enum MailboxAuthMethod {
  PASSWORD = 'PASSWORD',
  OAUTH2 = 'OAUTH2',
}
registerEnumType(MailboxAuthMethod, {
  name: 'MailboxAuthMethod',
  description: 'How Herald signs in to the report mailbox',
  valuesMap: {
    PASSWORD: { description: 'Username and password (IMAP LOGIN / AUTHENTICATE PLAIN)' },
    OAUTH2: {
      description: "XOAUTH2 with an access token from the relay's OAuth2 client (smtpSettings' authMethod must be an OAuth2 one): the same app registration or service account, with the IMAP permission",
    },
  },
});

/**
 * The mailbox bounce reports are read from (usually the sender's own). The
 * password stays encrypted here (`ENC(...)`); only the mailbox reader decrypts it.
 */
export interface ReportMailboxSettings {
  protocol: ReportMailboxProtocol;
  host: string | null;
  port: number;
  security: MailboxSecurity;
  authMethod: MailboxAuthMethod;
  /** The mailbox to sign in as; null: the relay's username (the sender's mailbox). */
  username: string | null;
  encryptedPassword: string | null;
  /** Where reports arrive. */
  folder: string;
  /** Where reports go once recorded (created when missing). */
  processedFolder: string;
  /** Where reports Herald cannot read go, with the reason in the mailbox status (created when missing). */
  asideFolder: string;
  pollIntervalSeconds: number;
  /** GRAPH: Microsoft Graph's root; null: the mail settings' graphEndpoint (https://graph.microsoft.com unless a national cloud's). */
  graphUrl: string | null;
  verifyCertificate: boolean;
  caCertificate: string | null;
  updatedAt: Date | null;
  updatedBy: string | null;
}

export type ReportMailboxValues = Omit<ReportMailboxSettings, 'updatedAt' | 'updatedBy'>;

export const REPORT_MAILBOX_DEFAULTS: ReportMailboxValues = {
  protocol: ReportMailboxProtocol.NONE,
  host: null,
  port: 993,
  security: MailboxSecurity.TLS,
  authMethod: MailboxAuthMethod.PASSWORD,
  username: null,
  encryptedPassword: null,
  folder: 'INBOX',
  processedFolder: 'Herald/Processed',
  asideFolder: 'Herald/Unreadable',
  pollIntervalSeconds: 60,
  graphUrl: null,
  verifyCertificate: true,
  caCertificate: null,
};

const text = (v: string) => v;
const int = (v: string) => Number.parseInt(v, 10);
const oneOf = <T extends Record<string, string>>(values: T, fallback: T[keyof T]) => (v: string) => (v in values ? v : fallback);

/** Field ⇄ row of `properties`, and how a row's text is read. */
export const REPORT_MAILBOX_KEYS: Record<keyof ReportMailboxValues, { key: string; parse: (value: string) => unknown }> = {
  protocol: { key: 'mailbox.protocol', parse: oneOf(ReportMailboxProtocol, ReportMailboxProtocol.NONE) },
  host: { key: 'mailbox.host', parse: text },
  port: { key: 'mailbox.port', parse: int },
  security: { key: 'mailbox.security', parse: oneOf(MailboxSecurity, MailboxSecurity.TLS) },
  authMethod: { key: 'mailbox.auth.method', parse: oneOf(MailboxAuthMethod, MailboxAuthMethod.PASSWORD) },
  username: { key: 'mailbox.username', parse: text },
  encryptedPassword: { key: 'mailbox.password', parse: text },
  folder: { key: 'mailbox.folder', parse: text },
  processedFolder: { key: 'mailbox.folder.processed', parse: text },
  asideFolder: { key: 'mailbox.folder.aside', parse: text },
  pollIntervalSeconds: { key: 'mailbox.poll-interval-seconds', parse: int },
  graphUrl: { key: 'mailbox.graph.url', parse: text },
  verifyCertificate: { key: 'mailbox.tls.verify-certificate', parse: (v) => v === 'true' },
  caCertificate: { key: 'mailbox.tls.ca-certificate', parse: text },
};

export const REPORT_MAILBOX_FIELDS = Object.keys(REPORT_MAILBOX_KEYS) as (keyof ReportMailboxValues)[];
