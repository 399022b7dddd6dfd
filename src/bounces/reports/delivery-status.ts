import type { BounceClass } from './report-reading';

/** One block of `Name: value` fields, names lower-cased, continuation lines unfolded. */
export type Fields = Map<string, string>;

/**
 * The body of a `message/delivery-status` part (RFC 3464 §2): the per-message
 * fields (Reporting-MTA, Arrival-Date, …), then one block per recipient
 * (Final-Recipient, Action, Status, Remote-MTA, Diagnostic-Code, …), blocks
 * separated by blank lines.
 */
export interface DeliveryStatus {
  message: Fields;
  recipients: Fields[];
}

export function parseDeliveryStatus(text: string): DeliveryStatus {
  const blocks = text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map(parseFields)
    .filter((b) => b.size > 0);
  // The per-message block comes first; a report with no Reporting-MTA (some gateways) may start with a recipient.
  const first = blocks[0];
  const startsWithRecipient = !!first && (first.has('final-recipient') || first.has('action')) && !first.has('reporting-mta');
  const message = startsWithRecipient || !first ? new Map<string, string>() : first;
  const recipients = (startsWithRecipient ? blocks : blocks.slice(1)).filter((b) => b.has('final-recipient') || b.has('original-recipient') || b.has('action') || b.has('status'));
  return { message, recipients };
}

/** `Name: value` lines (RFC 5322 header syntax): a line starting with white space continues the one before. */
export function parseFields(block: string): Fields {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of block.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^[ \t]/.test(line) && last) {
      fields.set(last, `${fields.get(last)} ${line.trim()}`.trim());
      continue;
    }
    const match = /^([!-9;-~]+)[ \t]*:[ \t]*(.*)$/.exec(line);
    if (!match) continue;
    last = match[1].toLowerCase();
    // A field given twice keeps its first value (a report repeats none that Herald reads).
    if (!fields.has(last)) fields.set(last, match[2].trim());
    else last = undefined;
  }
  return fields;
}

/** `rfc822; alice@example.com` → `alice@example.com`; `dns; mx.example.com` → `mx.example.com` (the type before `;` dropped). */
export function withoutType(value: string | undefined): string | null {
  if (!value) return null;
  const text = value.includes(';') ? value.slice(value.indexOf(';') + 1) : value;
  const trimmed = text.replace(/\s+/g, ' ').trim();
  return trimmed || null;
}

/** An address as reports write it: `<Alice@Example.com>` → `Alice@Example.com`. */
export function bareAddress(value: string | null): string | null {
  if (!value) return null;
  const angled = /<([^<>\s]+@[^<>\s]+)>/.exec(value);
  const address = angled?.[1] ?? /[^\s<>"';,()]+@[^\s<>"';,()]+/.exec(value)?.[0];
  return address ? address.replace(/\.$/, '') : null;
}

const ENHANCED = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;

/** The enhanced status code (RFC 3463) at the start of a Status field, or anywhere in a text: `5.1.1`. */
export function enhancedStatus(text: string | null | undefined, anywhere = false): string | null {
  if (!text) return null;
  const match = anywhere ? ENHANCED.exec(text) : /^\s*([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(text);
  return match ? `${match[1]}.${match[2]}.${match[3]}` : null;
}

/**
 * The most precise status a recipient's fields give: `Status`, unless it only
 * says the class (`5.0.0`) and the diagnostic names a precise one of the same
 * class (Gmail writes `Status: 5.0.0` with `550 5.1.1 …`); from a bare reply
 * code (`550 …`) when there is no Status at all.
 */
export function statusOf(status: string | undefined, diagnostic: string | null): string | null {
  const given = enhancedStatus(status);
  const fromDiagnostic = enhancedStatus(diagnostic, true);
  if (given && fromDiagnostic && given.endsWith('.0.0') && fromDiagnostic[0] === given[0] && !fromDiagnostic.endsWith('.0.0')) return fromDiagnostic;
  if (given) return given;
  if (fromDiagnostic) return fromDiagnostic;
  const reply = /^\s*([45])\d\d\b/.exec(diagnostic ?? '');
  return reply ? `${reply[1]}.0.0` : null;
}

export function bounceClassOf(status: string): BounceClass {
  return status.startsWith('5') ? 'HARD' : 'SOFT';
}
