/**
 * What a mail found in the report mailbox says, as read by readReport (pure: no
 * database, no mailbox). Only BOUNCE changes a delivery; the others say what to do
 * with the mail itself (moved to the processed folder, set aside, or left alone).
 */
export type ReportReading = BounceReading | NoticeReading | AutoReplyReading | NotAReportReading | UnreadableReading;

/** Hard: the address or the message is refused for good (5.x.x); soft: for now (4.x.x, e.g. a queue lifetime that ran out). */
export type BounceClass = 'HARD' | 'SOFT';

/** Who wrote the report, as far as its form tells (for logs and metrics). */
export type ReportFormat = 'POSTFIX' | 'EXCHANGE' | 'GMAIL' | 'DSN' | 'TEXT';

export interface BouncedRecipient {
  /** The address the report names (Final-Recipient, or the address in the text). */
  address: string;
  /** Original-Recipient, when the report gives one (the address before forwarding). */
  originalAddress: string | null;
  /** The enhanced status code (RFC 3463), e.g. `5.1.1`. */
  status: string;
  bounceClass: BounceClass;
  /** The Diagnostic-Code without its type (`smtp;`), e.g. `550 5.1.1 <a@b>: Recipient address rejected`; null when none. */
  diagnosticCode: string | null;
  /** The server that refused it (Remote-MTA), when the report says. */
  remoteMta: string | null;
}

interface Reading {
  /** The report's own Subject (decoded), for logs and the mailbox status. */
  subject: string | null;
}

/** A delivery failed: one or more recipients of the original message, which the Message-ID finds. */
export interface BounceReading extends Reading {
  kind: 'BOUNCE';
  format: ReportFormat;
  /** The Message-ID of the returned message, with its angle brackets. */
  originalMessageId: string;
  /** The server that wrote the report (Reporting-MTA, Exchange's "Generating server", the sender's domain). */
  reportingMta: string | null;
  /** The failed recipients (never empty). */
  recipients: BouncedRecipient[];
}

/** A delivery report that is no failure: a delay ("still being retried"), a delivered/relayed notice, a read receipt. */
export interface NoticeReading extends Reading {
  kind: 'NOTICE';
  format: ReportFormat;
  /** delayed, delivered, relayed, expanded, or `displayed` for a read receipt. */
  action: string;
  originalMessageId: string | null;
}

/** An automatic answer from a person's mailbox: out of office, vacation, an auto-responder. */
export interface AutoReplyReading extends Reading {
  kind: 'AUTO_REPLY';
  originalMessageId: string | null;
}

/** A mail from a person (or anything else that is no report): Herald leaves it where it is. */
export interface NotAReportReading extends Reading {
  kind: 'NOT_A_REPORT';
}

/** It looks like a report, but Herald cannot use it: truncated, no Message-ID, a form it cannot read. Set aside. */
export interface UnreadableReading extends Reading {
  kind: 'UNREADABLE';
  reason: string;
}
