import { responseCodeOf, type SmtpErrorLike } from '../../settings/check/smtp-error';

/** Failures that no retry will fix when the relay gives no reply code. */
const PERMANENT_WITHOUT_REPLY = new Set(['EENVELOPE', 'EMESSAGE']);

/**
 * The relay refused Herald's credentials (or offered no way to authenticate):
 * a failure of the relay as a whole, not of one mail — the Dispatcher holds the
 * queue rather than spend each delivery's attempts.
 */
export function isCredentialFailure(error: SmtpErrorLike): boolean {
  return error.code === 'EAUTH' || error.code === 'ENOAUTH';
}

/**
 * Is a failure worth another attempt? A 5xx reply is final; a 4xx reply, a
 * connection, TLS or timeout error is transient — and so is anything else an
 * admin can fix (an unreadable password), since FAILED is final.
 */
export function isTransient(error: SmtpErrorLike): boolean {
  const code = responseCodeOf(error);
  if (code !== undefined) return code < 500;
  return !PERMANENT_WITHOUT_REPLY.has(error.code ?? '');
}

/** Exponential backoff with ±50 % jitter: base · 2^(attempt−1), at most `max`. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.5 + random()));
}

/** What to keep of an SMTP failure: the reply if there is one, else the error. */
export function describeFailure(error: SmtpErrorLike): { reply: string | null; error: string } {
  const reply = error.response ?? null;
  const where = error.command ? ` (${error.command})` : '';
  return { reply, error: `${error.code ? `${error.code}: ` : ''}${error.message ?? String(error)}${where}` };
}
