import { SmtpCheckResult, SmtpCheckStatus, SmtpCheckStep, SmtpCheckStepResult } from './smtp-check-result.model';
import { responseCodeOf, type SmtpFailure } from './smtp-failure';

const HINTS: Record<SmtpCheckStep, string> = {
  RESOLVE: 'cannot resolve the host name; check host',
  CONNECT: 'cannot connect; check host, port and that the relay accepts connections from Herald',
  GREETING: 'the relay did not greet as an SMTP server; check port and security (TLS on port 465, STARTTLS on 587)',
  TLS: 'TLS failed; check security, verifyCertificate and caCertificate',
  TOKEN: 'no access token from the token endpoint; check the OAuth2 settings (tenant, client id, secret or key, token URL) and the app registration',
  AUTH: 'authentication failed; check username, authMethod and its credentials',
  MAILBOX: "Microsoft Graph cannot send as this mailbox; check the sender (or username), the app's Mail.Send application permission and any application access policy",
  SEND: 'the relay refused the mail; check sender and the recipient',
};

/** Collects a check's steps in order, as answered by verifySmtpSettings and sendTestEmail. */
export class StepLog {
  readonly steps: SmtpCheckStepResult[] = [];
  /** A duration, not a time of day: the monotonic clock (the wall clock may jump). */
  private readonly started = performance.now();

  ok(step: SmtpCheckStep, message: string, response?: string): void {
    this.steps.push({ step, status: SmtpCheckStatus.OK, message, response, responseCode: responseCodeOf({ response }) });
  }

  skipped(step: SmtpCheckStep, message: string): void {
    this.steps.push({ step, status: SmtpCheckStatus.SKIPPED, message });
  }

  /** The failed step, with a hint of what to check and the relay's reply. */
  failed(failure: Pick<SmtpFailure, 'step' | 'reply' | 'responseCode' | 'advice'>, message: string): void {
    this.steps.push({
      step: failure.step,
      status: SmtpCheckStatus.FAILED,
      message: `${failure.advice ?? HINTS[failure.step]}: ${message}`,
      responseCode: failure.responseCode,
      response: failure.reply ?? undefined,
    });
  }

  /** Nothing to connect to: no host or sender is set. */
  notConfigured(): void {
    this.steps.push({
      step: SmtpCheckStep.CONNECT,
      status: SmtpCheckStatus.FAILED,
      message: 'nothing to connect to: SMTP is not configured: set host and sender with updateSmtpSettings',
    });
  }

  /** A stored secret (password, OAuth2 secret or key) cannot be decrypted with this server's key: nothing was attempted. */
  unreadableSecret(error: Error): void {
    this.steps.push({
      step: SmtpCheckStep.AUTH,
      status: SmtpCheckStatus.FAILED,
      message: `a stored SMTP secret (the password or an OAuth2 secret) ${error.message.replace(/^cannot decrypt the secret: /, 'cannot be decrypted: ')}; set it again`,
    });
  }

  has(step: SmtpCheckStep): boolean {
    return this.steps.some((s) => s.step === step);
  }

  /** The result; steps after a failure are not listed (not reached). */
  result(extra: Partial<SmtpCheckResult> = {}): SmtpCheckResult {
    const failed = this.steps.find((s) => s.status === SmtpCheckStatus.FAILED);
    return { ok: !failed, failedStep: failed?.step, steps: this.steps, durationMs: Math.round(performance.now() - this.started), ...extra };
  }
}
