import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { SecretDecryptionError } from '@herald/crypto';
import { encodeAlternative, withHeaders } from '../../../smtp/mime-message';
import { type AccessToken, type SmtpCheckResult, SmtpCheckStep, StepLog } from '../../../smtp/smtp-gateway';
import { type GraphApi, GraphError } from './graph-api';
import { classifyGraphFailure } from './graph-failure';

/** What a check is given: the API for the mailbox, and the token source behind it (for the TOKEN step's endpoint). */
export interface GraphCheckTarget {
  api: GraphApi;
  /** The first token (the TOKEN step). */
  token(): Promise<AccessToken>;
  /** Where tokens come from, for the message (no query, no secret). */
  tokenEndpoint: string;
  scope: string;
}

/** The test mail: to whom, from whom, and the clock's time to say when. */
export interface GraphTestMail {
  to: string;
  sender: string;
  sentAt: Date;
}

/**
 * Microsoft Graph step by step, as verifySmtpSettings and sendTestEmail answer it
 * (and the circuit's probe runs it): TOKEN (the app's access token for Graph),
 * then MAILBOX (`GET /users/{mailbox}`: it exists; an app without User.Read.All
 * is told 403, and the step is skipped, since sending does not need it), then SEND
 * — skipped by the check, which sends no mail (Graph has no dry run of sendMail);
 * the test mail sends one, and then leaves MAILBOX to the send itself (a 403 or 404
 * there fails at MAILBOX, with the remedy).
 */
export class GraphCheck {
  private readonly logger = new Logger('GraphCheck');
  private readonly log = new StepLog();

  constructor(private readonly target: () => GraphCheckTarget) {}

  /** Nothing to send as: no sender is set. */
  static notConfigured(): SmtpCheckResult {
    const log = new StepLog();
    log.failed({ step: SmtpCheckStep.MAILBOX, reply: null }, 'nothing to send as: set sender (and the OAuth2 client credentials) with updateSmtpSettings');
    return log.result();
  }

  /** TOKEN, MAILBOX; SEND skipped. */
  async verify(): Promise<SmtpCheckResult> {
    await this.steps(async (target) => {
      await this.mailbox(target.api);
      this.log.skipped(SmtpCheckStep.SEND, 'verifySmtpSettings sends no mail (Microsoft Graph has no dry run of sendMail): sendTestEmail sends one');
    });
    return this.log.result();
  }

  /** TOKEN, then the test mail through sendMail (SEND). */
  async sendTest(mail: GraphTestMail): Promise<SmtpCheckResult> {
    let messageId: string | undefined;
    await this.steps(async ({ api }) => {
      const message = testMessage(mail, api);
      const reply = await api.sendMail(message.raw);
      messageId = message.messageId;
      this.log.ok(SmtpCheckStep.SEND, `accepted by Microsoft Graph ${api.host} as ${api.mailbox} for ${mail.to}`, reply);
    });
    return this.log.result(messageId ? { messageId } : {});
  }

  private async steps(after: (target: GraphCheckTarget) => Promise<void>): Promise<void> {
    let target: GraphCheckTarget | undefined;
    try {
      target = this.target();
      const token = await target.token();
      const minutes = Math.round((token.expiresAt - token.obtainedAt) / 60_000);
      this.log.ok(SmtpCheckStep.TOKEN, `access token from ${target.tokenEndpoint} for ${target.scope}, valid until ${new Date(token.expiresAt).toISOString()} (${minutes} min)`);
      await after(target);
    } catch (error) {
      if (error instanceof SecretDecryptionError) return this.log.unreadableSecret(error);
      const failure = classifyGraphFailure(error);
      this.log.failed(failure, (error as Error).message ?? String(error));
      this.logger.warn(`Microsoft Graph check${target ? ` of ${target.api.host} as ${target.api.mailbox}` : ''} failed at ${failure.step}: ${(error as Error).message}`);
    }
  }

  private async mailbox(api: GraphApi): Promise<void> {
    try {
      const user = await api.user();
      const name = user.displayName ? `${user.displayName}, ` : '';
      this.log.ok(SmtpCheckStep.MAILBOX, `mailbox ${api.mailbox} found (${name}${user.userPrincipalName ?? user.mail ?? user.id}); whether the app may send as it shows at the first mail (sendTestEmail)`);
    } catch (error) {
      if (!(error instanceof GraphError) || error.status !== 403) throw error;
      this.log.skipped(
        SmtpCheckStep.MAILBOX,
        `the app may not read users (no User.Read.All, which sending does not need): mailbox ${api.mailbox} is checked by the first mail (sendTestEmail)`,
      );
    }
  }
}

/** The test mail as MIME, written by the same encoder as notifications (so Graph gets what they get). */
function testMessage(mail: GraphTestMail, api: GraphApi): { raw: Buffer; messageId: string } {
  const domain = /@([^>\s]+)>?\s*$/.exec(mail.sender)?.[1] ?? 'herald.invalid';
  const tag = randomUUID().replace(/-/g, '').slice(0, 16); // the MIME boundary's, as a notification's
  const messageId = `<herald.test.${tag}@${domain}>`;
  const via = `Microsoft Graph (${api.host}) as ${api.mailbox}`;
  const when = mail.sentAt.toISOString();
  const body = encodeAlternative(
    tag,
    `This is a test message from Herald.\n\nIt was sent through ${via} at ${when}.\nIf you can read it, job notifications will reach you too.\n`,
    `<p>This is a test message from Herald.</p><p>It was sent through <b>${via}</b> at ${when}.</p><p>If you can read it, job notifications will reach you too.</p>`,
  );
  const { raw } = withHeaders(body, tag, [
    { key: 'From', value: mail.sender },
    { key: 'To', value: mail.to },
    { key: 'Subject', value: 'Herald test message' },
    { key: 'Message-ID', value: messageId },
    { key: 'Auto-Submitted', value: 'auto-generated' },
  ], mail.sentAt.getTime());
  return { raw, messageId };
}
