import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { format } from 'node:util';
import { Injectable, Logger } from '@nestjs/common';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { SmtpCheckResult, SmtpCheckStatus, SmtpCheckStep, SmtpCheckStepResult } from './smtp-check-result.model';
import { failedStepOf, responseCodeOf, type SmtpErrorLike } from './smtp-error';


/** Collects a check's steps in order. */
export class StepLog {
  readonly steps: SmtpCheckStepResult[] = [];
  private readonly started = Date.now();

  ok(step: SmtpCheckStep, message: string, response?: string): void {
    this.steps.push({ step, status: SmtpCheckStatus.OK, message, response, responseCode: responseCodeOf({ response }) });
  }

  skipped(step: SmtpCheckStep, message: string): void {
    this.steps.push({ step, status: SmtpCheckStatus.SKIPPED, message });
  }

  failed(step: SmtpCheckStep, error: SmtpErrorLike, hint: string): void {
    this.steps.push({
      step,
      status: SmtpCheckStatus.FAILED,
      message: `${hint}: ${error.message ?? 'unknown error'}`,
      responseCode: responseCodeOf(error),
      response: error.response,
    });
  }

  /** The stored password cannot be decrypted with this server's key: nothing was attempted. */
  unreadablePassword(error: Error): void {
    this.steps.push({
      step: SmtpCheckStep.AUTH,
      status: SmtpCheckStatus.FAILED,
      message: `the stored SMTP password ${error.message.replace(/^cannot decrypt the secret: /, 'cannot be decrypted: ')}; set it again`,
    });
  }

  has(step: SmtpCheckStep): boolean {
    return this.steps.some((s) => s.step === step);
  }

  /** The result; steps after a failure are listed as not reached. */
  result(extra: Partial<SmtpCheckResult> = {}): SmtpCheckResult {
    const failed = this.steps.find((s) => s.status === SmtpCheckStatus.FAILED);
    return { ok: !failed, failedStep: failed?.step, steps: this.steps, durationMs: Date.now() - this.started, ...extra };
  }
}

const HINTS: Record<SmtpCheckStep, string> = {
  RESOLVE: 'cannot resolve the host name; check host',
  CONNECT: 'cannot connect; check host, port and that the relay accepts connections from Herald',
  GREETING: 'the relay did not greet as an SMTP server; check port and security (TLS on port 465, STARTTLS on 587)',
  TLS: 'TLS failed; check security, verifyCertificate and caCertificate',
  AUTH: 'authentication failed; check username, password and authEnabled',
  SEND: 'the relay refused the mail; check sender and the recipient',
};

export function hintFor(step: SmtpCheckStep): string {
  return HINTS[step];
}

/**
 * Connects to a relay with the given options and reports each step: DNS, TCP
 * connect, greeting, TLS, authentication — with the relay's reply where there
 * is one. Sends no mail. Used by `verifySmtpSettings`.
 */
@Injectable()
export class SmtpConnectionChecker {
  private readonly logger = new Logger('SmtpCheck');

  async check(options: SMTPTransport.Options): Promise<SmtpCheckResult> {
    const log = new StepLog();
    const host = options.host ?? '';
    const port = options.port ?? 25;
    try {
      if (!host) throw Object.assign(new Error('no host is set'), { code: 'EDNS' });
      await this.resolve(host, log);
      await this.handshake(options, log);
    } catch (error) {
      const e = error as SmtpErrorLike;
      const reached = [...log.steps].reverse().find((s) => s.status === SmtpCheckStatus.OK)?.step;
      const step = failedStepOf(e, reached);
      log.failed(step, e, hintFor(step));
      this.logger.warn(
        `SMTP check of ${host}:${port} failed at ${step}: ${e.message}${e.response ? ` (reply: ${e.response})` : ''}`,
      );
    }
    return log.result();
  }

  private async resolve(host: string, log: StepLog): Promise<void> {
    if (isIP(host)) return log.skipped(SmtpCheckStep.RESOLVE, `${host} is an IP address`);
    try {
      const addresses = await lookup(host, { all: true });
      log.ok(SmtpCheckStep.RESOLVE, `${host} resolves to ${addresses.map((a) => a.address).join(', ')}`);
    } catch (error) {
      throw Object.assign(error as Error, { code: 'EDNS' });
    }
  }

  private handshake(options: SMTPTransport.Options, log: StepLog): Promise<void> {
    const secure = !!options.secure;
    // nodemailer's transaction log tells how far the exchange got.
    const watcher = (entry: { tnx?: string }, template: string, ...args: unknown[]) => {
      const text = format(template, ...args);
      if (entry?.tnx === 'network' && / established to /.test(text) && !log.has(SmtpCheckStep.CONNECT)) {
        log.ok(SmtpCheckStep.CONNECT, `connected to ${options.host}:${options.port}`);
        if (secure) log.ok(SmtpCheckStep.TLS, 'TLS established (implicit TLS)');
      } else if (entry?.tnx === 'server' && !log.has(SmtpCheckStep.GREETING)) {
        log.ok(SmtpCheckStep.GREETING, 'the relay greeted', text);
      } else if (/upgraded with STARTTLS/.test(text)) {
        log.ok(SmtpCheckStep.TLS, 'STARTTLS succeeded');
      }
    };
    const logger = { trace() {}, debug: watcher, info: watcher, warn: watcher, error() {}, fatal() {} };
    const connection = new SMTPConnection({ ...options, logger, transactionLog: true, debug: false } as never);
    return new Promise<void>((resolve, reject) => {
      const fail = (error: unknown) => {
        connection.close();
        reject(error);
      };
      connection.once('error', fail);
      connection.connect((error) => {
        if (error) return fail(error);
        if (!log.has(SmtpCheckStep.TLS)) log.skipped(SmtpCheckStep.TLS, 'not used (security NONE)');
        if (!options.auth) {
          log.skipped(SmtpCheckStep.AUTH, 'authentication is off');
          connection.quit();
          return resolve();
        }
        connection.login(options.auth as never, (loginError) => {
          if (loginError) return fail(loginError);
          log.ok(SmtpCheckStep.AUTH, `authenticated as ${(options.auth as { user?: string }).user}`, connection.lastServerResponse || undefined);
          connection.quit();
          resolve();
        });
      });
    });
  }
}

