import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Logger } from '@nestjs/common';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import XOAuth2 from 'nodemailer/lib/xoauth2';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { SmtpCheckResult, SmtpCheckStep } from './smtp-check-result.model';
import { classifySmtpFailure, type SmtpErrorLike } from './smtp-failure';
import { StepLog } from './step-log';
import type { OAuth2TokenSource } from './oauth2/oauth2-token-source';
import { type ReachedStep, TranscriptRecorder, transcriptOf } from './session-transcript';

/**
 * Connects to a relay with the given options and reports each step: DNS, TCP
 * connect, greeting, TLS, authentication — with the relay's reply where there
 * is one. Sends no mail. Which step a failure belongs to comes from the
 * session's transcript, by the same logic as for every mail sent
 * (`classifySmtpFailure`).
 */
export class RelayCheck {
  private readonly logger = new Logger('SmtpCheck');
  private readonly log = new StepLog();

  constructor(
    private readonly options: SMTPTransport.Options,
    /** OAuth2: where the access token comes from (the TOKEN step, before AUTH). */
    private readonly tokens?: OAuth2TokenSource,
  ) {}

  async run(): Promise<SmtpCheckResult> {
    const host = this.options.host ?? '';
    const port = this.options.port ?? 25;
    const recorder = new TranscriptRecorder(!!this.options.secure, (reached) => this.reached(reached));
    try {
      if (!host) throw Object.assign(new Error('no host is set'), { code: 'EDNS' });
      await this.resolve(host);
      await this.handshake(recorder);
    } catch (error) {
      // An error nodemailer hands to the connect callback without logging it ends this check's one session all the same.
      const failure = classifySmtpFailure(error, transcriptOf(error) ?? recorder.latest());
      const e = error as SmtpErrorLike;
      this.log.failed(failure, e.message ?? 'unknown error');
      this.logger.warn(`SMTP check of ${host}:${port} failed at ${failure.step}: ${e.message}${e.response ? ` (reply: ${e.response})` : ''}`);
    }
    return this.log.result();
  }

  /** A step the transcript saw completed (the check adds AUTH itself, and what it skipped). */
  private reached({ step, reply }: ReachedStep): void {
    if (step === SmtpCheckStep.CONNECT) this.log.ok(step, `connected to ${this.options.host}:${this.options.port}`);
    else if (step === SmtpCheckStep.TLS) this.log.ok(step, this.options.secure ? 'TLS established (implicit TLS)' : 'STARTTLS succeeded');
    else if (step === SmtpCheckStep.GREETING) this.log.ok(step, 'the relay greeted', reply);
  }

  private async resolve(host: string): Promise<void> {
    if (isIP(host)) return this.log.skipped(SmtpCheckStep.RESOLVE, `${host} is an IP address`);
    try {
      const addresses = await lookup(host, { all: true });
      this.log.ok(SmtpCheckStep.RESOLVE, `${host} resolves to ${addresses.map((a) => a.address).join(', ')}`);
    } catch (error) {
      throw Object.assign(error as Error, { code: 'EDNS' });
    }
  }

  private handshake(recorder: TranscriptRecorder): Promise<void> {
    const { options, log } = this;
    const connection = new SMTPConnection({ ...options, logger: recorder.logger, transactionLog: true, debug: false } as never);
    return new Promise<void>((resolve, reject) => {
      const fail = (error: unknown) => {
        connection.close();
        reject(error);
      };
      connection.once('error', fail);
      connection.connect((error) => {
        if (error) return fail(error);
        recorder.latest()?.ready();
        if (!log.has(SmtpCheckStep.TLS)) log.skipped(SmtpCheckStep.TLS, 'not used (security NONE)');
        if (!options.auth) {
          log.skipped(SmtpCheckStep.AUTH, 'authentication is off');
          connection.quit();
          return resolve();
        }
        const user = (options.auth as { user?: string }).user;
        const login = (auth: object, how: string) =>
          connection.login(auth as never, (loginError) => {
            if (loginError) return fail(loginError);
            log.ok(SmtpCheckStep.AUTH, `authenticated as ${user}${how}`, connection.lastServerResponse || undefined);
            connection.quit();
            resolve();
          });
        if (!this.tokens) return login(options.auth!, '');
        const tokens = this.tokens;
        tokens.token().then((token) => {
          log.ok(SmtpCheckStep.TOKEN, `access token from ${tokens.endpoint()}, valid until ${new Date(token.expiresAt).toISOString()} (${Math.round(tokens.validFor(token) / 60_000)} min)`);
          login({ user, oauth2: new XOAuth2({ user, provisionCallback: tokens.provisionCallback } as never) }, ' with XOAUTH2');
        }, fail);
      });
    });
  }
}
