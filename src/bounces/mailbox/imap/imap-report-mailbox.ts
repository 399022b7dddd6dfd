import { Injectable } from '@nestjs/common';
import type { ImapFlow } from 'imapflow';
import { MailboxSecurity, ReportMailboxProtocol, type ReportMailboxSettings } from '../../../settings/report-mailbox/report-mailbox-settings';
import { MailboxError, type MailboxLogin, type ReportMailbox, type ReportMailboxOpener } from '../report-mailbox';

/**
 * Reads reports over IMAP with imapflow (a maintained client: Herald writes no IMAP
 * of its own): one connection per look, the folder selected read-write, messages
 * fetched with BODY.PEEK (a person's mail stays unread) and moved with MOVE (or
 * COPY and EXPUNGE where MOVE is missing — the message then lives in the target).
 */
@Injectable()
export class ImapReportMailboxOpener implements ReportMailboxOpener {
  readonly protocol = ReportMailboxProtocol.IMAP;

  async open(settings: ReportMailboxSettings, login: MailboxLogin, timeoutMs: number): Promise<ReportMailbox> {
    // Loaded on first use: a Herald without a report mailbox never loads imapflow.
    const { ImapFlow } = require('imapflow') as typeof import('imapflow');
    const where = `${settings.host}:${settings.port}`;
    const auth = login.accessToken ? { user: login.username, accessToken: await tokenOf(login, where) } : { user: login.username, pass: login.password ?? '' };
    const client = new ImapFlow({
      host: settings.host!,
      port: settings.port,
      secure: settings.security === MailboxSecurity.TLS,
      doSTARTTLS: settings.security === MailboxSecurity.STARTTLS ? true : settings.security === MailboxSecurity.NONE ? false : undefined,
      auth,
      tls: { rejectUnauthorized: settings.verifyCertificate, ...(settings.caCertificate ? { ca: settings.caCertificate } : {}) },
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: Math.max(timeoutMs, 60_000),
    });
    // A dropped connection is reported as an 'error' event: without a listener it would end the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      client.close();
      throw failureOf(error, where, login.username);
    }
    try {
      const mailbox = await client.mailboxOpen(settings.folder);
      return new ImapReportMailbox(client, settings, `imap://${login.username}@${where}/${settings.folder}`, String(mailbox.uidValidity));
    } catch (error) {
      client.close();
      throw new MailboxError('FAILED', `cannot open the folder ${settings.folder} on ${where}: ${reasonOf(error)}`);
    }
  }
}

class ImapReportMailbox implements ReportMailbox {
  private readonly created = new Set<string>();

  constructor(
    private readonly client: ImapFlow,
    private readonly settings: ReportMailboxSettings,
    readonly id: string,
    private readonly uidValidity: string,
  ) {}

  async list(): Promise<string[]> {
    const uids = (await this.client.search({ all: true }, { uid: true })) || [];
    return uids.sort((a, b) => a - b).map((uid) => `${this.uidValidity}:${uid}`);
  }

  async fetch(key: string, maxBytes: number): Promise<{ raw: Buffer } | { tooLarge: number } | null> {
    const uid = this.uidOf(key);
    const sized = await this.client.fetchOne(uid, { uid: true, size: true }, { uid: true });
    if (!sized) return null;
    if ((sized.size ?? 0) > maxBytes) return { tooLarge: sized.size! };
    const message = await this.client.fetchOne(uid, { uid: true, source: true }, { uid: true });
    return message && message.source ? { raw: message.source } : null;
  }

  moveToProcessed(key: string): Promise<void> {
    return this.move(key, this.settings.processedFolder);
  }

  setAside(key: string): Promise<void> {
    return this.move(key, this.settings.asideFolder);
  }

  async close(): Promise<void> {
    await this.client.logout().catch(() => this.client.close());
  }

  private async move(key: string, folder: string): Promise<void> {
    const path = this.pathOf(folder);
    if (!this.created.has(path)) {
      await this.client.mailboxCreate(path);
      this.created.add(path);
    }
    const moved = await this.client.messageMove(this.uidOf(key), path, { uid: true });
    if (!moved) throw new MailboxError('FAILED', `could not move a report to ${folder}`);
  }

  /** `Herald/Processed` in the server's own hierarchy: its delimiter, under its personal namespace's prefix (INBOX. on some servers). */
  private pathOf(folder: string): string {
    const namespace = this.client.namespace;
    const delimiter = namespace?.delimiter || '/';
    const path = folder.split('/').join(delimiter);
    const prefix = namespace?.prefix ?? '';
    return prefix && !path.startsWith(prefix) && path.toUpperCase() !== 'INBOX' ? `${prefix}${path}` : path;
  }

  private uidOf(key: string): string {
    const [validity, uid] = key.split(':');
    if (validity !== this.uidValidity) throw new MailboxError('FAILED', `the folder ${this.settings.folder} was renumbered (UIDVALIDITY changed); its messages are read again`);
    return uid;
  }
}

async function tokenOf(login: MailboxLogin, where: string): Promise<string> {
  try {
    return await login.accessToken!();
  } catch (error) {
    throw new MailboxError('LOGIN_REFUSED', `no OAuth2 access token for the mailbox at ${where}: ${(error as Error).message}`);
  }
}

/** What a failed connect means, in one line without secrets. */
function failureOf(error: unknown, where: string, user: string): MailboxError {
  const e = error as Error & { authenticationFailed?: boolean; responseText?: string; serverResponseCode?: string; code?: string };
  if (e.authenticationFailed) return new MailboxError('LOGIN_REFUSED', `${where} refused the login of ${user}: ${e.responseText ?? e.serverResponseCode ?? e.message}`);
  return new MailboxError('UNREACHABLE', `cannot reach the mailbox at ${where}: ${reasonOf(error)}`);
}

function reasonOf(error: unknown): string {
  const e = error as Error & { code?: string; responseText?: string };
  return [e.code, e.responseText ?? e.message].filter(Boolean).join(' ') || String(error);
}
