import { SecretDecryptionError } from '@herald/crypto';
import { SmtpCheckStep, type SmtpFailure, TokenEndpointError } from '../../../smtp/smtp-gateway';
import { GraphError } from './graph-api';

/** What to do about a 403: the app may not send as the mailbox. */
export function mailSendAdvice(mailbox: string): string {
  return (
    `Microsoft Graph will not let the app send as ${mailbox}: give the app registration the Microsoft Graph Mail.Send application permission (with admin consent), ` +
    `and if an application access policy or an RBAC for Applications scope restricts the app, include ${mailbox} in it (docs/configuration.md, "Microsoft Graph")`
  );
}

const RESOLVE = new Set(['ENOTFOUND', 'EAI_AGAIN']);
const CONNECT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);
const TLS = /^(ERR_SSL_|ERR_TLS_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_)/;

/**
 * What a failed Graph request is about, in the terms the relay's health and the
 * checks use (SmtpFailure; scope `relay` is the transport as a whole):
 * - 202 is no failure; a recipient Graph refuses (400 ErrorInvalidRecipients): that
 *   recipient, final; another 4xx (malformed or too large): that message, final;
 * - 401 (the token refused, after one renewal): AUTH, final until the settings change;
 *   403 (no Mail.Send, or an application access policy that leaves the mailbox out)
 *   and 404 (no such mailbox): MAILBOX, final — the transport as a whole, with the remedy;
 * - 429, or 503 with Retry-After: slow down for that long, nothing spent;
 * - 5xx, 408, no answer or a timeout: transient, the transport as a whole;
 * - no token: TOKEN; a secret this server cannot decrypt: AUTH, transient (an admin fixes it).
 */
export function classifyGraphFailure(error: unknown): SmtpFailure {
  if (error instanceof SecretDecryptionError) {
    return { scope: 'relay', transient: true, step: SmtpCheckStep.AUTH, reply: null, description: `a stored OAuth2 secret ${error.message}` };
  }
  if (error instanceof TokenEndpointError) return { scope: 'relay', transient: error.transient, step: SmtpCheckStep.TOKEN, reply: null, description: error.message };
  if (!(error instanceof GraphError)) {
    return { scope: 'relay', transient: true, step: SmtpCheckStep.SEND, reply: null, description: (error as Error)?.message ?? String(error) };
  }
  const { status, code, reply, message: description } = error;
  const base = { reply, responseCode: status ?? undefined, description };
  const sending = error.request === 'sendMail' ? SmtpCheckStep.SEND : SmtpCheckStep.MAILBOX;
  if (status === null) {
    const cause = error.networkCode ?? '';
    const step = RESOLVE.has(cause) ? SmtpCheckStep.RESOLVE : CONNECT.has(cause) ? SmtpCheckStep.CONNECT : TLS.test(cause) ? SmtpCheckStep.TLS : sending;
    return { ...base, scope: 'relay', transient: true, step };
  }
  if (status === 429 || (status === 503 && error.retryAfterMs !== undefined)) {
    return { ...base, scope: 'relay', transient: true, step: sending, throttled: true, retryAfterMs: error.retryAfterMs };
  }
  if (status >= 500 || status === 408) return { ...base, scope: 'relay', transient: true, step: sending };
  if (status === 401) {
    const advice = `Microsoft Graph refused the app's access token: it must be issued for ${error.endpoint} (a national cloud: graphEndpoint and oauth2TokenUrl of that cloud) by the mailbox's tenant`;
    return { ...base, scope: 'relay', transient: false, step: SmtpCheckStep.AUTH, advice };
  }
  if (status === 403) return { ...base, scope: 'relay', transient: false, step: SmtpCheckStep.MAILBOX, advice: mailSendAdvice(error.mailbox) };
  if (status === 404) {
    const advice = `Microsoft Graph knows no mailbox ${error.mailbox} in this tenant: check username (or the sender's address); it must be an Exchange Online mailbox`;
    return { ...base, scope: 'relay', transient: false, step: SmtpCheckStep.MAILBOX, advice };
  }
  if (code === 'ErrorInvalidRecipients') return { ...base, scope: 'recipient', transient: false, step: SmtpCheckStep.SEND };
  return { ...base, scope: 'message', transient: false, step: SmtpCheckStep.SEND };
}
