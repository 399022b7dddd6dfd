import type { ParsedMail } from 'mailparser';
import { bareAddress, bounceClassOf, type DeliveryStatus, type Fields, parseDeliveryStatus, parseFields, statusOf, withoutType } from './delivery-status';
import { readTextReport } from './text-report';
import type { BouncedRecipient, ReportFormat, ReportReading } from './report-reading';

/** MIME types of a returned message or of its headers alone (RFC 3462/6522, RFC 6533). */
const RETURNED = new Set(['message/rfc822', 'text/rfc822-headers', 'message/rfc822-headers', 'message/global', 'message/global-headers']);
const DELIVERY_STATUS = new Set(['message/delivery-status', 'message/global-delivery-status']);

/** Subjects of automatic answers, in the languages the console's people write in and the usual English ones. */
const AUTO_REPLY_SUBJECT = /^\s*(automatic reply|auto(matic)?[- ]?(reply|response|antwort)|autoreply|out of (the )?office|auto:|réponse automatique|absence|abwesenheit|automatische antwort|respuesta automática)/i;

/**
 * Reads one mail of the report mailbox: a delivery status notification
 * (multipart/report, RFC 3464: Postfix, Exchange Online, Gmail and most MTAs),
 * a non-delivery report in text (older Exchange and Gmail, some gateways), an
 * automatic reply, or something else. Pure: the mail in, what it says out.
 */
export async function readReport(raw: Buffer): Promise<ReportReading> {
  let mail: ParsedMail;
  try {
    // Loaded on first use: a Herald without a report mailbox never pays for mailparser.
    const { simpleParser } = require('mailparser') as typeof import('mailparser');
    mail = await simpleParser(raw, { keepDeliveryStatus: true, skipImageLinks: true, skipTextLinks: true, skipTextToHtml: true });
  } catch (error) {
    return { kind: 'UNREADABLE', subject: null, reason: `not a MIME message Herald can parse (${(error as Error).message})` };
  }
  const subject = mail.subject?.trim() || null;
  const type = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (type?.value?.toLowerCase() === 'multipart/report') {
    const reportType = type.params?.['report-type']?.toLowerCase();
    if (reportType === 'delivery-status') return readDeliveryStatusReport(mail, subject);
    if (reportType === 'disposition-notification') return { kind: 'NOTICE', subject, format: 'DSN', action: 'displayed', originalMessageId: inReplyTo(mail) };
    return { kind: 'NOT_A_REPORT', subject }; // a feedback (complaint) report and others: for the mailbox's people to read
  }
  if (looksLikeNonDelivery(mail, subject)) return readTextReport(mail, subject, formatOf(mail, null), originalMessageId(mail, null));
  if (isAutoReply(mail, subject)) return { kind: 'AUTO_REPLY', subject, originalMessageId: inReplyTo(mail) };
  return { kind: 'NOT_A_REPORT', subject };
}

function readDeliveryStatusReport(mail: ParsedMail, subject: string | null): ReportReading {
  const part = mail.attachments.find((a) => DELIVERY_STATUS.has(a.contentType.toLowerCase()));
  const format = () => formatOf(mail, status);
  let status: DeliveryStatus | null = null;
  if (!part) {
    // A gateway's report without the machine-readable part: the text may still say it.
    const fromText = readTextReport(mail, subject, format(), originalMessageId(mail, null));
    if (fromText.kind !== 'UNREADABLE') return fromText;
    return { kind: 'UNREADABLE', subject, reason: 'a multipart/report without its message/delivery-status part (truncated?)' };
  }
  status = parseDeliveryStatus(part.content.toString('utf8'));
  if (!status.recipients.length) return { kind: 'UNREADABLE', subject, reason: 'its message/delivery-status part names no recipient (truncated?)' };
  const failed: BouncedRecipient[] = [];
  let notice: string | null = null;
  for (const fields of status.recipients) {
    const address = bareAddress(withoutType(fields.get('final-recipient'))) ?? bareAddress(withoutType(fields.get('original-recipient')));
    const diagnosticCode = withoutType(fields.get('diagnostic-code'));
    const code = statusOf(fields.get('status'), diagnosticCode);
    const action = fields.get('action')?.toLowerCase().split(/[\s(]/)[0] ?? (code?.startsWith('5') ? 'failed' : code?.startsWith('4') ? 'delayed' : null);
    if (!address || !action) {
      return { kind: 'UNREADABLE', subject, reason: `its message/delivery-status part has a recipient without ${address ? 'an Action or a Status' : 'an address'} (truncated?)` };
    }
    if (action !== 'failed') {
      notice ??= action;
      continue;
    }
    if (!code) return { kind: 'UNREADABLE', subject, reason: `recipient ${address} failed without a Status or a Diagnostic-Code (truncated?)` };
    failed.push({
      address,
      originalAddress: bareAddress(withoutType(fields.get('original-recipient'))),
      status: code,
      bounceClass: bounceClassOf(code),
      diagnosticCode,
      remoteMta: withoutType(fields.get('remote-mta')),
    });
  }
  const original = originalMessageId(mail, status.message);
  if (!failed.length) return { kind: 'NOTICE', subject, format: format(), action: notice ?? 'delayed', originalMessageId: original };
  if (!original) {
    return { kind: 'UNREADABLE', subject, reason: 'no Message-ID of the returned message: the report carries neither the message, nor its headers, nor a reference to it' };
  }
  const reportingMta = withoutType(status.message.get('reporting-mta')) ?? domainOf(mail.from?.value[0]?.address);
  return { kind: 'BOUNCE', subject, format: format(), originalMessageId: original, reportingMta, recipients: failed };
}

/**
 * The Message-ID of the message a report is about: from the returned message or
 * headers, the delivery status' X-Original-Message-ID (Gmail), the text after a
 * "original message" marker (text reports), or the report's own In-Reply-To
 * (Exchange sets it).
 */
export function originalMessageId(mail: ParsedMail, perMessage: Fields | null): string | null {
  for (const returned of mail.attachments.filter((a) => RETURNED.has(a.contentType.toLowerCase()))) {
    const text = returned.content.toString('utf8').replace(/\r\n?/g, '\n');
    const id = messageIdOf(parseFields(text.split(/\n[ \t]*\n/)[0]).get('message-id'));
    if (id) return id;
  }
  const fromStatus = messageIdOf(perMessage?.get('x-original-message-id'));
  if (fromStatus) return fromStatus;
  const text = mail.text ?? '';
  const marker = /(original message headers|original message|this is a copy of the message|below this line is a copy of the message|returned message|undelivered message)/i.exec(text);
  if (marker) {
    const after = text.slice(marker.index);
    const line = /^[ \t]*message-id[ \t]*:[ \t]*(.*(?:\n[ \t]+.*)*)/im.exec(after);
    const id = messageIdOf(line?.[1]);
    if (id) return id;
  }
  return inReplyTo(mail);
}

function inReplyTo(mail: ParsedMail): string | null {
  return messageIdOf(mail.inReplyTo);
}

/** `<a@b>` from a header value (the first one, angle brackets kept; folded white space removed). */
function messageIdOf(value: string | undefined | null): string | null {
  if (!value) return null;
  const match = /<([^<>\s]+@[^<>\s]+)>/.exec(value.replace(/\s+/g, ''));
  return match ? `<${match[1]}>` : null;
}

/** A text report, without a multipart/report: Exchange's or Gmail's old forms, or a gateway's. */
function looksLikeNonDelivery(mail: ParsedMail, subject: string | null): boolean {
  if (hasHeader(mail, 'x-ms-exchange-message-is-ndr') || hasHeader(mail, 'x-failed-recipients')) return true;
  const from = (mail.from?.value[0]?.address ?? '').toLowerCase();
  const daemon = /^(mailer-daemon|postmaster|mail-daemon|microsoftexchange[0-9a-f]*)@/.test(from);
  const ndrSubject = /^\s*(undeliverable|undelivered mail|delivery status notification|mail delivery failed|returned mail|delivery failure|failure notice|non[- ]?delivery|delivery has failed|message not delivered|delivery delayed|delayed mail|warning: could not send message)/i;
  return !!subject && ndrSubject.test(subject) && (daemon || /^\s*(undeliverable:|undelivered mail returned to sender|delivery status notification \((failure|delay)\))/i.test(subject));
}

function isAutoReply(mail: ParsedMail, subject: string | null): boolean {
  const autoSubmitted = String(mail.headers.get('auto-submitted') ?? '').trim().toLowerCase();
  if (autoSubmitted && !autoSubmitted.startsWith('no')) return true;
  if (['x-autoreply', 'x-autorespond', 'x-autoresponder'].some((h) => hasHeader(mail, h))) return true;
  if (String(mail.headers.get('precedence') ?? '').toLowerCase() === 'auto_reply') return true;
  return !!subject && AUTO_REPLY_SUBJECT.test(subject);
}

function formatOf(mail: ParsedMail, status: DeliveryStatus | null): ReportFormat {
  const from = (mail.from?.value[0]?.address ?? '').toLowerCase();
  const reporting = (withoutType(status?.message.get('reporting-mta')) ?? '').toLowerCase();
  if (hasHeader(mail, 'x-ms-exchange-message-is-ndr') || reporting.endsWith('outlook.com') || from.startsWith('microsoftexchange')) return 'EXCHANGE';
  if (/@(googlemail|google)\.com$/.test(from) || reporting.endsWith('googlemail.com') || reporting.endsWith('google.com')) return 'GMAIL';
  if (status?.message.has('x-postfix-queue-id') || /^This is the mail system at host /m.test(mail.text ?? '')) return 'POSTFIX';
  return status ? 'DSN' : 'TEXT';
}

/** Whether the mail has the header, even empty (mailparser leaves empty ones out of `headers`; Exchange's NDR marker is one). */
function hasHeader(mail: ParsedMail, name: string): boolean {
  return mail.headers.has(name) || mail.headerLines.some((h) => h.key === name);
}

function domainOf(address: string | undefined): string | null {
  return address?.includes('@') ? address.slice(address.lastIndexOf('@') + 1).toLowerCase() : null;
}
