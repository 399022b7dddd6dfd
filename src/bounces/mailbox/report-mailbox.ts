import type { ReportMailboxProtocol, ReportMailboxSettings } from '../../settings/report-mailbox/report-mailbox-settings';

/**
 * The mailbox reports arrive in, as the reader needs it: one implementation per
 * way in (imap/ now; graph/ for Microsoft Graph later), registered under
 * REPORT_MAILBOX_OPENERS. A mailbox is opened for one look and closed after it.
 * Messages are named by `key`, stable while the message stays in the folder (IMAP:
 * UIDVALIDITY and UID); nothing here deletes a message.
 */
export interface ReportMailbox {
  /** Which mailbox and folder: what the claims of its reports are kept under. */
  readonly id: string;
  /** The messages in the folder, oldest first. */
  list(): Promise<string[]>;
  /** The message's bytes, unless it is larger than `maxBytes` (then only its size is read); null when it is gone. */
  fetch(key: string, maxBytes: number): Promise<{ raw: Buffer } | { tooLarge: number } | null>;
  /** Moves a handled report out of the way, to the processed folder (created when missing). */
  moveToProcessed(key: string): Promise<void>;
  /** Moves a report Herald cannot read to the aside folder (created when missing). */
  setAside(key: string): Promise<void>;
  close(): Promise<void>;
}

/** How the reader signs in: a password, or an access token from the relay's OAuth2 client (XOAUTH2). */
export interface MailboxLogin {
  username: string;
  password?: string;
  accessToken?: () => Promise<string>;
}

/** Opens a mailbox of one protocol. */
export interface ReportMailboxOpener {
  readonly protocol: ReportMailboxProtocol;
  open(settings: ReportMailboxSettings, login: MailboxLogin, timeoutMs: number): Promise<ReportMailbox>;
}

/** DI token: every opener (ReportMailboxOpener[]). */
export const REPORT_MAILBOX_OPENERS = Symbol('REPORT_MAILBOX_OPENERS');

/** Why a look into the mailbox failed: it cannot be reached, the login is refused, or another failure. Never holds a secret. */
export class MailboxError extends Error {
  constructor(
    readonly kind: 'UNREACHABLE' | 'LOGIN_REFUSED' | 'FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'MailboxError';
  }
}
