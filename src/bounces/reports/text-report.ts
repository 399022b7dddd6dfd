import type { ParsedMail } from 'mailparser';
import { bareAddress, bounceClassOf, enhancedStatus, statusOf } from './delivery-status';
import type { BouncedRecipient, ReportFormat, ReportReading } from './report-reading';

const DELAY_SUBJECT = /^\s*(delivery delayed|delayed mail|delivery status notification \(delay\)|warning: could not send message)/i;
const DELAY_TEXT = /delivery to the following recipients? (has|have) been delayed|still being retried|hasn't been delivered yet|will (continue to )?retry/i;

/** One failure as a text report writes it: the address, and the server's words. */
interface TextFailure {
  address: string;
  diagnostic: string | null;
}

/**
 * A non-delivery report without a machine-readable part: Exchange's older form
 * ("Diagnostic information for administrators: … Remote Server returned '550
 * 5.1.10 …'"), Gmail's older one ("Delivery to the following recipient failed
 * permanently … The error that the other server returned was: 550 5.1.1 …"), or
 * any report naming its recipients in X-Failed-Recipients.
 */
export function readTextReport(mail: ParsedMail, subject: string | null, format: ReportFormat, originalMessageId: string | null): ReportReading {
  const text = (mail.text ?? '').replace(/\r\n?/g, '\n');
  if ((subject && DELAY_SUBJECT.test(subject)) || DELAY_TEXT.test(text)) return { kind: 'NOTICE', subject, format, action: 'delayed', originalMessageId };
  const failures = [...exchangeFailures(text), ...gmailFailures(text), ...failedRecipientsHeader(mail)];
  const seen = new Set<string>();
  const recipients: BouncedRecipient[] = [];
  for (const failure of failures) {
    const key = failure.address.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const status = statusOf(undefined, failure.diagnostic) ?? enhancedStatus(text, true) ?? (/permanent|has failed|could not be delivered|wasn.t found/i.test(text) ? '5.0.0' : null);
    if (!status) continue;
    recipients.push({ address: failure.address, originalAddress: null, status, bounceClass: bounceClassOf(status), diagnosticCode: failure.diagnostic, remoteMta: null });
  }
  if (!recipients.length) return { kind: 'UNREADABLE', subject, reason: 'a non-delivery report in a form Herald cannot read: no failed recipient with a status' };
  if (!originalMessageId) return { kind: 'UNREADABLE', subject, reason: 'no Message-ID of the returned message: the report carries neither the message, nor its headers, nor a reference to it' };
  const generating = /generating server:\s*(\S+)/i.exec(text)?.[1] ?? null;
  const from = mail.from?.value[0]?.address;
  const reportingMta = generating ?? (from?.includes('@') ? from.slice(from.lastIndexOf('@') + 1).toLowerCase() : null);
  return { kind: 'BOUNCE', subject, format, originalMessageId, reportingMta, recipients };
}

/**
 * Exchange: an address line followed by what the server said, under
 * "Diagnostic information for administrators": `Remote Server returned '…'`,
 * `… Server at X returned '…'`, or the older `#550 5.1.1 … ##`.
 */
function exchangeFailures(text: string): TextFailure[] {
  const start = text.search(/diagnostic information for administrators/i);
  if (start < 0) return [];
  const end = text.search(/original message headers/i);
  const section = text.slice(start, end > start ? end : undefined);
  const failures: TextFailure[] = [];
  const pattern = /^[ \t]*([^\s<>'"]+@[^\s<>'"]+?)(?:[ \t]*<mailto:[^>]*>)?[ \t]*\n((?:[ \t]*\S.*\n?){1,6})/gm;
  for (const match of section.matchAll(pattern)) {
    const lines = match[2];
    const said = /returned '([^']+)'/i.exec(lines)?.[1] ?? /#([^#\n]*\d\.\d+\.\d+[^#\n]*)#/.exec(lines)?.[1] ?? null;
    if (!said) continue;
    const address = bareAddress(match[1]);
    if (address) failures.push({ address, diagnostic: said.replace(/\s+/g, ' ').trim() });
  }
  return failures;
}

/** Gmail: "Delivery to the following recipient failed permanently: <address> … The error that the other server returned was: …". */
function gmailFailures(text: string): TextFailure[] {
  const match = /delivery to the following recipients? failed permanently:\s*\n\s*(\S+@\S+)/i.exec(text);
  const address = bareAddress(match?.[1] ?? null);
  if (!address) return [];
  const said = /the (?:error|response) (?:that the other server returned was|from the remote server was):?\s*([^\n]+(?:\n(?![ \t]*\n)[^\n]+)*)/i.exec(text)?.[1];
  return [{ address, diagnostic: said ? said.replace(/\s+/g, ' ').trim() : null }];
}

/** X-Failed-Recipients (Exim, Gmail): the addresses, with no words of their own. */
function failedRecipientsHeader(mail: ParsedMail): TextFailure[] {
  const value = mail.headers.get('x-failed-recipients');
  const text = Array.isArray(value) ? value.join(',') : String(value ?? '');
  return text
    .split(',')
    .map((a) => bareAddress(a.trim()))
    .filter((a): a is string => !!a)
    .map((address) => ({ address, diagnostic: null }));
}
