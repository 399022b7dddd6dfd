import { SmtpCheckStep } from './smtp-check-result.model';

/** What nodemailer tells about a failed SMTP exchange. */
export interface SmtpErrorLike {
  message?: string;
  code?: string;
  command?: string;
  responseCode?: number;
  response?: string;
}

const TLS_ERROR = /certificate|self[- ]signed|SSL|TLS|handshake|wrong version number|unable to verify/i;
const CONNECT_ERROR = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EADDRNOTAVAIL/;

/**
 * The step an SMTP failure belongs to, from nodemailer's error code and command.
 * `reached` is the last step known to have succeeded (from the transaction log).
 */
export function failedStepOf(error: SmtpErrorLike, reached?: SmtpCheckStep): SmtpCheckStep {
  const { code, command = '', message = '' } = error;
  if (code === 'EDNS' || /ENOTFOUND|EAI_AGAIN/.test(message)) return SmtpCheckStep.RESOLVE;
  if (code === 'EAUTH' || code === 'ENOAUTH' || command.startsWith('AUTH')) return SmtpCheckStep.AUTH;
  if (code === 'ETLS' || command === 'STARTTLS' || TLS_ERROR.test(message)) return SmtpCheckStep.TLS;
  if (code === 'EENVELOPE' || code === 'EMESSAGE' || ['MAIL FROM', 'RCPT TO', 'DATA'].includes(command)) {
    return SmtpCheckStep.SEND;
  }
  if (reached === SmtpCheckStep.CONNECT || /greeting/i.test(message) || code === 'EPROTOCOL') return SmtpCheckStep.GREETING;
  if (reached === SmtpCheckStep.GREETING || reached === SmtpCheckStep.TLS) return SmtpCheckStep.AUTH;
  if (CONNECT_ERROR.test(message) || code === 'ECONNECTION' || code === 'ESOCKET' || code === 'ETIMEDOUT') {
    return SmtpCheckStep.CONNECT;
  }
  return reached ?? SmtpCheckStep.CONNECT;
}

/** The SMTP reply code in an error, from the field or the reply text. */
export function responseCodeOf(error: SmtpErrorLike): number | undefined {
  if (typeof error.responseCode === 'number') return error.responseCode;
  const match = /^([2-5]\d\d)[ -]/.exec(error.response ?? '');
  return match ? Number(match[1]) : undefined;
}

