import { SecretDecryptionError } from '@herald/crypto';
import { TokenEndpointError } from './oauth2/oauth2-token-source';
import { SmtpCheckStep } from './smtp-check-result.model';
import { type SessionTranscript, transcriptOf } from './session-transcript';
import { THREAD_FAILED } from './thread/pool-messages';

/** What nodemailer tells about a failed SMTP exchange. */
export interface SmtpErrorLike {
  message?: string;
  code?: string;
  command?: string;
  responseCode?: number;
  response?: string;
  /** Which of nodemailer's timers ran out (CONNECT_TIMEOUT, GREETING_TIMEOUT, UPGRADE_TIMEOUT, SOCKET_TIMEOUT). */
  timeoutType?: string;
  /** Set by Node on a failed system call (connect): the TCP connection itself failed. */
  syscall?: string;
}

/**
 * What a failure is about, as one small type: whoever sends decides from it
 * whether to retry, give up on one recipient or message, or hold everything.
 */
export interface SmtpFailure {
  /**
   * `recipient`: the relay refused this recipient; `message`: this message (its
   * sender, size or content); `relay`: the relay as a whole — every message would
   * fail alike (cannot resolve, connect, greet, TLS, credentials refused, 421,
   * timeouts, no readable password, its sending quota used up).
   */
  scope: 'message' | 'recipient' | 'relay';
  /**
   * Worth another attempt of the same message: a 4xx reply, a connection, TLS or
   * timeout error — and anything else an admin can fix without touching the
   * message (an unreadable password), since giving up is final. A refused
   * credential is not: every attempt is refused until the settings change.
   */
  transient: boolean;
  /** The step of the session it failed at. */
  step: SmtpCheckStep;
  /** The relay's reply (e.g. `535 5.7.8 Authentication credentials invalid`), when it gave one. */
  reply: string | null;
  responseCode?: number;
  /** One line saying what happened: code, message, command (never a secret). */
  description: string;
  /**
   * The relay asks Herald to slow down (a 4xx saying rate, limit, quota or
   * throttling, e.g. Exchange's `450 4.5.127 Message submission rate … exceeded`):
   * about the relay as a whole, not this message; nothing is spent.
   */
  throttled?: boolean;
  /** How long the other side asked Herald to wait (Microsoft Graph's Retry-After; a relay's used-up quota: RELAY_QUOTA_RETRY_MS), when it said. */
  retryAfterMs?: number;
  /** What to do, when the reply says more than the step's usual hint (a relay that no longer takes passwords). */
  advice?: string;
  /** The SMTP command it answered (`MAIL FROM`, `RCPT TO`, `DATA`), when it was one. */
  command?: string;
  /** The relay's state, which opens its circuit at once: the same temporary refusal for many messages, or its sending quota used up. */
  opensCircuit?: boolean;
}

/**
 * Replies of relays that refuse passwords for good: Microsoft 365 with basic
 * authentication disabled (5.7.139, 5.7.30, 5.7.57, or 5.7.3 naming SMTP client
 * authentication), Google asking for an application-specific password (5.7.9).
 */
const PASSWORDS_REFUSED = /\b5\.7\.(139|30|57|9)\b|basic authentication is (disabled|not supported)|SmtpClientAuthentication is disabled|application-specific password/i;
export const PASSWORDS_REFUSED_ADVICE =
  'this relay no longer accepts passwords: switch authMethod to OAuth2 (OAUTH2_CLIENT_CREDENTIALS for Microsoft 365, OAUTH2_SERVICE_ACCOUNT for Google Workspace; docs/configuration.md has the steps)';

/**
 * A temporary refusal that asks the sender to slow down rather than saying
 * something is wrong — unless it is one recipient's mailbox that is over its quota:
 * its text (Exchange's `4.5.127 … submission rate …`, Postfix's `4.7.1 Error: too
 * much mail from …`), or, but for a recipient (greylisting answers there), a
 * `421`/`450`/`451` with the policy status 4.7.x or "try again later".
 */
const THROTTLED = /\brate\b|limit|quota|throttl|too many (messages|connections|mails?)|too much mail/i;
const THROTTLED_BUT_AT_RCPT = /(^|\s)4\.7\.\d{1,3}\b|try again later/i;
const MAILBOX_FULL = /mailbox|storage|disk|full|4\.2\.2/i;

/**
 * A relay's sending quota used up, as the relays document it: the enhanced status
 * code with its own wording (a bare 5.4.5 or "limit" is not enough: a full mailbox,
 * a message over the size limit, one recipient receiving too fast stay the
 * message's or recipient's). Google: `550 5.4.5 Daily user sending limit exceeded`,
 * `Daily sending quota exceeded`, `Daily SMTP relay limit exceeded for user` (5.4.5
 * or 5.7.1, also `for customer`). Microsoft 365: `5.1.90 … reached your daily limit
 * for message recipients`, `5.2.2 Submission quota exceeded`, `5.2.0 … SubmissionQuotaExceededException
 * … WASCL … RefuseQuota`, `5.7.232`/`5.7.233 … daily limit for sending email to external recipients`.
 */
const RELAY_QUOTA: RegExp[] = [
  /\b5\.4\.5\b.*\bdaily (user )?(sending|SMTP relay) (limit|quota) exceeded/i,
  /\b5\.7\.1\b.*\bdaily SMTP relay limit exceeded/i,
  /\b5\.1\.90\b.*\bdaily limit for message recipients/i,
  /\b5\.2\.2\b.*\bsubmission quota exceeded/i,
  /\b5\.2\.0\b.*(SubmissionQuotaExceeded|WASCL.*\bRefuseQuota\b)/i,
  /\b5\.7\.23[23]\b.*\bdaily limit for sending email to external recipients/i,
];
/**
 * How long the relay's circuit stays open after a used-up quota before it is tried
 * again: the quotas are over a rolling day, coming back as the oldest sends age out,
 * not in seconds (a probe's check signs in without sending, so it cannot tell).
 */
export const RELAY_QUOTA_RETRY_MS = 3_600_000;
const RELAY_QUOTA_ADVICE =
  "the relay's sending quota is used up: mails wait, no attempt spent, and are tried again in an hour; set quotaRecipientsPerDay (and quotaMessagesPerMinute) to the relay's limits so that Herald paces itself";

/** Node's TLS errors carry OpenSSL's or the certificate check's code. */
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_)/;
const STEP_OF_TIMEOUT: Record<string, SmtpCheckStep> = {
  CONNECT_TIMEOUT: SmtpCheckStep.CONNECT,
  GREETING_TIMEOUT: SmtpCheckStep.GREETING,
  UPGRADE_TIMEOUT: SmtpCheckStep.TLS,
};

/**
 * The step a failure belongs to: from what the error says of itself (nodemailer's
 * code, the command in flight, the timer that ran out), else from the session's
 * transcript (the step it was in when it ended: a stall at AUTH times out as a
 * plain socket timeout). One logic for the relay check and for every send.
 */
export function stepOf(error: SmtpErrorLike, transcript?: SessionTranscript): SmtpCheckStep {
  const { code = '', command = '' } = error;
  if (code === 'EDNS') return SmtpCheckStep.RESOLVE;
  if (error instanceof TokenEndpointError || (error as { originalCode?: string }).originalCode === TokenEndpointError.CODE) return SmtpCheckStep.TOKEN;
  if (code === 'EAUTH' || code === 'ENOAUTH' || code === 'EOAUTH2' || command.startsWith('AUTH')) return SmtpCheckStep.AUTH;
  if (code === 'ETLS' || code === 'EREQUIRETLS' || command === 'STARTTLS') return SmtpCheckStep.TLS;
  if (code === 'EENVELOPE' || code === 'EMESSAGE' || ['MAIL FROM', 'RCPT TO', 'DATA'].includes(command)) return SmtpCheckStep.SEND;
  if (['EHLO', 'HELO', 'LHLO'].includes(command)) return SmtpCheckStep.GREETING;
  const timedOut = error.timeoutType && STEP_OF_TIMEOUT[error.timeoutType];
  if (timedOut) return timedOut;
  if (!transcript) return SmtpCheckStep.CONNECT;
  if (transcript.current === SmtpCheckStep.CONNECT && transcript.implicitTls && !error.syscall && isTlsError(error)) return SmtpCheckStep.TLS;
  return transcript.current;
}

function isTlsError(error: SmtpErrorLike & { originalCode?: string }): boolean {
  return TLS_CODE.test(error.originalCode ?? '') || /certificate|SSL|TLS|wrong version number/i.test(error.message ?? '');
}

/** The SMTP reply code in an error, from the field or the reply text. */
export function responseCodeOf(error: { responseCode?: number; response?: string }): number | undefined {
  if (typeof error.responseCode === 'number') return error.responseCode;
  const match = /^([2-5]\d\d)[ -]/.exec(error.response ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * What a failed send or check is about; see SmtpFailure. The step comes from the
 * error, else from the transcript of the session it ended (`transcriptOf`).
 */
export function classifySmtpFailure(error: unknown, transcript = transcriptOf(error)): SmtpFailure {
  const e = (error ?? {}) as SmtpErrorLike;
  const responseCode = responseCodeOf(e);
  const reply = e.response ?? null;
  const where = e.command ? ` (${e.command})` : '';
  const description = `${e.code ? `${e.code}: ` : ''}${e.message ?? String(error)}${where}`;
  const base = { reply, responseCode, description, ...(e.command && { command: e.command }) };
  if (error instanceof SecretDecryptionError) return { ...base, scope: 'relay', transient: true, step: SmtpCheckStep.AUTH };
  // The pool's thread stopped under this message (or lacked its body): another attempt, and not the relay's failure.
  if (e.code === THREAD_FAILED) return { ...base, scope: 'message', transient: true, step: SmtpCheckStep.SEND };
  const step = stepOf(e, transcript);
  if (step === SmtpCheckStep.TOKEN) {
    // No token: the relay as a whole cannot be used. An endpoint that is down may come back; a refused grant needs the admin.
    const transient = error instanceof TokenEndpointError ? error.transient : true;
    return { ...base, description: e.message ?? description, scope: 'relay', transient, step };
  }
  if (step === SmtpCheckStep.AUTH && ['EAUTH', 'ENOAUTH', 'EOAUTH2'].includes(e.code ?? '')) {
    // A 4xx (454 4.7.0 "temporary authentication failure", 421) may pass: counted like any relay failure,
    // rather than opening the circuit at once as a refused credential does.
    if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) return { ...base, scope: 'relay', transient: true, step };
    const advice = PASSWORDS_REFUSED.test(reply ?? e.message ?? '') ? PASSWORDS_REFUSED_ADVICE : undefined;
    return { ...base, scope: 'relay', transient: false, step, advice };
  }
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500 && isThrottling(reply ?? e.message ?? '', responseCode, e.command)) {
    return { ...base, scope: 'relay', transient: true, step, throttled: true };
  }
  // The relay's sending quota used up (a 5xx, yet about every mail alike until it comes back): the relay's state,
  // as a refused credential is — its circuit opens at once, mails wait without spending attempts, for an hour.
  if (step === SmtpCheckStep.SEND && responseCode !== undefined && responseCode >= 500 && RELAY_QUOTA.some((quota) => quota.test(reply ?? e.message ?? ''))) {
    return { ...base, scope: 'relay', transient: true, step, opensCircuit: true, retryAfterMs: RELAY_QUOTA_RETRY_MS, advice: RELAY_QUOTA_ADVICE };
  }
  // 530 (RFC 4954, RFC 3207): the relay takes no mail before Herald signs in (or starts TLS), whatever the command
  // (MAIL FROM, RCPT TO): every mail alike, as a refused credential. Not this message's, nor its recipient's.
  if (responseCode === 530) {
    return { ...base, scope: 'relay', transient: false, step: /STARTTLS|\bTLS\b/i.test(reply ?? e.message ?? '') ? SmtpCheckStep.TLS : SmtpCheckStep.AUTH };
  }
  // 421: the relay is closing the session, whatever the command (RFC 5321 §3.8).
  if (responseCode === 421 || step !== SmtpCheckStep.SEND || e.code === 'ETIMEDOUT' || isConnectionLoss(e)) {
    return { ...base, scope: 'relay', transient: responseCode === undefined || responseCode < 500, step };
  }
  const transient = responseCode !== undefined ? responseCode < 500 : !['EENVELOPE', 'EMESSAGE'].includes(e.code ?? '');
  return { ...base, scope: e.command === 'RCPT TO' || (e.code === 'EENVELOPE' && !e.command) ? 'recipient' : 'message', transient, step };
}

function isThrottling(text: string, code: number, command: string | undefined): boolean {
  if (MAILBOX_FULL.test(text)) return false;
  return THROTTLED.test(text) || ([421, 450, 451].includes(code) && command !== 'RCPT TO' && THROTTLED_BUT_AT_RCPT.test(text));
}

function isConnectionLoss(error: SmtpErrorLike): boolean {
  return error.code === 'ECONNECTION' || error.code === 'ESOCKET';
}
